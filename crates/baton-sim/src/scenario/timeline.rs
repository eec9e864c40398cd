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
    pub id: String,
    pub title: String,
    /// `working` unless set (e.g. `submitted`).
    pub state: TaskState,
    pub depends_on: Vec<String>,
    /// Starting a task with a trigger also reports a `trigger` event on it.
    pub trigger: Option<String>,
    pub reads: Vec<String>,
    pub writes: Vec<String>,
    pub output: Option<String>,
    /// The id of the agent expected to pick up the output.
    pub next_stage: Option<String>,
    /// The task was already running this long when the scenario began (by the agent's clock):
    /// it is reported with `created_at` and `state_since` that far back, and no `state` event.
    pub head_start: Option<Duration>,
}

/// A working task with only an id and a title; the builder methods add the rest.
pub fn task(id: impl Into<String>, title: impl Into<String>) -> TaskSpec {
    TaskSpec {
        id: id.into(),
        title: title.into(),
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

    pub fn depends_on(mut self, task: impl Into<String>) -> TaskSpec {
        self.depends_on.push(task.into());
        self
    }

    pub fn trigger(mut self, resource: impl Into<String>) -> TaskSpec {
        self.trigger = Some(resource.into());
        self
    }

    pub fn reads(mut self, resource: impl Into<String>) -> TaskSpec {
        self.reads.push(resource.into());
        self
    }

    pub fn writes(mut self, resource: impl Into<String>) -> TaskSpec {
        self.writes.push(resource.into());
        self
    }

    /// The task's output; it is written too.
    pub fn output(mut self, resource: impl Into<String>) -> TaskSpec {
        let resource = resource.into();
        if !self.writes.contains(&resource) {
            self.writes.push(resource.clone());
        }
        self.output = Some(resource);
        self
    }

    pub fn next_stage(mut self, agent_id: impl Into<String>) -> TaskSpec {
        self.next_stage = Some(agent_id.into());
        self
    }

    pub fn head_start(mut self, running_for: Duration) -> TaskSpec {
        self.head_start = Some(running_for);
        self
    }
}

/// One thing an agent does at a tick. Every action but [`Action::GoDark`] and
/// [`Action::Relight`] reports events.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// A new task, with its `state` event (and a `trigger` event when it has a trigger).
    Start(TaskSpec),
    /// The task moves to `state` (a `state` event).
    State {
        task: String,
        state: TaskState,
        detail: Option<String>,
    },
    Write {
        task: String,
        resource: String,
    },
    Read {
        task: String,
        resource: String,
    },
    /// An `api_call` event: progress without touching a shared resource.
    ApiCall {
        task: String,
        api: String,
    },
    /// `calls` `api_call` events against a quota of `limit` requests a minute with `remaining`
    /// left before the first: each reports OpenAI-style rate-limit headers, and the calls past
    /// the remaining ones get a 429 with `retry-after-ms`.
    ApiBurst {
        task: String,
        api: String,
        limit: u32,
        remaining: u32,
        calls: u32,
    },
    /// `calls` `api_call` events to one model, each reading `input` and writing `output`
    /// tokens (what the calls cost, at Baton's prices).
    Spend {
        task: String,
        api: String,
        model: String,
        input: u64,
        output: u64,
        calls: u32,
    },
    Claim {
        task: String,
        key: String,
        value: Value,
    },
    /// The task waits for a person: it turns `input_required` and a `needs_approval` event
    /// offers approve / reject. An approval resumes it (the next tick writes `resource` and
    /// completes it); a rejection cancels it.
    Ask {
        task: String,
        resource: String,
        question: String,
    },
    Handoff {
        task: String,
        to: String,
        resource: String,
        payload: Value,
    },
    /// The agent's endpoint stops answering: the fleet closes its listener.
    GoDark,
    /// The agent's endpoint answers again, on the same port, with everything that happened
    /// while it was dark.
    Relight,
    /// The agent restarts without its event counter: the events it held are gone and its next
    /// event is `seq` 1 again (against the protocol).
    ForgetCounter,
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

pub fn state(task: impl Into<String>, state: TaskState) -> Action {
    Action::State {
        task: task.into(),
        state,
        detail: None,
    }
}

pub fn write(task: impl Into<String>, resource: impl Into<String>) -> Action {
    Action::Write {
        task: task.into(),
        resource: resource.into(),
    }
}

pub fn read(task: impl Into<String>, resource: impl Into<String>) -> Action {
    Action::Read {
        task: task.into(),
        resource: resource.into(),
    }
}

pub fn api_call(task: impl Into<String>, api: impl Into<String>) -> Action {
    Action::ApiCall {
        task: task.into(),
        api: api.into(),
    }
}

pub fn api_burst(
    task: impl Into<String>,
    api: impl Into<String>,
    limit: u32,
    remaining: u32,
    calls: u32,
) -> Action {
    Action::ApiBurst {
        task: task.into(),
        api: api.into(),
        limit,
        remaining,
        calls,
    }
}

pub fn spend(
    task: impl Into<String>,
    api: impl Into<String>,
    model: impl Into<String>,
    (input, output): (u64, u64),
    calls: u32,
) -> Action {
    Action::Spend {
        task: task.into(),
        api: api.into(),
        model: model.into(),
        input,
        output,
        calls,
    }
}

pub fn claim(task: impl Into<String>, key: impl Into<String>, value: Value) -> Action {
    Action::Claim {
        task: task.into(),
        key: key.into(),
        value,
    }
}

pub fn ask(
    task: impl Into<String>,
    resource: impl Into<String>,
    question: impl Into<String>,
) -> Action {
    Action::Ask {
        task: task.into(),
        resource: resource.into(),
        question: question.into(),
    }
}

pub fn handoff(
    task: impl Into<String>,
    to: impl Into<String>,
    resource: impl Into<String>,
    payload: Value,
) -> Action {
    Action::Handoff {
        task: task.into(),
        to: to.into(),
        resource: resource.into(),
        payload,
    }
}
