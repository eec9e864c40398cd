//! The change feed: what each write changed, for every process that shows the store (the app,
//! `baton watch`, `baton escalations --follow`), whoever wrote it, on any machine.
//!
//! A write that changes something a view shows records, in its own transaction, one row per
//! [`ChangeKind`] and subject ([`record`]). All rows of a transaction share one number: the
//! feed's head plus one, and the head moves to it as the transaction commits
//! ([`crate::db::Db::commit`]). Every write takes the store's write lock first (SQLite's
//! `BEGIN IMMEDIATE`, PostgreSQL's advisory lock), so numbers grow in commit order: a reader
//! that has seen number N never sees a row below N commit later (a sequence would: its value
//! is taken at insert and seen at commit). A savepoint rolled back takes its rows with it; the
//! head moves anyway, leaving a number nobody uses, which readers skip.
//!
//! A reader asks for the rows after the last number it saw ([`Store::changes_after`]), so a
//! reconnect or a missed wake-up catches up with nothing lost. On PostgreSQL the commit also
//! sends `NOTIFY baton_changes` (the head as its payload, a hint only) and [`ChangeListener`]
//! wakes on it; on SQLite a reader looks at the head ([`Store::change_head`], one indexed row)
//! a few times a second. Retention ([`Store::prune_changes`]) keeps a few minutes of rows and
//! notes how far it deleted, so a reader left further behind knows to reload everything.

use crate::db::{params, Db, RowsSql};
use crate::error::Result;
use crate::Store;

/// The PostgreSQL channel a commit that recorded changes notifies.
pub use crate::db::CHANNEL;

/// Most tasks of one write named one by one; past it, one row says "many of the agent's".
pub const TASKS_NAMED: usize = 64;

/// How long the feed keeps its rows by default (a reader away longer reloads everything).
pub const KEEP_MS: i64 = 10 * 60 * 1000;

/// What changed. The subject is `ref_id` (and `ref_key`), as each kind says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChangeKind {
    /// A task of agent `ref_id` (its id in `ref_key`; empty: more than [`TASKS_NAMED`] of its
    /// tasks) was stored or changed.
    Task,
    /// New events or usage of agent `ref_id` were stored.
    Events,
    /// Agent `ref_id`'s health moved (reachable or not, failures, its last error).
    Health,
    /// Agent `ref_id` was added, edited or removed (or a task followed for it).
    Agent,
    /// What agent `ref_id` declares (its manifest) changed.
    Declarations,
    /// Coding session `ref_id` (its agent) called Baton's hooks.
    Session,
    /// File leases were taken, moved, written or freed.
    Leases,
    /// Queue item `ref_id` opened.
    EscalationOpened,
    /// Queue item `ref_id` changed: grew, decided, expired, reopened, its delivery moved on.
    EscalationChanged,
    /// Decision `ref_id` (its number in the log) was appended.
    Decision,
    /// The ownership rules changed.
    Rules,
    /// Watchers joined or left the store, or agents changed hands between them.
    Watchers,
}

impl ChangeKind {
    pub const ALL: [ChangeKind; 12] = [
        ChangeKind::Task,
        ChangeKind::Events,
        ChangeKind::Health,
        ChangeKind::Agent,
        ChangeKind::Declarations,
        ChangeKind::Session,
        ChangeKind::Leases,
        ChangeKind::EscalationOpened,
        ChangeKind::EscalationChanged,
        ChangeKind::Decision,
        ChangeKind::Rules,
        ChangeKind::Watchers,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Task => "task",
            ChangeKind::Events => "events",
            ChangeKind::Health => "health",
            ChangeKind::Agent => "agent",
            ChangeKind::Declarations => "declarations",
            ChangeKind::Session => "session",
            ChangeKind::Leases => "leases",
            ChangeKind::EscalationOpened => "escalation_opened",
            ChangeKind::EscalationChanged => "escalation_changed",
            ChangeKind::Decision => "decision",
            ChangeKind::Rules => "rules",
            ChangeKind::Watchers => "watchers",
        }
    }

    /// The kind a stored name is; None for a kind a newer Baton records.
    pub fn parse(name: &str) -> Option<ChangeKind> {
        ChangeKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// One row of the feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The number of the transaction that recorded it (several rows share one).
    pub seq: i64,
    pub kind: ChangeKind,
    pub ref_id: i64,
    pub ref_key: String,
    /// Which connection wrote it ([`crate::StoreHandle::origin`]).
    pub origin: i64,
}

