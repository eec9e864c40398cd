//! Decide from anywhere (issue 60), end to end over HTTP on 127.0.0.1, on SQLite and on
//! PostgreSQL: a simulated agent asks for approval, the real engine's detectors open the item,
//! the routes' loop sends one message with its buttons to the test ntfy server
//! (`baton_tests::ntfy_server`), the test posts a button's body to the reply topic as the
//! phone would, and the answer is a decision like any other: in the hash-chained log by the
//! route's person "via ntfy", delivered to the agent. Forged, expired, replayed, junk and huge
//! answers are refused, counted, and change nothing; the engine keeps going.

use std::sync::Arc;
use std::time::Duration;

use baton_core::agent::AgentDraft;
use baton_core::escalations::EscalationState;
use baton_core::notify::answer::{read_answer, sign_answer, AnswerClaim};
use baton_core::notify::{RouteDraft, RouteKind, SecretRef};
use baton_engine::{Engine, EngineConfig, MemoryTokens, StoreHandle, TokenStore};
use baton_sim::{Scenario, SimFleet};
use baton_store::decisions::DecisionFilter;
use baton_store::StoreLocation;
use baton_tests::engine::wait_for;
use baton_tests::ntfy_server::NtfyServer;
use serde_json::Value;

pub(crate) const KEY: [u8; 32] = [7; 32];
pub(crate) const TOKEN: &str = "tk_reply_and_publish";

/// A store of each engine: a SQLite file in `dir`, a fresh PostgreSQL database.
pub(crate) fn stores(dir: &tempfile::TempDir) -> Vec<(&'static str, String)> {
    vec![
        (
            "sqlite",
            dir.path().join("baton.sqlite3").display().to_string(),
        ),
        ("postgres", baton_testdb::server().fresh_database()),
    ]
}

/// The engine on `url` with an ntfy route "phone" (person "ana") to `server`, its token and the
/// data folder's answer key in the (memory) keyring.
pub(crate) async fn engine_with_route(url: &str, server: &NtfyServer) -> (Engine, i64) {
    engine_with_route_as(url, server, EngineConfig::default()).await
}

/// [`engine_with_route`] with `config` (the route is added once: by the first engine).
pub(crate) async fn engine_with_route_as(
    url: &str,
    server: &NtfyServer,
    config: EngineConfig,
) -> (Engine, i64) {
    let tokens = Arc::new(MemoryTokens::new(None));
    let hex: String = KEY.iter().map(|b| format!("{b:02x}")).collect();
    tokens.set_entry("answer-key", &hex).unwrap();
    tokens.set_entry("route-phone", TOKEN).unwrap();
    let store = StoreHandle::open_at(&StoreLocation::parse(url).unwrap(), 2).unwrap();
    let route = RouteDraft {
        server: Some(server.url.clone()),
        topic: Some("baton-out".into()),
        reply_topic: Some("baton-back".into()),
        token: Some(SecretRef::Keyring {
            service: "dev.baton.app".into(),
            user: "route-phone".into(),
        }),
        ..RouteDraft::new("phone", RouteKind::Ntfy, "ana")
    };
    let id = store
        .write(move |s| match s.route_named("phone") {
            Ok(stored) => Ok(stored.route.id),
            Err(_) => s.add_route(&route, chrono::Utc::now()).map(|r| r.id),
        })
        .await
        .unwrap();
    let engine = Engine::new(
        store,
        tokens,
        EngineConfig {
            spread_start: false,
            detect_every_ms: 200,
            // The tests wait for whole rounds of the routes' loop ("nothing more was sent").
            notify_round: std::time::Duration::from_millis(250),
            ..config
        },
    );
    engine.start_all().await.unwrap();
    (engine, id)
}

/// Posts `body` to the reply topic as a phone's `http` action does.
pub(crate) async fn post(server: &NtfyServer, body: impl Into<reqwest::Body>) {
    let answer = reqwest::Client::new()
        .post(format!("{}/baton-back", server.url))
        .bearer_auth(TOKEN)
        .body(body)
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success(), "{}", answer.status());
}

pub(crate) async fn wait_refused(engine: &Engine, reason: &str, at_least: u64) {
    let what = format!("{at_least} answer(s) refused as {reason}");
    wait_for(&what, Duration::from_secs(30), || {
        let stats = engine.notify_stats();
        (stats.answers_refused.get(reason).copied().unwrap_or(0) >= at_least).then_some(())
    })
    .await;
}

/// The `via` the decision log keeps for decision `seq`: how it came (`kind`, `route`, …).
pub(crate) async fn logged_via(engine: &Engine, seq: i64) -> Value {
    let log = engine
        .read(|s| s.decisions(&DecisionFilter::default()))
        .await
        .unwrap();
    let entry = log
        .iter()
        .find(|d| d.seq == seq)
        .expect("the decision is logged");
    entry.detail.as_ref().expect("the decision's detail")["via"].clone()
}

pub(crate) fn messages_of(server: &NtfyServer, tag: &str) -> Vec<Value> {
    server
        .messages("baton-out")
        .into_iter()
        .filter(|m| {
            m["tags"]
                .as_array()
                .is_some_and(|t| t.iter().any(|x| x == tag))
        })
        .collect()
}

