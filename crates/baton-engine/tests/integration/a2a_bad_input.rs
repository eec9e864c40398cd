//! A2A agents that answer badly, over real HTTP from a scripted server: a card that lies about
//! its interfaces, pagination that never ends, tasks with wrong state names or missing fields,
//! junk where a card or an answer should be. Each poll ends (no panic, no endless loop) with a
//! clear message on the agent's row; what could be read is kept.

use std::sync::{Arc, Mutex};

use crate::support::scripted_a2a::*;
use crate::support::*;
use baton_core::agent::{AdapterKind, Reachability};
use baton_engine::EngineError;
use serde_json::{json, Value};

/// An A2A agent at `agent.base_url`, polled by hand.
async fn a2a_agent(agent: &ScriptedAgent) -> (baton_engine::Engine, i64) {
    let engine = engine();
    let config = store_agent(
        &engine,
        &baton_core::agent::AgentDraft {
            adapter: AdapterKind::A2a,
            ..draft("scripted", &agent.base_url, 5_000, 1_000)
        },
    );
    (engine, config.id)
}

/// Polls once, expecting a failure; checks the agent's row says exactly that and returns it.
async fn failed_poll(engine: &baton_engine::Engine, id: i64) -> String {
    let err = engine.poll_once(id).await.unwrap_err();
    let EngineError::PollFailed(message) = err else {
        panic!("expected a failed poll, got {err:?}");
    };
    eprintln!("row says: {message}");
    let health = health(engine, id);
    assert_eq!(health.reachability, Reachability::Down);
    assert_eq!(health.last_error.as_deref(), Some(message.as_str()));
    message
}

fn assert_says(message: &str, parts: &[&str]) {
    for part in parts {
        assert!(message.contains(part), "{message:?} should say {part:?}");
    }
}

