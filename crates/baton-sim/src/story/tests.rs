//! The story against Baton's real detectors, in process and on a virtual clock (one tick is one
//! second): the calm pipeline trips nothing, each cycle's incident trips its own detector, and
//! the agents obey decisions. Rate-limit pressure (read from the usage ledger) and unreachable
//! (failed polls) need the engine; `baton-engine/tests/story.rs` covers the story over HTTP.

use crate::held::Obeys;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use baton_core::detect::handoff::HandoffSchemas;
use baton_core::detect::{
    detect, AgentStatus, DetectConfig, DetectState, Finding, ObservedEvent, ObservedTask, Windows,
};
use baton_core::protocol::{DecisionDelivery, Task};
use baton_core::rules::{Rule, RuleKind};
use baton_core::task::TaskState;
use chrono::{DateTime, TimeZone, Utc};

use super::*;

const TICK: Duration = Duration::from_secs(1);

/// The story's agents polled every tick by Baton's detectors, as the engine would.
struct Harness {
    agents: Vec<StoryAgent>,
    state: DetectState,
    config: DetectConfig,
    schemas: HandoffSchemas,
    cursors: Vec<Option<String>>,
    seen: HashMap<(i64, String), Task>,
    dark: Vec<bool>,
    tick: u64,
    /// Each finding's dedupe key, kind and the tick it first showed.
    first_seen: BTreeMap<String, (String, u64)>,
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap()
}

/// Baton's id of story agent `index`.
fn id(index: usize) -> i64 {
    i64::try_from(index).unwrap() + 1
}

impl Harness {
    fn new(rules: Vec<Rule>) -> Harness {
        let windows = super::windows(TICK).apply(&Windows::default());
        let statuses: Vec<AgentStatus> = CAST
            .iter()
            .enumerate()
            .map(|(i, cast)| AgentStatus {
                id: id(i),
                name: cast.name.to_owned(),
                remote_id: Some(cast.id.to_owned()),
                consecutive_failures: 0,
                last_error: None,
                last_success: None,
                counter: None,
                branch: None,
            })
            .collect();
        let mut schemas = HandoffSchemas::default();
        for (kind, schema) in handoff_schemas() {
            schemas.add(&kind, &schema).unwrap();
        }
        Harness {
            agents: StoryAgent::cast(TICK),
            state: DetectState::from_slices(&[], &[], &rules, &statuses),
            config: DetectConfig {
                defaults: windows,
                per_agent: Vec::new(),
            },
            schemas,
            cursors: vec![None; CAST.len()],
            seen: HashMap::new(),
            dark: vec![false; CAST.len()],
            tick: 0,
            first_seen: BTreeMap::new(),
        }
    }

    fn now(&self) -> DateTime<Utc> {
        start() + chrono::Duration::seconds(i64::try_from(self.tick).unwrap())
    }

    /// One tick of every agent, one poll of each that answers, one detector run.
    fn step(&mut self) -> Vec<Finding> {
        self.tick += 1;
        let now = self.now();
        let mut events = Vec::new();
        let mut changed = Vec::new();
        for (i, agent) in self.agents.iter_mut().enumerate() {
            agent.tick(now);
            let scripted = agent.agent_mut();
            if scripted.dark_pending() {
                scripted.went_dark();
                self.dark[i] = true;
            }
            if scripted.relight_pending() {
                scripted.relit();
                self.dark[i] = false;
            }
            if self.dark[i] {
                continue;
            }
            let doc = agent.poll(self.cursors[i].as_deref(), 10_000);
            // What Baton's parser would say of it on the wire.
            if let Err(err) = baton_core::protocol::validate(&doc) {
                panic!(
                    "tick {}: {} sends an invalid document: {err}",
                    self.tick, CAST[i].id
                );
            }
            self.cursors[i] = Some(doc.cursor);
            for task in doc.tasks {
                let key = (id(i), task.id.clone());
                if self.seen.get(&key) != Some(&task) {
                    self.seen.insert(key, task.clone());
                    changed.push(ObservedTask {
                        agent_id: id(i),
                        task,
                        updated_at: now,
                    });
                }
            }
            events.extend(doc.events.into_iter().map(|event| ObservedEvent {
                agent_id: id(i),
                event,
            }));
        }
        self.state.take_tasks(changed);
        let fresh = self.state.take_events(&events);
        let new: Vec<ObservedEvent> = events
            .into_iter()
            .zip(fresh)
            .filter_map(|(e, fresh)| fresh.then_some(e))
            .collect();
        let found = detect(&self.state.input(now, &new, &self.config, &self.schemas)).findings;
        self.state.settle(now - chrono::Duration::minutes(10));
        for f in &found {
            self.first_seen
                .entry(f.dedupe_key.clone())
                .or_insert_with(|| (f.kind.as_str().to_owned(), self.tick));
        }
        found
    }

