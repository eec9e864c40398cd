//! Each detector: it fires, it does not fire when things are in order, and it names its cause
//! so that a second run over the same situation gives the same `dedupe_key`.

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::*;
use crate::protocol::{Event, EventKind, Task};
use crate::rules::{Rule, RuleKind};
use crate::task::TaskState;

pub(super) const WRITER: i64 = 1;
pub(super) const EDITOR: i64 = 2;
pub(super) const PUBLISHER: i64 = 3;
pub(super) const DRAFT: &str = "file:///drafts/q3.md";

pub(super) fn t(secs: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap() + Duration::seconds(secs)
}

pub(super) fn agents() -> Vec<AgentStatus> {
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
        counter: None,
        branch: None,
    })
    .collect()
}

pub(super) fn ev(agent_id: i64, seq: u64, at: i64, kind: EventKind) -> ObservedEvent {
    ObservedEvent {
        agent_id,
        event: Event::new(seq, t(at), kind),
    }
}

pub(super) fn on(mut e: ObservedEvent, resource: &str) -> ObservedEvent {
    e.event.resource = Some(resource.into());
    e
}

pub(super) fn in_task(mut e: ObservedEvent, task: &str) -> ObservedEvent {
    e.event.task_id = Some(task.into());
    e
}

pub(super) fn task(agent_id: i64, id: &str, state: TaskState, since: i64) -> ObservedTask {
    ObservedTask {
        agent_id,
        task: Task {
            created_at: Some(t(since)),
            updated_at: Some(t(since)),
            state_since: Some(t(since)),
            ..Task::new(id, id, state)
        },
        updated_at: t(since),
    }
}

pub(super) struct World {
    pub(super) now: DateTime<Utc>,
    pub(super) new_events: Vec<ObservedEvent>,
    pub(super) old_events: Vec<ObservedEvent>,
    pub(super) tasks: Vec<ObservedTask>,
    pub(super) rules: Vec<Rule>,
    pub(super) agents: Vec<AgentStatus>,
    pub(super) config: DetectConfig,
    pub(super) schemas: handoff::HandoffSchemas,
    /// What the store would say of dependencies the book does not hold.
    pub(super) stored: dependencies::StoredStates,
    /// Sessions waiting for each other's files.
    pub(super) lease_waits: Vec<deadlock::LeaseWait>,
}

impl World {
    pub(super) fn at(now: i64) -> World {
        World {
            now: t(now),
            new_events: vec![],
            old_events: vec![],
            tasks: vec![],
            rules: vec![],
            agents: agents(),
            config: DetectConfig::default(),
            schemas: handoff::HandoffSchemas::default(),
            stored: dependencies::StoredStates::default(),
            lease_waits: Vec::new(),
        }
    }

    fn state(&self, recent: &[ObservedEvent]) -> DetectState {
        let mut state = DetectState::from_slices(recent, &self.tasks, &self.rules, &self.agents);
        state.stored = self.stored.clone();
        state.lease_waits = self.lease_waits.clone();
        state
    }

    pub(super) fn run(&self) -> Vec<Finding> {
        let mut recent = self.old_events.clone();
        recent.extend(self.new_events.iter().cloned());
        recent.sort_by_key(|e| e.event.at);
        let state = self.state(&recent);
        detect(&state.input(self.now, &self.new_events, &self.config, &self.schemas)).findings
    }

    pub(super) fn dead_letters(&self) -> Vec<handoff::DeadLetter> {
        let state = self.state(&self.new_events);
        detect(&state.input(self.now, &self.new_events, &self.config, &self.schemas)).dead_letters
    }

    pub(super) fn kinds(&self) -> Vec<FindingKind> {
        self.run().iter().map(|f| f.kind).collect()
    }
}

mod agents;
mod pipelines;
mod resources;
mod scale;
mod tasks;
