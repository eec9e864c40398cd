//! Writes that read first ([`ReadFirst`]): on PostgreSQL the writer runs the ones waiting
//! together as a group, in a few round trips whatever their number (on SQLite, where a read
//! costs no round trip, each runs alone as any other write). All their reads go out in one flight;
//! then each write runs with its rows, its statements deferred (on PostgreSQL they go out with
//! the group's end, pipelined); a write that fails is undone alone ([`crate::db::Db::mark`]).
//! When something fails on the server once statements of several writes went out together,
//! the group is rolled back to its savepoint and its writes run again one at a time, each
//! then failing or standing alone: a write that reads first holds its inputs, so it can run
//! twice.
//!
//! Writes of one group must not read what another of the group writes: their reads were all
//! made before any of them wrote. The writer keeps two writes of one [`ReadFirst::key`] (the
//! polls of one agent) in different groups; closure writes run between groups, never inside.

use std::collections::HashSet;
use std::time::Instant;

use super::job::{finish, Grouped, Job, Reply, BATCH_BUDGET, MAX_BATCH};
use super::queue::Jobs;
use crate::db::{ReadAhead, ReadRows};
use crate::error::{Result, StoreError};
use crate::Store;

/// A write that lists its reads before it runs, so the writer can read for many at once.
pub trait ReadFirst: Send + 'static {
    type Output: Send + 'static;

    /// Two writes with one key never run in one group (e.g. the agent whose poll it stores).
    fn key(&self) -> i64;

    /// The reads the write needs, listed in the order [`ReadFirst::write`] takes them.
    fn reads(&self, ahead: &mut ReadAhead);

    /// The write, given the rows of its reads. It may run more than once (the first run
    /// undone), so it takes its inputs by reference.
    fn write(&self, store: &mut Store, rows: &mut ReadRows) -> Result<Self::Output>;
}

pub(super) struct ReadFirstJob<W: ReadFirst> {
    pub(super) write: W,
    pub(super) outcome: Option<Result<W::Output>>,
    pub(super) reply: Reply<W::Output>,
}

impl<W: ReadFirst> Grouped for ReadFirstJob<W> {
    fn key(&self) -> i64 {
        self.write.key()
    }

    fn reads(&self, ahead: &mut ReadAhead) {
        self.write.reads(ahead);
    }

    fn write(&mut self, store: &mut Store, rows: &mut ReadRows) -> bool {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.write.write(store, rows)
        }))
        .unwrap_or_else(|_| Err(StoreError::Writer("a write panicked".into())));
        let ok = outcome.is_ok();
        self.outcome = Some(outcome);
        ok
    }

    fn fail(&mut self, err: StoreError) {
        self.outcome = Some(Err(err));
    }
}

impl<W: ReadFirst> Job for ReadFirstJob<W> {
    fn run(&mut self, store: &mut Store) -> bool {
        // On SQLite (on PostgreSQL the writer runs it in a group): its reads, then its write.
        let mut ahead = ReadAhead::default();
        self.write.reads(&mut ahead);
        match store.db().read_ahead(&ahead) {
            Ok(mut rows) => Grouped::write(self, store, &mut rows),
            Err(err) => {
                self.fail(err);
                false
            }
        }
    }

    fn grouped(&mut self) -> Option<&mut dyn Grouped> {
        Some(self)
    }

    fn finish(self: Box<Self>, batch_failed: Option<&str>) {
        finish(self.outcome, self.reply, batch_failed);
    }
}

/// Most writes one group holds. Each of its statements still runs on the server one after
/// another, and the transaction holds the store's write lock meanwhile (another watcher's
/// writes and a person's decision wait for it; heartbeats do not): a group of a hundred polls
/// takes a few round trips and tens of milliseconds. Larger groups spend fewer statements a
/// poll: two watchers sharing 1,000 busy agents fill groups of 64 half the time.
pub const MAX_GROUP: usize = 128;

/// The savepoint around a group (on PostgreSQL it costs no round trip of its own).
const GROUP: &str = "baton_group";

/// Extends the group of read-first writes starting at `batch[from]` with the writes waiting
/// (within the batch's budget and [`MAX_GROUP`]), as long as they read first and their keys
/// differ; where it ends.
pub(super) fn gather(
    batch: &mut Vec<Box<dyn Job>>,
    queue: &Jobs,
    from: usize,
    started: Instant,
) -> usize {
    let mut keys = HashSet::new();
    let mut end = from;
    while end - from < MAX_GROUP {
        if end == batch.len() {
            if batch.len() >= MAX_BATCH || started.elapsed() >= BATCH_BUDGET {
                break;
            }
            match queue.try_recv() {
                Some(job) => batch.push(job),
                None => break,
            }
        }
        match batch[end].grouped() {
            Some(write) if keys.insert(write.key()) => end += 1,
            _ => break,
        }
    }
    end
}

/// How trying a group together failed.
enum Failed {
    /// A write failed on its own and could not be undone alone (its outcome says why).
    Write,
    /// The store failed (a statement on the server, the connection).
    Store(StoreError),
}

impl From<StoreError> for Failed {
    fn from(err: StoreError) -> Failed {
        Failed::Store(err)
    }
}

/// Runs a group of read-first writes (see the module docs). An error only when the batch's
/// transaction itself cannot go on.
pub(super) fn run_group(
    store: &mut Store,
    jobs: &mut [Box<dyn Job>],
) -> std::result::Result<(), String> {
    if together(store, jobs).is_ok() {
        return Ok(());
    }
    back_to_group(store)?;
    tracing::debug!(
        writes = jobs.len(),
        "a group of writes failed; each runs alone"
    );
    store.db().write_alone(true);
    let done = jobs.iter_mut().try_for_each(|job| alone(store, job));
    store.db().write_alone(false);
    done
}

/// Rolls the group back (what it deferred is dropped first: it would fail too).
fn back_to_group(store: &Store) -> std::result::Result<(), String> {
    store.db().discard_deferred();
    store
        .db()
        .roll_back_to(GROUP)
        .map_err(|err| format!("cannot roll back a group of writes: {err}"))
}

/// Runs one write of a failed group on its own, writing at once: it fails, or stands, alone.
fn alone(store: &mut Store, job: &mut Box<dyn Job>) -> std::result::Result<(), String> {
    match together(store, std::slice::from_mut(job)) {
        Ok(()) => Ok(()),
        Err(failed) => {
            back_to_group(store)?;
            if let (Failed::Store(err), Some(write)) = (failed, job.grouped()) {
                write.fail(err);
            }
            Ok(())
        }
    }
}

fn together(store: &mut Store, jobs: &mut [Box<dyn Job>]) -> std::result::Result<(), Failed> {
    store.db().execute_batch(&format!("SAVEPOINT {GROUP}"))?;
    let mut ahead = ReadAhead::default();
    let mut counts = Vec::with_capacity(jobs.len());
    for job in jobs.iter_mut() {
        let before = ahead.len();
        if let Some(write) = job.grouped() {
            write.reads(&mut ahead);
        }
        counts.push(ahead.len() - before);
    }
    let mut rows = store.db().read_ahead(&ahead)?;
    for (job, n) in jobs.iter_mut().zip(counts) {
        let mut own = rows.split_off_front(n);
        let Some(write) = job.grouped() else { continue };
        store.db().write_begins();
        let mark = store.db().mark()?;
        if write.write(store, &mut own) {
            store.db().keep(mark)?;
        } else if !store.db().undo(mark)? {
            return Err(Failed::Write);
        }
    }
    store.db().execute_batch(&format!("RELEASE {GROUP}"))?;
    store.db().flush()?;
    Ok(())
}
