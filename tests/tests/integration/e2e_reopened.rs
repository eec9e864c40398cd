//! The real app showing an answer an A2A agent did not take (fasta2a runs an answer as a new
//! task): the escalation is open again, the person's answer stays on it, and the delivery line
//! says why in words. The store is prepared before the app starts, as the relay leaves it.
//!
//! `cargo test -p baton-tests --test integration e2e_reopened::`; needs Xvfb, tauri-driver, WebKitWebDriver.

use std::time::Duration;

use baton_core::agent::{AdapterKind, AgentDraft};
use baton_core::detect::{EvidenceRef, Finding, FindingKind, Severity};
use baton_core::escalations::EscalationAction;
use baton_core::protocol::parse_status;
use baton_store::outbox::DeliveryOutcome;
use baton_store::Store;
use baton_tests::app::RunningApp;
use chrono::Utc;

const LONG: Duration = Duration::from_secs(20);
const WHY: &str = "the agent started a new task (t-2) with the answer instead of continuing task t-1, which still waits for input";

/// A data dir whose store holds an A2A agent's question, answered "Lisbon", not taken.
fn prepared() -> tempfile::TempDir {
    let data = tempfile::tempdir().unwrap();
    let mut store = Store::open(&data.path().join("baton.sqlite3")).unwrap();
    let draft = AgentDraft {
        adapter: AdapterKind::A2a,
        poll_interval_ms: 60_000,
        timeout_ms: 1_000,
        // Nothing answers there: the row is down, the queue item is what counts.
        ..AgentDraft::new("Planner", "http://127.0.0.1:9")
    };
    let agent = store.add_agent(&draft).unwrap().id;
    let now = Utc::now();
    let doc = parse_status(
        serde_json::json!({
            "protocol": "baton/1",
            "agent": {"id": "planner", "name": "Planner"},
            "tasks": [{"id": "t-1", "title": "plan the trip", "state": "input_required"}],
            "events": [{"seq": 1, "at": now.to_rfc3339(), "kind": "needs_approval",
                        "task_id": "t-1", "message": "Which city?"}],
            "usage": [],
            "cursor": "c1",
        })
        .to_string()
        .as_bytes(),
    )
    .unwrap();
    store.ingest(agent, &doc, now).unwrap();
    let finding = Finding {
        kind: FindingKind::NeedsApproval,
        severity: Severity::Critical,
        agents: vec![agent],
        resource: None,
        summary: "Planner asks: Which city?".into(),
        evidence: vec![EvidenceRef {
            agent_id: agent,
            seq: 1,
        }],
        dedupe_key: format!("needs_approval:{agent}:t-1"),
        continues: None,
    };
    let escalation = store.record_findings(&[finding], now).unwrap().escalations[0];
    store
        .decide_escalation(
            escalation,
            &EscalationAction::Approve,
            Some("Lisbon"),
            "ana",
            now,
        )
        .unwrap();
    let row = store.due_deliveries(now, 10).unwrap()[0].id;
    store
        .record_delivery(row, &DeliveryOutcome::NotTaken { note: WHY.into() }, now)
        .unwrap();
    data
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_not_taken_shows_open_again_with_why() {
    let app = RunningApp::launch_in(prepared()).await;
    let result = drive(&app).await;
    if let Err(err) = result {
        let page = app.capture_failure("reopened").await;
        panic!("{err}\n{page}");
    }
    app.close().await;
}

async fn drive(app: &RunningApp) -> Result<(), String> {
    let session = app.session();
    session.wait_for("[data-testid=nav-agents]", LONG).await?;
    session.show_view_by_key("5").await?;
    let open = "[data-testid=escalation-row][data-kind=needs_approval][data-state=open]";
    session.click_first(open, LONG).await?;
    session
        .wait_for_text("[data-testid=escalation-detail]", "Which city?", LONG)
        .await?;
    // The person's answer stays on it, the delivery says why it did not count.
    session
        .wait_for_text("[data-testid=escalation-decision]", "Lisbon", LONG)
        .await?;
    session
        .wait_for_text(
            "[data-testid=delivery-state][data-state=declined]",
            "declined",
            LONG,
        )
        .await?;
    session
        .wait_for_text(
            "[data-testid=delivery-state][data-state=declined]",
            "started a new task (t-2)",
            LONG,
        )
        .await?;
    // And it can be decided again.
    session
        .wait_for("[data-testid=escalation-action][data-action=approve]", LONG)
        .await?;
    app.screenshot("escalation-a2a-reopened")?;
    Ok(())
}
