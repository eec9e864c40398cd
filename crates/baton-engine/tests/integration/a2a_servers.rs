//! A2A servers as they really behave (fasta2a, the LangGraph dev server; see
//! tests/peers/*-notes.md), played by a scripted server over real HTTP: an answer that starts a
//! new task, a question answered outside A2A whose task keeps its old status time, timestamps
//! without a zone in the server's local time, a 0.3 server, a followed task the server forgot.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::scripted_a2a::*;
use crate::support::*;
use baton_core::agent::{AdapterKind, AgentDraft};
use baton_core::escalations::{DeliveryState, Escalation, EscalationAction, EscalationState};
use baton_core::task::TaskState;
use baton_engine::Engine;
use baton_store::escalations::EscalationFilter;
use chrono::Utc;
use serde_json::{json, Value};

/// An A2A agent at `agent.base_url`, polled by hand.
fn a2a_agent(agent: &ScriptedAgent) -> (Engine, i64) {
    let engine = engine();
    let config = store_agent(
        &engine,
        &AgentDraft {
            adapter: AdapterKind::A2a,
            ..draft("server", &agent.base_url, 5_000, 1_000)
        },
    );
    (engine, config.id)
}

/// Task `id` waiting for input, its question in the last agent message of its history (as
/// fasta2a and LangGraph put it), stamped `at`.
fn waiting(id: &str, at: &str) -> Value {
    json!({
        "id": id,
        "contextId": "ctx-1",
        "status": {"state": "input-required", "timestamp": at},
        "history": [
            {"messageId": "u-1", "role": "user", "parts": [{"kind": "text", "text": "plan the trip"}]},
            {"messageId": "a-1", "role": "agent", "parts": [{"kind": "text", "text": "Which city?"}]}
        ]
    })
}

async fn poll_and_detect(engine: &Engine, id: i64) {
    let before = Utc::now() - chrono::Duration::minutes(1);
    engine
        .poll_once(id)
        .await
        .expect("the poll reads the agent");
    engine.detect_once(Utc::now(), before).await.unwrap();
}

fn open_requests(engine: &Engine) -> Vec<Escalation> {
    engine
        .store()
        .read_blocking(|s| s.escalations(EscalationFilter::default()))
        .unwrap()
        .into_iter()
        .filter(|e| e.kind.as_str() == "needs_approval" && e.state == EscalationState::Open)
        .collect()
}

fn task_state(engine: &Engine, agent: i64, task: &str) -> Option<TaskState> {
    let task = task.to_owned();
    engine
        .store()
        .read_blocking(move |s| s.task_cards(Some(agent)))
        .unwrap()
        .into_iter()
        .find(|c| c.task_id == task)
        .map(|c| c.state)
}

fn rpc_error(request: &Value, code: i64, message: &str) -> Answer {
    let body =
        json!({"jsonrpc": "2.0", "id": request["id"], "error": {"code": code, "message": message}});
    (200, body.to_string())
}

