//! Servers that write task timestamps without a zone, in their own local time (fasta2a writes
//! `datetime.now().isoformat()`): read as UTC, a task of a server in UTC−8 looks eight hours
//! old the moment it starts. The server's `Date` header (UTC) tells its offset: no status time
//! it wrote can be later than its own "now", so `local − Date` (less a minute: the header has
//! whole seconds, and the task may change between the two) is a lower bound of the offset,
//! tight for a task that changed within the last quarter of an hour. Baton keeps the largest bound seen, on the 15-minute grid
//! every zone sits on. A bound from older tasks only is too small, which reads their times as
//! newer than they are: never a false stall, never a time in the future.

use chrono::{DateTime, Utc};

use super::A2aTask;

/// Offsets every zone in use lies within, in minutes east of UTC.
const EARLIEST: i32 = -12 * 60;
const LATEST: i32 = 14 * 60;
/// Zone offsets are whole quarters of an hour.
const GRID: i32 = 15;
/// How far a status time may seem to run ahead of the `Date` sent with it: the header has whole
/// seconds, and the task may change between the two being taken.
const SLACK_SECONDS: i64 = 60;

/// The offset (minutes east of UTC) to read zone-less timestamps with, from the tasks just read
/// (their timestamps still read as UTC), the server's `Date`, and what was learned before.
/// None while nothing says (no zone-less timestamp, or no `Date`).
pub fn learn_zone_offset(
    tasks: &[A2aTask],
    server_now: Option<DateTime<Utc>>,
    learned: Option<i32>,
) -> Option<i32> {
    let newest = tasks
        .iter()
        .filter(|t| t.zoneless)
        .filter_map(|t| t.timestamp)
        .max();
    let bound = match (newest, server_now) {
        (Some(local), Some(now)) => {
            let ahead = (local - now).num_milliseconds() - SLACK_SECONDS * 1000;
            let minutes = ahead as f64 / 60_000.0;
            let quarters = (minutes / f64::from(GRID)).ceil();
            // A bound outside every zone is a server clock that is off, not a zone.
            let offset = (quarters as i32).saturating_mul(GRID);
            (EARLIEST..=LATEST).contains(&offset).then_some(offset)
        }
        _ => None,
    };
    match (bound, learned) {
        (Some(bound), Some(learned)) => Some(bound.max(learned)),
        (bound, learned) => bound.or(learned),
    }
}

/// "UTC−08:00", "UTC+05:30", "UTC".
pub fn describe_offset(minutes: i32) -> String {
    if minutes == 0 {
        return "UTC".to_owned();
    }
    let sign = if minutes < 0 { '−' } else { '+' };
    let m = minutes.unsigned_abs();
    format!("UTC{sign}{:02}:{:02}", m / 60, m % 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::TaskState;
    use chrono::{Duration, TimeZone};

    fn task(at: DateTime<Utc>, zoneless: bool) -> A2aTask {
        A2aTask {
            id: "t".into(),
            context_id: None,
            state: TaskState::Working,
            message: None,
            ask: None,
            timestamp: Some(at),
            zoneless,
            request: None,
            artifacts: Vec::new(),
            message_ids: Vec::new(),
        }
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 18, 0, 0).unwrap()
    }

    #[test]
    fn a_fresh_task_tells_the_servers_zone() {
        // UTC−8, the task changed 20 s ago: its local time reads 09:59:40.
        let local = now() - Duration::hours(8) - Duration::seconds(20);
        assert_eq!(
            learn_zone_offset(&[task(local, true)], Some(now()), None),
            Some(-480)
        );
        // UTC+5:30, two minutes ago.
        let local = now() + Duration::minutes(330) - Duration::minutes(2);
        assert_eq!(
            learn_zone_offset(&[task(local, true)], Some(now()), None),
            Some(330)
        );
        // Stamped after the Date header's whole second was taken: seemingly in the future.
        let local = now() - Duration::hours(8) + Duration::milliseconds(700);
        assert_eq!(
            learn_zone_offset(&[task(local, true)], Some(now()), None),
            Some(-480)
        );
        // UTC written without a zone.
        let local = now() - Duration::seconds(3);
        assert_eq!(
            learn_zone_offset(&[task(local, true)], Some(now()), None),
            Some(0)
        );
    }

    #[test]
    fn the_largest_bound_wins_and_older_tasks_never_lower_it() {
        let old = now() - Duration::hours(8) - Duration::minutes(50);
        assert_eq!(
            learn_zone_offset(&[task(old, true)], Some(now()), None),
            Some(-525)
        );
        assert_eq!(
            learn_zone_offset(&[task(old, true)], Some(now()), Some(-480)),
            Some(-480)
        );
        let fresh = now() - Duration::hours(8) - Duration::seconds(5);
        assert_eq!(
            learn_zone_offset(&[task(old, true), task(fresh, true)], Some(now()), None),
            Some(-480)
        );
    }

    #[test]
    fn nothing_is_learned_without_a_date_or_a_zoneless_time_or_from_a_wild_clock() {
        let local = now() - Duration::hours(8);
        assert_eq!(learn_zone_offset(&[task(local, true)], None, None), None);
        assert_eq!(
            learn_zone_offset(&[task(local, false)], Some(now()), None),
            None
        );
        assert_eq!(learn_zone_offset(&[], Some(now()), Some(60)), Some(60));
        let year_ahead = now() + Duration::days(365);
        assert_eq!(
            learn_zone_offset(&[task(year_ahead, true)], Some(now()), None),
            None
        );
    }

    #[test]
    fn offsets_read_as_people_write_them() {
        assert_eq!(describe_offset(-480), "UTC−08:00");
        assert_eq!(describe_offset(330), "UTC+05:30");
        assert_eq!(describe_offset(0), "UTC");
    }
}
