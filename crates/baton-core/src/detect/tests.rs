//! Each detector: it fires, it does not fire when things are in order, and it names its cause
//! so that a second run over the same situation gives the same `dedupe_key`.

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::json;

use super::*;
use crate::protocol::{Event, EventKind, Task};
use crate::rules::{Rule, RuleKind};
use crate::task::TaskState;

const WRITER: i64 = 1;
const EDITOR: i64 = 2;
const PUBLISHER: i64 = 3;
const DRAFT: &str = "file:///drafts/q3.md";

fn t(secs: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap() + Duration::seconds(secs)
}

fn agents() -> Vec<AgentStatus> {
    [
        (WRITER, "Writer", "writer-1"),
        (EDITOR, "Editor", "editor-1"),
        (PUBLISHER, "Publisher", "publisher-1"),
    ]
    .into_iter()
    .map(|(id, name, remote)| AgentStatus {
        id,
        name: name.into(),
        remote_id: Some(remote.into()),
        consecutive_failures: 0,
        last_error: None,
        last_success: None,
    })
    .collect()
}

fn ev(agent_id: i64, seq: u64, at: i64, kind: EventKind) -> ObservedEvent {
    ObservedEvent {
        agent_id,
        event: Event::new(seq, t(at), kind),
    }
}

fn on(mut e: ObservedEvent, resource: &str) -> ObservedEvent {
    e.event.resource = Some(resource.into());
    e
}

fn in_task(mut e: ObservedEvent, task: &str) -> ObservedEvent {
    e.event.task_id = Some(task.into());
    e
}

fn task(agent_id: i64, id: &str, state: TaskState, since: i64) -> ObservedTask {
    ObservedTask {
        agent_id,
        task: Task {
            id: id.into(),
            title: id.into(),
            state,
            created_at: Some(t(since)),
            updated_at: Some(t(since)),
            state_since: Some(t(since)),
            depends_on: vec![],
            trigger: None,
            reads: vec![],
            writes: vec![],
            output: None,
            next_stage: None,
            detail: None,
        },
        updated_at: t(since),
    }
}

struct World {
    now: DateTime<Utc>,
    new_events: Vec<ObservedEvent>,
    old_events: Vec<ObservedEvent>,
    tasks: Vec<ObservedTask>,
    rules: Vec<Rule>,
    agents: Vec<AgentStatus>,
    config: DetectConfig,
    schemas: handoff::HandoffSchemas,
}

impl World {
    fn at(now: i64) -> World {
        World {
            now: t(now),
            new_events: vec![],
            old_events: vec![],
            tasks: vec![],
            rules: vec![],
            agents: agents(),
            config: DetectConfig::default(),
            schemas: handoff::HandoffSchemas::default(),
        }
    }

    fn run(&self) -> Vec<Finding> {
        let mut recent = self.old_events.clone();
        recent.extend(self.new_events.iter().cloned());
        recent.sort_by_key(|e| e.event.at);
        detect(&DetectInput {
            now: self.now,
            new_events: &self.new_events,
            recent: &recent,
            tasks: &self.tasks,
            rules: &self.rules,
            agents: &self.agents,
            config: &self.config,
            handoff_schemas: &self.schemas,
        })
        .findings
    }

    fn dead_letters(&self) -> Vec<handoff::DeadLetter> {
        detect(&DetectInput {
            now: self.now,
            new_events: &self.new_events,
            recent: &self.new_events,
            tasks: &self.tasks,
            rules: &self.rules,
            agents: &self.agents,
            config: &self.config,
            handoff_schemas: &self.schemas,
        })
        .dead_letters
    }

    fn kinds(&self) -> Vec<FindingKind> {
        self.run().iter().map(|f| f.kind).collect()
    }
}

#[test]
fn a_write_to_a_resource_owned_by_another_agent_is_a_violation() {
    let mut w = World::at(10);
    w.rules = vec![Rule::new(RuleKind::Output, "file:///drafts/**", "Writer")];
    w.new_events = vec![on(ev(EDITOR, 7, 5, EventKind::Write), DRAFT)];
    let found = w.run();
    assert_eq!(found.len(), 1, "{found:#?}");
    let f = &found[0];
    assert_eq!(f.kind, FindingKind::OwnershipViolation);
    assert_eq!(f.severity, Severity::Critical);
    assert_eq!(f.agents, [WRITER, EDITOR]);
    assert_eq!(
        f.evidence,
        [EvidenceRef {
            agent_id: EDITOR,
            seq: 7
        }]
    );
    assert_eq!(
        f.dedupe_key,
        format!("ownership_violation:{EDITOR}:{DRAFT}")
    );
    assert!(f.summary.contains("gives to Writer"), "{}", f.summary);

    // The owner, or an agent in the rule's sequence, may write.
    w.new_events = vec![on(ev(WRITER, 8, 5, EventKind::Write), DRAFT)];
    assert!(w.kinds().is_empty());
    w.rules[0].sequence = vec!["Editor".into()];
    w.new_events = vec![on(ev(EDITOR, 9, 5, EventKind::Write), DRAFT)];
    assert!(w.kinds().is_empty());
    // No rule, no violation (a collision needs a second writer).
    w.rules.clear();
    assert!(w.kinds().is_empty());
}

