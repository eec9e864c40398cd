//! The outbox: decisions waiting to be delivered to an agent. A row is written with its decision
//! (`decide.rs`, same transaction); the engine's relay takes the due rows, POSTs each with its
//! `Idempotency-Key`, and records the outcome here: acknowledged (delivered, accepted or not) or
//! failed (tried again at the time the relay chose). Rows outlive restarts of Baton: a row is
//! pending until an acknowledgement is recorded.

use crate::changes::{self, ChangeKind};
use crate::db::{params, Row};
use chrono::{DateTime, Utc};

use crate::codec::{parse_opt_ts, parse_ts, ts};
use crate::decisions::{append_decision_in, NewDecision};
use crate::error::Result;
use crate::escalations::{agent_name_in, reopen_in};
use crate::Store;

/// A delivery to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxItem {
    pub id: i64,
    pub agent_id: i64,
    pub idempotency_key: String,
    /// The `DecisionDelivery` JSON, as it is sent.
    pub body: String,
    /// Attempts made so far.
    pub attempts: u32,
    /// The escalation the decision answers, if any.
    pub escalation_id: Option<i64>,
}

/// How one attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// The agent answered 2xx. `accepted: false` means it will not act on it (not retried).
    Acknowledged {
        accepted: bool,
        note: Option<String>,
    },
    /// The agent answered, but not as the decision asked: an A2A server that started a new task
    /// instead of continuing the one that waits, or whose task still waits for input. Not
    /// retried; the escalation the decision answered opens again, with `note` in the decision
    /// log and on the delivery.
    NotTaken { note: String },
    /// An A2A answer the agent took, sent in the form it asked: delivered and accepted as
    /// `Acknowledged` is, and written to the decision log (`delivered`, by the agent, with
    /// `note` as its reason and `sent` as its detail: the form, and the function call answered).
    Answered {
        note: String,
        sent: serde_json::Value,
    },
    /// No acknowledgement (refused, timed out, non-2xx, …): try again at `retry_at`.
    Failed {
        error: String,
        retry_at: DateTime<Utc>,
    },
}

/// A pending row as stored (for tests and diagnostics).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    pub item: OutboxItem,
    pub next_attempt_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub accepted: Option<bool>,
    pub last_error: Option<String>,
    /// The watcher delivering it now (its claim still runs or lapsed unended), if any.
    pub claimed_by: Option<i64>,
}

const COLS: &str = "o.id, o.agent_id, o.idempotency_key, o.body, o.attempts, d.escalation_id, \
     o.next_attempt_at, o.delivered_at, o.accepted, o.last_error, o.claimed_by";

fn read_row(row: &Row<'_>) -> Result<OutboxRow> {
    Ok(OutboxRow {
        item: OutboxItem {
            id: row.get(0)?,
            agent_id: row.get(1)?,
            idempotency_key: row.get(2)?,
            body: row.get(3)?,
            attempts: u32::try_from(row.get::<i64>(4)?).unwrap_or(u32::MAX),
            escalation_id: row.get(5)?,
        },
        next_attempt_at: parse_ts(&row.get::<String>(6)?)?,
        delivered_at: parse_opt_ts(row.get(7)?)?,
        accepted: row.get::<Option<i64>>(8)?.map(|a| a == 1),
        last_error: row.get(9)?,
        claimed_by: row.get(10)?,
    })
}

