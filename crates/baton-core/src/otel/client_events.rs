//! The coding clients' own telemetry (issue 61, point 2): the log events Claude Code, Codex and
//! Gemini CLI export over OTLP, read into what Baton joins to the session their hooks reported.
//!
//! Measured from the real clients (offline, against the stand-in models):
//! - **Claude Code** 2.1.328 (`CLAUDE_CODE_ENABLE_TELEMETRY`): `service.name` `claude-code`,
//!   `event.name` `api_request` (`request_id`, `model`, `input_tokens`, `output_tokens`,
//!   `cache_read_tokens`, `cache_creation_tokens`, `cost_usd`, `duration_ms`), `api_error`
//!   (`status_code`, `error`, `attempt`), `tool_decision` (`tool_name`, `decision`, `source`),
//!   `tool_result` (`tool_name`, `success`, `duration_ms`, `error`), each with `session.id`.
//!   `request_id` is the API's `request-id` header, which the transcript keeps as `requestId`:
//!   the one key both sources give a response.
//! - **Codex** 0.169.0 (`[otel]`): `event.name` `codex.api_request`
//!   (`http.response.status_code`, `attempt`, `error.message`), `codex.sse_event`
//!   (`response.completed` with token counts, naming no response), `codex.tool_decision`,
//!   `codex.tool_result` (`tool_name`, `success`, `duration_ms`), each with `conversation.id`
//!   (the hooks' session id).
//! - **Gemini CLI** 0.61.0 (`telemetry` settings): `event.name` `gemini_cli.api_response`
//!   (`status_code`, token counts, naming no response), `gemini_cli.api_error` (`status_code`,
//!   `error`), `gemini_cli.tool_call` (`function_name`, `decision`, `success`,
//!   `duration_ms`), each with `session.id`. It exports GenAI spans too (`gen_ai.agent.name`
//!   `gemini-cli`): they are the session's, never an agent of their own ([`is_client_span`]).
//!
//! Codex's and Gemini CLI's token counts name no response, so their tokens keep coming from the
//! session's record file (the same figures, each response once); their telemetry brings the API
//! errors and tool calls. Prompts, tool arguments and outputs are never read.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::hooks::HookClient;
use crate::usage::TokenUse;

/// What Baton reads of one log record (the receiver fills it from OTLP, bounded).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogFacts {
    /// The resource's `service.name`.
    pub service: Option<String>,
    /// The record's time (else its observed time).
    pub at: Option<DateTime<Utc>>,
    /// The record's body, when it is text (Claude Code names its event there too).
    pub body: Option<String>,
    /// The record's attributes Baton reads (see [`CLIENT_ATTRIBUTES_READ`]), as text.
    pub attributes: BTreeMap<String, String>,
}

/// The attributes of a log record Baton reads; every other one (prompts, tool arguments and
/// outputs among them) is ignored, never stored.
pub const CLIENT_ATTRIBUTES_READ: [&str; 30] = [
    "event.name",
    "session.id",
    "conversation.id",
    "request_id",
    "model",
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_creation_tokens",
    "cost_usd",
    "duration_ms",
    "status_code",
    "http.response.status_code",
    "error",
    "error.message",
    "error_type",
    "attempt",
    "tool_name",
    "function_name",
    "decision",
    "source",
    "success",
    "event.kind",
    "input_token_count",
    "output_token_count",
    "cached_token_count",
    "cached_content_token_count",
    "reasoning_token_count",
    "thoughts_token_count",
    "tool_token_count",
];

/// The `service.name` each client's telemetry carries (Codex's depends on how it runs:
/// `codex_exec`, `codex_cli_rs`, …, so it is told by its events' `codex.` names).
const CLAUDE_SERVICE: &str = "claude-code";
const GEMINI_SERVICE: &str = "gemini-cli";

/// Whether spans of `service` (else named `agent`) are a coding client's: its sessions are
/// Baton's through their hooks, so its spans never make an agent of their own.
pub fn is_client_span(service: Option<&str>, agent: Option<&str>) -> bool {
    service.is_some_and(|s| s == GEMINI_SERVICE || s == CLAUDE_SERVICE)
        || agent.is_some_and(|a| a == GEMINI_SERVICE)
}

