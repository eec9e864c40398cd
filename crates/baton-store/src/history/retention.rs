//! Retention: events dated more than the retention ago (default 30 days) are deleted, and the task
//! versions older than it are compacted to the ones that changed a task's state, so the store
//! stays bounded while the replay still shows every task in the state it was. Each agent's
//! newest event stays whatever its age (the counter checks read it). Decisions, escalations,
//! costs and poll counts stay.

use crate::db::{params, Db};
use chrono::{DateTime, Duration, Utc};

use crate::codec::{parse_opt_ts, ts};
use crate::error::{Result, StoreError};
use crate::named_settings::{self, COMPACTED_BEFORE, RETENTION_DAYS};
use crate::Store;

/// Days events are kept unless the user says otherwise.
pub const DEFAULT_RETENTION_DAYS: u32 = 30;
/// The longest retention: ten years.
pub const MAX_RETENTION_DAYS: u32 = 3660;
/// Rows deleted per statement, so the writer is never held long (the next batch follows).
const BATCH: i64 = 20_000;

/// Why a retention is refused.
pub(crate) fn check_retention(days: u32) -> Result<()> {
    if days == 0 || days > MAX_RETENTION_DAYS {
        return Err(StoreError::InvalidSetting {
            field: "retention_days",
            message: format!("events are kept from 1 to {MAX_RETENTION_DAYS} days"),
        });
    }
    Ok(())
}

/// What one compaction removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Compacted {
    pub events: usize,
    pub task_versions: usize,
    /// True when there is more to do (the batch was full): run again.
    pub more: bool,
}

impl Store {
    /// Days events are kept.
    pub fn retention_days(&self) -> Result<u32> {
        Ok(named_settings::get(&self.db, RETENTION_DAYS)?.unwrap_or(DEFAULT_RETENTION_DAYS))
    }

    /// Sets how many days events are kept (1 to [`MAX_RETENTION_DAYS`]); true when it changed.
    pub fn set_retention_days(&mut self, days: u32, now: DateTime<Utc>) -> Result<bool> {
        check_retention(days)?;
        named_settings::set(&self.db, RETENTION_DAYS, &days, now)
    }

    /// Before when events were compacted away; None when nothing was.
    pub fn compacted_before(&self) -> Result<Option<DateTime<Utc>>> {
        parse_opt_ts(named_settings::get(&self.db, COMPACTED_BEFORE)?)
    }

    /// Deletes events received before `now − retention` and compacts older task versions, at
    /// most one batch of each (see [`Compacted::more`]).
    pub fn compact(&mut self, now: DateTime<Utc>) -> Result<Compacted> {
        let days = self.retention_days()?;
        let before = now - Duration::days(i64::from(days));
        let tx = self.write_tx()?;
        let events = tx.execute(
            "DELETE FROM events WHERE (agent_id, seq) IN (
                 SELECT e.agent_id, e.seq FROM events e
                  WHERE e.at < ?1
                    AND e.seq < (SELECT max(seq) FROM events n WHERE n.agent_id = e.agent_id)
                  LIMIT ?2)",
            params![ts(before), BATCH],
        )?;
        let task_versions = tx.execute(
            "DELETE FROM task_history WHERE version IN (
                 SELECT version FROM (
                     SELECT version, recorded_at, state,
                            lag(state) OVER w AS before, lead(version) OVER w AS next
                       FROM task_history
                     WINDOW w AS (PARTITION BY agent_id, task_id ORDER BY version)) AS versions
                  WHERE recorded_at < ?1 AND before = state AND next IS NOT NULL
                  LIMIT ?2)",
            params![ts(before), BATCH],
        )?;
        // The timeline's counts go with the age limit too (not with the size limit: a count
        // is a few bytes where an event is a document).
        tx.execute(
            "DELETE FROM event_minutes WHERE minute + 60 <= ?1",
            params![before.timestamp()],
        )?;
        if events > 0 || task_versions > 0 {
            crate::texts::forget_unused(&tx)?;
        }
        if let Some(mark) = compacted_mark(&tx, before, events + task_versions > 0)? {
            named_settings::set(&tx, COMPACTED_BEFORE, &ts(mark), now)?;
        }
        tx.commit()?;
        let full = |n: usize| i64::try_from(n).unwrap_or(i64::MAX) >= BATCH;
        // Then by size: the oldest events while the store is over its cap.
        let (by_size, over) = self.compact_to_size()?;
        Ok(Compacted {
            events: events + by_size,
            task_versions,
            more: full(events) || full(task_versions) || over,
        })
    }
}

/// The new "compacted before" mark: `before`, once something was compacted and nothing older
/// than it is left (never earlier than the mark before).
fn compacted_mark(tx: &Db, before: DateTime<Utc>, removed: bool) -> Result<Option<DateTime<Utc>>> {
    let previous = parse_opt_ts(named_settings::get(tx, COMPACTED_BEFORE)?)?;
    if !removed && previous.is_none() {
        return Ok(None);
    }
    let older_left: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM events e WHERE e.at < ?1
                           AND e.seq < (SELECT max(seq) FROM events n WHERE n.agent_id = e.agent_id))",
        params![ts(before)],
        |row| row.get(0),
    )?;
    if older_left {
        return Ok(None);
    }
    Ok(Some(previous.map_or(before, |p| p.max(before))))
}
