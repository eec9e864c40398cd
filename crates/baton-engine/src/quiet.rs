//! Quiet polls: an agent that answers as before (up, nothing new: no changed task, no new
//! event, no usage, the same cursor and self-description) costs the store nothing on its own.
//! Its new health (last success, latency) is published on the bus at once and kept here; the
//! first quiet poll after [`FLUSH_EVERY`] writes every agent's kept health in one job. A poll
//! that changes anything, or fails, writes as before (and drops what is kept for its agent).
//!
//! With 1,000 agents serving a static status, that is one write a second or two instead of a
//! thousand; `baton status` and the app's rows read a last success at most that much behind.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use baton_core::agent::{AgentHealth, Reachability};

/// How long a quiet poll's health may wait to be written.
pub(crate) const FLUSH_EVERY: Duration = Duration::from_secs(2);

/// The healths of quiet polls not written yet.
#[derive(Debug)]
pub(crate) struct QuietHealth {
    inner: Mutex<Kept>,
}

#[derive(Debug)]
struct Kept {
    pending: HashMap<i64, AgentHealth>,
    flushed_at: Instant,
}

impl Default for QuietHealth {
    fn default() -> Self {
        QuietHealth {
            inner: Mutex::new(Kept {
                pending: HashMap::new(),
                flushed_at: Instant::now(),
            }),
        }
    }
}

/// True when a poll that succeeded after `before` may be kept rather than written: the agent
/// was up with no failure, so only the times and the latency move (the last error, if any, is
/// history a success keeps).
pub(crate) fn was_steady(before: &AgentHealth) -> bool {
    before.reachability == Reachability::Up && before.consecutive_failures == 0
}

impl QuietHealth {
    fn kept(&self) -> std::sync::MutexGuard<'_, Kept> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Keeps `health` for agent `id`; when the last flush is [`FLUSH_EVERY`] old, returns
    /// everything kept, to write now.
    pub fn keep(&self, id: i64, health: AgentHealth) -> Option<Vec<(i64, AgentHealth)>> {
        let mut kept = self.kept();
        kept.pending.insert(id, health);
        if kept.flushed_at.elapsed() < FLUSH_EVERY {
            return None;
        }
        kept.flushed_at = Instant::now();
        Some(kept.pending.drain().collect())
    }

    /// The agent's poll writes its health itself: what was kept for it is older.
    pub fn forget(&self, id: i64) {
        self.kept().pending.remove(&id);
    }

    /// Everything kept (at shutdown).
    pub fn take_all(&self) -> Vec<(i64, AgentHealth)> {
        let mut kept = self.kept();
        kept.flushed_at = Instant::now();
        kept.pending.drain().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn up() -> AgentHealth {
        AgentHealth {
            reachability: Reachability::Up,
            ..AgentHealth::default()
        }
    }

    #[test]
    fn healths_wait_for_the_flush_and_a_written_poll_drops_its_own() {
        let quiet = QuietHealth::default();
        assert!(quiet.keep(1, up()).is_none(), "flushed a moment ago");
        assert!(quiet.keep(2, up()).is_none());
        quiet.forget(2);
        quiet.kept().flushed_at = Instant::now() - FLUSH_EVERY;
        let mut batch = quiet.keep(3, up()).expect("due");
        batch.sort_by_key(|(id, _)| *id);
        let ids: Vec<i64> = batch.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, [1, 3]);
        assert!(quiet.take_all().is_empty());
        assert!(was_steady(&up()));
        let failing = AgentHealth {
            consecutive_failures: 1,
            ..up()
        };
        assert!(!was_steady(&failing));
    }
}
