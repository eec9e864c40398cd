//! What the routes did since the engine started: messages sent, updated, failed; answers taken
//! and refused (by reason). For `baton status`, the app, and tests that wait for a refusal.

use std::collections::BTreeMap;
use std::sync::Mutex;

/// The counts, as read.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct NotifyStats {
    /// First messages sent for items.
    pub sent: u64,
    /// Later sends replacing an item's message (it grew, or was settled).
    pub updated: u64,
    /// Digests sent.
    pub digests: u64,
    /// Storms told (the first message of each; its updates count as `updated`).
    pub storms: u64,
    /// Sends the server did not take.
    pub failed: u64,
    /// Answers decided.
    pub answers_taken: u64,
    /// Answers refused, by reason (`replayed`, `expired`, `altered`, `malformed`, …).
    pub answers_refused: BTreeMap<String, u64>,
    /// Rounds the routes' loop ran (each looks at every route and item once).
    pub rounds: u64,
    /// Reply streams opened (one per connection, reconnections included).
    pub streams_opened: u64,
    /// The last failure, in words.
    pub last_error: Option<String>,
}

impl NotifyStats {
    /// Every refusal, whatever its reason.
    pub fn refused(&self) -> u64 {
        self.answers_refused.values().sum()
    }
}

/// The counters the loops bump.
#[derive(Debug, Default)]
pub(crate) struct NotifyCounters(Mutex<NotifyStats>);

impl NotifyCounters {
    pub fn bump(&self, f: impl FnOnce(&mut NotifyStats)) {
        f(&mut self.0.lock().unwrap_or_else(|e| e.into_inner()));
    }

    pub fn refused(&self, reason: &str) {
        self.bump(|s| *s.answers_refused.entry(reason.to_owned()).or_default() += 1);
    }

    pub fn read(&self) -> NotifyStats {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}
