//! One agent of a scenario as a pure state machine: each tick plays the beats scripted for it,
//! polls page its events like any `baton/1` agent, and a decision on the task it asked about
//! resumes or cancels it. No clock, no I/O: the caller passes the time in.

use baton_core::protocol::{
    AgentInfo, AgentState, DecisionDelivery, Declares, Event, EventKind, StatusDocument, Task,
    PROTOCOL,
};
use baton_core::task::TaskState;
use chrono::{DateTime, Utc};
use serde_json::json;

use super::timeline::{Action, Cast, TaskSpec};
use crate::held::{DecisionLog, HeldEvents};

/// One agent of a running scenario.
#[derive(Debug, Clone)]
pub struct ScenarioAgent {
    cast: Cast,
    /// This agent's beats: (tick, action), in timeline order.
    beats: Vec<(u64, Action)>,
    declares: Declares,
    ticks: u64,
    tasks: Vec<Task>,
    events: HeldEvents,
    decisions: DecisionLog,
    /// Tasks waiting on a person: (task, the resource the approval lets it write).
    asked: Vec<(String, String)>,
    /// Approved tasks that finish on the next tick.
    approved: Vec<(String, String)>,
    /// Set by a `GoDark` beat until the fleet closes the listener.
    dark_pending: bool,
}

fn event(kind: EventKind, at: DateTime<Utc>, task: &str) -> Event {
    Event {
        task_id: Some(task.to_owned()),
        ..Event::new(0, at, kind)
    }
}

fn push_unique(list: &mut Vec<String>, item: &str) {
    if !list.iter().any(|x| x == item) {
        list.push(item.to_owned());
    }
}

/// What the agent declares: every trigger, read, write and output its beats touch.
fn declares_of(beats: &[(u64, Action)]) -> Declares {
    let mut d = Declares::default();
    for (_, action) in beats {
        match action {
            Action::Start(spec) => {
                if let Some(trigger) = spec.trigger {
                    push_unique(&mut d.triggers, trigger);
                }
                spec.reads.iter().for_each(|r| push_unique(&mut d.reads, r));
                spec.writes
                    .iter()
                    .for_each(|w| push_unique(&mut d.writes, w));
                if let Some(output) = spec.output {
                    push_unique(&mut d.outputs, output);
                }
            }
            Action::Read { resource, .. } => push_unique(&mut d.reads, resource),
            Action::Write { resource, .. } | Action::Ask { resource, .. } => {
                push_unique(&mut d.writes, resource);
            }
            _ => {}
        }
    }
    d
}

impl ScenarioAgent {
    pub fn new(cast: Cast, beats: Vec<(u64, Action)>) -> ScenarioAgent {
        ScenarioAgent {
            cast,
            declares: declares_of(&beats),
            beats,
            ticks: 0,
            tasks: Vec::new(),
            events: HeldEvents::default(),
            decisions: DecisionLog::default(),
            asked: Vec::new(),
            approved: Vec::new(),
            dark_pending: false,
        }
    }

    pub fn id(&self) -> &str {
        self.cast.id
    }

    pub fn name(&self) -> &str {
        self.cast.name
    }

    pub fn ticks(&self) -> u64 {
        self.ticks
    }

    /// The tick of this agent's last beat (0 without beats): after it, it only answers polls.
    pub fn last_beat(&self) -> u64 {
        self.beats.iter().map(|(tick, _)| *tick).max().unwrap_or(0)
    }

    pub fn tasks(&self) -> &[Task] {
        &self.tasks
    }

    /// The events still held (not yet passed by a poll's `since`), oldest first.
    pub fn held_events(&self) -> impl Iterator<Item = &Event> {
        self.events.iter()
    }

    pub fn last_seq(&self) -> u64 {
        self.events.last_seq()
    }

    pub fn decisions(&self) -> &[DecisionDelivery] {
        self.decisions.all()
    }

    /// True once a `GoDark` beat has played and the fleet has not yet closed the listener.
    pub fn dark_pending(&self) -> bool {
        self.dark_pending
    }

