//! Checkpoints off the writer's thread. With `wal_autocheckpoint`, the commit that crosses the
//! WAL's threshold copies the WAL back into the database file on the writer's thread, and every
//! write waits behind it (a seventh of the writer's time under a busy fleet). A
//! [`StoreHandle`](crate::handle::StoreHandle) on a file turns that off for its writer and runs
//! a passive checkpoint from a connection of its own every second instead: it copies what no
//! reader still needs, never waits for the writer, and the writer starts the WAL over once
//! everything was copied.

use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::Connection;

use crate::{Result, StoreError, BUSY_TIMEOUT};

/// How often the checkpointer runs.
const EVERY: Duration = Duration::from_secs(1);

/// The checkpointing thread; dropping it stops the thread and waits for it.
#[derive(Debug)]
pub(crate) struct Checkpointer {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    pub(crate) fn start(path: &Path) -> Result<Checkpointer> {
        let context = path.display().to_string();
        let conn = Connection::open(path).map_err(|err| StoreError::classify(err, &context))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(|err| StoreError::classify(err, &context))?;
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("baton-store-ckpt".into())
            .spawn(move || {
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(EVERY) {
                    let done = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
                        row.get::<_, i64>(0)
                    });
                    if let Err(err) = done {
                        tracing::warn!(error = %err, "WAL checkpoint failed");
                    }
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

impl Drop for Checkpointer {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
