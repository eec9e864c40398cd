//! Anthropic's Messages API as Claude Code calls it (`ANTHROPIC_BASE_URL`, `POST
//! /v1/messages`, always streamed as server-sent events: message_start, a content block,
//! message_delta, message_stop). A conversation writes with the `Write` tool, or runs one
//! command with `Bash` ([`ModelStandIn::start_bash`]).

use std::collections::HashMap;
use std::ops::Deref;
use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::conversations::{serve, session_of, tokens_of, Conversations};

/// The one tool call each conversation makes.
enum Action {
    /// `Write` of this file, its content the one given for the session, else the session's
    /// name.
    Write {
        file: String,
        contents: HashMap<String, String>,
    },
    /// `Bash` with this command.
    Bash(String),
}

struct Script {
    action: Action,
    conversations: Conversations,
    /// How many conversation requests are still answered 429 before any is served.
    refusals: std::sync::atomic::AtomicUsize,
}

/// A running stand-in; stops with the runtime. Holds, releases and what was seen are its
/// [`Conversations`]'.
pub struct ModelStandIn {
    pub base_url: String,
    script: Arc<Script>,
}

impl Deref for ModelStandIn {
    type Target = Conversations;

    fn deref(&self) -> &Conversations {
        &self.script.conversations
    }
}

/// The `tool_result` blocks of the last user message: (text, is_error).
fn tool_results(body: &Value) -> Vec<(String, bool)> {
    let last = body["messages"]
        .as_array()
        .and_then(|m| m.iter().rev().find(|m| m["role"] == "user"));
    let Some(Value::Array(blocks)) = last.map(|m| &m["content"]) else {
        return Vec::new();
    };
    blocks
        .iter()
        .filter(|b| b["type"] == "tool_result")
        .map(|b| {
            let text = match &b["content"] {
                Value::String(text) => text.clone(),
                Value::Array(parts) => parts
                    .iter()
                    .filter_map(|p| p["text"].as_str())
                    .collect::<Vec<_>>()
                    .join("\n"),
                other => other.to_string(),
            };
            (text, b["is_error"].as_bool().unwrap_or(false))
        })
        .collect()
}

/// The answer's server-sent events, with the `request-id` header the Messages API sends (Claude
/// Code keeps it as the transcript line's `requestId` and its telemetry's `request_id`).
fn sse(n: usize, events: &[Value]) -> Response {
    let mut body = String::new();
    for event in events {
        body.push_str(&format!(
            "event: {}\ndata: {event}\n\n",
            event["type"].as_str().unwrap_or("message")
        ));
    }
    let request_id = format!("req_standin_{}_{n}", std::process::id());
    (
        [
            (header::CONTENT_TYPE, "text/event-stream".to_owned()),
            (header::HeaderName::from_static("request-id"), request_id),
        ],
        body,
    )
        .into_response()
}

/// The model the stand-in answers as. Not a real model's name: answering as
/// `claude-sonnet-4-5`, Claude Code 2.1.328 checks a Write of a file that exists against what
/// the session read ("File has not been read yet"), so a session granted a file after its
/// refusal would have to read it first, which this one-write script does not do.
pub const CLAUDE_MODEL: &str = "claude-standin";

/// An answer's usage: `tokens` (see [`tokens_of`]), or none for a side request.
fn message_start(n: usize, tokens: Option<[u64; 4]>) -> Value {
    let [input, _, cache_read, cache_write] = tokens.unwrap_or_default();
    json!({"type": "message_start", "message": {
        "id": format!("msg_standin_{}_{n}", std::process::id()), "type": "message",
        "role": "assistant", "model": CLAUDE_MODEL, "content": [], "stop_reason": null,
        "stop_sequence": null,
        "usage": {"input_tokens": input, "output_tokens": 1,
                  "cache_read_input_tokens": cache_read,
                  "cache_creation_input_tokens": cache_write}}})
}

/// The message's end: its output tokens in all (Claude Code keeps the last count).
fn ending(stop_reason: &str, tokens: Option<[u64; 4]>) -> [Value; 2] {
    let output = tokens.map_or(0, |t| t[1]);
    [
        json!({"type": "message_delta", "delta": {"stop_reason": stop_reason, "stop_sequence": null}, "usage": {"output_tokens": output}}),
        json!({"type": "message_stop"}),
    ]
}

fn text_answer(n: usize, text: &str, tokens: Option<[u64; 4]>) -> Response {
    let mut events = vec![
        message_start(n, tokens),
        json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
        json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": text}}),
        json!({"type": "content_block_stop", "index": 0}),
    ];
    events.extend(ending("end_turn", tokens));
    sse(n, &events)
}

fn tool_answer(n: usize, tool: &str, input: &Value, tokens: Option<[u64; 4]>) -> Response {
    let mut events = vec![
        message_start(n, tokens),
        json!({"type": "content_block_start", "index": 0, "content_block": {"type": "tool_use", "id": format!("toolu_standin_{n}"), "name": tool, "input": {}}}),
        json!({"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": input.to_string()}}),
        json!({"type": "content_block_stop", "index": 0}),
    ];
    events.extend(ending("tool_use", tokens));
    sse(n, &events)
}

