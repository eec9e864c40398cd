//! Checkpoints off the writer's thread. With `wal_autocheckpoint`, the commit that crosses the
//! WAL's threshold copies the WAL back into the database file on the writer's thread, and every
//! write waits behind it (a seventh of the writer's time under a busy fleet). A
//! [`StoreHandle`](crate::handle::StoreHandle) on a file turns that off for its writer and runs
//! a passive checkpoint from a connection of its own every second instead: it copies what no
//! reader still needs and never waits for the writer.
//!
//! A checkpoint from another connection alone does not keep the WAL small: the writer starts
//! the WAL over only when it begins a write with everything copied, and a busy fleet (a commit
//! every few milliseconds) never leaves such a moment. The WAL then grew by the whole of what was
//! written (70 MB a second at 1,000 busy agents: 30 GB in seven minutes, past what the page
//! cache holds, and every read slower as it searched a longer WAL index). So past
//! [`RESTART_AT_FRAMES`] the checkpointer asks the writer ([`WalTooLong`]) to checkpoint the
//! rest itself between two batches, when no write can come in between; its next write then
//! starts the WAL over, and `journal_size_limit` gives the file's excess back to the disk. A
//! reader still in the WAL at that moment keeps it from starting over: the writer then tries
//! again after each batch until it has (not a second later at the checkpointer's next round,
//! which under a busy fleet and busy cores could miss many times running). Nobody waits: a
//! `RESTART` checkpoint from here would hold every write back while readers finish.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::Connection;

use crate::{Result, StoreError, BUSY_TIMEOUT};

/// How often the checkpointer runs.
const EVERY: Duration = Duration::from_secs(1);

/// WAL frames (pages, 4 KiB each) past which the writer is asked to finish a checkpoint, so
/// that the WAL starts over: 64 MiB.
pub(crate) const RESTART_AT_FRAMES: i64 = 16_384;

/// A passive checkpoint (copies what no reader still needs, waits for nobody): the frames in
/// the WAL, and those copied back.
pub(crate) fn passive_checkpoint(conn: &Connection) -> rusqlite::Result<(i64, i64)> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
        Ok((row.get(1)?, row.get(2)?))
    })
}

/// Whether the WAL has grown too long, shared by the checkpointer (which notices) and the
/// writer (which checkpoints after each batch until the WAL has started over).
#[derive(Debug)]
pub(crate) struct WalTooLong {
    /// Frames past which the WAL is too long ([`RESTART_AT_FRAMES`] but in tests).
    restart_at_frames: i64,
    set: AtomicBool,
    /// Times the writer, asked to finish a checkpoint, found the WAL started over.
    restarts: AtomicU64,
}

impl WalTooLong {
    pub(crate) fn new(restart_at_frames: i64) -> Arc<WalTooLong> {
        Arc::new(WalTooLong {
            restart_at_frames,
            set: AtomicBool::new(false),
            restarts: AtomicU64::new(0),
        })
    }

    /// Whether the writer should checkpoint after its batch.
    pub(crate) fn is_set(&self) -> bool {
        self.set.load(Ordering::Relaxed)
    }

    /// A checkpoint found `frames` in the WAL: it is too long, or (from the writer) no longer,
    /// the WAL having started over (its frames only ever go down when it starts over).
    pub(crate) fn measured(&self, frames: i64) {
        let was = self
            .set
            .swap(frames > self.restart_at_frames, Ordering::Relaxed);
        if was && frames <= self.restart_at_frames {
            self.restarts.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// How many times the WAL started over after the writer was asked to finish a checkpoint.
    pub(crate) fn restarts(&self) -> u64 {
        self.restarts.load(Ordering::Relaxed)
    }
}

/// One round: a passive checkpoint, and the writer asked to finish it when the WAL has grown
/// too long.
pub(crate) fn round(conn: &Connection, too_long: &WalTooLong) -> rusqlite::Result<()> {
    let (frames, copied) = passive_checkpoint(conn)?;
    if frames > too_long.restart_at_frames {
        tracing::debug!(
            frames,
            copied,
            "the WAL is long: the writer finishes the checkpoint"
        );
        too_long.measured(frames);
    }
    Ok(())
}

/// The checkpointing thread; dropping it stops the thread and waits for it.
#[derive(Debug)]
pub(crate) struct Checkpointer {
    /// Dropped to stop the thread; a sender sent on it asks for a round now, answered when done.
    stop: Option<Sender<Sender<()>>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Starts checkpointing the database at `path` (in WAL mode), setting `too_long` when the
    /// WAL has grown past its frames.
    pub(crate) fn start(path: &Path, too_long: Arc<WalTooLong>) -> Result<Checkpointer> {
        let context = path.display().to_string();
        let conn = Connection::open(path).map_err(|err| StoreError::classify(err, &context))?;
        // A passive checkpoint waits for nobody; this covers the connection's own first reads.
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(|err| StoreError::classify(err, &context))?;
        let (stop, stopped) = mpsc::channel::<Sender<()>>();
        let thread = std::thread::Builder::new()
            .name("baton-store-ckpt".into())
            .spawn(move || loop {
                let asked = match stopped.recv_timeout(EVERY) {
                    Ok(asked) => Some(asked),
                    Err(RecvTimeoutError::Timeout) => None,
                    Err(RecvTimeoutError::Disconnected) => break,
                };
                if let Err(err) = round(&conn, &too_long) {
                    tracing::warn!(error = %err, "WAL checkpoint failed");
                }
                if let Some(done) = asked {
                    let _ = done.send(());
                }
            })
            .map_err(|err| {
                StoreError::Writer(format!("cannot start the checkpoint thread: {err}"))
            })?;
        Ok(Checkpointer {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

#[cfg(test)]
impl Checkpointer {
    /// Runs a round on the checkpointer's thread now, and waits for it: for tests, which must
    /// not wait for the thread's second nor depend on how busy cores share it out.
    pub(crate) fn round_now(&self) {
        let (done, finished) = mpsc::channel();
        if let Some(stop) = &self.stop {
            stop.send(done).expect("the checkpointer's thread runs");
            finished.recv().expect("the checkpointer's thread answers");
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
