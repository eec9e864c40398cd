//! Webhook routes (issue 60), over HTTP with the real engine, on SQLite and PostgreSQL: a real
//! HTTP receiver on 127.0.0.1 gets one Slack-shaped post per item (its growth is not posted
//! again; one-way), the agents' markup escaped; a receiver that fails is tried again.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use baton_core::agent::AgentDraft;
use baton_core::detect::{Finding, FindingKind, Severity};
use baton_core::notify::{RouteDraft, RouteKind, WebhookShape};
use baton_engine::{Engine, EngineConfig, MemoryTokens, StoreHandle};
use baton_store::StoreLocation;
use baton_tests::engine::wait_for;
use serde_json::Value;

use crate::notify_ntfy::stores;

/// A receiver that answers 503 to its first `fail_first` posts, then 200; what it took.
async fn receiver(fail_first: usize) -> (String, Arc<Mutex<Vec<Value>>>) {
    let taken: Arc<Mutex<Vec<Value>>> = Arc::default();
    let seen = Arc::new(Mutex::new(0usize));
    let (keep, count) = (Arc::clone(&taken), Arc::clone(&seen));
    let app = Router::new().route(
        "/hook",
        post(move |Json(body): Json<Value>| async move {
            let n = {
                let mut n = count.lock().unwrap();
                *n += 1;
                *n
            };
            if n <= fail_first {
                return StatusCode::SERVICE_UNAVAILABLE;
            }
            keep.lock().unwrap().push(body);
            StatusCode::OK
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, taken)
}

async fn posted_once_per_item(store_url: &str) {
    let (url, taken) = receiver(1).await;
    let store = StoreHandle::open_at(&StoreLocation::parse(store_url).unwrap(), 2).unwrap();
    let route = RouteDraft {
        url: Some(url),
        shape: Some(WebhookShape::Slack),
        click: Some("https://baton.example/items/{item}?via=slack&x=1".into()),
        ..RouteDraft::new("team", RouteKind::Webhook, "ana")
    };
    store
        .write(move |s| s.add_route(&route, chrono::Utc::now()))
        .await
        .unwrap();
    let engine = Engine::new(
        store,
        Arc::new(MemoryTokens::new(None)),
        EngineConfig {
            spread_start: false,
            notify_round: std::time::Duration::from_millis(250),
            ..EngineConfig::default()
        },
    );
    engine.start_all().await.unwrap();
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
    for n in 1..=3u32 {
        let finding = Finding {
            kind: FindingKind::OwnershipViolation,
            severity: Severity::Critical,
            agents: vec![a, b],
            resource: Some(format!("file:///drafts/brief-{n}.md")),
            summary: format!("Publisher wrote <@U123> brief-{n} & <!channel>"),
            evidence: vec![],
            dedupe_key: format!("ownership_violation:{b}:brief-{n}"),
            continues: None,
        };
        engine
            .write(move |s| s.record_findings(&[finding], chrono::Utc::now()))
            .await
            .unwrap();
        if n == 1 {
            // The first post fails (503) and is tried again: one post in the end.
            wait_for("the item's post", Duration::from_secs(60), || {
                taken.lock().unwrap().first().cloned()
            })
            .await;
        }
    }
    // The item grew twice: three whole rounds after that, still one post.
    let after = engine.notify_stats().rounds;
    wait_for("three more rounds", Duration::from_secs(30), || {
        (engine.notify_stats().rounds >= after + 3).then_some(())
    })
    .await;
    let posts = taken.lock().unwrap().clone();
    assert_eq!(posts.len(), 1, "one post per item: {posts:#?}");
    let text = posts[0]["text"].as_str().unwrap();
    assert!(text.starts_with("Baton: "), "{text}");
    assert!(!text.contains('<'), "the agents' markup is escaped: {text}");
    // The item's link: the route's click URL with its id (`&` escaped as Slack wants).
    let item = engine
        .read(|s| s.escalations(baton_store::escalations::EscalationFilter::default()))
        .await
        .unwrap()[0]
        .id;
    assert!(
        text.ends_with(&format!(
            "\nhttps://baton.example/items/{item}?via=slack&amp;x=1"
        )),
        "{text}"
    );
    let stats = engine.notify_stats();
    assert_eq!((stats.sent, stats.failed), (1, 1), "{stats:?}");
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_gets_one_post_per_item_on_both_stores() {
    let dir = tempfile::tempdir().unwrap();
    for (engine, url) in stores(&dir) {
        eprintln!("store: {engine}");
        posted_once_per_item(&url).await;
    }
}
