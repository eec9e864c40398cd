//! Retry spacing while an endpoint fails: exponential backoff with "full jitter".
//!
//! After the n-th consecutive failure (n ≥ 1) the next attempt waits a delay drawn uniformly from
//! `0..=min(cap, base · 2^(n-1))`, never less than the agent's regular poll interval when that is
//! longer (a failing agent is never polled *more* often than a healthy one).
//!
//! The `backon` crate's jitter adds a random amount on top of the exponential delay, which is not
//! full jitter; the formula is small enough to keep here, pure and testable.

/// Backoff parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base_ms: u64,
    pub cap_ms: u64,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base_ms: 1_000,
            cap_ms: 60_000,
        }
    }
}

impl Backoff {
    /// The upper bound of the delay after `failures` consecutive failures.
    pub fn ceiling_ms(&self, failures: u32) -> u64 {
        if failures == 0 {
            return 0;
        }
        let exp = failures.saturating_sub(1).min(32);
        self.base_ms.saturating_mul(1u64 << exp).min(self.cap_ms)
    }

    /// The delay before the next attempt, given a uniform sample `unit` in `[0, 1)`.
    pub fn delay_ms(&self, failures: u32, unit: f64) -> u64 {
        let ceiling = self.ceiling_ms(failures);
        let unit = if unit.is_finite() {
            unit.clamp(0.0, 1.0)
        } else {
            0.0
        };
        ((ceiling as f64) * unit).round() as u64
    }

    /// The wait before the next poll: the regular interval after a success, and after failures
    /// the larger of the interval and the jittered backoff.
    pub fn next_poll_ms(&self, interval_ms: u64, failures: u32, unit: f64) -> u64 {
        if failures == 0 {
            interval_ms
        } else {
            interval_ms.max(self.delay_ms(failures, unit))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceiling_doubles_up_to_the_cap() {
        let b = Backoff {
            base_ms: 1_000,
            cap_ms: 30_000,
        };
        let ceilings: Vec<u64> = (0..8).map(|n| b.ceiling_ms(n)).collect();
        assert_eq!(
            ceilings,
            vec![0, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]
        );
        assert_eq!(b.ceiling_ms(u32::MAX), 30_000, "no overflow");
    }

    #[test]
    fn delay_spans_zero_to_ceiling() {
        let b = Backoff::default();
        assert_eq!(b.delay_ms(3, 0.0), 0);
        assert_eq!(b.delay_ms(3, 0.5), 2_000);
        assert_eq!(b.delay_ms(3, 1.0), 4_000);
        assert_eq!(b.delay_ms(3, f64::NAN), 0);
        assert_eq!(b.delay_ms(3, 7.0), 4_000);
    }

    #[test]
    fn never_polls_faster_than_the_interval() {
        let b = Backoff::default();
        assert_eq!(b.next_poll_ms(2_000, 0, 0.9), 2_000);
        assert_eq!(b.next_poll_ms(2_000, 1, 0.9), 2_000);
        assert_eq!(b.next_poll_ms(2_000, 6, 0.5), 16_000);
    }

    proptest::proptest! {
        #[test]
        fn delay_is_always_within_full_jitter_bounds(failures in 0u32..100, unit in 0.0f64..1.0) {
            let b = Backoff::default();
            let d = b.delay_ms(failures, unit);
            proptest::prop_assert!(d <= b.ceiling_ms(failures));
            proptest::prop_assert!(d <= b.cap_ms);
        }
    }
}
