//! OpenAI's Chat Completions API as Copilot CLI 1.0.102 calls it in its offline BYOK mode
//! (`COPILOT_OFFLINE=true`, `COPILOT_PROVIDER_BASE_URL` naming this server, `COPILOT_MODEL`),
//! and as OpenCode 1.18.33 calls a custom `@ai-sdk/openai-compatible` provider whose `baseURL`
//! names it: `POST /v1/chat/completions`, always streamed as `data:` chunks ending with
//! `data: [DONE]`. A conversation writes with the client's own tools ([`ChatTools`]).

use std::ops::Deref;
use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::conversations::{serve, session_of, Conversations};

/// The model Copilot CLI is run with: one it offers `create` and `edit` to (a gpt-5 id gets
/// `apply_patch` instead).
pub const COPILOT_MODEL: &str = "gpt-4.1";

/// Whose tools a conversation writes with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatTools {
    /// Copilot CLI's `create` (`{path, file_text}`), or, when the file is there already, its
    /// `edit` (`{path, old_str, new_str}`, the whole text replaced: `create` refuses a file that
    /// exists).
    Copilot,
    /// OpenCode's `write` (`{filePath, content}`).
    OpenCode,
}

struct Script {
    /// The file every session writes (absolute, as the clients' tools want it).
    file: String,
    tools: ChatTools,
    conversations: Conversations,
}

/// A running stand-in; stops with the runtime.
pub struct ChatStandIn {
    /// `COPILOT_PROVIDER_BASE_URL` (ends in `/v1`).
    pub base_url: String,
    script: Arc<Script>,
}

impl Deref for ChatStandIn {
    type Target = Conversations;

    fn deref(&self) -> &Conversations {
        &self.script.conversations
    }
}

/// The tool messages since the last message of the user's.
fn tool_results(body: &Value) -> Vec<(String, bool)> {
    let Some(messages) = body["messages"].as_array() else {
        return Vec::new();
    };
    let after_prompt = messages
        .iter()
        .rposition(|m| m["role"] == "user")
        .map_or(0, |at| at + 1);
    messages[after_prompt..]
        .iter()
        .filter(|m| m["role"] == "tool")
        .map(|m| {
            let text = match &m["content"] {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            (text, false)
        })
        .collect()
}

/// The usage the API reports for the `n`th request of a session: a prompt that grows, part of
/// it cached, and reasoning within the completion.
fn usage(n: usize) -> Value {
    let n = n as u64;
    let (prompt, cached, completion, reasoning) = (1000 + 100 * n, 400, 20 + n, 5);
    json!({"prompt_tokens": prompt, "completion_tokens": completion,
           "total_tokens": prompt + completion,
           "prompt_tokens_details": {"cached_tokens": cached},
           "completion_tokens_details": {"reasoning_tokens": reasoning}})
}

/// One streamed answer: its deltas as chunks, then the finish, `usage` (when reported) and
/// `[DONE]`.
fn stream(n: usize, deltas: Vec<Value>, finish: &str, usage: Option<Value>) -> Response {
    let chunk = |delta: Value, finish: Option<&str>| {
        json!({"id": format!("chatcmpl-standin-{n}"), "object": "chat.completion.chunk",
               "created": 0, "model": COPILOT_MODEL,
               "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
    };
    let mut body = String::new();
    let mut push = |value: Value| body.push_str(&format!("data: {value}\n\n"));
    push(chunk(json!({"role": "assistant", "content": ""}), None));
    for delta in deltas {
        push(chunk(delta, None));
    }
    push(chunk(json!({}), Some(finish)));
    if let Some(usage) = usage {
        push(
            json!({"id": format!("chatcmpl-standin-{n}"), "object": "chat.completion.chunk",
                    "created": 0, "model": COPILOT_MODEL, "choices": [], "usage": usage}),
        );
    }
    body.push_str("data: [DONE]\n\n");
    ([(header::CONTENT_TYPE, "text/event-stream")], body).into_response()
}

async fn completions(State(script): State<Arc<Script>>, Json(body): Json<Value>) -> Response {
    // A request that offers no tools is none of a conversation's turns (OpenCode's title for a
    // session): a line of text, no usage.
    if body["tools"].as_array().is_none_or(Vec::is_empty) {
        return stream(
            0,
            vec![json!({"content": "A stand-in title"})],
            "stop",
            None,
        );
    }
    let session = session_of(&body);
    let results = tool_results(&body);
    let n = script.conversations.request(&session, &results);
    let usage = Some(script.conversations.reported_usage(&session, usage(n)));
    if results.is_empty() {
        let (name, arguments) = match (script.tools, std::fs::read_to_string(&script.file)) {
            (ChatTools::OpenCode, _) => (
                "write",
                json!({"filePath": script.file, "content": session}),
            ),
            (ChatTools::Copilot, Ok(old)) => (
                "edit",
                json!({"path": script.file, "old_str": old, "new_str": session}),
            ),
            (ChatTools::Copilot, Err(_)) => {
                ("create", json!({"path": script.file, "file_text": session}))
            }
        };
        let call = json!({"tool_calls": [{"index": 0, "id": format!("call_standin_{n}"),
            "type": "function", "function": {"name": name, "arguments": arguments.to_string()}}]});
        return stream(n, vec![call], "tool_calls", usage);
    }
    script.conversations.wait_if_held(&session).await;
    stream(n, vec![json!({"content": "done"})], "stop", usage)
}

/// Whatever else Copilot asks for: nothing.
async fn anything_else() -> Response {
    Json(json!({"data": []})).into_response()
}

impl ChatStandIn {
    /// Starts on a free port of 127.0.0.1; every session writes `file` (an absolute path) with
    /// Copilot CLI's tools.
    pub async fn start(file: &str) -> ChatStandIn {
        ChatStandIn::start_with(file, ChatTools::Copilot).await
    }

    /// [`ChatStandIn::start`], writing with `tools`.
    pub async fn start_with(file: &str, tools: ChatTools) -> ChatStandIn {
        let script = Arc::new(Script {
            file: file.to_owned(),
            tools,
            conversations: Conversations::default(),
        });
        let app = Router::new()
            .route("/v1/chat/completions", post(completions))
            .fallback(anything_else)
            .with_state(Arc::clone(&script));
        let base_url = format!("{}/v1", serve(app).await);
        ChatStandIn { base_url, script }
    }
}
