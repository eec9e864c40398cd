//! One write as the writer's queue holds it ([`Job`]; a write that reads first: [`Grouped`]),
//! and how its caller hears the outcome.

use std::panic::AssertUnwindSafe;
use std::sync::mpsc;

use tokio::sync::oneshot;

use crate::db::{ReadAhead, ReadRows};
use crate::error::{Result, StoreError};
use crate::Store;

/// Most writes committed together.
pub const MAX_BATCH: usize = 512;
/// A batch takes in the writes waiting until it has run this long; then it commits, so one
/// transaction never holds the database (or the callers) for long, however much is waiting.
pub const BATCH_BUDGET: std::time::Duration = std::time::Duration::from_millis(50);

/// On SQLite, while writes come from several writers faster than one per this long (the last
/// batch held more than one write and committed less than this long ago), a batch waits this
/// long after its first write for more before it begins, so that a busy fleet's polls commit a
/// few dozen at a time rather than five: each commit writes the pages it touched to the WAL
/// (and the checkpoint copies them again), and the polls of one batch share their index and
/// table pages. No lock is held while it waits, a write sent to the front ends the wait, and a
/// write that comes alone (one caller writing and waiting for each write in turn) commits at
/// once.
pub const BATCH_LINGER: std::time::Duration = std::time::Duration::from_millis(25);

/// One write, type-erased for the queue.
pub(super) trait Job: Send {
    /// Runs it in the batch's transaction. True when it succeeded (its savepoint is kept).
    fn run(&mut self, store: &mut Store) -> bool;
    /// Tells the caller: its own outcome, or the batch's failure.
    fn finish(self: Box<Self>, batch_failed: Option<&str>);
    /// A write that reads first, to run in a group.
    fn grouped(&mut self) -> Option<&mut dyn Grouped> {
        None
    }
}

/// Where a write's outcome goes: an async caller, or a thread that blocks (which may be a
/// thread of an async runtime, where tokio's blocking receive would panic).
pub(super) enum Reply<T> {
    Async(oneshot::Sender<Result<T>>),
    Blocking(mpsc::SyncSender<Result<T>>),
}

pub(super) struct Write<T, F> {
    pub(super) work: Option<F>,
    pub(super) outcome: Option<Result<T>>,
    pub(super) reply: Reply<T>,
}

impl<T, F> Job for Write<T, F>
where
    T: Send + 'static,
    F: FnOnce(&mut Store) -> Result<T> + Send + 'static,
{
    fn run(&mut self, store: &mut Store) -> bool {
        let Some(work) = self.work.take() else {
            return false;
        };
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| work(store)))
            .unwrap_or_else(|_| Err(StoreError::Writer("a write panicked".into())));
        let ok = outcome.is_ok();
        self.outcome = Some(outcome);
        ok
    }

    fn finish(self: Box<Self>, batch_failed: Option<&str>) {
        finish(self.outcome, self.reply, batch_failed);
    }
}

/// Tells a write's caller its outcome, or the batch's failure.
pub(super) fn finish<T>(outcome: Option<Result<T>>, reply: Reply<T>, batch_failed: Option<&str>) {
    let outcome = match (outcome, batch_failed) {
        (Some(Ok(_)), Some(why)) => Err(StoreError::Writer(why.to_owned())),
        (Some(outcome), _) => outcome,
        (None, why) => Err(StoreError::Writer(
            why.unwrap_or("the write did not run").to_owned(),
        )),
    };
    match reply {
        Reply::Async(reply) => {
            let _ = reply.send(outcome);
        }
        Reply::Blocking(reply) => {
            let _ = reply.send(outcome);
        }
    }
}

/// A read-first write as the writer's queue holds it.
pub(super) trait Grouped {
    fn key(&self) -> i64;
    fn reads(&self, ahead: &mut ReadAhead);
    /// Runs the write; true when it succeeded (its outcome is kept either way).
    fn write(&mut self, store: &mut Store, rows: &mut ReadRows) -> bool;
    /// The write's outcome is this failure (it was rolled back with its group).
    fn fail(&mut self, err: StoreError);
}
