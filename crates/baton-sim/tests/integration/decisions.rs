//! Decisions and bearer tokens on a simulated agent, over real HTTP.

use crate::common::*;
use baton_core::protocol::{DecisionAck, DecisionDelivery, EventKind};
use baton_core::task::TaskState;
use chrono::Utc;

fn decision(id: &str, task: &str, action: &str) -> DecisionDelivery {
    DecisionDelivery {
        decision_id: id.into(),
        escalation_id: Some("esc-1".into()),
        task_id: Some(task.into()),
        action: action.into(),
        note: Some("ok".into()),
        decided_by: "ana@example.com".into(),
        decided_at: Utc::now(),
        budget: None,
        ..Default::default()
    }
}

async fn post(
    http: &reqwest::Client,
    base: &str,
    key: Option<&str>,
    body: Vec<u8>,
) -> reqwest::Response {
    let mut request = http
        .post(format!("{base}/baton/v1/decisions"))
        .header("content-type", "application/json")
        .body(body);
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn decisions_apply_once_per_idempotency_key() {
    let fleet = manual_fleet(4, 42).await;
    let http = client();
    // The publisher often asks a human; tick until one of its tasks waits.
    let base = fleet.agents()[3].base_url.clone();
    let mut waiting = None;
    for _ in 0..300 {
        fleet.step_agent(3);
        let doc = poll(&http, &base, None).await;
        if let Some(t) = doc
            .tasks
            .iter()
            .find(|t| t.state == TaskState::InputRequired)
        {
            let asked = doc
                .events
                .iter()
                .any(|e| e.kind == EventKind::NeedsApproval && e.task_id.as_deref() == Some(&t.id));
            assert!(asked, "input_required comes with a needs_approval event");
            waiting = Some(t.id.clone());
            break;
        }
    }
    let task = waiting.expect("some task needs a human within 300 ticks");
    let ack_schema = def_validator("decision_ack");
    let body = serde_json::to_vec(&decision("dec-1", &task, "approve")).unwrap();
    for (round, duplicate) in [(0, false), (1, true), (2, true)] {
        let response = post(&http, &base, Some("dec-1"), body.clone()).await;
        assert_eq!(response.status(), 200, "round {round}");
        let value: serde_json::Value = response.json().await.unwrap();
        assert!(schema_errors(&ack_schema, &value).is_empty(), "{value}");
        let ack: DecisionAck = serde_json::from_value(value).unwrap();
        assert_eq!(
            ack,
            DecisionAck {
                accepted: true,
                duplicate
            },
            "round {round}"
        );
    }
    assert_eq!(fleet.decisions(3).len(), 1);
    assert_eq!(fleet.decisions(3)[0].decision_id, "dec-1");
    let doc = poll(&http, &base, None).await;
    let state = doc.tasks.iter().find(|t| t.id == task).unwrap().state;
    assert_eq!(state, TaskState::Working, "approve resumes the task");

    let response = post(&http, &base, None, body.clone()).await;
    assert_eq!(response.status(), 400);
    assert!(response.text().await.unwrap().contains("Idempotency-Key"));
    let response = post(&http, &base, Some("dec-2"), b"{\"action\":".to_vec()).await;
    assert_eq!(response.status(), 400);
    let text = response.text().await.unwrap();
    assert!(text.contains("not a DecisionDelivery"), "{text}");
    let response = post(
        &http,
        &base,
        Some("dec-3"),
        b"{\"action\":\"approve\"}".to_vec(),
    )
    .await;
    assert_eq!(response.status(), 400, "missing fields are bad JSON too");
    assert_eq!(
        fleet.decisions(3).len(),
        1,
        "nothing recorded from bad requests"
    );
    assert!(fleet.decisions(0).is_empty());
    fleet.shutdown().await;
}

#[tokio::test]
async fn a_token_is_required_once_set() {
    let fleet = manual_fleet(2, 42).await;
    let http = client();
    let base = fleet.agents()[0].base_url.clone();
    fleet.set_token(0, Some("s3cret".into()));
    let url = status_url(&base, None);
    let none = http.get(&url).send().await.unwrap();
    assert_eq!(none.status(), 401);
    assert_eq!(none.headers()["www-authenticate"], "Bearer");
    let wrong = http.get(&url).bearer_auth("nope").send().await.unwrap();
    assert_eq!(wrong.status(), 401);
    let basic = http
        .get(&url)
        .basic_auth("s3cret", None::<&str>)
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), 401);
    let right = http.get(&url).bearer_auth("s3cret").send().await.unwrap();
    assert_eq!(right.status(), 200);
    check_body(&right.bytes().await.unwrap());
    let body = serde_json::to_vec(&decision("d", "t", "approve")).unwrap();
    assert_eq!(
        post(&http, &base, Some("d"), body.clone()).await.status(),
        401
    );
    assert!(fleet.decisions(0).is_empty());
    // The other agent has no token.
    poll(&http, &fleet.agents()[1].base_url, None).await;
    assert_eq!(fleet.poll_count(0), 4, "refused polls are counted too");
    fleet.set_token(0, None);
    poll(&http, &base, None).await;
    fleet.shutdown().await;
}
