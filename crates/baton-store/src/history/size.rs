//! Retention by size, beside retention by age: past its cap (by default 2 GiB for a SQLite
//! store; none for PostgreSQL unless set), the oldest events go first, a batch at a time, until
//! the store is under it again. Never the decision log, the escalations, or an event an open
//! item points at (its evidence, the question it asks), and never an agent's newest event.
//!
//! What counts is the space the rows take: SQLite's pages in use (a file does not shrink when
//! rows go, its free pages are used again); on PostgreSQL each table's size times the share of
//! it its live rows take, measured on a sample of its pages (a table's files do not shrink when
//! rows go either, and once VACUUM has run the statistics no longer tell what is free:
//! [`postgres_bytes_in_use`]).

use std::collections::HashSet;

use baton_core::detect::EvidenceRef;
use chrono::{DateTime, Duration, Utc};

use crate::codec::{parse_json, ts};
use crate::db::{params, Dialect};
use crate::error::{Result, StoreError};
use crate::named_settings::{self, RETENTION_MAX_BYTES};
use crate::Store;

/// A SQLite store's cap unless the user sets one.
pub const DEFAULT_SQLITE_MAX_BYTES: u64 = 2 << 30;
/// The smallest cap accepted.
pub const MIN_MAX_BYTES: u64 = 1 << 20;
/// Events deleted per round when the store is over its cap.
const SIZE_BATCH: i64 = 5_000;

/// How big the store is and how fast it grows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreSize {
    /// Bytes the rows take (see the module docs).
    pub bytes: u64,
    /// The cap, if any.
    pub max_bytes: Option<u64>,
    pub events: u64,
    /// Events received in the last 24 hours.
    pub events_last_day: u64,
}

impl StoreSize {
    /// About how many bytes a day the store grows, at the last day's pace of events.
    pub fn growth_per_day(&self) -> u64 {
        if self.events == 0 {
            return 0;
        }
        let per_event = self.bytes as f64 / self.events as f64;
        (per_event * self.events_last_day as f64) as u64
    }
}

/// Why a size cap is refused.
pub(crate) fn check_max_bytes(cap: Option<u64>) -> Result<()> {
    if cap.is_some_and(|cap| cap < MIN_MAX_BYTES) {
        return Err(StoreError::InvalidSetting {
            field: "max_size",
            message: format!(
                "the store's size cap is at least {} MiB",
                MIN_MAX_BYTES >> 20
            ),
        });
    }
    Ok(())
}

impl Store {
    /// The size cap: the user's, else the engine's default (SQLite 2 GiB, PostgreSQL none).
    pub fn retention_max_bytes(&self) -> Result<Option<u64>> {
        let set: Option<Option<u64>> = named_settings::get(self.db(), RETENTION_MAX_BYTES)?;
        Ok(match set {
            Some(cap) => cap,
            None => match self.dialect() {
                Dialect::Sqlite => Some(DEFAULT_SQLITE_MAX_BYTES),
                Dialect::Postgres => None,
            },
        })
    }

    /// Sets the size cap (None: no cap); true when it changed.
    pub fn set_retention_max_bytes(
        &mut self,
        cap: Option<u64>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        check_max_bytes(cap)?;
        named_settings::set(self.db(), RETENTION_MAX_BYTES, &cap, now)
    }