    fn run_to(&mut self, tick: u64) {
        while self.tick < tick {
            self.step();
        }
    }

    fn decide(&mut self, index: usize, decision: DecisionDelivery) {
        let now = self.now();
        let key = decision.decision_id.clone();
        self.agents[index].apply_decision(&key, decision, now);
    }

    fn task(&self, index: usize, task: &str) -> Option<Task> {
        self.agents[index]
            .agent()
            .tasks()
            .iter()
            .find(|t| t.id == task)
            .cloned()
    }

    /// Kinds first seen at or after `from`, but for `but`.
    fn kinds_since(&self, from: u64, but: Incident) -> Vec<String> {
        self.first_seen
            .values()
            .filter(|(kind, tick)| *tick >= from && kind != but.kind())
            .map(|(kind, _)| kind.clone())
            .collect()
    }
}

fn decision(id: &str, action: &str) -> DecisionDelivery {
    DecisionDelivery {
        decision_id: id.to_owned(),
        action: action.to_owned(),
        decided_by: "Ada".to_owned(),
        decided_at: start(),
        ..DecisionDelivery::default()
    }
}

/// The tick at which cycle `k`'s incident happens.
fn incident_tick(k: u64) -> u64 {
    k * CYCLE_TICKS + INCIDENT_OFFSET
}

#[test]
fn the_calm_pipeline_trips_no_detector_and_each_incident_trips_its_own() {
    let mut h = Harness::new(rules());
    let cycles = Incident::ALL.len() as u64 + 1;
    h.run_to(cycles * CYCLE_TICKS + 60);
    let ledger_or_polls = [Incident::RateLimitPressure, Incident::Unreachable];
    for k in 0..cycles {
        let incident = Incident::of_cycle(k);
        if ledger_or_polls.contains(&incident) {
            continue;
        }
        let from = incident_tick(k);
        let seen = h
            .first_seen
            .values()
            .any(|(kind, tick)| kind == incident.kind() && (from..from + 55).contains(tick));
        assert!(
            seen,
            "cycle {k}: no {} within 55 ticks of tick {from}; seen: {:?}",
            incident.kind(),
            h.first_seen
        );
    }
    // Nothing else: every finding is the incident of the cycle it showed in (stalls and
    // silent completions show in the next cycle, after their window).
    for (key, (kind, tick)) in &h.first_seen {
        let explained = (0..=cycles).any(|k| {
            let from = incident_tick(k);
            Incident::of_cycle(k).kind() == kind && (from..from + 55).contains(tick)
        });
        assert!(
            explained,
            "{kind} ({key}) at tick {tick} is not the story's"
        );
    }
}

#[test]
fn after_the_write_collision_is_given_to_editor_publisher_stops_writing_those_files() {
    let mut h = Harness::new(rules());
    h.run_to(incident_tick(0) + 5);
    let kinds = h.kinds_since(0, Incident::NeedsApproval);
    assert_eq!(kinds, ["write_collision", "write_collision"]);
    // What the engine does for "Give ownership to Editor": a rule on the group's scope, and a
    // reassign to each agent naming the scope and the new owner.
    let scope = "file:///site/launch-0/*";
    let mut rules = rules();
    rules.push(Rule::new(RuleKind::Data, scope, "Editor"));
    h.state.set_rules(rules);
    let give = DecisionDelivery {
        scope: Some(scope.to_owned()),
        resources: launch_files(0).to_vec(),
        owner: Some("editor".to_owned()),
        tasks: vec!["page-launch-0".to_owned()],
        ..decision("d1", "reassign")
    };
    h.decide(plan::PUBLISHER, give.clone());
    h.decide(plan::EDITOR, give);
    h.run_to(2 * CYCLE_TICKS);
    // Cycle 1's question comes in the meantime; nothing else does.
    let kinds = h.kinds_since(incident_tick(0) + 6, Incident::NeedsApproval);
    assert_eq!(kinds, Vec::<String>::new());
    let obeyed = h.agents[plan::PUBLISHER].agent().obeyed().to_vec();
    assert_eq!(obeyed.len(), 2, "{obeyed:?}");
    assert!(obeyed[0].contains("faq.md"), "{obeyed:?}");
    let page = h.task(plan::PUBLISHER, "page-launch-0").unwrap();
    assert_eq!(page.state, TaskState::Completed);
}

