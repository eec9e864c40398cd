//! A coding session's permission request answered in Baton's queue: the hook records the ask (a
//! `needs_approval` event and its queue item, the turn waiting for a person), then waits for
//! the person's decision, and gives up after its time (the client then asks in its own dialog).
//! Asked only while the app or `baton watch` runs (see [`Store::note_watcher`]).

use crate::changes::{self, ChangeKind};
use crate::db::{params, Db};
use baton_core::detect::{EvidenceRef, Finding, FindingKind, Severity};
use baton_core::protocol::{Event, EventKind};
use baton_core::task::TaskState;
use chrono::{DateTime, Duration, Utc};

use super::record::{HookRecord, SessionRow};
use super::turns::{find_session, set_turn_state};
use crate::codec::{parse_ts, ts};
use crate::error::Result;
use crate::escalations::expire_with;
use crate::events::insert_event;
use crate::Store;

/// A watcher seen this recently is running: a person can answer in its queue.
pub const WATCHER_FRESH: Duration = Duration::seconds(15);

/// What became of a permission request asked in the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PermissionDecided {
    Allowed,
    /// Refused, with the person's note.
    Refused(Option<String>),
    /// Closed otherwise (dismissed, expired, another decision): the client asks itself.
    Closed,
}

/// Whether a watcher (the app, `baton watch`) was seen within [`WATCHER_FRESH`] of `now`.
pub(super) fn someone_watches(tx: &Db, now: DateTime<Utc>) -> Result<bool> {
    let seen: Option<String> = tx
        .query_opt("SELECT max(seen_at) FROM watchers", params![], |row| {
            row.get(0)
        })?
        .flatten();
    Ok(match seen {
        Some(seen) => parse_ts(&seen)? > now - WATCHER_FRESH,
        None => false,
    })
}

/// Records the ask: a `needs_approval` event (no task: each request is its own queue item) and
/// the turn waiting for a person. Returns the event's seq.
pub(super) fn record_ask(
    tx: &Db,
    row: &SessionRow,
    what: &str,
    now: DateTime<Utc>,
    record: &mut HookRecord,
) -> Result<u64> {
    let seq = u64::try_from(super::turns::next_seq(tx, row)?).unwrap_or(1);
    let mut event = Event::new(seq, now, EventKind::NeedsApproval);
    event.message = Some(format!("asks to run {what}"));
    if insert_event(tx, row.agent_id, &event, now)?.is_new() {
        record.new_events += 1;
    }
    if row.turn_open {
        let detail = Some(format!("waits for a person: may it run {what}?"));
        set_turn_state(tx, row, TaskState::InputRequired, detail, now, record)?;
    }
    Ok(seq)
}

/// The queue item of an ask: its key is the one the needs-approval detector gives the same
/// event, so that detector's later finding joins it.
pub(super) fn ask_finding(record: &HookRecord, what: &str, seq: u64) -> Finding {
    Finding {
        kind: FindingKind::NeedsApproval,
        severity: Severity::Critical,
        agents: vec![record.agent_id],
        resource: None,
        summary: format!("{} asks: may it run {what}?", record.agent_name),
        evidence: vec![EvidenceRef {
            agent_id: record.agent_id,
            seq,
        }],
        dedupe_key: format!(
            "{}:{}:seq-{seq}",
            FindingKind::NeedsApproval.as_str(),
            record.agent_id
        ),
        continues: None,
    }
}

impl Store {
    /// Notes that a watcher of kind `kind` (`app`, `watch`) runs at `now`.
    pub fn note_watcher(&mut self, kind: &str, now: DateTime<Utc>) -> Result<()> {
        self.db.execute(
            "INSERT INTO watchers (kind, seen_at) VALUES (?1, ?2)
             ON CONFLICT (kind) DO UPDATE SET seen_at = excluded.seen_at",
            params![kind, ts(now)],
        )?;
        Ok(())
    }

    /// The escalation of the finding with `dedupe_key`, if it has one.
    pub(super) fn escalation_of(&self, dedupe_key: &str) -> Result<Option<i64>> {
        Ok(self
            .db
            .query_opt(
                "SELECT escalation_id FROM findings WHERE dedupe_key = ?1
                  ORDER BY id DESC LIMIT 1",
                params![dedupe_key],
                |row| row.get(0),
            )?
            .flatten())
    }

    /// What the person decided on the ask `escalation_id`; None while it is open.
    pub fn permission_decided(&self, escalation_id: i64) -> Result<Option<PermissionDecided>> {
        let found = self.db.query_opt(
            "SELECT e.state, d.action, d.reason FROM escalations e
                   LEFT JOIN decisions d ON d.seq = e.decision_id
                  WHERE e.id = ?1",
            params![escalation_id],
            |row| {
                Ok((
                    row.get::<String>(0)?,
                    row.get::<Option<String>>(1)?,
                    row.get::<Option<String>>(2)?,
                ))
            },
        )?;
        Ok(match found {
            None => Some(PermissionDecided::Closed),
            Some((state, _, _)) if state == "open" => None,
            Some((_, Some(action), _)) if action == "approve" => Some(PermissionDecided::Allowed),
            Some((_, Some(action), reason)) if action == "reject" => {
                Some(PermissionDecided::Refused(reason))
            }
            Some(_) => Some(PermissionDecided::Closed),
        })
    }

    /// The session stopped waiting for the ask (its time ran out): the item leaves the queue,
    /// logged, and the turn goes on. Does nothing to an ask already decided.
    pub fn stop_asking(
        &mut self,
        escalation_id: i64,
        waited: Duration,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let tx = self.write_tx()?;
        let open: bool = tx
            .query_opt(
                "SELECT state = 'open' FROM escalations WHERE id = ?1",
                params![escalation_id],
                |row| row.get(0),
            )?
            .unwrap_or(false);
        if open {
            let why = format!(
                "the session stopped waiting after {} s and asked in its own dialog",
                waited.num_seconds()
            );
            expire_with(&tx, escalation_id, &why, now)?;
            tx.execute(
                "UPDATE findings SET closed_at = ?2 WHERE escalation_id = ?1 AND closed_at IS NULL",
                params![escalation_id, ts(now)],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The session's turn goes on after its ask was settled (it waited for a person).
    pub fn resume_turn(&mut self, agent_id: i64, now: DateTime<Utc>) -> Result<()> {
        let tx = self.write_tx()?;
        let row = find_session(&tx, "s.agent_id = ?1", params![agent_id])?;
        if let Some(row) = row.filter(|row| row.turn_open) {
            let waiting: bool = tx
                .query_opt(
                    "SELECT state = 'input_required' FROM tasks WHERE agent_id = ?1 AND task_id = ?2",
                    params![agent_id, format!("turn-{}", row.turns)],
                    |r| r.get(0),
                )?
                .unwrap_or(false);
            if waiting {
                let mut record = HookRecord::for_row(&row);
                set_turn_state(&tx, &row, TaskState::Working, None, now, &mut record)?;
                changes::record(&tx, ChangeKind::Session, agent_id, "")?;
            }
        }
        tx.commit()?;
        Ok(())
    }
}
