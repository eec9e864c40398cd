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
}

/// `baton <nothing yet>`, with nothing inherited that could point elsewhere.
pub fn baton_command() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_baton"));
    cmd.env_remove("BATON_DATA_DIR")
        .env_remove("BATON_LOG")
        .env_remove("USER")
        // No Secret Service can answer: keyring behaviour is the same on every machine.
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/baton-test-bus",
        )
        .stdin(Stdio::null());
    cmd
}

/// A test's own directory: `data/` for the store, config files next to it.
pub struct Sandbox {
    dir: TempDir,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        Sandbox {
            dir: tempfile::tempdir().expect("temp dir"),
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
