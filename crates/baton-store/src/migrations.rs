//! The schema, as forward-only migrations embedded in the binary, one folder per engine
//! (`migrations/sqlite/`, `migrations/postgres/`) under one version number. SQLite's version
//! lives in its `user_version` and each of its migrations runs in its own transaction
//! (`rusqlite_migration`); a new PostgreSQL store starts from the whole schema of version 12
//! (`0012_baseline.sql`), its version lives in `baton_schema`, and every later version has a
//! file in each folder. Both refuse a store whose schema is newer than this build knows.

use rusqlite_migration::{Migrations, M};

use crate::db::{params, Db, Dialect};
use crate::error::{Result, StoreError};

const MIGRATION_SLICE: &[M<'static>] = &[
    M::up(include_str!("../migrations/sqlite/0001_initial.sql")).foreign_key_check(),
    M::up(include_str!(
        "../migrations/sqlite/0002_rules_audit_manifests.sql"
    ))
    .foreign_key_check(),
    M::up(include_str!("../migrations/sqlite/0003_rule_sequence.sql")),
    M::up(include_str!(
        "../migrations/sqlite/0004_escalation_queue.sql"
    ))
    .foreign_key_check(),
    M::up(include_str!(
        "../migrations/sqlite/0005_rate_limit_ledger.sql"
    ))
    .foreign_key_check(),
    M::up(include_str!("../migrations/sqlite/0006_a2a_agents.sql")).foreign_key_check(),
    M::up(include_str!(
        "../migrations/sqlite/0007_groups_and_incremental_reads.sql"
    ))
    .foreign_key_check(),
    M::up(include_str!(
        "../migrations/sqlite/0008_sessions_and_leases.sql"
    ))
    .foreign_key_check(),
    M::up(include_str!("../migrations/sqlite/0009_watchers.sql")),
    M::up(include_str!(
        "../migrations/sqlite/0010_texts_kept_once.sql"
    ))
    .foreign_key_check(),
    M::up(include_str!(
        "../migrations/sqlite/0011_counter_restarts.sql"
    )),
    M::up(include_str!(
        "../migrations/sqlite/0012_history_costs_readiness.sql"
    ))
    .foreign_key_check(),
    M::up(include_str!("../migrations/sqlite/0013_event_minutes.sql")).foreign_key_check(),
    M::up(include_str!(
        "../migrations/sqlite/0014_session_repositories.sql"
    )),
    M::up(include_str!("../migrations/sqlite/0015_parallel_edits.sql")).foreign_key_check(),
    M::up(include_str!(
        "../migrations/sqlite/0016_parallel_choices.sql"
    )),
    M::up(include_str!(
        "../migrations/sqlite/0017_leases_per_branch.sql"
    ))
    .foreign_key_check(),
    M::up(include_str!(
        "../migrations/sqlite/0018_session_base_drift.sql"
    )),
    // Watchers sharing one store (issue 33): leases per agent, outbox claims.
    M::up(include_str!(
        "../migrations/sqlite/0019_watchers_share_agents.sql"
    )),
    // People and machines on a shared store (issue 33): the host of decisions and sessions.
    M::up(include_str!(
        "../migrations/sqlite/0020_people_and_machines.sql"
    )),
    // Coding agents' usage and limit windows (issue 34).
    M::up(include_str!("../migrations/sqlite/0021_coding_usage.sql")),
    // A parallel edit is one item per repository (issue 30): its branches and pairs.
    M::up(include_str!(
        "../migrations/sqlite/0022_parallel_edits_per_repository.sql"
    ))
    .foreign_key_check(),
    // Gemini CLI and OpenCode sessions (issue 34): the sessions' client check takes them.
    M::up(include_str!(
        "../migrations/sqlite/0023_gemini_and_opencode_sessions.sql"
    ))
    .foreign_key_check(),
    // The change feed (issue 33, live everywhere): what each write changed, numbered in
    // commit order.
    M::up(include_str!("../migrations/sqlite/0024_change_feed.sql")),
    // Usage windows found by their key only (issue 33: the planner took the other index).
    M::up(include_str!(
        "../migrations/sqlite/0025_usage_windows_by_key.sql"
    )),
    // Autovacuum at a gentler pace on PostgreSQL's busy tables (issue 33); nothing on SQLite.
    M::up(include_str!(
        "../migrations/sqlite/0026_gentle_autovacuum.sql"
    )),
    // A watcher over its share offers leases and polls them until another takes them (issue
    // 33: agents moved between watchers lost a poll each).
    M::up(include_str!(
        "../migrations/sqlite/0027_watch_lease_offers.sql"
    )),
    // A task's history recorded per statement on PostgreSQL (issue 33); nothing on SQLite.
    M::up(include_str!(
        "../migrations/sqlite/0028_task_history_per_statement.sql"
    )),
    // Each task keeps the digest of its last reported text, so that a watcher taking an agent
    // over settles its unchanged tasks without reading their rows (issue 33).
    M::up(include_str!(
        "../migrations/sqlite/0029_task_reported_digest.sql"
    )),
    // A session's subagents, each a worker of its own (issue 58).
    M::up(include_str!("../migrations/sqlite/0030_subagents.sql")).foreign_key_check(),
    // Hook calls that went ahead unchecked, delivered from a spool; each machine's time to the
    // store (issue 58).
    M::up(include_str!(
        "../migrations/sqlite/0031_unchecked_calls.sql"
    ))
    .foreign_key_check(),
    // Routes to a person outside the app, what each sent, the answers taken (issue 60).
    M::up(include_str!("../migrations/sqlite/0032_notify_routes.sql")),
    // What each route sends and how often; digests and storms (issue 60).
    M::up(include_str!("../migrations/sqlite/0033_notify_policy.sql")),
    // A route's click URL, and how its reply stream fares (issue 60).
    M::up(include_str!(
        "../migrations/sqlite/0034_notify_route_click_and_stream.sql"
    )),
    // Agents heard through OpenTelemetry (issue 61).
    M::up(include_str!("../migrations/sqlite/0035_otel_agents.sql")).foreign_key_check(),
    // The coding clients' own telemetry joined to their sessions (issue 61).
    M::up(include_str!(
        "../migrations/sqlite/0036_client_telemetry.sql"
    )),
];

