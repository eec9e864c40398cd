//! Anthropic's Messages API scripted for a Claude Code session that starts two background
//! subagents which write one file (issue 58). The main conversation (`[session main]`) answers
//! its prompt with two `Agent` tool calls in one message, each subagent's prompt carrying its
//! own marker (`[session sub-a]`, `[session sub-b]`), then ends its turn; each subagent writes
//! the file with its own name as the content, writes it once more after a refusal, and ends.
//!
//! The test paces the subagents through gates: a subagent's first write waits for
//! [`SubagentStandIn::open`]`("start:<name>")` when that gate was closed, its retry after a
//! refusal for `"retry:<name>"`, a second write (of `<file>.again`) after a first that
//! went through for `"again:<name>"` (only when that gate was closed), and its final answer (so its
//! `SubagentStop`) for [`Conversations::release`] when held.

use std::collections::HashMap;
use std::ops::Deref;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};
use tokio::sync::Notify;

use super::conversations::{serve, session_of, Conversations};
use super::messages::{sse_text, sse_tool_uses};

/// The subagents' markers, in the order the main conversation starts them.
pub const SUBAGENTS: [&str; 2] = ["sub-a", "sub-b"];

struct Script {
    file: String,
    conversations: Conversations,
    answers: AtomicUsize,
    gates: Mutex<HashMap<String, Arc<Notify>>>,
}

/// A running stand-in; stops with the runtime.
pub struct SubagentStandIn {
    pub base_url: String,
    script: Arc<Script>,
}

impl Deref for SubagentStandIn {
    type Target = Conversations;

    fn deref(&self) -> &Conversations {
        &self.script.conversations
    }
}

/// Every `tool_result` block of the conversation, in order: (text, is_error). Claude Code may
/// put a reminder after the results, so every user message is read, not only the last.
fn all_tool_results(body: &Value) -> Vec<(String, bool)> {
    let messages = body["messages"].as_array().cloned().unwrap_or_default();
    messages
        .iter()
        .filter(|m| m["role"] == "user")
        .filter_map(|m| m["content"].as_array())
        .flatten()
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

impl Script {
    fn has_gate(&self, name: &str) -> bool {
        self.gates.lock().unwrap().contains_key(name)
    }

    async fn wait_gate(&self, name: &str) {
        let gate = self.gates.lock().unwrap().get(name).cloned();
        if let Some(gate) = gate {
            gate.notified().await;
        }
    }
}

async fn messages(
    State(script): State<Arc<Script>>,
    Json(body): Json<Value>,
) -> axum::response::Response {
    let session = session_of(&body);
    let results = all_tool_results(&body);
    let before = script.conversations.seen(&session).tool_results.len();
    script
        .conversations
        .request(&session, results.get(before..).unwrap_or_default());
    // Answers of all conversations are numbered apart (message and tool-use ids).
    let n = script.answers.fetch_add(1, Ordering::Relaxed) + 1;
    let offers_write = body["tools"]
        .as_array()
        .is_some_and(|tools| tools.iter().any(|t| t["name"] == "Write"));
    if !offers_write {
        return sse_text(n, "ok");
    }
    if session == "main" {
        let answered = body["messages"]
            .as_array()
            .is_some_and(|m| m.iter().any(|m| m["role"] == "assistant"));
        if answered {
            return sse_text(n, "done");
        }
        let calls: Vec<(&str, Value)> = SUBAGENTS
            .iter()
            .map(|name| {
                let input = json!({
                    "description": format!("write the app ({name})"),
                    "prompt": format!("[session {name}] Write src/app.rs."),
                    "subagent_type": "general-purpose",
                });
                ("Agent", input)
            })
            .collect();
        return sse_tool_uses(n, &calls);
    }
    let write = || {
        let input = json!({"file_path": script.file, "content": session});
        sse_tool_uses(n, &[("Write", input)])
    };
    match results.last() {
        None => {
            script.wait_gate(&format!("start:{session}")).await;
            write()
        }
        // Refused once: it tries again when let.
        Some((_, true)) if results.len() == 1 => {
            script.wait_gate(&format!("retry:{session}")).await;
            write()
        }
        // Written once: it writes again when the test closed its `again:` gate, once let.
        // (Another file, `<file>.again`: Claude Code itself refuses a write of a file changed
        // since the subagent last wrote it, before any hook.)
        Some((_, false)) if results.len() == 1 && script.has_gate(&format!("again:{session}")) => {
            script.wait_gate(&format!("again:{session}")).await;
            let input = json!({"file_path": format!("{}.again", script.file), "content": session});
            sse_tool_uses(n, &[("Write", input)])
        }
        Some(_) => {
            script.conversations.wait_if_held(&session).await;
            sse_text(n, "done")
        }
    }
}

impl SubagentStandIn {
    /// Starts on a free port of 127.0.0.1; the subagents write `file` (an absolute path).
    pub async fn start(file: &str) -> SubagentStandIn {
        let script = Arc::new(Script {
            file: file.to_owned(),
            conversations: Conversations::default(),
            answers: AtomicUsize::new(0),
            gates: Mutex::new(HashMap::new()),
        });
        let app = Router::new()
            .route("/v1/messages", post(messages))
            .with_state(Arc::clone(&script));
        let base_url = serve(app).await;
        SubagentStandIn { base_url, script }
    }

    /// Closes the gate `name` (`start:<subagent>`, `retry:<subagent>`) until [`Self::open`].
    pub fn close(&self, name: &str) {
        self.script
            .gates
            .lock()
            .unwrap()
            .insert(name.to_owned(), Arc::new(Notify::new()));
    }

    /// Opens the gate `name`: what waits there goes on (and what comes later passes).
    pub fn open(&self, name: &str) {
        if let Some(gate) = self.script.gates.lock().unwrap().remove(name) {
            gate.notify_one();
        }
    }
}
