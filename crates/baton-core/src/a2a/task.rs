//! A2A tasks as `GetTask`, `ListTasks` and `SendMessage` return them (1.0), or `tasks/get` and
//! `message/send` (0.3): id, context, status (state, message, timestamp), artifacts, history.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::Value;

use super::ask::{read_ask, Ask};
use super::A2aError;
use crate::task::TaskState;

/// What Baton keeps of one A2A task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct A2aTask {
    pub id: String,
    pub context_id: Option<String>,
    pub state: TaskState,
    /// The text of the status message; for a task that waits for a person and whose status
    /// carries no message, the text of the last agent message of its history (the question).
    /// Data parts are read too ([`super::ask`]): a function call's question and arguments.
    pub message: Option<String>,
    /// What that message asks, part by part: the question, its fields, and the function call
    /// to answer when the agent asks through one.
    pub ask: Option<Ask>,
    /// When the status was set.
    pub timestamp: Option<DateTime<Utc>>,
    /// True when the server wrote `timestamp` without a zone (read as UTC until the server's
    /// offset is known: [`A2aTask::shift_zoneless`]).
    pub zoneless: bool,
    /// The first user message's text (what the task is about), if the history has it.
    pub request: Option<String>,
    /// Artifact names (or ids), in order.
    pub artifacts: Vec<String>,
    /// The `messageId`s of the task's history (and status message): how a sender sees that a
    /// message it sent before has arrived.
    pub message_ids: Vec<String>,
}

/// One page of `ListTasks`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskPage {
    pub tasks: Vec<A2aTask>,
    /// The next page's token (None when this is the last page: absent or empty).
    pub next_page_token: Option<String>,
    /// Tasks of the page that could not be read, with why.
    pub skipped: Vec<A2aError>,
    /// How many tasks the server has in all (`totalSize`), when it says.
    pub total_size: Option<u64>,
}

/// A task state in either spelling: `TASK_STATE_INPUT_REQUIRED` (1.0) or `input-required`
/// (0.3), case-insensitively, `_` and `-` alike, `cancelled` too.
pub fn parse_task_state(text: &str) -> Result<TaskState, A2aError> {
    let t = text.trim().to_ascii_lowercase().replace('_', "-");
    let t = t.strip_prefix("task-state-").unwrap_or(&t);
    match t {
        "submitted" => Ok(TaskState::Submitted),
        "working" => Ok(TaskState::Working),
        "input-required" => Ok(TaskState::InputRequired),
        "auth-required" => Ok(TaskState::AuthRequired),
        "completed" => Ok(TaskState::Completed),
        "failed" => Ok(TaskState::Failed),
        "canceled" | "cancelled" => Ok(TaskState::Canceled),
        "rejected" => Ok(TaskState::Rejected),
        _ => Err(A2aError::UnknownState(text.chars().take(60).collect())),
    }
}

/// RFC 3339 with `Z` or an offset, or no zone at all (read as UTC).
pub fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    read_timestamp(text).map(|(at, _)| at)
}

/// A timestamp and whether it had no zone (then read as UTC).
fn read_timestamp(text: &str) -> Option<(DateTime<Utc>, bool)> {
    let t = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(t) {
        return Some((at.with_timezone(&Utc), false));
    }
    NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|n| (n.and_utc(), true))
}

impl A2aTask {
    /// Reads a zone-less timestamp as the server's local time, `offset_minutes` east of UTC.
    pub fn shift_zoneless(&mut self, offset_minutes: i32) {
        if self.zoneless {
            self.timestamp = self
                .timestamp
                .map(|at| at - chrono::Duration::minutes(i64::from(offset_minutes)));
        }
    }
}

fn text_of(message: &Value) -> Option<String> {
    // 1.0 `parts`, 0.3 REST `content`; a part's text is `text` (0.3 adds `kind: "text"`).
    let parts = message
        .get("parts")
        .or_else(|| message.get("content"))
        .and_then(Value::as_array)?;
    let texts: Vec<&str> = parts
        .iter()
        .filter_map(|p| p.get("text").and_then(Value::as_str))
        .collect();
    (!texts.is_empty()).then(|| texts.join(" "))
}