#[test]
fn a_handoff_leases_the_resource_to_the_receiver_until_it_completes() {
    let mut w = World::at(100);
    w.rules = vec![Rule::new(RuleKind::Output, "file:///drafts/**", "Writer")];
    let mut handoff = on(ev(WRITER, 1, 10, EventKind::Handoff), DRAFT);
    handoff.event.to = Some("editor-1".into());
    w.old_events = vec![handoff];
    // The editor holds it: its write is fine, the writer's own write is a violation.
    w.new_events = vec![on(ev(EDITOR, 5, 20, EventKind::Write), DRAFT)];
    assert!(w.kinds().is_empty(), "{:#?}", w.run());
    w.new_events = vec![on(ev(WRITER, 2, 30, EventKind::Write), DRAFT)];
    let found = w.run();
    assert_eq!(found.len(), 1);
    assert!(
        found[0].summary.contains("while Editor held it"),
        "{}",
        found[0].summary
    );
    assert_eq!(found[0].evidence.len(), 2);
    // Once the editor completes, the rule applies again.
    let mut done = ev(EDITOR, 6, 40, EventKind::State);
    done.event.state = Some(TaskState::Completed);
    w.old_events.push(done);
    w.new_events = vec![on(ev(EDITOR, 7, 50, EventKind::Write), DRAFT)];
    assert_eq!(w.kinds(), [FindingKind::OwnershipViolation]);
}

#[test]
fn two_writers_within_the_window_collide_once() {
    let mut w = World::at(100);
    w.old_events = vec![on(ev(EDITOR, 3, 20, EventKind::Write), DRAFT)];
    w.new_events = vec![on(ev(PUBLISHER, 9, 50, EventKind::Write), DRAFT)];
    let found = w.run();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].kind, FindingKind::WriteCollision);
    assert_eq!(found[0].agents, [EDITOR, PUBLISHER]);
    assert_eq!(found[0].dedupe_key, format!("write_collision:{DRAFT}:2,3"));
    // The same situation seen again gives the same cause.
    assert_eq!(w.run()[0].dedupe_key, found[0].dedupe_key);

    // Outside the window, or after a handoff between them, or accepted in a sequence: fine.
    w.new_events = vec![on(ev(PUBLISHER, 9, 200, EventKind::Write), DRAFT)];
    assert!(w.kinds().is_empty());
    let mut handoff = on(ev(EDITOR, 4, 30, EventKind::Handoff), DRAFT);
    handoff.event.to = Some("publisher-1".into());
    w.old_events.push(handoff);
    w.new_events = vec![on(ev(PUBLISHER, 9, 50, EventKind::Write), DRAFT)];
    assert!(w.kinds().is_empty());
    w.old_events.pop();
    w.rules = vec![Rule {
        sequence: vec!["Publisher".into()],
        ..Rule::new(RuleKind::Output, "file:///drafts/**", "Editor")
    }];
    assert!(w.kinds().is_empty());
}

#[test]
fn two_agents_on_one_trigger_collide() {
    let mut w = World::at(100);
    let inbox = "mail://inbox/billing/msg-42";
    w.old_events = vec![on(ev(WRITER, 1, 10, EventKind::Trigger), inbox)];
    w.new_events = vec![on(ev(EDITOR, 1, 12, EventKind::Trigger), inbox)];
    assert_eq!(w.kinds(), [FindingKind::TriggerCollision]);
    w.new_events = vec![on(ev(WRITER, 2, 12, EventKind::Trigger), inbox)];
    assert!(w.kinds().is_empty(), "one agent twice is not a collision");
}

