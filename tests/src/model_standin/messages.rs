//! A scripted stand-in for Anthropic's Messages API, so that the real Claude Code CLI runs here
//! offline (`ANTHROPIC_BASE_URL`). Every conversation asks for one `Write` of a file, then, once
//! the tool's result comes back, ends its turn with a line of text. The answer is streamed as
//! Claude Code asks for it (server-sent events: message_start, a content block, message_delta,
//! message_stop); see ../shared/notes/coding-agents-hooks.md.
//!
//! A conversation is told apart by a marker in its prompt (`[session NAME]`); the stand-in
//! writes `NAME` as the file's content, keeps every tool result it was sent, and can hold a
//! session's last answer until the test lets it go (so that session's turn stays open).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::Notify;

/// What the stand-in was sent, per session.
#[derive(Debug, Default, Clone)]
pub struct Seen {
    /// The text of every `tool_result` block, and whether it was an error.
    pub tool_results: Vec<(String, bool)>,
    pub requests: usize,
}

#[derive(Default)]
struct Script {
    file: String,
    seen: Mutex<HashMap<String, Seen>>,
    /// Sessions whose final answer waits for [`ModelStandIn::release`].
    held: Mutex<HashMap<String, Arc<Notify>>>,
    /// Notified each time a tool result arrives.
    results: Notify,
}

/// A running stand-in; stops with the runtime.
pub struct ModelStandIn {
    pub base_url: String,
    script: Arc<Script>,
}

fn session_of(body: &Value) -> String {
    let text = body.to_string();
    text.split("[session ")
        .nth(1)
        .and_then(|rest| rest.split(']').next())
        .unwrap_or("unknown")
        .to_owned()
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

fn sse(events: &[Value]) -> Response {
    let mut body = String::new();
    for event in events {
        body.push_str(&format!(
            "event: {}\ndata: {event}\n\n",
            event["type"].as_str().unwrap_or("message")
        ));
    }
    ([(header::CONTENT_TYPE, "text/event-stream")], body).into_response()
}

fn message_start(n: usize) -> Value {
    json!({"type": "message_start", "message": {
        "id": format!("msg_standin_{n}"), "type": "message", "role": "assistant",
        "model": "claude-standin", "content": [], "stop_reason": null, "stop_sequence": null,
        "usage": {"input_tokens": 10, "output_tokens": 1}}})
}

fn ending(stop_reason: &str) -> [Value; 2] {
    [
        json!({"type": "message_delta", "delta": {"stop_reason": stop_reason, "stop_sequence": null}, "usage": {"output_tokens": 5}}),
        json!({"type": "message_stop"}),
    ]
}

fn text_answer(n: usize, text: &str) -> Response {
    let mut events = vec![
        message_start(n),
        json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
        json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": text}}),
        json!({"type": "content_block_stop", "index": 0}),
    ];
    events.extend(ending("end_turn"));
    sse(&events)
}

fn write_answer(n: usize, file: &str, content: &str) -> Response {
    let input = json!({"file_path": file, "content": content}).to_string();
    let mut events = vec![
        message_start(n),
        json!({"type": "content_block_start", "index": 0, "content_block": {"type": "tool_use", "id": format!("toolu_standin_{n}"), "name": "Write", "input": {}}}),
        json!({"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": input}}),
        json!({"type": "content_block_stop", "index": 0}),
    ];
    events.extend(ending("tool_use"));
    sse(&events)
}

async fn messages(State(script): State<Arc<Script>>, Json(body): Json<Value>) -> Response {
    let session = session_of(&body);
    let results = tool_results(&body);
    let n = {
        let mut seen = script.seen.lock().unwrap();
        let entry = seen.entry(session.clone()).or_default();
        entry.requests += 1;
        entry.tool_results.extend(results.iter().cloned());
        entry.requests
    };
    let offers_write = body["tools"]
        .as_array()
        .is_some_and(|tools| tools.iter().any(|t| t["name"] == "Write"));
    if !offers_write {
        // Side requests (titles, summaries): a line of text.
        return text_answer(n, "ok");
    }
    if results.is_empty() {
        return write_answer(n, &script.file, &session);
    }
    script.results.notify_waiters();
    let hold = script.held.lock().unwrap().get(&session).cloned();
    if let Some(hold) = hold {
        hold.notified().await;
    }
    text_answer(n, "done")
}

impl ModelStandIn {
    /// Starts on a free port of 127.0.0.1; every session writes `file` (an absolute path).
    pub async fn start(file: &str) -> ModelStandIn {
        let script = Arc::new(Script {
            file: file.to_owned(),
            ..Script::default()
        });
        let app = Router::new()
            .route("/v1/messages", post(messages))
            .with_state(Arc::clone(&script));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let base_url = format!("http://{}", listener.local_addr().expect("bound"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        ModelStandIn { base_url, script }
    }

    /// Holds `session`'s final answer (its turn stays open) until [`ModelStandIn::release`].
    pub fn hold(&self, session: &str) {
        self.script
            .held
            .lock()
            .unwrap()
            .insert(session.to_owned(), Arc::new(Notify::new()));
    }

    pub fn release(&self, session: &str) {
        if let Some(hold) = self.script.held.lock().unwrap().remove(session) {
            hold.notify_one();
        }
    }

    /// What `session` sent so far.
    pub fn seen(&self, session: &str) -> Seen {
        self.script
            .seen
            .lock()
            .unwrap()
            .get(session)
            .cloned()
            .unwrap_or_default()
    }

    /// Waits until `session` has sent a tool result.
    pub async fn wait_for_tool_result(&self, session: &str) {
        self.wait_for_tool_results(session, 1).await;
    }

    /// Waits until `session` has sent `count` tool results in all.
    pub async fn wait_for_tool_results(&self, session: &str, count: usize) {
        loop {
            let notified = self.script.results.notified();
            if self.seen(session).tool_results.len() >= count {
                return;
            }
            notified.await;
        }
    }
}