#[test]
fn without_the_decision_publisher_rewrites_the_files_and_the_new_rule_catches_it() {
    // The control for the test above: the same rule, no decision delivered.
    let mut h = Harness::new(rules());
    h.run_to(incident_tick(0) + 5);
    let mut rules = rules();
    rules.push(Rule::new(
        RuleKind::Data,
        "file:///site/launch-0/*",
        "Editor",
    ));
    h.state.set_rules(rules);
    h.run_to(2 * CYCLE_TICKS);
    let kinds = h.kinds_since(incident_tick(0) + 6, Incident::NeedsApproval);
    assert!(
        kinds.iter().all(|k| k == "ownership_violation") && kinds.len() == 2,
        "{kinds:?}"
    );
}

#[test]
fn a_rejected_question_cancels_the_task_and_an_approved_one_publishes() {
    for (action, state) in [
        ("reject", TaskState::Canceled),
        ("approve", TaskState::Completed),
    ] {
        let mut h = Harness::new(rules());
        h.run_to(incident_tick(1) + 2);
        let asked = h.task(plan::PUBLISHER, "publish-launch-1").unwrap();
        assert_eq!(asked.state, TaskState::InputRequired);
        h.decide(
            plan::PUBLISHER,
            DecisionDelivery {
                task_id: Some("publish-launch-1".to_owned()),
                ..decision("d1", action)
            },
        );
        h.run_to(incident_tick(1) + 4);
        let task = h.task(plan::PUBLISHER, "publish-launch-1").unwrap();
        assert_eq!(task.state, state, "after {action}");
    }
}

#[test]
fn a_rejected_teaser_stops_posting_and_a_retried_refund_finishes() {
    let mut h = Harness::new(rules());
    h.run_to(incident_tick(2) + 2);
    h.decide(
        plan::WRITER,
        DecisionDelivery {
            task_id: Some("teaser-2".to_owned()),
            ..decision("d1", "reject")
        },
    );
    h.run_to(incident_tick(3));
    assert_eq!(
        h.task(plan::WRITER, "teaser-2").unwrap().state,
        TaskState::Canceled
    );
    // Only the first post was seen: the second (30 ticks later) was never written.
    let violations: Vec<_> = h
        .first_seen
        .values()
        .filter(|(kind, _)| kind == "ownership_violation")
        .collect();
    assert_eq!(violations.len(), 1, "{violations:?}");

    let mut support = StoryAgent::new(plan::SUPPORT, TICK);
    let stalled = incident_tick(9) + 30;
    for tick in 1..=stalled {
        support.tick(start() + chrono::Duration::seconds(i64::try_from(tick).unwrap()));
    }
    let refund = |a: &StoryAgent| {
        a.agent()
            .tasks()
            .iter()
            .find(|t| t.id == "refund-9")
            .cloned()
    };
    assert_eq!(refund(&support).unwrap().state, TaskState::Working);
    support.apply_decision(
        "d2",
        DecisionDelivery {
            task_id: Some("refund-9".to_owned()),
            ..decision("d2", "retry")
        },
        start(),
    );
    support.tick(start() + chrono::Duration::seconds(i64::try_from(stalled + 1).unwrap()));
    assert_eq!(refund(&support).unwrap().state, TaskState::Completed);
}

#[test]
fn a_story_running_for_hours_reports_only_its_recent_tasks() {
    let mut h = Harness::new(rules());
    h.run_to(3 * 3600);
    for agent in &h.agents {
        let tasks = agent.agent().tasks().len();
        assert!(tasks < 40, "{} holds {tasks} tasks", agent.agent().id());
    }
}

#[test]
fn the_windows_follow_the_tick_length() {
    let fast = windows(Duration::from_millis(250));
    assert_eq!(fast.write_collision_seconds, Some(15));
    assert_eq!(fast.stall_seconds, Some(12));
    assert_eq!(fast.silent_completion_seconds, Some(10));
    assert!(fast.check().is_ok());
    assert_eq!(windows(TICK).stall_seconds, Some(45));
}
