//! Scripted stand-ins for the model APIs of the coding-agent CLIs, so that the real clients run
//! here offline: Anthropic's Messages API for Claude Code ([`ModelStandIn`]), OpenAI's
//! Responses API for Codex ([`ResponsesStandIn`]), its Chat Completions API for Copilot CLI and
//! OpenCode ([`ChatStandIn`]) and Google's Gemini API for Gemini CLI ([`GeminiStandIn`]). See
//! ../shared/notes/coding-agents-hooks.md.
//!
//! Every conversation asks for one write of a file, then, once the tool's result comes back,
//! ends its turn with a line of text. A conversation is told apart by a marker in its prompt
//! (`[session NAME]`); the stand-in writes `NAME` as the file's content, keeps every tool result
//! it was sent, and can hold a session's last answer until the test lets it go (so that
//! session's turn stays open).

mod chat;
mod gemini;
mod messages;
mod responses;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tokio::sync::Notify;

pub use chat::{ChatStandIn, ChatTools, COPILOT_MODEL};
pub use gemini::{GeminiStandIn, GEMINI_MODEL};
pub use messages::{ModelStandIn, CLAUDE_MODEL};
pub use responses::{ResponsesStandIn, WindowClimb, CODEX_MODEL};

/// Serves `app` on a free port of 127.0.0.1 until the runtime stops; its `http://host:port`.
async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let origin = format!("http://{}", listener.local_addr().expect("bound"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    origin
}

/// What the stand-in was sent, per session.
#[derive(Debug, Default, Clone)]
pub struct Seen {
    /// The text of every tool result, and whether it was an error (as far as the API says).
    pub tool_results: Vec<(String, bool)>,
    pub requests: usize,
    /// The tokens its answers reported, added up: (fresh input, output, cache read, cache
    /// written), as the client bills them.
    pub reported: [u64; 4],
    /// The usage each answer reported, as the API spells it (stand-ins that report it).
    pub usage: Vec<Value>,
}

/// The tokens a session's `n`th answer reports (distinct per answer, so that a response counted
/// twice or missed shows): (fresh input, output, cache read, cache written).
pub fn tokens_of(n: usize) -> [u64; 4] {
    let n = n as u64;
    [100 + n, 20 + n, 1000 + 10 * n, 50 + n]
}

/// The conversations a stand-in had, shared by its handlers and the test.
#[derive(Default)]
pub struct Conversations {
    seen: Mutex<HashMap<String, Seen>>,
    /// Sessions whose final answer waits for [`Conversations::release`].
    held: Mutex<HashMap<String, Arc<Notify>>>,
    /// Notified each time a tool result arrives.
    results: Notify,
}

/// The session a request belongs to: the `NAME` of the first `[session NAME]` in it.
fn session_of(body: &Value) -> String {
    let text = body.to_string();
    text.split("[session ")
        .nth(1)
        .and_then(|rest| rest.split(']').next())
        .unwrap_or("unknown")
        .to_owned()
}

impl Conversations {
    /// Counts a request of `session` that carried `results`; its number in the session.
    fn request(&self, session: &str, results: &[(String, bool)]) -> usize {
        let mut seen = self.seen.lock().unwrap();
        let entry = seen.entry(session.to_owned()).or_default();
        entry.requests += 1;
        entry.tool_results.extend(results.iter().cloned());
        if !results.is_empty() {
            self.results.notify_waiters();
        }
        entry.requests
    }

    /// Notes the usage an answer to `session` reports, and returns it.
    fn reported_usage(&self, session: &str, usage: Value) -> Value {
        let mut seen = self.seen.lock().unwrap();
        let entry = seen.entry(session.to_owned()).or_default();
        entry.usage.push(usage.clone());
        usage
    }

    /// Waits while `session`'s final answer is held.
    async fn wait_if_held(&self, session: &str) {
        let hold = self.held.lock().unwrap().get(session).cloned();
        if let Some(hold) = hold {
            hold.notified().await;
        }
    }

    /// Holds `session`'s final answer (its turn stays open) until [`Conversations::release`].
    pub fn hold(&self, session: &str) {
        self.held
            .lock()
            .unwrap()
            .insert(session.to_owned(), Arc::new(Notify::new()));
    }

    pub fn release(&self, session: &str) {
        if let Some(hold) = self.held.lock().unwrap().remove(session) {
            hold.notify_one();
        }
    }

    /// Counts what an answer to `session` reported.
    fn reported(&self, session: &str, tokens: [u64; 4]) {
        let mut seen = self.seen.lock().unwrap();
        let entry = seen.entry(session.to_owned()).or_default();
        for (sum, add) in entry.reported.iter_mut().zip(tokens) {
            *sum += add;
        }
    }

    /// What `session` sent so far.
    pub fn seen(&self, session: &str) -> Seen {
        self.seen
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
            let notified = self.results.notified();
            if self.seen(session).tool_results.len() >= count {
                return;
            }
            notified.await;
        }
    }
}
