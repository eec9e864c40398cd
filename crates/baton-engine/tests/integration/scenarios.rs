//! One scripted scenario per detector (baton-sim), polled by a real engine over HTTP on
//! 127.0.0.1: each test waits until the queue holds an open escalation of the scenario's kind
//! and checks whom and what it names. The windows are shortened so that every test takes seconds.

use std::collections::HashMap;
use std::time::Duration;

use crate::support::*;
use baton_core::backoff::Backoff;
use baton_core::detect::{DetectConfig, Windows};
use baton_core::escalations::{Escalation, EscalationAction, EscalationState};
use baton_core::task::TaskState;
use baton_engine::{Engine, EngineConfig};
use baton_sim::{Scenario, SimFleet};
use baton_store::escalations::EscalationFilter;

/// Scenario ticks: far enough apart that one agent's beat is polled before the next agent's.
const TICK_MS: u64 = 300;
/// The shortest poll interval Baton accepts.
const POLL_MS: u64 = 250;
const TIMEOUT_MS: u64 = 200;
/// How long a test waits for its finding.
const WITHIN: Duration = Duration::from_secs(15);

fn config() -> EngineConfig {
    EngineConfig {
        detect_every_ms: 200,
        backoff: Backoff {
            base_ms: 50,
            cap_ms: 200,
        },
        detect: DetectConfig {
            defaults: Windows {
                stall: chrono::Duration::seconds(2),
                silent_completion: chrono::Duration::seconds(2),
                time_budget: chrono::Duration::seconds(3),
                unreachable_polls: 3,
                ..Windows::default()
            },
            per_agent: Vec::new(),
        },
        ..test_config()
    }
}

/// A scenario being played and the engine polling it.
struct Played {
    scenario: Scenario,
    fleet: SimFleet,
    engine: Engine,
    /// Baton's id of each agent, by the id the agent reports.
    ids: HashMap<String, i64>,
}

/// Starts the scenario's agents and an engine that polls them, with the scenario's rules added
/// before any agent (so that the first violating write already meets its rule).
async fn play(scenario: Scenario) -> Played {
    play_with(scenario, config()).await
}

async fn play_with(scenario: Scenario, config: EngineConfig) -> Played {
    let fleet = SimFleet::start_scenario(scenario, 0, TICK_MS)
        .await
        .unwrap();
    let engine = engine_with(config);
    engine.start_all().await.unwrap();
    for rule in scenario.rules() {
        engine.add_rule(rule, "test".into()).await.unwrap();
    }
    for (kind, schema) in scenario.handoff_schemas() {
        engine
            .set_handoff_schema(kind, schema, "test".into())
            .await
            .unwrap();
    }
    let mut ids = HashMap::new();
    for agent in fleet.agents() {
        let added = engine
            .add_agent(
                draft(&agent.name, &agent.base_url, POLL_MS, TIMEOUT_MS),
                None,
            )
            .await
            .unwrap();
        ids.insert(agent.id, added.id);
    }
    for (remote, usd) in scenario.budgets() {
        let id = ids[remote];
        engine
            .write(move |s| s.set_daily_budget(id, Some(usd), chrono::Utc::now()))
            .await
            .unwrap();
    }
    Played {
        scenario,
        fleet,
        engine,
        ids,
    }
}

impl Played {
    fn open_escalations(&self) -> Vec<Escalation> {
        let filter = EscalationFilter {
            open: true,
            closed: 0,
        };
        self.engine
            .store()
            .read_blocking(move |s| s.escalations(filter))
            .unwrap()
    }

    /// Waits until an open escalation of `kind` is stored and returns it; panics with what is
    /// stored after `WITHIN`.
    async fn finding(&self, kind: &str) -> Escalation {
        let found = eventually(WITHIN, || {
            self.open_escalations()
                .iter()
                .any(|f| f.kind.as_str() == kind)
        })
        .await;
        let findings = self.open_escalations();
        assert!(
            found,
            "{}: no open {kind} escalation within {WITHIN:?}; open: {findings:#?}",
            self.scenario
        );
        findings
            .into_iter()
            .find(|f| f.kind.as_str() == kind)
            .unwrap()
    }

    /// Baton's ids of these agents (by the ids they report), sorted as findings list them.
    fn baton_ids(&self, agents: &[&str]) -> Vec<i64> {
        let mut ids: Vec<i64> = agents.iter().map(|a| self.ids[*a]).collect();
        ids.sort_unstable();
        ids
    }