    /// The store's size now, its cap, and its events.
    pub fn store_size(&self, now: DateTime<Utc>) -> Result<StoreSize> {
        let bytes = self.bytes_in_use()?;
        let (events, last_day): (i64, i64) = self.db().query_row(
            "SELECT (SELECT count(*) FROM events),
                    (SELECT count(*) FROM events WHERE received_at >= ?1)",
            params![ts(now - Duration::days(1))],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        Ok(StoreSize {
            bytes,
            max_bytes: self.retention_max_bytes()?,
            events: u64::try_from(events).unwrap_or(0),
            events_last_day: u64::try_from(last_day).unwrap_or(0),
        })
    }

    /// One round of retention by size: when the store is over its cap, deletes the oldest
    /// events (a batch) that nothing open points at. How many went, and whether it is still
    /// over its cap (run again).
    pub fn compact_to_size(&mut self) -> Result<(usize, bool)> {
        let Some(cap) = self.retention_max_bytes()? else {
            return Ok((0, false));
        };
        let bytes = self.bytes_in_use()?;
        if bytes <= cap {
            return Ok((0, false));
        }
        let kept = self.events_open_items_point_at()?;
        let tx = self.write_tx()?;
        let oldest: Vec<(i64, i64)> = tx.query_map(
            "SELECT e.agent_id, e.seq FROM events e
              WHERE e.seq < (SELECT max(seq) FROM events n WHERE n.agent_id = e.agent_id)
              ORDER BY e.received_at, e.agent_id, e.seq LIMIT ?1",
            params![SIZE_BATCH],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        let mut deleted = 0;
        for (agent_id, seq) in oldest {
            if !kept.contains(&(agent_id, seq)) {
                deleted += tx.execute(
                    "DELETE FROM events WHERE agent_id = ?1 AND seq = ?2",
                    params![agent_id, seq],
                )?;
            }
        }
        if deleted > 0 {
            crate::texts::forget_unused(&tx)?;
        }
        tx.commit()?;
        if deleted > 0 {
            tracing::info!(
                deleted,
                bytes,
                cap,
                "the store was over its size cap: its oldest events went"
            );
        }
        Ok((deleted, deleted > 0))
    }

    /// Bytes the rows take (see the module docs).
    fn bytes_in_use(&self) -> Result<u64> {
        let bytes: i64 = match self.dialect() {
            Dialect::Sqlite => self.db().query_row(
                "SELECT (SELECT page_count FROM pragma_page_count())
                        - (SELECT freelist_count FROM pragma_freelist_count()),
                        (SELECT page_size FROM pragma_page_size())",
                params![],
                |row| Ok(row.get::<i64>(0)? * row.get::<i64>(1)?),
            )?,
            Dialect::Postgres => postgres_bytes_in_use(self.db())?,
        };
        Ok(u64::try_from(bytes).unwrap_or(0))
    }

    /// (agent, seq) of every event an open finding names as evidence or an open escalation
    /// asks with.
    fn events_open_items_point_at(&self) -> Result<HashSet<(i64, i64)>> {
        let mut kept = HashSet::new();
        self.db().query_each(
            "SELECT evidence FROM findings WHERE closed_at IS NULL",
            params![],
            |row| {
                let evidence: Vec<EvidenceRef> =
                    parse_json(&row.get::<String>(0)?, "finding evidence")?;
                for e in evidence {
                    kept.insert((e.agent_id, i64::try_from(e.seq).unwrap_or(i64::MAX)));
                }
                Ok(())
            },
        )?;
        self.db().query_each(
            "SELECT agent_id, event_seq FROM escalations
              WHERE state = 'open' AND agent_id IS NOT NULL AND event_seq IS NOT NULL",
            params![],
            |row| {
                kept.insert((row.get(0)?, row.get(1)?));
                Ok(())
            },
        )?;
        Ok(kept)
    }
}

/// Pages of a table read to measure its live rows: every page of a table up to this many, about
/// this many of a bigger one (each page taken at random, PostgreSQL's `TABLESAMPLE SYSTEM`).
const SAMPLED_PAGES: i64 = 1024;

/// What the rows of a PostgreSQL store take: each table's size (with its indexes and TOAST)
/// times the share of its heap its live rows take. The rows are measured on a sample of the
/// heap's pages (all of a small table's), each row's size and line pointer scaled up by the
/// share of pages read: a page freed by deletions counts as free whether VACUUM has run or
/// not (the statistics' live and dead counts cannot tell: after VACUUM a table of two rows
/// in a file of 4 MB shows two live rows and none dead). Two round trips.
fn postgres_bytes_in_use(db: &crate::db::Db) -> Result<i64> {
    let tables: Vec<(i64, String, i64, i64)> = db.query_map(
        "SELECT CAST(relid AS BIGINT), relname, pg_table_size(relid),
                pg_total_relation_size(relid)
           FROM pg_stat_user_tables WHERE schemaname = current_schema() ORDER BY relid",
        params![],
        |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
    )?;
    if tables.is_empty() {
        return Ok(0);
    }
    // The share of pages read: a function of the table's size now, in the statement (the
    // statement's text stays the same while the tables do).
    let sampled = tables
        .iter()
        .map(|(oid, name, _, _)| {
            let share = format!(
                "least(100.0, 100.0 * {SAMPLED_PAGES} \
                 / greatest(pg_relation_size(CAST({oid} AS oid)) / 8192, 1))"
            );
            format!(
                "SELECT CAST({oid} AS BIGINT), count(*), \
                 CAST(coalesce(sum(pg_column_size(s.*)), 0) AS BIGINT), \
                 CAST({share} AS DOUBLE PRECISION) \
                 FROM \"{}\" s TABLESAMPLE SYSTEM ({share})",
                name.replace('"', "\"\"")
            )
        })
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    let rows: std::collections::HashMap<i64, (i64, i64, f64)> = db
        .query_map(&sampled, params![], |row| {
            Ok((row.get(0)?, (row.get(1)?, row.get(2)?, row.get(3)?)))
        })?
        .into_iter()
        .collect();
    let mut bytes = 0f64;
    for (oid, _, table, total) in tables {
        let Some(&(count, row_bytes, percent)) = rows.get(&oid) else {
            continue;
        };
        if table <= 0 || percent <= 0.0 {
            continue;
        }
        // A row's line pointer is 4 bytes beside it on its page.
        let live = (row_bytes + 4 * count) as f64 * 100.0 / percent;
        bytes += total as f64 * (live / table as f64).min(1.0);
    }
    Ok(bytes.round() as i64)
}
