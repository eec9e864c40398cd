use crate::held::Obeys;
use baton_core::detect::handoff::HandoffSchemas;
use baton_core::detect::{
    detect, AgentStatus, CounterRestart, DetectConfig, DetectState, Finding, ObservedEvent,
    ObservedTask, Windows,
};
use baton_core::protocol::{parse_status, DecisionDelivery, EventKind};
use baton_core::ratelimit::{
    minute_of, rate_limit_pressure, read_rate_limit_headers, ApiUsage, MinuteUsage,
    PressureSettings, Quota, QuotaSource, TimeOfDayProfile,
};
use baton_core::task::TaskState;
use chrono::{DateTime, Duration, TimeZone, Utc};

use super::*;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 10, 0, 0).unwrap()
}

/// Tick `n` happens `n` seconds after t0.
fn at(tick: u64) -> DateTime<Utc> {
    t0() + Duration::seconds(tick as i64)
}

/// Short windows, as the HTTP tests use: ticks are a second apart here.
fn config() -> DetectConfig {
    DetectConfig {
        defaults: Windows {
            silent_completion: Duration::seconds(2),
            stall: Duration::seconds(2),
            time_budget: Duration::seconds(3),
            unreachable_polls: 3,
            ..Windows::default()
        },
        per_agent: Vec::new(),
    }
}

/// A scenario played tick by tick, each agent polled after every tick like Baton would.
struct Run {
    scenario: Scenario,
    agents: Vec<ScenarioAgent>,
    cursors: Vec<Option<String>>,
    seen: Vec<ObservedEvent>,
    /// Agents whose endpoint has closed (Baton would count failed polls from then on).
    dark: Vec<bool>,
    /// What Baton stored of each agent's events, by seq (an event under a seq stored for
    /// another is not stored, as the store does).
    stored: Vec<std::collections::HashMap<u64, baton_core::protocol::Event>>,
    /// Each agent's counter episode, as the store keeps it.
    counters: Vec<Option<CounterRestart>>,
}

impl Run {
    fn new(scenario: Scenario) -> Run {
        let agents = scenario.agents();
        let n = agents.len();
        Run {
            scenario,
            agents,
            cursors: vec![None; n],
            seen: Vec::new(),
            dark: vec![false; n],
            stored: vec![Default::default(); n],
            counters: vec![None; n],
        }
    }

    /// One tick; returns the events the polls after it delivered (every document parses).
    fn tick(&mut self, tick: u64) -> Vec<ObservedEvent> {
        let mut new = Vec::new();
        for (i, agent) in self.agents.iter_mut().enumerate() {
            agent.tick(at(tick));
            if agent.dark_pending() {
                agent.went_dark();
                self.dark[i] = true;
            }
            let doc = agent.poll(self.cursors[i].as_deref(), 500);
            let body = serde_json::to_vec(&doc).unwrap();
            let doc = parse_status(&body).unwrap_or_else(|e| {
                panic!("{}: {} at tick {tick}: {e}", self.scenario, agent.id())
            });
            self.cursors[i] = Some(doc.cursor);
            let mut reused = 0;
            for event in doc.events {
                match self.stored[i].get(&event.seq) {
                    Some(stored) if *stored != event => reused += 1,
                    Some(_) => {}
                    None => {
                        self.stored[i].insert(event.seq, event.clone());
                        new.push(ObservedEvent {
                            agent_id: i as i64 + 1,
                            event,
                        });
                    }
                }
            }
            if reused > 0 {
                let since = self.counters[i].map_or(at(tick), |c| c.since);
                self.counters[i] = Some(CounterRestart {
                    since,
                    last_at: at(tick),
                    reused: self.counters[i].map_or(0, |c| c.reused) + reused,
                    backward: 0,
                    over: false,
                });
            }
        }
        self.seen.extend(new.iter().cloned());
        new
    }

