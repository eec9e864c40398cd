//! The writer thread and the readers: group commit, a failed write rolling back alone, and
//! reads seeing what has been committed.

use std::sync::mpsc;

use super::support::{doc, draft, t, task, wal_salt, write_event};
use crate::db::params;
use crate::{StoreError, StoreHandle};
use baton_core::task::TaskState;

/// A store with its writer and two readers: a SQLite file, or with `BATON_TEST_STORE=postgres`
/// a fresh PostgreSQL database (where the writer's savepoints travel with the next statement).
pub(super) fn handle() -> (tempfile::TempDir, StoreHandle) {
    let dir = tempfile::tempdir().unwrap();
    let location = match baton_testdb::engine() {
        baton_testdb::Engine::Sqlite => {
            crate::StoreLocation::Sqlite(dir.path().join("baton.sqlite3"))
        }
        baton_testdb::Engine::Postgres => {
            crate::StoreLocation::parse(&super::support::fresh_store_url()).unwrap()
        }
    };
    let handle = StoreHandle::open_at(&location, 2).unwrap();
    (dir, handle)
}

/// The writer kept busy (by a write that waits) until [`Held::release`]: what is submitted
/// meanwhile queues up behind it.
pub(super) struct Held {
    release: mpsc::Sender<()>,
    blocker: tokio::sync::oneshot::Receiver<crate::Result<()>>,
}

impl Held {
    /// Lets the waiting write end, and waits for it.
    pub(super) fn release(self) {
        self.release.send(()).unwrap();
        self.blocker.blocking_recv().unwrap().unwrap();
    }
}

pub(super) fn hold_the_writer(store: &StoreHandle) -> Held {
    hold_after(store.writer(), |_| Ok(()))
}

/// The writer kept busy, as [`hold_the_writer`], once `first` has run in its write.
fn hold_after(
    writer: &crate::writer::Writer,
    first: impl FnOnce(&mut crate::Store) -> crate::Result<()> + Send + 'static,
) -> Held {
    let (release, held) = mpsc::channel::<()>();
    let (running, started) = mpsc::channel::<()>();
    let blocker = writer.submit(move |s| {
        first(s)?;
        running.send(()).ok();
        held.recv().ok();
        Ok(())
    });
    started.recv().unwrap();
    Held { release, blocker }
}

#[test]
fn writes_waiting_together_commit_together() {
    let (_dir, store) = handle();
    let id = store
        .write_blocking(|s| Ok(s.add_agent(&draft("Researcher"))?.id))
        .unwrap();
    // Hold the writer busy while 200 polls queue up behind it.
    let held = hold_the_writer(&store);
    let before = store.writer_stats();
    let waiting: Vec<_> = (1..=200u64)
        .map(|seq| {
            let doc = doc(
                vec![task("t1", TaskState::Working)],
                vec![write_event(seq, "t1")],
                &seq.to_string(),
            );
            store
                .writer()
                .submit(move |s| s.ingest(id, &doc, t(seq as i64)))
        })
        .collect();
    held.release();
    for reply in waiting {
        reply.blocking_recv().unwrap().unwrap();
    }
    let after = store.writer_stats();
    assert_eq!(after.writes - before.writes, 201);
    // Not a transaction per write: the 200 share a few (each batch runs for at most its
    // time budget, so how many depends on the machine's speed: a quiet machine needs a
    // handful, one loaded nine times over on PostgreSQL 22; one per write would be 200).
    assert!(after.batches - before.batches <= 100, "{after:?}");
    assert!(after.largest_batch >= 10, "{after:?}");
    let count = store.read_blocking(move |s| s.event_count(id)).unwrap();
    assert_eq!(count, 200, "a reader sees every committed write");
}

/// A store call that fails inside a write (its statement refused by the database, prepared
/// for the first time or not) rolls back alone: the write goes on and commits the rest.
#[test]
fn a_write_sent_first_runs_before_the_backlog() {
    let (_dir, store) = handle();
    let order = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let held = hold_the_writer(&store);
    let noted = |what: &'static str| {
        let order = std::sync::Arc::clone(&order);
        move |_: &mut crate::Store| {
            order.lock().unwrap().push(what);
            Ok(())
        }
    };
    let backlog: Vec<_> = (0..300)
        .map(|_| store.writer().submit(noted("backlog")))
        .collect();
    let first = store.writer().submit_first(noted("heartbeat"));
    held.release();
    first.blocking_recv().unwrap().unwrap();
    for write in backlog {
        write.blocking_recv().unwrap().unwrap();
    }
    let order = order.lock().unwrap();
    assert_eq!(order.len(), 301);
    assert_eq!(order[0], "heartbeat", "it waited behind the backlog");
}

