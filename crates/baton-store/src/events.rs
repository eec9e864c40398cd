//! Events: stored once per (agent, seq), read back for a task's detail drawer.

use crate::db::{params, Db, KeyedIn, Kind, ReadAhead, ReadRows, Row, RowsSql, Value};
use baton_core::protocol::Event;
use baton_core::views::{summarize_event, EventRow};
use chrono::{DateTime, Utc};

use crate::codec::{from_sql_int, parse_event_kind, parse_ts, to_sql_int, ts};
use crate::error::{Result, StoreError};
use crate::{texts, Store};

/// Stores one event inside the ingest transaction (see [`insert_events`]).
pub(crate) fn insert_event(
    conn: &Db,
    agent_id: i64,
    event: &Event,
    seen_at: DateTime<Utc>,
) -> Result<Inserted> {
    Ok(
        insert_events(conn, agent_id, std::slice::from_ref(event), seen_at)?
            .pop()
            .unwrap_or(Inserted::Again),
    )
}

/// An event as its row holds it.
struct EventRowValues {
    seq: i64,
    at: String,
    kind: &'static str,
    task_id: Option<String>,
    resource: Option<String>,
    raw: String,
    message_text: Option<i64>,
    ahead: Option<chrono::Duration>,
    /// `at` in milliseconds since the epoch.
    at_ms: i64,
    /// The minute `at` falls in, in seconds since the epoch (`event_minutes`).
    minute: i64,
}

/// The events stored before under some `seq`s of an agent: `seq` → the event as it was sent
/// (read ahead: [`stored_events_reads`]).
#[derive(Debug, Default)]
pub(crate) struct StoredEvents(std::collections::HashMap<i64, String>);

impl StoredEvents {
    /// The rows of the read [`stored_events_reads`] listed.
    pub(crate) fn read(rows: &mut ReadRows) -> Result<StoredEvents> {
        let mut found = std::collections::HashMap::new();
        for row in rows.take()? {
            found.insert(row.get::<i64>(0)?, row.get::<String>(1)?);
        }
        Ok(StoredEvents(found))
    }
}

/// The `seq`s of `events` a row can hold (one out of range is refused when stored).
fn stored_seqs(events: &[Event]) -> Vec<Value<'static>> {
    events
        .iter()
        .filter_map(|e| i64::try_from(e.seq).ok())
        .map(Value::Int)
        .collect()
}

/// Lists the reads of the events agent `agent_id` stored under the `seq`s of `events` (none
/// for no events).
pub(crate) fn stored_events_reads(agent_id: i64, events: &[Event], ahead: &mut ReadAhead) {
    ahead.read_keyed_in(&STORED_EVENTS, params![agent_id], &stored_seqs(events));
}

/// What an agent stored under some `seq`s (a group's agents in one statement on PostgreSQL).
static STORED_EVENTS: KeyedIn = KeyedIn {
    many: RowsSql {
        before: "SELECT v.column1, x.* FROM (VALUES",
        columns: 2,
        after: ") AS v, LATERAL (
                    SELECT e.seq, e.raw FROM events_as_sent e
                     WHERE e.agent_id = v.column2 AND e.seq = v.column3 OFFSET 0) AS x",
        key: &[],
        one: None,
        numbered: true,
        anytime: false,
    },
    alone: |list| {
        format!("SELECT seq, raw FROM events_as_sent WHERE agent_id = ?1 AND seq IN ({list})")
    },
};

/// Stores a poll's events inside its transaction and says for each (in order) whether it is
/// new, the same event delivered again, or another event under a `seq` already used (the
/// stored one is kept). Reads what is stored under their `seq`s first.
pub(crate) fn insert_events(
    conn: &Db,
    agent_id: i64,
    events: &[Event],
    seen_at: DateTime<Utc>,
) -> Result<Vec<Inserted>> {
    let mut ahead = ReadAhead::default();
    stored_events_reads(agent_id, events, &mut ahead);
    let stored = StoredEvents::read(&mut conn.read_ahead(&ahead)?)?;
    insert_events_known(conn, agent_id, events, seen_at, &stored)
}

