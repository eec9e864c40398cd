//! The one writer of a process: a thread that owns the writing connection and runs every write
//! (ingest, health, findings, decisions, outbox) in batches. What is waiting goes into one
//! transaction (group commit), for up to [`BATCH_BUDGET`]: each write in its own savepoint, so
//! a write that fails rolls back alone, and the callers hear back only once the batch has
//! committed. If the commit itself fails, every write of the batch is told so.
//!
//! Callers never hold a lock or a thread while they wait: [`Writer::submit`] hands the write
//! over and returns a receiver (awaitable, or blockable from a non-async thread).
//!
//! A write that says what it reads before it runs ([`ReadFirst`], a poll's) joins the writes
//! of its kind waiting next to it in a group that costs a few round trips however many it
//! holds (`group.rs`).
//!
//! A write that must not wait behind the others ([`Writer::write_first`], a watcher's
//! heartbeat) goes to the front of the queue: the writer takes it next, before whatever is
//! waiting (`queue.rs`).
//!
//! A writer started with [`Writer::start_solo`] (the lane of a watcher's heartbeats on
//! PostgreSQL) batches nothing: each write runs on its own and opens its own transaction, so
//! that it can choose one without the store's write lock (`Store::renew_leases`).

mod cache;
mod group;
mod job;
mod queue;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::oneshot;

use crate::checkpoint::WalTooLong;
use crate::error::{Result, StoreError};
use crate::{Dialect, Store};
pub use group::ReadFirst;
use group::ReadFirstJob;
use job::{Job, Reply, Write};
pub use job::{BATCH_BUDGET, BATCH_LINGER, MAX_BATCH};
use queue::{Jobs, Queue};

/// What the writer has done since it started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriterStats {
    /// Transactions committed (or failed).
    pub batches: u64,
    /// Writes run.
    pub writes: u64,
    /// The most writes one batch held.
    pub largest_batch: u64,
    /// Time spent running batches, in microseconds.
    pub busy_us: u64,
    /// Groups of writes that read first ([`ReadFirst`]), and the most writes one held.
    pub groups: u64,
    pub largest_group: u64,
    /// Round trips to the server (PostgreSQL; 0 on SQLite): requests sent together count once.
    pub round_trips: u64,
    /// Statements sent to the server (PostgreSQL; 0 on SQLite): a group's rows of one kind
    /// in one statement count once.
    pub statements: u64,
}

#[derive(Default)]
struct Counters {
    batches: AtomicU64,
    writes: AtomicU64,
    largest_batch: AtomicU64,
    busy_us: AtomicU64,
    groups: AtomicU64,
    largest_group: AtomicU64,
    round_trips: AtomicU64,
    statements: AtomicU64,
    /// [`BATCH_LINGER`] in microseconds once set otherwise ([`Writer::set_linger`]; 0: the
    /// constant).
    linger_us: AtomicU64,
}

impl Counters {
    fn linger(&self) -> std::time::Duration {
        match self.linger_us.load(Ordering::Relaxed) {
            0 => BATCH_LINGER,
            us => std::time::Duration::from_micros(us),
        }
    }
}

/// The handle to the writer thread; cheap to clone. The thread ends when the last handle is
/// dropped, after the writes already queued.
#[derive(Clone)]
pub struct Writer {
    queue: Queue,
    counters: Arc<Counters>,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer")
            .field("stats", &self.stats())
            .finish()
    }
}

impl Writer {
    /// Starts the thread that owns `store`.
    pub fn start(store: Store) -> Result<Writer> {
        Writer::start_with(store, None)
    }

    /// Starts a thread that owns `store` and runs each write on its own, outside any batch:
    /// the write begins and commits its own transaction(s), with the store's write lock or
    /// without it (`Store::write_tx_unlocked`). For a lane of few, small writes that must not
    /// wait (the heartbeat's: [`crate::StoreHandle::write_urgent`]).
    pub fn start_solo(store: Store) -> Result<Writer> {
        Writer::spawn(store, None, true)
    }

    /// Starts the thread that owns `store`, checkpointing when `wal_too_long` is set.
    pub(crate) fn start_with(
        store: Store,
        wal_too_long: Option<Arc<WalTooLong>>,
    ) -> Result<Writer> {
        Writer::spawn(store, wal_too_long, false)
    }

    fn spawn(store: Store, wal_too_long: Option<Arc<WalTooLong>>, solo: bool) -> Result<Writer> {
        let (queue, jobs) = queue::channel();
        let counters = Arc::new(Counters::default());
        let kept = Arc::clone(&counters);
        std::thread::Builder::new()
            .name("baton-store-writer".into())
            .spawn(move || run(store, jobs, &kept, wal_too_long, solo))
            .map_err(|err| StoreError::Writer(format!("cannot start the writer thread: {err}")))?;
        Ok(Writer { queue, counters })
    }

