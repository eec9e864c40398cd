//! The fleet timeline: some agents' lanes over one range, each event counted in its bucket (one
//! read of the range by time for every lane asked), each event listed when a lane has few, the
//! task state changes, and the escalations and decisions of the range.

use std::collections::{BTreeMap, HashMap};

use baton_core::timeline::{
    fit_range, FleetTimeline, LaneBucket, LaneEvent, LaneState, TimelineDecision, TimelineLane,
    MAX_LANES, MAX_LANE_EVENTS, MAX_MARKS,
};
use chrono::{DateTime, Utc};

use super::escalations_between;
use crate::codec::{from_sql_int, parse_event_kind, parse_task_state, parse_ts, ts};
use crate::db::{as_params, params, Value};
use crate::error::Result;
use crate::Store;

/// Most state changes one lane lists in a range (the newest).
const MAX_LANE_STATES: usize = 500;

/// Each lane's place in `lanes`, by agent.
fn lane_index(lanes: &[TimelineLane]) -> HashMap<i64, usize> {
    lanes
        .iter()
        .enumerate()
        .map(|(i, l)| (l.agent_id, i))
        .collect()
}

/// `?1, ?2, …` for `n` values from `first`.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Counts per lane, bucket and kind as the range's reads find them.
struct LaneCounts {
    index: HashMap<i64, usize>,
    buckets: Vec<BTreeMap<u32, LaneBucket>>,
    totals: Vec<u32>,
}

impl LaneCounts {
    fn new(lanes: &[TimelineLane]) -> LaneCounts {
        LaneCounts {
            index: lane_index(lanes),
            buckets: vec![BTreeMap::new(); lanes.len()],
            totals: vec![0; lanes.len()],
        }
    }

    /// One row of (agent, bucket, kind, count).
    fn add(&mut self, row: &crate::db::Row) -> Result<()> {
        let Some(&lane) = self.index.get(&row.get::<i64>(0)?) else {
            return Ok(());
        };
        let bucket = u32::try_from(row.get::<i64>(1)?.max(0)).unwrap_or(u32::MAX);
        let kind = parse_event_kind(&row.get::<String>(2)?)?;
        let n = u32::try_from(row.get::<i64>(3)?).unwrap_or(u32::MAX);
        let slot = self.buckets[lane]
            .entry(bucket)
            .or_insert_with(|| LaneBucket {
                index: bucket,
                total: 0,
                counts: BTreeMap::new(),
            });
        slot.total = slot.total.saturating_add(n);
        *slot.counts.entry(kind).or_default() += n;
        self.totals[lane] = self.totals[lane].saturating_add(n);
        Ok(())
    }

    fn fill(self, lanes: &mut [TimelineLane]) {
        for ((lane, kept), total) in lanes.iter_mut().zip(self.buckets).zip(self.totals) {
            lane.buckets = kept.into_values().collect();
            lane.total = total;
        }
    }
}

impl Store {
    /// The lanes of `agents` (at most [`MAX_LANES`]; unknown ids are left out) from `from` to
    /// `to` in `buckets` buckets (see [`fit_range`]), with the range's escalations and decisions.
    pub fn fleet_timeline(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        buckets: u32,
        agents: &[i64],
    ) -> Result<FleetTimeline> {
        let (from, to, bucket_ms, buckets) = fit_range(from, to, buckets);
        let mut ids: Vec<i64> = agents.to_vec();
        ids.sort_unstable();
        ids.dedup();
        ids.truncate(MAX_LANES);
        let names = self.lane_names(&ids)?;
        let ids: Vec<i64> = ids
            .into_iter()
            .filter(|id| names.contains_key(id))
            .collect();
        let mut lanes: Vec<TimelineLane> = ids
            .iter()
            .map(|&id| TimelineLane {
                agent_id: id,
                name: names[&id].clone(),
                total: 0,
                buckets: Vec::new(),
                events: None,
                states: Vec::new(),
            })
            .collect();
        if !ids.is_empty() {
            self.count_lanes(&mut lanes, from, to, bucket_ms)?;
            self.list_small_lanes(&mut lanes, from, to)?;
            self.lane_states(&mut lanes, from, to)?;
        }
        Ok(FleetTimeline {
            from,
            to,
            bucket_ms,
            buckets,
            lanes,
            escalations: escalations_between(&self.db, from, to, MAX_MARKS)?,
            decisions: self.decisions_between(from, to)?,
            compacted_before: self.compacted_before()?,
        })
    }