#[test]
fn a_failed_statement_inside_a_write_rolls_back_alone_and_the_write_goes_on() {
    let (_dir, store) = handle();
    let names = store
        .write_blocking(|s| {
            s.add_agent(&draft("Before"))?;
            for _ in 0..2 {
                let tx = s.write_tx()?;
                tx.execute("UPDATE agents SET name = ?1", params!["Half done"])?;
                let refused = tx.execute("INSERT INTO no_such_table (x) VALUES (1)", params![]);
                assert!(refused.is_err());
                // Dropped without commit: rolled back to its savepoint.
            }
            s.add_agent(&draft("After"))?;
            Ok(s.agents()?.into_iter().map(|a| a.name).collect::<Vec<_>>())
        })
        .unwrap();
    assert_eq!(names, ["Before", "After"]);
    let stored = store
        .read_blocking(|s| Ok(s.agents()?.into_iter().map(|a| a.name).collect::<Vec<_>>()))
        .unwrap();
    assert_eq!(stored, names);
}

#[test]
fn a_batch_commits_once_it_has_run_its_time_budget() {
    let (_dir, store) = handle();
    let slow = crate::writer::BATCH_BUDGET / 2 + std::time::Duration::from_millis(5);
    let before = store.writer_stats();
    let replies: Vec<_> = (0..6)
        .map(|_| {
            store.writer().submit(move |_| {
                std::thread::sleep(slow);
                Ok(())
            })
        })
        .collect();
    for reply in replies {
        reply.blocking_recv().unwrap().unwrap();
    }
    let batches = store.writer_stats().batches - before.batches;
    assert!(
        batches >= 3,
        "at most two slow writes per batch: {batches} batches"
    );
}

#[test]
fn a_failed_or_panicking_write_rolls_back_alone() {
    let (_dir, store) = handle();
    let held = hold_the_writer(&store);
    let failing = store.writer().submit(|s| {
        s.add_agent(&draft("Half done"))?;
        Err::<(), _>(StoreError::InvalidDocument("refused after writing".into()))
    });
    let panicking = store.writer().submit(|s| {
        s.add_agent(&draft("Panicky"))?;
        if s.agents()?.len() < 100 {
            panic!("boom");
        }
        Ok(())
    });
    let fine = store
        .writer()
        .submit(|s| Ok(s.add_agent(&draft("Whole"))?.id));
    held.release();
    assert!(matches!(
        failing.blocking_recv().unwrap(),
        Err(StoreError::InvalidDocument(_))
    ));
    assert!(matches!(
        panicking.blocking_recv().unwrap(),
        Err(StoreError::Writer(_))
    ));
    fine.blocking_recv().unwrap().unwrap();
    let names: Vec<String> = store
        .read_blocking(|s| Ok(s.agents()?.into_iter().map(|a| a.name).collect()))
        .unwrap();
    assert_eq!(names, ["Whole"]);
}

#[test]
fn in_memory_reads_go_through_the_writer_and_a_panicking_read_returns_its_connection() {
    let memory = StoreHandle::in_memory().unwrap();
    memory
        .write_blocking(|s| Ok(s.add_agent(&draft("Solo"))?.id))
        .unwrap();
    assert_eq!(memory.read_blocking(|s| Ok(s.agents()?.len())).unwrap(), 1);

    let (_dir, store) = handle();
    assert_eq!(store.reader_count(), 2);
    for _ in 0..3 {
        let outcome = store.read_blocking(|_| -> crate::Result<()> { panic!("bad read") });
        assert!(matches!(outcome, Err(StoreError::Writer(_))));
    }
    // Both connections are still there to lend.
    assert_eq!(store.read_blocking(|s| Ok(s.agents()?.len())).unwrap(), 0);
    let readonly = store.read_blocking(|s| Ok(s.db().execute_batch("DELETE FROM agents").is_err()));
    assert!(readonly.unwrap(), "reader connections cannot write");
}

/// The writer never checkpoints; the checkpointer's thread does (every second; here when the
/// test asks it to), so the WAL starts over instead of growing with every write.
#[test]
fn the_wal_is_checkpointed_off_the_writer_and_starts_over() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("baton.sqlite3");
    let handle = StoreHandle::open(&path, 1).unwrap();
    handle
        .write_blocking(|s| {
            s.db()
                .execute_batch("CREATE TABLE scratch (x BLOB NOT NULL)")
        })
        .unwrap();
    let started = wal_salt(&path).expect("the WAL has its header");
    let wal = path.with_extension("sqlite3-wal");
    let mut largest = 0;
    // Four rounds of ~2 MiB, each followed by a checkpointer's round: without checkpoints,
    // 8 MiB of WAL.
    for round in 0..4 {
        for _ in 0..32 {
            handle
                .write_blocking(|s| {
                    s.db()
                        .execute("INSERT INTO scratch VALUES (zeroblob(65536))", params![])
                        .map(drop)
                })
                .unwrap();
        }
        // The first write after each of the checkpointer's rounds started the WAL over (its
        // thread's own rounds, a second apart, may have added more).
        let now = wal_salt(&path).expect("the WAL has its header");
        assert!(
            now.wrapping_sub(started) >= round,
            "the WAL started over {} times in {round} rounds",
            now.wrapping_sub(started)
        );
        largest = largest.max(std::fs::metadata(&wal).unwrap().len());
        handle.checkpoint_round_now();
    }
    assert!(
        largest < 5 * 1024 * 1024,
        "the WAL reached {largest} bytes: nothing checkpointed it"
    );
}

