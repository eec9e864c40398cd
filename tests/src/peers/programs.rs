//! Finding and starting the peers' programs: the PyPI peers' virtualenv, the coding-agent CLIs
//! from npm, the debug `baton`, a peer that says `READY <url>` once it serves. The peers'
//! modules import from here.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::workspace_root;

/// The Python virtualenv holding the peers.
pub fn peers_venv() -> PathBuf {
    std::env::var_os("BATON_PEERS_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".venv-peers"))
}

/// A program of the peers' virtualenv; panics with how to install it when it is missing.
pub fn peer_program(name: &str) -> PathBuf {
    let path = peers_venv().join("bin").join(name);
    assert!(
        path.exists(),
        "{} is missing: run `scripts/setup.sh --test` (it installs the PyPI peers into {})",
        path.display(),
        peers_venv().display()
    );
    path
}

/// A coding-agent CLI installed from npm into `.peers-node/` by `scripts/setup.sh --test`
/// (`bin`: its command, e.g. `claude`), or where the environment variable `env` points;
/// panics with how to install it when it is missing.
pub fn node_peer(bin: &str, env: &str, package: &str) -> PathBuf {
    let path = std::env::var_os(env).map(PathBuf::from).unwrap_or_else(|| {
        workspace_root()
            .join(".peers-node/node_modules/.bin")
            .join(bin)
    });
    assert!(
        path.exists(),
        "{} is missing: run `scripts/setup.sh --test` (it installs {package})",
        path.display()
    );
    path
}

/// A coding agent's run as the tests drive it: nothing on stdin, its output kept, killed when
/// its handle goes (a test that fails leaves no client behind).
pub fn captured(mut cmd: tokio::process::Command) -> tokio::process::Command {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

/// The debug `baton` binary (`cargo build -p baton-cli`).
pub fn debug_baton() -> PathBuf {
    let path = crate::target_dir().join("debug").join("baton");
    assert!(
        path.exists(),
        "{} is missing: `cargo build -p baton-cli`",
        path.display()
    );
    path
}

/// The workspace's debug `baton-hook` (the program the coding agents' hooks run).
pub fn debug_hook() -> PathBuf {
    let path = crate::target_dir().join("debug").join("baton-hook");
    assert!(
        path.exists(),
        "{} is missing: `cargo build -p baton-hooks`",
        path.display()
    );
    path
}

/// Starts a peer whose `stdout` prints `READY <base url>` once it serves; its stderr goes to
/// `target/<log>-<pid>.log`. Waits at most 60 s; returns the child and the URL.
pub(crate) fn start_ready(mut command: Command, what: &str, log: &str) -> (Child, String) {
    use std::io::{BufRead, BufReader};

    let log_path = crate::target_dir().join(format!("{log}-{}.log", std::process::id()));
    let log_file = std::fs::File::create(&log_path).expect("peer log file");
    command.stdout(Stdio::piped()).stderr(Stdio::from(log_file));
    let mut child = command
        .spawn()
        .unwrap_or_else(|err| panic!("cannot start {what}: {err}"));
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(url) = line.strip_prefix("READY ") {
                let _ = tx.send(url.trim().to_owned());
            }
        }
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(url) => (child, url),
        Err(_) => {
            let _ = child.kill();
            panic!("{what} did not start: see {}", log_path.display());
        }
    }
}
