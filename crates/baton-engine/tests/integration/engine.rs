//! The engine's pollers against fixture endpoints: token and cursor on the wire, change events,
//! backoff spacing while an endpoint fails, the spread-out first poll.

use crate::support;

use std::time::{Duration, Instant};

use crate::support::*;
use baton_core::agent::Reachability;
use baton_core::backoff::Backoff;
use baton_core::views::{ChangeEvent, SecretBackend};
use baton_engine::{EngineConfig, TokenStore};

#[tokio::test]
async fn a_poller_sends_the_token_and_the_cursor_and_publishes_changes() {
    let body = doc("fx-1", &[("t1", "working"), ("t2", "submitted")], 3);
    let fixture = Fixture::start(Mode::NeedsToken("s3cret".into(), body)).await;
    let (engine, tokens) = engine_and_tokens(test_config());
    assert_eq!(engine.secrets_status().backend, SecretBackend::Memory);
    let mut rx = engine.subscribe();

    let agent = engine
        .add_agent(
            draft("fx", &fixture.base_url, 250, 200),
            Some(" s3cret\n".into()),
        )
        .await
        .unwrap();
    assert!(agent.has_token);
    assert_eq!(tokens.get(agent.id).unwrap().as_deref(), Some("s3cret"));
    assert_eq!(engine.polling(), vec![agent.id]);

    assert_eq!(
        rx.recv().await.unwrap(),
        ChangeEvent::AgentsChanged,
        "published when added"
    );
    let (tasks, new_events) = next_event(&mut rx, Duration::from_secs(5), |e| match e {
        ChangeEvent::Ingested {
            agent_id,
            tasks,
            new_events,
            ..
        } if *agent_id == agent.id => Some((tasks.clone(), *new_events)),
        _ => None,
    })
    .await;
    assert_eq!(tasks.len(), 2);
    assert_eq!(new_events, 3);
    let health = next_event(&mut rx, Duration::from_secs(5), |e| match e {
        ChangeEvent::Health { health, .. } => Some(health.clone()),
        _ => None,
    })
    .await;
    assert_eq!(health.reachability, Reachability::Up);

    // The same answer again changes nothing: its health comes with the quiet polls' flush
    // (`Healths`, every 5 s), no Ingested.
    let second = next_event(&mut rx, Duration::from_secs(20), |e| match e {
        ChangeEvent::Ingested { .. } => Some(Err(e.clone())),
        ChangeEvent::Healths { .. } => e.health_of(agent.id).map(|_| Ok(())),
        _ => None,
    })
    .await;
    assert_eq!(second, Ok(()), "an unchanged poll publishes no Ingested");
    engine.shutdown().await;

    let hits = fixture.hits();
    assert!(hits.len() >= 2);
    assert_eq!(hits[0].query, None, "the first poll has no cursor");
    // Then the stored cursor (a poll that went out while the first one's write was still
    // under way asked from the cursor stored before it: none).
    assert!(
        hits[1..]
            .iter()
            .all(|h| h.query.is_none() || h.query.as_deref() == Some("since=c3")),
        "{hits:?}"
    );
    assert_eq!(
        hits.last().unwrap().query.as_deref(),
        Some("since=c3"),
        "then the stored cursor"
    );
    assert!(hits
        .iter()
        .all(|h| h.authorization.as_deref() == Some("Bearer s3cret")));
    assert_eq!(hits[0].path, "/baton/v1/status");
    let store = engine.store();
    assert_eq!(
        store
            .read_blocking(move |s| s.event_count(agent.id))
            .unwrap(),
        3
    );
}

