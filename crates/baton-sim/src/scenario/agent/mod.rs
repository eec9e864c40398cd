//! One agent of a scenario (or of the demo's story) as a pure state machine: each tick plays
//! the beats scripted for it, polls page its events like any `baton/1` agent, and it obeys the
//! decisions it receives (see `obey`). No clock, no I/O: the caller passes the time in.

use baton_core::protocol::{
    AgentInfo, AgentState, DecisionDelivery, Declares, Event, EventKind, StatusDocument, Task,
    PROTOCOL,
};
use baton_core::task::TaskState;
use chrono::{DateTime, Utc};
use serde_json::json;

use baton_core::rules::ResourcePattern;

use super::timeline::{Action, Cast, TaskSpec};
use crate::held::{DecisionLog, HeldEvents, Obeys};

pub(crate) mod calls;
mod obey;

/// What the agent held back because of a decision, the latest first out (at most this many).
const OBEYED_KEPT: usize = 64;

/// One agent of a running scenario.
#[derive(Debug, Clone)]
pub struct ScenarioAgent {
    cast: Cast,
    /// The id it reports: its cast's, or that with a suffix when it runs beside another fleet.
    id: String,
    /// This agent's beats: (tick, action), in timeline order.
    beats: Vec<(u64, Action)>,
    declares: Declares,
    ticks: u64,
    tasks: Vec<Task>,
    events: HeldEvents,
    decisions: DecisionLog,
    /// Tasks waiting on a person: (task, the resource the approval lets it write).
    asked: Vec<(String, String)>,
    /// Approved (or retried) tasks that finish on the next tick, writing the resource if any.
    approved: Vec<(String, Option<String>)>,
    /// What decisions gave to other agents: the agent no longer writes it.
    forbidden: Vec<ResourcePattern>,
    /// APIs on which a person set this agent a budget: its bursts stop short of a 429.
    budgets: Vec<String>,
    /// What it held back because of a decision, in words, oldest first.
    obeyed: Vec<String>,
    /// Set by a `GoDark` beat until the fleet closes the listener.
    dark_pending: bool,
    /// Set by a `Relight` beat until the fleet opens the listener again.
    relight_pending: bool,
    /// Its plain API calls this minute, per API (for the rate-limit headers it reports).
    minute_calls: calls::MinuteCalls,
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
                if let Some(trigger) = &spec.trigger {
                    push_unique(&mut d.triggers, trigger);
                }
                spec.reads.iter().for_each(|r| push_unique(&mut d.reads, r));
                spec.writes
                    .iter()
                    .for_each(|w| push_unique(&mut d.writes, w));
                if let Some(output) = &spec.output {
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
            id: cast.id.to_owned(),
            cast,
            declares: declares_of(&beats),
            beats,
            ticks: 0,
            tasks: Vec::new(),
            events: HeldEvents::default(),
            decisions: DecisionLog::default(),
            asked: Vec::new(),
            approved: Vec::new(),
            forbidden: Vec::new(),
            budgets: Vec::new(),
            obeyed: Vec::new(),
            dark_pending: false,
            relight_pending: false,
            minute_calls: calls::MinuteCalls::default(),
        }
    }

    /// Replaces what the agent declares (by default, everything its beats touch).
    pub fn with_declares(mut self, declares: Declares) -> ScenarioAgent {
        self.declares = declares;
        self
    }

    /// Reports `id` instead of its cast's (see [`crate::Scenario::agents_beside`]).
    pub fn with_id(mut self, id: String) -> ScenarioAgent {
        self.id = id;
        self
    }

    pub fn id(&self) -> &str {
        &self.id
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

    /// True once a `Relight` beat has played and the fleet has not yet reopened the listener.
    pub fn relight_pending(&self) -> bool {
        self.relight_pending
    }

    /// The fleet opened the listener again.
    pub fn relit(&mut self) {
        self.relight_pending = false;
    }

    /// What the agent held back because of decisions, in words, oldest first (the latest 64).
    pub fn obeyed(&self) -> &[String] {
        &self.obeyed
    }

    /// Plays the next tick at `now`: approved tasks finish, then this tick's beats play.
    pub fn tick(&mut self, now: DateTime<Utc>) {
        self.tick_with(now, Vec::new());
    }

    /// [`ScenarioAgent::tick`], then `extra` actions (what a story decides tick by tick).
    pub fn tick_with(&mut self, now: DateTime<Utc>, extra: Vec<Action>) {
        self.ticks += 1;
        for (task, resource) in std::mem::take(&mut self.approved) {
            if let Some(resource) = resource {
                self.write(&task, &resource, now);
            }
            self.set_state(&task, TaskState::Completed, None, now);
        }
        let due: Vec<Action> = self
            .beats
            .iter()
            .filter(|(tick, _)| *tick == self.ticks)
            .map(|(_, action)| action.clone())
            .chain(extra)
            .collect();
        for action in due {
            if self.may_play(&action) {
                self.play(action, now);
            }
        }
    }

    /// Forgets the tasks that ended before `before`, so a story that runs for days answers
    /// polls with its recent work, not all of it.
    pub fn forget_finished(&mut self, before: DateTime<Utc>) {
        self.tasks
            .retain(|t| !t.state.is_terminal() || t.state_since.is_none_or(|at| at >= before));
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

    fn play(&mut self, action: Action, now: DateTime<Utc>) {
        match action {
            Action::Start(spec) => self.start(spec, now),
            Action::State {
                task,
                state,
                detail,
            } => self.set_state(&task, state, detail, now),
            Action::Write { task, resource } => self.write(&task, &resource, now),
            Action::Read { task, resource } => {
                let mut e = event(EventKind::Read, now, &task);
                e.resource = Some(resource);
                self.events.push(e);
            }
            Action::ApiCall { task, api } => {
                // As a real client reports it: the model, the tokens each way, the quota left.
                let mut e = event(EventKind::ApiCall, now, &task);
                let nth = self.minute_calls.count(&api, now);
                let (input, output) = calls::CALL_TOKENS;
                e.resource = Some(format!("api://{api}"));
                e.model = calls::model_of(&api).map(str::to_owned);
                e.headers = Some(calls::limit_headers(&api, nth, now));
                e.api = Some(api);
                e.status = Some(200);
                e.input_tokens = Some(input);
                e.output_tokens = Some(output);
                e.tokens = Some(input + output);
                self.events.push(e);
            }
            Action::ApiBurst {
                task,
                api,
                limit,
                remaining,
                calls,
            } => {
                // With a budget, the agent stops at what the quota has left.
                let calls = if self.budgets.contains(&api) {
                    calls.min(remaining)
                } else {
                    calls
                };
                for i in 0..calls {
                    let mut e = event(EventKind::ApiCall, now, &task);
                    e.resource = Some(format!("api://{api}"));
                    e.api = Some(api.clone());
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
            Action::Spend {
                task,
                api,
                model,
                input,
                output,
                calls,
            } => {
                for _ in 0..calls {
                    let mut e = event(EventKind::ApiCall, now, &task);
                    e.resource = Some(format!("api://{api}"));
                    e.api = Some(api.clone());
                    e.model = Some(model.clone());
                    e.status = Some(200);
                    e.input_tokens = Some(input);
                    e.output_tokens = Some(output);
                    e.tokens = Some(input + output);
                    self.events.push(e);
                }
            }
            Action::Claim { task, key, value } => {
                let mut e = event(EventKind::Claim, now, &task);
                e.key = Some(key);
                e.value = Some(value);
                self.events.push(e);
            }
            Action::Ask {
                task,
                resource,
                question,
            } => {
                self.set_state(&task, TaskState::InputRequired, Some(question.clone()), now);
                let mut e = event(EventKind::NeedsApproval, now, &task);
                e.resource = Some(resource.clone());
                e.message = Some(question);
                e.payload = Some(json!({ "options": ["approve", "reject"] }));
                self.events.push(e);
                self.asked.push((task, resource));
            }
            Action::Handoff {
                task,
                to,
                resource,
                payload,
            } => {
                let mut e = event(EventKind::Handoff, now, &task);
                e.resource = Some(resource);
                e.to = Some(to);
                e.payload = Some(payload);
                self.events.push(e);
            }
            Action::GoDark => self.dark_pending = true,
            Action::Relight => self.relight_pending = true,
            Action::ForgetCounter => self.events = HeldEvents::default(),
        }
    }

    fn start(&mut self, spec: TaskSpec, now: DateTime<Utc>) {
        let since = spec.head_start.map_or(now, |running| now - running);
        if let Some(trigger) = &spec.trigger {
            let mut e = event(EventKind::Trigger, now, &spec.id);
            e.resource = Some(trigger.clone());
            self.events.push(e);
        }
        if spec.head_start.is_none() {
            let mut e = event(EventKind::State, now, &spec.id);
            e.state = Some(spec.state);
            self.events.push(e);
        }
        self.tasks.push(Task {
            id: spec.id,
            title: spec.title,
            state: spec.state,
            created_at: Some(since),
            updated_at: Some(now),
            state_since: Some(since),
            depends_on: spec.depends_on,
            trigger: spec.trigger,
            reads: spec.reads,
            writes: spec.writes,
            output: spec.output,
            next_stage: spec.next_stage,
            detail: None,
        });
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
            id: self.id.clone(),
            name: Some(self.cast.name.to_owned()),
            version: Some(env!("CARGO_PKG_VERSION").to_owned()),
            state: Some(state),
            detail: Some(format!("{working} working, {waiting} waiting")),
            declares: Some(self.declares.clone()),
        }
    }
}

/// What each action makes the agent do is in `obey.rs`.
impl Obeys for ScenarioAgent {
    fn decision_log(&mut self) -> &mut DecisionLog {
        &mut self.decisions
    }

    fn obey(&mut self, decision: &DecisionDelivery, now: DateTime<Utc>) {
        self.act_on(decision, now);
    }
}
