//! The example agents in docs/examples/ run as child processes and speak conforming baton/1:
//! every answer parses and matches the schema, events arrive in seq order with no gaps across
//! polls (and are re-delivered until acknowledged), and decisions are acknowledged once per key.

mod common;

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use baton_core::protocol::{DecisionAck, EventKind, StatusDocument};
use baton_core::task::TaskState;
use common::*;

/// Kills the example (and anything it started: tsx runs node as a child) when dropped,
/// also when the test panics.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        // The child leads its own process group; kill the whole group by its id.
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn examples_dir() -> PathBuf {
    docs_dir().join("examples")
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn spawn(program: &Path, args: &[&str]) -> ChildGuard {
    let child = Command::new(program)
        .args(args)
        .current_dir(examples_dir())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
    ChildGuard(child)
}

async fn get(http: &reqwest::Client, base: &str, since: Option<&str>) -> StatusDocument {
    let response = http.get(status_url(base, since)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    check_body(&response.bytes().await.unwrap())
}

async fn wait_until_up(http: &reqwest::Client, base: &str, child: &mut ChildGuard) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(Some(status)) = child.0.try_wait() {
            panic!("the example exited early: {status}");
        }
        if http.get(status_url(base, None)).send().await.is_ok() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the example never answered on {base}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn post(
    http: &reqwest::Client,
    base: &str,
    key: Option<&str>,
    body: &str,
) -> reqwest::Response {
    let mut request = http
        .post(format!("{base}/baton/v1/decisions"))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    request.send().await.unwrap()
}

/// Polls the example until its second task asks a human, checking the cursor contract, then
/// approves it twice with the same key.
async fn exercise(base: &str, agent_id: &str, mut child: ChildGuard) {
    let http = client();
    wait_until_up(&http, base, &mut child).await;
    let mut cursor: Option<String> = None;
    let mut last_seq = 0;
    let mut asked = false;
    let deadline = Instant::now() + Duration::from_secs(20);
    for round in 0.. {
        let doc = get(&http, base, cursor.as_deref()).await;
        assert_eq!(doc.agent.id, agent_id);
        assert!(!doc.tasks.is_empty(), "the example has tasks");
        if round % 3 == 1 {
            // Pretend the last answer was lost: the same events come again.
            let again = get(&http, base, cursor.as_deref()).await;
            assert!(again.events.len() >= doc.events.len());
            assert_eq!(again.events[..doc.events.len()], doc.events[..]);
        }
        for event in &doc.events {
            assert_eq!(event.seq, last_seq + 1, "events in seq order without gaps");
            last_seq = event.seq;
            asked |=
                event.kind == EventKind::NeedsApproval && event.task_id.as_deref() == Some("t-2");
        }
        if !doc.events.is_empty() {
            assert_eq!(doc.cursor, last_seq.to_string());
        }
        cursor = Some(doc.cursor.clone());
        let t2 = doc.tasks.iter().find(|t| t.id == "t-2").map(|t| t.state);
        if asked && t2 == Some(TaskState::InputRequired) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "t-2 never asked for a human: {doc:?}"
        );
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    assert!(last_seq >= 5, "several events over the run, got {last_seq}");

    let response = post(&http, base, None, r#"{"action":"approve"}"#).await;
    assert_eq!(response.status(), 400, "a decision without Idempotency-Key");
    let response = post(&http, base, Some("k-bad"), "not json").await;
    assert_eq!(response.status(), 400, "a decision that is not JSON");
    let body = serde_json::json!({
        "decision_id": "dec-1", "escalation_id": "esc-1", "task_id": "t-2", "action": "approve",
        "note": null, "decided_by": "test", "decided_at": "2026-11-21T10:00:00Z"
    })
    .to_string();
    for duplicate in [false, true] {
        let response = post(&http, base, Some("dec-1"), &body).await;
        assert_eq!(response.status(), 200);
        let ack: DecisionAck = response.json().await.unwrap();
        assert_eq!(
            ack,
            DecisionAck {
                accepted: true,
                duplicate
            }
        );
    }
    let doc = get(&http, base, cursor.as_deref()).await;
    let t2 = doc.tasks.iter().find(|t| t.id == "t-2").unwrap();
    assert_eq!(t2.state, TaskState::Completed, "approve moved t-2 on");
    assert_eq!(
        doc.events.len(),
        1,
        "one state event for one decision: {:?}",
        doc.events
    );
    assert_eq!(doc.events[0].seq, last_seq + 1);
    assert_eq!(doc.events[0].state, Some(TaskState::Completed));
    drop(child);
}

#[test]
fn the_python_example_is_under_40_lines() {
    let text = std::fs::read_to_string(examples_dir().join("agent.py")).unwrap();
    assert!(text.lines().count() < 40, "{} lines", text.lines().count());
}

#[tokio::test]
async fn the_python_example_conforms() {
    let port = free_port();
    let child = spawn(Path::new("python3"), &["agent.py", &port.to_string()]);
    exercise(&format!("http://127.0.0.1:{port}"), "example-py", child).await;
}

/// `ui/node_modules/.bin/tsx` when the UI's dependencies are installed, else `npx --no-install tsx`
/// when that works (a tsx on the PATH or in the npx cache); `None` when there is no tsx at all.
fn tsx() -> Option<(PathBuf, Vec<&'static str>)> {
    let local = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui/node_modules/.bin/tsx");
    if local.exists() {
        return Some((local, vec![]));
    }
    let npx = Command::new("npx")
        .args(["--no-install", "tsx", "--version"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    match npx {
        Ok(status) if status.success() => Some((PathBuf::from("npx"), vec!["--no-install", "tsx"])),
        _ => None,
    }
}

#[tokio::test]
async fn the_typescript_example_conforms() {
    let Some((program, mut args)) = tsx() else {
        // Straight to stderr, past the test harness's capture, so the skip is seen.
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED the_typescript_example_conforms: no tsx (neither ui/node_modules/.bin/tsx \
             nor `npx --no-install tsx`); run `npm install` in ui/ to enable it"
        );
        return;
    };
    let port = free_port().to_string();
    args.extend(["agent.ts", port.as_str()]);
    let child = spawn(&program, &args);
    exercise(&format!("http://127.0.0.1:{port}"), "example-ts", child).await;
}
