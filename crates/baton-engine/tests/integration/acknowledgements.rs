//! A `baton/1` agent that answers a decision with a huge body: Baton reads no more than the
//! acknowledgement's cap (64 KiB), counts the 2xx as the acknowledgement it is, and says so.

use std::time::Duration;

use crate::support::scripted_a2a::ScriptedAgent;
use crate::support::*;
use baton_core::escalations::{DeliveryState, EscalationAction};
use baton_store::escalations::EscalationFilter;
use chrono::Utc;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_acknowledgement_is_not_read_whole() {
    let status = json!({
        "protocol": "baton/1",
        "agent": {"id": "asker", "name": "Asker"},
        "tasks": [{"id": "t-1", "title": "ship it", "state": "input_required"}],
        "events": [{"seq": 1, "at": Utc::now().to_rfc3339(), "kind": "needs_approval",
                    "task_id": "t-1", "message": "May I ship?"}],
        "usage": [],
        "cursor": "c1",
    })
    .to_string();
    // 32 MiB of acknowledgement.
    let huge = format!(
        "{{\"accepted\": true, \"pad\": \"{}\"}}",
        "x".repeat(32 << 20)
    );
    let agent = ScriptedAgent::start(move |method, uri, _| {
        if method == axum::http::Method::POST && uri.path() == "/baton/v1/decisions" {
            (200, huge.clone())
        } else {
            (200, status.clone())
        }
    })
    .await;
    let engine = engine();
    let id = store_agent(&engine, &draft("asker", &agent.base_url, 5_000, 4_000)).id;
    let before = Utc::now() - chrono::Duration::minutes(1);
    engine.poll_once(id).await.unwrap();
    engine.detect_once(Utc::now(), before).await.unwrap();
    let asked = engine
        .store()
        .read_blocking(|s| s.escalations(EscalationFilter::default()))
        .unwrap()
        .into_iter()
        .find(|e| e.kind.as_str() == "needs_approval")
        .expect("the request is an escalation");
    engine
        .decide_escalation(asked.id, EscalationAction::Approve, None, "ana".into())
        .await
        .unwrap();
    let after = engine
        .deliver_decision(asked.id, Duration::from_secs(10))
        .await
        .unwrap();
    let delivery = &after.deliveries[0];
    assert_eq!(delivery.state, DeliveryState::Delivered);
    assert_eq!(
        delivery.last_error.as_deref(),
        Some("HTTP 200 with an acknowledgement over 64 KiB, not read")
    );
}
