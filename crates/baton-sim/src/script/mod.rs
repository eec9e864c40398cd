//! One simulated agent as a pure state machine: no clock, no I/O, no threads.
//!
//! [`AgentScript::tick`] advances the agent by one step at a time the caller passes in;
//! [`AgentScript::poll`] answers a status poll (and forgets the events the poll's `since` has
//! passed); [`AgentScript::apply_decision`] applies a human decision once per idempotency key.
//! Everything random comes from one `StdRng` seeded from the fleet seed and the agent's index, so
//! the same seed and the same number of ticks give the same documents, wall-clock times aside.

use baton_core::protocol::{
    AgentInfo, AgentState, DecisionDelivery, Event, EventKind, StatusDocument, Task, UsageReport,
    PROTOCOL,
};
use baton_core::task::TaskState;
use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::answer::AnswerParts;
pub use crate::held::MAX_HELD_EVENTS;
use crate::held::{DecisionLog, HeldEvents, Obeys};
use crate::roles::{self, Plan, Role};

/// Tasks an agent keeps; beyond this the oldest finished ones are dropped.
pub const MAX_TASKS: usize = 200;
/// Usage windows kept per API.
pub const USAGE_WINDOWS_KEPT: usize = 5;
/// An agent takes on new work only while it has fewer unfinished tasks than this.
const MAX_ACTIVE: usize = 4;

#[derive(Debug, Clone)]
struct SimTask {
    /// Changed only through [`AgentScript::task_mut`], which moves `revision` on.
    task: Task,
    /// The agent's change counter when the task last changed: an answer rewrites a task's
    /// JSON only when this moved ([`crate::answer::TaskTexts`]).
    revision: u64,
    plan: Plan,
    /// Ticks left in the current state.
    ticks_left: u32,
    /// Each task stops at most once (blocked, input or auth required).
    interrupted: bool,
}

/// One simulated agent's whole state.
#[derive(Debug, Clone)]
pub struct AgentScript {
    id: String,
    name: String,
    role: &'static Role,
    handoff_to: Option<String>,
    rng: StdRng,
    ticks: u64,
    created: u64,
    /// Changes made to any task so far (each task's `revision` is a value of it).
    revisions: u64,
    tasks: Vec<SimTask>,
    events: HeldEvents,
    usage: Vec<UsageReport>,
    decisions: DecisionLog,
}

fn blank_event(kind: EventKind, at: DateTime<Utc>, task_id: &str) -> Event {
    Event {
        task_id: Some(task_id.to_owned()),
        ..Event::new(0, at, kind)
    }
}

