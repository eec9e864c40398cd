//! Answering an A2A agent's question when the agent's reply to the answer is lost: the agent
//! applied the message but its acknowledgement never arrived. The relay tries again, finds the
//! message (its id is the decision's idempotency key) in the task's history, and counts it as
//! delivered without sending it twice.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::scripted_a2a::*;
use crate::support::*;
use baton_core::agent::{AdapterKind, AgentDraft};
use baton_core::escalations::{DeliveryState, EscalationAction};
use baton_engine::EngineConfig;
use baton_store::escalations::EscalationFilter;
use serde_json::{json, Value};

/// The one task the agent has: waiting for an answer, with the messages it received so far.
fn asking(history: &[String]) -> Value {
    let mut task = task("q-1", "TASK_STATE_INPUT_REQUIRED");
    task["status"]["message"] = json!({"messageId": "agent-1", "role": "ROLE_AGENT",
                                        "parts": [{"text": "Which colour?"}]});
    task["history"] = history
        .iter()
        .map(|id| json!({"messageId": id, "role": "ROLE_USER", "parts": [{"text": "green"}]}))
        .collect();
    task
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_whose_acknowledgement_was_lost_is_not_sent_twice() {
    let history = Arc::new(Mutex::new(Vec::<String>::new()));
    let sends = Arc::new(AtomicUsize::new(0));
    let (seen, sent) = (Arc::clone(&history), Arc::clone(&sends));
    let agent = ScriptedAgent::start(move |_, _, request| {
        let mut history = seen.lock().unwrap();
        match request["method"].as_str() {
            Some("ListTasks") => rpc_result(request, page(vec![asking(&history)], "")),
            Some("GetTask") => rpc_result(request, asking(&history)),
            Some("SendMessage") => {
                // Applied, then the answer is lost on the way back.
                sent.fetch_add(1, Ordering::SeqCst);
                let id = request["params"]["message"]["messageId"]
                    .as_str()
                    .unwrap_or("");
                history.push(id.to_owned());
                (502, "<h1>Bad Gateway</h1>".into())
            }
            _ => (400, "{}".into()),
        }
    })
    .await;

    let engine = engine_with(EngineConfig {
        spread_start: false,
        detect_every_ms: 100,
        ..test_config()
    });
    engine.start_all().await.unwrap();
    let id = engine
        .add_agent(
            AgentDraft {
                adapter: AdapterKind::A2a,
                ..draft("asker", &agent.base_url, 300, 250)
            },
            None,
        )
        .await
        .unwrap()
        .id;
    let store = engine.store();
    let open = || {
        store
            .read_blocking(|s| s.escalations(EscalationFilter::default()))
            .unwrap()
            .into_iter()
            .find(|e| e.kind.as_str() == "needs_approval")
    };
    assert!(
        eventually(Duration::from_secs(10), || open().is_some()).await,
        "the question becomes an escalation"
    );
    let escalation = open().unwrap();
    assert_eq!(escalation.agents, vec![id]);
    engine
        .decide_escalation(
            escalation.id,
            EscalationAction::Approve,
            Some("green".into()),
            "ana".into(),
        )
        .await
        .unwrap();

    let delivered = || {
        let id = escalation.id;
        let e = store.read_blocking(move |s| s.escalation(id)).unwrap();
        e.deliveries
            .first()
            .filter(|d| d.state == DeliveryState::Delivered)
            .map(|d| d.attempts)
    };
    assert!(
        eventually(Duration::from_secs(15), || delivered().is_some()).await,
        "delivered once the history shows the message: {:?}",
        {
            let id = escalation.id;
            store
                .read_blocking(move |s| s.escalation(id))
                .unwrap()
                .deliveries
        }
    );
    assert!(delivered().unwrap() >= 2, "a second attempt found it");
    assert_eq!(sends.load(Ordering::SeqCst), 1, "sent once, never again");
    let history = history.lock().unwrap().clone();
    assert_eq!(history.len(), 1);
    assert!(
        history[0].starts_with("dec-"),
        "the idempotency key: {history:?}"
    );
    engine.shutdown().await;
}
