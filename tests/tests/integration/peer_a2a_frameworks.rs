//! Baton headless against A2A agents as the big frameworks build them, through the CLI as a
//! terminal user runs it (`baton.toml` with `protocol = "auto"`, `baton watch`, `baton decide`;
//! the store is only read to check):
//!
//! * a Google ADK agent served with ADK's own `to_a2a` (google-adk 2.13, a2a-sdk 1.3): it asks
//!   through a long-running function call, a data part and no text. The question is shown, with
//!   the task's title; the answer goes back as a `function_response` for that call and the task
//!   completes; a small form is answered field by field; a rejection reads `approved: false`.
//! * the official JavaScript SDK (`@a2a-js/sdk` 1.3 with express), A2A 1.0 over JSON-RPC and
//!   over HTTP+JSON: detected, its states shown, its question (words and a data part) answered
//!   in words, its failure shown.
//!
//! `cargo test -p baton-tests --test integration peer_a2a_frameworks::`; needs `scripts/setup.sh --test`.

use baton_core::a2a::{Binding, ProtocolVersion};
use baton_core::escalations::{DeliveryState, Escalation};
use baton_core::task::TaskState;
use baton_store::decisions::DecisionFilter;
use baton_tests::peers::{A2aJs, AdkAgent, Headless};
use serde_json::Value;

/// Answers escalation `asked` with `args` (`answer TEXT`, `reject --note …`) and waits until
/// its delivery is acknowledged; the delivery's note.
async fn answer(baton: &Headless, asked: &Escalation, task: &str, args: &[&str]) -> String {
    let id = asked.id.to_string();
    let mut decide = vec!["decide", id.as_str()];
    decide.extend_from_slice(args);
    decide.extend_from_slice(&["--wait", "20"]);
    let said = baton.baton(&decide);
    eprintln!("decide said: {said}");
    let delivered = baton
        .wait("the answer delivered", || {
            baton.request_for(task).filter(|e| {
                e.deliveries
                    .first()
                    .is_some_and(|d| d.state == DeliveryState::Delivered)
            })
        })
        .await;
    delivered.deliveries[0]
        .last_error
        .clone()
        .unwrap_or_default()
}

/// The task's artifact texts and its last user message's parts, as the server has them.
fn artifact_text(task: &Value) -> String {
    task["artifacts"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|a| a["parts"].as_array().cloned().unwrap_or_default())
        .filter_map(|p| p["text"].as_str().map(str::to_owned))
        .collect::<Vec<_>>()
        .join(" ")
}

fn last_user_part(task: &Value) -> Value {
    task["history"]
        .as_array()
        .and_then(|h| h.iter().rev().find(|m| m["role"] == "ROLE_USER"))
        .map(|m| m["parts"][0].clone())
        .unwrap_or_default()
}