impl Store {
    /// Undelivered rows due at `now`, the longest waiting first; at most `limit`.
    pub fn due_deliveries(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<OutboxItem>> {
        let stmt_sql = &format!(
            "SELECT {COLS} FROM outbox o JOIN decisions d ON d.seq = o.decision_id
             WHERE o.delivered_at IS NULL AND o.next_attempt_at <= ?1
             ORDER BY o.next_attempt_at, o.id LIMIT ?2"
        );
        let mut due = Vec::new();
        self.db.query_each(
            stmt_sql,
            params![ts(now), i64::try_from(limit).unwrap_or(i64::MAX)],
            |row| {
                due.push(read_row(row)?.item);
                Ok(())
            },
        )?;
        Ok(due)
    }

    /// Claims the undelivered rows due at `now` for watcher `claimer` until `hold_ms` from now
    /// (the database's clock), the longest waiting first, at most `limit`, and returns them:
    /// rows another watcher claimed and still holds are passed over, so each row is delivered
    /// by one watcher at a time (its own claims it takes again: a restarted Baton that shares
    /// nothing claims as 0). On PostgreSQL the rows are taken `FOR UPDATE SKIP LOCKED`.
    /// A claim ends with the row's recorded outcome, or lapses (its watcher died mid-delivery:
    /// another sends it again, with the same `Idempotency-Key`).
    pub fn claim_deliveries(
        &mut self,
        now: DateTime<Utc>,
        limit: usize,
        claimer: i64,
        hold_ms: i64,
    ) -> Result<Vec<OutboxItem>> {
        let lock = match self.db.dialect() {
            crate::db::Dialect::Postgres => "FOR UPDATE SKIP LOCKED",
            crate::db::Dialect::Sqlite => "",
        };
        let claim = format!(
            "UPDATE outbox SET claimed_by = ?3, claimed_until_ms = clock_ms() + ?4
             WHERE id IN (SELECT id FROM outbox
                          WHERE delivered_at IS NULL AND next_attempt_at <= ?1
                            AND (claimed_until_ms IS NULL OR claimed_until_ms <= clock_ms()
                                 OR claimed_by = ?3)
                          ORDER BY next_attempt_at, id LIMIT ?2 {lock})
             RETURNING id"
        );
        let tx = self.write_tx()?;
        let ids: Vec<i64> = tx.query_map(
            &claim,
            params![
                ts(now),
                i64::try_from(limit).unwrap_or(i64::MAX),
                claimer,
                hold_ms.max(1)
            ],
            |row| row.get(0),
        )?;
        let mut claimed = Vec::with_capacity(ids.len());
        let one = format!(
            "SELECT {COLS} FROM outbox o JOIN decisions d ON d.seq = o.decision_id WHERE o.id = ?1"
        );
        for id in ids {
            if let Some(row) = tx.query_opt(&one, params![id], read_row)? {
                claimed.push(row.item);
            }
        }
        tx.commit()?;
        claimed.sort_by_key(|item| item.id);
        Ok(claimed)
    }

    /// When the next undelivered row is due (None: nothing to deliver).
    pub fn next_delivery_at(&self) -> Result<Option<DateTime<Utc>>> {
        self.next_delivery_for(0)
    }

    /// When the next undelivered row is due that watcher `claimer` may claim: rows another
    /// watcher holds are not waited for (its outcome, or its claim's end, comes later).
    pub fn next_delivery_for(&self, claimer: i64) -> Result<Option<DateTime<Utc>>> {
        let next: Option<String> = self.db.query_row(
            "SELECT min(next_attempt_at) FROM outbox WHERE delivered_at IS NULL
               AND (claimed_until_ms IS NULL OR claimed_until_ms <= clock_ms()
                    OR claimed_by = ?1)",
            params![claimer],
            |row| row.get(0),
        )?;
        next.as_deref().map(parse_ts).transpose()
    }

    /// Records how an attempt at row `id` ended; returns the escalation it concerns. A row
    /// already acknowledged stays as it is (a late outcome changes nothing).
    pub fn record_delivery(
        &mut self,
        id: i64,
        outcome: &DeliveryOutcome,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>> {
        let tx = self.write_tx()?;
        let recorded = match outcome {
            DeliveryOutcome::Acknowledged { accepted, note } => tx.execute(
                "UPDATE outbox SET attempts = attempts + 1, delivered_at = ?2, accepted = ?3,
                        last_error = ?4, claimed_by = NULL, claimed_until_ms = NULL
                 WHERE id = ?1 AND delivered_at IS NULL",
                params![id, ts(now), i64::from(*accepted), note],
            )?,
            DeliveryOutcome::Answered { note, .. } => tx.execute(
                "UPDATE outbox SET attempts = attempts + 1, delivered_at = ?2, accepted = 1,
                        last_error = ?3, claimed_by = NULL, claimed_until_ms = NULL
                 WHERE id = ?1 AND delivered_at IS NULL",
                params![id, ts(now), note],
            )?,
            DeliveryOutcome::NotTaken { note } => tx.execute(
                "UPDATE outbox SET attempts = attempts + 1, delivered_at = ?2, accepted = 0,
                        last_error = ?3, claimed_by = NULL, claimed_until_ms = NULL
                 WHERE id = ?1 AND delivered_at IS NULL",
                params![id, ts(now), note],
            )?,
            DeliveryOutcome::Failed { error, retry_at } => tx.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, next_attempt_at = ?3,
                        claimed_by = NULL, claimed_until_ms = NULL
                 WHERE id = ?1 AND delivered_at IS NULL",
                params![id, error, ts(*retry_at)],
            )?,
        };
        let row: Option<(Option<i64>, i64)> = tx.query_opt(
            "SELECT d.escalation_id, o.agent_id FROM outbox o
                   JOIN decisions d ON d.seq = o.decision_id
                 WHERE o.id = ?1",
            params![id],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        let escalation = row.and_then(|(escalation, _)| escalation);
        if let (Some(escalation), 1) = (escalation, recorded) {
            // The queue's delivery line moved on.
            changes::record(&tx, ChangeKind::EscalationChanged, escalation, "")?;
        }
        if let (DeliveryOutcome::NotTaken { note }, Some((Some(escalation), agent_id)), 1) =
            (outcome, row, recorded)
        {
            reopen_in(&tx, escalation, agent_id, note, now)?;
        }
        if let (DeliveryOutcome::Answered { note, sent }, Some((Some(escalation), agent_id)), 1) =
            (outcome, row, recorded)
        {
            let agent = agent_name_in(&tx, agent_id)?;
            append_decision_in(
                &tx,
                NewDecision::new(&agent, "delivered", &format!("escalation:{escalation}"))
                    .at(now)
                    .escalation(escalation)
                    .reason(note)
                    .detail(sent.clone()),
            )?;
        }
        tx.commit()?;
        Ok(escalation)
    }

    /// Every outbox row, oldest first (for tests and diagnostics).
    pub fn outbox_rows(&self) -> Result<Vec<OutboxRow>> {
        let stmt_sql = &format!(
            "SELECT {COLS} FROM outbox o JOIN decisions d ON d.seq = o.decision_id ORDER BY o.id"
        );
        let mut all = Vec::new();
        self.db.query_each(stmt_sql, params![], |row| {
            all.push(read_row(row)?);
            Ok(())
        })?;
        Ok(all)
    }
}