/// PostgreSQL's migrations: (the version it brings the store to, its SQL). The first is the
/// whole schema of its version.
pub(crate) const POSTGRES_MIGRATIONS: &[(i64, &str)] = &[
    (12, include_str!("../migrations/postgres/0012_baseline.sql")),
    (
        13,
        include_str!("../migrations/postgres/0013_event_minutes.sql"),
    ),
    (
        14,
        include_str!("../migrations/postgres/0014_session_repositories.sql"),
    ),
    (
        15,
        include_str!("../migrations/postgres/0015_parallel_edits.sql"),
    ),
    (
        16,
        include_str!("../migrations/postgres/0016_parallel_choices.sql"),
    ),
    (
        17,
        include_str!("../migrations/postgres/0017_leases_per_branch.sql"),
    ),
    (
        18,
        include_str!("../migrations/postgres/0018_session_base_drift.sql"),
    ),
    // Watchers sharing one store (issue 33): leases per agent, outbox claims.
    (
        19,
        include_str!("../migrations/postgres/0019_watchers_share_agents.sql"),
    ),
    // People and machines on a shared store (issue 33): the host of decisions and sessions,
    // the log's head moved by its owner's rights.
    (
        20,
        include_str!("../migrations/postgres/0020_people_and_machines.sql"),
    ),
    // Coding agents' usage and limit windows (issue 34).
    (
        21,
        include_str!("../migrations/postgres/0021_coding_usage.sql"),
    ),
    // A parallel edit is one item per repository (issue 30): its branches and pairs.
    (
        22,
        include_str!("../migrations/postgres/0022_parallel_edits_per_repository.sql"),
    ),
    // Gemini CLI and OpenCode sessions (issue 34): the sessions' client check takes them.
    (
        23,
        include_str!("../migrations/postgres/0023_gemini_and_opencode_sessions.sql"),
    ),
    // The change feed (issue 33, live everywhere): what each write changed, numbered in
    // commit order.
    (
        24,
        include_str!("../migrations/postgres/0024_change_feed.sql"),
    ),
    // Usage windows found by their key only (issue 33: the planner took the other index).
    (
        25,
        include_str!("../migrations/postgres/0025_usage_windows_by_key.sql"),
    ),
    // Autovacuum's pass over the tables every poll grows, spread out (issue 33: at 1,000 busy
    // agents its flat-out pass took a core from the writers every minute).
    (
        26,
        include_str!("../migrations/postgres/0026_gentle_autovacuum.sql"),
    ),
    // A watcher over its share offers leases and polls them until another takes them (issue
    // 33: agents moved between watchers lost a poll each).
    (
        27,
        include_str!("../migrations/postgres/0027_watch_lease_offers.sql"),
    ),
    // A task's history recorded once per statement, from transition tables (issue 33: the row
    // trigger was a third of a task upsert's time on the server at 1,000 busy agents).
    (
        28,
        include_str!("../migrations/postgres/0028_task_history_per_statement.sql"),
    ),
    // Each task keeps the digest of its last reported text (a taker's first poll, issue 33).
    (
        29,
        include_str!("../migrations/postgres/0029_task_reported_digest.sql"),
    ),
    // A session's subagents, each a worker of its own (issue 58).
    (
        30,
        include_str!("../migrations/postgres/0030_subagents.sql"),
    ),
    // Hook calls that went ahead unchecked, delivered from a spool (issue 58).
    (
        31,
        include_str!("../migrations/postgres/0031_unchecked_calls.sql"),
    ),
    // Routes to a person outside the app (issue 60).
    (
        32,
        include_str!("../migrations/postgres/0032_notify_routes.sql"),
    ),
    // What each route sends and how often; digests and storms (issue 60).
    (
        33,
        include_str!("../migrations/postgres/0033_notify_policy.sql"),
    ),
    // A route's click URL, and how its reply stream fares (issue 60).
    (
        34,
        include_str!("../migrations/postgres/0034_notify_route_click_and_stream.sql"),
    ),
    // Agents heard through OpenTelemetry (issue 61); see ../sqlite/0035_otel_agents.sql.
    (
        35,
        include_str!("../migrations/postgres/0035_otel_agents.sql"),
    ),
    // The coding clients' own telemetry joined to their sessions (issue 61); see
    // ../sqlite/0036_client_telemetry.sql.
    (
        36,
        include_str!("../migrations/postgres/0036_client_telemetry.sql"),
    ),
];

