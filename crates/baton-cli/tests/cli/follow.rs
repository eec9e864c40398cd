//! `baton escalations --follow`: the real binary prints the queue's items as other processes
//! open and decide them (a store written from the test, `baton decide` as a process of its
//! own), each within a second or two; the time each took is printed.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use baton_core::detect::{Finding, FindingKind, Severity};

use crate::common::Sandbox;

/// Within this, or the change was not live (generous for a loaded machine; the feed wakes a
/// reader within 200 ms on SQLite and at once on PostgreSQL).
const LIVE: Duration = Duration::from_millis(3_000);

/// A running `baton escalations --follow --json` and its lines as they come.
struct Following {
    child: Child,
    lines: mpsc::Receiver<serde_json::Value>,
}

impl Following {
    fn start(sandbox: &Sandbox) -> Following {
        let mut cmd = sandbox.baton(&["escalations", "--follow", "--json"]);
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start baton");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let value = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
                if tx.send(value).is_err() {
                    break;
                }
            }
        });
        Following { child, lines }
    }

    /// The next line of `kind`, within `within`; the others are skipped.
    fn next(&self, kind: &str, within: Duration) -> serde_json::Value {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self
                .lines
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no {kind} line within {within:?}"));
            if line["kind"] == kind {
                return line;
            }
        }
    }
}

impl Drop for Following {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn question(agent: i64, key: &str) -> Finding {
    Finding::about(
        FindingKind::NeedsApproval,
        Severity::Warning,
        vec![agent],
        format!("Publisher asks: may I send {key}?"),
        key,
    )
}

#[test]
fn follow_prints_items_other_processes_open_and_decide_within_a_second() {
    let sandbox = Sandbox::new();
    let mut store = sandbox.open_store_result().unwrap();
    let agent = store
        .add_agent(&baton_core::agent::AgentDraft::new(
            "Publisher",
            "http://127.0.0.1:9/",
        ))
        .unwrap()
        .id;
    // An item from before: known, not told as opened.
    store
        .record_findings(&[question(agent, "the old mail")], chrono::Utc::now())
        .unwrap();
    let following = Following::start(&sandbox);
    following.next("following", Duration::from_secs(60));

    let opened_at = Instant::now();
    let item = store
        .record_findings(&[question(agent, "the invoice")], chrono::Utc::now())
        .unwrap()
        .escalations[0];
    let line = following.next("escalation_opened", LIVE);
    println!(
        "opened: printed after {} ms",
        opened_at.elapsed().as_millis()
    );
    assert_eq!(line["escalation"], item, "{line}");
    assert!(
        line["message"].as_str().unwrap().contains("the invoice"),
        "{line}"
    );

    let decided_at = Instant::now();
    sandbox
        .run(&[
            "decide",
            &item.to_string(),
            "approve",
            "--who",
            "ana",
            "--wait",
            "0",
        ])
        .expect_code(0);
    let ran = decided_at.elapsed();
    let line = following.next("escalation_decided", LIVE + ran);
    println!(
        "decided: printed {} ms after `baton decide` returned",
        (decided_at.elapsed() - ran).as_millis()
    );
    assert_eq!(line["escalation"], item, "{line}");
    assert!(
        line["message"]
            .as_str()
            .unwrap()
            .starts_with("approve by ana"),
        "{line}"
    );
    following.next("escalation_resolved", LIVE);
}
