//! The reply stream dropped and kept from reopening for a while (issue 60), on SQLite and on
//! PostgreSQL: answers a phone posts meanwhile reach the ntfy server, and once the stream
//! opens again (from the last message read: `since=`) each is taken once; none is lost, none
//! applied twice (a duplicate is refused as a replay), and the messages read before the drop
//! are not read again. While it is down, the route shows it failing, kept in the store.
//!
//! The outage is 30 s. The engine's pauses between attempts (full jitter, 0.5 s
//! doubling to a minute) are shortened here ([`EngineConfig::reply_reconnect`]: 0.1 s doubling
//! to 0.4 s) and the outage lasts until the engine has been refused ten times, about 2 s of
//! real time: the same path (refused, waiting, trying again, reopening from its place) without
//! 30 s of sleeping.

use std::time::Duration;

use baton_core::agent::AgentDraft;
use baton_core::backoff::Backoff;
use baton_core::detect::{Finding, FindingKind, Severity};
use baton_core::escalations::EscalationState;
use baton_core::notify::answer::{sign_answer, AnswerClaim, PhoneAction, ANSWER_TTL};
use baton_engine::{Engine, EngineConfig};
use baton_store::decisions::DecisionFilter;
use baton_store::escalations::EscalationFilter;
use baton_tests::engine::wait_for;
use baton_tests::ntfy_server::NtfyServer;

use crate::notify_ntfy::{engine_with_route_as, post, stores, wait_refused, KEY, TOKEN};

/// Opens `n` approval items for one agent; returns their ids.
async fn approval_items(engine: &Engine, n: usize) -> Vec<i64> {
    let agent = engine
        .write(|s| {
            Ok(
                s.add_agent(&AgentDraft::new("Publisher", "http://127.0.0.1:9/p"))?
                    .id,
            )
        })
        .await
        .unwrap();
    let findings: Vec<Finding> = (0..n)
        .map(|i| Finding {
            kind: FindingKind::NeedsApproval,
            severity: Severity::Critical,
            agents: vec![agent],
            resource: Some(format!("crm://campaigns/{i}")),
            summary: format!("Publisher asks to send campaign {i}"),
            evidence: vec![],
            dedupe_key: format!("needs_approval:{agent}:campaign-{i}"),
            continues: None,
        })
        .collect();
    engine
        .write(move |s| s.record_findings(&findings, chrono::Utc::now()))
        .await
        .unwrap();
    let items = engine
        .read(|s| s.escalations(EscalationFilter::default()))
        .await
        .unwrap();
    let ids: Vec<i64> = items
        .iter()
        .filter(|e| e.kind == FindingKind::NeedsApproval)
        .map(|e| e.id)
        .collect();
    assert_eq!(ids.len(), n);
    ids
}

fn answer(route: i64, item: i64, action: PhoneAction, nonce: u32) -> String {
    sign_answer(
        &KEY,
        &AnswerClaim {
            route_id: route,
            escalation_id: item,
            action,
            expires_at: chrono::Utc::now() + ANSWER_TTL,
            nonce: format!("{nonce:032x}"),
        },
    )
}

