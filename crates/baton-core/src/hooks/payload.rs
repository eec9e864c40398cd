//! What a coding agent's hook sends on stdin, read into one shape for the five clients.
//!
//! Claude Code, Codex and Gemini CLI send snake_case objects (`session_id`, `cwd`,
//! `hook_event_name`, `tool_name`, `tool_input`, …; Gemini CLI names its events `BeforeTool`,
//! `AfterTool`, `BeforeAgent`, `AfterAgent`); Copilot CLI sends camelCase ones (`sessionId`,
//! `toolName`, `toolArgs`, the latter an object or a JSON text) and names its events in
//! camelCase (`preToolUse`). Both spellings are read for every client: what matters is what the
//! payload says. OpenCode has no command hooks: Baton's plugin hands over the plugin call as it
//! came (OpenCode's plugin calls: `opencode.rs`). Fields Baton does not use are ignored; a field it uses with the
//! wrong type is an error naming the field.

use serde_json::{json, Map, Value};
use thiserror::Error;

use super::subagent::SubagentRef;

/// The largest payload a hook reads. A `Write` of a large file carries the whole content.
pub const MAX_PAYLOAD_BYTES: usize = 16 * 1024 * 1024;

/// Which coding agent calls the hook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HookClient {
    ClaudeCode,
    Codex,
    Copilot,
    Gemini,
    OpenCode,
}

impl HookClient {
    pub const ALL: [HookClient; 5] = [
        HookClient::ClaudeCode,
        HookClient::Codex,
        HookClient::Copilot,
        HookClient::Gemini,
        HookClient::OpenCode,
    ];

    /// The word on the command line (`baton hook claude-code`).
    pub fn as_str(self) -> &'static str {
        match self {
            HookClient::ClaudeCode => "claude-code",
            HookClient::Codex => "codex",
            HookClient::Copilot => "copilot",
            HookClient::Gemini => "gemini",
            HookClient::OpenCode => "opencode",
        }
    }

    pub fn parse(word: &str) -> Option<HookClient> {
        HookClient::ALL.into_iter().find(|c| c.as_str() == word)
    }

    /// The product's name, for people.
    pub fn label(self) -> &'static str {
        match self {
            HookClient::ClaudeCode => "Claude Code",
            HookClient::Codex => "Codex",
            HookClient::Copilot => "Copilot CLI",
            HookClient::Gemini => "Gemini CLI",
            HookClient::OpenCode => "OpenCode",
        }
    }
}

/// One tool call as the client describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCall {
    /// The client's own name for the tool (`Write`, `apply_patch`, `bash`, …).
    pub name: String,
    /// The tool's arguments (an empty object when the payload has none).
    pub input: Value,
}

/// What happened in the session.
#[derive(Debug, Clone, PartialEq)]
pub enum HookEvent {
    SessionStart,
    /// The person sent a prompt: a new turn (task) begins.
    UserPromptSubmit {
        prompt: String,
    },
    /// A tool is about to run: the moment a permit is asked for.
    PreToolUse(ToolCall),
    PostToolUse(ToolCall),
    /// The client is about to ask the person for permission.
    PermissionRequest(ToolCall),
    /// `permission_prompt`, `idle_prompt`, … and the message shown.
    Notification {
        kind: Option<String>,
        message: Option<String>,
    },
    /// The turn ended (Copilot: `agentStop`).
    Stop,
    SessionEnd,
    /// A subagent of the session started (the call's [`HookCall::subagent`] names it).
    SubagentStart,
    /// A subagent of the session finished (the call's [`HookCall::subagent`] names it).
    SubagentStop,
    /// An event Baton records by name only (PreCompact, …).
    Other(String),
}

impl HookEvent {
    /// The event's name in Claude Code's spelling.
    pub fn name(&self) -> &str {
        match self {
            HookEvent::SessionStart => "SessionStart",
            HookEvent::UserPromptSubmit { .. } => "UserPromptSubmit",
            HookEvent::PreToolUse(_) => "PreToolUse",
            HookEvent::PostToolUse(_) => "PostToolUse",
            HookEvent::PermissionRequest(_) => "PermissionRequest",
            HookEvent::Notification { .. } => "Notification",
            HookEvent::Stop => "Stop",
            HookEvent::SessionEnd => "SessionEnd",
            HookEvent::SubagentStart => "SubagentStart",
            HookEvent::SubagentStop => "SubagentStop",
            HookEvent::Other(name) => name,
        }
    }
}

