//! The writer's page cache, given back while the writes do not need it.
//!
//! The writer's connection caches up to 32 MiB of pages (`Store::init_sqlite`) so that a busy
//! batch does not spill to the WAL half-way. SQLite keeps a page cached once read: a watch's
//! first polls of 1,000 agents wrote its whole store (9.6 MB), and when the fleet then answered
//! the same every second the writer kept those pages for good (most of SQLite's 14 MiB in
//! `vs_prometheus`) though its batches touched a few hundred KiB. Every [`GIVE_BACK_EVERY`] the
//! writer drops the pages no write holds and the C heap returns what that freed to the system;
//! the next batches read what they need again from the system's file cache (a full 32 MiB in
//! a few tens of milliseconds, for a fleet busy enough to use it all).

use std::time::{Duration, Instant};

use crate::Store;

/// How often the writer gives its unused cached pages back.
const GIVE_BACK_EVERY: Duration = Duration::from_secs(10);

/// When the writer last gave its cache back.
pub(super) struct CacheGiveBack {
    last: Instant,
}

impl CacheGiveBack {
    pub(super) fn new(now: Instant) -> CacheGiveBack {
        CacheGiveBack { last: now }
    }

    /// Between two batches, at `now`: gives the cache back when [`GIVE_BACK_EVERY`] has
    /// passed since it last did; whether it did.
    pub(super) fn between_batches(&mut self, store: &Store, now: Instant) -> bool {
        if now.saturating_duration_since(self.last) < GIVE_BACK_EVERY {
            return false;
        }
        self.last = now;
        give_back(store);
        true
    }
}

/// Drops the unused cached pages of `store`'s connection (SQLite's; nothing on PostgreSQL)
/// and returns the freed heap to the system.
fn give_back(store: &Store) {
    let Some(conn) = store.db().as_sqlite() else {
        return;
    };
    let before = cache_used(conn);
    if let Err(err) = conn.release_memory() {
        tracing::debug!(error = %err, "cannot release the writer's page cache");
        return;
    }
    // SQLite allocates with the C library's malloc, and glibc keeps what SQLite frees in its
    // arenas (resident, counted in RSS) until it is asked to trim them.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free memory of the C heap to the system.
    unsafe {
        libc::malloc_trim(0);
    }
    tracing::trace!(
        before,
        after = cache_used(conn),
        "the writer's page cache given back"
    );
}

/// The bytes `conn`'s page cache holds (`SQLITE_DBSTATUS_CACHE_USED`).
fn cache_used(conn: &rusqlite::Connection) -> i64 {
    let (mut current, mut highest) = (0, 0);
    // SAFETY: reads a counter of a connection this thread holds; the handle outlives the call.
    let rc = unsafe {
        rusqlite::ffi::sqlite3_db_status(
            conn.handle(),
            rusqlite::ffi::SQLITE_DBSTATUS_CACHE_USED,
            &mut current,
            &mut highest,
            0,
        )
    };
    if rc == rusqlite::ffi::SQLITE_OK {
        i64::from(current)
    } else {
        -1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A store on a temp file with `rows` rows of 1 KiB written in one transaction.
    fn store_with_rows(dir: &tempfile::TempDir, rows: usize) -> Store {
        let store = Store::open(&dir.path().join("baton.db")).unwrap();
        let conn = store.db().as_sqlite().unwrap();
        conn.execute_batch("CREATE TABLE filler (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
            .unwrap();
        let tx = conn.unchecked_transaction().unwrap();
        for id in 0..rows as i64 {
            tx.execute(
                "INSERT INTO filler (id, body) VALUES (?1, ?2)",
                (id, "x".repeat(1024)),
            )
            .unwrap();
        }
        tx.commit().unwrap();
        store
    }

    #[test]
    fn giving_back_empties_the_page_cache_and_the_store_reads_on() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with_rows(&dir, 8_000);
        let conn = store.db().as_sqlite().unwrap();
        let full = cache_used(conn);
        assert!(full > 6 << 20, "8 MB written, {full} bytes cached");
        give_back(&store);
        let emptied = cache_used(conn);
        assert!(
            emptied < 1 << 20,
            "{emptied} bytes cached after giving back"
        );
        let count: i64 = conn
            .query_row("SELECT count(*) FROM filler", [], |row| row.get(0))
            .unwrap();
        assert_eq!(count, 8_000);
    }

    #[test]
    fn the_cache_is_given_back_once_every_period() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with_rows(&dir, 10);
        let start = Instant::now();
        let mut cache = CacheGiveBack::new(start);
        let gave = |cache: &mut CacheGiveBack, after: Duration| {
            cache.between_batches(&store, start + after)
        };
        assert!(!gave(&mut cache, Duration::ZERO));
        assert!(!gave(
            &mut cache,
            GIVE_BACK_EVERY - Duration::from_millis(1)
        ));
        assert!(gave(&mut cache, GIVE_BACK_EVERY));
        assert!(!gave(&mut cache, GIVE_BACK_EVERY + Duration::from_secs(1)));
        assert!(gave(&mut cache, GIVE_BACK_EVERY * 2));
    }
}
