//! The routes' clock: the time the routes' loop judges by (digest periods, quiet hours, storms,
//! retries). It is the machine's, unless a test moves it on ([`NotifyClock::advance`]) to run
//! a 30-minute digest at once instead of sleeping through it, or starts it at a time of its
//! choosing ([`NotifyClock::starting_at`]).

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Duration, Local, NaiveTime, Utc};

/// The routes' clock (cloned, it is the same clock).
#[derive(Debug, Clone, Default)]
pub struct NotifyClock {
    /// How far it is ahead of the machine's (ms).
    ahead_ms: Arc<AtomicI64>,
    /// Wakes the routes' loop when moved.
    moved: Arc<tokio::sync::Notify>,
}

impl NotifyClock {
    /// A clock that reads `at` now, and runs on from there as the machine's does (a test
    /// starts where a digest period has just begun, so that none ends while it waits).
    pub fn starting_at(at: DateTime<Utc>) -> Self {
        let clock = Self::default();
        clock
            .ahead_ms
            .store((at - Utc::now()).num_milliseconds(), Ordering::Relaxed);
        clock
    }

    /// Now, by this clock.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::milliseconds(self.ahead_ms.load(Ordering::Relaxed))
    }

    /// The local time of day at `at` (quiet hours are in the machine's local time).
    pub fn local_time(at: DateTime<Utc>) -> NaiveTime {
        at.with_timezone(&Local).time()
    }

    /// Moves the clock on by `by`, and wakes the routes' loop to look again.
    pub fn advance(&self, by: Duration) {
        self.ahead_ms
            .fetch_add(by.num_milliseconds(), Ordering::Relaxed);
        self.moved.notify_waiters();
    }

    /// Resolves when the clock is moved.
    pub(crate) async fn moved(&self) {
        self.moved.notified().await;
    }
}
