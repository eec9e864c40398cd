//! Messages that stand for several items (issue 60): a route's digest of one period, or a
//! storm. Each is claimed before it is sent, as an item's message is ([`super::sent`]): on a
//! shared store one watcher sends it. Once sent, the items it told are marked with it
//! (`notify_sent.batch_id`), in the same transaction: none is told again on its own or in a
//! later digest.

use baton_core::notify::batch::{batch_sequence_id, BatchKind};
use chrono::{DateTime, Utc};

use crate::codec::{parse_ts, ts};
use crate::db::{params, Row};
use crate::error::{Result, StoreError};
use crate::Store;

/// A batch message this watcher may send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchClaim {
    pub id: i64,
    pub route_id: i64,
    pub kind: BatchKind,
    pub sequence_id: String,
    /// Sends made before this one (0: the first).
    pub sends: u32,
    /// Failed attempts since the last send that went out.
    pub attempts: u32,
}

/// How a batch's send ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchOutcome {
    /// The server took it: it told `count` items, `items` among them new.
    Sent { items: Vec<i64>, count: u32 },
    /// It did not: tried again at `retry_at`.
    Failed {
        error: String,
        retry_at: DateTime<Utc>,
    },
}

/// A batch as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchRow {
    pub id: i64,
    pub kind: BatchKind,
    pub key: i64,
    pub sequence_id: String,
    /// The count its last send told.
    pub items: u32,
    pub sends: u32,
    pub attempts: u32,
    pub last_error: Option<String>,
    /// When it was made, or last sent.
    pub touched_at: DateTime<Utc>,
}

fn number(n: i64) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(u32::MAX)
}

const COLS: &str =
    "id, kind, batch_key, sequence_id, items, sends, attempts, last_error, touched_at";

fn read_batch(row: &Row<'_>) -> Result<BatchRow> {
    let kind: String = row.get(1)?;
    Ok(BatchRow {
        id: row.get(0)?,
        kind: BatchKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("notify_batches: kind {kind:?}")))?,
        key: row.get(2)?,
        sequence_id: row.get(3)?,
        items: number(row.get(4)?),
        sends: number(row.get(5)?),
        attempts: number(row.get(6)?),
        last_error: row.get(7)?,
        touched_at: parse_ts(&row.get::<String>(8)?)?,
    })
}

impl Store {
    /// Claims the send of route `route_id`'s batch `kind` named `key`, telling `count` items,
    /// by watcher `claimer` for `hold_ms` (the database's clock); None when nothing is to be
    /// sent (a digest sent already, a storm told this count already, a retry not due yet) or
    /// another watcher holds it.
    #[allow(clippy::too_many_arguments)]
    pub fn claim_batch(
        &mut self,
        route_id: i64,
        kind: BatchKind,
        key: i64,
        count: u32,
        claimer: i64,
        hold_ms: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<BatchClaim>> {
        let tx = self.write_tx()?;
        let claimed: Option<(i64, String, i64, i64)> = tx.query_opt(
            "INSERT INTO notify_batches (route_id, kind, batch_key, sequence_id, claimed_by,
                                         claimed_until_ms, next_attempt_at, touched_at)
             VALUES (?1, ?2, ?3, ?4, ?5, clock_ms() + ?6, ?7, ?7)
             ON CONFLICT (route_id, kind, batch_key) DO UPDATE
                SET claimed_by = excluded.claimed_by,
                    claimed_until_ms = excluded.claimed_until_ms
              WHERE (notify_batches.claimed_until_ms IS NULL
                     OR notify_batches.claimed_until_ms <= clock_ms()
                     OR notify_batches.claimed_by = ?5)
                AND notify_batches.next_attempt_at <= ?7
                AND (notify_batches.sends = 0
                     OR (notify_batches.kind = 'storm' AND notify_batches.items < ?8))
             RETURNING id, sequence_id, sends, attempts",
            params![
                route_id,
                kind.as_str(),
                key,
                batch_sequence_id(kind, route_id, key),
                claimer,
                hold_ms.max(1),
                ts(now),
                i64::from(count)
            ],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
        )?;
        tx.commit()?;
        Ok(
            claimed.map(|(id, sequence_id, sends, attempts)| BatchClaim {
                id,
                route_id,
                kind,
                sequence_id,
                sends: number(sends),
                attempts: number(attempts),
            }),
        )
    }

    /// Records how a claimed batch's send ended (its claim ends with it); sent, its new items
    /// are marked as told in it.
    pub fn record_batch(
        &mut self,
        claim: &BatchClaim,
        outcome: &BatchOutcome,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let tx = self.write_tx()?;
        match outcome {
            BatchOutcome::Sent { items, count } => {
                tx.execute(
                    "UPDATE notify_batches SET sends = sends + 1, attempts = 0, last_error = NULL,
                            touched_at = ?2, claimed_by = NULL, claimed_until_ms = NULL,
                            items = CASE WHEN items < ?3 THEN ?3 ELSE items END
                      WHERE id = ?1",
                    params![claim.id, ts(now), i64::from(*count)],
                )?;
                for item in items {
                    tx.execute(
                        "INSERT INTO notify_sent (route_id, escalation_id, sequence_id,
                                                  next_attempt_at, batch_id)
                         VALUES (?1, ?2, ?3, ?4, ?5)
                         ON CONFLICT (route_id, escalation_id) DO UPDATE
                            SET batch_id = excluded.batch_id, attempts = 0, last_error = NULL
                          WHERE notify_sent.sends = 0 AND notify_sent.batch_id IS NULL",
                        params![claim.route_id, item, claim.sequence_id, ts(now), claim.id],
                    )?;
                }
            }
            BatchOutcome::Failed { error, retry_at } => {
                tx.execute(
                    "UPDATE notify_batches SET attempts = attempts + 1, last_error = ?2,
                            next_attempt_at = ?3, claimed_by = NULL, claimed_until_ms = NULL
                      WHERE id = ?1",
                    params![claim.id, error, ts(*retry_at)],
                )?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Route `route_id`'s storm still going at `since` (made or sent since), if there is one.
    pub fn open_storm(&self, route_id: i64, since: DateTime<Utc>) -> Result<Option<BatchRow>> {
        self.db.query_opt(
            &format!(
                "SELECT {COLS} FROM notify_batches
                  WHERE route_id = ?1 AND kind = 'storm' AND touched_at >= ?2
                  ORDER BY id DESC LIMIT 1"
            ),
            params![route_id, ts(since)],
            read_batch,
        )
    }

    /// Route `route_id`'s batch messages, oldest first.
    pub fn batches_sent(&self, route_id: i64) -> Result<Vec<BatchRow>> {
        self.db.query_map(
            &format!("SELECT {COLS} FROM notify_batches WHERE route_id = ?1 ORDER BY id"),
            params![route_id],
            read_batch,
        )
    }
}
