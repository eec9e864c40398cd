//! Hook calls that went ahead unchecked (the store too slow or away), recorded late from their
//! machine's spool, once each; and each machine's measured time to the store, with how many of
//! its calls went unchecked today (`baton status`, the app).

use baton_core::hooks::{HookCall, ParallelMode};
pub use baton_core::machines::MachineLink;
use chrono::{DateTime, Utc};

use super::record::{HookRecord, PermitSettings, SessionRef, UncheckedCall};
use crate::codec::{parse_ts, ts};
use crate::db::{params, Db};
use crate::error::Result;
use crate::host::this_machine;
use crate::Store;

impl Store {
    /// Records `call`, which went ahead unchecked at `late.at`, as it would have been recorded
    /// then (its events at their time, its turn, its leases), delivered at `now`. Nothing is
    /// refused or asked any more: a write onto a file another worker held then, or wrote
    /// since, is an item saying it went ahead unchecked, and why. Stored once: a call
    /// delivered before returns None and changes nothing.
    pub fn record_unchecked_call(
        &mut self,
        session: &SessionRef,
        call: &HookCall,
        settings: PermitSettings,
        late: UncheckedCall,
        now: DateTime<Utc>,
    ) -> Result<Option<HookRecord>> {
        let at = late.at;
        let settings = PermitSettings {
            ask_person: false,
            // A parallel edit that went ahead is told, not refused: it happened.
            parallel: match settings.parallel {
                ParallelMode::Enforce => ParallelMode::Warn,
                other => other,
            },
            unchecked: Some(late),
            ..settings
        };
        self.record_late_call(session, call, settings, at, now)
    }

    /// Notes that a hook call of `host` took `call_ms` on the store at `at`.
    pub fn note_store_link(&mut self, host: &str, call_ms: u64, at: DateTime<Utc>) -> Result<()> {
        let tx = self.write_tx()?;
        tx.execute(
            "INSERT INTO store_links (host, call_ms, measured_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (host) DO UPDATE SET call_ms = excluded.call_ms,
                 measured_at = excluded.measured_at",
            params![host, i64::try_from(call_ms).unwrap_or(i64::MAX), ts(at)],
        )?;
        tx.commit()
    }

    /// Every machine that measured its link or had a call go ahead unchecked today (the day
    /// of `now`, UTC), by name.
    pub fn machine_links(&self, now: DateTime<Utc>) -> Result<Vec<MachineLink>> {
        let midnight = now
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .map_or(now, |start| start.and_utc());
        self.db.query_map(
            "SELECT h.host, l.call_ms, l.measured_at,
                    (SELECT count(*) FROM unchecked_calls u WHERE u.host = h.host AND u.at >= ?1)
               FROM (SELECT host FROM store_links
                     UNION SELECT host FROM unchecked_calls WHERE at >= ?1) h
               LEFT JOIN store_links l ON l.host = h.host
              ORDER BY h.host",
            params![ts(midnight)],
            |row| {
                let measured: Option<String> = row.get(2)?;
                Ok(MachineLink {
                    host: row.get(0)?,
                    call_ms: row
                        .get::<Option<i64>>(1)?
                        .and_then(|ms| u64::try_from(ms).ok()),
                    measured_at: measured.as_deref().map(parse_ts).transpose()?,
                    unchecked_today: u64::try_from(row.get::<i64>(3)?).unwrap_or(0),
                })
            },
        )
    }
}

/// Keeps the record of a late call; false when it was kept before (delivered twice).
pub(super) fn note_unchecked(
    tx: &Db,
    agent_id: i64,
    session: &SessionRef,
    late: &UncheckedCall,
    delivered_at: DateTime<Utc>,
) -> Result<bool> {
    let host = session.host.clone().unwrap_or_else(this_machine);
    let kept = tx.execute(
        "INSERT INTO unchecked_calls (call_id, agent_id, host, at, waited_ms, why, delivered_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (call_id) DO NOTHING",
        params![
            late.call_id,
            agent_id,
            host,
            ts(late.at),
            i64::try_from(late.waited_ms).unwrap_or(i64::MAX),
            late.why,
            ts(delivered_at)
        ],
    )?;
    Ok(kept == 1)
}