/// Every migration, oldest first. Append only: never edit one that has shipped.
pub(crate) const MIGRATIONS: Migrations<'static> = Migrations::from_slice(MIGRATION_SLICE);

/// The schema version a fully migrated database has (on either engine).
pub const LATEST_VERSION: i64 = MIGRATION_SLICE.len() as i64;

/// How many times a migration beaten by another process is tried again.
const RACED_ATTEMPTS: usize = 64;

/// Brings a SQLite schema to the latest version. Several processes may open a new store at once
/// (coding agents' hooks each run `baton hook`): a migration fails when another process applied
/// it first (each runs in its own transaction, so nothing is half done), and is then tried
/// again from the version that process reached. A failure with no progress by anyone is an error.
pub(crate) fn migrate_sqlite(
    conn: &mut rusqlite::Connection,
) -> std::result::Result<(), rusqlite_migration::Error> {
    let version = |conn: &rusqlite::Connection| -> i64 {
        conn.query_row("PRAGMA user_version", [], |row| row.get(0))
            .unwrap_or(-1)
    };
    let mut attempt = 0;
    loop {
        let before = version(conn);
        match MIGRATIONS.to_latest(conn) {
            Ok(()) => return Ok(()),
            Err(err) => {
                attempt += 1;
                let after = version(conn);
                let someone_else = after > before || (before >= 0 && after == LATEST_VERSION);
                if !someone_else || attempt >= RACED_ATTEMPTS {
                    return Err(err);
                }
                tracing::debug!(
                    before,
                    after,
                    "another process migrated the store; trying again"
                );
            }
        }
    }
}

