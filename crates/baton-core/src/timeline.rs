//! The fleet over time: every agent as a lane on one time axis (events counted per bucket, or
//! one by one when few), the escalations and decisions marked on it; and the replay of a past
//! moment: the board and the agents as they were, rebuilt from the stored task versions and
//! health changes.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use ts_rs::TS;

use crate::agent::Reachability;
use crate::detect::{FindingKind, Severity};
use crate::escalations::EscalationState;
use crate::protocol::{AgentState, EventKind};
use crate::views::{ColumnCounts, TaskCard};

/// The shortest range the timeline shows: a minute.
pub const MIN_RANGE: Duration = Duration::minutes(1);
/// The longest: a week.
pub const MAX_RANGE: Duration = Duration::days(7);
/// Most buckets a lane is cut into (one per pixel column or so).
pub const MAX_BUCKETS: u32 = 2000;
/// A lane with at most this many events in the range gets each one (clickable); more, only
/// the counts per bucket.
pub const MAX_LANE_EVENTS: u32 = 400;
/// Most lanes one request reads (the view asks for the lanes on screen).
pub const MAX_LANES: usize = 200;
/// Most escalation and decision marks one request returns (the newest).
pub const MAX_MARKS: usize = 2000;

/// How many events of each kind fell into one bucket of a lane.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct LaneBucket {
    /// The bucket's place from the range's start: `from + index × bucket_ms`.
    pub index: u32,
    pub total: u32,
    pub counts: BTreeMap<EventKind, u32>,
}

/// One event on a lane.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct LaneEvent {
    pub seq: u64,
    #[ts(type = "string")]
    pub at: DateTime<Utc>,
    pub kind: EventKind,
    pub task_id: Option<String>,
    pub resource: Option<String>,
}

/// One agent's lane.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct TimelineLane {
    pub agent_id: i64,
    pub name: String,
    /// Events of the lane in the range.
    pub total: u32,
    /// The buckets that hold events, in order.
    pub buckets: Vec<LaneBucket>,
    /// Each event, oldest first, when there are at most [`MAX_LANE_EVENTS`]; else None.
    pub events: Option<Vec<LaneEvent>>,
    /// Task state changes in the range (these outlive the events' retention), oldest first.
    pub states: Vec<LaneState>,
}

/// A task of the lane entering a state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct LaneState {
    #[ts(type = "string")]
    pub at: DateTime<Utc>,
    pub task_id: String,
    pub state: crate::task::TaskState,
}

/// An escalation on the time axis: from when it opened to when it closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct TimelineEscalation {
    pub id: i64,
    pub kind: FindingKind,
    pub severity: Severity,
    pub agents: Vec<i64>,
    pub title: String,
    pub state: EscalationState,
    #[ts(type = "string")]
    pub opened_at: DateTime<Utc>,
    #[ts(type = "string | null")]
    pub closed_at: Option<DateTime<Utc>>,
}

/// A decision on the time axis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct TimelineDecision {
    pub seq: i64,
    #[ts(type = "string")]
    pub at: DateTime<Utc>,
    pub action: String,
    pub who: String,
    pub escalation_id: Option<i64>,
}

/// The timeline of some lanes over one range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct FleetTimeline {
    #[ts(type = "string")]
    pub from: DateTime<Utc>,
    #[ts(type = "string")]
    pub to: DateTime<Utc>,
    pub bucket_ms: u64,
    pub buckets: u32,
    pub lanes: Vec<TimelineLane>,
    /// Escalations open at some moment of the range.
    pub escalations: Vec<TimelineEscalation>,
    pub decisions: Vec<TimelineDecision>,
    /// Events before this moment were compacted away (retention): their tasks' state changes
    /// remain. None: nothing compacted yet.
    #[ts(type = "string | null")]
    pub compacted_before: Option<DateTime<Utc>>,
}

/// The range and bucket size a request stands for: `from` and `to` kept within
/// [`MIN_RANGE`]–[`MAX_RANGE`] (the end stays, the start moves), and at most [`MAX_BUCKETS`]
/// buckets of at least a millisecond.
pub fn fit_range(
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    buckets: u32,
) -> (DateTime<Utc>, DateTime<Utc>, u64, u32) {
    let (from, to) = if to < from { (to, from) } else { (from, to) };
    let span = (to - from).clamp(MIN_RANGE, MAX_RANGE);
    let from = to - span;
    let buckets = buckets.clamp(1, MAX_BUCKETS);
    let span_ms = u64::try_from(span.num_milliseconds()).unwrap_or(1).max(1);
    let bucket_ms = span_ms.div_ceil(u64::from(buckets)).max(1);
    let buckets = u32::try_from(span_ms.div_ceil(bucket_ms)).unwrap_or(MAX_BUCKETS);
    (from, to, bucket_ms, buckets)
}

/// An agent as it was at a past moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct AgentAt {
    pub agent_id: i64,
    pub name: String,
    pub reachability: Reachability,
    pub remote_state: Option<AgentState>,
    pub last_error: Option<String>,
    /// Its tasks per board column at that moment.
    pub task_counts: ColumnCounts,
}

/// The board and the agents as they were at `at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ReplayFrame {
    #[ts(type = "string")]
    pub at: DateTime<Utc>,
    /// The cards the board showed then, as [`crate::views::TaskCard`]s (same order, same
    /// finished cards kept).
    pub board: Vec<TaskCard>,
    /// Agents that existed then (and still exist), by name.
    pub agents: Vec<AgentAt>,
    /// Escalations open at that moment.
    pub open_escalations: Vec<TimelineEscalation>,
    /// `at` is before the retention: tasks are shown by their state changes only (no detail
    /// changes), and the timeline has no events there.
    pub compacted: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_range_is_kept_between_a_minute_and_a_week_and_cut_into_buckets() {
        let to = Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap();
        let (from, end, bucket_ms, n) = fit_range(to - Duration::days(30), to, 700);
        assert_eq!((end - from), MAX_RANGE);
        assert_eq!(bucket_ms, 864_000);
        assert_eq!(n, 700);
        let (from, _, bucket_ms, n) = fit_range(to, to, 10_000);
        assert_eq!(to - from, MIN_RANGE);
        assert_eq!((bucket_ms, n), (30, 2000));
        // Reversed ends are put in order.
        let (from, end, _, _) = fit_range(to, to - Duration::hours(1), 60);
        assert_eq!((from, end), (to - Duration::hours(1), to));
        let (_, _, bucket_ms, n) = fit_range(to - Duration::hours(1), to, 0);
        assert_eq!((bucket_ms, n), (3_600_000, 1));
    }
}
