//! OpenCode's plugin calls, as Baton's plugin (`.opencode/plugin/baton.js`) hands them to
//! `baton-hook opencode` on stdin: the hook's name, the session's folder and what OpenCode gave
//! the plugin, untouched (measured with OpenCode 1.18.33):
//!
//! ```json
//! {"hook": "tool.execute.before", "directory": "/repo",
//!  "input": {"tool": "write", "sessionID": "ses_…", "callID": "call_1"},
//!  "output": {"args": {"filePath": "/repo/src/app.rs", "content": "…"}}}
//! {"hook": "tool.execute.after", "directory": "/repo",
//!  "input": {"tool": "write", "sessionID": "ses_…", "callID": "call_1", "args": {…}}, "output": {…}}
//! {"hook": "chat.message", "directory": "/repo",
//!  "input": {"sessionID": "ses_…"}, "output": {"message": {…}, "parts": [{"type": "text", "text": "…"}]}}
//! {"hook": "event", "directory": "/repo",
//!  "event": {"type": "session.idle", "properties": {"sessionID": "ses_…"}}}
//! ```
//!
//! `chat.message` is the person's prompt (a new turn); `session.created` starts the session,
//! `session.idle` ends the turn, `session.deleted` the session; `permission.asked` means OpenCode
//! waits for the person. Every other event is recorded by name only. A call may carry
//! `responses`: the session's model responses finished since its last call (the
//! `message.updated` events' `info`), whose tokens are its usage.

use serde_json::{Map, Value};

use super::payload::{Fields, HookCall, HookClient, HookEvent, HookPayloadError, ToolCall};

/// Reads one call of Baton's OpenCode plugin.
pub(super) fn plugin_call(object: &Map<String, Value>) -> Result<HookCall, HookPayloadError> {
    let fields = Fields(object);
    let hook = fields
        .text(&["hook"], "hook")?
        .ok_or(HookPayloadError::NoEvent)?;
    let cwd = fields.text(&["directory"], "directory")?;
    let input = part(object, "input")?;
    let output = part(object, "output")?;
    let (session_id, event) = match hook.as_str() {
        "tool.execute.before" => {
            let tool = tool_call(&input, output.get("args"))?;
            (session_of(&input)?, HookEvent::PreToolUse(tool))
        }
        "tool.execute.after" => {
            let tool = tool_call(&input, input.get("args"))?;
            (session_of(&input)?, HookEvent::PostToolUse(tool))
        }
        "chat.message" => {
            let prompt = prompt_text(&output)?;
            (session_of(&input)?, HookEvent::UserPromptSubmit { prompt })
        }
        "event" => {
            let event = part(object, "event")?;
            let properties = part(&event, "properties")?;
            let name = Fields(&event)
                .text(&["type"], "event.type")?
                .ok_or(HookPayloadError::NoEvent)?;
            let happened = match name.as_str() {
                "session.created" => HookEvent::SessionStart,
                "session.idle" => HookEvent::Stop,
                "session.deleted" => HookEvent::SessionEnd,
                "permission.asked" => HookEvent::Notification {
                    kind: Some("permission_prompt".to_owned()),
                    message: permission_text(&properties),
                },
                _ => HookEvent::Other(name),
            };
            (session_of(&properties)?, happened)
        }
        _ => (session_of(&input)?, HookEvent::Other(hook)),
    };
    let usage_message = responses_of(object, session_id.as_deref());
    Ok(HookCall {
        client: HookClient::OpenCode,
        session_id: session_id.filter(|id| !id.trim().is_empty()),
        cwd: cwd.filter(|cwd| !cwd.is_empty()),
        // OpenCode keeps its messages in a database, not a file appended to: its plugin hands
        // the session's finished responses over with its next call instead.
        transcript_path: None,
        usage_message,
        subagent: None,
        running_subagents: Vec::new(),
        event,
    })
}

/// The finished responses of `session` the call carries (`responses`: the `message.updated`
/// events' `info` the plugin kept since the session's last call), one JSON line each, read as
/// OpenCode's records. What is not an assistant message of the session is left out; a call
/// whose `responses` is not a list is still read (usage is never worth refusing a call).
fn responses_of(object: &Map<String, Value>, session: Option<&str>) -> Option<String> {
    let lines: String = object
        .get("responses")?
        .as_array()?
        .iter()
        .filter(|info| {
            info.get("role").and_then(Value::as_str) == Some("assistant")
                && info.get("sessionID").and_then(Value::as_str) == session
        })
        .map(|info| format!("{info}\n"))
        .collect();
    (!lines.is_empty()).then_some(lines)
}

/// The object under `key` (empty when absent or null).
fn part(
    object: &Map<String, Value>,
    key: &'static str,
) -> Result<Map<String, Value>, HookPayloadError> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(map)) => Ok(map.clone()),
        Some(_) => Err(HookPayloadError::WrongType {
            field: key,
            expected: "an object",
        }),
    }
}

/// The session a call is about: `sessionID` (an event's `properties.info.id` for a session's own
/// events that lack it).
fn session_of(object: &Map<String, Value>) -> Result<Option<String>, HookPayloadError> {
    if let Some(id) = Fields(object).text(&["sessionID"], "sessionID")? {
        return Ok(Some(id));
    }
    match object.get("info") {
        Some(Value::Object(info)) => Fields(info).text(&["id"], "info.id"),
        _ => Ok(None),
    }
}

fn tool_call(
    input: &Map<String, Value>,
    args: Option<&Value>,
) -> Result<ToolCall, HookPayloadError> {
    let name = Fields(input).text(&["tool"], "tool")?.unwrap_or_default();
    let input = match args {
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(Value::Object(map)) => Value::Object(map.clone()),
        Some(_) => {
            return Err(HookPayloadError::WrongType {
                field: "args",
                expected: "an object",
            })
        }
    };
    Ok(ToolCall { name, input })
}

/// The text parts of the person's message, one after another.
fn prompt_text(output: &Map<String, Value>) -> Result<String, HookPayloadError> {
    let parts = match output.get("parts") {
        None | Some(Value::Null) => return Ok(String::new()),
        Some(Value::Array(parts)) => parts,
        Some(_) => {
            return Err(HookPayloadError::WrongType {
                field: "parts",
                expected: "a list",
            })
        }
    };
    let texts: Vec<&str> = parts
        .iter()
        .filter(|part| part.get("type").and_then(Value::as_str) == Some("text"))
        .filter(|part| part.get("synthetic").and_then(Value::as_bool) != Some(true))
        .filter_map(|part| part.get("text").and_then(Value::as_str))
        .collect();
    Ok(texts.join("\n"))
}

/// What OpenCode asks the person: "external_directory /repo/src/*".
fn permission_text(properties: &Map<String, Value>) -> Option<String> {
    let permission = properties.get("permission").and_then(Value::as_str)?;
    let patterns: Vec<&str> = properties
        .get("patterns")
        .and_then(Value::as_array)
        .map(|list| list.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    Some(if patterns.is_empty() {
        permission.to_owned()
    } else {
        format!("{permission} {}", patterns.join(", "))
    })
}