/// A 0.3 card whose JSON-RPC endpoint is `url` (as fasta2a serves it).
fn card_0_3(url: &str) -> String {
    json!({"name": "Planner", "url": url, "protocolVersion": "0.3.0",
           "preferredTransport": "JSONRPC", "version": "1.0.0", "skills": [],
           "capabilities": {}, "defaultInputModes": ["text/plain"], "defaultOutputModes": ["text/plain"]})
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_that_starts_a_new_task_keeps_the_escalation_open_and_says_so() {
    // fasta2a: `message/send` with the waiting task's id runs a new task in the same context;
    // the waiting one stays input-required.
    let agent = ScriptedAgent::start(|_, _, request| match request["method"].as_str() {
        Some("tasks/get") => rpc_result(request, waiting("t-1", "2026-11-22T07:13:45Z")),
        Some("message/send") => {
            let mut fresh = task("t-2", "submitted");
            fresh["kind"] = json!("task");
            rpc_result(request, fresh)
        }
        _ => rpc_error(request, -32601, "Method not found"),
    })
    .await;
    agent.set_card(200, card_0_3(&format!("{}/rpc", agent.base_url)));
    let (engine, id) = a2a_agent(&agent);
    assert!(engine.follow_task(id, "t-1".into()).await.unwrap());
    poll_and_detect(&engine, id).await;
    let asked = open_requests(&engine);
    assert_eq!(asked.len(), 1, "the question is one escalation");
    assert!(
        asked[0].title.contains("Which city?"),
        "the question from the last agent message: {}",
        asked[0].title
    );

    engine
        .decide_escalation(
            asked[0].id,
            EscalationAction::Approve,
            Some("Lisbon".into()),
            "ana".into(),
        )
        .await
        .unwrap();
    let after = engine
        .deliver_decision(asked[0].id, Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(
        after.state,
        EscalationState::Open,
        "the answer did not count"
    );
    let delivery = &after.deliveries[0];
    assert_eq!(delivery.state, DeliveryState::Declined);
    let said = delivery.last_error.as_deref().unwrap_or_default();
    assert!(
        said.contains("new task (t-2)") && said.contains("t-1, which still waits for input"),
        "{said}"
    );
    assert_eq!(after.decision.as_ref().unwrap().action, "approve");
    // The waiting task still waits; nothing new opened beside the escalation.
    poll_and_detect(&engine, id).await;
    assert_eq!(open_requests(&engine).len(), 1);
    assert_eq!(
        task_state(&engine, id, "t-1"),
        Some(TaskState::InputRequired)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_question_answered_outside_a2a_settles_though_the_list_never_shows_it() {
    // LangGraph: answered through its own API, the task reports completed with the status time
    // it had, so a list of tasks changed since the last poll never names it again.
    let answered = Arc::new(Mutex::new(false));
    let done = Arc::clone(&answered);
    let old = "2026-11-22T07:13:45Z";
    let agent = ScriptedAgent::start(move |_, _, request| {
        let completed = *done.lock().unwrap();
        let current = if completed {
            task("t-1", "TASK_STATE_COMPLETED")
        } else {
            waiting("t-1", old)
        };
        match request["method"].as_str() {
            Some("ListTasks") if request["params"]["statusTimestampAfter"].is_string() => {
                rpc_result(request, page(vec![], ""))
            }
            Some("ListTasks") => rpc_result(request, page(vec![current], "")),
            Some("GetTask") => rpc_result(request, current),
            _ => rpc_error(request, -32601, "Method not found"),
        }
    })
    .await;
    let (engine, id) = a2a_agent(&agent);
    poll_and_detect(&engine, id).await;
    assert_eq!(open_requests(&engine).len(), 1);
    *answered.lock().unwrap() = true;
    poll_and_detect(&engine, id).await;
    assert_eq!(task_state(&engine, id, "t-1"), Some(TaskState::Completed));
    assert!(open_requests(&engine).is_empty(), "settled by the agent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn times_without_a_zone_are_read_in_the_servers_zone_from_its_date_header() {
    // A server in UTC−8 writing local times without a zone (fasta2a): a task that started
    // 20 s ago must not look eight hours old.
    let local = (Utc::now() - chrono::Duration::hours(8) - chrono::Duration::seconds(20))
        .naive_utc()
        .format("%Y-%m-%dT%H:%M:%S%.6f")
        .to_string();
    let agent = ScriptedAgent::start(move |_, _, request| match request["method"].as_str() {
        Some("ListTasks") => {
            let mut t = task("t-1", "TASK_STATE_WORKING");
            t["status"]["timestamp"] = json!(local);
            rpc_result(request, page(vec![t], ""))
        }
        _ => rpc_error(request, -32601, "Method not found"),
    })
    .await;
    let (engine, id) = a2a_agent(&agent);
    engine.poll_once(id).await.unwrap();
    let card = engine
        .store()
        .read_blocking(move |s| s.task_cards(Some(id)))
        .unwrap()
        .remove(0);
    let age = Utc::now() - card.state_since;
    assert!(
        age >= chrono::Duration::seconds(15) && age < chrono::Duration::minutes(2),
        "read as about 20 s old, not {age}"
    );
    let row = engine
        .store()
        .read_blocking(move |s| s.agent_row(id))
        .unwrap();
    let detail = row.remote_detail.unwrap_or_default();
    assert!(detail.contains("read as UTC−08:00"), "{detail}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_0_3_server_is_known_not_to_list_so_its_tasks_can_be_followed() {
    let agent =
        ScriptedAgent::start(|_, _, request| rpc_error(request, -32601, "Method not found")).await;
    agent.set_card(200, card_0_3(&format!("{}/rpc", agent.base_url)));
    let (engine, id) = a2a_agent(&agent);
    engine.poll_once(id).await.unwrap();
    let stored = engine
        .store()
        .read_blocking(move |s| s.a2a_card(id))
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.lists_tasks,
        Some(false),
        "the app offers Follow a task…"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_followed_task_the_server_forgot_is_no_longer_polled() {
    let agent = ScriptedAgent::start(|_, _, request| match request["method"].as_str() {
        Some("tasks/get") => rpc_error(request, -32001, "Task not found"),
        _ => rpc_error(request, -32601, "Method not found"),
    })
    .await;
    agent.set_card(200, card_0_3(&format!("{}/rpc", agent.base_url)));
    let (engine, id) = a2a_agent(&agent);
    assert!(engine.follow_task(id, "lost".into()).await.unwrap());
    engine.poll_once(id).await.unwrap();
    let warning = health(&engine, id).last_error.unwrap_or_default();
    assert!(
        warning.contains("no longer knows task lost") && !warning.contains("A2A: A2A"),
        "{warning}"
    );
    assert_eq!(task_state(&engine, id, "lost"), None);
    let asked = agent.request_count();
    engine.poll_once(id).await.unwrap();
    assert_eq!(agent.request_count(), asked, "not asked for again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_connection_counts_every_task_and_names_the_protocol_once() {
    // 122 tasks: the first page holds 100 and says how many there are.
    let agent = ScriptedAgent::start(|_, _, request| match request["method"].as_str() {
        Some("ListTasks") => {
            let tasks = (0..100)
                .map(|i| task(&format!("t-{i}"), "TASK_STATE_COMPLETED"))
                .collect();
            let mut first = page(tasks, "next");
            first["totalSize"] = json!(122);
            rpc_result(request, first)
        }
        _ => rpc_error(request, -32601, "Method not found"),
    })
    .await;
    let engine = engine();
    let pasted = format!("{}/.well-known/agent-card.json", agent.base_url);
    let draft = AgentDraft {
        adapter: AdapterKind::A2a,
        ..draft("server", &pasted, 5_000, 1_000)
    };
    let report = engine.test_connection(&draft, None).await;
    assert!(report.ok, "{}", report.message);
    assert!(
        report.message.contains("with 122 tasks"),
        "{}",
        report.message
    );
    assert_eq!(report.task_count, Some(122));

    // A card that is not there: each protocol named once, before its own reason.
    agent.set_card(404, "{}".into());
    let report = engine.test_connection(&draft, None).await;
    assert!(!report.ok);
    assert!(
        report.message.starts_with("A2A: the agent card is not at")
            && !report.message.contains("A2A: A2A"),
        "{}",
        report.message
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_reported_completed_for_a_moment_then_waiting_is_seen_waiting() {
    // LangGraph under load: an interrupted run reads `completed` once, then `input-required`
    // under the same status time, which a list of tasks changed after that time leaves out.
    let at = Utc::now().to_rfc3339();
    let flipped = Arc::new(Mutex::new(false));
    let seen = Arc::clone(&flipped);
    let agent = ScriptedAgent::start(move |_, _, request| {
        let mut after_flip = seen.lock().unwrap();
        let mut current = task("t-1", "TASK_STATE_COMPLETED");
        current["status"]["timestamp"] = json!(at);
        if *after_flip {
            current = waiting("t-1", &at);
        }
        match request["method"].as_str() {
            // Strictly after: a task at the cursor's own time is not listed again.
            Some("ListTasks") if request["params"]["statusTimestampAfter"].is_string() => {
                rpc_result(request, page(vec![], ""))
            }
            Some("ListTasks") => {
                let listed = rpc_result(request, page(vec![current], ""));
                *after_flip = true;
                listed
            }
            Some("GetTask") => rpc_result(request, current),
            _ => rpc_error(request, -32601, "Method not found"),
        }
    })
    .await;
    let (engine, id) = a2a_agent(&agent);
    poll_and_detect(&engine, id).await;
    assert_eq!(task_state(&engine, id, "t-1"), Some(TaskState::Completed));
    poll_and_detect(&engine, id).await;
    assert_eq!(
        task_state(&engine, id, "t-1"),
        Some(TaskState::InputRequired),
        "read again once it ended"
    );
    assert_eq!(open_requests(&engine).len(), 1, "its question is escalated");
}