/// One hook call: who (client and session), where (working directory), what.
#[derive(Debug, Clone, PartialEq)]
pub struct HookCall {
    pub client: HookClient,
    /// The client's session id; Copilot CLI may send none (the caller then names the session).
    pub session_id: Option<String>,
    /// The session's working directory (absolute, as the client sends it).
    pub cwd: Option<String>,
    /// The file the client records the session in (Claude Code's transcript, Codex's rollout
    /// file): where Baton reads its usage.
    pub transcript_path: Option<String>,
    /// A model response the payload itself carries, as JSON text, where the client hands its
    /// hooks each finished response instead of a file (OpenCode's `message.updated`): where
    /// Baton reads its usage.
    pub usage_message: Option<String>,
    /// The subagent the call comes from (Claude Code's `agent_id`, `agent_type`); None: the
    /// session's main thread.
    pub subagent: Option<SubagentRef>,
    /// The subagents the client says are running (Claude Code's `background_tasks` of type
    /// `subagent`, status `running`, on its Stop): a Stop may come before their starts are
    /// heard.
    pub running_subagents: Vec<SubagentRef>,
    pub event: HookEvent,
}

/// Why a payload could not be read. Messages go to the hook's stderr, for the person.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum HookPayloadError {
    #[error("the hook payload is empty (expected one JSON object on stdin)")]
    Empty,
    #[error("the hook payload is larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("the hook payload is not JSON: {detail}")]
    NotJson { detail: String },
    #[error("the hook payload is not a JSON object")]
    NotAnObject,
    #[error("the hook payload names no event (hook_event_name)")]
    NoEvent,
    #[error("the hook payload's {event} names no subagent (agent_id)")]
    NoSubagent { event: &'static str },
    #[error("the hook payload's `{field}` should be {expected}")]
    WrongType {
        field: &'static str,
        expected: &'static str,
    },
}

/// The payload's JSON object, refused when it is too large, empty, not JSON or no object.
pub(super) fn payload_object(bytes: &[u8]) -> Result<Map<String, Value>, HookPayloadError> {
    if bytes.len() > MAX_PAYLOAD_BYTES {
        return Err(HookPayloadError::TooLarge {
            limit: MAX_PAYLOAD_BYTES,
        });
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(HookPayloadError::Empty);
    }
    let value: Value = serde_json::from_slice(bytes).map_err(|err| HookPayloadError::NotJson {
        detail: err.to_string(),
    })?;
    match value {
        Value::Object(object) => Ok(object),
        _ => Err(HookPayloadError::NotAnObject),
    }
}

/// Reads a payload in Claude Code's shape (Codex's, Copilot CLI's and Gemini CLI's are spelled
/// after it). `event_hint` is the event the hook was installed for, for clients that do not
/// name the event in the payload (Copilot CLI calls one command per event).
pub(super) fn claude_shaped_call(
    client: HookClient,
    object: &Map<String, Value>,
    event_hint: Option<&str>,
) -> Result<HookCall, HookPayloadError> {
    let fields = Fields(object);
    let session_id = fields.text(&["session_id", "sessionId"], "session_id")?;
    let cwd = fields.text(&["cwd"], "cwd")?;
    let transcript_path = fields.text(&["transcript_path", "transcriptPath"], "transcript_path")?;
    let name = match fields.text(
        &["hook_event_name", "hookEventName", "hookName"],
        "hook_event_name",
    )? {
        Some(name) => name,
        None => event_hint
            .map(str::to_owned)
            .ok_or(HookPayloadError::NoEvent)?,
    };
    let event = match canonical_event(&name) {
        "SessionStart" => HookEvent::SessionStart,
        "UserPromptSubmit" => HookEvent::UserPromptSubmit {
            prompt: fields
                .text(&["prompt", "userPrompt"], "prompt")?
                .unwrap_or_default(),
        },
        "PreToolUse" => HookEvent::PreToolUse(fields.tool()?),
        "PostToolUse" => HookEvent::PostToolUse(fields.tool()?),
        "PermissionRequest" => HookEvent::PermissionRequest(fields.tool()?),
        "Notification" => HookEvent::Notification {
            kind: fields
                .text(
                    &["notification_type", "notificationType", "type"],
                    "notification_type",
                )?
                .map(|kind| match kind.as_str() {
                    // Gemini CLI's: its confirmation dialog is open.
                    "ToolPermission" => "permission_prompt".to_owned(),
                    _ => kind,
                }),
            message: fields.text(&["message"], "message")?,
        },
        "Stop" => HookEvent::Stop,
        "SessionEnd" => HookEvent::SessionEnd,
        "SubagentStart" => HookEvent::SubagentStart,
        "SubagentStop" => HookEvent::SubagentStop,
        _ => HookEvent::Other(name.clone()),
    };
    let subagent = fields.subagent()?;
    if subagent.is_none() {
        match &event {
            HookEvent::SubagentStart => {
                return Err(HookPayloadError::NoSubagent {
                    event: "SubagentStart",
                })
            }
            HookEvent::SubagentStop => {
                return Err(HookPayloadError::NoSubagent {
                    event: "SubagentStop",
                })
            }
            _ => {}
        }
    }
    Ok(HookCall {
        client,
        session_id: session_id.filter(|id| !id.trim().is_empty()),
        cwd: cwd.filter(|cwd| !cwd.is_empty()),
        transcript_path: transcript_path.filter(|path| !path.is_empty()),
        usage_message: None,
        subagent,
        running_subagents: fields.running_subagents()?,
        event,
    })
}

