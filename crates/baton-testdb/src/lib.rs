//! A throwaway PostgreSQL for tests: one server per test process, started on first use in a
//! temporary folder (`initdb` + `pg_ctl`, as the unprivileged `postgres` user when the tests run
//! as root, which `initdb` refuses), on a free port of 127.0.0.1 and a Unix socket in that
//! folder, with `trust` authentication; and a fresh database for each test that asks.
//!
//! The server is stopped, and its folder removed, when the test process ends (a watchdog
//! process waits for it), so a failed or killed test leaves nothing running.
//!
//! The store's tests run as one suite on both engines: [`store_url`] answers `:memory:` (a
//! private SQLite store), or with `BATON_TEST_STORE=postgres` the URL of a fresh database.
//! `scripts/test.sh` runs the suites once each way. No Docker and no download: the server is
//! Debian's `postgresql` package (`scripts/setup.sh --test` installs it).
//!
//! Beside it, [`git::git`]: the one git runner of the tests that build real repositories; and
//! [`free_port`], the one way tests find a port for a server, safe across test processes.

pub mod git;
mod ports;

pub use ports::{free_port, try_free_port};

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

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

/// A running server of this process.
#[derive(Debug)]
pub struct PgServer {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
    databases: AtomicU32,
}

/// The server of this test process, started on first use. Panics with the reason when none can
/// start (no PostgreSQL installed: run `scripts/setup.sh --test`).
pub fn server() -> &'static PgServer {
    static SERVER: OnceLock<Result<PgServer, String>> = OnceLock::new();
    match SERVER.get_or_init(PgServer::start) {
        Ok(server) => server,
        Err(why) => panic!("cannot start a test PostgreSQL: {why}"),
    }
}

impl PgServer {
    /// `postgres://postgres@127.0.0.1:<port>/<database>`.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// The folder of the Unix socket (`host=` this folder, as libpq spells it).
    pub fn socket_dir(&self) -> &Path {
        &self.dir
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The folder of the server's binaries (`psql`, `pg_ctl`, …).
    pub fn bin_dir(&self) -> &Path {
        &self.bin
    }

    /// A new, empty database; its URL.
    pub fn fresh_database(&self) -> String {
        let n = self.databases.fetch_add(1, Ordering::SeqCst);
        let name = format!("baton_test_{}_{n}", std::process::id());
        self.sql("postgres", &format!("CREATE DATABASE {name}"))
            .unwrap_or_else(|why| panic!("cannot create test database {name}: {why}"));
        self.url(&name)
    }

    /// A new role that can log in, unique to this process, named `<prefix>_<pid>_<n>` (no
    /// password: the server trusts 127.0.0.1).
    pub fn login_role(&self, prefix: &str) -> String {
        let n = self.databases.fetch_add(1, Ordering::SeqCst);
        let name = format!("{prefix}_{}_{n}", std::process::id());
        self.sql("postgres", &format!("CREATE ROLE {name} LOGIN"))
            .unwrap_or_else(|why| panic!("cannot create role {name}: {why}"));
        name
    }

    /// A new, empty database owned by the role `owner` (not a superuser: the store's tables
    /// become its own, as on a server set up as docs/team.md says); its URL, connecting as
    /// `owner`.
    pub fn fresh_database_owned_by(&self, owner: &str) -> String {
        let url = self.fresh_database();
        let database = url.rsplit('/').next().unwrap_or_default().to_owned();
        self.sql(
            "postgres",
            &format!("ALTER DATABASE {database} OWNER TO {owner}"),
        )
        .unwrap_or_else(|why| panic!("cannot give {database} to {owner}: {why}"));
        url_as(&url, owner)
    }

    /// Runs SQL through `psql` on `database` as the superuser; its output.
    pub fn sql(&self, database: &str, sql: &str) -> Result<String, String> {
        let out = Command::new(self.bin.join("psql"))
            .args([
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                "127.0.0.1",
            ])
            .args([
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                "-d",
                database,
            ])
            .args(["-c", sql])
            .output()
            .map_err(|e| format!("psql: {e}"))?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
        }
    }

    /// Stops the server at once (as a crash or an outage would); [`PgServer::start_again`]
    /// brings it back on the same port with the same data.
    pub fn stop(&self) -> Result<(), String> {
        self.pg_ctl(&["-m", "immediate", "stop"])
    }

    pub fn start_again(&self) -> Result<(), String> {
        self.pg_ctl(&[
            "-w",
            "-t",
            "30",
            "-o",
            &self.options(),
            "-l",
            &self.log(),
            "start",
        ])
    }

