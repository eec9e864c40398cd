//! Baton headless, as a terminal user runs it, against a real peer: a data directory, a
//! `baton.toml` naming one agent (`protocol = "auto"`), `baton watch --config` on it, and `baton
//! …` commands on the same store; the store is only read to check.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use baton_core::escalations::{Escalation, EscalationState};
use baton_core::task::TaskState;
use baton_store::escalations::EscalationFilter;
use baton_store::Store;

use super::programs::debug_baton;

/// How long a test waits for what Baton should see.
pub const WITHIN: Duration = Duration::from_secs(40);

/// A data directory, a `baton.toml` naming one agent, and `baton watch --config` on it. The
/// timeout leaves room for the LangGraph dev server, which answers an A2A call in 100–400 ms
/// (each looks up the assistant and its schemas) and more on a busy machine.
pub struct Headless {
    dir: tempfile::TempDir,
    watch: Child,
}

impl Headless {
    pub fn start(name: &str, url: &str) -> Headless {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(
            dir.path().join("baton.toml"),
            format!(
                "[[agents]]\nname = \"{name}\"\nurl = \"{url}\"\nprotocol = \"auto\"\npoll_interval_ms = 1000\ntimeout_ms = 900\n"
            ),
        )
        .expect("write baton.toml");
        let log = std::fs::File::create(dir.path().join("watch.log")).expect("watch log");
        let watch = Command::new(debug_baton())
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .args(["watch", "--config"])
            .arg(dir.path().join("baton.toml"))
            .stdout(Stdio::from(log.try_clone().expect("log")))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("start baton watch");
        Headless { dir, watch }
    }

    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// `baton ARGS` on the same store; its stdout (exit 0 required).
    pub fn baton(&self, args: &[&str]) -> String {
        let out = Command::new(debug_baton())
            .arg("--data-dir")
            .arg(self.data())
            .args(args)
            .output()
            .expect("run baton");
        let said = format!(
            "baton {args:?}: {}\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "{said}\nwatch: {}", self.watch_log());
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn watch_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("watch.log")).unwrap_or_default()
    }

    pub fn store(&self) -> Option<Store> {
        let path = self.data().join("baton.sqlite3");
        Path::new(&path)
            .exists()
            .then(|| Store::open(&path).ok())
            .flatten()
    }

    pub fn task_state(&self, task: &str) -> Option<TaskState> {
        let cards = self.store()?.task_cards(None).ok()?;
        cards
            .into_iter()
            .find(|c| c.task_id == task)
            .map(|c| c.state)
    }

    pub fn request_for(&self, task: &str) -> Option<Escalation> {
        let all = self
            .store()?
            .escalations(EscalationFilter {
                open: true,
                closed: 50,
            })
            .ok()?;
        all.into_iter()
            .find(|e| e.kind.as_str() == "needs_approval" && e.task_id.as_deref() == Some(task))
    }

    /// Waits for `found`; past [`WITHIN`], fails with what `baton watch` and `baton status` said.
    pub async fn wait<T>(&self, what: &str, mut found: impl FnMut() -> Option<T>) -> T {
        let deadline = std::time::Instant::now() + WITHIN;
        loop {
            if let Some(value) = found() {
                return value;
            }
            if std::time::Instant::now() > deadline {
                let status = Command::new(debug_baton())
                    .arg("--data-dir")
                    .arg(self.data())
                    .arg("status")
                    .output()
                    .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                    .unwrap_or_default();
                panic!(
                    "timed out waiting for {what}\nstatus:\n{status}\nwatch:\n{}",
                    self.watch_log()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn reaches(&self, task: &str, state: TaskState) {
        self.wait(&format!("task {task} {state:?} in Baton"), || {
            (self.task_state(task) == Some(state)).then_some(())
        })
        .await;
    }

    pub async fn asked(&self, task: &str) -> Escalation {
        self.wait(&format!("an escalation for {task}"), || {
            self.request_for(task)
                .filter(|e| e.state == EscalationState::Open)
        })
        .await
    }
}

impl Drop for Headless {
    fn drop(&mut self) {
        let _ = self.watch.kill();
        let _ = self.watch.wait();
    }
}
