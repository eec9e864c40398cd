//! The store as a process shares it: one [`Writer`] thread that commits every write in batches,
//! and a few reader connections (WAL lets them read while the writer writes) that any thread
//! borrows for one read. A private in-memory database has no second connection: its reads go
//! through the writer.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};

use rusqlite::Connection;

use crate::checkpoint::{Checkpointer, WalTooLong};
use crate::db::{Db, PgConn, StoreLocation};
use crate::error::{Result, StoreError};
use crate::writer::{Writer, WriterStats};
use crate::{Store, BUSY_TIMEOUT, LATEST_VERSION};

/// Reader connections opened by default.
pub const DEFAULT_READERS: usize = 3;

/// The store of a process (see the module docs). Cheap to clone.
#[derive(Clone, Debug)]
pub struct StoreHandle {
    writer: Writer,
    /// The writer's mark on the changes it records ([`crate::changes`]).
    origin: i64,
    readers: Option<Arc<Readers>>,
    path: Option<PathBuf>,
    location: StoreLocation,
    /// Checkpoints the WAL off the writer's thread (a database file only; stops with the
    /// last clone).
    _checkpointer: Option<Arc<Checkpointer>>,
    /// The lane of writes that must not wait behind the others (see
    /// [`StoreHandle::write_urgent`]), once [`StoreHandle::open_urgent_lane`] opened it.
    urgent: Arc<Mutex<Option<Writer>>>,
}

#[derive(Debug)]
struct Readers {
    idle: Mutex<Vec<Store>>,
    returned: Condvar,
    count: usize,
}

impl Readers {
    /// The pool of these reading connections.
    fn pool(idle: Vec<Store>) -> Option<Arc<Readers>> {
        Some(Arc::new(Readers {
            count: idle.len(),
            idle: Mutex::new(idle),
            returned: Condvar::new(),
        }))
    }
}

impl Store {
    /// A connection that only reads, to a database another connection has brought up to date.
    pub fn open_reader(path: &Path) -> Result<Store> {
        let context = path.display().to_string();
        let conn = Connection::open(path).map_err(|err| StoreError::classify(err, &context))?;
        let classify = |err| StoreError::classify(err, &context);
        conn.busy_timeout(BUSY_TIMEOUT).map_err(classify)?;
        conn.execute_batch("PRAGMA query_only = ON; PRAGMA foreign_keys = ON;")
            .map_err(classify)?;
        crate::db::open_sqlite(&conn).map_err(classify)?;
        let store = Store {
            db: Db::sqlite(conn),
        };
        store.refuse_newer_schema()?;
        Ok(store)
    }

    /// A reading connection to a PostgreSQL store another connection has brought up to date.
    fn open_postgres_reader(target: &crate::db::PgTarget) -> Result<Store> {
        let store = Store {
            db: Db::postgres(PgConn::connect_reader(target)?),
        };
        store.refuse_newer_schema()?;
        Ok(store)
    }

    fn refuse_newer_schema(&self) -> Result<()> {
        let found = self.schema_version()?;
        if found > LATEST_VERSION {
            return Err(StoreError::SchemaTooNew {
                found,
                supported: LATEST_VERSION,
            });
        }
        Ok(())
    }
}

impl StoreHandle {
    /// Runs the checkpointer's round now (a file store's) and waits for it.
    #[cfg(test)]
    pub(crate) fn checkpoint_round_now(&self) {
        self._checkpointer
            .as_ref()
            .expect("a file store has a checkpointer")
            .round_now();
    }