/// One event of a coding client's telemetry, for the session it names.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientEvent {
    pub client: HookClient,
    /// The session's id as its hooks give it.
    pub session_id: String,
    pub at: Option<DateTime<Utc>>,
    pub what: ClientAction,
}

/// What a client's event says.
#[derive(Debug, Clone, PartialEq)]
pub enum ClientAction {
    /// A model response: its usage counted in the session when it names its request (the
    /// key the session's record file gives it too), its price as the client reckoned it.
    ModelCall {
        /// The API's request id (None: the response is counted from the record file only).
        request_id: Option<String>,
        model: Option<String>,
        /// None: the event carries no usage (Codex's and Gemini CLI's request events).
        tokens: Option<TokenUse>,
        cost_usd: Option<f64>,
        status: u16,
        duration_ms: Option<u64>,
    },
    /// A call to the model API that failed (a 429 or 529 among them).
    ApiError {
        model: Option<String>,
        /// None: no HTTP status (the connection failed).
        status: Option<u16>,
        attempt: Option<u32>,
        error: Option<String>,
    },
    /// The client decided whether a tool call may run (`accept`, `reject`, …).
    ToolDecision {
        tool: String,
        decision: String,
        source: Option<String>,
    },
    /// A tool call ended.
    ToolResult {
        tool: String,
        success: bool,
        duration_ms: Option<u64>,
        error: Option<String>,
    },
}

impl LogFacts {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attributes
            .get(name)
            .map(String::as_str)
            .map(str::trim)
            .filter(|v| !v.is_empty() && *v != "None" && *v != "undefined")
    }

    fn text(&self, name: &str) -> Option<String> {
        self.attr(name).map(str::to_owned)
    }

    fn number(&self, name: &str) -> Option<u64> {
        let text = self.attr(name)?;
        text.parse::<u64>().ok().or_else(|| {
            text.parse::<f64>()
                .ok()
                .filter(|f| *f >= 0.0)
                .map(|f| f as u64)
        })
    }

    fn status(&self) -> Option<u16> {
        ["status_code", "http.response.status_code"]
            .iter()
            .find_map(|name| self.attr(name)?.parse::<u16>().ok())
            .filter(|s| (100..600).contains(s))
    }

    fn flag(&self, name: &str) -> Option<bool> {
        match self.attr(name)?.to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        }
    }

    /// Which client sent it and the event's name without the client's prefix.
    fn client_and_event(&self) -> Option<(HookClient, &str)> {
        let name = self.attr("event.name")?;
        if let Some(event) = name.strip_prefix("codex.") {
            return Some((HookClient::Codex, event));
        }
        if let Some(event) = name.strip_prefix("gemini_cli.") {
            return Some((HookClient::Gemini, event));
        }
        let claude = self.service.as_deref() == Some(CLAUDE_SERVICE)
            || self
                .body
                .as_deref()
                .is_some_and(|b| b.starts_with("claude_code."));
        claude.then_some((
            HookClient::ClaudeCode,
            name.trim_start_matches("claude_code."),
        ))
    }
}

