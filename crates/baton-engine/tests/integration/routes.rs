//! The routes as the app edits them (issue 60): added with a token that goes to the keyring
//! (the route keeps only where it is), listed, refused when wrong, tested (what failed, in
//! words), removed with the token Baton kept.

use std::time::Duration;

use baton_core::notify::view::RouteInput;
use baton_engine::{EngineConfig, EngineError, TokenStore};

use crate::support::*;

fn phone(server: &str) -> RouteInput {
    RouteInput {
        name: "phone".into(),
        kind: "ntfy".into(),
        person: None,
        server: Some(server.into()),
        topic: None,
        reply_topic: None,
        url: None,
        shape: None,
        policy: None,
        click: None,
    }
}

#[tokio::test]
async fn routes_are_added_listed_tested_and_removed_with_their_tokens() {
    let (engine, tokens) = engine_and_tokens(test_config());
    // Nothing listens on port 9 of loopback.
    let added = engine
        .add_route(
            phone("http://127.0.0.1:9"),
            Some(" tk_secret ".into()),
            "ana".into(),
        )
        .await
        .unwrap();
    assert_eq!(
        added.token.as_deref(),
        Some("keyring:dev.baton.app/route-phone")
    );
    assert_eq!(added.person, "ana");
    assert_eq!(
        added.topic.as_deref().map(str::len),
        Some("baton-".len() + 32)
    );
    assert_ne!(added.topic, added.reply_topic);
    assert_eq!(
        tokens.get_entry("route-phone").unwrap().as_deref(),
        Some("tk_secret")
    );

    // The same name again: refused, and the kept token is not overwritten.
    let again = engine
        .add_route(
            phone("http://127.0.0.1:9"),
            Some("tk_other".into()),
            "ana".into(),
        )
        .await
        .unwrap_err();
    assert_eq!(again.code(), "duplicate_name");
    assert_eq!(
        tokens.get_entry("route-phone").unwrap().as_deref(),
        Some("tk_secret")
    );
    let bad = RouteInput {
        kind: "webhook".into(),
        name: "hook".into(),
        ..phone("http://127.0.0.1:9")
    };
    let refused = engine.add_route(bad, None, "ana".into()).await.unwrap_err();
    assert_eq!(refused.code(), "invalid_route");
    assert!(refused.to_string().contains("needs a url"), "{refused}");

    let listed = engine.routes().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0], added);
    let failed = engine.test_route("phone".into(), 0).await.unwrap_err();
    assert!(
        matches!(&failed, EngineError::Route(words) if words.contains("cannot connect")),
        "{failed}"
    );
    assert!(!failed.to_string().contains("tk_secret"));
    let missing = engine.test_route("nope".into(), 0).await.unwrap_err();
    assert_eq!(missing.code(), "not_found");

    engine.remove_route("phone".into()).await.unwrap();
    assert!(engine.routes().await.unwrap().is_empty());
    assert_eq!(tokens.get_entry("route-phone").unwrap(), None);
    assert_eq!(
        engine
            .remove_route("phone".into())
            .await
            .unwrap_err()
            .code(),
        "not_found"
    );
}

/// A watch with no phone route never reads nor makes the data folder's answer key (the keyring
/// is not touched: no unlock prompt at start); the first route that takes answers makes it.
#[tokio::test]
async fn the_answer_key_is_made_only_once_a_route_takes_answers() {
    let config = EngineConfig {
        notify_round: Duration::from_millis(20),
        ..test_config()
    };
    let entry = config.answer_key_entry.clone();
    let (engine, tokens) = engine_and_tokens(config);
    engine.start_all().await.unwrap();
    let rounds = |at_least: u64| {
        let engine = &engine;
        async move {
            let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
            while engine.notify_stats().rounds < at_least {
                assert!(tokio::time::Instant::now() < deadline, "no routes' round");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    };
    rounds(3).await;
    assert_eq!(tokens.get_entry(&entry).unwrap(), None, "no route: no key");

    // Nothing listens on port 9 of loopback: the reply reader keeps trying, the key is made.
    let added = engine
        .add_route(phone("http://127.0.0.1:9"), None, "ana".into())
        .await
        .unwrap();
    assert!(added.reply_topic.is_some());
    let after = engine.notify_stats().rounds;
    rounds(after + 2).await;
    let key = tokens
        .get_entry(&entry)
        .unwrap()
        .expect("the answer key made");
    assert_eq!(key.len(), 64, "{key}");
    engine.shutdown().await;
}