/// An agent that answers the same document every time (a server that ignores `since`) costs
/// the store one write per flush for its health, not one per poll; its health reaches the bus
/// with the flush, and the store's catches up at the flush or at shutdown.
#[tokio::test]
async fn quiet_polls_write_their_health_together_not_one_by_one() {
    let body = doc("static", &[("t1", "working")], 3);
    let fixture = Fixture::start(Mode::Body(body)).await;
    let engine = engine_with(test_config());
    let mut rx = engine.subscribe();
    let agent = engine
        .add_agent(draft("static", &fixture.base_url, 250, 200), None)
        .await
        .unwrap();
    // The first poll stores the tasks and events; the next ones repeat them.
    assert!(eventually(Duration::from_secs(5), || fixture.hit_count() >= 2).await);
    let writes_before = engine.stats().writer_writes;
    let hits_before = fixture.hit_count();
    assert!(
        eventually(Duration::from_secs(10), || fixture.hit_count()
            >= hits_before + 8)
        .await
    );
    let polls = (fixture.hit_count() - hits_before) as u64;
    let stats = engine.stats();
    let writes = stats.writer_writes - writes_before;
    assert!(
        writes * 2 < polls,
        "{writes} writes for {polls} quiet polls"
    );
    // After the first quiet poll, the same bytes again are not even read.
    assert!(
        stats.quiet_polls_unread + 2 >= polls,
        "{} of {polls} quiet polls unread",
        stats.quiet_polls_unread
    );
    // The quiet polls' healths reach the bus together, with their flush (every 5 s).
    let health = next_event(&mut rx, Duration::from_secs(20), |e| {
        e.health_of(agent.id).cloned()
    })
    .await;
    assert_eq!(health.reachability, Reachability::Up);
    // A changed answer is read and stored, however many same ones came before it.
    fixture.set(Mode::Body(doc("static", &[("t1", "blocked")], 3)));
    let changed = next_event(&mut rx, Duration::from_secs(5), |e| match e {
        ChangeEvent::Ingested {
            agent_id, tasks, ..
        } if *agent_id == agent.id => Some(tasks.clone()),
        _ => None,
    })
    .await;
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0].state, baton_core::task::TaskState::Blocked);
    engine.shutdown().await;
    let stored = support::health(&engine, agent.id);
    let latest = rx_latest_health(&mut rx, agent.id).unwrap_or(health);
    assert_eq!(
        stored.last_success_at, latest.last_success_at,
        "flushed at shutdown"
    );
    assert_eq!(
        engine
            .store()
            .read_blocking(move |s| s.event_count(agent.id))
            .unwrap(),
        3
    );
}

/// The last health the bus still holds for `agent_id`.
fn rx_latest_health(
    rx: &mut tokio::sync::broadcast::Receiver<ChangeEvent>,
    agent_id: i64,
) -> Option<baton_core::agent::AgentHealth> {
    let mut latest = None;
    while let Ok(event) = rx.try_recv() {
        if let Some(health) = event.health_of(agent_id) {
            latest = Some(health.clone());
        }
    }
    latest
}

/// An endpoint that always fails is retried with full jitter: each gap between attempts (seen
/// by the server) lies in [interval, max(interval, min(cap, base·2^(n-1)))] plus slack.
#[tokio::test]
async fn failing_endpoint_backs_off_with_full_jitter() {
    let backoff = Backoff {
        base_ms: 100,
        cap_ms: 1_600,
    };
    let fixture = Fixture::start(Mode::Status(503, Vec::new())).await;
    let (engine, _) = engine_and_tokens(EngineConfig {
        backoff,
        ..test_config()
    });
    let interval = 250;
    let agent = engine
        .add_agent(draft("flaky", &fixture.base_url, interval, 200), None)
        .await
        .unwrap();
    const ATTEMPTS: usize = 11;
    assert!(
        eventually(Duration::from_secs(30), || fixture.hit_count() >= ATTEMPTS).await,
        "only {} attempts",
        fixture.hit_count()
    );
    engine.shutdown().await;
    let hits = fixture.hits();
    let slack = Duration::from_millis(300);
    let mut gaps = Vec::new();
    for n in 1..ATTEMPTS {
        let gap = hits[n].at - hits[n - 1].at;
        let ceiling = Duration::from_millis(interval.max(backoff.ceiling_ms(n as u32)));
        assert!(
            gap <= ceiling + slack,
            "gap {n} is {gap:?}, over its ceiling {ceiling:?}"
        );
        gaps.push(gap);
    }
    eprintln!("gaps between attempts: {gaps:?}");
    // Never faster than the interval, taken together: polls start at a fixed rate and the
    // server sees each one a connection set-up later, so one gap can be short when the one
    // before it was late (on a loaded machine), never the run as a whole.
    let least = Duration::from_millis(interval) * gaps.len() as u32;
    let took: Duration = gaps.iter().sum();
    assert!(
        took + Duration::from_millis(25) >= least,
        "{gaps:?}: {took:?} in all, under {least:?}"
    );
    // It backs off: some later gap is well beyond the interval (fails ~1 in 20,000 runs).
    assert!(
        gaps.iter().any(|g| *g > Duration::from_millis(350)),
        "{gaps:?}"
    );
    // With jitter: the delays are not simply the ceilings (fails ~1 in 10^7 runs).
    assert!(
        gaps.iter()
            .enumerate()
            .skip(3)
            .any(|(i, g)| g.as_millis() < u128::from(backoff.ceiling_ms(i as u32 + 1)) * 9 / 10),
        "{gaps:?}"
    );
    let health = health(&engine, agent.id);
    // Every attempt is counted, except the one whose response was still in flight at shutdown.
    let counted = health.consecutive_failures as usize;
    assert!(
        counted + 1 >= hits.len() && counted >= ATTEMPTS - 1,
        "{counted} failures counted for {} attempts",
        hits.len()
    );
    assert_eq!(health.reachability, Reachability::Down);
    assert!(health.last_error.unwrap().starts_with("HTTP 503"));
}

