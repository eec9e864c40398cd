//! How late a sharing watcher's heartbeats run. A heartbeat's renewal is due every sixth of
//! the failover and the watcher acts for a term after sending one; what is left between the
//! two (the margin) is how long a renewal may take before the watcher stops itself. A beat
//! that used more than half of it says so, naming the store's latency: the store (or this
//! machine) is too slow for the failover asked for, and the watcher is close to cutting
//! itself off. At most one warning per failover period, counting the others.

use std::time::Duration;

use tokio::time::Instant;

use crate::watch_share::Sharing;

/// What the heartbeat loop knows of its beats' latency.
#[derive(Debug)]
pub(super) struct Lateness {
    /// How long a renewal may take before the watcher's term runs out.
    margin: Duration,
    /// No second warning before this.
    quiet_until: Option<Instant>,
    /// At most one warning per this long.
    every: Duration,
    /// Beats over half the margin since the last warning, and the slowest of them.
    over: u32,
    slowest: Duration,
}

impl Lateness {
    pub(super) fn new(sharing: &Sharing) -> Lateness {
        Lateness {
            margin: sharing
                .acting_for()
                .saturating_sub(sharing.heartbeat_every()),
            quiet_until: None,
            every: Duration::from_millis(sharing.failover_ms),
            over: 0,
            slowest: Duration::ZERO,
        }
    }

    /// Did a renewal that took `took` use more than half the margin?
    pub(super) fn is_slow(&self, took: Duration) -> bool {
        took > self.margin / 2
    }

    /// Notes a renewal that took `took` from sending to its answer; the warning to give, if
    /// any.
    pub(super) fn note(&mut self, took: Duration, now: Instant) -> Option<String> {
        tracing::debug!(took_ms = took.as_millis(), "heartbeat renewed");
        if !self.is_slow(took) {
            return None;
        }
        self.over += 1;
        self.slowest = self.slowest.max(took);
        if self.quiet_until.is_some_and(|quiet| now < quiet) {
            return None;
        }
        let others = match self.over {
            1 => String::new(),
            n => format!(
                "; {} heartbeat(s) this slow since the last warning, the slowest {:.1} s",
                n - 1,
                self.slowest.as_secs_f64()
            ),
        };
        self.quiet_until = Some(now + self.every);
        self.over = 0;
        self.slowest = Duration::ZERO;
        Some(format!(
            "a heartbeat took {:.1} s to renew this watcher's leases (the store's write latency \
             for it), more than half the {:.1} s it may take before this watcher stops polling{others}; \
             a slower store or a busier machine needs a longer failover_ms",
            took.as_secs_f64(),
            self.margin.as_secs_f64()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slow_renewal_warns_once_per_failover_period_counting_the_others() {
        let sharing = Sharing::this_process(6_000, Some("w".into()));
        // Term 4 s, acting 3.6 s, a beat every 1 s: 2.6 s of margin, a warning past 1.3 s.
        let mut late = Lateness::new(&sharing);
        let start = Instant::now();
        assert_eq!(late.note(Duration::from_millis(1_200), start), None);
        let first = late.note(Duration::from_millis(1_500), start).unwrap();
        assert!(
            first.contains("took 1.5 s") && first.contains("2.6 s"),
            "{first}"
        );
        assert!(!first.contains("since the last warning"), "{first}");
        let soon = start + Duration::from_secs(1);
        assert_eq!(late.note(Duration::from_millis(2_000), soon), None);
        assert_eq!(late.note(Duration::from_millis(1_400), soon), None);
        let later = start + Duration::from_secs(7);
        let second = late.note(Duration::from_millis(1_600), later).unwrap();
        assert!(
            second.contains("2 heartbeat(s) this slow since the last warning, the slowest 2.0 s"),
            "{second}"
        );
    }
}
