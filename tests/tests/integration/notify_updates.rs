//! What the phone is told as an item changes (issue 60), end to end over HTTP with the real
//! engine, on SQLite and on PostgreSQL: one cause firing twenty times is one message, replaced
//! as it grows; an item settled in the app replaces its message with who settled it, and the
//! phone's late answer is refused.

use std::time::Duration;

use baton_core::agent::AgentDraft;
use baton_core::detect::{Finding, FindingKind, Severity};
use baton_store::decisions::DecisionFilter;
use baton_tests::engine::wait_for;
use baton_tests::ntfy_server::NtfyServer;

use crate::notify_ntfy::{engine_with_route, messages_of, post, stores, wait_refused, TOKEN};

async fn one_cause_is_one_message(url: &str) {
    let server = NtfyServer::start(Some(TOKEN)).await;
    let (engine, _) = engine_with_route(url, &server).await;
    let (a, b) = engine
        .write(|s| {
            let a = s
                .add_agent(&AgentDraft::new("Editor", "http://127.0.0.1:9/editor"))?
                .id;
            let b = s
                .add_agent(&AgentDraft::new(
                    "Publisher",
                    "http://127.0.0.1:9/publisher",
                ))?
                .id;
            Ok((a, b))
        })
        .await
        .unwrap();
    for n in 1..=20u32 {
        let finding = Finding {
            kind: FindingKind::OwnershipViolation,
            severity: Severity::Critical,
            agents: vec![a, b],
            resource: Some(format!("file:///drafts/brief-{n}.md")),
            summary: format!("Publisher wrote brief-{n} while Editor held it"),
            evidence: vec![],
            dedupe_key: format!("ownership_violation:{b}:brief-{n}"),
            continues: None,
        };
        engine
            .write(move |s| s.record_findings(&[finding], chrono::Utc::now()))
            .await
            .unwrap();
        if n == 1 {
            wait_for("the first message", Duration::from_secs(30), || {
                messages_of(&server, "ownership_violation").first().cloned()
            })
            .await;
        }
    }
    let last = wait_for("the message telling 20", Duration::from_secs(30), || {
        let all = messages_of(&server, "ownership_violation");
        all.last()
            .filter(|m| {
                m["message"]
                    .as_str()
                    .is_some_and(|t| t.contains("seen 20 times"))
            })
            .cloned()
    })
    .await;
    let all = messages_of(&server, "ownership_violation");
    let first = &all[0];
    assert!(
        all.iter().all(|m| m["sequence_id"] == first["sequence_id"]),
        "{all:#?}"
    );
    assert!(all.len() <= 20, "{} sends", all.len());
    let labels: Vec<&str> = last["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["Dismiss"], "its other choices are the app's");
    let stats = engine.notify_stats();
    assert_eq!(stats.sent, 1, "{stats:?}");
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_cause_firing_twenty_times_is_one_message_updated_on_both_stores() {
    let dir = tempfile::tempdir().unwrap();
    for (engine, url) in stores(&dir) {
        eprintln!("store: {engine}");
        one_cause_is_one_message(&url).await;
    }
}

async fn settled_in_the_app(url: &str) {
    let server = NtfyServer::start(Some(TOKEN)).await;
    let (engine, _) = engine_with_route(url, &server).await;
    let agent = engine
        .write(|s| {
            Ok(s.add_agent(&AgentDraft::new(
                "Publisher",
                "http://127.0.0.1:9/publisher",
            ))?
            .id)
        })
        .await
        .unwrap();
    let ask = Finding {
        kind: FindingKind::NeedsApproval,
        severity: Severity::Critical,
        agents: vec![agent],
        resource: None,
        summary: "Publisher asks to publish the launch post".into(),
        evidence: vec![],
        dedupe_key: "ask-launch".into(),
        continues: None,
    };
    let item = engine
        .write(move |s| s.record_findings(&[ask], chrono::Utc::now()))
        .await
        .unwrap()
        .escalations[0];
    let message = wait_for("the item's message", Duration::from_secs(30), || {
        messages_of(&server, "needs_approval").into_iter().next()
    })
    .await;
    let approve = message["actions"][0]["body"].as_str().unwrap().to_owned();
    // Decided in the app meanwhile: the phone is told who, and its buttons are refused.
    engine
        .decide_escalation(
            item,
            baton_core::escalations::EscalationAction::Reject,
            None,
            "bo".into(),
        )
        .await
        .unwrap();
    let settled = wait_for("the settled message", Duration::from_secs(30), || {
        messages_of(&server, "settled").into_iter().next()
    })
    .await;
    assert_eq!(settled["sequence_id"], message["sequence_id"]);
    assert!(
        settled["message"]
            .as_str()
            .unwrap()
            .contains("reject by bo in the app"),
        "{settled}"
    );
    post(&server, approve).await;
    wait_refused(&engine, "settled", 1).await;
    let log = engine
        .read(|s| s.decisions(&DecisionFilter::default()))
        .await
        .unwrap();
    let on_item: Vec<&str> = log
        .iter()
        .filter(|d| d.escalation_id == Some(item))
        .map(|d| d.action.as_str())
        .collect();
    assert_eq!(
        on_item,
        ["reject"],
        "the phone's late answer decided nothing"
    );
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settled_in_the_app_the_phone_is_told_and_its_buttons_refused_on_both_stores() {
    let dir = tempfile::tempdir().unwrap();
    for (engine, url) in stores(&dir) {
        eprintln!("store: {engine}");
        settled_in_the_app(&url).await;
    }
}
