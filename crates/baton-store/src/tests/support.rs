//! Fixtures shared by the tests, and the failure hook used by the one-transaction tests.

use std::cell::Cell;

use baton_core::agent::AgentDraft;
use baton_core::detect::{EvidenceRef, Finding, FindingKind, Severity};
use baton_core::protocol::{AgentInfo, Event, EventKind, StatusDocument, Task, UsageReport};
use baton_core::task::TaskState;
use chrono::{DateTime, Duration, TimeZone, Utc};

use crate::db::params;
use crate::{Result, Store, StoreError};

thread_local! {
    static FAIL_BEFORE_COMMIT: Cell<bool> = const { Cell::new(false) };
}

/// Makes the next ingest on this thread fail after writing everything, just before COMMIT.
pub(crate) fn fail_next_commit() {
    FAIL_BEFORE_COMMIT.with(|flag| flag.set(true));
}

pub(crate) fn maybe_fail_before_commit() -> Result<()> {
    if FAIL_BEFORE_COMMIT.with(|flag| flag.replace(false)) {
        return Err(StoreError::Corrupt("injected failure before commit".into()));
    }
    Ok(())
}

/// A fixed instant plus `secs` seconds.
pub(crate) fn t(secs: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).unwrap() + Duration::seconds(secs)
}

/// A draft at a URL of its own (one URL is one agent): `http://127.0.0.1:7700/<name>`.
pub(crate) fn draft(name: &str) -> AgentDraft {
    let path: String = name
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '-' })
        .collect();
    AgentDraft::new(name, format!("http://127.0.0.1:7700/{path}"))
}

/// Where a new, empty store is, on the engine the tests run on (`BATON_TEST_STORE`, see
/// `baton-testdb`): SQLite in memory, or a fresh PostgreSQL database in this build's schema (a
/// copy of one migrated once for the run).
pub(crate) fn fresh_store_url() -> String {
    baton_testdb::migrated_store_url(crate::LATEST_VERSION, crate::Store::migrate_at)
}

/// A new, empty store on the engine the tests run on: SQLite in memory, or a fresh PostgreSQL
/// database.
pub(crate) fn fresh_store() -> Store {
    let url = fresh_store_url();
    Store::open_at(&crate::StoreLocation::parse(&url).unwrap()).unwrap()
}

/// A store on the engine the tests run on, migrated to `version` (in `dir` on SQLite), `data`
/// written into it as a Baton of that version wrote it (and, on PostgreSQL, `postgres_after`:
/// what its triggers and sequences would have kept), then opened by this Baton: migrated to
/// the latest version.
pub(crate) fn store_from_version(
    dir: &std::path::Path,
    version: i64,
    data: &str,
    postgres_after: &str,
) -> Store {
    let url = match baton_testdb::engine() {
        baton_testdb::Engine::Sqlite => {
            let path = dir.join("baton.sqlite3");
            let mut conn = rusqlite::Connection::open(&path).unwrap();
            crate::migrations::MIGRATIONS
                .to_version(&mut conn, usize::try_from(version).unwrap())
                .unwrap();
            conn.execute_batch(data).unwrap();
            path.to_string_lossy().into_owned()
        }
        baton_testdb::Engine::Postgres => {
            let url = baton_testdb::store_url();
            let mut sql: String = crate::migrations::POSTGRES_MIGRATIONS
                .iter()
                .filter(|(v, _)| *v <= version)
                .map(|(_, sql)| *sql)
                .collect::<Vec<_>>()
                .join("\n");
            sql.push_str(data);
            sql.push_str(postgres_after);
            sql.push_str(&format!(
                "CREATE TABLE baton_schema (version BIGINT NOT NULL);
                 INSERT INTO baton_schema (version) VALUES ({version});"
            ));
            baton_testdb::sql_at(&url, &sql).unwrap();
            url
        }
    };
    Store::open_at(&crate::StoreLocation::parse(&url).unwrap()).unwrap()
}

