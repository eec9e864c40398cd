use super::support::*;
use crate::db::params;
use crate::{Store, StoreError, LATEST_VERSION};

fn pragma<T: crate::db::FromColumn>(store: &Store, name: &str) -> T {
    store
        .db()
        .query_row(&format!("PRAGMA {name}"), params![], |row| row.get(0))
        .unwrap()
}

fn schema_sql(store: &Store) -> Vec<String> {
    store
        .db()
        .query_map(
            "SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY name",
            params![],
            |row| row.get(0),
        )
        .unwrap()
}

#[test]
fn an_empty_database_reaches_the_latest_version() {
    const { assert!(LATEST_VERSION >= 1) };
    let store = Store::open_in_memory().unwrap();
    assert_eq!(store.schema_version().unwrap(), LATEST_VERSION);
    assert_eq!(rows(&store, "agents"), 0);
}

#[test]
fn a_file_database_uses_wal_and_the_other_pragmas() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("baton.sqlite3")).unwrap();
    assert_eq!(pragma::<String>(&store, "journal_mode"), "wal");
    assert_eq!(pragma::<i64>(&store, "foreign_keys"), 1);
    assert_eq!(pragma::<i64>(&store, "synchronous"), 1, "NORMAL is 1");
    assert_eq!(pragma::<i64>(&store, "busy_timeout"), 5_000);
}

#[test]
fn an_in_memory_database_enforces_foreign_keys() {
    let store = Store::open_in_memory().unwrap();
    assert_eq!(pragma::<i64>(&store, "foreign_keys"), 1);
    let orphan = store.db().execute(
        "INSERT INTO tasks (agent_id, task_id, title, state, state_since, first_seen_at, updated_at)
         VALUES (99, 't', 't', 'working', 'x', 'x', 'x')",
        params![],
    );
    assert!(orphan.is_err(), "a task of no agent must be refused");
}

#[test]
fn reopening_a_file_keeps_data_and_changes_no_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/deeper/baton.sqlite3");
    let (id, before) = {
        let mut store = Store::open(&path).unwrap();
        let id = store.add_agent(&draft("Researcher")).unwrap().id;
        store.ingest(id, &doc(vec![], vec![], "c1"), t(0)).unwrap();
        (id, schema_sql(&store))
    };
    assert!(path.exists(), "parent directories are created");
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), LATEST_VERSION);
    assert_eq!(schema_sql(&store), before);
    assert_eq!(store.agent(id).unwrap().name, "Researcher");
    assert_eq!(store.cursor(id).unwrap().as_deref(), Some("c1"));
}

#[test]
fn a_file_that_is_not_a_database_is_reported_as_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("baton.sqlite3");
    std::fs::write(&path, vec![b'x'; 8192]).unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");
    assert_eq!(err.code(), "corrupt");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        vec![b'x'; 8192],
        "left untouched"
    );
}

#[test]
fn a_database_from_a_newer_baton_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("baton.sqlite3");
    drop(Store::open(&path).unwrap());
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", LATEST_VERSION + 1)
            .unwrap();
    }
    let err = Store::open(&path).unwrap_err();
    assert!(
        matches!(err, StoreError::SchemaTooNew { found, supported }
            if found == LATEST_VERSION + 1 && supported == LATEST_VERSION),
        "{err:?}"
    );
    let conn = rusqlite::Connection::open(&path).unwrap();
    let v: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, LATEST_VERSION + 1);
}

#[test]
fn a_parent_that_is_a_file_is_a_data_dir_error() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("not-a-dir");
    std::fs::write(&blocker, b"").unwrap();
    let err = Store::open(&blocker.join("baton.sqlite3")).unwrap_err();
    assert!(matches!(err, StoreError::DataDir(_)), "{err:?}");
    assert_eq!(err.code(), "data_dir");
}

#[test]
fn default_path_ends_in_the_database_file() {
    // Only the shape: the env var itself is process-global and tested through paths::path_from.
    if let Ok(path) = Store::default_path() {
        assert_eq!(path.file_name().unwrap(), crate::paths::DB_FILE_NAME);
    }
}

#[test]
fn a_short_process_leaves_the_wal_for_the_next_one_instead_of_checkpointing_on_close() {
    // What one `baton hook` call does: open, write once, close. The last connection to close
    // normally copies the WAL back and deletes it (fsyncs on every call); a short process must not.
    let wal_after_one_write = |short: bool| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("baton.sqlite3");
        drop(Store::open(&path).unwrap());
        let mut store = Store::open(&path).unwrap();
        if short {
            store.for_short_process().unwrap();
        }
        store.add_agent(&draft("Researcher")).unwrap();
        drop(store);
        let wal = dir.path().join("baton.sqlite3-wal");
        let kept = wal.exists() && std::fs::metadata(&wal).unwrap().len() > 0;
        // Nothing is lost either way: the write is there for the next opener.
        let reopened = Store::open(&path).unwrap();
        assert_eq!(reopened.agents().unwrap().len(), 1);
        kept
    };
    assert!(
        !wal_after_one_write(false),
        "control: closing checkpointed and removed the WAL"
    );
    assert!(wal_after_one_write(true));
}