#[test]
fn reading_what_another_agent_is_still_writing() {
    let mut w = World::at(100);
    w.tasks = vec![task(WRITER, "draft-1", TaskState::Working, 0)];
    w.old_events = vec![in_task(
        on(ev(WRITER, 1, 10, EventKind::Write), DRAFT),
        "draft-1",
    )];
    w.new_events = vec![on(ev(EDITOR, 1, 20, EventKind::Read), DRAFT)];
    assert_eq!(w.kinds(), [FindingKind::ReadDuringWrite]);
    // Once the writer's task is done, reading is fine.
    w.tasks[0].task.state = TaskState::Completed;
    assert!(w.kinds().is_empty());
}

#[test]
fn a_task_started_before_its_dependency_completed() {
    let mut w = World::at(100);
    let mut second = task(WRITER, "write-2", TaskState::Working, 50);
    second.task.depends_on = vec!["research-1".into()];
    w.tasks = vec![task(WRITER, "research-1", TaskState::Working, 0), second];
    let found = w.run();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].kind, FindingKind::Sequencing);
    assert_eq!(found[0].dedupe_key, format!("sequencing:{WRITER}:write-2"));
    w.tasks[0].task.state = TaskState::Completed;
    assert!(w.kinds().is_empty());
    // Queued behind its dependency is fine.
    w.tasks[0].task.state = TaskState::Working;
    w.tasks[1].task.state = TaskState::Submitted;
    assert!(w.kinds().is_empty());
}

#[test]
fn a_completion_nobody_picks_up() {
    let mut w = World::at(60 * 30);
    let mut done = task(WRITER, "draft-1", TaskState::Completed, 60);
    done.task.next_stage = Some("editor-1".into());
    w.tasks = vec![done];
    w.old_events = vec![ev(WRITER, 1, 30, EventKind::State)];
    let found = w.run();
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].kind, FindingKind::SilentCompletion);
    assert_eq!(found[0].agents, [WRITER, EDITOR]);
    assert!(found[0].summary.contains("Editor has shown nothing since"));
    // The editor did something after: picked up.
    w.old_events.push(ev(EDITOR, 1, 120, EventKind::Read));
    assert!(w.kinds().is_empty());
    // Still inside the window: too early to say.
    w.old_events.pop();
    w.now = t(60 + 300);
    assert!(w.kinds().is_empty());
}

#[test]
fn stalled_and_over_budget_tasks() {
    let mut w = World::at(60 * 20);
    w.tasks = vec![task(WRITER, "draft-1", TaskState::Working, 0)];
    assert_eq!(w.kinds(), [FindingKind::Stall]);
    // The key names the episode: no progress since t(0).
    assert_eq!(
        w.run()[0].dedupe_key,
        format!("stall:{WRITER}:draft-1:{}", t(0).timestamp())
    );
    // Progress (an event of the task) resets the stall.
    w.old_events = vec![in_task(ev(WRITER, 3, 60 * 19, EventKind::Write), "draft-1")];
    assert!(w.kinds().is_empty());
    // Past the 2 h budget even with progress.
    w.now = t(60 * 60 * 3);
    w.old_events = vec![in_task(
        ev(WRITER, 3, 60 * 60 * 3 - 10, EventKind::Write),
        "draft-1",
    )];
    assert_eq!(w.kinds(), [FindingKind::Timeout]);
    // Windows are per agent.
    w.config.per_agent = vec![(
        WRITER,
        Windows {
            time_budget: Duration::hours(4),
            ..Windows::default()
        },
    )];
    assert!(w.kinds().is_empty());
}

#[test]
fn an_agent_failing_polls_in_a_row_is_unreachable() {
    let mut w = World::at(0);
    w.agents[1].consecutive_failures = 4;
    assert!(w.kinds().is_empty());
    w.agents[1].consecutive_failures = 5;
    w.agents[1].last_error = Some("connection refused".into());
    let found = w.run();
    assert_eq!(found[0].kind, FindingKind::Unreachable);
    assert_eq!(
        found[0].summary,
        "Editor failed 5 polls in a row: connection refused"
    );
    assert_eq!(found[0].dedupe_key, format!("unreachable:{EDITOR}:never"));
    // A later episode (after a successful poll) is another cause.
    w.agents[1].last_success = Some(t(0));
    assert_eq!(
        w.run()[0].dedupe_key,
        format!("unreachable:{EDITOR}:{}", t(0).timestamp())
    );
}