    /// The detectors at tick `tick` over what the last tick delivered.
    fn detect(&self, tick: u64, new: &[ObservedEvent]) -> Vec<Finding> {
        let mut recent = self.seen.clone();
        recent.sort_by_key(|e| e.event.at);
        let tasks: Vec<ObservedTask> = self
            .agents
            .iter()
            .enumerate()
            .flat_map(|(i, a)| {
                a.tasks().iter().map(move |t| ObservedTask {
                    agent_id: i as i64 + 1,
                    task: t.clone(),
                    updated_at: t.updated_at.unwrap(),
                })
            })
            .collect();
        let agents: Vec<AgentStatus> = self
            .agents
            .iter()
            .enumerate()
            .map(|(i, a)| AgentStatus {
                id: i as i64 + 1,
                name: a.name().to_owned(),
                remote_id: Some(a.id().to_owned()),
                consecutive_failures: if self.dark[i] { 3 } else { 0 },
                last_error: None,
                last_success: Some(t0()),
                counter: self.counters[i],
                branch: None,
            })
            .collect();
        let rules = self.scenario.rules();
        let config = config();
        let mut schemas = HandoffSchemas::default();
        for (kind, schema) in self.scenario.handoff_schemas() {
            schemas.add(&kind, &schema).unwrap();
        }
        let state = DetectState::from_slices(&recent, &tasks, &rules, &agents);
        let mut findings = detect(&state.input(at(tick), new, &config, &schemas)).findings;
        findings.extend(self.rate_limit_pressure(tick));
        findings.extend(self.over_budget(tick));
        findings
    }

    /// Each agent's spending at Baton's default prices against the scenario's budgets, as the
    /// store's cost table would price the `api_call` events seen.
    fn over_budget(&self, tick: u64) -> Vec<Finding> {
        let table = baton_core::cost::price_table(&[]);
        self.scenario
            .budgets()
            .into_iter()
            .filter_map(|(remote, budget)| {
                let id = self.baton_id(remote);
                let spent: f64 = self
                    .seen
                    .iter()
                    .filter(|s| s.agent_id == id && s.event.kind == EventKind::ApiCall)
                    .filter_map(|s| {
                        let e = &s.event;
                        let price = baton_core::cost::price_for(
                            &table,
                            e.api.as_deref()?,
                            e.model.as_deref(),
                        )?;
                        let tokens = baton_core::cost::TokenCount::of_call(
                            e.tokens,
                            e.input_tokens,
                            e.output_tokens,
                        );
                        Some(tokens.cost(price))
                    })
                    .sum();
                let name = self.agents[id as usize - 1].name().to_owned();
                baton_core::cost::over_budget(id, &name, spent, budget, at(tick))
            })
            .collect()
    }

    /// The rate-limit pressure detector over the `api_call` events seen, as the store's ledger
    /// would count them (per agent and minute, the last limit the headers reported).
    fn rate_limit_pressure(&self, tick: u64) -> Option<Finding> {
        let mut minutes: Vec<MinuteUsage> = Vec::new();
        let mut quotas: Vec<Quota> = Vec::new();
        for seen in self
            .seen
            .iter()
            .filter(|e| e.event.kind == EventKind::ApiCall)
        {
            let e = &seen.event;
            let minute = minute_of(e.at);
            let at = match minutes
                .iter()
                .position(|m| m.minute == minute && m.agent_id == seen.agent_id)
            {
                Some(at) => at,
                None => {
                    minutes.push(MinuteUsage {
                        minute,
                        agent_id: seen.agent_id,
                        requests: 0,
                        tokens: 0,
                        rate_limited: 0,
                        first_seq: Some(e.seq),
                        first_429_seq: None,
                    });
                    minutes.len() - 1
                }
            };
            let m = &mut minutes[at];
            m.requests += 1;
            if e.status == Some(429) {
                m.rate_limited += 1;
                m.first_429_seq.get_or_insert(e.seq);
            }
            let Some(headers) = &e.headers else { continue };
            for l in read_rate_limit_headers(headers, e.at).limits {
                if let Some(limit) = l.limit {
                    quotas = vec![Quota {
                        metric: l.metric,
                        policy: None,
                        limit,
                        window_seconds: l.window_seconds.unwrap_or(60),
                        source: QuotaSource::Headers,
                        remaining: l.remaining,
                        reset_at: l.reset_at,
                        seen_at: Some(e.at),
                    }];
                }
            }
        }
        let profile = TimeOfDayProfile::default();
        let usage = ApiUsage {
            api: "openai",
            key: None,
            quotas: &quotas,
            minutes: &minutes,
            profile: &profile,
        };
        rate_limit_pressure(&usage, &PressureSettings::default(), at(tick)).1
    }