/// What [`busy_wal`] saw.
#[derive(Debug)]
struct BusyWal {
    /// Writes committed.
    writes: u64,
    /// Times the writer found the WAL started over after it was asked to finish a checkpoint.
    restarts: u64,
    /// How far the WAL header's first salt moved (once a start over).
    header_restarts: u32,
    /// Reads another connection made meanwhile.
    reads: u64,
}

/// Writes through a writer while another connection reads without pause, with the writer asked
/// to finish a checkpoint past `restart_at_frames`, until the writer has seen the WAL start over
/// `restarts` times or `max_writes` writes are in. Every eighth write the checkpointer's round
/// runs while a write is under way, as under a busy fleet, where commits come too often for the
/// WAL ever to be all copied back when a write begins.
fn busy_wal(restart_at_frames: i64, restarts: u64, max_writes: u64) -> BusyWal {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::sync::Arc;

    let rewrite = |s: &mut crate::Store| {
        // One row rewritten: the database stays small, the WAL takes every commit.
        s.db()
            .execute(
                "INSERT OR REPLACE INTO scratch (id, x) VALUES (1, zeroblob(16384))",
                params![],
            )
            .map(drop)
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("baton.sqlite3");
    let store = crate::Store::open(&path).unwrap();
    store
        .db()
        .execute_batch(
            "PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = 1048576;
             CREATE TABLE scratch (id INTEGER PRIMARY KEY, x BLOB NOT NULL);",
        )
        .unwrap();
    let too_long = crate::checkpoint::WalTooLong::new(restart_at_frames);
    let checkpointer = rusqlite::Connection::open(&path).unwrap();
    checkpointer.busy_timeout(crate::BUSY_TIMEOUT).unwrap();
    let writer = crate::writer::Writer::start_with(store, Some(Arc::clone(&too_long))).unwrap();
    writer.write_blocking(rewrite).unwrap();
    let header_before = wal_salt(&path).expect("the WAL has its header");
    let reading = Arc::new(AtomicBool::new(true));
    let reads = Arc::new(AtomicU64::new(0));
    let reader = {
        let (reading, reads, path) = (Arc::clone(&reading), Arc::clone(&reads), path.clone());
        std::thread::spawn(move || {
            let reader = crate::Store::open_reader(&path).unwrap();
            while reading.load(Ordering::Relaxed) {
                let _: i64 = reader
                    .db()
                    .query_row("SELECT count(*) FROM scratch", params![], |row| row.get(0))
                    .unwrap();
                reads.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    let mut writes = 1;
    while writes < max_writes
        && (too_long.restarts() < restarts || reads.load(Ordering::Relaxed) == 0)
    {
        if writes % 8 == 0 {
            let held = hold_after(&writer, rewrite);
            crate::checkpoint::round(&checkpointer, &too_long).unwrap();
            held.release();
        } else {
            writer.write_blocking(rewrite).unwrap();
        }
        writes += 1;
    }
    reading.store(false, Ordering::Relaxed);
    reader.join().unwrap();
    let header_after = wal_salt(&path).expect("the WAL has its header");
    BusyWal {
        writes,
        restarts: too_long.restarts(),
        header_restarts: header_after.wrapping_sub(header_before),
        reads: reads.load(Ordering::Relaxed),
    }
}

#[test]
fn a_busy_wal_starts_over_though_commits_and_reads_never_pause() {
    // Asked past 1 MiB (and cut back to 1 MiB): a restart every ~60 writes; 3,000 is far past.
    let asked = busy_wal(256, 3, 3_000);
    assert!(asked.restarts >= 3, "{asked:?}");
    assert!(
        asked.header_restarts >= 3,
        "the WAL's header says otherwise: {asked:?}"
    );
    assert!(asked.reads > 0, "{asked:?}");
    // The control: never asked, the writer leaves the WAL to the checkpointer's rounds, which
    // never find a moment with no write under way: the WAL takes every commit.
    let never = busy_wal(i64::MAX, 1, asked.writes);
    assert_eq!((never.restarts, never.header_restarts), (0, 0), "{never:?}");
}
