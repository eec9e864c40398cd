//! OpenAI's Responses API as Codex calls it (a `model_providers` entry whose `base_url` names
//! this server, `wire_api = "responses"`: `POST /v1/responses`, streamed as server-sent events:
//! response.created, output_item added / done, response.completed). A conversation writes with
//! Codex's own `apply_patch` tool (offered to catalog models such as `gpt-5.5`), so the hooks
//! see `tool_name: "apply_patch"` with the patch as `tool_input.command`.

use std::ops::Deref;
use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::conversations::{serve, session_of, tokens_of, Conversations};

/// The model to run Codex with (`-m`): one whose catalog entry offers the `apply_patch` tool.
pub const CODEX_MODEL: &str = "gpt-5.5";

struct Script {
    /// The file every session writes, as the patch names it (relative to the session's folder).
    file: String,
    conversations: Conversations,
    climb: WindowClimb,
    /// Answers given, all sessions together (the account's windows climb with each).
    answers: std::sync::atomic::AtomicUsize,
}

/// The windows the stand-in reports in Codex's headers (`x-codex-primary-used-percent`, …):
/// the primary window starts at `start` percent and climbs `step` points with each answer
/// (the account's, whichever session); the secondary stays at half the primary's start.
#[derive(Debug, Clone, Copy)]
pub struct WindowClimb {
    pub start: f64,
    pub step: f64,
    /// Seconds until each window resets.
    pub primary_reset: u64,
    pub secondary_reset: u64,
}

impl Default for WindowClimb {
    fn default() -> WindowClimb {
        WindowClimb {
            start: 10.0,
            step: 1.0,
            primary_reset: 4 * 3600,
            secondary_reset: 5 * 86_400,
        }
    }
}

impl WindowClimb {
    /// (primary, secondary) percent after `answers` answers.
    pub fn after(&self, answers: usize) -> (f64, f64) {
        let n = answers as f64;
        (self.start + self.step * n, self.start / 2.0)
    }
}

/// A running stand-in; stops with the runtime.
pub struct ResponsesStandIn {
    /// The `base_url` of Codex's provider (ends in `/v1`).
    pub base_url: String,
    script: Arc<Script>,
}

impl Deref for ResponsesStandIn {
    type Target = Conversations;

    fn deref(&self) -> &Conversations {
        &self.script.conversations
    }
}

/// The outputs of tool calls since the last message of the user's (a resumed session sends its
/// whole history: only what follows the new prompt is new).
fn tool_results(body: &Value) -> Vec<(String, bool)> {
    let Some(items) = body["input"].as_array() else {
        return Vec::new();
    };
    let after_prompt = items
        .iter()
        .rposition(|item| item["type"] == "message" && item["role"] == "user")
        .map_or(0, |at| at + 1);
    items[after_prompt..]
        .iter()
        .filter(|item| {
            matches!(
                item["type"].as_str(),
                Some("custom_tool_call_output" | "function_call_output")
            )
        })
        .map(|item| {
            let text = match &item["output"] {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            (text, false)
        })
        .collect()
}

/// One answer: `item`, with its usage ([`tokens_of`]: OpenAI counts the cached input
/// inside `input_tokens`) and the account's windows in Codex's headers.
fn stream(script: &Script, session: &str, n: usize, item: Value) -> Response {
    let id = format!("resp_standin_{n}");
    let [fresh, output, cached, _] = tokens_of(n);
    // Responses have no cache writes: reported as none.
    script
        .conversations
        .reported(session, [fresh, output, cached, 0]);
    let events = [
        json!({"type": "response.created", "response": {"id": id}}),
        json!({"type": "response.output_item.added", "output_index": 0, "item": item}),
        json!({"type": "response.output_item.done", "output_index": 0, "item": item}),
        json!({"type": "response.completed", "response": {"id": id, "usage": {
            "input_tokens": fresh + cached, "input_tokens_details": {"cached_tokens": cached},
            "output_tokens": output, "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": fresh + cached + output}}}),
    ];
    let mut body = String::new();
    for event in events {
        let name = event["type"].as_str().unwrap_or("message");
        body.push_str(&format!("event: {name}\ndata: {event}\n\n"));
    }
    let answers = script
        .answers
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        + 1;
    let (primary, secondary) = script.climb.after(answers);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let climb = script.climb;
    let headers = [
        ("x-codex-primary-used-percent", format!("{primary}")),
        ("x-codex-primary-window-minutes", "300".to_owned()),
        (
            "x-codex-primary-reset-after-seconds",
            climb.primary_reset.to_string(),
        ),
        (
            "x-codex-primary-reset-at",
            (now + climb.primary_reset).to_string(),
        ),
        ("x-codex-secondary-used-percent", format!("{secondary}")),
        ("x-codex-secondary-window-minutes", "10080".to_owned()),
        (
            "x-codex-secondary-reset-after-seconds",
            climb.secondary_reset.to_string(),
        ),
        (
            "x-codex-secondary-reset-at",
            (now + climb.secondary_reset).to_string(),
        ),
    ];
    let mut response = ([(header::CONTENT_TYPE, "text/event-stream")], body).into_response();
    for (name, value) in headers {
        if let Ok(value) = axum::http::HeaderValue::from_str(&value) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

async fn responses(State(script): State<Arc<Script>>, Json(body): Json<Value>) -> Response {
    let session = session_of(&body);
    let results = tool_results(&body);
    let n = script.conversations.request(&session, &results);
    if results.is_empty() {
        let patch = format!(
            "*** Begin Patch\n*** Add File: {}\n+{session}\n*** End Patch\n",
            script.file
        );
        let call = json!({"type": "custom_tool_call", "id": format!("ctc_standin_{n}"),
            "call_id": format!("call_standin_{n}"), "name": "apply_patch", "input": patch});
        return stream(&script, &session, n, call);
    }
    script.conversations.wait_if_held(&session).await;
    let message = json!({"type": "message", "role": "assistant", "id": format!("msg_standin_{n}"),
        "content": [{"type": "output_text", "text": "done", "annotations": []}]});
    stream(&script, &session, n, message)
}

/// Whatever else Codex asks for (its model list): nothing.
async fn anything_else() -> Response {
    Json(json!({"data": [], "models": []})).into_response()
}

impl ResponsesStandIn {
    /// Starts on a free port of 127.0.0.1; every session writes `file` (relative to its folder).
    pub async fn start(file: &str) -> ResponsesStandIn {
        ResponsesStandIn::start_climbing(file, WindowClimb::default()).await
    }

    /// [`ResponsesStandIn::start`], the account's windows climbing as `climb` says.
    pub async fn start_climbing(file: &str, climb: WindowClimb) -> ResponsesStandIn {
        let script = Arc::new(Script {
            file: file.to_owned(),
            conversations: Conversations::default(),
            climb,
            answers: Default::default(),
        });
        let app = Router::new()
            .route("/v1/responses", post(responses))
            .fallback(anything_else)
            .with_state(Arc::clone(&script));
        let base_url = format!("{}/v1", serve(app).await);
        ResponsesStandIn { base_url, script }
    }
}
