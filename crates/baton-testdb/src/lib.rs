//! A throwaway PostgreSQL for tests, and a fresh database for each test that asks: the run's
//! shared server ([`server`]: one for all the test processes of a run when
//! `BATON_TEST_PG_SHARED` names its folder, as `scripts/test.sh` does; else one per test
//! process, started on first use), or a server of a test's own ([`own_server`]) for the tests
//! that stop it, restart it or turn TLS on. Each runs in a temporary folder (`initdb` +
//! `pg_ctl`), on a free port of 127.0.0.1 with `trust` authentication.
//!
//! A server is stopped, and its folder removed, when the process it serves ends (a watchdog
//! process waits for it), so a failed or killed test leaves nothing running.
//!
//! The store's tests run as one suite on both engines: [`store_url`] answers `:memory:` (a
//! private SQLite store), or with `BATON_TEST_STORE=postgres` the URL of a fresh database.
//! `scripts/test.sh` runs the suites once each way. No Docker and no download: the server is
//! Debian's `postgresql` package (`scripts/setup.sh --test` installs it).
//!
//! Beside it, [`git::git`]: the one git runner of the tests that build real repositories;
//! [`free_port`], the one way tests find a port for a server, safe across test processes; and
//! [`delay::DelayProxy`], a server as if a round trip away.

pub mod delay;
pub mod git;
mod lock;
mod ports;
mod server;
mod shared;

use std::sync::OnceLock;

pub use ports::{free_port, try_free_port};
pub use server::PgServer;
pub use shared::SHARED_ENV;

/// The environment variable that picks the engine of the tests' stores.
pub const ENGINE_ENV: &str = "BATON_TEST_STORE";

/// The engine the tests' stores use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// `postgres` (or `postgresql`, `pg`) in [`ENGINE_ENV`] means PostgreSQL; anything else SQLite.
pub fn engine() -> Engine {
    match std::env::var(ENGINE_ENV).as_deref() {
        Ok("postgres" | "postgresql" | "pg") => Engine::Postgres,
        _ => Engine::Sqlite,
    }
}

/// Where a test's store lives: `:memory:` for SQLite, or a fresh PostgreSQL database.
pub fn store_url() -> String {
    match engine() {
        Engine::Sqlite => ":memory:".to_owned(),
        Engine::Postgres => server().fresh_database(),
    }
}

/// Where a test's store lives when it starts in the schema of version `schema_version`: `:memory:`
/// for SQLite (a store migrates itself as it opens), or on PostgreSQL a fresh copy of a
/// database `migrate` (given its URL) brought to that version once for the run
/// ([`PgServer::fresh_database_from`]): `migrated_store_url(LATEST_VERSION, Store::migrate_at)`.
pub fn migrated_store_url<E: std::fmt::Display>(
    schema_version: i64,
    migrate: impl FnOnce(&str) -> Result<(), E>,
) -> String {
    match engine() {
        Engine::Sqlite => ":memory:".to_owned(),
        Engine::Postgres => server()
            .fresh_database_from(&format!("baton_schema_v{schema_version}"), |url| {
                migrate(url).map_err(|e| e.to_string())
            }),
    }
}

/// Runs SQL through `psql` on the database a [`store_url`] names; its output.
pub fn sql_at(url: &str, sql: &str) -> Result<String, String> {
    let database = url.rsplit('/').next().unwrap_or_default();
    server().sql(database, sql)
}

/// `url` (a `postgres://user@host/…` URL of this server) connecting as `user` instead.
pub fn url_as(url: &str, user: &str) -> String {
    match url.split_once("://").and_then(|(scheme, rest)| {
        rest.split_once('@')
            .map(|(_, host)| format!("{scheme}://{user}@{host}"))
    }) {
        Some(url) => url,
        None => panic!("{url} names no user"),
    }
}

/// The server the tests share: the run's ([`SHARED_ENV`]), else this test process's own,
/// started on first use. Panics with the reason when none can start (no PostgreSQL installed:
/// run `scripts/setup.sh --test`).
pub fn server() -> &'static PgServer {
    static SERVER: OnceLock<Result<PgServer, String>> = OnceLock::new();
    let server = SERVER.get_or_init(|| match std::env::var_os(SHARED_ENV) {
        Some(folder) if !folder.is_empty() => shared::shared_in(std::path::Path::new(&folder)),
        _ => PgServer::start_own(),
    });
    match server {
        Ok(server) => server,
        Err(why) => panic!("cannot start a test PostgreSQL: {why}"),
    }
}

/// A server of this test process's own, started on first use, for a test that stops it,
/// restarts it or changes its settings (an outage, TLS): never the run's shared one.
pub fn own_server() -> &'static PgServer {
    static SERVER: OnceLock<Result<PgServer, String>> = OnceLock::new();
    match SERVER.get_or_init(PgServer::start_own) {
        Ok(server) => server,
        Err(why) => panic!("cannot start a test PostgreSQL: {why}"),
    }
}