    fn lane_names(&self, ids: &[i64]) -> Result<HashMap<i64, String>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let sql = format!(
            "SELECT id, name FROM agents WHERE id IN ({})",
            placeholders(1, ids.len())
        );
        let ids: Vec<Value> = ids.iter().map(|&id| Value::Int(id)).collect();
        let rows = self
            .db
            .query_map(&sql, &as_params(&ids), |row| Ok((row.get(0)?, row.get(1)?)))?;
        Ok(rows.into_iter().collect())
    }

    /// Events per lane, bucket and kind. Buckets of whole minutes that start on a minute (as
    /// the app asks for long ranges) are read from the per-minute counts (`event_minutes`),
    /// with only the range's last, unfinished minute read event by event; other ranges read
    /// their events by time.
    fn count_lanes(
        &self,
        lanes: &mut [TimelineLane],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        bucket_ms: u64,
    ) -> Result<()> {
        let mut counts = LaneCounts::new(lanes);
        let whole_minutes =
            bucket_ms.is_multiple_of(60_000) && from.timestamp_millis() % 60_000 == 0;
        if whole_minutes {
            let last_minute = to.timestamp().div_euclid(60) * 60;
            self.count_minutes(&mut counts, lanes, from, last_minute, bucket_ms)?;
            let rest = DateTime::<Utc>::from_timestamp(last_minute, 0).unwrap_or(to);
            if rest < to {
                self.count_events(&mut counts, lanes, from, rest.max(from), to, bucket_ms)?;
            }
        } else {
            self.count_events(&mut counts, lanes, from, from, to, bucket_ms)?;
        }
        counts.fill(lanes);
        Ok(())
    }

    /// The counts of the whole minutes from `grid` up to `end` (seconds since the epoch).
    fn count_minutes(
        &self,
        counts: &mut LaneCounts,
        lanes: &[TimelineLane],
        grid: DateTime<Utc>,
        end: i64,
        bucket_ms: u64,
    ) -> Result<()> {
        let sql = format!(
            "SELECT agent_id, (minute - ?1) * 1000 / ?3 AS bucket, kind, sum(events)
               FROM event_minutes
              WHERE minute >= ?1 AND minute < ?2 AND agent_id IN ({})
              GROUP BY agent_id, bucket, kind",
            placeholders(4, lanes.len())
        );
        let mut values: Vec<Value> = vec![
            Value::Int(grid.timestamp()),
            Value::Int(end),
            Value::Int(i64::try_from(bucket_ms).unwrap_or(i64::MAX)),
        ];
        values.extend(lanes.iter().map(|l| Value::Int(l.agent_id)));
        self.db
            .query_each(&sql, &as_params(&values), |row| counts.add(row))
    }

    /// The events from `from` to `to`, one by one, in the buckets of a grid that starts at
    /// `grid`.
    fn count_events(
        &self,
        counts: &mut LaneCounts,
        lanes: &[TimelineLane],
        grid: DateTime<Utc>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        bucket_ms: u64,
    ) -> Result<()> {
        let sql = format!(
            "SELECT agent_id, (at_ms - ?1) / ?3 AS bucket, kind, count(*)
               FROM events
              WHERE agent_id IN ({}) AND at_ms >= ?4 AND at_ms < ?2
              GROUP BY agent_id, bucket, kind",
            placeholders(5, lanes.len())
        );
        let mut values: Vec<Value> = vec![
            Value::Int(grid.timestamp_millis()),
            Value::Int(to.timestamp_millis()),
            Value::Int(i64::try_from(bucket_ms).unwrap_or(i64::MAX)),
            Value::Int(from.timestamp_millis()),
        ];
        values.extend(lanes.iter().map(|l| Value::Int(l.agent_id)));
        self.db
            .query_each(&sql, &as_params(&values), |row| counts.add(row))
    }

    /// Each event of the lanes that have at most [`MAX_LANE_EVENTS`] in the range.
    fn list_small_lanes(
        &self,
        lanes: &mut [TimelineLane],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<()> {
        let small: Vec<i64> = lanes
            .iter()
            .filter(|l| l.total <= MAX_LANE_EVENTS)
            .map(|l| l.agent_id)
            .collect();
        if small.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "SELECT agent_id, seq, at, kind, task_id, resource FROM events
              WHERE at >= ?1 AND at < ?2 AND agent_id IN ({})
              ORDER BY at, agent_id, seq",
            placeholders(3, small.len())
        );
        let (from_text, to_text) = (ts(from), ts(to));
        let mut values: Vec<Value> = vec![Value::Text(&from_text), Value::Text(&to_text)];
        values.extend(small.iter().map(|&id| Value::Int(id)));
        let mut listed: HashMap<i64, Vec<LaneEvent>> =
            small.iter().map(|&id| (id, Vec::new())).collect();
        self.db.query_each(&sql, &as_params(&values), |row| {
            let Some(events) = listed.get_mut(&row.get::<i64>(0)?) else {
                return Ok(());
            };
            events.push(LaneEvent {
                seq: from_sql_int(row.get(1)?, "event seq")?,
                at: parse_ts(&row.get::<String>(2)?)?,
                kind: parse_event_kind(&row.get::<String>(3)?)?,
                task_id: row.get(4)?,
                resource: row.get(5)?,
            });
            Ok(())
        })?;
        for lane in lanes.iter_mut() {
            lane.events = listed.remove(&lane.agent_id);
        }
        Ok(())
    }

    /// The lanes' task state changes in the range: versions whose state differs from the
    /// version before (or that are a task's first).
    fn lane_states(
        &self,
        lanes: &mut [TimelineLane],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<()> {
        let sql = format!(
            "SELECT agent_id, task_id, state, recorded_at FROM (
                 SELECT agent_id, task_id, state, recorded_at, gone,
                        lag(state) OVER (PARTITION BY agent_id, task_id ORDER BY version) AS before
                   FROM task_history
                  WHERE agent_id IN ({}) AND recorded_at < ?2) AS versions
              WHERE recorded_at >= ?1 AND gone = 0 AND (before IS NULL OR before <> state)
              ORDER BY recorded_at",
            placeholders(3, lanes.len())
        );
        let (from, to) = (ts(from), ts(to));
        let mut values: Vec<Value> = vec![Value::Text(&from), Value::Text(&to)];
        values.extend(lanes.iter().map(|l| Value::Int(l.agent_id)));
        let index = lane_index(lanes);
        self.db.query_each(&sql, &as_params(&values), |row| {
            let Some(&lane) = index.get(&row.get::<i64>(0)?) else {
                return Ok(());
            };
            lanes[lane].states.push(LaneState {
                task_id: row.get(1)?,
                state: parse_task_state(&row.get::<String>(2)?)?,
                at: parse_ts(&row.get::<String>(3)?)?,
            });
            Ok(())
        })?;
        for lane in lanes.iter_mut() {
            let extra = lane.states.len().saturating_sub(MAX_LANE_STATES);
            lane.states.drain(..extra);
        }
        Ok(())
    }

    /// The decisions taken in the range (at most [`MAX_MARKS`], the newest), oldest first.
    fn decisions_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<TimelineDecision>> {
        let stmt_sql = "SELECT * FROM (SELECT seq, at, action, who, escalation_id FROM decisions
                             WHERE at >= ?1 AND at < ?2 ORDER BY seq DESC LIMIT ?3) AS newest
              ORDER BY seq";
        let limit = i64::try_from(MAX_MARKS).unwrap_or(i64::MAX);
        let mut out = Vec::new();
        self.db
            .query_each(stmt_sql, params![ts(from), ts(to), limit], |row| {
                out.push(TimelineDecision {
                    seq: row.get(0)?,
                    at: parse_ts(&row.get::<String>(1)?)?,
                    action: row.get(2)?,
                    who: row.get(3)?,
                    escalation_id: row.get(4)?,
                });
                Ok(())
            })?;
        Ok(out)
    }
}
