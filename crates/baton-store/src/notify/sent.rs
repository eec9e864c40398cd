//! What each route sent for each queue item: one message per item and route (later sends
//! replace it, by its sequence id), and a watcher's claim while it sends, taken as the
//! outbox's is (`outbox.rs`): on a shared store each send is made by one watcher at a time,
//! and a watcher that dies mid-send leaves it to the others once its claim lapses.

use baton_core::notify::message::sequence_id;
use chrono::{DateTime, Utc};

use crate::codec::{parse_ts, ts};
use crate::db::params;
use crate::error::Result;
use crate::Store;

/// What a route is to tell of an item now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// The item is open and has been seen `occurrences` times.
    Open { occurrences: u32 },
    /// The item was settled (or lapsed) after a message went out for it.
    Settled,
}

/// A send this watcher may make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeClaim {
    pub route_id: i64,
    pub escalation_id: i64,
    /// The message's sequence id (the same for every send of the item).
    pub sequence_id: String,
    /// Sends made before this one (0: the first message).
    pub sends: u32,
    /// Failed attempts since the last send that went out (its retry waits longer each time).
    pub attempts: u32,
}

/// How a send ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoticeOutcome {
    /// The server took it.
    Sent(Notice),
    /// It did not: tried again at `retry_at`.
    Failed {
        error: String,
        retry_at: DateTime<Utc>,
    },
}

/// A route's sends as stored (for tests, `baton notify list` and diagnostics).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentRow {
    pub escalation_id: i64,
    pub sequence_id: String,
    pub sent_occurrences: u32,
    pub settled_sent: bool,
    pub sends: u32,
    pub attempts: u32,
    pub last_error: Option<String>,
    /// When a failed send is tried again (a sent one: when it went out).
    pub next_attempt_at: DateTime<Utc>,
    /// The digest or storm message it was told in (then it has no message of its own).
    pub batch_id: Option<i64>,
}

impl SentRow {
    /// True when the route told the person of the item, one way or another.
    pub fn told(&self) -> bool {
        self.sends > 0 || self.batch_id.is_some()
    }
}

fn count(n: i64) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(u32::MAX)
}

impl Store {
    /// Claims the send of `notice` on route `route_id` for item `escalation_id`, by watcher
    /// `claimer`, for `hold_ms` (the database's clock); None when nothing is to be sent (told
    /// already, a retry not due yet, never sent and now settled) or another watcher holds it.
    pub fn claim_notice(
        &mut self,
        route_id: i64,
        escalation_id: i64,
        notice: Notice,
        claimer: i64,
        hold_ms: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<NoticeClaim>> {
        let free = "(notify_sent.claimed_until_ms IS NULL
                     OR notify_sent.claimed_until_ms <= clock_ms() OR notify_sent.claimed_by = ?3)
                    AND notify_sent.next_attempt_at <= ?5";
        let tx = self.write_tx()?;
        let claimed: Option<(String, i64, i64)> = match notice {
            Notice::Open { occurrences } => tx.query_opt(
                &format!(
                    "INSERT INTO notify_sent (route_id, escalation_id, sequence_id, claimed_by,
                                             claimed_until_ms, next_attempt_at)
                     VALUES (?1, ?2, ?6, ?3, clock_ms() + ?4, ?5)
                     ON CONFLICT (route_id, escalation_id) DO UPDATE
                        SET claimed_by = excluded.claimed_by,
                            claimed_until_ms = excluded.claimed_until_ms
                      WHERE notify_sent.settled_sent = 0 AND notify_sent.batch_id IS NULL
                        AND notify_sent.sent_occurrences < ?7 AND {free}
                     RETURNING sequence_id, sends, attempts"
                ),
                params![
                    route_id,
                    escalation_id,
                    claimer,
                    hold_ms.max(1),
                    ts(now),
                    sequence_id(escalation_id),
                    i64::from(occurrences)
                ],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )?,
            Notice::Settled => tx.query_opt(
                &format!(
                    "UPDATE notify_sent SET claimed_by = ?3, claimed_until_ms = clock_ms() + ?4
                      WHERE route_id = ?1 AND escalation_id = ?2 AND settled_sent = 0
                        AND sends > 0 AND {free}
                     RETURNING sequence_id, sends, attempts"
                ),
                params![route_id, escalation_id, claimer, hold_ms.max(1), ts(now)],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )?,
        };
        tx.commit()?;
        Ok(claimed.map(|(sequence_id, sends, attempts)| NoticeClaim {
            route_id,
            escalation_id,
            sequence_id,
            sends: count(sends),
            attempts: count(attempts),
        }))
    }

    /// Records how a claimed send ended; its claim ends with it.
    pub fn record_notice(
        &mut self,
        claim: &NoticeClaim,
        outcome: &NoticeOutcome,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let tx = self.write_tx()?;
        let (route, item) = (claim.route_id, claim.escalation_id);
        match outcome {
            NoticeOutcome::Sent(Notice::Open { occurrences }) => tx.execute(
                "UPDATE notify_sent SET sends = sends + 1, attempts = 0, last_error = NULL,
                        sent_at = ?3, claimed_by = NULL, claimed_until_ms = NULL,
                        sent_occurrences = CASE WHEN sent_occurrences < ?4 THEN ?4
                                                ELSE sent_occurrences END
                  WHERE route_id = ?1 AND escalation_id = ?2",
                params![route, item, ts(now), i64::from(*occurrences)],
            )?,
            NoticeOutcome::Sent(Notice::Settled) => tx.execute(
                "UPDATE notify_sent SET sends = sends + 1, attempts = 0, last_error = NULL,
                        sent_at = ?3, claimed_by = NULL, claimed_until_ms = NULL,
                        settled_sent = 1
                  WHERE route_id = ?1 AND escalation_id = ?2",
                params![route, item, ts(now)],
            )?,
            NoticeOutcome::Failed { error, retry_at } => tx.execute(
                "UPDATE notify_sent SET attempts = attempts + 1, last_error = ?3,
                        next_attempt_at = ?4, claimed_by = NULL, claimed_until_ms = NULL
                  WHERE route_id = ?1 AND escalation_id = ?2",
                params![route, item, error, ts(*retry_at)],
            )?,
        };
        tx.commit()?;
        Ok(())
    }

    /// Items whose message went out on route `route_id` and whose settling was not told yet.
    pub fn notices_unsettled(&self, route_id: i64) -> Result<Vec<i64>> {
        self.db.query_map(
            "SELECT escalation_id FROM notify_sent
              WHERE route_id = ?1 AND sends > 0 AND settled_sent = 0 AND batch_id IS NULL
              ORDER BY escalation_id",
            params![route_id],
            |row| row.get(0),
        )
    }

    /// Route `route_id`'s sends, by item.
    pub fn notices_sent(&self, route_id: i64) -> Result<Vec<SentRow>> {
        self.db.query_map(
            "SELECT escalation_id, sequence_id, sent_occurrences, settled_sent, sends, attempts,
                    last_error, next_attempt_at, batch_id
               FROM notify_sent WHERE route_id = ?1 ORDER BY escalation_id",
            params![route_id],
            |row| {
                Ok(SentRow {
                    escalation_id: row.get(0)?,
                    sequence_id: row.get(1)?,
                    sent_occurrences: count(row.get(2)?),
                    settled_sent: row.get::<i64>(3)? == 1,
                    sends: count(row.get(4)?),
                    attempts: count(row.get(5)?),
                    last_error: row.get(6)?,
                    next_attempt_at: parse_ts(&row.get::<String>(7)?)?,
                    batch_id: row.get(8)?,
                })
            },
        )
    }
}