/// What [`Store::changes_after`] read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangesRead {
    /// The rows after the number asked for, in order (kinds this Baton does not know left out).
    pub changes: Vec<Change>,
    /// The number to ask after next time: every row up to it has been read.
    pub through: i64,
    /// Retention deleted rows after the number asked for (or the store's head is behind it: a
    /// store restored from a backup): they cannot be read, and the reader should reload
    /// everything it shows.
    pub lost: bool,
}

/// A row as stored (its kind a name, which a newer Baton may have added).
struct Stored {
    seq: i64,
    kind: String,
    ref_id: i64,
    ref_key: String,
    origin: i64,
}

/// Most rows one read returns (a transaction's rows are never split between two reads).
pub const READ_LIMIT: usize = 4096;

/// Rows of the feed (a group's in one statement on PostgreSQL, wherever its writes record
/// them: see [`RowsSql::anytime`]).
static RECORD: RowsSql = RowsSql {
    before: "INSERT INTO changes (seq, kind, ref_id, ref_key, origin, at_ms)
             SELECT h.seq + 1, v.column1, v.column2, v.column3, v.column4, clock_ms()
               FROM changes_head h, (VALUES",
    columns: 4,
    after: ") AS v WHERE h.id = 1 ON CONFLICT DO NOTHING",
    key: &[],
    one: Some(
        "INSERT INTO changes (seq, kind, ref_id, ref_key, origin, at_ms)
             SELECT seq + 1, ?1, ?2, ?3, ?4, clock_ms() FROM changes_head WHERE id = 1
             ON CONFLICT DO NOTHING",
    ),
    numbered: false,
    // Nothing of a transaction reads the feed's rows, and they read only the head, which
    // moves at the commit after everything that waits (`Db::move_feed_head`).
    anytime: true,
};

/// Records that the open transaction changed `kind` of subject `ref_id` / `ref_key`. Outside a
/// transaction it is a transaction of its own. On PostgreSQL it goes out with the next
/// statement or the commit (no round trip of its own).
pub(crate) fn record(db: &Db, kind: ChangeKind, ref_id: i64, ref_key: &str) -> Result<()> {
    let own = db.is_autocommit();
    if own {
        db.begin_write()?;
    } else if !db.holds_write_lock() {
        return Err(crate::StoreError::Writer(
            "a change recorded in a write without the store's write lock (its number would not \
             follow commit order)"
                .into(),
        ));
    }
    let done = db.write_row(
        &RECORD,
        params![kind.as_str(), ref_id, ref_key, db.origin()],
    );
    db.note_recorded();
    if !own {
        return done;
    }
    match done.and_then(|()| db.commit()) {
        Ok(()) => Ok(()),
        Err(err) => {
            let _ = db.rollback();
            Err(err)
        }
    }
}

impl Store {
    /// The feed's head: the number of the last transaction that recorded changes.
    pub fn change_head(&self) -> Result<i64> {
        self.db.query_row(
            "SELECT seq FROM changes_head WHERE id = 1",
            params![],
            |row| row.get(0),
        )
    }

    /// The changes recorded after number `after`, at most about `limit` rows (a transaction's
    /// rows all, or none of them).
    pub fn changes_after(&self, after: i64, limit: usize) -> Result<ChangesRead> {
        let limit = limit.max(1);
        let read = |sql: &str, bound: i64| -> Result<Vec<Stored>> {
            self.db.query_map(sql, params![after, bound], |row| {
                Ok(Stored {
                    seq: row.get(0)?,
                    kind: row.get(1)?,
                    ref_id: row.get(2)?,
                    ref_key: row.get(3)?,
                    origin: row.get(4)?,
                })
            })
        };
        let mut rows = read(
            "SELECT seq, kind, ref_id, ref_key, origin FROM changes WHERE seq > ?1
              ORDER BY seq, kind, ref_id, ref_key LIMIT ?2",
            i64::try_from(limit).unwrap_or(i64::MAX),
        )?;
        if rows.len() >= limit {
            let last = rows.last().map_or(after, |r| r.seq);
            if rows.first().is_some_and(|r| r.seq == last) {
                // One transaction's rows past the limit: all of them.
                rows = read(
                    "SELECT seq, kind, ref_id, ref_key, origin FROM changes
                      WHERE seq > ?1 AND seq <= ?2 ORDER BY seq, kind, ref_id, ref_key",
                    last,
                )?;
            } else {
                // The last transaction's rows may go on past the limit: next time.
                rows.retain(|r| r.seq != last);
            }
        }
        // Read after the rows: a prune that committed before them shows here.
        let (head, pruned_through): (i64, i64) = self.db.query_row(
            "SELECT seq, pruned_through FROM changes_head WHERE id = 1",
            params![],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        // A head behind the reader: the store is another one now (restored from a backup,
        // copied): start over from its head.
        if head < after {
            return Ok(ChangesRead {
                changes: Vec::new(),
                through: head,
                lost: true,
            });
        }
        let through = rows.last().map_or(after, |r| r.seq);
        let changes = rows
            .into_iter()
            .filter_map(|r| {
                Some(Change {
                    seq: r.seq,
                    kind: ChangeKind::parse(&r.kind)?,
                    ref_id: r.ref_id,
                    ref_key: r.ref_key,
                    origin: r.origin,
                })
            })
            .collect();
        Ok(ChangesRead {
            changes,
            through,
            lost: after < pruned_through,
        })
    }

    /// Deletes the feed's rows recorded more than `keep_ms` ago (the database's clock) and
    /// notes how far it deleted. How many rows went.
    pub fn prune_changes(&mut self, keep_ms: i64) -> Result<usize> {
        let tx = self.write_tx()?;
        // The first number still young enough: found from the oldest, so the scan is as long
        // as what goes.
        let kept_from: Option<i64> = tx.query_opt(
            "SELECT seq FROM changes WHERE at_ms >= clock_ms() - ?1 ORDER BY seq LIMIT 1",
            params![keep_ms],
            |row| row.get(0),
        )?;
        let through = match kept_from {
            Some(seq) => seq - 1,
            None => tx.query_row(
                "SELECT coalesce(max(seq), 0) FROM changes",
                params![],
                |row| row.get(0),
            )?,
        };
        let gone = tx.execute("DELETE FROM changes WHERE seq <= ?1", params![through])?;
        if gone > 0 {
            tx.execute(
                "UPDATE changes_head SET pruned_through = greatest(pruned_through, ?1)
                  WHERE id = 1",
                params![through],
            )?;
        }
        tx.commit()?;
        Ok(gone)
    }
}

/// Wakes a reader of the feed when another connection commits changes: on PostgreSQL a
/// connection of its own that `LISTEN`s on [`CHANNEL`]; SQLite has no such thing (a reader
/// looks at [`Store::change_head`] instead).
pub struct ChangeListener {
    client: std::sync::Arc<tokio_postgres::Client>,
}

impl std::fmt::Debug for ChangeListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChangeListener")
            .field("listening", &self.is_listening())
            .finish()
    }
}

impl ChangeListener {
    /// Listens on `location`'s store, waking `wake` at each notification (and once when the
    /// connection ends). None for a store that is not on PostgreSQL.
    pub fn start(
        location: &crate::StoreLocation,
        wake: std::sync::Arc<tokio::sync::Notify>,
    ) -> Result<Option<ChangeListener>> {
        let crate::StoreLocation::Postgres(target) = location else {
            return Ok(None);
        };
        let client =
            crate::db::listen(target, wake).map_err(|detail| crate::StoreError::Unreachable {
                store: target.display().to_owned(),
                since: chrono::Utc::now(),
                detail,
            })?;
        Ok(Some(ChangeListener { client }))
    }

    /// False once its connection has ended (start another).
    pub fn is_listening(&self) -> bool {
        !self.client.is_closed()
    }
}