/// Brings a PostgreSQL schema to the latest version, in one transaction that holds the
/// migration lock (another process migrating at the same moment waits, then finds it done).
/// A database with tables of its own and no `baton_schema` is refused rather than mixed with.
pub(crate) fn migrate_postgres(db: &Db) -> Result<()> {
    let pg = db
        .as_postgres()
        .ok_or_else(|| StoreError::Writer("not a PostgreSQL store".into()))?;
    // Up to date (nearly every start, and every hook call): one read, no lock and no DDL, which
    // the roles that are not the store's owner (viewers, deciders) may not run.
    match db.query_row(
        "SELECT coalesce(max(version), 0) FROM baton_schema",
        params![],
        |r| r.get::<i64>(0),
    ) {
        Ok(found) if found == LATEST_VERSION => return Ok(()),
        Ok(found) if found > LATEST_VERSION => {
            return Err(StoreError::SchemaTooNew {
                found,
                supported: LATEST_VERSION,
            })
        }
        // A role with no right to read it: said as such, not as a schema to migrate.
        Err(err) if err.is_not_allowed() => return Err(err),
        // Older, or no Baton store yet (no `baton_schema`): migrate below.
        _ => {}
    }
    let migrated = migrate_postgres_locked(db, pg);
    match migrated {
        Err(err) if err.is_not_allowed() => {
            let (found, owner) = db
                .query_row(
                    "SELECT (SELECT coalesce(max(version), 0) FROM baton_schema),
                            (SELECT pg_get_userbyid(datdba)::text FROM pg_database
                              WHERE datname = current_database())",
                    params![],
                    |r| Ok((r.get::<i64>(0)?, r.get::<Option<String>>(1)?)),
                )
                .unwrap_or((0, None));
            Err(StoreError::MigrationNeedsOwner {
                found,
                needed: LATEST_VERSION,
                owner,
            })
        }
        other => other,
    }
}

/// [`migrate_postgres`] when the store is not up to date: in one transaction holding the
/// migration lock; the people's roles get their rights on what a migration added.
fn migrate_postgres_locked(db: &Db, pg: &crate::db::PgConn) -> Result<()> {
    pg.execute_batch("BEGIN")?;
    let done = (|| -> Result<()> {
        db.query_row(
            "SELECT pg_advisory_xact_lock(?1)",
            params![crate::db::postgres_migrate_lock()],
            |_| Ok(()),
        )?;
        db.execute_batch("CREATE TABLE IF NOT EXISTS baton_schema (version BIGINT NOT NULL)")?;
        let found: i64 = db.query_row(
            "SELECT coalesce(max(version), 0) FROM baton_schema",
            params![],
            |r| r.get(0),
        )?;
        if found > LATEST_VERSION {
            return Err(StoreError::SchemaTooNew {
                found,
                supported: LATEST_VERSION,
            });
        }
        if found == 0 {
            let tables: i64 = db.query_row(
                "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()
                    AND tablename <> 'baton_schema'",
                params![],
                |r| r.get(0),
            )?;
            if tables > 0 {
                return Err(StoreError::Corrupt(format!(
                    "the database already has {tables} table(s) that are not Baton's: give Baton a database of its own"
                )));
            }
        }
        for (version, sql) in POSTGRES_MIGRATIONS.iter().filter(|(v, _)| *v > found) {
            db.execute_batch(sql).map_err(|err| match err {
                StoreError::Postgres(err) => StoreError::Corrupt(format!(
                    "the PostgreSQL migration to version {version} failed: {}",
                    StoreError::Postgres(err)
                )),
                other => other,
            })?;
            tracing::info!(version, "migrated the PostgreSQL store");
        }
        db.execute("DELETE FROM baton_schema", params![])?;
        db.execute(
            "INSERT INTO baton_schema (version) VALUES (?1)",
            params![LATEST_VERSION],
        )?;
        db.execute_batch(crate::roles::PRIVILEGES_SQL)?;
        Ok(())
    })();
    match done {
        Ok(()) => pg.end_transaction("COMMIT"),
        Err(err) => {
            let _ = pg.end_transaction("ROLLBACK");
            Err(err)
        }
    }
}