fn is_user(message: &Value) -> bool {
    has_role(message, "user")
}

/// `role` is `user` or `agent`: 0.3 writes it so, 1.0 `ROLE_USER` / `ROLE_AGENT`.
fn has_role(message: &Value, role: &str) -> bool {
    let Some(text) = message.get("role").and_then(Value::as_str) else {
        return false;
    };
    let upper = text.to_ascii_uppercase();
    let bare = upper.strip_prefix("ROLE_").unwrap_or(&upper);
    bare.eq_ignore_ascii_case(role)
}

/// Reads one task: a Task object, or a `SendMessage` result wrapping one (`{"task": …}`).
pub fn parse_task(value: &Value) -> Result<A2aTask, A2aError> {
    let v = value.get("task").filter(|t| t.is_object()).unwrap_or(value);
    if !v.is_object() {
        return Err(A2aError::InvalidTask("is not a JSON object".into()));
    }
    let id = v
        .get("id")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| A2aError::InvalidTask("has no id".into()))?
        .to_owned();
    let status = v
        .get("status")
        .filter(|s| s.is_object())
        .ok_or_else(|| A2aError::InvalidTask(format!("{id} has no status")))?;
    let state_text = status
        .get("state")
        .and_then(Value::as_str)
        .ok_or_else(|| A2aError::InvalidTask(format!("{id} has no status.state")))?;
    let state = parse_task_state(state_text)?;
    let request = v
        .get("history")
        .and_then(Value::as_array)
        .and_then(|h| h.iter().find(|m| is_user(m)))
        .and_then(text_of);
    let artifacts = v
        .get("artifacts")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|a| {
            a.get("name")
                .or_else(|| a.get("artifactId"))
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .collect();
    let message_ids = v
        .get("history")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .chain(status.get("message"))
        .filter_map(|m| m.get("messageId").and_then(Value::as_str))
        .map(str::to_owned)
        .collect();
    let timestamp = status
        .get("timestamp")
        .and_then(Value::as_str)
        .and_then(read_timestamp);
    // A server that asks in a message of the history rather than in the status (LangGraph,
    // fasta2a): the last agent message is the question.
    let ask = status.get("message").and_then(read_ask).or_else(|| {
        crate::a2a::is_interrupted(state)
            .then(|| v.get("history").and_then(Value::as_array))
            .flatten()
            .and_then(|h| h.iter().rev().find(|m| has_role(m, "agent")))
            .and_then(read_ask)
    });
    let message = ask.as_ref().and_then(Ask::text);
    Ok(A2aTask {
        id,
        message_ids,
        context_id: v
            .get("contextId")
            .and_then(Value::as_str)
            .map(str::to_owned),
        state,
        message,
        ask,
        timestamp: timestamp.map(|(at, _)| at),
        zoneless: timestamp.is_some_and(|(_, zoneless)| zoneless),
        request,
        artifacts,
    })
}

/// Reads a `ListTasks` result: the tasks it could read (the others in `skipped`) and the next
/// page's token.
pub fn parse_task_list(value: &Value) -> Result<TaskPage, A2aError> {
    let tasks = value
        .get("tasks")
        .and_then(Value::as_array)
        .ok_or_else(|| A2aError::InvalidTask("list has no `tasks` array".into()))?;
    let mut page = TaskPage {
        tasks: Vec::new(),
        next_page_token: value
            .get("nextPageToken")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .map(str::to_owned),
        skipped: Vec::new(),
        total_size: value.get("totalSize").and_then(Value::as_u64),
    };
    for t in tasks {
        match parse_task(t) {
            Ok(task) => page.tasks.push(task),
            Err(err) => page.skipped.push(err),
        }
    }
    Ok(page)
}
