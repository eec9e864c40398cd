//! An agent's health as its poller sees it (reachable or not, latency, failures, the last
//! error): written after each poll (a group's agents in one statement on PostgreSQL, with a
//! change for the feed when what a person sees moves), read by the views.

use std::collections::HashMap;

use baton_core::agent::AgentHealth;

use crate::changes::ChangeKind;
use crate::codec::{from_sql_int, opt_ts, parse_opt_ts, parse_reachability, reachability_str};
use crate::db::{params, Db, Row, RowsSql};
use crate::error::{Result, StoreError};
use crate::Store;

/// The health columns of `agents`, in the order [`read_health`] reads them.
macro_rules! health_columns {
    () => {
        "reachability, last_success_at, last_attempt_at, latency_ms, consecutive_failures, \
         last_error, last_error_at"
    };
}
pub(crate) use health_columns;

/// Reads the health columns ([`health_columns`]) starting at column `at`.
pub(crate) fn read_health(row: &Row<'_>, at: usize) -> Result<AgentHealth> {
    let failures: i64 = row.get(at + 4)?;
    Ok(AgentHealth {
        reachability: parse_reachability(&row.get::<String>(at)?)?,
        last_success_at: parse_opt_ts(row.get(at + 1)?)?,
        last_attempt_at: parse_opt_ts(row.get(at + 2)?)?,
        latency_ms: row
            .get::<Option<i64>>(at + 3)?
            .map(|ms| from_sql_int(ms, "latency_ms"))
            .transpose()?,
        consecutive_failures: u32::try_from(failures).unwrap_or(u32::MAX),
        last_error: row.get(at + 5)?,
        last_error_at: parse_opt_ts(row.get(at + 6)?)?,
    })
}

impl Store {
    /// Stores the poller's view of an agent's health.
    /// [`Store::record_health`] unless the stored health is from a later attempt, or the
    /// agent is gone (a health kept in memory a moment ago may arrive after both).
    pub fn record_health_if_newer(&mut self, id: i64, health: &AgentHealth) -> Result<bool> {
        let tx = self.write_tx()?;
        let written = write_health(&tx, id, health, true)? > 0;
        tx.commit()?;
        Ok(written)
    }

    /// [`Store::record_health_if_newer`] with the statement sent with the transaction's next
    /// one (the caller reads nothing back: e.g. the healths of quiet polls).
    pub fn record_health_if_newer_later(&mut self, id: i64, health: &AgentHealth) -> Result<()> {
        write_health_later(&self.db, id, health, true)
    }

    /// [`Store::record_health`] of an agent known to be there (read in the same write), sent
    /// with the transaction's next statement.
    pub fn record_health_later(&mut self, id: i64, health: &AgentHealth) -> Result<()> {
        write_health_later(&self.db, id, health, false)
    }

    /// Stores an agent's health, whatever the stored one is; an agent that is gone is
    /// [`StoreError::AgentNotFound`].
    pub fn record_health(&mut self, id: i64, health: &AgentHealth) -> Result<()> {
        let tx = self.write_tx()?;
        if write_health(&tx, id, health, false)? == 0 {
            return Err(StoreError::AgentNotFound(id));
        }
        tx.commit()
    }

    /// An agent's health; [`AgentHealth::default`] until the first poll is recorded.
    pub fn health(&self, id: i64) -> Result<AgentHealth> {
        let stmt_sql = concat!("SELECT ", health_columns!(), " FROM agents WHERE id = ?1");
        self.db
            .query_opt(stmt_sql, params![id], |row| read_health(row, 0))?
            .ok_or(StoreError::AgentNotFound(id))
    }

    /// Every agent's cursor ([`Store::cursor`]) and health ([`Store::health`]), by id, in one
    /// read: what the pollers of the agents a watcher takes over start from, rather than
    /// each reading its own (500 agents taken were 1,000 reads before their first requests).
    pub fn cursors_and_healths(&self) -> Result<HashMap<i64, (Option<String>, AgentHealth)>> {
        let mut found = HashMap::new();
        self.db.query_each(
            concat!("SELECT ", health_columns!(), ", cursor, id FROM agents"),
            params![],
            |row| {
                found.insert(row.get(8)?, (row.get(7)?, read_health(row, 0)?));
                Ok(())
            },
        )?;
        Ok(found)
    }
}

