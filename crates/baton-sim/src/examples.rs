//! The example agents in `docs/examples/` (Python and TypeScript), run as child processes for
//! tests: [`ExampleAgent::start`] spawns one on a port, [`ExampleAgent::wait_until_answering`]
//! waits until it listens, and dropping it kills it and everything it started.
//!
//! Paths are those of this source tree (`docs/examples/`, `ui/node_modules/.bin/tsx`), so this
//! is for tests and tools run from a checkout. Unix only (process groups).

use std::fmt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// `docs/examples/` of this source tree.
pub fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/examples")
}

/// The UI's tsx (`ui/node_modules/.bin/tsx`), present once `npm ci` ran in `ui/`.
pub fn tsx_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/node_modules/.bin/tsx")
}

/// Which of the two example agents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExampleLanguage {
    /// `docs/examples/agent.py`, run with `python3`.
    Python,
    /// `docs/examples/agent.ts`, run with the UI's tsx.
    TypeScript,
}

impl ExampleLanguage {
    /// The example's file in `docs/examples/`.
    pub fn file(self) -> &'static str {
        match self {
            ExampleLanguage::Python => "agent.py",
            ExampleLanguage::TypeScript => "agent.ts",
        }
    }

    /// The program that runs the example, or why it is not there.
    pub fn program(self) -> Result<PathBuf, String> {
        match self {
            ExampleLanguage::Python => find_on_path("python3").ok_or_else(|| {
                "python3 is not on the PATH: the Python example agent cannot run".to_owned()
            }),
            ExampleLanguage::TypeScript => {
                let tsx = tsx_path();
                if tsx.exists() {
                    Ok(tsx)
                } else {
                    Err(format!(
                        "{} is missing: the TypeScript example agent cannot run. Install the \
                         UI's dev dependencies: run `npm ci` in ui/ (make test does)",
                        tsx.display()
                    ))
                }
            }
        }
    }
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// A docs/examples agent running as a child process (its whole process group is killed on
/// drop, also when a test panics: tsx runs node as a child of its own).
pub struct ExampleAgent {
    child: Child,
    port: u16,
    what: String,
}

impl ExampleAgent {
    /// Starts the example on `127.0.0.1:port` in `docs/examples/`, leading its own process
    /// group, with no stdin and its output discarded.
    pub fn start(language: ExampleLanguage, port: u16) -> Result<ExampleAgent, String> {
        let program = language.program()?;
        let port_arg = port.to_string();
        let args = [language.file(), port_arg.as_str()];
        let what = format!("{} {}", program.display(), args.join(" "));
        let child = Command::new(&program)
            .args(args)
            .current_dir(examples_dir())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .map_err(|e| format!("cannot start `{what}`: {e}"))?;
        Ok(ExampleAgent { child, port, what })
    }

    /// `http://127.0.0.1:{port}`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The port it was started on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The command line it was started with, for messages.
    pub fn command_line(&self) -> &str {
        &self.what
    }

    /// How the child exited, or `None` while it runs.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Waits until the example accepts connections on its port; fails early if it exits, and
    /// after `timeout`.
    pub async fn wait_until_answering(&mut self, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.exited() {
                return Err(format!("`{}` exited before answering: {status}", self.what));
            }
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "`{}` never answered on {} within {timeout:?}",
                    self.what,
                    self.base_url()
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl fmt::Debug for ExampleAgent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExampleAgent")
            .field("pid", &self.child.id())
            .field("port", &self.port)
            .field("command", &self.what)
            .finish()
    }
}

impl Drop for ExampleAgent {
    fn drop(&mut self) {
        // The child leads its own process group; kill the whole group by its id.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