    /// The fleet closed the listener.
    pub fn went_dark(&mut self) {
        self.dark_pending = false;
    }

    /// Plays the next tick at `now`: approved tasks finish, then this tick's beats play.
    pub fn tick(&mut self, now: DateTime<Utc>) {
        self.ticks += 1;
        for (task, resource) in std::mem::take(&mut self.approved) {
            self.write(&task, &resource, now);
            self.set_state(&task, TaskState::Completed, None, now);
        }
        let due: Vec<Action> = self
            .beats
            .iter()
            .filter(|(tick, _)| *tick == self.ticks)
            .map(|(_, action)| action.clone())
            .collect();
        for action in due {
            self.play(action, now);
        }
    }

    /// Answers a status poll (see [`HeldEvents::page`]).
    pub fn poll(&mut self, since: Option<&str>, max_events: usize) -> StatusDocument {
        let (events, cursor) = self.events.page(since, max_events);
        StatusDocument {
            protocol: PROTOCOL.to_owned(),
            agent: self.agent_info(),
            tasks: self.tasks.clone(),
            events,
            usage: Vec::new(),
            cursor,
        }
    }

    /// Applies a decision once per `key`; returns true when the key was seen before.
    /// `approve` resumes the task that asked (it writes and completes on the next tick);
    /// `reject` cancels it.
    pub fn apply_decision(
        &mut self,
        key: &str,
        decision: DecisionDelivery,
        now: DateTime<Utc>,
    ) -> bool {
        if !self.decisions.first_time(key) {
            return true;
        }
        let asked = decision
            .task_id
            .as_deref()
            .and_then(|id| self.asked.iter().position(|(task, _)| task == id));
        if let Some(i) = asked {
            let by = decision.decided_by.clone();
            match decision.action.as_str() {
                "approve" => {
                    let (task, resource) = self.asked.remove(i);
                    let detail = format!("approved by {by}");
                    self.set_state(&task, TaskState::Working, Some(detail), now);
                    self.approved.push((task, resource));
                }
                "reject" => {
                    let (task, _) = self.asked.remove(i);
                    let detail = format!("rejected by {by}");
                    self.set_state(&task, TaskState::Canceled, Some(detail), now);
                }
                _ => {}
            }
        }
        self.decisions.push(decision);
        false
    }

    fn play(&mut self, action: Action, now: DateTime<Utc>) {
        match action {
            Action::Start(spec) => self.start(spec, now),
            Action::State {
                task,
                state,
                detail,
            } => self.set_state(task, state, detail.map(str::to_owned), now),
            Action::Write { task, resource } => self.write(task, resource, now),
            Action::Read { task, resource } => {
                let mut e = event(EventKind::Read, now, task);
                e.resource = Some(resource.to_owned());
                self.events.push(e);
            }
            Action::ApiCall { task, api } => {
                let mut e = event(EventKind::ApiCall, now, task);
                e.resource = Some(format!("api://{api}"));
                e.api = Some(api.to_owned());
                e.status = Some(200);
                e.tokens = Some(800);
                self.events.push(e);
            }
            Action::ApiBurst {
                task,
                api,
                limit,
                remaining,
                calls,
            } => {
                for i in 0..calls {
                    let mut e = event(EventKind::ApiCall, now, task);
                    e.resource = Some(format!("api://{api}"));
                    e.api = Some(api.to_owned());
                    e.tokens = Some(400);
                    let left = remaining.checked_sub(i + 1);
                    e.status = Some(if left.is_some() { 200 } else { 429 });
                    let mut headers = std::collections::BTreeMap::new();
                    headers.insert("x-ratelimit-limit-requests".to_owned(), limit.to_string());
                    headers.insert(
                        "x-ratelimit-remaining-requests".to_owned(),
                        left.unwrap_or(0).to_string(),
                    );
                    headers.insert("x-ratelimit-reset-requests".to_owned(), "30s".to_owned());
                    if left.is_none() {
                        headers.insert("retry-after-ms".to_owned(), "30000".to_owned());
                    }
                    e.headers = Some(headers);
                    self.events.push(e);
                }
            }
            Action::Claim { task, key, value } => {
                let mut e = event(EventKind::Claim, now, task);
                e.key = Some(key.to_owned());
                e.value = Some(value);
                self.events.push(e);
            }
            Action::Ask {
                task,
                resource,
                question,
            } => {
                self.set_state(
                    task,
                    TaskState::InputRequired,
                    Some(question.to_owned()),
                    now,
                );
                let mut e = event(EventKind::NeedsApproval, now, task);
                e.resource = Some(resource.to_owned());
                e.message = Some(question.to_owned());
                e.payload = Some(json!({ "options": ["approve", "reject"] }));
                self.events.push(e);
                self.asked.push((task.to_owned(), resource.to_owned()));
            }
            Action::Handoff {
                task,
                to,
                resource,
                payload,
            } => {
                let mut e = event(EventKind::Handoff, now, task);
                e.resource = Some(resource.to_owned());
                e.to = Some(to.to_owned());
                e.payload = Some(payload);
                self.events.push(e);
            }
            Action::GoDark => self.dark_pending = true,
        }
    }