/// The client event a log record is; None: no coding client's, or an event Baton does not read
/// (prompts, configuration, startup, streaming events without usage).
pub fn client_event(log: &LogFacts) -> Option<ClientEvent> {
    let (client, event) = log.client_and_event()?;
    let session_id = match client {
        HookClient::Codex => log.text("conversation.id"),
        _ => log.text("session.id"),
    }?;
    let what = match (client, event) {
        (HookClient::ClaudeCode, "api_request") => ClientAction::ModelCall {
            request_id: log.text("request_id"),
            model: log.text("model"),
            tokens: Some(TokenUse {
                input: log.number("input_tokens").unwrap_or(0),
                output: log.number("output_tokens").unwrap_or(0),
                cache_read: log.number("cache_read_tokens").unwrap_or(0),
                cache_write: log.number("cache_creation_tokens").unwrap_or(0),
            }),
            cost_usd: log
                .attr("cost_usd")
                .and_then(|c| c.parse::<f64>().ok())
                .filter(|c| c.is_finite() && *c >= 0.0),
            status: 200,
            duration_ms: log.number("duration_ms"),
        },
        (HookClient::Codex, "api_request") => match log.status() {
            Some(status) if status < 400 => ClientAction::ModelCall {
                request_id: None,
                model: log.text("model"),
                tokens: None,
                cost_usd: None,
                status,
                duration_ms: log.number("duration_ms"),
            },
            status => ClientAction::ApiError {
                model: log.text("model"),
                status,
                attempt: attempt(log),
                error: log.text("error.message"),
            },
        },
        (HookClient::Gemini, "api_response") => ClientAction::ModelCall {
            request_id: None,
            model: log.text("model"),
            tokens: None,
            cost_usd: None,
            status: log.status().unwrap_or(200),
            duration_ms: log.number("duration_ms"),
        },
        (HookClient::ClaudeCode | HookClient::Gemini, "api_error") => ClientAction::ApiError {
            model: log.text("model"),
            status: log.status(),
            attempt: attempt(log),
            error: log.text("error").or_else(|| log.text("error_type")),
        },
        (HookClient::ClaudeCode | HookClient::Codex, "tool_decision") => {
            ClientAction::ToolDecision {
                tool: log.text("tool_name")?,
                decision: log.text("decision")?,
                source: log.text("source"),
            }
        }
        (HookClient::ClaudeCode | HookClient::Codex, "tool_result") => ClientAction::ToolResult {
            tool: log.text("tool_name")?,
            success: log.flag("success").unwrap_or(true),
            duration_ms: log.number("duration_ms"),
            error: log.text("error"),
        },
        // Gemini CLI says the decision and the result in one event: the result is what shows.
        (HookClient::Gemini, "tool_call") => ClientAction::ToolResult {
            tool: log.text("function_name")?,
            success: log.flag("success").unwrap_or(true),
            duration_ms: log.number("duration_ms"),
            error: log.text("error"),
        },
        _ => return None,
    };
    Some(ClientEvent {
        client,
        session_id,
        at: log.at,
        what,
    })
}

fn attempt(log: &LogFacts) -> Option<u32> {
    log.number("attempt").and_then(|a| u32::try_from(a).ok())
}

impl ClientAction {
    /// The line the session's timeline shows for it.
    pub fn line(&self) -> String {
        let ms = |d: &Option<u64>| d.map(|d| format!(" in {d} ms")).unwrap_or_default();
        match self {
            ClientAction::ModelCall {
                model,
                tokens,
                cost_usd,
                duration_ms,
                ..
            } => {
                let mut line = format!("model {}", model.as_deref().unwrap_or("call"));
                if let Some(t) = tokens {
                    line.push_str(&format!(
                        ": {} in, {} out, {} from cache",
                        t.input,
                        t.output,
                        t.cache_read.saturating_add(t.cache_write)
                    ));
                }
                if let Some(cost) = cost_usd {
                    line.push_str(&format!(", ${cost:.4}"));
                }
                line + &ms(duration_ms)
            }
            ClientAction::ApiError {
                status,
                attempt,
                error,
                ..
            } => {
                let mut line = match status {
                    Some(status) => format!("API error {status}"),
                    None => "API unreachable".to_owned(),
                };
                if let Some(attempt) = attempt {
                    line.push_str(&format!(" (attempt {attempt})"));
                }
                if let Some(error) = error {
                    line.push_str(&format!(": {error}"));
                }
                line
            }
            ClientAction::ToolDecision {
                tool,
                decision,
                source,
            } => match source {
                Some(source) => format!("tool {tool} {decision} ({source})"),
                None => format!("tool {tool} {decision}"),
            },
            ClientAction::ToolResult {
                tool,
                success,
                duration_ms,
                error,
            } => match (success, error) {
                (true, _) => format!("tool {tool} done{}", ms(duration_ms)),
                (false, Some(error)) => format!("tool {tool} failed: {error}"),
                (false, None) => format!("tool {tool} failed{}", ms(duration_ms)),
            },
        }
    }
}
