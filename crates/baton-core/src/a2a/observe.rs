//! What one poll of an A2A agent adds up to, in Baton's own terms: a `baton/1` status document
//! built from the agent card and the tasks read, so the A2A adapter shares ingest, the board
//! and the detectors with native agents.
//!
//! A2A has no event feed, so the adapter makes the events from what changed since the last
//! poll: a `state` event when a task is new or its state moved, and a `needs_approval` event
//! (carrying the agent's status message) when a task enters `input-required` or
//! `auth-required`. Their `seq` numbers, and the newest status time seen (the next
//! `statusTimestampAfter`), live in the cursor Baton stores with the poll.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use super::{A2aTask, AgentCard};
use crate::protocol::{
    AgentInfo, AgentState, Event, EventKind, StatusDocument, Task, MAX_ID_LEN, PROTOCOL,
};
use crate::task::TaskState;

/// Longest task title made from the request's text.
const TITLE_CHARS: usize = 80;
/// Longest question line of a request for input (its headline is the escalation's title).
const QUESTION_CHARS: usize = 120;
/// Longest task title in a request for input.
const TITLE_IN_ASK_CHARS: usize = 50;

/// Where the last poll of an A2A agent ended, as Baton stores it (JSON in the agent's cursor).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct A2aCursor {
    /// The newest status time seen: the next poll lists tasks changed at or after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<DateTime<Utc>>,
    /// The `seq` the next made-up event gets.
    #[serde(default = "first_seq")]
    pub next_seq: u64,
    /// The server's offset from UTC in minutes, learned from its `Date` header, for timestamps
    /// it writes without a zone ([`super::clock`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone_minutes: Option<i32>,
    /// Tasks Baton saw end lately, and when: read once more with `GetTask` on the next polls.
    /// The LangGraph dev server reports an interrupted run as completed for a moment, then as
    /// input-required under the same status time, which a list by time never shows again.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub recheck: BTreeMap<String, DateTime<Utc>>,
}

fn first_seq() -> u64 {
    1
}

impl Default for A2aCursor {
    fn default() -> A2aCursor {
        A2aCursor {
            after: None,
            next_seq: first_seq(),
            zone_minutes: None,
            recheck: BTreeMap::new(),
        }
    }
}

impl A2aCursor {
    /// The stored cursor; anything unreadable (none yet, or a `baton/1` cursor from before
    /// the agent was switched to A2A) starts afresh.
    pub fn read(stored: Option<&str>) -> A2aCursor {
        stored
            .and_then(|text| serde_json::from_str(text).ok())
            .filter(|c: &A2aCursor| c.next_seq >= first_seq())
            .unwrap_or_default()
    }

    /// `statusTimestampAfter` for the next `ListTasks`.
    pub fn after_param(&self) -> Option<String> {
        self.after
            .map(|at| at.to_rfc3339_opts(SecondsFormat::Micros, true))
    }

    fn encode(&self) -> String {
        serde_json::to_string(self).expect("a cursor always serialises")
    }
}

/// Interrupted states: the agent waits for a person.
pub fn is_interrupted(state: TaskState) -> bool {
    matches!(state, TaskState::InputRequired | TaskState::AuthRequired)
}

