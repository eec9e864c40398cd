//! Agent lifecycle through the engine: test connection, add / update / remove, start_all and
//! shutdown.

use std::time::{Duration, Instant};

use crate::support::*;
use baton_core::agent::Reachability;
use baton_core::views::ChangeEvent;
use baton_engine::{EngineError, TokenStore, TokenUpdate};

#[tokio::test]
async fn test_connection_reports_success_and_failure_and_stores_nothing() {
    let fixture = Fixture::start(Mode::Body(doc(
        "researcher-1",
        &[("a", "working"), ("b", "completed"), ("c", "blocked")],
        2,
    )))
    .await;
    let (engine, _) = engine_and_tokens(test_config());
    let report = engine
        .test_connection(&draft("r", &fixture.base_url, 2_000, 1_500), None)
        .await;
    assert!(report.ok, "{report:?}");
    let latency = report.latency_ms.unwrap();
    assert_eq!(
        report.message,
        format!("baton/1 agent \"researcher-1\" answered in {latency} ms with 3 tasks")
    );
    assert_eq!(report.remote_id.as_deref(), Some("researcher-1"));
    assert_eq!(report.remote_name.as_deref(), Some("Fixture agent"));
    assert_eq!(report.task_count, Some(3));
    assert_eq!(report.adapter, Some(baton_core::agent::AdapterKind::Baton));

    fixture.set(Mode::Status(503, Vec::new()));
    let report = engine
        .test_connection(&draft("r", &fixture.base_url, 2_000, 1_500), None)
        .await;
    assert!(!report.ok);
    // Neither protocol answers: both say why.
    assert!(
        report.message.starts_with("baton/1: HTTP 503") && report.message.contains("; A2A: "),
        "{}",
        report.message
    );
    assert_eq!(report.adapter, None);
    assert_eq!(report.latency_ms, None);

    fixture.set(Mode::NeedsToken(
        "t".into(),
        doc("x", &[("a", "working")], 0),
    ));
    let denied = engine
        .test_connection(&draft("r", &fixture.base_url, 2_000, 1_500), None)
        .await;
    assert_eq!(denied.message, "HTTP 401: check the agent's token");
    let allowed = engine
        .test_connection(
            &draft("r", &fixture.base_url, 2_000, 1_500),
            Some("t".into()),
        )
        .await;
    assert!(
        allowed.message.ends_with("with 1 task"),
        "{}",
        allowed.message
    );

    let invalid = engine
        .test_connection(&draft("r", "ftp://x", 2_000, 1_500), None)
        .await;
    assert_eq!(invalid.message, "base URL must use http or https, not ftp");

    assert!(engine
        .store()
        .read_blocking(move |s| s.agents())
        .unwrap()
        .is_empty());
    assert!(engine.polling().is_empty());
}

#[tokio::test]
async fn invalid_drafts_are_rejected_before_anything_is_stored() {
    let (engine, _) = engine_and_tokens(test_config());
    let err = engine
        .add_agent(draft("x", "http://127.0.0.1:1", 2_000, 2_000), None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_config");
    assert_eq!(err.field(), Some("timeout_ms"));
    assert!(engine
        .store()
        .read_blocking(move |s| s.agents())
        .unwrap()
        .is_empty());
    assert!(matches!(
        engine.poll_once(42).await,
        Err(EngineError::AgentNotFound(42))
    ));
    assert_eq!(
        engine.remove_agent(42).await.unwrap_err().code(),
        "not_found"
    );
    assert_eq!(
        engine.stored_token(42).await.unwrap_err().code(),
        "not_found"
    );
    let err = engine
        .update_agent(
            42,
            draft("x", "http://127.0.0.1:1", 2_000, 1_000),
            TokenUpdate::Keep,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, EngineError::AgentNotFound(42)), "{err:?}");
}

#[tokio::test]
async fn update_agent_restarts_the_poller_with_the_new_settings() {
    let fixture = Fixture::start(Mode::Body(doc("fx-1", &[("t1", "working")], 1))).await;
    let (engine, tokens) = engine_and_tokens(test_config());
    let agent = engine
        .add_agent(
            draft("slow", &fixture.base_url, 5_000, 1_000),
            Some("old".into()),
        )
        .await
        .unwrap();
    assert!(eventually(Duration::from_secs(3), || fixture.hit_count() == 1).await);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(fixture.hit_count(), 1, "5 s interval: one poll so far");

    let mut rx = engine.subscribe();
    let updated = engine
        .update_agent(
            agent.id,
            draft("fast", &fixture.base_url, 250, 200),
            TokenUpdate::Set("new".into()),
        )
        .await
        .unwrap();
    next_event(&mut rx, Duration::from_secs(5), |e| {
        (*e == ChangeEvent::AgentsChanged).then_some(())
    })
    .await;
    assert_eq!(updated.name, "fast");
    assert_eq!(updated.poll_interval_ms, 250);
    assert!(updated.has_token);
    assert_eq!(tokens.get(agent.id).unwrap().as_deref(), Some("new"));
    assert_eq!(
        engine.stored_token(agent.id).await.unwrap().as_deref(),
        Some("new")
    );
    let since = Instant::now();
    assert!(
        eventually(Duration::from_secs(5), || fixture.hit_count() >= 5).await,
        "the 250 ms poller should poll 4 more times quickly"
    );
    assert!(
        since.elapsed() < Duration::from_secs(3),
        "{:?}",
        since.elapsed()
    );
    let hits = fixture.hits();
    assert_eq!(hits[0].authorization.as_deref(), Some("Bearer old"));
    assert_eq!(hits[4].authorization.as_deref(), Some("Bearer new"));

    // Keep keeps the token; Clear removes it from the keyring and the stored flag.
    let kept = engine
        .update_agent(
            agent.id,
            draft("fast", &fixture.base_url, 250, 200),
            TokenUpdate::Keep,
        )
        .await
        .unwrap();
    assert!(kept.has_token);
    let count = fixture.hit_count();
    assert!(eventually(Duration::from_secs(3), || fixture.hit_count() > count).await);
    assert_eq!(
        fixture.hits().last().unwrap().authorization.as_deref(),
        Some("Bearer new")
    );
    let cleared = engine
        .update_agent(
            agent.id,
            draft("fast", &fixture.base_url, 250, 200),
            TokenUpdate::Clear,
        )
        .await
        .unwrap();
    assert!(!cleared.has_token);
    assert_eq!(tokens.get(agent.id).unwrap(), None);
    assert_eq!(engine.stored_token(agent.id).await.unwrap(), None);
    let count = fixture.hit_count();
    assert!(eventually(Duration::from_secs(3), || fixture.hit_count() > count).await);
    assert_eq!(fixture.hits().last().unwrap().authorization, None);
    assert_eq!(engine.polling(), vec![agent.id], "one poller, not two");
    engine.shutdown().await;
}