/// Copilot CLI's camelCase names and Gemini CLI's own (Codex's are Claude Code's) in Claude
/// Code's spelling; anything else as given. Gemini CLI's `BeforeAgent` comes when a prompt is
/// sent, its `AfterAgent` when the turn's final answer is given.
fn canonical_event(name: &str) -> &str {
    match name {
        "sessionStart" => "SessionStart",
        "userPromptSubmitted" | "userPromptSubmit" | "BeforeAgent" => "UserPromptSubmit",
        "preToolUse" | "BeforeTool" => "PreToolUse",
        "postToolUse" | "AfterTool" => "PostToolUse",
        "permissionRequest" => "PermissionRequest",
        "notification" => "Notification",
        "agentStop" | "stop" | "AfterAgent" => "Stop",
        "sessionEnd" => "SessionEnd",
        other => other,
    }
}

/// A payload's fields, read by name.
pub(super) struct Fields<'a>(pub(super) &'a Map<String, Value>);

impl Fields<'_> {
    /// The first of `names` present, as text; null counts as absent.
    pub(super) fn text(
        &self,
        names: &[&str],
        field: &'static str,
    ) -> Result<Option<String>, HookPayloadError> {
        match names.iter().find_map(|name| self.0.get(*name)) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(_) => Err(HookPayloadError::WrongType {
                field,
                expected: "text",
            }),
        }
    }

    /// The subagent a call comes from: `agent_id` (blank or absent: the main thread, whose
    /// calls may carry `agent_type` alone when the session was started with `--agent`).
    fn subagent(&self) -> Result<Option<SubagentRef>, HookPayloadError> {
        let Some(id) = self
            .text(&["agent_id"], "agent_id")?
            .map(|id| id.trim().to_owned())
            .filter(|id| !id.is_empty())
        else {
            return Ok(None);
        };
        let agent_type = self
            .text(&["agent_type"], "agent_type")?
            .filter(|kind| !kind.trim().is_empty());
        Ok(Some(SubagentRef { id, agent_type }))
    }

    /// The running subagents of `background_tasks` (other tasks, and entries without an id,
    /// are passed by).
    fn running_subagents(&self) -> Result<Vec<SubagentRef>, HookPayloadError> {
        let tasks = match self.0.get("background_tasks") {
            None | Some(Value::Null) => return Ok(Vec::new()),
            Some(Value::Array(tasks)) => tasks,
            Some(_) => {
                return Err(HookPayloadError::WrongType {
                    field: "background_tasks",
                    expected: "a list",
                })
            }
        };
        let text = |task: &Value, key: &str| {
            task.get(key)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
        };
        Ok(tasks
            .iter()
            .filter(|task| text(task, "type").as_deref() == Some("subagent"))
            .filter(|task| text(task, "status").as_deref() == Some("running"))
            .filter_map(|task| {
                Some(SubagentRef {
                    id: text(task, "id")?,
                    agent_type: text(task, "agent_type"),
                })
            })
            .collect())
    }

    fn tool(&self) -> Result<ToolCall, HookPayloadError> {
        let name = self
            .text(&["tool_name", "toolName"], "tool_name")?
            .unwrap_or_default();
        let input = match ["tool_input", "toolArgs", "toolInput"]
            .iter()
            .find_map(|key| self.0.get(*key))
        {
            None | Some(Value::Null) => Value::Object(Map::new()),
            Some(Value::Object(map)) => Value::Object(map.clone()),
            // Copilot CLI's arguments may come as the JSON text of an object, and a freeform
            // tool's as its raw input (1.0.102's `apply_patch` for gpt-5 models: the patch).
            Some(Value::String(text)) => match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(map)) => Value::Object(map),
                _ => json!({ "input": text }),
            },
            Some(_) => {
                return Err(HookPayloadError::WrongType {
                    field: "tool_input",
                    expected: "an object",
                })
            }
        };
        Ok(ToolCall { name, input })
    }
}

/// The part of a session id a person tells sessions apart by: the last 8 characters of a UUID
/// (Codex's are UUIDv7, whose first characters are the time, shared by sessions started
/// together; Claude Code's and Gemini CLI's are random throughout), and of OpenCode's
/// `ses_<time><random>` ids; anything else whole up to 12 characters, else its first 8.
pub fn short_session_id(session_id: &str) -> String {
    let uuid_shaped = session_id.len() == 36
        && session_id.char_indices().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        });
    let opencode_shaped = session_id.len() > 16
        && session_id.starts_with("ses_")
        && session_id
            .bytes()
            .skip(4)
            .all(|b| b.is_ascii_alphanumeric());
    if uuid_shaped {
        session_id[28..].to_owned()
    } else if opencode_shaped {
        session_id[session_id.len() - 8..].to_owned()
    } else if session_id.chars().count() <= 12 {
        session_id.to_owned()
    } else {
        session_id.chars().take(8).collect()
    }
}