    /// Opens the database at `path` (creating and migrating it as [`Store::open`] does) for the
    /// writer, and `readers` reader connections (at least one).
    pub fn open(path: &Path, readers: usize) -> Result<StoreHandle> {
        let store = Store::open(path)?;
        crate::paths::tighten_store(path)?;
        // The checkpointer's thread copies the WAL back, not the writer's commits.
        store
            .db
            .as_sqlite()
            .expect("a file store is SQLite")
            .execute_batch("PRAGMA wal_autocheckpoint = 0")
            .map_err(|err| StoreError::classify(err, &path.display().to_string()))?;
        let too_long = WalTooLong::new(crate::checkpoint::RESTART_AT_FRAMES);
        let checkpointer = Checkpointer::start(path, Arc::clone(&too_long))?;
        let origin = store.origin();
        let writer = Writer::start_with(store, Some(too_long))?;
        let idle = (0..readers.max(1))
            .map(|_| Store::open_reader(path))
            .collect::<Result<Vec<_>>>()?;
        Ok(StoreHandle {
            writer,
            origin,
            readers: Readers::pool(idle),
            path: Some(path.to_owned()),
            location: StoreLocation::Sqlite(path.to_owned()),
            _checkpointer: Some(Arc::new(checkpointer)),
            urgent: Arc::default(),
        })
    }

    /// Opens the store at `location`: a SQLite file (as [`StoreHandle::open`]), memory, or a
    /// PostgreSQL database (a writing connection, migrated, and `readers` reading ones).
    pub fn open_at(location: &StoreLocation, readers: usize) -> Result<StoreHandle> {
        match location {
            StoreLocation::Sqlite(path) => StoreHandle::open(path, readers),
            StoreLocation::Memory => StoreHandle::in_memory(),
            StoreLocation::Postgres(target) => {
                let store = Store::open_at(location)?;
                let origin = store.origin();
                let writer = Writer::start(store)?;
                let idle = (0..readers.max(1))
                    .map(|_| Store::open_postgres_reader(target))
                    .collect::<Result<Vec<_>>>()?;
                Ok(StoreHandle {
                    writer,
                    origin,
                    readers: Readers::pool(idle),
                    path: None,
                    location: location.clone(),
                    _checkpointer: None,
                    urgent: Arc::default(),
                })
            }
        }
    }

    /// The mark the writer puts on the changes it records: the feed's rows with another mark
    /// were written by another connection (another process, or the hooks' own).
    pub fn origin(&self) -> i64 {
        self.origin
    }

    /// Where the store is.
    pub fn location(&self) -> &StoreLocation {
        &self.location
    }

    /// A private database in memory: tests and previews. Reads go through the writer.
    pub fn in_memory() -> Result<StoreHandle> {
        StoreHandle::from_store(Store::open_in_memory()?)
    }

    /// Wraps a store that is already open: it becomes the writer (reads go through it too).
    pub fn from_store(store: Store) -> Result<StoreHandle> {
        Ok(StoreHandle {
            origin: store.origin(),
            writer: Writer::start(store)?,
            readers: None,
            path: None,
            location: StoreLocation::Memory,
            _checkpointer: None,
            urgent: Arc::default(),
        })
    }