    /// Another [`BATCH_LINGER`] (a test's, long enough that a loaded machine cannot outrun it).
    #[cfg(test)]
    pub(crate) fn set_linger(&self, linger: std::time::Duration) {
        let us = u64::try_from(linger.as_micros()).unwrap_or(u64::MAX).max(1);
        self.counters.linger_us.store(us, Ordering::Relaxed);
    }

    fn queue<T, F>(&self, work: F, reply: Reply<T>)
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T> + Send + 'static,
    {
        self.send(Box::new(Write {
            work: Some(work),
            outcome: None,
            reply,
        }));
    }

    fn send(&self, job: Box<dyn Job>) {
        self.queue.send(job);
    }

    /// Runs `work` before every write waiting (after the batch under way) and waits for its
    /// commit: for a write that must not wait behind a backlog, such as a watcher's heartbeat
    /// (its lease would lapse while the process is alive and busy).
    pub async fn write_first<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T> + Send + 'static,
    {
        self.submit_first(work)
            .await
            .unwrap_or_else(|_| Err(StoreError::Writer("the database writer stopped".into())))
    }

    /// Queues `work` before every write waiting (see [`Writer::write_first`]).
    pub fn submit_first<T, F>(&self, work: F) -> oneshot::Receiver<Result<T>>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T> + Send + 'static,
    {
        let (reply, outcome) = oneshot::channel();
        self.queue.send_first(Box::new(Write {
            work: Some(work),
            outcome: None,
            reply: Reply::Async(reply),
        }));
        outcome
    }

    /// Queues a write that reads first (it runs in a group with the others waiting); the
    /// receiver gets its outcome once its batch has committed.
    pub fn submit_read_first<W: ReadFirst>(
        &self,
        write: W,
    ) -> oneshot::Receiver<Result<W::Output>> {
        let (reply, outcome) = oneshot::channel();
        self.send(Box::new(ReadFirstJob {
            write,
            outcome: None,
            reply: Reply::Async(reply),
        }));
        outcome
    }

    /// Runs a write that reads first and waits for it.
    pub async fn write_read_first<W: ReadFirst>(&self, write: W) -> Result<W::Output> {
        self.submit_read_first(write)
            .await
            .unwrap_or_else(|_| Err(StoreError::Writer("the database writer stopped".into())))
    }

    /// [`Writer::write_read_first`] from a thread that is not async.
    pub fn write_read_first_blocking<W: ReadFirst>(&self, write: W) -> Result<W::Output> {
        let (reply, outcome) = mpsc::sync_channel(1);
        self.send(Box::new(ReadFirstJob {
            write,
            outcome: None,
            reply: Reply::Blocking(reply),
        }));
        outcome
            .recv()
            .unwrap_or_else(|_| Err(StoreError::Writer("the database writer stopped".into())))
    }

    /// Queues `work`; the receiver gets its outcome once its batch has committed.
    pub fn submit<T, F>(&self, work: F) -> oneshot::Receiver<Result<T>>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T> + Send + 'static,
    {
        let (reply, outcome) = oneshot::channel();
        self.queue(work, Reply::Async(reply));
        outcome
    }

    /// Runs `work` and waits for its commit, blocking this thread (any thread: the writer
    /// needs nothing from it meanwhile).
    pub fn write_blocking<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T> + Send + 'static,
    {
        let (reply, outcome) = mpsc::sync_channel(1);
        self.queue(work, Reply::Blocking(reply));
        outcome
            .recv()
            .unwrap_or_else(|_| Err(StoreError::Writer("the database writer stopped".into())))
    }

    /// Runs `work` and waits for it.
    pub async fn write<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T> + Send + 'static,
    {
        self.submit(work)
            .await
            .unwrap_or_else(|_| Err(StoreError::Writer("the database writer stopped".into())))
    }

    pub fn stats(&self) -> WriterStats {
        let c = &self.counters;
        WriterStats {
            batches: c.batches.load(Ordering::Relaxed),
            writes: c.writes.load(Ordering::Relaxed),
            largest_batch: c.largest_batch.load(Ordering::Relaxed),
            busy_us: c.busy_us.load(Ordering::Relaxed),
            groups: c.groups.load(Ordering::Relaxed),
            largest_group: c.largest_group.load(Ordering::Relaxed),
            round_trips: c.round_trips.load(Ordering::Relaxed),
            statements: c.statements.load(Ordering::Relaxed),
        }
    }
}

/// A batch running this long (waiting for the store's write lock included) is logged at debug.
const SLOW_BATCH_US: u64 = 500_000;