async fn answers_survive_a_dropped_stream(url: &str) {
    let server = NtfyServer::start(Some(TOKEN)).await;
    let config = EngineConfig {
        reply_reconnect: Backoff {
            base_ms: 100,
            cap_ms: 400,
        },
        ..EngineConfig::default()
    };
    let (engine, route) = engine_with_route_as(url, &server, config).await;
    let items = approval_items(&engine, 4).await;
    wait_for("the reply stream open", Duration::from_secs(30), || {
        (engine.notify_stats().streams_opened >= 1).then_some(())
    })
    .await;
    // One answer read before the drop: it is not read again after.
    post(&server, answer(route, items[3], PhoneAction::Reject, 99)).await;
    wait_for("the first answer taken", Duration::from_secs(30), || {
        (engine.notify_stats().answers_taken == 1).then_some(())
    })
    .await;

    server.refuse_streams(true);
    wait_for("the engine refused once", Duration::from_secs(30), || {
        (server.streams_refused() >= 1).then_some(())
    })
    .await;
    // The phone answers while the watcher cannot read: three answers, one posted twice.
    let approve = answer(route, items[0], PhoneAction::Approve, 1);
    post(&server, approve.clone()).await;
    post(&server, answer(route, items[1], PhoneAction::Reject, 2)).await;
    post(&server, answer(route, items[2], PhoneAction::Approve, 3)).await;
    post(&server, approve).await;
    wait_for("ten refused attempts", Duration::from_secs(60), || {
        (server.streams_refused() >= 10).then_some(())
    })
    .await;
    // Nothing was taken meanwhile, and the route says why, in the store.
    for item in &items[..3] {
        let item = *item;
        let e = engine.escalation(item).await.unwrap();
        assert_eq!(e.state, EscalationState::Open, "item {item}");
    }
    let stored = engine.read(move |s| s.route(route)).await.unwrap().unwrap();
    assert!(stored.reply.failures >= 1, "{:?}", stored.reply);
    assert!(
        stored
            .reply
            .error
            .as_deref()
            .is_some_and(|e| e.contains("503")),
        "{:?}",
        stored.reply
    );
    let shown = engine.routes().await.unwrap();
    let words = shown[0].failing_words.clone().unwrap_or_default();
    assert!(words.contains("reply topic cannot be read"), "{words}");

    server.refuse_streams(false);
    for item in &items[..3] {
        let item = *item;
        wait_for(
            "the answer taken after the outage",
            Duration::from_secs(30),
            || {
                let e = crate::notify_ntfy::futures_executor_block(engine.escalation(item));
                (e.state == EscalationState::Resolved).then_some(())
            },
        )
        .await;
    }
    wait_refused(&engine, "replayed", 1).await;
    wait_for("the route reading again", Duration::from_secs(30), || {
        let stored =
            crate::notify_ntfy::futures_executor_block(engine.read(move |s| s.route(route)));
        (stored.unwrap().reply.failures == 0).then_some(())
    })
    .await;

    // Dropped once more with nothing new: the stream resumes after the last message read.
    let opened = engine.notify_stats().streams_opened;
    server.drop_streams();
    wait_for("the stream open again", Duration::from_secs(30), || {
        (engine.notify_stats().streams_opened > opened).then_some(())
    })
    .await;
    // A last answer read after that reopening: everything before it was read once only.
    post(&server, answer(route, items[3], PhoneAction::Approve, 100)).await;
    wait_refused(&engine, "settled", 1).await;

    let stats = engine.notify_stats();
    assert_eq!(stats.answers_taken, 4, "{stats:?}");
    assert_eq!(stats.answers_refused.get("replayed"), Some(&1), "{stats:?}");
    assert_eq!(stats.refused(), 2, "{stats:?}");
    let log = engine
        .read(|s| s.decisions(&DecisionFilter::default()))
        .await
        .unwrap();
    for (item, action) in [
        (items[0], "approve"),
        (items[1], "reject"),
        (items[2], "approve"),
        (items[3], "reject"),
    ] {
        let decided: Vec<&str> = log
            .iter()
            .filter(|d| d.escalation_id == Some(item))
            .filter(|d| {
                d.detail
                    .as_ref()
                    .is_some_and(|x| x["via"]["kind"] == "ntfy")
            })
            .map(|d| d.action.as_str())
            .collect();
        assert_eq!(decided, [action], "item {item}");
    }
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_posted_while_the_reply_stream_is_down_are_taken_once_on_both_stores() {
    let dir = tempfile::tempdir().unwrap();
    for (engine, url) in stores(&dir) {
        eprintln!("store: {engine}");
        answers_survive_a_dropped_stream(&url).await;
    }
}