#[tokio::test]
async fn remove_agent_stops_polling_and_forgets_everything() {
    let fixture = Fixture::start(Mode::Body(doc("fx-1", &[("t1", "working")], 2))).await;
    let (engine, tokens) = engine_and_tokens(test_config());
    let agent = engine
        .add_agent(
            draft("gone", &fixture.base_url, 250, 200),
            Some("tok".into()),
        )
        .await
        .unwrap();
    assert!(eventually(Duration::from_secs(3), || fixture.hit_count() >= 2).await);
    let mut rx = engine.subscribe();
    engine.remove_agent(agent.id).await.unwrap();
    next_event(&mut rx, Duration::from_secs(5), |e| {
        (*e == ChangeEvent::AgentsChanged).then_some(())
    })
    .await;
    let count = fixture.hit_count();
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(fixture.hit_count(), count, "no poll after removal");
    assert!(engine.polling().is_empty());
    assert_eq!(tokens.get(agent.id).unwrap(), None, "token deleted");
    let (agents, cards) = engine
        .store()
        .read_blocking(|store| Ok((store.agents()?, store.task_cards(None)?)))
        .unwrap();
    assert!(agents.is_empty());
    assert!(cards.is_empty());
    assert!(matches!(
        engine.poll_once(agent.id).await,
        Err(EngineError::AgentNotFound(_))
    ));
}

#[tokio::test]
async fn start_all_polls_every_stored_agent_and_shutdown_stops_them() {
    let a = Fixture::start(Mode::Body(doc("a", &[("t1", "working")], 1))).await;
    let b = Fixture::start(Mode::Body(doc("b", &[("t1", "working")], 1))).await;
    let (engine, _) = engine_and_tokens(test_config());
    let first = store_agent(&engine, &draft("a", &a.base_url, 250, 200));
    let second = store_agent(&engine, &draft("b", &b.base_url, 250, 200));
    assert!(
        engine.polling().is_empty(),
        "nothing polls before start_all"
    );
    assert_eq!(engine.start_all().await.unwrap(), 2);
    assert_eq!(engine.start_all().await.unwrap(), 2, "idempotent");
    assert_eq!(engine.polling(), vec![first.id, second.id]);
    assert!(
        eventually(Duration::from_secs(3), || a.hit_count() >= 2
            && b.hit_count() >= 2)
        .await
    );
    engine.shutdown().await;
    assert!(engine.polling().is_empty());
    let (count_a, count_b) = (a.hit_count(), b.hit_count());
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!((a.hit_count(), b.hit_count()), (count_a, count_b));
    // poll_once still works on a stopped engine (the "refresh" button).
    engine.poll_once(first.id).await.unwrap();
    assert_eq!(a.hit_count(), count_a + 1);
    assert_eq!(health(&engine, second.id).reachability, Reachability::Up);
}

#[tokio::test]
async fn a_stored_token_is_tested_only_against_its_agents_own_url() {
    let doc_body = doc("fx", &[("t", "working")], 0);
    let own = Fixture::start(Mode::NeedsToken("s3cret".into(), doc_body.clone())).await;
    let other = Fixture::start(Mode::NeedsToken("s3cret".into(), doc_body)).await;
    let (engine, _) = engine_and_tokens(test_config());
    let agent = engine
        .add_agent(
            draft("fx", &own.base_url, 2_000, 1_500),
            Some("s3cret".into()),
        )
        .await
        .unwrap();
    // Its own URL: the stored token goes with it.
    let report = engine
        .test_connection_of(agent.id, &draft("fx", &own.base_url, 2_000, 1_500), None)
        .await
        .unwrap();
    assert!(report.ok, "{}", report.message);
    // Another URL named by the page: nothing of the token reaches it, and the report says why.
    let report = engine
        .test_connection_of(agent.id, &draft("fx", &other.base_url, 2_000, 1_500), None)
        .await
        .unwrap();
    assert!(!report.ok);
    assert!(
        report
            .message
            .contains("the stored token was not sent to this new URL"),
        "{}",
        report.message
    );
    assert!(other.hits().iter().all(|h| h.authorization.is_none()));
    // A token typed in goes with the new URL.
    let report = engine
        .test_connection_of(
            agent.id,
            &draft("fx", &other.base_url, 2_000, 1_500),
            Some("s3cret".into()),
        )
        .await
        .unwrap();
    assert!(report.ok, "{}", report.message);
    engine.shutdown().await;
}