    /// Baton's id (index + 1) of the agent reporting `id`.
    fn baton_id(&self, id: &str) -> i64 {
        let i = self.agents.iter().position(|a| a.id() == id).unwrap();
        i as i64 + 1
    }
}

/// The first tick at which the scenario's expected finding shows, with the finding.
fn first_firing(scenario: Scenario) -> Option<(u64, Finding)> {
    let mut run = Run::new(scenario);
    let expected = scenario.expected();
    for tick in 1..=scenario.last_tick() + 6 {
        let new = run.tick(tick);
        let found = run
            .detect(tick, &new)
            .into_iter()
            .find(|f| f.kind.as_str() == expected.kind);
        if let Some(found) = found {
            let mut agents: Vec<i64> = expected.agents.iter().map(|a| run.baton_id(a)).collect();
            agents.sort_unstable();
            assert_eq!(found.agents, agents, "{scenario}: {found:#?}");
            assert_eq!(found.resource.as_deref(), expected.resource, "{scenario}");
            return Some((tick, found));
        }
    }
    None
}

#[test]
fn names_round_trip_and_an_unknown_name_lists_the_valid_ones() {
    assert_eq!(Scenario::ALL.len(), 17);
    for scenario in Scenario::ALL {
        assert_eq!(scenario.name().parse::<Scenario>(), Ok(scenario));
        assert_eq!(scenario.to_string(), scenario.name());
        let description = scenario.description();
        assert!(
            description.ends_with('.') && description.len() < 120,
            "{description}"
        );
    }
    assert_eq!("Write_Collision".parse(), Ok(Scenario::WriteCollision));
    let err = "write-colision".parse::<Scenario>().unwrap_err();
    let message = err.to_string();
    assert!(
        message.starts_with("unknown scenario \"write-colision\""),
        "{message}"
    );
    for scenario in Scenario::ALL {
        assert!(message.contains(scenario.name()), "{message}");
    }
}

#[test]
fn each_scenario_has_two_or_three_agents_with_fixed_distinct_ids() {
    for scenario in Scenario::ALL {
        let cast = scenario.cast();
        assert!((2..=3).contains(&cast.len()), "{scenario}");
        let mut ids: Vec<&str> = cast.iter().map(|c| c.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), cast.len(), "{scenario}: ids repeat");
        let expected = scenario.expected();
        for agent in expected.agents {
            assert!(
                ids.contains(agent),
                "{scenario}: {agent} is not in the cast"
            );
        }
        assert!(scenario.last_tick() <= 6, "{scenario}: a few ticks only");
        let agents: Vec<String> = scenario
            .agents()
            .iter()
            .map(|a| a.id().to_owned())
            .collect();
        assert_eq!(agents, cast.iter().map(|c| c.id).collect::<Vec<_>>());
    }
}