    /// The database file (None in memory).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    pub fn writer(&self) -> &Writer {
        &self.writer
    }

    /// Runs a write in the writer's next batch and waits for its commit.
    pub async fn write<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T> + Send + 'static,
    {
        self.writer.write(work).await
    }

    /// Runs a write that reads first in the writer's next batch (with the others waiting, in
    /// one group) and waits for its commit.
    pub async fn write_read_first<W: crate::ReadFirst>(&self, write: W) -> Result<W::Output> {
        self.writer.write_read_first(write).await
    }

    /// Runs a write in a lane of its own: a second writer on a connection of its own, so that
    /// it waits behind no write of this process (on PostgreSQL only for the store's write
    /// lock, which each transaction holds for a few round trips). For a watcher's heartbeat:
    /// a lease that lapses because this process is busy writing polls would be taken from a
    /// watcher that is alive. On SQLite (a file or in memory) the write goes to the front of
    /// the store's writer's queue ([`Writer::write_first`]): one connection writes at a time
    /// there, and a second one waiting for the lock starves (see `urgent_writer`).
    ///
    /// Until [`StoreHandle::open_urgent_lane`] has opened the lane, the write goes to the
    /// front of the store's writer's queue.
    pub async fn write_urgent<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T> + Send + 'static,
    {
        let lane = self
            .urgent
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        match lane {
            Some(lane) => lane.write(work).await,
            None => self.writer.write_first(work).await,
        }
    }

    /// Opens the lane of [`StoreHandle::write_urgent`] (blocking: it connects), if not yet.
    pub fn open_urgent_lane(&self) -> Result<()> {
        self.urgent_writer().map(|_| ())
    }

    fn urgent_writer(&self) -> Result<Writer> {
        let mut lane = self.urgent.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(writer) = lane.as_ref() {
            return Ok(writer.clone());
        }
        let store = match &self.location {
            // SQLite lets one connection write at a time and its busy handler is not fair: a
            // second writer waiting for a busy writer's lock timed out ("database is locked")
            // under 1,000 agents (fleet_load), its lease lapsed and the watcher stopped
            // polling. On SQLite the heartbeat goes to the front of the writer's queue.
            StoreLocation::Memory | StoreLocation::Sqlite(_) => return Ok(self.writer.clone()),
            location => Store::open_at(location)?,
        };
        // Each heartbeat opens its own transaction: its renewal without the store's write
        // lock (`Store::renew_leases`).
        let writer = Writer::start_solo(store)?;
        *lane = Some(writer.clone());
        Ok(writer)
    }

    /// [`StoreHandle::write`] from a thread that is not async.
    pub fn write_blocking<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T> + Send + 'static,
    {
        self.writer.write_blocking(work)
    }

    /// Runs a read on a reader connection, waiting for one to be free. Blocks: call it from a
    /// blocking thread (the engine bounds how many).
    pub fn read_blocking<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T> + Send + 'static,
    {
        let Some(readers) = &self.readers else {
            return self.writer.write_blocking(move |store| work(store));
        };
        let store = {
            let mut idle = readers.idle.lock().unwrap_or_else(|p| p.into_inner());
            loop {
                if let Some(store) = idle.pop() {
                    break store;
                }
                idle = readers
                    .returned
                    .wait(idle)
                    .unwrap_or_else(|p| p.into_inner());
            }
        };
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(&store)));
        readers
            .idle
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(store);
        readers.returned.notify_one();
        outcome.unwrap_or_else(|_| Err(StoreError::Writer("a read panicked".into())))
    }

    /// How many reads can run at once.
    pub fn reader_count(&self) -> usize {
        self.readers.as_ref().map_or(1, |r| r.count)
    }

    pub fn writer_stats(&self) -> WriterStats {
        self.writer.stats()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paths::DB_FILE_NAME;
    use std::path::{Path, PathBuf};

    #[cfg(unix)]
    #[test]
    fn a_new_store_is_private_and_an_open_one_is_tightened() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data").join("baton");
        let file = dir.join(DB_FILE_NAME);
        let mut store = Store::open(&file).unwrap();
        store
            .append_decision(crate::NewDecision::new("ann", "approve", "x"))
            .unwrap();
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&tmp.path().join("data")), 0o700, "parents made too");
        assert_eq!(mode(&file), 0o600);
        let wal = PathBuf::from(format!("{}-wal", file.display()));
        assert_eq!(
            mode(&wal),
            0o600,
            "SQLite's own files follow the database's"
        );
        drop(store);
        // As an older Baton left it: readable by everyone. A short process leaves it (its
        // output is the hook's answer); an app or watcher starting tightens it.
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        Store::open(&file).unwrap();
        assert_eq!(mode(&file), 0o644);
        StoreHandle::open(&file, 1).unwrap();
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&file), 0o600);
        // A store put in a shared folder leaves the folder alone.
        let shared = tmp.path().join("shared");
        std::fs::create_dir(&shared).unwrap();
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o1777)).unwrap();
        StoreHandle::open(&shared.join(DB_FILE_NAME), 1).unwrap();
        assert_eq!(
            std::fs::metadata(&shared).unwrap().permissions().mode() & 0o7777,
            0o1777
        );
    }
}
