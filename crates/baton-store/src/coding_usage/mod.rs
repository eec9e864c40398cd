//! Coding sessions' usage and their clients' limit windows (schema 21): each model response a
//! session's record file holds (`session_usage`, counted once by its key), how far that file
//! was read (`usage_sources`), and each window of a client and account (`usage_windows`, with
//! its readings in `usage_window_samples`).
//!
//! The store never opens a client's files: a [`UsageFeed`] (baton-hooks') reads what was
//! appended past the cursor the store hands it, and the store records what it read with the
//! new cursor, in the hook call's own transaction ([`Store::record_hook_reading`]) or in one
//! of its own ([`Store::catch_up_usage`]).

mod reads;
mod windows;

use baton_core::detect::Finding;
use baton_core::hooks::HookClient;
use baton_core::usage::{window_finding, StatusLine, UsageRecord, WindowReading, WindowSettings};
use chrono::{DateTime, Utc};

use crate::codec::{to_sql_int, ts};
use crate::db::{params, Db};
use crate::error::Result;
use crate::named_settings;
use crate::Store;

use windows::record_window;
pub(crate) use windows::{pause_sessions_in, PAUSE_OF_SESSION};

/// Where the reading of a session's record file stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageCursor {
    pub path: String,
    /// The file read (device and inode): another file at the same path is read from its start.
    pub file_key: String,
    /// The byte read to.
    pub read_to: u64,
    /// The last model the file named (Codex names it once per turn).
    pub model: Option<String>,
}

/// What a feed read past a cursor.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UsageRead {
    /// Where the reading stands now (None: nothing to move).
    pub cursor: Option<UsageCursor>,
    pub records: Vec<UsageRecord>,
    pub windows: Vec<WindowReading>,
    /// Lines skipped, files replaced: said on the hook's stderr and in the watch's log.
    pub warnings: Vec<String>,
}

/// Reads a session's record file past the cursor the store keeps for it (None: never read).
pub trait UsageFeed {
    fn read(&mut self, client: HookClient, cursor: Option<&UsageCursor>) -> UsageRead;
}

/// The session a usage read belongs to.
pub(crate) struct UsageSession<'a> {
    pub agent_id: i64,
    pub client: HookClient,
    pub account: Option<&'a str>,
    pub turn: i64,
}

/// The usage and windows read for `session`, and its new cursor (inside the caller's write).
pub(crate) fn record_usage_in(
    tx: &Db,
    session: &UsageSession<'_>,
    read: &UsageRead,
    now: DateTime<Utc>,
) -> Result<()> {
    for record in &read.records {
        let row = UsageRow {
            agent_id: session.agent_id,
            turn: session.turn,
            key: &record.key,
            at: record.at.unwrap_or(now),
            model: record.model.as_deref(),
        };
        record_usage_row(tx, &row, &record.tokens, None)?;
    }
    if let Some(account) = session.account {
        for window in &read.windows {
            record_window(tx, session.client, account, window, now)?;
        }
    }
    if let Some(cursor) = &read.cursor {
        tx.execute_later(
            "INSERT INTO usage_sources (agent_id, path, file_key, read_to, model, read_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (agent_id) DO UPDATE SET path = excluded.path,
                file_key = excluded.file_key, read_to = excluded.read_to,
                model = excluded.model, read_at = excluded.read_at",
            params![
                session.agent_id,
                cursor.path,
                cursor.file_key,
                to_sql_int(cursor.read_to, "offset")?,
                cursor.model,
                ts(now)
            ],
        )?;
    }
    Ok(())
}

/// Where one response's usage goes: its session, the turn it was read in, its key.
pub(crate) struct UsageRow<'a> {
    pub agent_id: i64,
    pub turn: i64,
    pub key: &'a str,
    pub at: DateTime<Utc>,
    pub model: Option<&'a str>,
}

/// One response's usage, whichever source read it (the session's record file, its client's
/// telemetry): counted once by its key, with its most complete figures (one response written
/// over several lines, or read again after a rotation, or by both sources), and the client's
/// own price when a source gave one (`cost_usd`; None keeps what is stored).
pub(crate) fn record_usage_row(
    tx: &Db,
    row: &UsageRow<'_>,
    tokens: &baton_core::usage::TokenUse,
    cost_usd: Option<f64>,
) -> Result<()> {
    tx.execute_later(
        "INSERT INTO session_usage (agent_id, usage_key, turn, at, model, input, output,
                                    cache_read, cache_write, cost_usd)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (agent_id, usage_key) DO UPDATE SET
            input = greatest(session_usage.input, excluded.input),
            output = greatest(session_usage.output, excluded.output),
            cache_read = greatest(session_usage.cache_read, excluded.cache_read),
            cache_write = greatest(session_usage.cache_write, excluded.cache_write),
            model = CASE WHEN excluded.model = '' THEN session_usage.model
                         ELSE excluded.model END,
            cost_usd = coalesce(excluded.cost_usd, session_usage.cost_usd)",
        params![
            row.agent_id,
            row.key,
            row.turn,
            ts(row.at),
            row.model.unwrap_or(""),
            to_sql_int(tokens.input, "input tokens")?,
            to_sql_int(tokens.output, "output tokens")?,
            to_sql_int(tokens.cache_read, "cache read tokens")?,
            to_sql_int(tokens.cache_write, "cache write tokens")?,
            cost_usd
        ],
    )
}