#[test]
fn each_detector_fires_on_its_scenario_at_the_scripted_tick() {
    // Ticks a second apart; stall and silent completion 2 s, time budget 3 s, 3 failed polls.
    let cases = [
        (Scenario::WriteCollision, 4),
        (Scenario::OwnershipViolation, 4),
        (Scenario::ReadDuringWrite, 5),
        (Scenario::Sequencing, 3),
        (Scenario::SilentCompletion, 6),
        (Scenario::Stall, 6),
        (Scenario::Timeout, 1),
        (Scenario::TriggerCollision, 2),
        (Scenario::Unreachable, 3),
        (Scenario::DivergentClaims, 3),
        (Scenario::NeedsApproval, 3),
        (Scenario::InvalidHandoff, 3),
        (Scenario::RateLimitPressure, 2),
        (Scenario::CounterRestart, 3),
        (Scenario::CrossAgentSequencing, 3),
        (Scenario::Deadlock, 1),
        (Scenario::OverBudget, 3),
    ];
    assert_eq!(cases.len(), Scenario::ALL.len());
    for (scenario, tick) in cases {
        let (fired, finding) =
            first_firing(scenario).unwrap_or_else(|| panic!("{scenario}: nothing fired"));
        assert_eq!(fired, tick, "{scenario}: {}", finding.summary);
    }
}

#[test]
fn after_the_last_beat_the_agents_stay_quiet_and_keep_their_tasks() {
    for scenario in Scenario::ALL {
        let mut run = Run::new(scenario);
        let last = scenario.last_tick();
        for tick in 1..=last {
            run.tick(tick);
        }
        let tasks: Vec<_> = run.agents.iter().map(|a| a.tasks().to_vec()).collect();
        assert!(tasks.iter().flatten().count() >= 2, "{scenario}");
        for tick in last + 1..=last + 20 {
            assert!(
                run.tick(tick).is_empty(),
                "{scenario}: tick {tick} reported events"
            );
        }
        let after: Vec<_> = run.agents.iter().map(|a| a.tasks().to_vec()).collect();
        assert_eq!(after, tasks, "{scenario}");
    }
}

#[test]
fn the_ownership_rule_is_valid_and_names_an_agent_of_the_cast() {
    for scenario in Scenario::ALL {
        for rule in scenario.rules() {
            baton_core::rules::validate_rule(&rule).unwrap();
            assert!(
                scenario.cast().iter().any(|c| c.name == rule.owner),
                "{scenario}"
            );
        }
    }
    let rules = Scenario::OwnershipViolation.rules();
    assert_eq!(rules.len(), 1);
    assert_eq!(
        (
            rules[0].kind,
            rules[0].pattern.as_str(),
            rules[0].owner.as_str()
        ),
        (RuleKind::Data, "crm://invoices/*#status", "Billing")
    );
    assert!(Scenario::ALL
        .iter()
        .filter(|s| **s != Scenario::OwnershipViolation)
        .all(|s| s.rules().is_empty()));
}

#[test]
fn the_timeout_task_was_already_running_almost_two_hours() {
    let mut agents = Scenario::Timeout.agents();
    agents[0].tick(at(1));
    let task = &agents[0].tasks()[0];
    assert_eq!(task.state, TaskState::Working);
    assert_eq!(task.state_since, Some(at(1) - timeout_head_start()));
    assert_eq!(task.created_at, task.state_since);
    assert_eq!(timeout_head_start(), Duration::minutes(118));
    // No back-dated state event: only progress, at real time.
    let kinds: Vec<EventKind> = agents[0].held_events().map(|e| e.kind).collect();
    assert_eq!(kinds, [EventKind::ApiCall]);
    assert!(agents[0].held_events().all(|e| e.at == at(1)));
}

#[test]
fn the_scraper_goes_dark_once_at_tick_three() {
    let mut agents = Scenario::Unreachable.agents();
    for tick in 1..=2 {
        agents[0].tick(at(tick));
        assert!(!agents[0].dark_pending());
    }
    agents[0].tick(at(3));
    assert!(agents[0].dark_pending());
    agents[0].went_dark();
    agents[0].tick(at(4));
    assert!(!agents[0].dark_pending(), "once");
    assert!(!agents[1].dark_pending());
}

