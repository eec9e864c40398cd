//! A route's click URL and the Dismiss button (issue 60), end to end over HTTP with the real
//! engine, on SQLite and on PostgreSQL: a critical item's message carries the route's click
//! URL with the item's id, and one button, Dismiss (the item offers no other choice a tap can
//! make); tapped, the item is dismissed by the route's person via ntfy, with the button's
//! reason; its message is replaced by the settled one, still opening the item.

use std::time::Duration;

use baton_core::agent::AgentDraft;
use baton_core::detect::{Finding, FindingKind, Severity};
use baton_core::escalations::EscalationState;
use baton_core::notify::answer::DISMISS_NOTE;
use baton_core::notify::RouteDraft;
use baton_tests::engine::wait_for;
use baton_tests::ntfy_server::NtfyServer;

use crate::notify_ntfy::{
    engine_with_route, futures_executor_block, logged_via, messages_of, post, stores, TOKEN,
};

async fn dismissed_from_the_phone(url: &str) {
    let server = NtfyServer::start(Some(TOKEN)).await;
    let (engine, _) = engine_with_route(url, &server).await;
    // The route gets a click URL, as `baton import` of a changed `[[notify]]` table gives it.
    engine
        .write(|s| {
            let mut draft: RouteDraft = s.route_named("phone")?.route.draft;
            draft.click = Some("https://baton.example/items/{item}?from=phone".into());
            s.replace_routes(&[draft], chrono::Utc::now())
        })
        .await
        .unwrap();
    let (a, b) = engine
        .write(|s| {
            let a = s
                .add_agent(&AgentDraft::new("Editor", "http://127.0.0.1:9/e"))?
                .id;
            let b = s
                .add_agent(&AgentDraft::new("Publisher", "http://127.0.0.1:9/p"))?
                .id;
            Ok((a, b))
        })
        .await
        .unwrap();
    let finding = Finding {
        kind: FindingKind::OwnershipViolation,
        severity: Severity::Critical,
        agents: vec![a, b],
        resource: Some("file:///drafts/brief.md".into()),
        summary: "Publisher wrote brief while Editor held it".into(),
        evidence: vec![],
        dedupe_key: format!("ownership_violation:{b}:brief"),
        continues: None,
    };
    engine
        .write(move |s| s.record_findings(&[finding], chrono::Utc::now()))
        .await
        .unwrap();
    let message = wait_for("the item's message", Duration::from_secs(30), || {
        messages_of(&server, "ownership_violation").first().cloned()
    })
    .await;
    let item: i64 = message["sequence_id"]
        .as_str()
        .and_then(|s| s.strip_prefix("baton-item-"))
        .and_then(|n| n.parse().ok())
        .unwrap();
    let click = format!("https://baton.example/items/{item}?from=phone");
    assert_eq!(message["click"], click.as_str(), "{message}");
    let actions = message["actions"].as_array().unwrap();
    let labels: Vec<&str> = actions
        .iter()
        .map(|a| a["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["Dismiss"], "{message}");

    post(&server, actions[0]["body"].as_str().unwrap().to_owned()).await;
    let decided = wait_for("the item dismissed", Duration::from_secs(30), || {
        let e = futures_executor_block(engine.escalation(item));
        (e.state == EscalationState::Resolved).then_some(e)
    })
    .await;
    let decision = decided.decision.unwrap();
    assert_eq!(
        (decision.who.as_str(), decision.action.as_str()),
        ("ana", "dismiss")
    );
    assert_eq!(decision.reason.as_deref(), Some(DISMISS_NOTE));
    assert_eq!(logged_via(&engine, decision.seq).await["kind"], "ntfy");
    let settled = wait_for("the settled message", Duration::from_secs(30), || {
        messages_of(&server, "settled").first().cloned()
    })
    .await;
    assert!(settled["message"]
        .as_str()
        .unwrap()
        .contains("dismiss by ana"));
    assert_eq!(settled["click"], click.as_str());
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_critical_item_opens_its_link_and_is_dismissed_from_the_phone_on_both_stores() {
    let dir = tempfile::tempdir().unwrap();
    for (engine, url) in stores(&dir) {
        eprintln!("store: {engine}");
        dismissed_from_the_phone(&url).await;
    }
}