/// The document for one poll. `known` holds the state Baton has stored for each task of this
/// agent; tasks whose id Baton cannot keep are left out.
pub fn observe(
    card: &AgentCard,
    tasks: &[A2aTask],
    known: &HashMap<String, TaskState>,
    cursor: &A2aCursor,
    now: DateTime<Utc>,
) -> StatusDocument {
    let mut next = cursor.clone();
    let mut events = Vec::new();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut out: Vec<Task> = Vec::new();
    for t in tasks {
        if t.id.len() > MAX_ID_LEN {
            continue;
        }
        if let Some(at) = t.timestamp {
            next.after = Some(next.after.map_or(at, |after| after.max(at)));
        }
        let task = task_of(t);
        // A task listed twice (two pages that overlap while it changed): the later one wins.
        match seen.get(t.id.as_str()) {
            Some(&i) => out[i] = task,
            None => {
                seen.insert(&t.id, out.len());
                out.push(task);
            }
        }
    }
    for task in &out {
        if known.get(&task.id) == Some(&task.state) {
            continue;
        }
        let at = task.state_since.unwrap_or(now);
        let read = tasks.iter().rev().find(|t| t.id == task.id);
        let message = read.and_then(|t| t.message.clone());
        let mut state = Event::new(next.next_seq, at, EventKind::State);
        state.task_id = Some(task.id.clone());
        state.state = Some(task.state);
        state.message = message.clone();
        events.push(state);
        next.next_seq += 1;
        if is_interrupted(task.state) {
            let mut ask = Event::new(next.next_seq, at, EventKind::NeedsApproval);
            ask.task_id = Some(task.id.clone());
            ask.message = Some(asks(read, task));
            events.push(ask);
            next.next_seq += 1;
        }
    }
    let waiting = out.iter().any(|t| is_interrupted(t.state));
    let working = out
        .iter()
        .any(|t| matches!(t.state, TaskState::Working | TaskState::Submitted));
    StatusDocument {
        protocol: PROTOCOL.to_owned(),
        agent: AgentInfo {
            id: card.name.chars().take(MAX_ID_LEN).collect(),
            name: Some(card.name.clone()),
            version: card.version.clone(),
            state: Some(if waiting {
                AgentState::Blocked
            } else if working {
                AgentState::Working
            } else {
                AgentState::Idle
            }),
            detail: card.description.clone(),
            declares: None,
        },
        tasks: out,
        events,
        usage: Vec::new(),
        cursor: next.encode(),
    }
}

/// What a waiting task asks, for its request: the question's first line (at most
/// [`QUESTION_CHARS`]) and the task's own title, so that two asks of one agent are told apart,
/// then the rest of the question and its fields, a line each.
fn asks(read: Option<&A2aTask>, task: &Task) -> String {
    let ask = read.and_then(|t| t.ask.as_ref());
    let question = match ask {
        Some(ask) => ask.question.as_deref(),
        None => read.and_then(|t| t.message.as_deref()),
    }
    .map(str::trim);
    let (first, rest) = match question.filter(|q| !q.is_empty()) {
        Some(q) => q.split_once('\n').unwrap_or((q, "")),
        None => match task.state {
            TaskState::AuthRequired => ("the agent needs authorization", ""),
            _ => ("the agent needs input", ""),
        },
    };
    let mut text = format!(
        "{} — “{}”",
        clip_to(first, QUESTION_CHARS),
        clip_to(&task.title, TITLE_IN_ASK_CHARS)
    );
    let rest = rest.trim();
    if !rest.is_empty() {
        text.push('\n');
        text.push_str(rest);
    }
    for (name, value) in ask.map(|a| a.fields.as_slice()).unwrap_or_default() {
        text.push_str(&format!("\n{name}: {value}"));
    }
    text
}

/// One A2A task as a board task: titled by what was asked, its artifacts as its output.
fn task_of(t: &A2aTask) -> Task {
    let title = match t.request.as_deref().map(str::trim) {
        Some(request) if !request.is_empty() => clip(request),
        _ => format!("A2A task {}", clip(&t.id)),
    };
    let detail = match (&t.message, t.artifacts.is_empty()) {
        (Some(message), _) => Some(message.clone()),
        (None, false) => Some(format!("artifacts: {}", t.artifacts.join(", "))),
        (None, true) => None,
    };
    Task {
        id: t.id.clone(),
        title,
        state: t.state,
        created_at: None,
        updated_at: t.timestamp,
        state_since: t.timestamp,
        depends_on: Vec::new(),
        trigger: None,
        reads: Vec::new(),
        writes: Vec::new(),
        output: (!t.artifacts.is_empty()).then(|| t.artifacts.join(", ")),
        next_stage: None,
        detail,
    }
}

fn clip(text: &str) -> String {
    clip_to(text, TITLE_CHARS)
}

/// One line of at most `chars` characters, `…` when cut.
fn clip_to(text: &str, chars: usize) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= chars {
        return one_line;
    }
    let mut clipped: String = one_line.chars().take(chars - 1).collect();
    clipped.push('…');
    clipped
}
