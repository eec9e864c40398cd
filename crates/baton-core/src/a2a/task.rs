//! A2A tasks as `GetTask`, `ListTasks` and `SendMessage` return them (1.0), or `tasks/get` and
//! `message/send` (0.3): id, context, status (state, message, timestamp), artifacts, history.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::Value;

use super::A2aError;
use crate::task::TaskState;

/// What Baton keeps of one A2A task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct A2aTask {
    pub id: String,
    pub context_id: Option<String>,
    pub state: TaskState,
    /// The text of the status message (for `input-required`: the agent's question).
    pub message: Option<String>,
    /// When the status was set.
    pub timestamp: Option<DateTime<Utc>>,
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
    let t = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(t) {
        return Some(at.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|n| n.and_utc())
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
    message
        .get("role")
        .and_then(Value::as_str)
        .is_some_and(|r| r.eq_ignore_ascii_case("user") || r.eq_ignore_ascii_case("ROLE_USER"))
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
    Ok(A2aTask {
        id,
        message_ids,
        context_id: v
            .get("contextId")
            .and_then(Value::as_str)
            .map(str::to_owned),
        state,
        message: status.get("message").and_then(text_of),
        timestamp: status
            .get("timestamp")
            .and_then(Value::as_str)
            .and_then(parse_timestamp),
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
    };
    for t in tasks {
        match parse_task(t) {
            Ok(task) => page.tasks.push(task),
            Err(err) => page.skipped.push(err),
        }
    }
    Ok(page)
}
