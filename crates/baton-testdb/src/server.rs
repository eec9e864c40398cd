//! A PostgreSQL server in a folder of its own: `initdb` + `pg_ctl`, as the unprivileged
//! `postgres` user when the tests run as root (which `initdb` refuses), on a free port of
//! 127.0.0.1 and a Unix socket in that folder, with `trust` authentication.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::url_as;

/// A running server: this process's own, or the one the run's test processes share.
#[derive(Debug)]
pub struct PgServer {
    pub(crate) dir: PathBuf,
    pub(crate) bin: PathBuf,
    pub(crate) port: u16,
    /// The run's shared server is never stopped by a test (others are using it).
    pub(crate) shared: bool,
    databases: AtomicU32,
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
        let name = self.unique_name("baton_test");
        self.sql("postgres", &format!("CREATE DATABASE {name}"))
            .unwrap_or_else(|why| panic!("cannot create test database {name}: {why}"));
        self.url(&name)
    }

    /// A new database copied from the template `template`, which `make` (given the template's
    /// URL) builds once per server, for the first test of the run that asks; its URL. What
    /// every test of a suite starts from (the store's schema, migrated) is then made once, not
    /// in each test: a copy takes a third of the time the store's migrations take. The name
    /// says what the template holds (with the schema's version, say), as `make` makes it.
    pub fn fresh_database_from(
        &self,
        template: &str,
        make: impl FnOnce(&str) -> Result<(), String>,
    ) -> String {
        self.template(template, make)
            .unwrap_or_else(|why| panic!("cannot make the template database {template}: {why}"));
        let name = self.unique_name("baton_test");
        self.sql(
            "postgres",
            &format!("CREATE DATABASE {name} TEMPLATE {template}"),
        )
        .unwrap_or_else(|why| panic!("cannot create test database {name}: {why}"));
        self.url(&name)
    }

    /// The template `template`, made by `make` unless it is there: one process of the run makes
    /// it (under a lock beside the server), the others wait and find it. A template is marked
    /// one (`IS_TEMPLATE`) only once it is whole, so one a killed process left half made is
    /// made again.
    fn template(
        &self,
        template: &str,
        make: impl FnOnce(&str) -> Result<(), String>,
    ) -> Result<(), String> {
        let whole = || {
            self.sql(
                "postgres",
                &format!(
                    "SELECT count(*) FROM pg_database WHERE datname = '{template}' AND datistemplate"
                ),
            )
            .map(|count| count == "1")
        };
        if whole()? {
            return Ok(());
        }
        let _one_maker = crate::lock::Lock::take(&self.dir.join(format!("{template}.lock")))?;
        if whole()? {
            return Ok(());
        }
        self.sql("postgres", &format!("DROP DATABASE IF EXISTS {template}"))?;
        self.sql("postgres", &format!("CREATE DATABASE {template}"))?;
        make(&self.url(template))?;
        self.sql(
            "postgres",
            &format!("ALTER DATABASE {template} IS_TEMPLATE true"),
        )
        .map(drop)
    }

    /// A new role that can log in, unique to this process, named `<prefix>_<pid>_<n>` (no
    /// password: the server trusts 127.0.0.1).
    pub fn login_role(&self, prefix: &str) -> String {
        let name = self.unique_name(prefix);
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

    /// `<prefix>_<pid>_<start of this process>_<n>`: unique among the run's processes, whose
    /// ids the system may give again once one has ended (the databases outlive them).
    fn unique_name(&self, prefix: &str) -> String {
        static STAMP: OnceLock<u128> = OnceLock::new();
        let stamp = STAMP.get_or_init(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_micros() % 1_000_000_000)
                .unwrap_or_default()
        });
        let n = self.databases.fetch_add(1, Ordering::SeqCst);
        format!("{prefix}_{}_{stamp}_{n}", std::process::id())
    }

    /// Stops the server at once (as a crash or an outage would); [`PgServer::start_again`]
    /// brings it back on the same port with the same data. Only a server of this process's
    /// own ([`crate::own_server`]): the run's shared one serves other tests.
    pub fn stop(&self) -> Result<(), String> {
        self.refuse_if_shared("stop")?;
        self.pg_ctl(&["-m", "immediate", "stop"])
    }

    pub fn start_again(&self) -> Result<(), String> {
        self.refuse_if_shared("restart")?;
        self.start_server()
    }

    fn start_server(&self) -> Result<(), String> {
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
        self.refuse_if_shared("restart with TLS")?;
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

    fn refuse_if_shared(&self, what: &str) -> Result<(), String> {
        if self.shared {
            return Err(format!(
                "the run's shared PostgreSQL is not to {what}: use baton_testdb::own_server()"
            ));
        }
        Ok(())
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

    /// A server of this process's own, in a new temporary folder, stopped when this process ends.
    pub(crate) fn start_own() -> Result<PgServer, String> {
        let dir = std::env::temp_dir().join(format!(
            "baton-pg-{}-{}",
            std::process::id(),
            Instant::now().elapsed().as_nanos()
        ));
        PgServer::start_in(dir, std::process::id(), false)
    }

    /// Starts a server in `dir` (created here), stopped and removed once the process `watched`
    /// has ended.
    pub(crate) fn start_in(dir: PathBuf, watched: u32, shared: bool) -> Result<PgServer, String> {
        let bin = bin_dir().ok_or("no PostgreSQL binaries under /usr/lib/postgresql (apt-get install postgresql, or set BATON_PG_BIN)")?;
        // What a start that failed half way left (the shared folder's, under its lock).
        let _ = std::fs::remove_dir_all(&dir);
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
        let server = PgServer::at(dir, bin, crate::try_free_port()?, shared);
        server.watch(watched);
        let started = Instant::now();
        loop {
            match server.start_server() {
                Ok(()) => break,
                Err(why) if started.elapsed() > Duration::from_secs(30) => return Err(why),
                Err(_) => std::thread::sleep(Duration::from_millis(200)),
            }
        }
        Ok(server)
    }

    /// A server already running in `dir` on `port`.
    pub(crate) fn at(dir: PathBuf, bin: PathBuf, port: u16, shared: bool) -> PgServer {
        PgServer {
            dir,
            bin,
            port,
            shared,
            databases: AtomicU32::new(0),
        }
    }

    /// The command that stops this server at once (`runuser` when the tests run as root).
    pub(crate) fn stop_command(&self) -> String {
        let data = self.dir.join("data").display().to_string();
        if running_as_root() {
            format!(
                "runuser -u postgres -- '{}' -D '{data}' -m immediate stop",
                self.bin.join("pg_ctl").display()
            )
        } else {
            format!(
                "'{}' -D '{data}' -m immediate stop",
                self.bin.join("pg_ctl").display()
            )
        }
    }

    /// A process that outlives nothing: it stops the server and removes its folder once the
    /// process `pid` has ended, however it ended.
    fn watch(&self, pid: u32) {
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; {stop} >/dev/null 2>&1; rm -rf '{dir}'",
            stop = self.stop_command(),
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
pub(crate) fn bin_dir() -> Option<PathBuf> {
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