/// A text answer numbered `n` (unique per stand-in), no usage.
pub(super) fn sse_text(n: usize, text: &str) -> Response {
    text_answer(n, text, None)
}

/// An answer numbered `n` (unique per stand-in) calling each of `calls` (tool, input), one
/// block each, no usage.
pub(super) fn sse_tool_uses(n: usize, calls: &[(&str, Value)]) -> Response {
    let mut events = vec![message_start(n, None)];
    for (i, (tool, input)) in calls.iter().enumerate() {
        events.extend([
            json!({"type": "content_block_start", "index": i, "content_block": {"type": "tool_use", "id": format!("toolu_standin_{n}_{i}"), "name": tool, "input": {}}}),
            json!({"type": "content_block_delta", "index": i, "delta": {"type": "input_json_delta", "partial_json": input.to_string()}}),
            json!({"type": "content_block_stop", "index": i}),
        ]);
    }
    events.extend(ending("tool_use", None));
    sse(n, &events)
}

async fn messages(State(script): State<Arc<Script>>, Json(body): Json<Value>) -> Response {
    let session = session_of(&body);
    let results = tool_results(&body);
    let n = script.conversations.request(&session, &results);
    let offers_write = body["tools"]
        .as_array()
        .is_some_and(|tools| tools.iter().any(|t| t["name"] == "Write"));
    if !offers_write {
        // Side requests (titles, summaries): a line of text, no usage (the transcript keeps
        // only the conversation's).
        return text_answer(n, "ok", None);
    }
    if take_one(&script.refusals) {
        return rate_limited();
    }
    // The conversation's answers report usage, counted as reported.
    let tokens = tokens_of(n);
    if results.is_empty() {
        script.conversations.reported(&session, tokens);
        return match &script.action {
            Action::Write { file, contents } => {
                let content = contents.get(&session).unwrap_or(&session);
                let input = json!({"file_path": file, "content": content});
                tool_answer(n, "Write", &input, Some(tokens))
            }
            Action::Bash(command) => tool_answer(
                n,
                "Bash",
                &json!({"command": command, "description": "run the step"}),
                Some(tokens),
            ),
        };
    }
    script.conversations.wait_if_held(&session).await;
    script.conversations.reported(&session, tokens);
    text_answer(n, "done", Some(tokens))
}

/// The Messages API's 429, as it answers when a key's rate limit is spent (try again at once).
fn rate_limited() -> Response {
    too_many_requests(
        json!({"type": "error", "error": {"type": "rate_limit_error",
        "message": "Number of request tokens has exceeded your per-minute rate limit"}}),
    )
}

/// Takes one of the refusals left (true when there was one).
fn take_one(refusals: &std::sync::atomic::AtomicUsize) -> bool {
    use std::sync::atomic::Ordering::SeqCst;
    refusals
        .fetch_update(SeqCst, SeqCst, |left| left.checked_sub(1))
        .is_ok()
}

/// A 429 with `body`, to be tried again at once, with a `request-id` as the API sends one.
fn too_many_requests(body: serde_json::Value) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    (
        axum::http::StatusCode::TOO_MANY_REQUESTS,
        [
            (header::RETRY_AFTER, "0"),
            (
                header::HeaderName::from_static("request-id"),
                "req_standin_429",
            ),
        ],
        axum::Json(body),
    )
        .into_response()
}

impl ModelStandIn {
    /// The next `n` conversation requests (of any session) are answered 429, then served.
    pub fn refuse_next(&self, n: usize) {
        self.script
            .refusals
            .store(n, std::sync::atomic::Ordering::SeqCst);
    }

    /// Starts on a free port of 127.0.0.1; every session writes `file` (an absolute path).
    pub async fn start(file: &str) -> ModelStandIn {
        ModelStandIn::start_writing(file, HashMap::new()).await
    }

    /// Starts on a free port of 127.0.0.1; every session writes `file` (an absolute path), with
    /// the content `contents` gives for the session (else the session's name).
    pub async fn start_writing(file: &str, contents: HashMap<String, String>) -> ModelStandIn {
        ModelStandIn::serve(Action::Write {
            file: file.to_owned(),
            contents,
        })
        .await
    }

    /// Starts on a free port of 127.0.0.1; every session runs `command` with `Bash`.
    pub async fn start_bash(command: &str) -> ModelStandIn {
        ModelStandIn::serve(Action::Bash(command.to_owned())).await
    }

    async fn serve(action: Action) -> ModelStandIn {
        let script = Arc::new(Script {
            action,
            conversations: Conversations::default(),
            refusals: std::sync::atomic::AtomicUsize::new(0),
        });
        let app = Router::new()
            .route("/v1/messages", post(messages))
            .with_state(Arc::clone(&script));
        let base_url = serve(app).await;
        ModelStandIn { base_url, script }
    }
}