#[test]
fn short_processes_keep_the_wal_short_for_the_next_one_to_read() {
    // Each `baton hook` process that opens the store with nobody else in it reads the whole WAL
    // to rebuild its index: many short processes in a row must not let it grow to the app's
    // checkpoint size (32 MiB).
    let wal_after_many_writes = |close_short: bool| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("baton.sqlite3");
        drop(Store::open(&path).unwrap());
        let wal = dir.path().join("baton.sqlite3-wal");
        // Processes that found a WAL and left none: they checkpointed it on closing.
        let mut removed = 0;
        for n in 0..400 {
            let found = wal.exists();
            let store = Store::open(&path).unwrap();
            store.for_short_process().unwrap();
            // A few pages per process, as a hook call writes.
            store
                .db()
                .execute_batch("CREATE TABLE IF NOT EXISTS pad (bytes BLOB)")
                .unwrap();
            store
                .db()
                .execute("INSERT INTO pad VALUES (zeroblob(12000 + ?1))", params![n])
                .unwrap();
            if close_short {
                store.close_short_process().unwrap();
            } else {
                drop(store);
            }
            removed += u32::from(found && !wal.exists());
        }
        let wal = std::fs::metadata(&wal).map_or(0, |m| m.len());
        // Nothing is lost.
        let count: i64 = Store::open(&path)
            .unwrap()
            .db()
            .query_row("SELECT count(*) FROM pad", params![], |row| row.get(0))
            .unwrap();
        assert_eq!(count, 400);
        (removed, wal)
    };
    // ~8 MiB written in all, the WAL removed past 1 MiB: about seven times.
    let (removed, short) = wal_after_many_writes(true);
    let (never, long) = wal_after_many_writes(false);
    assert!(removed >= 3, "the WAL was removed {removed} times");
    assert!(
        short < 2 << 20,
        "short processes left a WAL of {short} bytes"
    );
    assert_eq!(never, 0, "control: closing never removed the WAL");
    assert!(long > 4 << 20, "control: the WAL grew to {long} bytes");
}

#[test]
fn short_processes_keep_the_wal_short_while_others_hold_the_store_open() {
    // Ten coding sessions at once: there is always another connection, so none of them closes
    // last and checkpoints. Without checkpoints of their own the WAL grew until one happened to
    // close last and copied megabytes back while every other session waited.
    let wal_after_many_writes = |short: bool| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("baton.sqlite3");
        let other_session = Store::open(&path).unwrap();
        other_session
            .db()
            .execute_batch("CREATE TABLE pad (bytes BLOB)")
            .unwrap();
        // Each change of the WAL header's first salt: the WAL started over.
        let mut restarts = 0;
        let mut salt = wal_salt(&path);
        for n in 0..400 {
            let store = Store::open(&path).unwrap();
            store.for_short_process().unwrap();
            if !short {
                // The control: the checkpoint size before short processes had their own.
                store
                    .db()
                    .execute_batch("PRAGMA wal_autocheckpoint = 8000")
                    .unwrap();
            }
            store
                .db()
                .execute("INSERT INTO pad VALUES (zeroblob(12000 + ?1))", params![n])
                .unwrap();
            store.close_short_process().unwrap();
            let now = wal_salt(&path);
            restarts += u32::from(now != salt);
            salt = now;
        }
        let count: i64 = other_session
            .db()
            .query_row("SELECT count(*) FROM pad", params![], |row| row.get(0))
            .unwrap();
        assert_eq!(count, 400, "nothing is lost");
        let wal = std::fs::metadata(dir.path().join("baton.sqlite3-wal")).map_or(0, |m| m.len());
        (restarts, wal)
    };
    // ~8 MiB written in all, the WAL started over past 1 MiB: about seven times.
    let (restarts, short) = wal_after_many_writes(true);
    let (never, long) = wal_after_many_writes(false);
    assert!(restarts >= 3, "the WAL started over {restarts} times");
    assert!(short < 2 << 20, "the WAL grew to {short} bytes");
    assert_eq!(never, 0, "control: the WAL never started over");
    assert!(long > 4 << 20, "control: the WAL grew to {long} bytes");
}

#[test]
fn the_json_check_answers_alike_on_both_engines() {
    // PostgreSQL's `json_valid` is Baton's own (schema 12's baseline), SQLite's its
    // built-in: the JSON columns' CHECKs rest on both saying the same.
    let mut store = super::support::fresh_store();
    for (value, valid) in [
        ("[]", 1),
        ("{}", 1),
        ("[\"a\", 1]", 1),
        ("{\"a\": [1, {}]}", 1),
        (" [] ", 1),
        ("[1,", 0),
        ("{}}", 0),
        ("not json", 0),
        ("", 0),
    ] {
        let got: i64 = store
            .db()
            .query_row(
                "SELECT CASE WHEN json_valid(?1) THEN 1 ELSE 0 END",
                params![value],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(got, valid, "json_valid({value:?})");
    }
    let agent = store.add_agent(&super::support::draft("A")).unwrap().id;
    let set_windows = |store: &Store, windows: &str| {
        store.db().execute(
            "UPDATE agents SET detect_windows = ?1 WHERE id = ?2",
            params![windows, agent],
        )
    };
    set_windows(&store, "{}").expect("a column's JSON check refused '{}'");
    assert!(
        set_windows(&store, "{\"oops\":").is_err(),
        "a column's JSON check let junk in"
    );
}