/// The seed of agent `index` in a fleet seeded with `seed` (splitmix-style spreading).
fn agent_seed(seed: u64, index: usize) -> u64 {
    let mut z = seed.wrapping_add((index as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl AgentScript {
    /// Agent `index` of a fleet of `agents`, seeded with the fleet's `seed`.
    pub fn new(index: usize, agents: usize, seed: u64) -> AgentScript {
        let (id, name) = roles::identity(index);
        AgentScript {
            id,
            name,
            role: roles::role_of(index),
            handoff_to: roles::handoff_target(index, agents),
            rng: StdRng::seed_from_u64(agent_seed(seed, index)),
            ticks: 0,
            created: 0,
            revisions: 0,
            tasks: Vec::new(),
            events: HeldEvents::default(),
            usage: Vec::new(),
            decisions: DecisionLog::default(),
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Ticks taken so far.
    pub fn ticks(&self) -> u64 {
        self.ticks
    }

    /// The agent's current tasks, oldest first.
    pub fn tasks(&self) -> Vec<Task> {
        self.tasks.iter().map(|t| t.task.clone()).collect()
    }

    /// The events the agent still holds (not yet passed by a poll's `since`), oldest first.
    pub fn held_events(&self) -> impl Iterator<Item = &Event> {
        self.events.iter()
    }

    /// The last `seq` issued, 0 before the first event.
    pub fn last_seq(&self) -> u64 {
        self.events.last_seq()
    }

    /// Decisions applied, in the order they arrived (each idempotency key once).
    pub fn decisions(&self) -> &[DecisionDelivery] {
        self.decisions.all()
    }

    /// Advances the script by one tick happening at `now`.
    pub fn tick(&mut self, now: DateTime<Utc>) {
        self.ticks += 1;
        for i in 0..self.tasks.len() {
            self.advance(i, now);
        }
        let active = self
            .tasks
            .iter()
            .filter(|t| !t.task.state.is_terminal())
            .count();
        let take_new = self.rng.random_bool(0.35);
        if self.ticks == 1 || active == 0 || (active < MAX_ACTIVE && take_new) {
            self.create_task(now);
        }
        while self.tasks.len() > MAX_TASKS {
            match self.tasks.iter().position(|t| t.task.state.is_terminal()) {
                Some(oldest_finished) => {
                    self.tasks.remove(oldest_finished);
                }
                None => break,
            }
        }
    }

    /// Answers a status poll. `since` is the cursor of an earlier answer: events up to it are
    /// forgotten and the answer starts after it. An absent, unparsable or future cursor answers
    /// from the oldest event still held. At most `max_events` events (at least 1) are returned;
    /// `cursor` is the last one's seq, or the position the poller is already at.
    pub fn poll(&mut self, since: Option<&str>, max_events: usize) -> StatusDocument {
        let (events, cursor) = self.events.page(since, max_events);
        StatusDocument {
            protocol: PROTOCOL.to_owned(),
            agent: self.agent_info(),
            tasks: self.tasks(),
            events,
            usage: self.usage.clone(),
            cursor,
        }
    }

    /// [`AgentScript::poll`] with the tasks borrowed, for an answer written from cached texts.
    pub(crate) fn poll_parts(&mut self, since: Option<&str>, max_events: usize) -> AnswerParts<'_> {
        let (events, cursor) = self.events.page(since, max_events);
        AnswerParts {
            agent: self.agent_info(),
            tasks: self.tasks.iter().map(|t| (&t.task, t.revision)).collect(),
            events,
            usage: &self.usage,
            cursor,
        }
    }

    fn agent_info(&self) -> AgentInfo {
        let count =
            |f: fn(TaskState) -> bool| self.tasks.iter().filter(|t| f(t.task.state)).count();
        let working = count(|s| s == TaskState::Working);
        let waiting = count(|s| {
            matches!(
                s,
                TaskState::InputRequired | TaskState::AuthRequired | TaskState::Blocked
            )
        });
        let queued = count(|s| s == TaskState::Submitted);
        let state = if working > 0 {
            AgentState::Working
        } else if waiting > 0 {
            AgentState::Blocked
        } else {
            AgentState::Idle
        };
        AgentInfo {
            id: self.id.clone(),
            name: Some(self.name.clone()),
            version: Some(env!("CARGO_PKG_VERSION").to_owned()),
            state: Some(state),
            detail: Some(format!(
                "{working} working, {waiting} waiting, {queued} queued"
            )),
            declares: Some(roles::declares(self.role)),
        }
    }

    fn push(&mut self, event: Event) {
        self.events.push(event);
    }

    /// Holds an extra event (given the next `seq`), as if the agent had done it: for benchmarks
    /// and tests that need one event at a known moment among the script's own.
    pub fn inject(&mut self, event: Event) {
        self.push(event);
    }

    /// Task `i`, to change: its revision moves on, so the next answer writes it anew.
    fn task_mut(&mut self, i: usize) -> &mut Task {
        self.revisions += 1;
        let entry = &mut self.tasks[i];
        entry.revision = self.revisions;
        &mut entry.task
    }

    fn set_state(
        &mut self,
        i: usize,
        state: TaskState,
        detail: Option<String>,
        now: DateTime<Utc>,
    ) {
        let task = self.task_mut(i);
        task.state = state;
        task.state_since = Some(now);
        task.updated_at = Some(now);
        task.detail = detail.clone();
        let mut event = blank_event(EventKind::State, now, &task.id);
        event.state = Some(state);
        event.message = detail;
        self.push(event);
    }
}

mod lifecycle;
mod usage;

#[cfg(test)]
mod tests;

impl Obeys for AgentScript {
    fn decision_log(&mut self) -> &mut DecisionLog {
        &mut self.decisions
    }

    /// `approve` resumes a task waiting on a human (or blocked); `reject` cancels it.
    fn obey(&mut self, decision: &DecisionDelivery, now: DateTime<Utc>) {
        let waiting = decision.task_id.as_deref().and_then(|id| {
            self.tasks.iter().position(|t| {
                t.task.id == id
                    && matches!(
                        t.task.state,
                        TaskState::InputRequired | TaskState::AuthRequired | TaskState::Blocked
                    )
            })
        });
        if let Some(i) = waiting {
            let by = &decision.decided_by;
            match decision.action.as_str() {
                "approve" => {
                    self.tasks[i].ticks_left = 2;
                    self.set_state(
                        i,
                        TaskState::Working,
                        Some(format!("approved by {by}")),
                        now,
                    );
                }
                "reject" => {
                    self.set_state(
                        i,
                        TaskState::Canceled,
                        Some(format!("rejected by {by}")),
                        now,
                    );
                }
                _ => {}
            }
        }
    }
}