/// [`insert_events`] with what is stored under their `seq`s read ahead (`stored`): the new
/// ones go in a few hundred rows a statement, with the transaction's next statement.
///
/// `ON CONFLICT DO NOTHING` rather than `INSERT OR IGNORE`: OR IGNORE would also silently skip a
/// row that breaks a CHECK or NOT NULL constraint.
pub(crate) fn insert_events_known(
    conn: &Db,
    agent_id: i64,
    events: &[Event],
    seen_at: DateTime<Utc>,
    stored: &StoredEvents,
) -> Result<Vec<Inserted>> {
    let mut rows = Vec::with_capacity(events.len());
    let mut outcome = Vec::with_capacity(events.len());
    // Each seq is new once: a second event under it in the same poll is a duplicate too.
    let mut first_of: std::collections::HashMap<i64, &Event> = Default::default();
    for event in events {
        let seq = to_sql_int(event.seq, "event seq")?;
        if let Some(raw) = stored.0.get(&seq) {
            outcome.push(as_stored(raw, event, seen_at));
            continue;
        }
        if let Some(first) = first_of.get(&seq) {
            let sent = |e: &Event| e.received_at(seen_at).0.as_sent();
            outcome.push(if sent(first).same_as(&sent(event)) {
                Inserted::Again
            } else {
                Inserted::Reused
            });
            continue;
        }
        first_of.insert(seq, event);
        let row = row_values(conn, event, seen_at)?;
        outcome.push(Inserted::New { ahead: row.ahead });
        rows.push(row);
    }
    let received = ts(seen_at);
    let mut values: Vec<Value> = Vec::with_capacity(rows.len() * INSERT_EVENTS.columns);
    for row in &rows {
        values.extend([
            Value::Int(agent_id),
            Value::Int(row.seq),
            Value::Text(&row.at),
            Value::Text(row.kind),
            row.task_id
                .as_deref()
                .map_or(Value::Null(Kind::Text), Value::Text),
            row.resource
                .as_deref()
                .map_or(Value::Null(Kind::Text), Value::Text),
            Value::Text(&row.raw),
            Value::Text(&received),
            row.message_text.map_or(Value::Null(Kind::Int), Value::Int),
            Value::Int(row.at_ms),
        ]);
    }
    conn.write_rows(&INSERT_EVENTS, &values)?;
    let mut minutes: std::collections::BTreeMap<(i64, &str), i64> = Default::default();
    for row in &rows {
        *minutes.entry((row.minute, row.kind)).or_default() += 1;
    }
    for ((minute, kind), events) in minutes {
        conn.write_row(&COUNT_MINUTE, params![agent_id, minute, kind, events])?;
    }
    Ok(outcome)
}

/// New events, a poll's (a group's, on PostgreSQL) in one statement.
static INSERT_EVENTS: RowsSql = RowsSql {
    before: "INSERT INTO events (agent_id, seq, at, kind, task_id, resource, raw, received_at,
                                 message_text, at_ms) VALUES",
    columns: 10,
    after: "ON CONFLICT (agent_id, seq) DO NOTHING",
    key: &[],
    one: None,
    numbered: false,
    anytime: false,
};

/// An agent's events of a minute and kind, counted (`event_minutes`).
static COUNT_MINUTE: RowsSql = RowsSql {
    before: "INSERT INTO event_minutes (agent_id, minute, kind, events) VALUES",
    columns: 4,
    after: "ON CONFLICT (agent_id, minute, kind)
            DO UPDATE SET events = event_minutes.events + excluded.events",
    key: &[0, 1, 2],
    one: None,
    numbered: false,
    anytime: false,
};

/// The row of one event: its time (kept at the time received when the agent's clock is
/// ahead), its JSON without a long message (kept once in `texts`).
fn row_values(conn: &Db, event: &Event, seen_at: DateTime<Utc>) -> Result<EventRowValues> {
    let seq = to_sql_int(event.seq, "event seq")?;
    let (kept, ahead) = event.received_at(seen_at);
    let to_json = |event: &Event| {
        serde_json::to_string(event)
            .map_err(|err| StoreError::InvalidDocument(format!("event seq {seq}: {err}")))
    };
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
    Ok(EventRowValues {
        seq,
        at: ts(kept.at),
        kind: kept.kind.as_str(),
        task_id: kept.task_id.clone(),
        resource: kept.resource.clone(),
        raw,
        message_text,
        ahead,
        at_ms: kept.at.timestamp_millis(),
        minute: kept.at.timestamp().div_euclid(60) * 60,
    })
}

/// A `seq` stored before (`stored`: the event as it was sent): the same event delivered again
/// (the protocol's way), or another one under a number already used (an agent that started
/// its count over). Its JSON is compared as values: spelt otherwise, it is the same event.
fn as_stored(stored: &str, event: &Event, seen_at: DateTime<Utc>) -> Inserted {
    let (kept, _) = event.received_at(seen_at);
    let same = serde_json::from_str::<Event>(stored)
        .is_ok_and(|stored| stored.as_sent().same_as(&kept.as_sent()));
    if same {
        Inserted::Again
    } else {
        Inserted::Reused
    }
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
