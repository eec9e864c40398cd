//! Events: stored once per (agent, seq), read back for a task's detail drawer.

use crate::db::{params, Db, Row};
use baton_core::protocol::Event;
use baton_core::views::{summarize_event, EventRow};
use chrono::{DateTime, Utc};

use crate::codec::{from_sql_int, parse_event_kind, parse_ts, to_sql_int, ts};
use crate::error::{Result, StoreError};
use crate::{texts, Store};

/// Stores one event inside the ingest transaction. Returns `false` when the agent already
/// delivered an event with this `seq` (the stored one is kept).
///
/// `ON CONFLICT DO NOTHING` rather than `INSERT OR IGNORE`: OR IGNORE would also silently skip a
/// row that breaks a CHECK or NOT NULL constraint, and count it as a duplicate.
pub(crate) fn insert_event(
    conn: &Db,
    agent_id: i64,
    event: &Event,
    seen_at: DateTime<Utc>,
) -> Result<Inserted> {
    let seq = to_sql_int(event.seq, "event seq")?;
    let (kept, ahead) = event.received_at(seen_at);
    let to_json = |event: &Event| {
        serde_json::to_string(event)
            .map_err(|err| StoreError::InvalidDocument(format!("event seq {seq}: {err}")))
    };
    // A long message is kept once (`texts`), out of the row's JSON.
    let (raw, message_text) = match kept.message.as_deref() {
        Some(message) if texts::kept_once(message) => {
            let without = Event {
                message: None,
                ..kept.as_ref().clone()
            };
            (to_json(&without)?, Some(texts::keep(conn, message)?))
        }
        _ => (to_json(kept.as_ref())?, None),
    };
    let inserted = conn.execute(
        "INSERT INTO events (agent_id, seq, at, kind, task_id, resource, raw, received_at,
                                 message_text)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (agent_id, seq) DO NOTHING",
        params![
            agent_id,
            seq,
            ts(kept.at),
            kept.kind.as_str(),
            kept.task_id,
            kept.resource,
            raw,
            ts(seen_at),
            message_text,
        ],
    )?;
    if inserted == 1 {
        return Ok(Inserted::New { ahead });
    }
    if let Some(id) = message_text {
        // Kept for this event, which was not stored: nothing else may refer to it.
        texts::forget_if_unused(conn, id)?;
    }
    // Stored before: the same event delivered again (the protocol's way), or another one
    // under a number already used (an agent that started its count over).
    let stored: String = conn.query_row(
        "SELECT raw FROM events_as_sent WHERE agent_id = ?1 AND seq = ?2",
        params![agent_id, seq],
        |row| row.get(0),
    )?;
    let same = serde_json::from_str::<Event>(&stored)
        .is_ok_and(|stored| stored.as_sent() == kept.as_sent());
    Ok(if same {
        Inserted::Again
    } else {
        Inserted::Reused
    })
}

/// What [`insert_event`] did with one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Inserted {
    /// Stored; `ahead` says how far ahead of Baton's the agent's clock was when it was more
    /// than the allowed skew (the event is then kept at the time received).
    New { ahead: Option<chrono::Duration> },
    /// Stored before, the same: delivered again.
    Again,
    /// Another event stored before under this `seq`: not stored.
    Reused,
}

impl Inserted {
    pub(crate) fn is_new(self) -> bool {
        matches!(self, Inserted::New { .. })
    }
}

fn read_event_row(row: &Row<'_>) -> Result<EventRow> {
    let seq = from_sql_int(row.get(1)?, "event seq")?;
    let raw_text: String = row.get(6)?;
    let raw: serde_json::Value = serde_json::from_str(&raw_text)
        .map_err(|err| StoreError::Corrupt(format!("event {seq}: bad JSON: {err}")))?;
    // The summary is made on read, so better wording reaches old events too.
    let summary = match serde_json::from_value::<Event>(raw.clone()) {
        Ok(event) => summarize_event(&event),
        Err(_) => format!("{} (unreadable event)", row.get::<String>(3)?),
    };
    Ok(EventRow {
        agent_id: row.get(0)?,
        seq,
        at: parse_ts(&row.get::<String>(2)?)?,
        kind: parse_event_kind(&row.get::<String>(3)?)?,
        task_id: row.get(4)?,
        resource: row.get(5)?,
        summary,
        raw,
    })
}

impl Store {
    /// One agent's stored events: how many, the lowest and highest `seq`, and how many distinct
    /// `seq`s (equal to the count unless an event is there twice). Zeros when it has none.
    pub fn event_seq_summary(&self, agent_id: i64) -> Result<(i64, i64, i64, i64)> {
        self.db.query_row(
            "SELECT count(*), coalesce(min(seq), 0), coalesce(max(seq), 0), count(DISTINCT seq)
               FROM events WHERE agent_id = ?1",
            params![agent_id],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
        )
    }

    /// The latest `limit` events of one task, oldest first (newest last).
    pub fn task_events(&self, agent_id: i64, task_id: &str, limit: u32) -> Result<Vec<EventRow>> {
        let stmt_sql = "SELECT agent_id, seq, at, kind, task_id, resource, raw FROM events_as_sent
              WHERE agent_id = ?1 AND task_id = ?2
              ORDER BY seq DESC LIMIT ?3";
        let mut out = Vec::new();
        self.db.query_each(
            stmt_sql,
            params![agent_id, task_id, i64::from(limit)],
            |row| {
                out.push(read_event_row(row)?);
                Ok(())
            },
        )?;
        out.reverse();
        Ok(out)
    }

    /// How many events are stored for an agent (0 for an unknown agent).
    pub fn event_count(&self, agent_id: i64) -> Result<u64> {
        let n: i64 = self.db.query_row(
            "SELECT count(*) FROM events WHERE agent_id = ?1",
            params![agent_id],
            |row| row.get(0),
        )?;
        from_sql_int(n, "event count")
    }
}