/// Writes an agent's health (when `only_newer`, unless the stored one is from a later
/// attempt), inside the caller's transaction; the rows changed.
fn write_health(db: &Db, id: i64, health: &AgentHealth, only_newer: bool) -> Result<usize> {
    health_write(db, id, health, only_newer, false)
}

/// [`write_health`] sent with the transaction's next statement.
fn write_health_later(db: &Db, id: i64, health: &AgentHealth, only_newer: bool) -> Result<()> {
    health_write(db, id, health, only_newer, true).map(|_| ())
}

fn health_write(
    db: &Db,
    id: i64,
    health: &AgentHealth,
    only_newer: bool,
    later: bool,
) -> Result<usize> {
    // A change for the feed when what a person sees moves (reachable or not, the failures,
    // the last error), not at each steady poll: read before the row is written.
    db.write_row(
        &HEALTH_MOVED,
        params![
            id,
            ChangeKind::Health.as_str(),
            db.origin(),
            reachability_str(health.reachability),
            i64::from(health.consecutive_failures),
            health.last_error,
        ],
    )?;
    db.note_recorded();
    let values = params![
        id,
        reachability_str(health.reachability),
        opt_ts(health.last_success_at),
        opt_ts(health.last_attempt_at),
        health
            .latency_ms
            .map(|ms| i64::try_from(ms).unwrap_or(i64::MAX)),
        i64::from(health.consecutive_failures),
        health.last_error,
        opt_ts(health.last_error_at),
        only_newer,
    ];
    if later {
        db.write_row(&HEALTH, values)?;
        return Ok(0);
    }
    db.execute(HEALTH.single(), values)
}

/// A change for the feed when an agent's health moves: before [`HEALTH`] writes it.
static HEALTH_MOVED: RowsSql = RowsSql {
    before: "INSERT INTO changes (seq, kind, ref_id, ref_key, origin, at_ms)
             SELECT h.seq + 1, v.column2, a.id, '', v.column3, clock_ms()
               FROM changes_head h, agents a, (VALUES",
    columns: 6,
    after: ") AS v WHERE h.id = 1 AND a.id = v.column1
               AND (a.reachability IS DISTINCT FROM v.column4
                    OR a.consecutive_failures <> v.column5
                    OR a.last_error IS DISTINCT FROM v.column6)
             ON CONFLICT DO NOTHING",
    key: &[],
    one: Some(
        "INSERT INTO changes (seq, kind, ref_id, ref_key, origin, at_ms)
             SELECT h.seq + 1, ?2, a.id, '', ?3, clock_ms() FROM changes_head h, agents a
              WHERE h.id = 1 AND a.id = ?1
                AND (a.reachability IS DISTINCT FROM ?4 OR a.consecutive_failures <> ?5
                     OR a.last_error IS DISTINCT FROM ?6)
             ON CONFLICT DO NOTHING",
    ),
    numbered: false,
    anytime: false,
};

/// An agent's health (when the last column is 1, unless the stored one is from a later
/// attempt): a group's agents in one statement on PostgreSQL.
static HEALTH: RowsSql = RowsSql {
    before: "UPDATE agents
                SET reachability = v.column2, last_success_at = v.column3,
                    last_attempt_at = v.column4, latency_ms = v.column5,
                    consecutive_failures = v.column6, last_error = v.column7,
                    last_error_at = v.column8
               FROM (VALUES",
    columns: 9,
    after: ") AS v WHERE agents.id = v.column1
               AND (v.column9 = 0 OR agents.last_attempt_at IS NULL
                    OR agents.last_attempt_at <= v.column4)",
    key: &[0],
    one: Some(
        "UPDATE agents
                SET reachability = ?2, last_success_at = ?3, last_attempt_at = ?4,
                    latency_ms = ?5, consecutive_failures = ?6, last_error = ?7,
                    last_error_at = ?8
              WHERE id = ?1
                AND (?9 = 0 OR last_attempt_at IS NULL OR last_attempt_at <= ?4)",
    ),
    numbered: false,
    anytime: false,
};