async fn approval_answered_from_the_phone(url: &str) {
    let server = NtfyServer::start(Some(TOKEN)).await;
    let fleet = SimFleet::start_scenario(Scenario::NeedsApproval, 0, 150)
        .await
        .unwrap();
    let (engine, route) = engine_with_route(url, &server).await;
    for agent in fleet.agents() {
        let mut draft = AgentDraft::new(agent.name.clone(), agent.base_url.clone());
        draft.poll_interval_ms = 250;
        draft.timeout_ms = 200;
        engine.add_agent(draft, None).await.unwrap();
    }

    // One message, with the item's two buttons posting to the reply topic.
    let message = wait_for("the item's message", Duration::from_secs(30), || {
        messages_of(&server, "needs_approval").into_iter().next()
    })
    .await;
    assert_eq!(message["priority"], 5, "{message}");
    assert!(message["title"].as_str().is_some_and(|t| !t.is_empty()));
    let actions = message["actions"].as_array().unwrap().clone();
    let labels: Vec<&str> = actions
        .iter()
        .map(|a| a["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["Approve", "Reject", "Dismiss"]);
    for action in &actions {
        assert_eq!(action["action"], "http");
        assert_eq!(action["method"], "POST");
        assert_eq!(action["url"], format!("{}/baton-back", server.url).as_str());
    }
    let approve = actions[0]["body"].as_str().unwrap().to_owned();
    let reject = actions[1]["body"].as_str().unwrap().to_owned();
    let claim = read_answer(&KEY, &approve, chrono::Utc::now()).unwrap();
    assert_eq!(claim.route_id, route);
    let item = claim.escalation_id;

    // Refused, each for its reason, nothing applied: expired, altered, for an item that does
    // not exist, junk, a huge body.
    let mut expired = claim.clone();
    expired.expires_at = chrono::Utc::now() - chrono::Duration::seconds(1);
    expired.nonce = "0".repeat(32);
    post(&server, sign_answer(&KEY, &expired)).await;
    wait_refused(&engine, "expired", 1).await;
    post(&server, approve.replacen(".approve.", ".reject.", 1)).await;
    wait_refused(&engine, "altered", 1).await;
    let other = AnswerClaim {
        escalation_id: item + 1000,
        nonce: "1".repeat(32),
        ..claim.clone()
    };
    post(&server, sign_answer(&KEY, &other)).await;
    wait_refused(&engine, "unknown_item", 1).await;
    post(&server, "{\"approve\": true}").await;
    wait_refused(&engine, "malformed", 1).await;
    post(&server, "x".repeat(1024 * 1024)).await;
    wait_refused(&engine, "too_long", 1).await;
    let open = engine.escalation(item).await.unwrap();
    assert_eq!(open.state, EscalationState::Open);

    // The stream drops; the answer posted meanwhile is read when it is opened again.
    let opened = engine.notify_stats().streams_opened;
    server.drop_streams();
    post(&server, approve.clone()).await;
    let decided = wait_for("the answer decided", Duration::from_secs(30), || {
        let e = futures_executor_block(engine.escalation(item));
        (e.state == EscalationState::Resolved).then_some(e)
    })
    .await;
    assert!(engine.notify_stats().streams_opened > opened);
    let decision = decided.decision.unwrap();
    assert_eq!(
        (decision.who.as_str(), decision.action.as_str()),
        ("ana", "approve")
    );
    let via = logged_via(&engine, decision.seq).await;
    assert_eq!(via["kind"], "ntfy");
    assert_eq!(via["route"], "phone");
    assert!(matches!(
        engine.read(|s| s.verify_decisions()).await.unwrap(),
        baton_store::ChainCheck::Ok { .. }
    ));
    // Delivered to the agent, as any decision is.
    wait_for("the decision delivered", Duration::from_secs(30), || {
        (0..fleet.agents().len())
            .any(|i| fleet.decisions(i).iter().any(|d| d.action == "approve"))
            .then_some(())
    })
    .await;

    // The phone is told it is settled: the same message replaced, without buttons.
    let settled = wait_for("the settled message", Duration::from_secs(30), || {
        server.messages("baton-out").into_iter().find(|m| {
            m["tags"]
                .as_array()
                .is_some_and(|t| t.iter().any(|x| x == "settled"))
        })
    })
    .await;
    assert_eq!(settled["sequence_id"], message["sequence_id"]);
    assert!(settled["actions"].as_array().unwrap().is_empty());
    assert!(
        settled["message"]
            .as_str()
            .unwrap()
            .contains("approve by ana via ntfy"),
        "{settled}"
    );

    // Replayed, and the other button after the decision: refused, nothing more decided.
    post(&server, approve).await;
    wait_refused(&engine, "replayed", 1).await;
    post(&server, reject).await;
    wait_refused(&engine, "settled", 1).await;
    let log = engine
        .read(|s| s.decisions(&DecisionFilter::default()))
        .await
        .unwrap();
    let decided = log.iter().filter(|d| d.escalation_id == Some(item));
    assert_eq!(
        decided
            .filter(|d| d.action == "approve" || d.action == "reject")
            .count(),
        1
    );
    assert_eq!(
        messages_of(&server, "needs_approval").len(),
        1,
        "one message for the item"
    );
    assert_eq!(engine.notify_stats().answers_taken, 1);
    engine.shutdown().await;
    fleet.shutdown().await;
}

/// Waits for a future on this thread (the test's runtime has more than one worker).
pub(crate) fn futures_executor_block<T>(
    f: impl std::future::Future<Output = Result<T, baton_engine::EngineError>>,
) -> T {
    tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(f)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_is_answered_from_the_phone_on_both_stores() {
    let dir = tempfile::tempdir().unwrap();
    for (engine, url) in stores(&dir) {
        eprintln!("store: {engine}");
        approval_answered_from_the_phone(&url).await;
    }
}
