//! When an agent's next poll comes. Polls keep a fixed schedule: the interval counts from when
//! the last poll was due, not from when it ended (the time a poll takes, its write included,
//! would push every later poll back) nor from when its task woke (a few milliseconds late on a
//! busy machine: at 1,000 agents a second that added up to one poll in 500 lost).

use std::time::Duration;

use tokio::time::Instant;

/// When the poll after the one `due` comes, `delay_ms` later (the interval, a backoff, or a
/// pause the agent asked for); `now`: the poll is over.
pub(crate) fn next_due(due: Instant, delay_ms: u64, asked_pause: bool, now: Instant) -> Instant {
    let delay = Duration::from_millis(delay_ms);
    if asked_pause {
        // A pause the agent asked for (`Retry-After`) counts from its answer.
        now + delay
    } else {
        // A poll that took longer than its interval is followed at once, not in a burst.
        (due + delay).max(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn a_poll_woken_late_keeps_the_schedule() {
        let due = Instant::now();
        // Woken 30 ms late, done 80 ms after it was due: the next is still a second after `due`.
        assert_eq!(next_due(due, 1_000, false, due + 80 * MS), due + 1_000 * MS);
        // Over a thousand polls each woken a little late, no time is lost.
        let mut at = due;
        for _ in 0..1_000 {
            at = next_due(at, 1_000, false, at + 7 * MS);
        }
        assert_eq!(at, due + 1_000 * 1_000 * MS);
    }

    #[test]
    fn a_poll_longer_than_its_interval_is_followed_at_once_not_in_a_burst() {
        let due = Instant::now();
        let now = due + 2_500 * MS;
        assert_eq!(next_due(due, 1_000, false, now), now);
    }

    #[test]
    fn a_pause_the_agent_asked_for_counts_from_its_answer() {
        let due = Instant::now();
        let answered = due + 400 * MS;
        assert_eq!(next_due(due, 5_000, true, answered), answered + 5_000 * MS);
    }
}