fn decision(id: &str, action: &str) -> DecisionDelivery {
    crate::held::decision_by_ana(id, "publish-launch", action)
}

#[test]
fn an_approval_lets_the_post_go_out_and_a_rejection_cancels_it() {
    let mut publisher = Scenario::NeedsApproval.agents().remove(0);
    for tick in 1..=3 {
        publisher.tick(at(tick));
    }
    assert_eq!(publisher.tasks()[0].state, TaskState::InputRequired);
    let asked = publisher
        .held_events()
        .find(|e| e.kind == EventKind::NeedsApproval)
        .unwrap();
    assert_eq!(asked.resource.as_deref(), Some("cms://posts/launch"));
    assert!(asked.message.as_deref().unwrap().contains("Publish"));

    let mut rejected = publisher.clone();
    assert!(!publisher.apply_decision("k1", decision("d1", "approve"), at(4)));
    assert!(
        publisher.apply_decision("k1", decision("d1", "approve"), at(4)),
        "duplicate"
    );
    assert_eq!(publisher.decisions().len(), 1);
    assert_eq!(publisher.tasks()[0].state, TaskState::Working);
    let seq = publisher.last_seq();
    publisher.tick(at(5));
    assert_eq!(publisher.tasks()[0].state, TaskState::Completed);
    let after: Vec<_> = publisher.held_events().filter(|e| e.seq > seq).collect();
    assert_eq!(after[0].kind, EventKind::Write);
    assert_eq!(after[0].resource.as_deref(), Some("cms://posts/launch"));
    assert_eq!(after[1].state, Some(TaskState::Completed));

    assert!(!rejected.apply_decision("k2", decision("d2", "reject"), at(4)));
    assert_eq!(rejected.tasks()[0].state, TaskState::Canceled);
    assert_eq!(
        rejected.tasks()[0].detail.as_deref(),
        Some("rejected by ana")
    );
}

#[test]
fn the_invalid_handoff_names_the_writer_and_carries_a_bad_brief() {
    let mut run = Run::new(Scenario::InvalidHandoff);
    let mut handoffs = Vec::new();
    for tick in 1..=Scenario::InvalidHandoff.last_tick() {
        let new = run.tick(tick);
        handoffs.extend(
            new.into_iter()
                .filter(|e| e.event.kind == EventKind::Handoff),
        );
    }
    assert_eq!(handoffs.len(), 1);
    let handoff = &handoffs[0].event;
    assert_eq!(handoff.to.as_deref(), Some("writer"));
    assert_eq!(
        handoff.resource.as_deref(),
        Some("file:///research/launch-brief.md")
    );
    let payload = handoff.payload.as_ref().unwrap();
    assert_eq!(payload["type"], "brief");
    assert!(payload["title"].is_number(), "title of the wrong type");
    assert!(payload.get("summary").is_none(), "summary missing");
    // The writer picks the brief up, so no other detector mistakes this for silence.
    let findings = run.detect(10, &[]);
    assert!(
        findings
            .iter()
            .all(|f| f.kind.as_str() != "silent_completion"),
        "{findings:#?}"
    );
}

#[test]
fn agents_declare_what_their_timeline_touches() {
    let agents = Scenario::OwnershipViolation.agents();
    let mut support = agents[1].clone();
    let doc = support.poll(None, 10);
    let declares = doc.agent.declares.unwrap();
    assert!(declares
        .writes
        .contains(&"crm://invoices/311#status".to_owned()));
    assert!(declares
        .outputs
        .contains(&"mail://outbox/support/311".to_owned()));
    assert_eq!(doc.agent.id, "support");
    assert_eq!(doc.agent.name.as_deref(), Some("Support"));
    assert!(
        doc.tasks.is_empty() && doc.events.is_empty(),
        "nothing before tick 1"
    );
}
