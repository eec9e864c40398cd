//! Where a write happens: a transaction of its own or a savepoint of the writer's batch
//! ([`WriteTx`]), taking the store's write lock as the write needs it, and a whole file
//! applied at once ([`Store::all_or_nothing`]).

use std::time::Duration;

use crate::db::{Db, StoreLock};
use crate::error::{Result, StoreError};
use crate::Store;

impl Store {
    /// Runs `apply` as one transaction: every write it makes through the store commits
    /// together when it returns `Ok`, and none of them when it returns an error.
    /// For a whole file applied at once (`baton import`, `watch --config`). Inside another
    /// transaction it is a savepoint of that one.
    pub fn all_or_nothing<T, E: From<StoreError>>(
        &mut self,
        apply: impl FnOnce(&mut Store) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        let own = self.db.is_autocommit();
        if own {
            self.db.begin_write()?;
        } else {
            self.db.execute_batch("SAVEPOINT all_or_nothing")?;
        }
        let outcome = apply(self);
        let done = match (&outcome, own) {
            (Ok(_), true) => self.db.commit(),
            (Ok(_), false) => self.db.execute_batch("RELEASE all_or_nothing"),
            (Err(_), true) => self.db.rollback(),
            (Err(_), false) => self.db.roll_back_to("all_or_nothing"),
        };
        if let Err(err) = done {
            if own {
                let _ = self.db.rollback();
            }
            return Err(err.into());
        }
        outcome
    }

    /// Where one write happens: a transaction of its own (which waits for another process's
    /// writer rather than failing half-way: [`Db::begin_write`]), or, when the connection is
    /// already inside a transaction (the writer's batch, see [`writer`]), a savepoint in it: a
    /// write that fails rolls back alone, and the batch commits the others together.
    pub(crate) fn write_tx(&mut self) -> Result<WriteTx<'_>> {
        self.open_write(StoreLock::Wait)
    }

    /// [`Store::write_tx`] that, when it is a transaction of its own, waits at most `wait`
    /// for the store's write lock ([`Db::begin_write_within`]: past it the write fails with
    /// [`StoreError::is_lock_wait_over`], to be tried again later).
    pub(crate) fn write_tx_within(&mut self, wait: Duration) -> Result<WriteTx<'_>> {
        self.open_write(StoreLock::WaitAtMost(wait))
    }

    /// [`Store::write_tx`] that, when it is a transaction of its own, does not take the
    /// store's write lock ([`Db::begin_write_unlocked`]: rows of its own only, no change
    /// recorded). Inside a transaction it is a savepoint of that one, lock or not.
    pub(crate) fn write_tx_unlocked(&mut self) -> Result<WriteTx<'_>> {
        self.open_write(StoreLock::Skip)
    }

    fn open_write(&mut self, lock: StoreLock) -> Result<WriteTx<'_>> {
        if self.db.is_autocommit() {
            match lock {
                StoreLock::Wait => self.db.begin_write()?,
                StoreLock::WaitAtMost(wait) => self.db.begin_write_within(wait)?,
                StoreLock::Skip => self.db.begin_write_unlocked()?,
            }
            Ok(WriteTx {
                db: &self.db,
                own: true,
                done: false,
            })
        } else {
            self.db.execute_batch("SAVEPOINT baton_store")?;
            Ok(WriteTx {
                db: &self.db,
                own: false,
                done: false,
            })
        }
    }
}

/// One write's transaction: its own, or a savepoint in the writer's batch. Rolled back when
/// dropped without [`WriteTx::commit`].
pub(crate) struct WriteTx<'c> {
    db: &'c Db,
    own: bool,
    done: bool,
}

impl Drop for WriteTx<'_> {
    fn drop(&mut self) {
        if !self.done {
            if self.own {
                let _ = self.db.rollback();
            } else {
                let _ = self.db.roll_back_to("baton_store");
            }
        }
    }
}

impl WriteTx<'_> {
    /// Commits (or releases the savepoint, to be committed with its batch).
    pub(crate) fn commit(mut self) -> Result<()> {
        self.done = true;
        if self.own {
            self.db.commit()
        } else {
            self.db.execute_batch("RELEASE baton_store")
        }
    }
}

impl std::ops::Deref for WriteTx<'_> {
    type Target = Db;

    fn deref(&self) -> &Db {
        self.db
    }
}
