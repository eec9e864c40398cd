//! Baton headless against A2A servers users really run, installed from PyPI into the peers'
//! virtualenv: fasta2a (pydantic-ai's server) and the LangGraph dev server. Everything goes
//! through the CLI as a terminal user would: a `baton.toml` with `protocol = "auto"`,
//! `baton watch --config`, `baton follow`, `baton decide`; the store is only read to check.
//!
//! * fasta2a writes local times without a zone (its clock in UTC−8 here) and answers an answer
//!   with a *new* task: the waiting task's age is right, the agent's row says how times are
//!   read, and the escalation stays open saying why.
//! * LangGraph continues the task, replying only once the resumed run has finished (5 s here):
//!   the answer is delivered and the task completes; a question answered through LangGraph's
//!   own API (as its Studio does) settles its escalation although the task keeps its old time.
//!
//! `cargo test -p baton-tests --test peer_a2a_servers`; needs `scripts/setup.sh --test`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use baton_core::escalations::{DeliveryState, Escalation, EscalationState};
use baton_core::task::TaskState;
use baton_store::escalations::EscalationFilter;
use baton_store::Store;
use baton_tests::peers::{debug_baton, Fasta2a, LangGraphDev};
use chrono::Utc;

const WITHIN: Duration = Duration::from_secs(40);

/// A data directory, a `baton.toml` naming one agent, and `baton watch --config` on it. The
/// timeout leaves room for the LangGraph dev server, which answers an A2A call in 100–400 ms
/// (each looks up the assistant and its schemas) and more on a busy machine.
struct Headless {
    dir: tempfile::TempDir,
    watch: Child,
}

impl Headless {
    fn start(name: &str, url: &str) -> Headless {
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

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// `baton ARGS` on the same store; its stdout (exit 0 required).
    fn baton(&self, args: &[&str]) -> String {
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

    fn watch_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("watch.log")).unwrap_or_default()
    }

    fn store(&self) -> Option<Store> {
        let path = self.data().join("baton.sqlite3");
        Path::new(&path)
            .exists()
            .then(|| Store::open(&path).ok())
            .flatten()
    }

    fn task_state(&self, task: &str) -> Option<TaskState> {
        let cards = self.store()?.task_cards(None).ok()?;
        cards
            .into_iter()
            .find(|c| c.task_id == task)
            .map(|c| c.state)
    }

    fn request_for(&self, task: &str) -> Option<Escalation> {
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
    async fn wait<T>(&self, what: &str, mut found: impl FnMut() -> Option<T>) -> T {
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

    async fn reaches(&self, task: &str, state: TaskState) {
        self.wait(&format!("task {task} {state:?} in Baton"), || {
            (self.task_state(task) == Some(state)).then_some(())
        })
        .await;
    }

    async fn asked(&self, task: &str) -> Escalation {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fasta2a_local_times_and_an_answer_it_takes_as_a_new_task() {
    let server = Fasta2a::start("PST8PDT");
    let baton = Headless::start("Planner", &server.base_url);
    let task = server.submit("ask me where to go").await;
    assert_eq!(server.state_of(&task).await, "input-required");
    // fasta2a cannot list its tasks: Baton follows the one it is given.
    baton
        .wait("the agent detected as A2A", || {
            baton
                .store()?
                .agent_rows()
                .ok()?
                .into_iter()
                .find(|r| r.a2a.as_ref().is_some_and(|a| a.lists_tasks == Some(false)))
        })
        .await;
    baton.baton(&["follow", "Planner", &task]);
    baton.reaches(&task, TaskState::InputRequired).await;

    // Its time is read in its zone, not as UTC (eight hours off).
    let store = baton.store().unwrap();
    let card = store
        .task_cards(None)
        .unwrap()
        .into_iter()
        .find(|c| c.task_id == task)
        .unwrap();
    let age = Utc::now() - card.state_since;
    assert!(
        age < chrono::Duration::minutes(2) && age > chrono::Duration::seconds(-5),
        "the task is seconds old, not {age}"
    );
    let row = store.agent_rows().unwrap().remove(0);
    let detail = row.remote_detail.unwrap_or_default();
    assert!(
        detail.contains("read as UTC−08:00") || detail.contains("read as UTC−07:00"),
        "{detail}"
    );

    // The question is the last agent message of its history.
    let asked = baton.asked(&task).await;
    assert!(
        !asked.title.contains("needs input"),
        "the question itself: {}",
        asked.title
    );
    let id = asked.id.to_string();
    let said = baton.baton(&["decide", &id, "answer", "Lisbon", "--wait", "20"]);
    eprintln!("decide said: {said}");
    // fasta2a ran the answer as a new task; the one that asked still waits.
    let reopened = baton
        .wait("the escalation open again", || {
            baton.request_for(&task).filter(|e| {
                e.state == EscalationState::Open
                    && e.deliveries
                        .first()
                        .is_some_and(|d| d.state == DeliveryState::Declined)
            })
        })
        .await;
    let why = reopened.deliveries[0]
        .last_error
        .clone()
        .unwrap_or_default();
    assert!(
        why.contains("started a new task") && why.contains("still waits for input"),
        "{why}"
    );
    assert_eq!(server.state_of(&task).await, "input-required");
    let shown = baton.baton(&["escalation", "show", &id]);
    assert!(
        shown.contains("declined it: the agent started a new task"),
        "{shown}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn langgraph_slow_resume_is_delivered_and_an_answer_outside_a2a_settles() {
    let server = LangGraphDev::start(5);
    let baton = Headless::start("Graph", &server.url);

    // Answered through Baton: the reply waits for the resumed run (5 s, over the poll timeout).
    let task = server.submit("ask me a colour").await;
    baton.reaches(&task, TaskState::InputRequired).await;
    let asked = baton.asked(&task).await;
    let said = baton.baton(&[
        "decide",
        &asked.id.to_string(),
        "answer",
        "blue",
        "--wait",
        "30",
    ]);
    eprintln!("decide said: {said}");
    let delivered = baton
        .wait("the answer delivered", || {
            baton.request_for(&task).filter(|e| {
                e.deliveries
                    .first()
                    .is_some_and(|d| d.state == DeliveryState::Delivered)
            })
        })
        .await;
    assert_eq!(delivered.state, EscalationState::Resolved);
    let note = delivered.deliveries[0]
        .last_error
        .clone()
        .unwrap_or_default();
    assert!(note.contains("it is now completed"), "{note}");
    baton.reaches(&task, TaskState::Completed).await;
    assert_eq!(server.state_of(&task).await, "completed");

    // Answered through LangGraph's own API: the task completes with its old time.
    let other = server.submit("ask again").await;
    baton.reaches(&other, TaskState::InputRequired).await;
    let open = baton.asked(&other).await;
    server.resume_directly(&other, "green").await;
    baton.reaches(&other, TaskState::Completed).await;
    let settled = baton
        .wait("the escalation settled", || {
            baton
                .request_for(&other)
                .filter(|e| e.state == EscalationState::Resolved)
        })
        .await;
    assert_eq!(settled.id, open.id);
    assert_eq!(settled.decision.unwrap().action, "settled");
}
