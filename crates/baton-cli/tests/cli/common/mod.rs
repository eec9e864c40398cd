//! Helpers shared by the integration tests: the real `baton` binary, run as a child process with a
//! data directory of its own. Not every test file uses every helper.
#![allow(dead_code)]

use std::io::{BufReader, Read};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// Longest any one `baton` run may take before the test gives up on it.
pub const RUN_LIMIT: Duration = Duration::from_secs(60);

/// What one finished run of `baton` left behind.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Both streams, for assertion messages and for "never printed" checks.
    pub fn all(&self) -> String {
        format!("--- stdout\n{}--- stderr\n{}", self.stdout, self.stderr)
    }

    pub fn expect_code(&self, code: i32) -> &Run {
        assert_eq!(self.code, Some(code), "exit code\n{}", self.all());
        self
    }

    /// Fails (showing both streams) unless stdout says `text`.
    #[track_caller]
    pub fn expect_stdout(&self, text: &str) -> &Run {
        assert!(
            self.stdout.contains(text),
            "stdout lacks {text:?}\n{}",
            self.all()
        );
        self
    }

    /// Fails (showing both streams) unless stderr says `text`.
    #[track_caller]
    pub fn expect_stderr(&self, text: &str) -> &Run {
        assert!(
            self.stderr.contains(text),
            "stderr lacks {text:?}\n{}",
            self.all()
        );
        self
    }
}

/// `baton <nothing yet>`, with nothing inherited that could point elsewhere.
pub fn baton_command() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_baton"));
    cmd.env_remove("BATON_DATA_DIR")
        .env_remove("BATON_STORE")
        .env_remove("BATON_LOG")
        .env_remove("USER")
        .env_remove("BATON_USER")
        // No Secret Service can answer: keyring behaviour is the same on every machine.
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/baton-test-bus",
        )
        .stdin(Stdio::null());
    cmd
}

/// A test's own directory: `data/` for the store, config files next to it. With
/// `BATON_TEST_STORE=postgres` the store is a fresh PostgreSQL database instead (every `baton`
/// run gets it as `BATON_STORE`), the data folder still holds the rest.
pub struct Sandbox {
    dir: TempDir,
    store: Option<String>,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        Sandbox {
            dir: tempfile::tempdir().expect("temp dir"),
            store: match baton_testdb::engine() {
                baton_testdb::Engine::Sqlite => None,
                baton_testdb::Engine::Postgres => Some(baton_testdb::migrated_store_url(
                    baton_store::LATEST_VERSION,
                    baton_store::Store::migrate_at,
                )),
            },
        }
    }

    /// A sandbox whose store is a database on `server` (a server of the test's own, which it
    /// stops and starts).
    pub fn on_server(server: &baton_testdb::PgServer) -> Sandbox {
        Sandbox {
            dir: tempfile::tempdir().expect("temp dir"),
            store: Some(server.fresh_database()),
        }
    }

    /// The store's URL when it is a PostgreSQL database.
    pub fn store_url(&self) -> Option<&str> {
        self.store.as_deref()
    }

    /// Where the test's store is.
    pub fn location(&self) -> baton_store::StoreLocation {
        match &self.store {
            Some(url) => baton_store::StoreLocation::parse(url).expect("a store URL"),
            None => baton_store::StoreLocation::Sqlite(self.db_path()),
        }
    }

    /// The store, opened from the test.
    pub fn open_store_result(&self) -> baton_store::Result<baton_store::Store> {
        baton_store::Store::open_at(&self.location())
    }

    /// The test's place (its data folder and store), as `baton` resolves it.
    pub fn place(&self) -> baton_store::StorePlace {
        baton_store::StorePlace {
            anchor: self.db_path(),
            location: self.location(),
            source: baton_store::PlaceSource::Given,
        }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn db_path(&self) -> PathBuf {
        self.data_dir().join("baton.sqlite3")
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, text).expect("write file");
        path
    }

    /// `baton --data-dir <data> <args>`, run in the sandbox directory, with `USER` unset.
    pub fn baton(&self, args: &[&str]) -> Command {
        let mut cmd = baton_command();
        cmd.current_dir(self.dir.path())
            .arg("--data-dir")
            .arg(self.data_dir())
            .args(args);
        if let Some(url) = &self.store {
            cmd.env("BATON_STORE", url);
        }
        cmd
    }

    /// [`Sandbox::baton`] with `USER` set to `user` (or left unset), run to its end.
    pub fn run_as(&self, user: Option<&str>, args: &[&str]) -> Run {
        let mut cmd = self.baton(args);
        if let Some(user) = user {
            cmd.env("USER", user);
        }
        run(cmd)
    }

    /// [`Sandbox::run_as`] user `tester`.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_as(Some("tester"), args)
    }
}

/// Reads a pipe to its end on a thread of its own (so a full pipe never blocks the child).
fn drain(pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = BufReader::new(pipe).read_to_string(&mut text);
        text
    })
}

/// Runs the command to its end, killing it (and failing) if it takes longer than [`RUN_LIMIT`].
pub fn run(mut cmd: Command) -> Run {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start baton");
    let stdout = drain(child.stdout.take().expect("stdout"));
    let stderr = drain(child.stderr.take().expect("stderr"));
    let deadline = Instant::now() + RUN_LIMIT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for baton") {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let run = Run {
        code: status.and_then(|s| s.code()),
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    };
    assert!(
        status.is_some(),
        "baton ran longer than {RUN_LIMIT:?}\n{}",
        run.all()
    );
    run
}

/// A `baton.toml` listing every agent of a simulated fleet, polled every `interval_ms`.
pub fn fleet_config(fleet: &baton_sim::SimFleet, interval_ms: u64, timeout_ms: u64) -> String {
    fleet
        .agents()
        .iter()
        .map(|a| {
            format!(
                "[[agents]]\nname = \"{}\"\nurl = \"{}\"\nprotocol = \"baton\"\npoll_interval_ms = {interval_ms}\ntimeout_ms = {timeout_ms}\n\n",
                a.name, a.base_url
            )
        })
        .collect()
}

/// A fleet of `agents` simulated agents on 127.0.0.1, each with something new every 200 ms.
pub async fn busy_fleet(agents: usize) -> baton_sim::SimFleet {
    baton_sim::SimFleet::start(baton_sim::SimConfig {
        agents,
        base_port: 0,
        tick_ms: 200,
        ..baton_sim::SimConfig::default()
    })
    .await
    .expect("start the fleet")
}
pub mod watchers;
