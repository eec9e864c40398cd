//! Child processes of a harness, always stopped, whatever happened.

use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::*;

/// A child process that is stopped (SIGTERM, then SIGKILL) when dropped, whatever happened.
pub struct Proc {
    pub name: String,
    child: Child,
    pub started: Instant,
    exited: Option<(ExitStatus, Instant)>,
}

/// How a child ended.
#[derive(Debug, Clone)]
pub struct Ended {
    pub status: Option<ExitStatus>,
    pub at: Instant,
    /// It did not stop on SIGTERM within the grace period and was killed.
    pub killed: bool,
}

impl Proc {
    /// Starts `command` in a process group of its own with stdout and stderr going to files.
    pub fn spawn(
        name: &str,
        command: &mut Command,
        stdout: &Path,
        stderr: &Path,
    ) -> Fallible<Proc> {
        let out =
            File::create(stdout).map_err(|e| format!("cannot create {}: {e}", stdout.display()))?;
        let err =
            File::create(stderr).map_err(|e| format!("cannot create {}: {e}", stderr.display()))?;
        let child = command
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0)
            .spawn()
            .map_err(|e| format!("cannot start {name} ({:?}): {e}", command.get_program()))?;
        Ok(Proc {
            name: name.to_owned(),
            child,
            started: Instant::now(),
            exited: None,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The exit status, if it has exited (checked without waiting).
    pub fn poll_exit(&mut self) -> Option<(ExitStatus, Instant)> {
        if self.exited.is_none() {
            if let Ok(Some(status)) = self.child.try_wait() {
                self.exited = Some((status, Instant::now()));
            }
        }
        self.exited
    }

    /// Waits up to `timeout` for it to exit by itself.
    pub fn wait_for(&mut self, timeout: Duration) -> Option<(ExitStatus, Instant)> {
        let until = Instant::now() + timeout;
        loop {
            if let Some(exit) = self.poll_exit() {
                return Some(exit);
            }
            if Instant::now() >= until {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn signal(&self, signal: libc::c_int) {
        if self.exited.is_none() {
            // SAFETY: kill(2) on our own child's pid, which we have not reaped yet.
            unsafe {
                libc::kill(self.child.id() as libc::pid_t, signal);
            }
        }
    }

    /// SIGTERM, up to `grace` to exit, then SIGKILL. Always reaps the child.
    pub fn stop(&mut self, grace: Duration) -> Ended {
        if let Some((status, at)) = self.poll_exit() {
            return Ended {
                status: Some(status),
                at,
                killed: false,
            };
        }
        self.signal(libc::SIGTERM);
        if let Some((status, at)) = self.wait_for(grace) {
            return Ended {
                status: Some(status),
                at,
                killed: false,
            };
        }
        let _ = self.child.kill();
        let status = self.child.wait().ok();
        let at = Instant::now();
        if let Some(status) = status {
            self.exited = Some((status, at));
        }
        Ended {
            status,
            at,
            killed: true,
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if self.exited.is_none() {
            self.stop(Duration::from_secs(10));
        }
    }
}

/// Runs a short command to completion with its output in files under `dir`; gives up (and
/// kills it) after `timeout`. Returns stdout.
pub fn run_to_end(
    name: &str,
    command: &mut Command,
    dir: &Path,
    timeout: Duration,
) -> Fallible<String> {
    let stdout = dir.join(format!("{name}.out"));
    let stderr = dir.join(format!("{name}.err"));
    let mut proc = Proc::spawn(name, command, &stdout, &stderr)?;
    let Some((status, _)) = proc.wait_for(timeout) else {
        proc.stop(Duration::from_secs(2));
        return Err(format!(
            "{name} did not finish within {} s",
            timeout.as_secs()
        ));
    };
    let err = std::fs::read_to_string(&stderr).unwrap_or_default();
    if !status.success() {
        return Err(format!("{name} failed ({status}): {}", err.trim()));
    }
    std::fs::read_to_string(&stdout).map_err(|e| format!("{name}: reading its output: {e}"))
}

/// Finds an executable: `name` on PATH or in the sbin directories.
pub fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var("PATH").unwrap_or_default();
    let found = path
        .split(':')
        .chain(["/usr/sbin", "/sbin", "/usr/local/sbin"])
        .map(|dir| Path::new(dir).join(name))
        .find(|p| p.is_file());
    found
}