/// The cursor from `usage_sources`' `path, file_key, read_to, model` at `at`.
pub(crate) fn cursor_from(row: &crate::db::Row<'_>, at: usize) -> Result<Option<UsageCursor>> {
    let Some(path) = row.get::<Option<String>>(at)? else {
        return Ok(None);
    };
    Ok(Some(UsageCursor {
        path,
        file_key: row.get::<Option<String>>(at + 1)?.unwrap_or_default(),
        read_to: u64::try_from(row.get::<Option<i64>>(at + 2)?.unwrap_or(0)).unwrap_or(0),
        model: row.get(at + 3)?,
    }))
}

/// A session whose record file may have more to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageSource {
    pub agent_id: i64,
    pub client: HookClient,
    pub cursor: UsageCursor,
}

impl Store {
    /// When a usage window is a finding: forecast to run out within this long (30 min unless
    /// set).
    pub fn usage_window_settings(&self) -> Result<WindowSettings> {
        let minutes: Option<u32> =
            named_settings::get(&self.db, named_settings::USAGE_WINDOW_MINUTES)?;
        Ok(
            minutes.map_or_else(WindowSettings::default, |m| WindowSettings {
                horizon: chrono::Duration::minutes(i64::from(m)),
            }),
        )
    }

    /// Sets the horizon of the usage windows' finding (1 minute to 24 hours); true when it
    /// changed.
    pub fn set_usage_window_minutes(&mut self, minutes: u32, now: DateTime<Utc>) -> Result<bool> {
        if !(1..=1440).contains(&minutes) {
            return Err(crate::StoreError::InvalidSetting {
                field: "usage_window_minutes",
                message: "the usage windows' horizon is from 1 minute to 24 hours".into(),
            });
        }
        named_settings::set(
            &self.db,
            named_settings::USAGE_WINDOW_MINUTES,
            &minutes,
            now,
        )
    }

    /// The findings of the windows forecast to run out within the horizon, at `now`.
    pub fn usage_window_findings(&self, now: DateTime<Utc>) -> Result<Vec<Finding>> {
        let settings = self.usage_window_settings()?;
        Ok(self
            .usage_windows(now)?
            .iter()
            .filter_map(|w| {
                let label = HookClient::parse(&w.client).map_or(w.client.as_str(), |c| c.label());
                window_finding(w, label, &settings, now)
            })
            .collect())
    }

    /// What a client's status line was handed (Claude Code's `rate_limits` and `cost`): the
    /// account's windows, and what the client says the session cost.
    pub fn record_status_line(
        &mut self,
        client: HookClient,
        account: Option<&str>,
        status: &StatusLine,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let tx = self.write_tx()?;
        if let Some(account) = account {
            for window in &status.windows {
                record_window(&tx, client, account, window, now)?;
            }
        }
        if let Some(session_id) = &status.session_id {
            tx.execute(
                "UPDATE sessions SET reported_cost_usd = coalesce(?3, reported_cost_usd),
                        account = coalesce(account, ?4)
                  WHERE client = ?1 AND session_id = ?2",
                params![client.as_str(), session_id, status.cost_usd, account],
            )?;
        }
        tx.commit()
    }

    /// The record files of sessions seen since `since`, with where their reading stands.
    pub fn usage_sources(&self, since: DateTime<Utc>) -> Result<Vec<UsageSource>> {
        let rows = self.db.query_map(
            "SELECT s.agent_id, s.client, u.path, u.file_key, u.read_to, u.model
               FROM usage_sources u JOIN sessions s ON s.agent_id = u.agent_id
              WHERE s.last_seen_at >= ?1 ORDER BY s.agent_id",
            params![ts(since)],
            |row| {
                Ok((
                    row.get::<i64>(0)?,
                    row.get::<String>(1)?,
                    cursor_from(row, 2)?,
                ))
            },
        )?;
        Ok(rows
            .into_iter()
            .filter_map(|(agent_id, client, cursor)| {
                Some(UsageSource {
                    agent_id,
                    client: HookClient::parse(&client)?,
                    cursor: cursor?,
                })
            })
            .collect())
    }

    /// Reads what session `agent_id`'s record file holds past its cursor (`feed`) and records
    /// it, in one write; the warnings the feed gave.
    pub fn catch_up_usage(
        &mut self,
        agent_id: i64,
        feed: &mut dyn UsageFeed,
        now: DateTime<Utc>,
    ) -> Result<Vec<String>> {
        let tx = self.write_tx()?;
        let found = tx.query_opt(
            "SELECT s.client, s.account, s.turns, u.path, u.file_key, u.read_to, u.model
               FROM sessions s LEFT JOIN usage_sources u ON u.agent_id = s.agent_id
              WHERE s.agent_id = ?1",
            params![agent_id],
            |row| {
                Ok((
                    row.get::<String>(0)?,
                    row.get::<Option<String>>(1)?,
                    row.get::<i64>(2)?,
                    cursor_from(row, 3)?,
                ))
            },
        )?;
        let Some((client, account, turn, cursor)) = found else {
            return Ok(Vec::new());
        };
        let Some(client) = HookClient::parse(&client) else {
            return Ok(Vec::new());
        };
        let read = feed.read(client, cursor.as_ref());
        let session = UsageSession {
            agent_id,
            client,
            account: account.as_deref(),
            turn,
        };
        record_usage_in(&tx, &session, &read, now)?;
        tx.commit()?;
        Ok(read.warnings)
    }
}
