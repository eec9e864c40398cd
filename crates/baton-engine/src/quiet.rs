//! Quiet polls: an agent that answers as before (up, nothing new: no changed task, no new
//! event, no usage, the same cursor and self-description) costs the store nothing on its own.
//! Its new health (last success, latency) is kept here; the first quiet poll after
//! [`FLUSH_EVERY`] writes every agent's kept health in one job and publishes them in one event
//! (`ChangeEvent::Healths`: a thousand events a second woke every subscriber, the app's UI
//! included, for times that moved by a second). A poll
//! that changes anything, or fails, writes as before (and drops what is kept for its agent).
//!
//! With 1,000 agents serving a static status, that is one write every five seconds instead of
//! five thousand; `baton status` and the app's rows read a last success at most that much behind.

use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use baton_core::agent::{AgentHealth, Reachability};

/// How long a quiet poll's health may wait to be written: 5 s, the few seconds issue 59 allows
/// (at 2 s, 1,000 static agents' flushes were ~7 % of the watch's CPU, their two statements an
/// agent each time; the app hears the healths on the bus at each flush, and a watch that stops
/// writes what it kept).
pub(crate) const FLUSH_EVERY: Duration = Duration::from_secs(5);

/// The healths of quiet polls not written yet.
#[derive(Debug)]
pub(crate) struct QuietHealth {
    inner: Mutex<Kept>,
    /// Quiet polls whose answer was byte for byte the agent's last quiet one, so not read
    /// (`Fetched::same_as_quiet`).
    pub unread: AtomicU64,
}

#[derive(Debug)]
struct Kept {
    /// Each agent's latest health, and how many quiet polls it answered since the last flush.
    pending: HashMap<i64, (AgentHealth, u32)>,
    flushed_at: Instant,
}

/// What a flush writes for one agent: its latest health and its quiet polls since the last one.
pub(crate) type QuietPolls = (i64, AgentHealth, u32);

impl Default for QuietHealth {
    fn default() -> Self {
        QuietHealth {
            inner: Mutex::new(Kept {
                pending: HashMap::new(),
                flushed_at: Instant::now(),
            }),
            unread: AtomicU64::new(0),
        }
    }
}

fn drain(kept: &mut Kept) -> Vec<QuietPolls> {
    kept.pending
        .drain()
        .map(|(id, (health, polls))| (id, health, polls))
        .collect()
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

    /// Keeps `health` for agent `id` (one more quiet poll); when the last flush is
    /// [`FLUSH_EVERY`] old, returns everything kept, to write now.
    pub fn keep(&self, id: i64, health: AgentHealth) -> Option<Vec<QuietPolls>> {
        let mut kept = self.kept();
        let slot = kept.pending.entry(id).or_insert((health.clone(), 0));
        slot.0 = health;
        slot.1 += 1;
        if kept.flushed_at.elapsed() < FLUSH_EVERY {
            return None;
        }
        kept.flushed_at = Instant::now();
        Some(drain(&mut kept))
    }

    /// The agent's poll writes its health itself: what was kept for it is older. Returns how
    /// many quiet polls were kept for it (still to be counted).
    pub fn forget(&self, id: i64) -> u32 {
        self.kept()
            .pending
            .remove(&id)
            .map_or(0, |(_, polls)| polls)
    }

    /// Everything kept (at shutdown).
    pub fn take_all(&self) -> Vec<QuietPolls> {
        let mut kept = self.kept();
        kept.flushed_at = Instant::now();
        drain(&mut kept)
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
        assert_eq!(
            quiet.forget(2),
            1,
            "its one quiet poll, to count with its own"
        );
        assert!(quiet.keep(1, up()).is_none());
        quiet.kept().flushed_at = Instant::now() - FLUSH_EVERY;
        let mut batch = quiet.keep(3, up()).expect("due");
        batch.sort_by_key(|(id, _, _)| *id);
        let ids: Vec<(i64, u32)> = batch.iter().map(|(id, _, polls)| (*id, *polls)).collect();
        assert_eq!(ids, [(1, 2), (3, 1)], "agent 1 answered twice");
        assert!(quiet.take_all().is_empty());
        assert!(was_steady(&up()));
        let failing = AgentHealth {
            consecutive_failures: 1,
            ..up()
        };
        assert!(!was_steady(&failing));
    }
}
