//! A write transaction on either engine: begun with the store's write lock (or a bounded wait
//! for it, or without it), committed (moving the change feed's head) or rolled back; and what
//! the transaction knows of the decision log's head, so that a writer appending several
//! decisions in one transaction reads the head once.

use std::time::Duration;

use super::conn::{Conn, Db, Dialect};
use super::feed::CHANNEL;
use super::param::Param;
use crate::error::Result;

impl Db {
    /// Starts a write transaction that waits for any other writer of the store first, so
    /// writes of all processes (hooks, watchers, apps) happen one after another, on both
    /// engines: SQLite's `BEGIN IMMEDIATE`, PostgreSQL's `BEGIN` and the store's advisory
    /// write lock (held until the transaction ends).
    pub(crate) fn begin_write(&self) -> Result<()> {
        self.begin(StoreLock::Wait)
    }

    /// [`Db::begin_write`] that waits at most `wait` for the store's write lock (and for any
    /// row it locks) on PostgreSQL: past it, its first statement fails and the transaction
    /// with it ([`crate::StoreError::is_lock_wait_over`]). For a write that can be put off
    /// rather than hold up what waits for it (a watcher's heartbeat taking its share while
    /// a long write holds the lock). On SQLite as [`Db::begin_write`].
    pub(crate) fn begin_write_within(&self, wait: Duration) -> Result<()> {
        self.begin(StoreLock::WaitAtMost(wait))
    }

    /// Starts a write transaction that does not wait for the other writers of the store, only
    /// for the rows it locks itself: on PostgreSQL `BEGIN` without the store's write lock (on
    /// SQLite, which has one writer lock for the file, as [`Db::begin_write`]). For writes
    /// that change only rows of their own, which nothing else reads and then writes under
    /// the lock: a watcher renewing its leases (`crate::watch_leases`). Such a transaction
    /// records no change: the feed's numbers follow commit order only because every writer
    /// that records takes the lock ([`Db::holds_write_lock`]).
    pub(crate) fn begin_write_unlocked(&self) -> Result<()> {
        self.begin(StoreLock::Skip)
    }

    fn begin(&self, lock: StoreLock) -> Result<()> {
        self.recorded.set(false);
        self.forget_chain_head();
        match &self.conn {
            Conn::Sqlite(conn) => {
                conn.execute_batch("BEGIN IMMEDIATE")?;
                self.locked.set(true);
                Ok(())
            }
            Conn::Postgres(conn) => {
                conn.begin_write(lock)?;
                self.locked.set(!matches!(lock, StoreLock::Skip));
                Ok(())
            }
        }
    }

    /// True inside a transaction that holds the store's write lock (SQLite: any write
    /// transaction).
    pub(crate) fn holds_write_lock(&self) -> bool {
        !self.is_autocommit() && self.locked.get()
    }

    /// Commits; a transaction that recorded changes first moves the feed's head to their
    /// number (and on PostgreSQL notifies the listeners), in the commit's round trip.
    pub(crate) fn commit(&self) -> Result<()> {
        self.forget_chain_head();
        if self.recorded.replace(false) {
            self.move_feed_head()?;
        }
        match &self.conn {
            Conn::Sqlite(conn) => Ok(conn.execute_batch("COMMIT")?),
            Conn::Postgres(conn) => conn.end_transaction("COMMIT"),
        }
    }

    pub(crate) fn rollback(&self) -> Result<()> {
        self.recorded.set(false);
        self.forget_chain_head();
        match &self.conn {
            Conn::Sqlite(conn) => Ok(conn.execute_batch("ROLLBACK")?),
            Conn::Postgres(conn) => conn.end_transaction("ROLLBACK"),
        }
    }
}

impl Db {
    /// Moves the change feed's head to the number the transaction's rows carry (and on
    /// PostgreSQL notifies the listeners, the new head as the payload): just before the
    /// commit, in its round trip.
    fn move_feed_head(&self) -> Result<()> {
        // The feed's rows read the head: what waits (they may stand anywhere in a group's
        // order, `RowsSql::anytime`) goes out before it moves.
        if let Conn::Postgres(conn) = &self.conn {
            conn.send_waiting()?;
        }
        self.execute_later("UPDATE changes_head SET seq = seq + 1 WHERE id = 1", &[])?;
        if self.dialect() == Dialect::Postgres {
            self.execute_later(
                "SELECT pg_notify(?1, CAST(seq AS TEXT)) FROM changes_head WHERE id = 1",
                &[&CHANNEL as &dyn Param],
            )?;
        }
        Ok(())
    }
}

/// How a write transaction takes the store's write lock on PostgreSQL (SQLite has one writer
/// lock for the file, which every write transaction takes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StoreLock {
    /// Not at all: rows of its own only ([`Db::begin_write_unlocked`]).
    Skip,
    /// As long as another writer holds it ([`Db::begin_write`]).
    Wait,
    /// At most this long ([`Db::begin_write_within`]).
    WaitAtMost(Duration),
}

impl Db {
    /// The decision log's head (its last `seq` and hash) as this transaction left it, when it
    /// appended a decision and nothing of it was undone since (PostgreSQL; None on SQLite,
    /// where reading the head costs no round trip). The store's write lock keeps any other
    /// writer from appending meanwhile.
    pub(crate) fn known_chain_head(&self) -> Option<(i64, String)> {
        self.chain_head.borrow().clone()
    }

    /// The transaction appended decision `seq` with `hash` (see [`Db::known_chain_head`]).
    pub(crate) fn note_chain_head(&self, seq: i64, hash: &str) {
        if self.dialect() == Dialect::Postgres && self.holds_write_lock() {
            *self.chain_head.borrow_mut() = Some((seq, hash.to_owned()));
        }
    }

    /// Forgets the head: the transaction ended, or some of its writes were undone (the next
    /// append reads the head again).
    pub(crate) fn forget_chain_head(&self) {
        self.chain_head.borrow_mut().take();
    }
}