    /// The finding of `kind` names `agents` and `resource`.
    async fn expect(self, kind: &str, agents: &[&str], resource: Option<&str>) {
        let finding = self.finding(kind).await;
        assert_eq!(finding.state, EscalationState::Open);
        assert_eq!(
            finding.agents,
            self.baton_ids(agents),
            "{}: {}",
            self.scenario,
            finding.title
        );
        assert_eq!(
            finding.resource.as_deref(),
            resource,
            "{}: {}",
            self.scenario,
            finding.title
        );
        let expected = self.scenario.expected();
        assert_eq!(
            (expected.kind, expected.agents, expected.resource),
            (kind, agents, resource),
            "the scenario's own description of its finding agrees"
        );
        self.engine.shutdown().await;
        self.fleet.shutdown().await;
    }
}

/// A scenario's test: played against the engine, it opens one item of `kind` naming `agents`
/// (Baton's names for them) on `resource`.
macro_rules! scenario_opens {
    ($test:ident, $scenario:ident, $kind:literal, [$($agent:literal),+], $resource:expr) => {
        #[tokio::test]
        async fn $test() {
            play(Scenario::$scenario)
                .await
                .expect($kind, &[$($agent),+], $resource)
                .await;
        }
    };
}

scenario_opens!(
    write_collision_editor_and_publisher_write_the_launch_draft,
    WriteCollision,
    "write_collision",
    ["editor", "publisher"],
    Some("file:///drafts/launch.md")
);

scenario_opens!(
    ownership_violation_support_writes_an_invoice_status_billing_owns,
    OwnershipViolation,
    "ownership_violation",
    ["support", "billing"],
    Some("crm://invoices/311#status")
);

scenario_opens!(
    read_during_write_the_editor_reads_the_draft_the_writer_still_writes,
    ReadDuringWrite,
    "read_during_write",
    ["writer", "editor"],
    Some("file:///drafts/q3-report.md")
);

/// With the default 15 min stall window, the analyst's own 2 s window (stored as its override,
/// as the agent form sets it) is what makes the stall show.
#[tokio::test]
async fn stall_fires_on_the_agents_own_window() {
    let defaults = EngineConfig {
        detect: DetectConfig::default(),
        ..config()
    };
    let played = play_with(Scenario::Stall, defaults).await;
    let analyst = played.ids["analyst"];
    played
        .engine
        .set_detect_windows(
            analyst,
            Some(baton_core::detect::windows::WindowOverrides {
                stall_seconds: Some(2),
                ..Default::default()
            }),
            "test".into(),
        )
        .await
        .unwrap();
    played
        .expect("stall", &["analyst"], Some("crm://segments/churn-risk"))
        .await;
}

scenario_opens!(
    sequencing_publishing_starts_before_the_images_are_done,
    Sequencing,
    "sequencing",
    ["publisher"],
    Some("cms://posts/launch")
);

scenario_opens!(
    silent_completion_the_writer_never_picks_up_the_research,
    SilentCompletion,
    "silent_completion",
    ["researcher", "writer"],
    Some("file:///research/pricing.md")
);

scenario_opens!(
    stall_the_analysts_task_stops_making_progress,
    Stall,
    "stall",
    ["analyst"],
    Some("crm://segments/churn-risk")
);

scenario_opens!(
    timeout_the_reindex_runs_past_its_budget,
    Timeout,
    "timeout",
    ["indexer"],
    Some("kb://index")
);

scenario_opens!(
    trigger_collision_billing_and_support_both_answer_the_invoice_mail,
    TriggerCollision,
    "trigger_collision",
    ["billing", "support"],
    Some("mail://inbox/invoice-311")
);

scenario_opens!(
    unreachable_the_scrapers_endpoint_stops_answering,
    Unreachable,
    "unreachable",
    ["scraper"],
    None
);

#[tokio::test]
async fn counter_restart_the_importer_numbers_its_events_from_one_again() {
    let played = play(Scenario::CounterRestart).await;
    let finding = played.finding("counter_restart").await;
    assert!(
        finding
            .title
            .starts_with("Importer restarted without its event counter: ")
            && finding.title.contains("were not stored"),
        "{}",
        finding.title
    );
    // The row says it too, and the polls after it add to the one queue item.
    let importer = played.ids["importer"];
    let row = health(&played.engine, importer)
        .last_error
        .unwrap_or_default();
    assert!(
        row.contains("did the agent restart without its counter?"),
        "{row}"
    );
    tokio::time::sleep(Duration::from_millis(4 * POLL_MS)).await;
    let open: Vec<_> = played
        .open_escalations()
        .into_iter()
        .filter(|e| e.kind.as_str() == "counter_restart")
        .collect();
    assert_eq!(open.len(), 1, "{open:#?}");
    played.expect("counter_restart", &["importer"], None).await;
}

