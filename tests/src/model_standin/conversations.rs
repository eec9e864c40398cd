//! What every stand-in shares: the conversations it had ([`Conversations`], what each session
//! sent: [`Seen`]), the tokens its answers report ([`tokens_of`]), and serving it on a port.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tokio::sync::Notify;

/// Serves `app` on a free port of 127.0.0.1 until the runtime stops; its `http://host:port`.
pub(super) async fn serve(app: axum::Router) -> String {
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
pub(super) fn session_of(body: &Value) -> String {
    let text = body.to_string();
    text.split("[session ")
        .nth(1)
        .and_then(|rest| rest.split(']').next())
        .unwrap_or("unknown")
        .to_owned()
}

impl Conversations {
    /// Counts a request of `session` that carried `results`; its number in the session.
    pub(super) fn request(&self, session: &str, results: &[(String, bool)]) -> usize {
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
    pub(super) fn reported_usage(&self, session: &str, usage: Value) -> Value {
        let mut seen = self.seen.lock().unwrap();
        let entry = seen.entry(session.to_owned()).or_default();
        entry.usage.push(usage.clone());
        usage
    }

    /// Waits while `session`'s final answer is held.
    pub(super) async fn wait_if_held(&self, session: &str) {
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
    pub(super) fn reported(&self, session: &str, tokens: [u64; 4]) {
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
