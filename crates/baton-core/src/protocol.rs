//! The native `baton/1` protocol: the status document an agent serves at
//! `GET {base}/baton/v1/status?since={cursor}`, and the decision Baton posts back.
//! The normative description is `docs/protocol.md`; `docs/protocol.schema.json` is its schema.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use crate::task::TaskState;

pub use crate::rules::manifest::Declares;
pub use known::{parse_status_after, KnownTasks};
pub use limits::cut_long_values;
pub use parse::{parse_status, validate};

mod known;
pub mod limits;
mod parse;

/// The protocol name every status document must carry.
pub const PROTOCOL: &str = "baton/1";
/// Path of the status endpoint, relative to the agent's base URL.
pub const STATUS_PATH: &str = "baton/v1/status";
/// Path of the decisions endpoint, relative to the agent's base URL.
pub const DECISIONS_PATH: &str = "baton/v1/decisions";
/// Longest id (agent, task) Baton accepts, in bytes.
pub const MAX_ID_LEN: usize = 256;
/// Longest title Baton keeps, in bytes (a longer one is cut: [`limits`]).
pub const MAX_TITLE_LEN: usize = 2000;

/// One answer of an agent's status endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusDocument {
    pub protocol: String,
    pub agent: AgentInfo,
    #[serde(default)]
    pub tasks: Vec<Task>,
    #[serde(default)]
    pub events: Vec<Event>,
    #[serde(default)]
    pub usage: Vec<UsageReport>,
    /// Opaque position after the last event in `events`; sent back as `since` on the next poll.
    pub cursor: String,
}

impl StatusDocument {
    /// A `baton/1` document of `agent` with nothing in it yet (no task, event or usage, an
    /// empty cursor): fill in what a poll saw.
    pub fn new(agent: AgentInfo) -> StatusDocument {
        StatusDocument {
            protocol: PROTOCOL.into(),
            agent,
            tasks: Vec::new(),
            events: Vec::new(),
            usage: Vec::new(),
            cursor: String::new(),
        }
    }
}

/// What the agent says about itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentInfo {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub state: Option<AgentState>,
    #[serde(default)]
    pub detail: Option<String>,
    /// What the agent declares it triggers on, reads, writes and outputs to; Baton keeps it as
    /// the agent's manifest for the pre-deploy overlap check and the ownership map.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declares: Option<Declares>,
}

impl AgentInfo {
    /// An agent that says only its id.
    pub fn new(id: impl Into<String>) -> AgentInfo {
        AgentInfo {
            id: id.into(),
            name: None,
            version: None,
            state: None,
            detail: None,
            declares: None,
        }
    }
}

/// The agent's own overall state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum AgentState {
    Idle,
    Working,
    Blocked,
    Error,
}

/// One unit of an agent's work, as the agent currently sees it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Task {
    pub id: String,
    pub title: String,
    pub state: TaskState,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
    /// When the task entered its current state; Baton uses the time it first saw the state if absent.
    #[serde(default)]
    pub state_since: Option<DateTime<Utc>>,
    #[serde(default)]
    pub depends_on: Vec<String>,
    #[serde(default)]
    pub trigger: Option<String>,
    #[serde(default)]
    pub reads: Vec<String>,
    #[serde(default)]
    pub writes: Vec<String>,
    #[serde(default)]
    pub output: Option<String>,
    #[serde(default)]
    pub next_stage: Option<String>,
    #[serde(default)]
    pub detail: Option<String>,
}

impl Task {
    /// A task with only an id, a title and a state.
    pub fn new(id: impl Into<String>, title: impl Into<String>, state: TaskState) -> Task {
        Task {
            id: id.into(),
            title: title.into(),
            state,
            created_at: None,
            updated_at: None,
            state_since: None,
            depends_on: Vec::new(),
            trigger: None,
            reads: Vec::new(),
            writes: Vec::new(),
            output: None,
            next_stage: None,
            detail: None,
        }
    }
}

/// What kind of thing an event records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    State,
    Write,
    Read,
    Trigger,
    Handoff,
    NeedsApproval,
    Claim,
    ApiCall,
}

impl EventKind {
    pub const ALL: [EventKind; 8] = [
        EventKind::State,
        EventKind::Write,
        EventKind::Read,
        EventKind::Trigger,
        EventKind::Handoff,
        EventKind::NeedsApproval,
        EventKind::Claim,
        EventKind::ApiCall,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::State => "state",
            EventKind::Write => "write",
            EventKind::Read => "read",
            EventKind::Trigger => "trigger",
            EventKind::Handoff => "handoff",
            EventKind::NeedsApproval => "needs_approval",
            EventKind::Claim => "claim",
            EventKind::ApiCall => "api_call",
        }
    }

    pub fn parse(s: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Something an agent did at a moment. `seq` increases strictly per agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub kind: EventKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_id: Option<String>,
    /// The resource URI acted on (`write`, `read`, `trigger`, `handoff`, optional otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// `state`: the task's new state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<TaskState>,
    /// `handoff`: the receiving agent's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// `claim`: the key the agent states a value for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// `claim`: the value stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    /// `api_call`: the API called, e.g. `openai`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api: Option<String>,
    /// `api_call`: the HTTP status the agent received.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// `api_call`: the response headers the agent received (rate-limit headers at least).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<BTreeMap<String, String>>,
    /// `api_call`: tokens used by the call (in all; see `input_tokens` / `output_tokens`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens: Option<u64>,
    /// `api_call`: the model called, e.g. `gpt-4o` (what the call is priced by).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// `api_call`: of the tokens, those read (prompt) …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_tokens: Option<u64>,
    /// … and those written (completion).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_tokens: Option<u64>,
    /// `handoff`: the handed-off payload; `needs_approval`: options offered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<Value>,
    /// A human-readable line (the question, for `needs_approval`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Set by Baton, never read from an agent: the time the agent gave when it was more than
    /// [`FUTURE_SKEW`] after the moment Baton received the event; `at` is then that moment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claimed_at: Option<DateTime<Utc>>,
}

