//! `baton hook` as the coding agents run it: one process per call, many at once on one store.

use std::io::Write;
use std::process::Stdio;
use std::sync::Arc;

use baton_store::Store;
use serde_json::json;

use crate::common::Sandbox;

const SESSIONS: usize = 10;
const CALLS_PER_SESSION: usize = 100;
const FILES: usize = 20;

/// One `baton hook claude-code --mode enforce` process fed `payload`: (exit code, stderr).
fn call(sandbox: &Sandbox, payload: &serde_json::Value) -> (i32, String) {
    let mut child = sandbox
        .baton(&["hook", "claude-code", "--mode", "enforce"])
        // What is checked here is that nothing is lost or locked, not how fast a debug build on
        // a busy machine answers: no call may fall back to "unchecked".
        .env("BATON_HOOK_BUDGET_MS", "30000")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("baton hook starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(payload.to_string().as_bytes())
        .expect("payload written");
    let out = child.wait_with_output().expect("baton hook ends");
    assert!(out.stdout.is_empty(), "stdout is the client's: {out:?}");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_thousand_hook_calls_from_ten_sessions_at_once_lose_nothing_and_never_find_the_store_locked() {
    let sandbox = Arc::new(Sandbox::new());
    let workers: Vec<_> = (0..SESSIONS)
        .map(|s| {
            let sandbox = Arc::clone(&sandbox);
            std::thread::spawn(move || {
                let session = format!("session{s:02}");
                let (mut written, mut denied) = (0usize, Vec::new());
                for k in 0..CALLS_PER_SESSION {
                    // Every tenth call ends the session's turn, which frees its files.
                    if k % 10 == 9 {
                        let stop = json!({"session_id": session, "cwd": "/repo", "hook_event_name": "Stop"});
                        assert_eq!(call(&sandbox, &stop), (0, String::new()));
                        continue;
                    }
                    let file = format!("src/f{}.rs", (s * 7 + k) % FILES);
                    let write = |event: &str| {
                        json!({"session_id": session, "cwd": "/repo", "hook_event_name": event,
                               "tool_name": "Edit", "tool_input": {"file_path": file}})
                    };
                    match call(&sandbox, &write("PreToolUse")) {
                        (0, stderr) => {
                            assert_eq!(stderr, "", "{session} {file}");
                            assert_eq!(call(&sandbox, &write("PostToolUse")), (0, String::new()));
                            written += 1;
                        }
                        (2, reason) => denied.push(reason),
                        other => panic!("{session} {file}: {other:?}"),
                    }
                }
                (session, written, denied)
            })
        })
        .collect();
    let mut written = 0;
    let mut denied = 0;
    for worker in workers {
        let (session, wrote, refusals) = worker.join().expect("a session's calls");
        written += wrote;
        denied += refusals.len();
        for reason in refusals {
            // Refused because of another session's lease, never its own.
            assert!(
                reason.starts_with("Baton refused this write: the session \"repo·session"),
                "{reason}"
            );
            assert!(
                !reason.contains(&format!("\"repo·{session}\"")),
                "{session} refused by itself: {reason}"
            );
        }
    }
    assert!(
        written > 0 && denied > 0,
        "both happened: {written} written, {denied} refused"
    );
    let store = Store::open(&sandbox.db_path()).unwrap();
    let agents = store.agents().unwrap();
    assert_eq!(agents.len(), SESSIONS);
    let events: u64 = agents
        .iter()
        .map(|a| store.event_count(a.id).unwrap())
        .sum();
    assert_eq!(
        events, written as u64,
        "one write event per write that went ahead"
    );
}