#[tokio::test]
async fn cross_agent_sequencing_the_writer_starts_before_the_researchers_brief() {
    let played = play(Scenario::CrossAgentSequencing).await;
    let finding = played.finding("sequencing").await;
    assert_eq!(
        finding.title,
        "Writer's task write-launch-post is working while researcher/research-launch it \
         depends on is not completed"
    );
    played
        .expect(
            "sequencing",
            &["writer", "researcher"],
            Some("cms://posts/launch"),
        )
        .await;
}

#[tokio::test]
async fn deadlock_the_draft_and_the_style_guide_wait_on_each_other() {
    let played = play(Scenario::Deadlock).await;
    let finding = played.finding("deadlock").await;
    assert_eq!(
        finding.title,
        "Deadlock: Writer's draft-guide waits for Editor's style-guide, which waits for \
         Writer's draft-guide"
    );
    // Blocked on each other for a while: still the one item, no sequencing item per task.
    tokio::time::sleep(Duration::from_millis(4 * TICK_MS)).await;
    let open: Vec<String> = played
        .open_escalations()
        .iter()
        .map(|e| e.kind.as_str().to_owned())
        .collect();
    assert_eq!(open, ["deadlock"]);
    played.expect("deadlock", &["writer", "editor"], None).await;
}

#[tokio::test]
async fn a_deadlock_is_broken_by_cancelling_one_task_which_only_its_agent_is_told() {
    let played = play(Scenario::Deadlock).await;
    let found = played.finding("deadlock").await;
    let (writer, editor) = (played.ids["writer"], played.ids["editor"]);
    let knot = found.knot.clone().expect("a deadlock names its knot");
    assert_eq!(knot.tasks.len(), 2);
    assert!(knot.leases.is_empty());
    // Not a task of the knot: refused, nothing stored.
    let wrong = played
        .engine
        .decide_escalation(
            found.id,
            EscalationAction::CancelTask {
                agent_id: editor,
                task_id: "draft-guide".into(),
            },
            None,
            "ana".into(),
        )
        .await
        .unwrap_err();
    assert!(
        wrong.to_string().contains("is not one of this deadlock's"),
        "{wrong}"
    );
    let decided = played
        .engine
        .decide_escalation(
            found.id,
            EscalationAction::CancelTask {
                agent_id: writer,
                task_id: "draft-guide".into(),
            },
            None,
            "ana".into(),
        )
        .await
        .unwrap();
    assert_eq!(decided.state, EscalationState::Resolved);
    assert_eq!(
        decided
            .deliveries
            .iter()
            .map(|d| d.agent_id)
            .collect::<Vec<_>>(),
        [writer],
        "only the writer is told"
    );
    // The writer takes the reject: its draft is cancelled, and the knot is undone.
    let cancelled = || {
        played
            .engine
            .store()
            .read_blocking(move |s| s.task_cards(Some(writer)))
            .unwrap()
            .iter()
            .any(|c| c.task_id == "draft-guide" && c.state == TaskState::Canceled)
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !cancelled() {
        assert!(
            std::time::Instant::now() < deadline,
            "the draft was never cancelled"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    played.engine.shutdown().await;
    played.fleet.shutdown().await;
}

#[tokio::test]
async fn over_budget_the_researchers_calls_pass_its_daily_budget() {
    let played = play(Scenario::OverBudget).await;
    let finding = played.finding("over_budget").await;
    assert!(
        finding
            .title
            .starts_with("Researcher has spent $1.60 today")
            && finding.title.ends_with("past its daily budget of $1.00"),
        "{}",
        finding.title
    );
    // The writer spent more with no budget: nothing about it.
    let open: Vec<String> = played
        .open_escalations()
        .iter()
        .map(|e| e.kind.as_str().to_owned())
        .collect();
    assert_eq!(open, ["over_budget"]);
    // The costs as the Agents view reads them: $1.60 and $2.00 today.
    let costs = played
        .engine
        .read(|s| s.agent_costs(chrono::Utc::now()))
        .await
        .unwrap();
    let mut today: Vec<String> = costs
        .iter()
        .map(|c| baton_core::cost::dollars(c.today.usd))
        .collect();
    today.sort();
    assert_eq!(today, ["$1.60", "$2.00"]);
    played.expect("over_budget", &["researcher"], None).await;
}

scenario_opens!(
    divergent_claims_analyst_and_support_disagree_on_a_tier,
    DivergentClaims,
    "divergent_claims",
    ["analyst", "support"],
    Some("contacts/42/tier")
);

/// Two agents claim one object over HTTP, the second with its members in another order and
/// its version spelt `16.0`: they agree, and nothing is opened. Once the second says 17, one
/// item is.
#[tokio::test]
async fn claims_of_one_value_spelt_otherwise_agree_and_a_different_value_is_one_item() {
    use baton_core::protocol::{Event, EventKind};
    use serde_json::json;
    let fleet = baton_sim::SimFleet::start(baton_sim::SimConfig::stepped(2))
        .await
        .unwrap();
    let engine = engine_with(config());
    engine.start_all().await.unwrap();
    let mut ids = Vec::new();
    for agent in fleet.agents() {
        let draft = draft(&agent.name, &agent.base_url, POLL_MS, TIMEOUT_MS);
        ids.push(engine.add_agent(draft, None).await.unwrap().id);
    }
    let claim = |value| Event {
        key: Some("db/primary".into()),
        value: Some(value),
        ..Event::new(0, chrono::Utc::now(), EventKind::Claim)
    };
    let divergent = || {
        let filter = EscalationFilter {
            open: true,
            closed: 0,
        };
        engine
            .store()
            .read_blocking(move |s| s.escalations(filter))
            .unwrap()
            .into_iter()
            .filter(|e| e.kind.as_str() == "divergent_claims")
            .collect::<Vec<_>>()
    };
    let stored = |at_least: u64| {
        let ids = ids.clone();
        let counts = engine
            .store()
            .read_blocking(move |s| ids.iter().map(|id| s.event_count(*id)).collect())
            .unwrap_or_else(|_: baton_store::StoreError| vec![0, 0]);
        counts.iter().sum::<u64>() >= at_least
    };
    fleet.inject_event(0, claim(json!({"engine": "postgres", "version": 16})));
    fleet.inject_event(1, claim(json!({"version": 16.0, "engine": "postgres"})));
    assert!(eventually(WITHIN, || stored(2)).await, "both claims stored");
    // The detectors ran over both claims, more than once.
    let runs = engine.stats().detector.runs;
    let ran = eventually(WITHIN, || engine.stats().detector.runs >= runs + 3).await;
    assert!(ran, "{:?}", engine.stats().detector);
    assert_eq!(divergent(), [], "one value, spelt two ways");

    fleet.inject_event(1, claim(json!({"version": 17, "engine": "postgres"})));
    assert!(eventually(WITHIN, || !divergent().is_empty()).await);
    let runs = engine.stats().detector.runs;
    let ran = eventually(WITHIN, || engine.stats().detector.runs >= runs + 3).await;
    assert!(ran, "{:?}", engine.stats().detector);
    let open = divergent();
    assert_eq!(open.len(), 1, "{open:#?}");
    let mut both = ids.clone();
    both.sort_unstable();
    assert_eq!(open[0].agents, both);
    assert!(
        open[0].title.starts_with("Agents disagree on db/primary"),
        "{}",
        open[0].title
    );
    engine.shutdown().await;
    fleet.shutdown().await;
}

scenario_opens!(
    needs_approval_the_publisher_asks_before_publishing,
    NeedsApproval,
    "needs_approval",
    ["publisher"],
    Some("cms://posts/launch")
);

#[tokio::test]
async fn a_question_found_again_run_after_run_is_written_once() {
    let played = play(Scenario::NeedsApproval).await;
    played.finding("needs_approval").await;
    let at_first = played.engine.stats().detector;
    // Ten more runs (one every 200 ms) find the same open question again.
    let runs = eventually(Duration::from_secs(10), || {
        played.engine.stats().detector.runs >= at_first.runs + 10
    })
    .await;
    assert!(runs, "{:?}", played.engine.stats().detector);
    let later = played.engine.stats().detector;
    assert!(
        later.findings >= at_first.findings + 10,
        "found again each run: {later:?}"
    );
    assert_eq!(
        later.findings_written, at_first.findings_written,
        "nothing new was written: {later:?}"
    );
    played.engine.shutdown().await;
    played.fleet.shutdown().await;
}

#[tokio::test]
async fn a_stall_whose_title_ticks_is_written_again_at_most_once_a_minute() {
    // The budget of 2 h: the stalled task does not also run out of time in the meantime.
    let mut config = config();
    config.detect.defaults.time_budget = chrono::Duration::hours(2);
    let played = play_with(Scenario::Stall, config).await;
    played.finding("stall").await;
    let at_first = played.engine.stats().detector;
    // "no progress for 2s", "… 3s", …: the title changes with every run for the next 2 s.
    let runs = eventually(Duration::from_secs(10), || {
        played.engine.stats().detector.runs >= at_first.runs + 10
    })
    .await;
    assert!(runs, "{:?}", played.engine.stats().detector);
    let later = played.engine.stats().detector;
    assert_eq!(
        later.findings_written, at_first.findings_written,
        "a ticking title alone is not written within the minute: {later:?}"
    );
    played.engine.shutdown().await;
    played.fleet.shutdown().await;
}

scenario_opens!(
    invalid_handoff_the_brief_lacks_a_summary_and_its_title_is_a_number,
    InvalidHandoff,
    "invalid_handoff",
    ["researcher", "writer"],
    Some("file:///research/launch-brief.md")
);

#[tokio::test]
async fn rate_limit_pressure_writer_and_editor_share_one_openai_quota() {
    let played = play(Scenario::RateLimitPressure).await;
    let both = played.baton_ids(&["writer", "editor"]);
    // Both bursts in one minute make 90 % at tick 2; should the ticks straddle a minute, the
    // 429s of tick 3 (both agents calling) name both. Wait for the escalation naming both.
    let named = eventually(WITHIN, || {
        played
            .open_escalations()
            .iter()
            .any(|e| e.kind.as_str() == "rate_limit_pressure" && e.agents == both)
    })
    .await;
    assert!(named, "open: {:#?}", played.open_escalations());
    // The ledger counts every call (103 by tick 3), the 429s among them, and the limit the
    // headers gave.
    let store = played.engine.store();
    let counted = || {
        let minutes = store
            .read_blocking(move |s| s.api_minutes("openai", None, 0, i64::MAX))
            .unwrap();
        let calls: u64 = minutes.iter().map(|m| m.requests).sum();
        let limited: u64 = minutes.iter().map(|m| m.rate_limited).sum();
        (calls, limited)
    };
    eventually(WITHIN, || counted() == (103, 3)).await;
    assert_eq!(counted(), (103, 3));
    let quotas = store
        .read_blocking(move |s| s.quotas("openai", None))
        .unwrap();
    assert_eq!((quotas[0].limit, quotas[0].window_seconds), (100, 60));
    // The last reading wins: at tick 3 the writer's burst ends at 5 remaining and the editor's
    // at 0, a moment apart in either order.
    assert!(
        matches!(quotas[0].remaining, Some(0 | 5)),
        "{:?}",
        quotas[0].remaining
    );
    played
        .expect(
            "rate_limit_pressure",
            &["writer", "editor"],
            Some("api:openai"),
        )
        .await;
}

/// "Try a scenario → deadlock" beside the running demo, as the app runs it: the story's Writer
/// and Editor report the ids the scenario's do ("writer", "editor") and have tasks of their own;
/// the scenario's agents report ids of their own, so their dependencies point at each other and
/// the deadlock is theirs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scenario_beside_the_demo_story_raises_its_item_between_its_own_agents() {
    let story = SimFleet::start_story(0, TICK_MS).await.unwrap();
    let fleet = SimFleet::start_scenario_beside(Scenario::Deadlock, "@deadlock", 0, TICK_MS)
        .await
        .unwrap();
    let engine = engine_with(config());
    engine.start_all().await.unwrap();
    for (agents, suffix) in [(story.agents(), " (demo)"), (fleet.agents(), " (deadlock)")] {
        for agent in agents {
            let name = format!("{}{suffix}", agent.name);
            engine
                .add_agent(draft(&name, &agent.base_url, POLL_MS, TIMEOUT_MS), None)
                .await
                .unwrap();
        }
    }
    let mut ids = HashMap::new();
    for agent in fleet.agents() {
        assert!(agent.id.ends_with("@deadlock"), "{}", agent.id);
        let stored = engine.read(|s| s.agents()).await.unwrap();
        let id = stored
            .iter()
            .find(|a| a.base_url == agent.base_url)
            .unwrap()
            .id;
        ids.insert(agent.id, id);
    }
    let played = Played {
        scenario: Scenario::Deadlock,
        fleet,
        engine,
        ids,
    };
    let deadlock = played.finding("deadlock").await;
    assert_eq!(
        deadlock.agents,
        played.baton_ids(&["editor@deadlock", "writer@deadlock"]),
        "{}",
        deadlock.title
    );
    played.engine.shutdown().await;
    played.fleet.shutdown().await;
    story.shutdown().await;
}