#[tokio::test]
async fn a_card_naming_an_interface_where_nothing_answers_a2a_says_which_url() {
    // The card's JSON-RPC URL is a path this server does not serve.
    let agent = ScriptedAgent::start(|_, _, _| (404, r#"{"detail":"Not Found"}"#.into())).await;
    let (engine, id) = a2a_agent(&agent).await;
    let message = failed_poll(&engine, id).await;
    assert_says(
        &message,
        &[
            "A2A ListTasks at ",
            &format!("{}/rpc", agent.base_url),
            "HTTP 404",
        ],
    );
    assert!(!message.contains("A2A: HTTP"), "{message}");

    // The card names an HTTP+JSON interface on a port where nothing listens.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}/a2a/rest", closed.local_addr().unwrap());
    drop(closed);
    let mut card: Value = serde_json::from_str(&card_json("unused")).unwrap();
    card["supportedInterfaces"] =
        json!([{"url": dead, "protocolBinding": "HTTP+JSON", "protocolVersion": "1.0"}]);
    agent.set_card(200, card.to_string());
    let message = failed_poll(&engine, id).await;
    assert_says(
        &message,
        &["A2A ListTasks at ", &dead, "connection refused"],
    );

    // It names JSON-RPC but an HTML page answers there.
    let agent = ScriptedAgent::start(|_, _, _| (200, "<html>hello</html>".into())).await;
    let (engine, id) = a2a_agent(&agent).await;
    let message = failed_poll(&engine, id).await;
    assert_says(&message, &["A2A ListTasks at ", "/rpc", "not JSON"]);
}

#[tokio::test]
async fn a_card_that_offers_nothing_baton_speaks_or_is_junk_says_so() {
    let agent = ScriptedAgent::start(|_, _, _| (500, String::new())).await;
    let (engine, id) = a2a_agent(&agent).await;
    let cases: Vec<(u16, String, &[&str])> = vec![
        (
            200,
            json!({"name": "grpc only", "supportedInterfaces": [
                {"url": "grpc://h:1", "protocolBinding": "GRPC", "protocolVersion": "1.0"}]})
            .to_string(),
            &["no interface Baton can use"],
        ),
        (
            200,
            "{\"name\": \"cut".into(),
            &["agent card at ", "is not JSON"],
        ),
        (200, "[1, 2, 3]".into(), &["agent card"]),
        (
            200,
            json!({"supportedInterfaces": "everywhere"}).to_string(),
            &["agent card"],
        ),
        (404, "{}".into(), &["agent card is not at", "(HTTP 404)"]),
        (500, "oops".into(), &["agent card at ", "answered HTTP 500"]),
    ];
    for (status, body, parts) in cases {
        agent.set_card(status, body.clone());
        let message = failed_poll(&engine, id).await;
        assert_says(&message, parts);
        assert!(message.len() < 400, "kept short: {message}");
    }
    assert_eq!(agent.request_count(), 0, "no call without a usable card");
}

#[tokio::test]
async fn pagination_that_never_ends_is_cut_off_with_a_reason() {
    // The same token again and again.
    let agent = ScriptedAgent::start(|_, _, request| {
        rpc_result(
            request,
            page(vec![task("t-1", "TASK_STATE_WORKING")], "again"),
        )
    })
    .await;
    let (engine, id) = a2a_agent(&agent).await;
    let message = failed_poll(&engine, id).await;
    assert_says(
        &message,
        &["pagination never ends", "\"again\" came back twice"],
    );
    assert_eq!(agent.request_count(), 2);

    // A new token every time: stopped after 100 pages, not followed forever.
    let counter = Arc::new(Mutex::new(0u32));
    let agent = ScriptedAgent::start(move |_, _, request| {
        let mut n = counter.lock().unwrap();
        *n += 1;
        rpc_result(request, page(vec![], &format!("page-{n}")))
    })
    .await;
    let (engine, id) = a2a_agent(&agent).await;
    let message = failed_poll(&engine, id).await;
    assert_says(&message, &["pagination never ends", "100 pages"]);
    assert_eq!(agent.request_count(), 100);
    let store = engine.store();
    assert!(store
        .read_blocking(move |s| s.task_cards(Some(id)))
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn tasks_with_wrong_states_or_missing_fields_are_skipped_and_named_on_the_row() {
    let agent = ScriptedAgent::start(|_, _, request| {
        rpc_result(
            request,
            page(
                vec![
                    task("good", "TASK_STATE_WORKING"),
                    task("odd", "TASK_STATE_DREAMING"),
                    json!({"id": "no-status"}),
                    json!({"status": {"state": "working"}}),
                    json!(42),
                ],
                "",
            ),
        )
    })
    .await;
    let (engine, id) = a2a_agent(&agent).await;
    engine
        .poll_once(id)
        .await
        .expect("the readable task is kept");
    let cards = engine
        .store()
        .read_blocking(move |s| s.task_cards(Some(id)))
        .unwrap();
    assert_eq!(cards.len(), 1);
    assert_eq!(cards[0].task_id, "good");
    let health = health(&engine, id);
    assert_eq!(health.reachability, Reachability::Up);
    let warning = health.last_error.expect("the skipped tasks are named");
    assert_says(&warning, &["4 tasks were not read", "TASK_STATE_DREAMING"]);
}

#[tokio::test]
async fn answers_of_the_wrong_shape_fail_the_poll_clearly() {
    type Case = (fn(&Value) -> Answer, &'static [&'static str]);
    let cases: Vec<Case> = vec![
        // A result that is not a page of tasks.
        (
            |r| rpc_result(r, json!({"items": []})),
            &["A2A ListTasks at ", "no `tasks` array"],
        ),
        // `tasks` of the wrong type.
        (
            |r| rpc_result(r, json!({"tasks": "all of them"})),
            &["A2A ListTasks at ", "no `tasks` array"],
        ),
        // Neither result nor error.
        (
            |r| (200, json!({"jsonrpc": "2.0", "id": r["id"]}).to_string()),
            &["without `result` or `error`"],
        ),
        // A JSON-RPC error Baton has no meaning for.
        (
            |r| {
                (200, json!({"jsonrpc": "2.0", "id": r["id"], "error": {"code": -32603, "message": "boom"}}).to_string())
            },
            &["A2A ListTasks at ", "JSON-RPC error -32603: boom"],
        ),
        // A truncated body.
        (
            |_| (200, r#"{"jsonrpc":"2.0","result":{"tasks":["#.into()),
            &["not JSON"],
        ),
        // More than the body cap (4 MiB).
        (
            |_| (200, " ".repeat(5 << 20)),
            &["A2A ListTasks at ", "body over 4 MiB"],
        ),
        // A server error page.
        (
            |_| (502, "<h1>Bad Gateway</h1>".into()),
            &["A2A ListTasks at ", "HTTP 502"],
        ),
    ];
    for (answer, parts) in cases {
        let agent = ScriptedAgent::start(move |_, _, request| answer(request)).await;
        let (engine, id) = a2a_agent(&agent).await;
        let message = failed_poll(&engine, id).await;
        assert_says(&message, parts);
    }
}

#[tokio::test]
async fn a_followed_task_the_agent_answers_badly_for_is_named_and_the_others_kept() {
    // An agent that cannot list: Baton follows the tasks it was given, one GetTask each.
    let agent = ScriptedAgent::start(|_, _, request| match request["method"].as_str() {
        Some("ListTasks") => (
            200,
            json!({"jsonrpc": "2.0", "id": request["id"], "error": {"code": -32004, "message": "ListTasks is not supported"}}).to_string(),
        ),
        Some("GetTask") => match request["params"]["id"].as_str() {
            Some("fine") => rpc_result(request, task("fine", "TASK_STATE_COMPLETED")),
            Some("gone") => (
                200,
                json!({"jsonrpc": "2.0", "id": request["id"], "error": {"code": -32001, "message": "Task not found"}}).to_string(),
            ),
            _ => rpc_result(request, json!({"id": "weird", "status": {"state": 7}})),
        },
        _ => (400, "{}".into()),
    })
    .await;
    let (engine, id) = a2a_agent(&agent).await;
    for task_id in ["fine", "gone", "weird"] {
        assert!(engine.follow_task(id, task_id.into()).await.unwrap());
    }
    engine
        .poll_once(id)
        .await
        .expect("the readable task is kept");
    let cards = engine
        .store()
        .read_blocking(move |s| s.task_cards(Some(id)))
        .unwrap();
    let fine = cards.iter().find(|c| c.task_id == "fine").unwrap();
    assert_eq!(fine.state, baton_core::task::TaskState::Completed);
    let warning = health(&engine, id).last_error.expect("named on the row");
    assert_says(
        &warning,
        &[
            "a task was not read",
            "no longer knows task gone; Baton stopped following it",
        ],
    );
}

#[tokio::test]
async fn following_a_task_is_refused_for_a_baton_agent_a_junk_id_or_no_agent() {
    let engine = engine();
    let baton = store_agent(
        &engine,
        &draft("native", "http://127.0.0.1:9", 5_000, 1_000),
    );
    let err = engine
        .follow_task(baton.id, "t-1".into())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "not_a2a");
    assert_eq!(
        err.to_string(),
        "native does not speak A2A: Baton follows tasks by id only for A2A agents"
    );

    let agent = ScriptedAgent::start(|_, _, _| (500, String::new())).await;
    let (engine, id) = a2a_agent(&agent).await;
    for junk in ["", "   ", &"x".repeat(10_000)] {
        let err = engine.follow_task(id, junk.into()).await.unwrap_err();
        assert_eq!(err.code(), "invalid_task_id", "{junk:.20}");
    }
    assert!(engine.follow_task(id, " t-1 ".into()).await.unwrap());
    assert!(!engine.follow_task(id, "t-1".into()).await.unwrap(), "once");
    let err = engine.follow_task(999, "t-1".into()).await.unwrap_err();
    assert_eq!(err.code(), "not_found");
}