    /// Restarts the server with TLS on, its certificate and key made by `openssl` for the
    /// names given (`DNS:localhost`, `IP:127.0.0.1`, …), self-signed; the certificate's path (a
    /// client trusts it with `sslrootcert=`).
    pub fn restart_with_tls(&self, names: &str) -> Result<PathBuf, String> {
        let cert = self.dir.join("server.crt");
        let key = self.dir.join("server.key");
        let out = Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
            ])
            .args(["-nodes", "-days", "2", "-subj", "/CN=baton-test"])
            .args(["-addext", &format!("subjectAltName={names}")])
            .args(["-addext", "basicConstraints=critical,CA:FALSE"])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .output()
            .map_err(|e| format!("openssl: {e}"))?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        for (file, mode) in [(&cert, "644"), (&key, "600")] {
            Command::new("chmod")
                .arg(mode)
                .arg(file)
                .status()
                .map_err(|e| format!("chmod: {e}"))?;
            if running_as_root() {
                Command::new("chown")
                    .arg("postgres:postgres")
                    .arg(file)
                    .status()
                    .map_err(|e| format!("chown: {e}"))?;
            }
        }
        self.stop()?;
        let options = format!(
            "{} -c ssl=on -c ssl_cert_file={} -c ssl_key_file={}",
            self.options(),
            cert.display(),
            key.display()
        );
        self.pg_ctl(&["-w", "-t", "30", "-o", &options, "-l", &self.log(), "start"])?;
        Ok(cert)
    }

    fn options(&self) -> String {
        // Tests skip fsync (a crash of the machine loses a test database, nothing else);
        // benchmarks keep PostgreSQL's defaults (BATON_TEST_PG_FSYNC=on).
        let fsync = match std::env::var("BATON_TEST_PG_FSYNC").as_deref() {
            Ok("on") => "",
            _ => "-c fsync=off ",
        };
        // Benchmarks may add settings of their own (e.g. `-c
        // shared_preload_libraries=pg_stat_statements` to see where the server's time goes).
        let extra = std::env::var("BATON_TEST_PG_OPTIONS").unwrap_or_default();
        format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 {fsync}-c max_connections=300 {extra}",
            self.port,
            self.dir.display()
        )
    }

    fn log(&self) -> String {
        self.dir.join("server.log").display().to_string()
    }

    fn pg_ctl(&self, args: &[&str]) -> Result<(), String> {
        let data = self.dir.join("data").display().to_string();
        let mut all = vec!["-D", &data];
        all.extend_from_slice(args);
        run_as_server_user(&self.bin.join("pg_ctl"), &all)
    }

    fn start() -> Result<PgServer, String> {
        let bin = bin_dir().ok_or("no PostgreSQL binaries under /usr/lib/postgresql (apt-get install postgresql, or set BATON_PG_BIN)")?;
        let dir = std::env::temp_dir().join(format!(
            "baton-pg-{}-{}",
            std::process::id(),
            Instant::now().elapsed().as_nanos()
        ));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        if running_as_root() {
            let chown = Command::new("chown")
                .args(["postgres:postgres", &dir.display().to_string()])
                .status()
                .map_err(|e| format!("chown: {e}"))?;
            if !chown.success() {
                return Err("cannot give the test folder to the postgres user".into());
            }
        }
        let data = dir.join("data").display().to_string();
        run_as_server_user(
            &bin.join("initdb"),
            &[
                "-D",
                &data,
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        )?;
        let server = PgServer {
            port: try_free_port()?,
            dir,
            bin,
            databases: AtomicU32::new(0),
        };
        server.watch_parent();
        let started = Instant::now();
        loop {
            match server.start_again() {
                Ok(()) => break,
                Err(why) if started.elapsed() > Duration::from_secs(30) => return Err(why),
                Err(_) => std::thread::sleep(Duration::from_millis(200)),
            }
        }
        Ok(server)
    }

    /// A process that outlives nothing: it stops the server and removes its folder once this
    /// test process has ended, however it ended.
    fn watch_parent(&self) {
        let data = self.dir.join("data").display().to_string();
        let stop = if running_as_root() {
            format!(
                "runuser -u postgres -- '{}' -D '{data}' -m immediate stop",
                self.bin.join("pg_ctl").display()
            )
        } else {
            format!(
                "'{}' -D '{data}' -m immediate stop",
                self.bin.join("pg_ctl").display()
            )
        };
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; {stop} >/dev/null 2>&1; rm -rf '{dir}'",
            pid = std::process::id(),
            dir = self.dir.display()
        );
        let _ = Command::new("setsid")
            .args(["sh", "-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
    }
}

fn running_as_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Runs a server binary as the `postgres` user when this process is root, else as itself.
fn run_as_server_user(program: &Path, args: &[&str]) -> Result<(), String> {
    let mut command = if running_as_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    };
    let out = command
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{}: {e}", program.display()))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{} failed: {}{}",
            program.display(),
            String::from_utf8_lossy(&out.stdout).trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// `BATON_PG_BIN`, else the newest `/usr/lib/postgresql/<version>/bin` that has `initdb`.
fn bin_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("BATON_PG_BIN") {
        return Some(PathBuf::from(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let version = e.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}
