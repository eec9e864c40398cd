//! When an agent's next poll comes. Polls keep a fixed schedule: the interval counts from when
//! the last poll was due, not from when it ended (the time a poll takes, its write included,
//! would push every later poll back) nor from when its task woke (a few milliseconds late on a
//! busy machine: at 1,000 agents a second that added up to one poll in 500 lost).

use std::time::Duration;

use chrono::{DateTime, Utc};
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

/// In how many ms the first poll of an agent taken over from another watcher is due, that
/// watcher's last poll of it (as stored) at `last_attempt`: an interval after that poll, so the
/// hand-over keeps the agent's place in the interval (no poll missed nor doubled, and the
/// taker's polls as spread out as the giver's). None when that moment is past or unknown: the
/// agent is overdue (its watcher died), poll it at once. A `last_attempt` ahead of this
/// machine's clock counts as just now.
pub(crate) fn taken_over_due_in(
    last_attempt: Option<DateTime<Utc>>,
    interval_ms: u64,
    now: DateTime<Utc>,
) -> Option<u64> {
    let since = u64::try_from((now - last_attempt?).num_milliseconds().max(0)).ok()?;
    (since < interval_ms).then(|| interval_ms - since)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_agent_taken_over_is_polled_an_interval_after_its_last_poll_or_at_once() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let ago = |ms| Some(now - chrono::Duration::milliseconds(ms));
        // Handed back 300 ms after the giver's poll: the taker's comes 700 ms later, on time.
        assert_eq!(taken_over_due_in(ago(300), 1_000, now), Some(700));
        // Its watcher died seconds ago, or it was never polled: at once.
        assert_eq!(taken_over_due_in(ago(7_000), 1_000, now), None);
        assert_eq!(taken_over_due_in(ago(1_000), 1_000, now), None);
        assert_eq!(taken_over_due_in(None, 1_000, now), None);
        // The giver's clock a little ahead of this one: an interval from now, no sooner.
        assert_eq!(taken_over_due_in(ago(-250), 1_000, now), Some(1_000));
    }

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
