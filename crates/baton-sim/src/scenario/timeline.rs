//! The vocabulary of a scripted timeline: at tick `n`, agent `i` does one [`Action`].

use baton_core::task::TaskState;
use chrono::Duration;
use serde_json::Value;

/// Who an agent of a scenario is: the id it reports and its display name (what Baton names it
/// and what rules name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cast {
    pub id: &'static str,
    pub name: &'static str,
}

/// A task as a scenario starts it.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskSpec {
    pub id: &'static str,
    pub title: &'static str,
    /// `working` unless set (e.g. `submitted`).
    pub state: TaskState,
    pub depends_on: Vec<&'static str>,
    /// Starting a task with a trigger also reports a `trigger` event on it.
    pub trigger: Option<&'static str>,
    pub reads: Vec<&'static str>,
    pub writes: Vec<&'static str>,
    pub output: Option<&'static str>,
    /// The id of the agent expected to pick up the output.
    pub next_stage: Option<&'static str>,
    /// The task was already running this long when the scenario began (by the agent's clock):
    /// it is reported with `created_at` and `state_since` that far back, and no `state` event.
    pub head_start: Option<Duration>,
}

/// A working task with only an id and a title; the builder methods add the rest.
pub fn task(id: &'static str, title: &'static str) -> TaskSpec {
    TaskSpec {
        id,
        title,
        state: TaskState::Working,
        depends_on: Vec::new(),
        trigger: None,
        reads: Vec::new(),
        writes: Vec::new(),
        output: None,
        next_stage: None,
        head_start: None,
    }
}

impl TaskSpec {
    pub fn state(mut self, state: TaskState) -> TaskSpec {
        self.state = state;
        self
    }

    pub fn depends_on(mut self, task: &'static str) -> TaskSpec {
        self.depends_on.push(task);
        self
    }

    pub fn trigger(mut self, resource: &'static str) -> TaskSpec {
        self.trigger = Some(resource);
        self
    }

    pub fn reads(mut self, resource: &'static str) -> TaskSpec {
        self.reads.push(resource);
        self
    }

    pub fn writes(mut self, resource: &'static str) -> TaskSpec {
        self.writes.push(resource);
        self
    }

    /// The task's output; it is written too.
    pub fn output(mut self, resource: &'static str) -> TaskSpec {
        self.output = Some(resource);
        if !self.writes.contains(&resource) {
            self.writes.push(resource);
        }
        self
    }

    pub fn next_stage(mut self, agent_id: &'static str) -> TaskSpec {
        self.next_stage = Some(agent_id);
        self
    }

    pub fn head_start(mut self, running_for: Duration) -> TaskSpec {
        self.head_start = Some(running_for);
        self
    }
}

/// One thing an agent does at a tick. Every action but [`Action::GoDark`] reports events.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// A new task, with its `state` event (and a `trigger` event when it has a trigger).
    Start(TaskSpec),
    /// The task moves to `state` (a `state` event).
    State {
        task: &'static str,
        state: TaskState,
        detail: Option<&'static str>,
    },
    Write {
        task: &'static str,
        resource: &'static str,
    },
    Read {
        task: &'static str,
        resource: &'static str,
    },
    /// An `api_call` event: progress without touching a shared resource.
    ApiCall {
        task: &'static str,
        api: &'static str,
    },
    /// `calls` `api_call` events against a quota of `limit` requests a minute with `remaining`
    /// left before the first: each reports OpenAI-style rate-limit headers, and the calls past
    /// the remaining ones get a 429 with `retry-after-ms`.
    ApiBurst {
        task: &'static str,
        api: &'static str,
        limit: u32,
        remaining: u32,
        calls: u32,
    },
    Claim {
        task: &'static str,
        key: &'static str,
        value: Value,
    },
    /// The task waits for a person: it turns `input_required` and a `needs_approval` event
    /// offers approve / reject. An approval resumes it (the next tick writes `resource` and
    /// completes it); a rejection cancels it.
    Ask {
        task: &'static str,
        resource: &'static str,
        question: &'static str,
    },
    Handoff {
        task: &'static str,
        to: &'static str,
        resource: &'static str,
        payload: Value,
    },
    /// The agent's endpoint stops answering: the fleet closes its listener.
    GoDark,
}

/// At tick `tick` (the first is 1), agent `agent` (an index into the cast) does `action`.
#[derive(Debug, Clone, PartialEq)]
pub struct Beat {
    pub tick: u64,
    pub agent: usize,
    pub action: Action,
}

/// A beat, for compact timelines.
pub fn at(tick: u64, agent: usize, action: Action) -> Beat {
    Beat {
        tick,
        agent,
        action,
    }
}

pub fn start(spec: TaskSpec) -> Action {
    Action::Start(spec)
}

pub fn state(task: &'static str, state: TaskState) -> Action {
    Action::State {
        task,
        state,
        detail: None,
    }
}

pub fn write(task: &'static str, resource: &'static str) -> Action {
    Action::Write { task, resource }
}

pub fn read(task: &'static str, resource: &'static str) -> Action {
    Action::Read { task, resource }
}

pub fn api_call(task: &'static str, api: &'static str) -> Action {
    Action::ApiCall { task, api }
}

pub fn api_burst(
    task: &'static str,
    api: &'static str,
    limit: u32,
    remaining: u32,
    calls: u32,
) -> Action {
    Action::ApiBurst {
        task,
        api,
        limit,
        remaining,
        calls,
    }
}

pub fn claim(task: &'static str, key: &'static str, value: Value) -> Action {
    Action::Claim { task, key, value }
}