#[tokio::test]
async fn first_poll_waits_for_the_agents_start_offset() {
    let fixture = Fixture::start(Mode::Body(doc("fx-1", &[], 0))).await;
    let (engine, _) = engine_and_tokens(EngineConfig::default());
    let added = Instant::now();
    let agent = engine
        .add_agent(draft("late", &fixture.base_url, 2_000, 1_000), None)
        .await
        .unwrap();
    let offset = Duration::from_millis(agent.start_offset_ms());
    assert!(eventually(Duration::from_secs(5), || fixture.hit_count() >= 1).await);
    let first = fixture.hits()[0].at;
    assert!(
        first >= added + offset,
        "first poll {:?} after adding, offset {offset:?}",
        first - added
    );
    engine.shutdown().await;
}

#[tokio::test]
async fn a_changed_declaration_is_published_once() {
    let with_declares = |writes: &str| {
        let mut doc: serde_json::Value = serde_json::from_slice(&doc("fx", &[], 0)).unwrap();
        doc["agent"]["declares"] = serde_json::json!({ "writes": [writes] });
        serde_json::to_vec(&doc).unwrap()
    };
    let fixture = Fixture::start(Mode::Body(with_declares("crm://contacts/*#status"))).await;
    let (engine, _) = engine_and_tokens(test_config());
    let mut rx = engine.subscribe();
    let agent = engine
        .add_agent(draft("fx", &fixture.base_url, 250, 200), None)
        .await
        .unwrap();
    let declared = |e: &ChangeEvent| match e {
        ChangeEvent::DeclarationsChanged { agent_id } => Some(*agent_id),
        _ => None,
    };
    assert_eq!(
        next_event(&mut rx, Duration::from_secs(5), declared).await,
        agent.id
    );
    // Unchanged on the next polls: no event until the declaration changes.
    let count = fixture.hit_count();
    assert!(eventually(Duration::from_secs(3), || fixture.hit_count() >= count + 2).await);
    while let Ok(event) = rx.try_recv() {
        assert!(declared(&event).is_none(), "published again: {event:?}");
    }
    fixture.set(Mode::Body(with_declares("crm://contacts/*#owner")));
    assert_eq!(
        next_event(&mut rx, Duration::from_secs(5), declared).await,
        agent.id
    );
    engine.shutdown().await;
}

#[tokio::test]
async fn two_agents_writing_one_record_become_a_finding() {
    // Both documents carry a `write` of crm://contacts/1 (seq 1) at the same instant.
    let first = Fixture::start(Mode::Body(doc("fx-a", &[("t", "working")], 1))).await;
    let second = Fixture::start(Mode::Body(doc("fx-b", &[("t", "working")], 1))).await;
    let (engine, _) = engine_and_tokens(EngineConfig {
        detect_every_ms: 100,
        ..test_config()
    });
    let mut rx = engine.subscribe();
    engine.start_all().await.unwrap();
    let a = engine
        .add_agent(draft("A", &first.base_url, 250, 200), None)
        .await
        .unwrap();
    let b = engine
        .add_agent(draft("B", &second.base_url, 250, 200), None)
        .await
        .unwrap();
    let opened = next_event(&mut rx, Duration::from_secs(10), |e| match e {
        ChangeEvent::Findings { opened, .. } if !opened.is_empty() => Some(opened.clone()),
        _ => None,
    })
    .await;
    let findings = engine
        .store()
        .read_blocking(move |s| s.open_findings())
        .unwrap();
    let collision = findings
        .iter()
        .find(|f| opened.contains(&f.id))
        .expect("the opened finding is stored");
    assert_eq!(collision.kind.as_str(), "write_collision");
    assert_eq!(collision.agents, [a.id, b.id]);
    assert_eq!(collision.resource.as_deref(), Some("crm://contacts/1"));
    // Later polls re-deliver nothing new: no second finding for the same cause.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let again = engine
        .store()
        .read_blocking(move |s| s.open_findings())
        .unwrap();
    assert_eq!(again.len(), findings.len());
    engine.shutdown().await;
}
