//! Baton's persistence: one SQLite file, written by one connection.
//!
//! * [`StoreHandle`] ([`handle`], [`writer`]): how a process shares it: one writer thread that
//!   commits what is waiting in one transaction (group commit), and reader connections.
//! * [`Store::open`] sets the pragmas (WAL, `synchronous=NORMAL`, foreign keys, busy timeout)
//!   and runs the embedded migrations (`migrations/*.sql`, version in `user_version`).
//! * Agents ([`agents`]): Baton's configured endpoints, their health and cursor.
//! * Ingest ([`ingest`]): one poll's status document in ONE transaction; events deduplicated
//!   by (agent, seq), tasks keyed by (agent, task id), usage upserted per window.
//! * Board reads ([`tasks`], [`events`]): task cards, column counts, a task's events.
//! * Decision log ([`decisions`]): append-only, hash-chained, verified on demand, JSON Lines.
//! * Rules ([`rules`]): CRUD and whole-file import, each change audited in its transaction.
//! * Escalations ([`escalations`], [`decide`], [`outbox`]): the queue, a human's decision with
//!   its log entry and outbox rows in one transaction, and the delivery outcomes.
//! * Handoffs ([`handoffs`]): the JSON Schema of each handoff type, and the dead-letter list.
//! * Rate limits ([`ratelimits`]): the ledger per API, key, agent and minute (written at ingest
//!   from `api_call` events and usage reports), the limits the headers reported, quotas and
//!   pressure settings the user set, budget splits.
//! * Manifests ([`manifests`]): what each agent declares, from itself or from the user.
//! * Sessions ([`sessions`]): coding-agent sessions heard through their hooks: one hook call
//!   (turn, events, file leases, the permit before a write) in one transaction.
//!
//! Timestamps are stored as fixed-width RFC 3339 text (see `migrations/0001_initial.sql`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::Connection;

pub mod a2a;
mod agent_health;
pub mod agents;
pub mod changes;
mod checkpoint;
mod codec;
pub mod coding_usage;
pub mod copy;
pub mod costs;
pub mod db;
pub mod decide;
pub mod decisions;
pub mod detect_reads;
pub mod error;
pub mod escalations;
pub mod events;
mod evidence;
pub mod findings;
mod groups;
pub mod handle;
pub mod handoffs;
pub mod history;
pub mod host;
pub mod ingest;
mod ledger;
pub mod manifests;
mod migrations;
mod named_settings;
pub mod notify;
pub mod otel;
pub mod outbox;
pub mod ownership;
pub mod paths;
pub mod place;
mod poll_calls;
pub mod ratelimits;
pub mod readiness;
pub mod refusal;
pub mod roles;
pub mod rules;
pub mod sessions;
pub mod settings;
pub mod tasks;
pub mod texts;
pub mod usage;
pub mod watch_leases;
pub mod watching;
pub mod windows;
mod write_tx;
pub mod writer;

pub use db::{Db, Dialect, StoreLocation};
pub use decisions::{ChainCheck, DecisionEntry, DecisionFilter, NewDecision};
pub use error::{Result, StoreError};
pub use handle::StoreHandle;
pub use ingest::IngestSummary;
pub use manifests::{ManifestSource, StoredManifest};
pub use migrations::LATEST_VERSION;
pub use place::{PlaceSource, StorePlace};
pub use rules::ReplaceSummary;
pub use usage::UsageSample;
pub use writer::{ReadFirst, Writer, WriterStats};

/// How long a statement waits for a lock held by another connection before failing.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// WAL length past which a short process checkpoints (1 MiB; see [`Store::for_short_process`]).
const SHORT_PROCESS_WAL_BYTES: i64 = 1 << 20;

/// The store's page size (SQLite's default), to count WAL frames in bytes.
const WAL_PAGE_BYTES: i64 = 4096;

/// The database. Holds one connection (to a SQLite file or a PostgreSQL server): `Send`, not
/// `Sync`; give it to one writer thread.
#[derive(Debug)]
pub struct Store {
    db: Db,
}