/// How far an event's time may be ahead of the moment Baton receives it. Past it the agent's
/// clock is wrong: the event is kept at the moment received (windows, stalls and eviction
/// go by that), with the agent's time beside it ([`Event::claimed_at`]).
pub const FUTURE_SKEW: chrono::Duration = chrono::Duration::minutes(5);

impl Event {
    /// The event as Baton keeps it when received at `received`: a time more than
    /// [`FUTURE_SKEW`] ahead becomes `received` (the agent's own in `claimed_at`), and how far
    /// ahead the agent's clock was. Borrowed when nothing changes.
    pub fn received_at(
        &self,
        received: DateTime<Utc>,
    ) -> (std::borrow::Cow<'_, Event>, Option<chrono::Duration>) {
        use std::borrow::Cow;
        let ahead = self.at - received;
        if ahead > FUTURE_SKEW {
            let mut kept = self.clone();
            kept.claimed_at = Some(self.at);
            kept.at = received;
            return (Cow::Owned(kept), Some(ahead));
        }
        if self.claimed_at.is_some() {
            // Not the agent's to say.
            let mut kept = self.clone();
            kept.claimed_at = None;
            return (Cow::Owned(kept), None);
        }
        (Cow::Borrowed(self), None)
    }

    /// Whether `other` is this event: every field equal, its JSON (`value`, `payload`)
    /// compared as values, however spelt ([`crate::json::same_value`]). An event delivered
    /// again with its payload's members in another order is the same event.
    pub fn same_as(&self, other: &Event) -> bool {
        let (mut a, mut b) = (self.clone(), other.clone());
        let values = (a.value.take(), b.value.take());
        let payloads = (a.payload.take(), b.payload.take());
        a == b
            && crate::json::same_opt(values.0.as_ref(), values.1.as_ref())
            && crate::json::same_opt(payloads.0.as_ref(), payloads.1.as_ref())
    }

    /// The event as the agent sent it (undoing [`Event::received_at`]).
    pub fn as_sent(&self) -> Event {
        let mut sent = self.clone();
        if let Some(claimed) = sent.claimed_at.take() {
            sent.at = claimed;
        }
        sent
    }
    /// An event with only its seq, time and kind; set the other fields as needed.
    pub fn new(seq: u64, at: DateTime<Utc>, kind: EventKind) -> Event {
        Event {
            seq,
            at,
            kind,
            task_id: None,
            resource: None,
            state: None,
            to: None,
            key: None,
            value: None,
            api: None,
            status: None,
            headers: None,
            tokens: None,
            model: None,
            input_tokens: None,
            output_tokens: None,
            payload: None,
            message: None,
            claimed_at: None,
        }
    }
}

/// Aggregated API usage the agent reports for one window.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct UsageReport {
    pub api: String,
    #[serde(default)]
    pub key: Option<String>,
    pub window_start: DateTime<Utc>,
    pub window_seconds: u32,
    #[serde(default)]
    pub requests: u64,
    #[serde(default)]
    pub tokens: u64,
    /// Responses with HTTP 429 in the window.
    #[serde(default)]
    pub rate_limited: u64,
    /// The model the window's calls went to, when they all went to one (what they are priced by).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Of the tokens, those read (prompt) …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_tokens: Option<u64>,
    /// … and those written (completion).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_tokens: Option<u64>,
}

/// The body Baton POSTs to `{base}/baton/v1/decisions`, with header `Idempotency-Key: {decision_id}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DecisionDelivery {
    pub decision_id: String,
    #[serde(default)]
    pub escalation_id: Option<String>,
    #[serde(default)]
    pub task_id: Option<String>,
    /// `approve`, `reject`, `retry`, `reassign`, `dismiss`, …
    pub action: String,
    #[serde(default)]
    pub note: Option<String>,
    pub decided_by: String,
    pub decided_at: DateTime<Utc>,
    /// With `action: "budget"`: this agent's share of a shared API's quotas.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<BudgetGrant>,
    /// What the decision covers when it settles several findings of one cause: the rule
    /// pattern, or the pattern of their resources' common prefix (`file:///drafts/*`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The resources the decision covers (at most [`MAX_DECISION_RESOURCES`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<String>,
    /// Every task of this agent the decision concerns (`task_id` is the first of them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tasks: Vec<String>,
    /// With `action: "reassign"`: the agent that owns the resources now, by the id it reports
    /// for itself (`agent.id`), or by its name in Baton when it has reported none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

/// Most resources (and most tasks) one decision names.
pub const MAX_DECISION_RESOURCES: usize = 50;

/// An agent's budget of a shared API, decided by a human on a rate-limit pressure escalation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BudgetGrant {
    pub api: String,
    #[serde(default)]
    pub key: Option<String>,
    /// The agent's share of each quota, 0–100.
    pub share_percent: u32,
    /// What that share allows, per quota.
    #[serde(default)]
    pub allowances: Vec<Allowance>,
}

/// So many requests or tokens per window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allowance {
    /// `requests`, `tokens`, `input_tokens` or `output_tokens`.
    pub metric: String,
    pub limit: u64,
    pub window_seconds: u32,
}

/// What an agent answers to a decision POST.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionAck {
    pub accepted: bool,
    /// True when the agent had already applied a decision with this idempotency key.
    #[serde(default)]
    pub duplicate: bool,
}

#[cfg(test)]
mod tests;