/// The schema version of an open store.
pub(crate) fn version(db: &Db) -> Result<i64> {
    match db.dialect() {
        Dialect::Sqlite => db.query_row("PRAGMA user_version", params![], |r| r.get(0)),
        Dialect::Postgres => db.query_row(
            "SELECT coalesce(max(version), 0) FROM baton_schema",
            params![],
            |r| r.get(0),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid() {
        MIGRATIONS.validate().unwrap();
    }

    #[test]
    fn every_table_is_strict() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        MIGRATIONS.to_latest(&mut conn).unwrap();
        let mut stmt = conn
            .prepare("SELECT name, strict FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite_%'")
            .unwrap();
        let tables: Vec<(String, i64)> = stmt
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .collect::<std::result::Result<_, _>>()
            .unwrap();
        let names: Vec<&str> = tables.iter().map(|(n, _)| n.as_str()).collect();
        // Every table the store copies (all of them: the copy test checks that).
        for expected in crate::copy::ORDER {
            assert!(
                names.contains(expected),
                "missing table {expected}: {names:?}"
            );
        }
        for (name, strict) in &tables {
            assert_eq!(*strict, 1, "{name} is not STRICT");
        }
    }

    #[test]
    fn the_decision_log_is_append_only() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        MIGRATIONS.to_latest(&mut conn).unwrap();
        conn.execute(
            "INSERT INTO decisions (at, who, action, subject, prev_hash, hash)
             VALUES ('2026-05-01T12:00:00.000000000Z', 'ann', 'approve', 'escalation:1', '', 'h1')",
            [],
        )
        .unwrap();
        let update = conn.execute("UPDATE decisions SET who = 'bob'", []);
        assert!(update.unwrap_err().to_string().contains("append-only"));
        let delete = conn.execute("DELETE FROM decisions", []);
        assert!(delete.unwrap_err().to_string().contains("append-only"));
        let n: i64 = conn
            .query_row(
                "SELECT count(*) FROM decisions WHERE who = 'ann'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 1);
    }

    #[test]
    fn version_one_with_data_migrates_to_the_latest_keeping_it() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "foreign_keys", true).unwrap();
        MIGRATIONS.to_version(&mut conn, 1).unwrap();
        conn.execute_batch(
            "INSERT INTO agents (name, name_key, base_url, poll_interval_ms, timeout_ms, adapter,
                                 created_at)
             VALUES ('Researcher', 'researcher', 'http://127.0.0.1:7700/', 1000, 1000, 'baton',
                     '2026-05-01T12:00:00.000000000Z');
             INSERT INTO tasks (agent_id, task_id, title, state, state_since, first_seen_at,
                                updated_at)
             VALUES (1, 't-1', 'Task', 'working', 'x', 'x', 'x');
             INSERT INTO rules (kind, pattern, owner, created_at, updated_at)
             VALUES ('data', 'crm://contacts/*#status', 'Researcher', 'x', 'x');
             INSERT INTO decisions (at, who, action, subject, prev_hash, hash)
             VALUES ('2026-05-01T12:00:00.000000000Z', 'ann', 'approve', 'escalation:1', '',
                     'h1');
             INSERT INTO usage_samples (agent_id, api, key, window_start, window_seconds,
                                        requests, tokens, rate_limited, reported_at)
             VALUES (1, 'openai', '', '2026-05-01T12:00:00.000000000Z', 120, 5, 100, 1, 'x');
             INSERT INTO events (agent_id, seq, at, kind, raw, received_at)
             VALUES (1, 7, '2026-05-01T12:00:30.250000000Z', 'api_call',
                     '{\"seq\":7,\"at\":\"2026-05-01T12:00:30.25Z\",\"kind\":\"api_call\",\"api\":\"openai\",\"status\":429,\"tokens\":40}',
                     'x'),
                    (1, 8, '2026-05-01T12:03:00.000000000Z', 'write',
                     '{\"seq\":8,\"at\":\"2026-05-01T12:03:00Z\",\"kind\":\"write\",\"resource\":\"a://b\"}',
                     'x');",
        )
        .unwrap();
        MIGRATIONS.to_latest(&mut conn).unwrap();
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, LATEST_VERSION);
        assert_eq!(LATEST_VERSION, 36);
        let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
        assert_eq!(
            count("SELECT count(*) FROM agents WHERE name = 'Researcher' AND adapter = 'baton'"),
            1
        );
        // 0006 and 0008 widened the adapter's CHECK, and it still checks.
        assert!(conn
            .execute("UPDATE agents SET adapter = 'grpc'", [])
            .is_err());
        conn.execute("UPDATE agents SET adapter = 'session'", [])
            .unwrap();
        // 0035 widened it to agents heard through OpenTelemetry.
        conn.execute("UPDATE agents SET adapter = 'otlp'", [])
            .unwrap();
        conn.execute("UPDATE agents SET adapter = 'baton'", [])
            .unwrap();
        // 0025 made the sessions table again with a client check that takes Gemini CLI and
        // OpenCode, and still checks.
        let session = |client: &str| {
            conn.execute(
                "INSERT INTO sessions (agent_id, client, session_id, started_at, last_seen_at)
                 VALUES (1, ?1, 's', 'x', 'x')",
                [client],
            )
        };
        assert!(session("emacs").is_err());
        session("opencode").unwrap();
        conn.execute("DELETE FROM sessions", []).unwrap();
        // 0013: the events from before counted per minute (12:00 and 12:03, 2026-05-01).
        assert_eq!(
            count(
                "SELECT count(*) FROM event_minutes
                  WHERE (minute, kind, events) IN ((1777636800, 'api_call', 1),
                                                   (1777636980, 'write', 1))"
            ),
            2
        );
        // … and their times in milliseconds.
        assert_eq!(
            count("SELECT sum(at_ms) FROM events"),
            1_777_636_830_250 + 1_777_636_980_000
        );
        // 0009: one row per kind of watcher, named.
        conn.execute(
            "INSERT INTO watchers (kind, seen_at) VALUES ('engine', 'x')",
            [],
        )
        .unwrap();
        assert!(conn
            .execute(
                "INSERT INTO watchers (kind, seen_at) VALUES ('engine', 'y')",
                []
            )
            .is_err());
        assert!(conn
            .execute("INSERT INTO watchers (kind, seen_at) VALUES ('', 'y')", [])
            .is_err());
        // 0010: events from before read back through the view as they were; a text's hash is
        // a SHA-256.
        assert_eq!(
            count(
                "SELECT count(*) FROM events_as_sent e JOIN events USING (agent_id, seq)
                    WHERE e.raw = events.raw"
            ),
            count("SELECT count(*) FROM events")
        );
        assert!(conn
            .execute(
                "INSERT INTO texts (hash, body) VALUES (x'00', 'short hash')",
                []
            )
            .is_err());
        assert_eq!(count("SELECT count(*) FROM tasks WHERE task_id = 't-1'"), 1);
        assert_eq!(
            count("SELECT count(*) FROM rules WHERE owner = 'Researcher'"),
            1
        );
        assert_eq!(
            count("SELECT count(*) FROM decisions WHERE who = 'ann' AND detail IS NULL"),
            1
        );
        // The ledger starts from what was stored: the report spread over its two minutes (3 + 2
        // requests), the event counted in its minute; the larger of the two per minute.
        let minute = |m: i64, col: &str| -> i64 {
            count(&format!(
                "SELECT max(ev_{col}, rp_{col}) FROM api_minutes
                  WHERE api = 'openai' AND minute = {} + 60 * {m}",
                1_777_636_800
            ))
        };
        assert_eq!((minute(0, "requests"), minute(1, "requests")), (3, 2));
        assert_eq!((minute(0, "tokens"), minute(0, "429")), (50, 1));
        assert_eq!(
            count("SELECT first_429_seq FROM api_minutes WHERE minute = 1777636800"),
            7
        );
        assert_eq!(count("SELECT count(*) FROM api_minutes"), 2);
        // The new column checks its JSON; the new table cascades with its agent.
        let bad = conn.execute(
            "INSERT INTO decisions (at, who, action, subject, prev_hash, hash, detail)
             VALUES ('x', 'ann', 'a', 's', 'h1', 'h2', 'not json')",
            [],
        );
        assert!(bad.is_err());
        conn.execute(
            "INSERT INTO manifests (agent_id, source, declares, updated_at)
             VALUES (1, 'user', '{\"triggers\":[],\"reads\":[],\"writes\":[],\"outputs\":[]}', 'x')",
            [],
        )
        .unwrap();
        conn.execute("DELETE FROM agents WHERE id = 1", []).unwrap();
        assert_eq!(count("SELECT count(*) FROM manifests"), 0);
        // Rules from before 0003 have an empty sequence, and it checks its JSON too.
        assert_eq!(count("SELECT count(*) FROM rules WHERE sequence = '[]'"), 1);
        assert!(conn
            .execute("UPDATE rules SET sequence = 'nope'", [])
            .is_err());
        // Still append-only after the migration.
        assert!(conn.execute("DELETE FROM decisions", []).is_err());
    }
}
