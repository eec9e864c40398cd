//! A2A servers users really run, from the peers' virtualenv: fasta2a (pydantic-ai's A2A server,
//! `tests/peers/fasta2a_agent.py`) and the LangGraph dev server (`tests/peers/langgraph_agent/`).
//! What each sends on the wire: `tests/peers/fasta2a-notes.md`, `langgraph-notes.md`.

use std::process::{Child, Command};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::a2a_echo::rand_suffix;
use super::programs::{peer_program, start_ready};
use crate::{free_port, workspace_root};

/// One JSON-RPC call (with `A2A-Version: version` when given); the `result`, or the task in it
/// (panics on an error answer).
pub(super) async fn rpc(
    url: &str,
    method: &str,
    params: Value,
    timeout: Duration,
    version: Option<&str>,
) -> Value {
    let mut request = reqwest::Client::new()
        .post(url)
        .header("Accept", "application/json");
    if let Some(version) = version {
        request = request.header("A2A-Version", version);
    }
    let answer: Value = request
        .timeout(timeout)
        .json(&json!({"jsonrpc": "2.0", "id": rand_suffix(), "method": method, "params": params}))
        .send()
        .await
        .unwrap_or_else(|err| panic!("{method} at {url}: {err}"))
        .json()
        .await
        .unwrap_or_else(|err| panic!("{method} at {url}: not JSON: {err}"));
    match answer.get("result") {
        Some(result) => result.get("task").unwrap_or(result).clone(),
        None => panic!("{method} at {url}: {answer}"),
    }
}

/// Sends `text` as a new task over `message/send`; its id.
async fn submit_to(url: &str, text: &str, timeout: Duration) -> String {
    let params = json!({"message": user_message(text)});
    let task = rpc(url, "message/send", params, timeout, None).await;
    task["id"].as_str().expect("a task id").to_owned()
}

/// The task's state on the server (`input-required`, …), over `tasks/get`.
async fn state_at(url: &str, task_id: &str) -> String {
    let params = json!({"id": task_id});
    let task = rpc(url, "tasks/get", params, Duration::from_secs(10), None).await;
    task["status"]["state"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn user_message(text: &str) -> Value {
    json!({"kind": "message", "role": "user", "messageId": format!("test-{}", rand_suffix()),
           "parts": [{"kind": "text", "text": text}]})
}

/// A running fasta2a agent, killed on drop: "ask…" asks a question (in its history: fasta2a
/// keeps no status message), anything else is a pydantic-ai run on `TestModel`.
pub struct Fasta2a {
    child: Child,
    pub base_url: String,
}

impl Fasta2a {
    /// Starts it with its clock in `tz` (a POSIX `TZ`): fasta2a writes local times without a zone.
    pub fn start(tz: &str) -> Fasta2a {
        let mut command = Command::new(peer_program("python"));
        command
            .arg(workspace_root().join("tests/peers/fasta2a_agent.py"))
            .args(["--port", "0"])
            .env("TZ", tz);
        let (child, base_url) = start_ready(command, "the fasta2a agent", "fasta2a");
        Fasta2a { child, base_url }
    }

    fn rpc_url(&self) -> String {
        format!("{}/", self.base_url)
    }

    /// Sends `text` as a new task; its id.
    pub async fn submit(&self, text: &str) -> String {
        submit_to(&self.rpc_url(), text, Duration::from_secs(30)).await
    }

    /// The task's state on the server (`input-required`, …).
    pub async fn state_of(&self, task_id: &str) -> String {
        state_at(&self.rpc_url(), task_id).await
    }
}

impl Drop for Fasta2a {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The assistant id the dev server gives the graph `baton_peer` (a uuid5 of its name).
const ASSISTANT: &str = "4c3c578d-bca4-5127-b9ee-0bc9785aca90";

/// A running LangGraph dev server (`langgraph dev`, in-memory), killed on drop, serving
/// `tests/peers/langgraph_agent/graph.py`: "ask…" calls `interrupt()`; resuming it sleeps
/// `resume_sleep` seconds, then completes.
pub struct LangGraphDev {
    child: Child,
    _dir: tempfile::TempDir,
    pub url: String,
}

impl LangGraphDev {
    pub fn start(resume_sleep: u64) -> LangGraphDev {
        // A directory of its own: the graph path resolves against the working directory, and
        // the server keeps its state in ./.langgraph_api/.
        let dir = tempfile::tempdir().expect("temp dir");
        for file in ["graph.py", "langgraph.json"] {
            let from = workspace_root()
                .join("tests/peers/langgraph_agent")
                .join(file);
            std::fs::copy(&from, dir.path().join(file)).expect("copy the graph");
        }
        let port = free_port();
        let log = crate::target_dir().join(format!("langgraph-{}.log", std::process::id()));
        let log_file = std::fs::File::create(&log).expect("langgraph log");
        let mut child = Command::new(peer_program("langgraph"))
            .args(["dev", "--no-browser", "--no-reload", "--host", "127.0.0.1"])
            .args(["--port", &port.to_string(), "--n-jobs-per-worker", "4"])
            .current_dir(dir.path())
            // Offline: no tracing, no analytics, no version check (langgraph-notes.md).
            .env("LANGSMITH_TRACING", "false")
            .env("LANGGRAPH_CLI_NO_ANALYTICS", "1")
            .env("LANGGRAPH_NO_VERSION_CHECK", "1")
            .env("LG_PEER_RESUME_SLEEP", resume_sleep.to_string())
            .stdout(std::process::Stdio::from(
                log_file.try_clone().expect("log"),
            ))
            .stderr(std::process::Stdio::from(log_file))
            .spawn()
            .expect("start langgraph dev");
        let url = format!("http://127.0.0.1:{port}/a2a/{ASSISTANT}");
        // It prints no ready line: its card answers once it serves.
        let card = format!("/a2a/{ASSISTANT}/.well-known/agent-card.json");
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("langgraph dev exited ({status}): see {}", log.display());
            }
            if answers_200(port, &card) {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(90),
                "langgraph dev did not serve its card within 90 s: see {}",
                log.display()
            );
            std::thread::sleep(Duration::from_millis(250));
        }
        LangGraphDev {
            child,
            _dir: dir,
            url,
        }
    }

    /// Sends `text` as a new task; its id (`<thread>:<run>`) once the run has stopped (an
    /// "ask" at its question).
    pub async fn submit(&self, text: &str) -> String {
        submit_to(&self.url, text, Duration::from_secs(60)).await
    }

    pub async fn state_of(&self, task_id: &str) -> String {
        state_at(&self.url, task_id).await
    }

    /// Answers the question through LangGraph's own API, as its Studio does (not A2A).
    pub async fn resume_directly(&self, task_id: &str, answer: &str) {
        let thread = task_id.split(':').next().expect("a thread id");
        let base = self.url.split("/a2a/").next().expect("the server's base");
        let status = reqwest::Client::new()
            .post(format!("{base}/threads/{thread}/runs"))
            .json(&json!({"assistant_id": ASSISTANT, "command": {"resume": answer}}))
            .send()
            .await
            .expect("resume the run")
            .status();
        assert!(status.is_success(), "HTTP {status}");
    }
}

/// True when `GET path` on 127.0.0.1:`port` answers 200 (a blocking probe, before any runtime).
fn answers_200(port: u16, path: &str) -> bool {
    use std::io::{Read, Write};

    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
    );
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.1 200")
}

impl Drop for LangGraphDev {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