impl Store {
    /// Opens (creating if needed, with its parent directories) the SQLite database at `path`,
    /// and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            paths::private_dir(parent)?;
        }
        paths::create_private_file(path)?;
        let context = path.display().to_string();
        let conn = Connection::open(path).map_err(|err| StoreError::classify(err, &context))?;
        Store::init_sqlite(conn, &context)
    }

    /// A private database in memory (tests, "test connection", previews). Each starts as a
    /// copy of one this process migrated once: bringing an empty database through every
    /// migration took a tenth of a second in a debug build, for each of the tests' hundreds.
    pub fn open_in_memory() -> Result<Store> {
        static MIGRATED: std::sync::Mutex<Option<Store>> = std::sync::Mutex::new(None);
        let mut migrated = MIGRATED.lock().unwrap_or_else(|p| p.into_inner());
        if migrated.is_none() {
            *migrated = Some(Store::init_sqlite(
                Connection::open_in_memory()?,
                ":memory:",
            )?);
        }
        let mut conn = Connection::open_in_memory()?;
        if let Some(from) = migrated.as_ref().and_then(|s| s.db.as_sqlite()) {
            // Every page in one step: nothing else writes the copy meanwhile.
            rusqlite::backup::Backup::new(from, &mut conn)?.run_to_completion(
                i32::MAX,
                Duration::ZERO,
                None,
            )?;
        }
        drop(migrated);
        Store::init_sqlite(conn, ":memory:")
    }

    /// Opens the store at `location` (a SQLite file, memory, or a PostgreSQL database) and
    /// brings its schema up to date.
    pub fn open_at(location: &StoreLocation) -> Result<Store> {
        match location {
            StoreLocation::Sqlite(path) => Store::open(path),
            StoreLocation::Memory => Store::open_in_memory(),
            StoreLocation::Postgres(target) => {
                let db = Db::postgres(db::PgConn::connect(target)?);
                migrations::migrate_postgres(&db)?;
                Ok(Store { db })
            }
        }
    }

    /// Brings the store at `url` (a path, `:memory:` or a `postgres://` URL) to this build's
    /// schema and closes it: what opening it does first. The tests' PostgreSQL template of
    /// this build's schema is made with it (`baton_testdb::migrated_store_url`).
    pub fn migrate_at(url: &str) -> Result<()> {
        Store::open_at(&StoreLocation::parse(url)?).map(drop)
    }

    /// Opens the store at `location` for a short-lived process that writes once (`baton hook`,
    /// one process per call): on SQLite as [`Store::for_short_process`] says; on PostgreSQL a
    /// connection that sends each statement unnamed with its values (one round trip, no
    /// prepared statement it would never run again).
    pub fn open_for_short_process(location: &StoreLocation) -> Result<Store> {
        match location {
            StoreLocation::Postgres(target) => {
                let db = Db::postgres(db::PgConn::connect_one_shot(target)?);
                migrations::migrate_postgres(&db)?;
                Ok(Store { db })
            }
            _ => {
                let store = Store::open_at(location)?;
                store.for_short_process()?;
                Ok(store)
            }
        }
    }

    /// Where Baton keeps its database: `$BATON_DATA_DIR/baton.sqlite3` when that variable is set
    /// and not empty, else `baton.sqlite3` in the OS's per-user data directory for Baton.
    pub fn default_path() -> Result<PathBuf> {
        paths::path_from(std::env::var_os(paths::DATA_DIR_ENV))
    }

    /// The database of the data folder `data_dir` (`--data-dir`), else [`Store::default_path`].
    pub fn path_in(data_dir: Option<&Path>) -> Result<PathBuf> {
        match data_dir {
            Some(dir) => Ok(dir.join(paths::DB_FILE_NAME)),
            None => Store::default_path(),
        }
    }

    /// The connection, for the store's modules.
    pub(crate) fn db(&self) -> &Db {
        &self.db
    }

    /// Runs `write` inside the current write so that its failure undoes what it wrote and
    /// nothing else: `Ok(Ok(_))` it stands, `Ok(Err(why))` it failed and is undone,
    /// `Err(why)` it failed and cannot be undone alone (on PostgreSQL part of it went out with
    /// other writes: the enclosing write fails, and the writer runs it again alone, where it
    /// can).
    pub fn undoable<T>(
        &mut self,
        write: impl FnOnce(&mut Store) -> Result<T>,
    ) -> Result<Result<T>> {
        let mark = self.db.mark()?;
        match write(self) {
            Ok(done) => {
                self.db.keep(mark)?;
                Ok(Ok(done))
            }
            Err(why) if self.db.undo(mark)? => Ok(Err(why)),
            Err(why) => Err(why),
        }
    }

    /// Runs every read of `ahead` (see [`crate::ReadFirst`]): on PostgreSQL in one round trip.
    pub fn read_ahead(&self, ahead: &db::ReadAhead) -> Result<db::ReadRows> {
        self.db.read_ahead(ahead)
    }

    /// Runs `work` with every write sent at once and [`Store::undoable`] on savepoints, so
    /// that a write can always be undone alone (a write that is not one of a group).
    pub fn writing_alone<T>(&mut self, work: impl FnOnce(&mut Store) -> T) -> T {
        let was = self.db.is_alone();
        self.db.write_alone(true);
        let done = work(self);
        self.db.write_alone(was);
        done
    }

    /// The mark this connection puts on the changes it records ([`changes`]).
    pub fn origin(&self) -> i64 {
        self.db.origin()
    }

    /// Which engine the store is on.
    pub fn dialect(&self) -> Dialect {
        self.db.dialect()
    }

    /// For a short-lived process that writes once (`baton hook`, one process per call), on
    /// SQLite (a PostgreSQL store needs none of this):
    ///
    /// - a store busy with another writer is tried again every millisecond, up to the usual
    ///   busy timeout, rather than with SQLite's own backoff, which sleeps up to 100 ms at a time
    ///   and made a few of many simultaneous hook calls wait that long for transactions of a
    ///   millisecond;
    /// - closing does not checkpoint: the last connection to close otherwise copies the WAL
    ///   into the database and deletes it (four fsyncs, and the WAL and shared-memory files
    ///   made again by the next call), see [`Store::close_short_process`] for when it does;
    /// - a commit that leaves more than [`SHORT_PROCESS_WAL_BYTES`] in the WAL checkpoints it
    ///   passively, beside the other sessions' reads and writes, and the next writer starts the
    ///   WAL over and cuts it back to that size. Without this, many sessions at once kept the
    ///   store open between them, nobody checkpointed, and whoever closed it last had to copy
    ///   a WAL of several MiB while every other session waited for it (50–100 ms).
    pub fn for_short_process(&self) -> Result<()> {
        fn retry(attempt: i32) -> bool {
            let attempt = u128::try_from(attempt).unwrap_or(0);
            if attempt >= BUSY_TIMEOUT.as_millis() {
                return false;
            }
            std::thread::sleep(Duration::from_millis(1));
            true
        }
        let Some(conn) = self.db.as_sqlite() else {
            return Ok(());
        };
        conn.busy_handler(Some(retry))?;
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)?;
        conn.pragma_update(
            None,
            "wal_autocheckpoint",
            SHORT_PROCESS_WAL_BYTES / WAL_PAGE_BYTES,
        )?;
        conn.pragma_update(None, "journal_size_limit", SHORT_PROCESS_WAL_BYTES)?;
        Ok(())
    }

    /// Closes a store opened [`Store::for_short_process`]. The first connection to open a store
    /// that nobody else has open rebuilds the WAL's index by reading every frame in it, and
    /// forgets what was checkpointed: with no app running each hook call would pay for the whole
    /// WAL, and it only grows. Once it is past [`SHORT_PROCESS_WAL_BYTES`], closing checkpoints
    /// and removes it, which SQLite does only when this is the last connection (the app's own
    /// checkpointer looks after the WAL while it runs).
    pub fn close_short_process(self) -> Result<()> {
        let Some(conn) = self.db.into_sqlite() else {
            return Ok(());
        };
        let wal_bytes = conn
            .path()
            .filter(|path| !path.is_empty())
            .and_then(|path| std::fs::metadata(format!("{path}-wal")).ok())
            .map_or(0, |meta| meta.len());
        if wal_bytes > SHORT_PROCESS_WAL_BYTES.unsigned_abs() {
            conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, false)?;
        }
        conn.close().map_err(|(_, err)| err)?;
        Ok(())
    }

    fn init_sqlite(mut conn: Connection, context: &str) -> Result<Store> {
        let classify = |err| StoreError::classify(err, context);
        conn.busy_timeout(BUSY_TIMEOUT).map_err(classify)?;
        // journal_mode answers with the mode in effect ("memory" for in-memory databases).
        let _mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            .map_err(classify)?;
        // Savepoints journal the pages they touch: in memory, not in a temporary file. A
        // cache of 32 MiB keeps a batch of writes from spilling pages to the WAL half-way (the
        // writer gives what it holds back every 10 s: `writer/cache.rs`).
        // Checkpoints every ~32 MiB of WAL rather than every 4 MiB: a page written again and
        // again between two checkpoints is copied once. A WAL started over is cut back to
        // 64 MiB (it keeps what it grew to otherwise).
        conn.execute_batch(
            "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;
             PRAGMA cache_size = -32768; PRAGMA wal_autocheckpoint = 8000;
             PRAGMA journal_size_limit = 67108864;",
        )
        .map_err(classify)?;
        db::open_sqlite(&conn).map_err(classify)?;
        let found: i64 = conn
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .map_err(classify)?;
        if found > LATEST_VERSION {
            return Err(StoreError::SchemaTooNew {
                found,
                supported: LATEST_VERSION,
            });
        }
        migrations::migrate_sqlite(&mut conn).map_err(|err| match &err {
            rusqlite_migration::Error::RusqliteError { err: inner, .. }
                if error::is_corruption(inner) =>
            {
                StoreError::Corrupt(format!("{context}: {inner}"))
            }
            _ => StoreError::Migration(err),
        })?;
        Ok(Store {
            db: Db::sqlite(conn),
        })
    }

    /// The schema version (SQLite's `user_version`, PostgreSQL's `baton_schema`).
    pub fn schema_version(&self) -> Result<i64> {
        migrations::version(&self.db)
    }
}

#[cfg(test)]
mod tests;
