//! Two watchers on one PostgreSQL store (the app and `baton watch` of one data folder, so one
//! answer key), both running the routes (issue 60): the item's message is sent once, by one of
//! them; the answer is read by both and taken once; the other's attempt is refused as a replay.

use std::time::Duration;

use baton_core::agent::AgentDraft;
use baton_core::escalations::EscalationState;
use baton_engine::{EngineConfig, Sharing};
use baton_sim::{Scenario, SimFleet};
use baton_store::decisions::DecisionFilter;
use baton_tests::engine::wait_for;
use baton_tests::ntfy_server::NtfyServer;

use crate::notify_ntfy::{engine_with_route_as, futures_executor_block, messages_of, post};

fn watcher(name: &str) -> EngineConfig {
    EngineConfig {
        sharing: Some(Sharing::this_process(10_000, Some(name.into()))),
        ..EngineConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_watchers_send_each_message_once_and_take_each_answer_once() {
    let url = baton_testdb::server().fresh_database();
    let server = NtfyServer::start(Some(crate::notify_ntfy::TOKEN)).await;
    let fleet = SimFleet::start_scenario(Scenario::NeedsApproval, 0, 150)
        .await
        .unwrap();
    let (first, _) = engine_with_route_as(&url, &server, watcher("w1")).await;
    let (second, _) = engine_with_route_as(&url, &server, watcher("w2")).await;
    for agent in fleet.agents() {
        let mut draft = AgentDraft::new(agent.name.clone(), agent.base_url.clone());
        draft.poll_interval_ms = 250;
        draft.timeout_ms = 200;
        first.add_agent(draft, None).await.unwrap();
    }
    let message = wait_for("the item's message", Duration::from_secs(60), || {
        messages_of(&server, "needs_approval").into_iter().next()
    })
    .await;
    // Both watchers run rounds meanwhile (each wakes on the queue's changes): still one.
    wait_for(
        "both watchers' reply streams",
        Duration::from_secs(30),
        || {
            (first.notify_stats().streams_opened > 0 && second.notify_stats().streams_opened > 0)
                .then_some(())
        },
    )
    .await;
    let approve = message["actions"][0]["body"].as_str().unwrap().to_owned();
    post(&server, approve).await;
    let item = wait_for("the answer decided", Duration::from_secs(30), || {
        let items = futures_executor_block(first.escalations());
        items
            .into_iter()
            .find(|e| e.state == EscalationState::Resolved)
    })
    .await;
    // Both read it: one took it, the other was refused (the nonce was taken).
    wait_for(
        "the other watcher's refusal",
        Duration::from_secs(30),
        || {
            let (a, b) = (first.notify_stats(), second.notify_stats());
            (a.answers_taken + b.answers_taken == 1 && a.refused() + b.refused() == 1).then_some(())
        },
    )
    .await;
    let (a, b) = (first.notify_stats(), second.notify_stats());
    assert_eq!(
        a.answers_refused
            .get("replayed")
            .or(b.answers_refused.get("replayed")),
        Some(&1)
    );
    let log = first
        .read(|s| s.decisions(&DecisionFilter::default()))
        .await
        .unwrap();
    let approvals = log
        .iter()
        .filter(|d| d.escalation_id == Some(item.id) && d.action == "approve");
    assert_eq!(approvals.count(), 1);
    assert_eq!(messages_of(&server, "needs_approval").len(), 1, "sent once");
    assert_eq!(a.sent + b.sent, 1, "{a:?} {b:?}");
    first.shutdown().await;
    second.shutdown().await;
    fleet.shutdown().await;
}