#[test]
fn agents_stating_different_values_for_one_key() {
    let mut w = World::at(100);
    let claim = |agent, seq, at, value: serde_json::Value| {
        let mut e = ev(agent, seq, at, EventKind::Claim);
        e.event.key = Some("invoice/881.status".into());
        e.event.value = Some(value);
        e
    };
    w.old_events = vec![claim(WRITER, 1, 10, json!("paid"))];
    w.new_events = vec![claim(EDITOR, 1, 20, json!("unpaid"))];
    let found = w.run();
    assert_eq!(found[0].kind, FindingKind::DivergentClaims);
    assert!(
        found[0].summary.contains("Writer says \"paid\""),
        "{}",
        found[0].summary
    );
    // Agreeing, or the writer changing its mind to agree, is fine.
    w.new_events = vec![claim(EDITOR, 1, 20, json!("paid"))];
    assert!(w.kinds().is_empty());
    w.old_events.push(claim(WRITER, 2, 15, json!("unpaid")));
    w.new_events = vec![claim(EDITOR, 1, 20, json!("unpaid"))];
    assert!(w.kinds().is_empty());
}

#[test]
fn an_agent_asking_for_approval() {
    let mut w = World::at(100);
    let mut ask = in_task(ev(PUBLISHER, 4, 90, EventKind::NeedsApproval), "post-7");
    ask.event.message = Some("Publish the Q3 post?".into());
    w.new_events = vec![ask];
    let found = w.run();
    assert_eq!(found[0].kind, FindingKind::NeedsApproval);
    assert_eq!(found[0].summary, "Publisher asks: Publish the Q3 post?");
    assert_eq!(
        found[0].dedupe_key,
        format!("needs_approval:{PUBLISHER}:post-7")
    );
}

fn brief_schema() -> serde_json::Value {
    json!({
        "type": "object",
        "required": ["type", "title", "summary"],
        "properties": {
            "type": {"const": "brief"},
            "title": {"type": "string"},
            "summary": {"type": "string"}
        }
    })
}

fn handoff(seq: u64, payload: serde_json::Value) -> ObservedEvent {
    let mut e = on(ev(WRITER, seq, 10, EventKind::Handoff), DRAFT);
    e.event.to = Some("editor-1".into());
    e.event.payload = Some(payload);
    e
}

#[test]
fn invalid_handoff_fires_on_a_payload_that_fails_its_schema_and_keeps_it_whole() {
    let mut w = World::at(20);
    w.schemas.add("brief", &brief_schema()).unwrap();
    let bad = json!({"type": "brief", "title": 123});
    w.new_events = vec![handoff(4, bad.clone())];
    let found = w.run();
    assert_eq!(found.len(), 1);
    let f = &found[0];
    assert_eq!(f.kind, FindingKind::InvalidHandoff);
    assert_eq!(f.agents, [WRITER, EDITOR], "sender and receiver");
    assert_eq!(f.resource.as_deref(), Some(DRAFT));
    assert_eq!(f.dedupe_key, "invalid_handoff:1:4");
    assert!(
        f.summary
            .contains("brief handoff to editor-1 fails its schema"),
        "{}",
        f.summary
    );
    let letters = w.dead_letters();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].payload.as_ref(), Some(&bad));
    let paths: Vec<&str> = letters[0]
        .violations
        .iter()
        .map(|v| v.path.as_str())
        .collect();
    assert!(
        paths.contains(&"/title") && paths.contains(&""),
        "{paths:?}"
    );
    // The same event seen again names the same cause.
    assert_eq!(w.run()[0].dedupe_key, f.dedupe_key);
}

#[test]
fn invalid_handoff_stays_quiet_on_valid_unchecked_or_untyped_payloads() {
    let mut w = World::at(20);
    w.new_events = vec![handoff(1, json!({"type": "brief", "title": 1}))];
    assert!(w.run().is_empty(), "no schema registered: not checked");
    w.schemas.add("brief", &brief_schema()).unwrap();
    w.new_events = vec![
        handoff(2, json!({"type": "brief", "title": "Q3", "summary": "ok"})),
        handoff(3, json!({"type": "invoice", "total": "x"})),
        handoff(4, json!({"title": 5})),
        handoff(5, json!("not an object")),
    ];
    assert!(w.run().is_empty());
    assert!(w.dead_letters().is_empty());
}

#[test]
fn schemas_are_checked_when_registered() {
    let mut schemas = handoff::HandoffSchemas::default();
    assert!(matches!(
        schemas.add(" ", &brief_schema()),
        Err(handoff::SchemaError::BadType)
    ));
    assert!(matches!(
        schemas.add("brief", &json!({"type": "no-such-type"})),
        Err(handoff::SchemaError::Invalid(_))
    ));
    assert!(schemas.is_empty());
}
