//! The example agents in docs/examples/ run as child processes and speak conforming baton/1:
//! every answer parses and matches the schema, events arrive in seq order with no gaps across
//! polls (and are re-delivered until acknowledged), and decisions are acknowledged once per key.

use std::time::{Duration, Instant};

use crate::common::*;
use baton_core::protocol::{DecisionAck, EventKind, StatusDocument};
use baton_core::task::TaskState;
use baton_sim::examples::{examples_dir, ExampleAgent, ExampleLanguage};
use baton_testdb::free_port;

async fn get(http: &reqwest::Client, base: &str, since: Option<&str>) -> StatusDocument {
    let response = http.get(status_url(base, since)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    check_body(&response.bytes().await.unwrap())
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
async fn exercise(mut child: ExampleAgent, agent_id: &str) {
    let http = client();
    child
        .wait_until_answering(Duration::from_secs(20))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let base = &child.base_url();
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
    let child =
        ExampleAgent::start(ExampleLanguage::Python, free_port()).unwrap_or_else(|e| panic!("{e}"));
    exercise(child, "example-py").await;
}

#[tokio::test]
async fn the_typescript_example_conforms() {
    let child = ExampleAgent::start(ExampleLanguage::TypeScript, free_port())
        .unwrap_or_else(|e| panic!("{e}"));
    exercise(child, "example-ts").await;
}