fn detail_of(baton: &Headless, task: &str) -> String {
    baton
        .store()
        .and_then(|s| s.task_cards(None).ok())
        .and_then(|cards| cards.into_iter().find(|c| c.task_id == task))
        .and_then(|c| c.detail)
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adk_asks_through_a_function_call_and_gets_its_function_response() {
    let agent = AdkAgent::start();
    let baton = Headless::start("adk-peer", &agent.base_url);

    // The question is the call's `question` argument; the task's title tells asks apart.
    let trip = agent.submit("ask me where to go").await;
    baton.reaches(&trip, TaskState::InputRequired).await;
    let asked = baton.asked(&trip).await;
    assert!(
        asked.title.contains("Which city?") && asked.title.contains("ask me where to go"),
        "{}",
        asked.title
    );
    let detail = detail_of(&baton, &trip);
    assert!(
        detail.contains("function: ask_human") && detail.contains("reason: to book the trip"),
        "{detail}"
    );
    let call_id = agent.task(&trip).await["status"]["message"]["parts"][0]["data"]["id"]
        .as_str()
        .expect("the call's id")
        .to_owned();

    // The answer goes back as the call's function_response, and the task completes.
    let note = answer(&baton, &asked, &trip, &["answer", "Lisbon"]).await;
    assert!(
        note.contains(&format!("as a function_response to ask_human ({call_id})"))
            && note.contains("it is now completed"),
        "{note}"
    );
    baton.reaches(&trip, TaskState::Completed).await;
    let done = agent.task(&trip).await;
    assert_eq!(done["status"]["state"], "TASK_STATE_COMPLETED");
    assert_eq!(artifact_text(&done), "Booked a trip to Lisbon.");
    let sent = last_user_part(&done);
    assert_eq!(sent["metadata"]["adk_type"], "function_response", "{sent}");
    assert_eq!(sent["data"]["id"], call_id.as_str());
    assert_eq!(sent["data"]["name"], "ask_human");
    assert_eq!(sent["data"]["response"]["response"], "Lisbon");
    // The decision log says which form was sent.
    let log = baton
        .store()
        .expect("the store")
        .decisions(&DecisionFilter::default())
        .expect("the decision log");
    let delivered = log
        .iter()
        .find(|d| d.action == "delivered" && d.escalation_id == Some(asked.id))
        .expect("a delivered entry");
    assert_eq!(delivered.who, "adk-peer");
    let detail = delivered.detail.clone().unwrap_or_default();
    assert_eq!(detail["form"], "function_response", "{detail}");
    assert_eq!(detail["call"]["id"], call_id.as_str(), "{detail}");

    // A small form, answered field by field; a second ask of the same agent, told apart.
    let form = agent.submit("ask with a form").await;
    let asked_form = baton.asked(&form).await;
    assert!(
        asked_form.title.contains("Where and when?")
            && asked_form.title.contains("ask with a form"),
        "{}",
        asked_form.title
    );
    assert_ne!(asked_form.title, asked.title);
    answer(
        &baton,
        &asked_form,
        &form,
        &["answer", "city: Porto\ndate: 2026-12-24"],
    )
    .await;
    baton.reaches(&form, TaskState::Completed).await;
    let done = agent.task(&form).await;
    assert_eq!(
        artifact_text(&done),
        "Booked a trip to Porto on 2026-12-24."
    );

    // A rejection is a response the agent reads: approved false, with the note.
    let refused = agent.submit("ask me again").await;
    let asked_again = baton.asked(&refused).await;
    answer(
        &baton,
        &asked_again,
        &refused,
        &["reject", "--note", "too far"],
    )
    .await;
    baton.reaches(&refused, TaskState::Completed).await;
    assert_eq!(
        artifact_text(&agent.task(&refused).await),
        "Not going: too far"
    );

    // A failure is shown as one.
    let failed = agent.submit("fail now").await;
    baton.reaches(&failed, TaskState::Failed).await;
}

/// One run of the JS SDK agent offering `binding` only.
async fn js_sdk_over(binding: &str) {
    let agent = A2aJs::start(binding);
    let baton = Headless::start("js-peer", &agent.base_url);
    let wanted = if binding == "rest" {
        Binding::HttpJson
    } else {
        Binding::JsonRpc
    };
    baton
        .wait("the agent detected as A2A 1.0", || {
            baton.store()?.agent_rows().ok()?.into_iter().find(|r| {
                r.a2a.as_ref().is_some_and(|a| {
                    a.lists_tasks == Some(true)
                        && a.card.preferred().is_some_and(|i| {
                            i.binding == wanted && i.version == ProtocolVersion::V1
                        })
                })
            })
        })
        .await;

    let task = agent.submit("ask me a colour").await;
    baton.reaches(&task, TaskState::InputRequired).await;
    let asked = baton.asked(&task).await;
    assert!(
        asked.title.contains("What is your favourite colour?")
            && asked.title.contains("ask me a colour"),
        "{}",
        asked.title
    );
    let detail = detail_of(&baton, &task);
    assert!(
        detail.contains(r#"options: ["red","green","blue"]"#),
        "{detail}"
    );
    let note = answer(&baton, &asked, &task, &["answer", "blue"]).await;
    assert!(
        note.contains("sent as text") && note.contains("completed"),
        "{note}"
    );
    baton.reaches(&task, TaskState::Completed).await;
    let done = agent.task(&task).await;
    assert_eq!(done["status"]["state"], "TASK_STATE_COMPLETED");
    assert_eq!(done["status"]["message"]["parts"][0]["text"], "Noted: blue");

    let failed = agent.submit("fail please").await;
    baton.reaches(&failed, TaskState::Failed).await;
    assert!(
        detail_of(&baton, &failed).contains("failed on purpose"),
        "{}",
        detail_of(&baton, &failed)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn js_sdk_over_json_rpc() {
    js_sdk_over("jsonrpc").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn js_sdk_over_http_json() {
    js_sdk_over("rest").await;
}