/// One database every handle opens: a file in `dir` for SQLite (in-memory stores are one
/// connection's own), a fresh database for PostgreSQL.
pub(crate) fn shared_location(dir: &tempfile::TempDir) -> crate::StoreLocation {
    let url = match baton_testdb::engine() {
        baton_testdb::Engine::Sqlite => dir.path().join("baton.sqlite3").display().to_string(),
        baton_testdb::Engine::Postgres => fresh_store_url(),
    };
    crate::StoreLocation::parse(&url).unwrap()
}

/// A new store with one agent, "Researcher".
pub(crate) fn store_with_agent() -> (Store, i64) {
    let mut store = fresh_store();
    let id = store.add_agent(&draft("Researcher")).unwrap().id;
    (store, id)
}

pub(crate) fn task(id: &str, state: TaskState) -> Task {
    Task::new(id, format!("Task {id}"), state)
}

/// A `write` event on `crm://contacts/{seq}` by task `task_id`, at t(seq).
pub(crate) fn write_event(seq: u64, task_id: &str) -> Event {
    Event {
        task_id: Some(task_id.into()),
        resource: Some(format!("crm://contacts/{seq}")),
        ..Event::new(seq, t(seq as i64), EventKind::Write)
    }
}

/// A poll with a little of everything: a working task, two writes, some usage.
pub(crate) fn some_data() -> StatusDocument {
    let mut d = doc(
        vec![task("t1", TaskState::Working)],
        vec![write_event(1, "t1"), write_event(2, "t1")],
        "c2",
    );
    d.usage = vec![usage("openai", 0, 5)];
    d
}

pub(crate) fn usage(api: &str, window_secs: i64, requests: u64) -> UsageReport {
    UsageReport {
        api: api.into(),
        key: None,
        window_start: t(window_secs),
        window_seconds: 60,
        requests,
        tokens: requests * 100,
        rate_limited: 0,
        model: None,
        input_tokens: None,
        output_tokens: None,
    }
}

pub(crate) fn doc(tasks: Vec<Task>, events: Vec<Event>, cursor: &str) -> StatusDocument {
    StatusDocument {
        tasks,
        events,
        cursor: cursor.into(),
        ..StatusDocument::new(AgentInfo {
            name: Some("Researcher".into()),
            version: Some("0.3.1".into()),
            state: Some(baton_core::protocol::AgentState::Working),
            ..AgentInfo::new("researcher-1")
        })
    }
}

/// Rows in `table` (for checking what an ingest left behind).
pub(crate) fn rows(store: &Store, table: &str) -> i64 {
    store
        .db()
        .query_row(&format!("SELECT count(*) FROM {table}"), params![], |row| {
            row.get(0)
        })
        .unwrap()
}

/// The first salt in the header of the WAL of the database at `db` (bytes 16..20, big-endian):
/// SQLite raises it by one each time the WAL starts over, whichever connection starts it over
/// (the checkpoint sequence number beside it, bytes 12..16, counts a connection's own restarts
/// only: one that opened a WAL it did not recover starts from 0). `None` while there is no
/// WAL file (or no header in it yet).
pub(crate) fn wal_salt(db: &std::path::Path) -> Option<u32> {
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    let mut header = [0u8; 20];
    std::io::Read::read_exact(&mut std::fs::File::open(wal).ok()?, &mut header).ok()?;
    Some(u32::from_be_bytes([
        header[16], header[17], header[18], header[19],
    ]))
}

/// A critical finding of `kind` on `resource` between agents `a` and `b`, each one's event 1 its
/// evidence, keyed as the detectors key it (`kind:resource`); tests change what they need.
pub(crate) fn pair_finding(kind: FindingKind, a: i64, b: i64, resource: &str) -> Finding {
    Finding {
        kind,
        severity: Severity::Critical,
        agents: vec![a, b],
        resource: Some(resource.into()),
        summary: "both wrote".into(),
        evidence: vec![
            EvidenceRef {
                agent_id: a,
                seq: 1,
            },
            EvidenceRef {
                agent_id: b,
                seq: 1,
            },
        ],
        dedupe_key: format!("{}:{resource}", kind.as_str()),
        continues: None,
    }
}