fn run(
    mut store: Store,
    jobs: Jobs,
    counters: &Counters,
    wal_too_long: Option<Arc<WalTooLong>>,
    solo: bool,
) {
    let lingers = !solo && store.dialect() == Dialect::Sqlite;
    // When the last batch committed, and whether other writes had queued behind its first.
    let mut last_commit: Option<(Instant, bool)> = None;
    let mut cache = cache::CacheGiveBack::new(Instant::now());
    while let Some(first) = jobs.recv() {
        // Writes coming fast from several writers: more of them in this batch
        // (`BATCH_LINGER`). One caller writing and waiting for each in turn never waits.
        let linger = counters.linger();
        if lingers && last_commit.is_some_and(|(at, shared)| shared && at.elapsed() < linger) {
            jobs.linger_until(Instant::now() + linger, MAX_BATCH - 1);
        }
        let mut batch = vec![first];
        let started = Instant::now();
        let failed = if solo {
            run_alone(&mut store, &mut batch[0])
        } else {
            run_batch(&mut store, &mut batch, &jobs, started, counters)
        };
        if let Some(why) = &failed {
            tracing::error!(writes = batch.len(), error = %why, "a batch of writes failed");
        }
        let size = batch.len() as u64;
        counters.batches.fetch_add(1, Ordering::Relaxed);
        counters.writes.fetch_add(size, Ordering::Relaxed);
        counters.largest_batch.fetch_max(size, Ordering::Relaxed);
        let busy = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        counters.busy_us.fetch_add(busy, Ordering::Relaxed);
        if busy >= SLOW_BATCH_US {
            // What waits behind it: every write of this store (and, on a shared one, of every
            // watcher: the store's write lock).
            tracing::debug!(
                writes = size,
                busy_ms = busy / 1000,
                "a slow batch of writes"
            );
        }
        counters
            .round_trips
            .store(store.db().round_trips(), Ordering::Relaxed);
        counters
            .statements
            .store(store.db().statements_sent(), Ordering::Relaxed);
        for job in batch {
            job.finish(failed.as_deref());
        }
        last_commit = Some((Instant::now(), size > 1));
        if let Some(too_long) = wal_too_long.as_deref().filter(|wal| wal.is_set()) {
            // The checkpointer copied most of it already; no write comes in meanwhile. While
            // the WAL is still long (a reader kept the last write from starting it over), the
            // next batch tries again.
            let Some(conn) = store.db().as_sqlite() else {
                continue;
            };
            match crate::checkpoint::passive_checkpoint(conn) {
                Ok((frames, copied)) => {
                    too_long.measured(frames);
                    let restarts = too_long.restarts();
                    tracing::debug!(frames, copied, restarts, "WAL checkpoint");
                }
                Err(err) => tracing::warn!(error = %err, "WAL checkpoint failed"),
            }
        }
        cache.between_batches(&store, Instant::now());
    }
}

/// Runs one write on its own: it opens (and ends) its own transactions. One it leaves open
/// is rolled back, and the write fails.
fn run_alone(store: &mut Store, job: &mut Box<dyn Job>) -> Option<String> {
    job.run(store);
    if store.db().is_autocommit() {
        return None;
    }
    let _ = store.db().rollback();
    Some("a write left its transaction open".to_owned())
}

/// Runs `batch` (its first write) and the writes that arrive meanwhile, within
/// [`BATCH_BUDGET`] and [`MAX_BATCH`], in one transaction; the reason when the transaction as a
/// whole failed. Every write taken is in `batch` when it returns.
fn run_batch(
    store: &mut Store,
    batch: &mut Vec<Box<dyn Job>>,
    queue: &Jobs,
    started: Instant,
    counters: &Counters,
) -> Option<String> {
    let exec = |store: &Store, sql: &str| -> Result<()> { store.db().execute_batch(sql) };
    if let Err(err) = store.db().begin_write() {
        return Some(format!("cannot begin a transaction: {err}"));
    }
    let mut next = 0;
    loop {
        if next == batch.len() {
            if batch.len() >= MAX_BATCH || started.elapsed() >= BATCH_BUDGET {
                break;
            }
            match queue.try_recv() {
                Some(job) => batch.push(job),
                None => break,
            }
        }
        // Groups share round trips to a server. On SQLite there are none to share, and each
        // write's savepoint inside the group's would truncate the in-memory journal of the
        // group by walking it from its start (38 % of the watch's CPU at 1,000 agents): there
        // a write that reads first runs as any other write.
        if store.dialect() == Dialect::Postgres && batch[next].grouped().is_some() {
            let end = group::gather(batch, queue, next, started);
            let size = (end - next) as u64;
            counters.groups.fetch_add(1, Ordering::Relaxed);
            counters.largest_group.fetch_max(size, Ordering::Relaxed);
            if let Err(why) = group::run_group(store, &mut batch[next..end]) {
                let _ = store.db().rollback();
                return Some(why);
            }
            next = end;
            continue;
        }
        let job = &mut batch[next];
        next += 1;
        if let Err(err) = exec(store, "SAVEPOINT baton_write") {
            let _ = store.db().rollback();
            return Some(format!("cannot start a write: {err}"));
        }
        let ended = if job.run(store) {
            exec(store, "RELEASE baton_write")
        } else {
            store.db().roll_back_to("baton_write")
        };
        if let Err(err) = ended {
            let _ = store.db().rollback();
            return Some(format!("cannot end a write: {err}"));
        }
    }
    match store.db().commit() {
        Ok(()) => None,
        Err(err) => {
            let _ = store.db().rollback();
            Some(format!("cannot commit: {err}"))
        }
    }
}