    fn start(&mut self, spec: TaskSpec, now: DateTime<Utc>) {
        let since = spec.head_start.map_or(now, |running| now - running);
        let list = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect();
        self.tasks.push(Task {
            id: spec.id.to_owned(),
            title: spec.title.to_owned(),
            state: spec.state,
            created_at: Some(since),
            updated_at: Some(now),
            state_since: Some(since),
            depends_on: list(&spec.depends_on),
            trigger: spec.trigger.map(str::to_owned),
            reads: list(&spec.reads),
            writes: list(&spec.writes),
            output: spec.output.map(str::to_owned),
            next_stage: spec.next_stage.map(str::to_owned),
            detail: None,
        });
        if let Some(trigger) = spec.trigger {
            let mut e = event(EventKind::Trigger, now, spec.id);
            e.resource = Some(trigger.to_owned());
            self.events.push(e);
        }
        if spec.head_start.is_none() {
            let mut e = event(EventKind::State, now, spec.id);
            e.state = Some(spec.state);
            self.events.push(e);
        }
    }

    fn write(&mut self, task: &str, resource: &str, now: DateTime<Utc>) {
        let mut e = event(EventKind::Write, now, task);
        e.resource = Some(resource.to_owned());
        self.events.push(e);
    }

    /// Moves a task to `state` with a `state` event. A task the timeline never started is a
    /// scripting mistake: the event is still reported, so it shows.
    fn set_state(
        &mut self,
        task: &str,
        state: TaskState,
        detail: Option<String>,
        now: DateTime<Utc>,
    ) {
        if let Some(t) = self.tasks.iter_mut().find(|t| t.id == task) {
            t.state = state;
            t.state_since = Some(now);
            t.updated_at = Some(now);
            t.detail = detail.clone();
        }
        let mut e = event(EventKind::State, now, task);
        e.state = Some(state);
        e.message = detail;
        self.events.push(e);
    }

    fn agent_info(&self) -> AgentInfo {
        let count = |f: fn(TaskState) -> bool| self.tasks.iter().filter(|t| f(t.state)).count();
        let working = count(|s| s == TaskState::Working);
        let waiting = count(|s| {
            matches!(
                s,
                TaskState::InputRequired | TaskState::AuthRequired | TaskState::Blocked
            )
        });
        let state = if working > 0 {
            AgentState::Working
        } else if waiting > 0 {
            AgentState::Blocked
        } else {
            AgentState::Idle
        };
        AgentInfo {
            id: self.cast.id.to_owned(),
            name: Some(self.cast.name.to_owned()),
            version: Some(env!("CARGO_PKG_VERSION").to_owned()),
            state: Some(state),
            detail: Some(format!("{working} working, {waiting} waiting")),
            declares: Some(self.declares.clone()),
        }
    }
}
