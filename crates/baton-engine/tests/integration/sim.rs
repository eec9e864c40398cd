//! The engine against a simulated fleet (baton-sim) on 127.0.0.1.

use std::time::Duration;

use crate::support::*;
use baton_core::agent::{AgentHealth, Reachability};
use baton_core::backoff::Backoff;
use baton_core::views::ChangeEvent;
use baton_engine::{EngineConfig, EngineError, TokenUpdate};
use baton_sim::{SimConfig, SimFleet};
use tokio::sync::broadcast;

async fn fleet(agents: usize, max_events_per_poll: usize) -> SimFleet {
    SimFleet::start(SimConfig {
        agents,
        base_port: 0,
        seed: 7,
        tick_ms: 0,
        max_events_per_poll,
    })
    .await
    .unwrap()
}

/// Sums `new_events` of the Ingested events waiting on the bus for `agent`.
fn drain_new_events(rx: &mut broadcast::Receiver<ChangeEvent>, agent: i64) -> (u64, usize) {
    let (mut events, mut ingested) = (0, 0);
    while let Ok(event) = rx.try_recv() {
        if let ChangeEvent::Ingested {
            agent_id,
            new_events,
            ..
        } = event
        {
            if agent_id == agent {
                events += u64::from(new_events);
                ingested += 1;
            }
        }
    }
    (events, ingested)
}

#[tokio::test]
async fn tasks_arrive_the_cursor_advances_and_events_are_not_duplicated() {
    let fleet = fleet(2, 5).await;
    let engine = engine();
    let mut rx = engine.subscribe();
    let sims = fleet.agents();
    let ids: Vec<i64> = sims
        .iter()
        .map(|a| store_agent(&engine, &draft(&a.name, &a.base_url, 2_000, 1_500)).id)
        .collect();
    for _ in 0..12 {
        fleet.step();
    }
    let cursor = |id| engine.store().read_blocking(move |s| s.cursor(id)).unwrap();
    let events = |id| {
        engine
            .store()
            .read_blocking(move |s| s.event_count(id))
            .unwrap()
    };
    let mut cursors = vec![None];
    // At most 5 events per answer: it takes several polls, each from the last cursor.
    for _ in 0..200 {
        engine.poll_once(ids[0]).await.unwrap();
        let now = cursor(ids[0]);
        if now == *cursors.last().unwrap() {
            break;
        }
        cursors.push(now);
    }
    assert!(cursors.len() > 3, "the cursor moved only {cursors:?}");
    let stored = events(ids[0]);
    assert!(stored > 5, "more events than one answer carries: {stored}");
    let (published, _) = drain_new_events(&mut rx, ids[0]);
    assert_eq!(published, stored, "every stored event was new exactly once");

    // Polling again with nothing new stores nothing and publishes no Ingested.
    engine.poll_once(ids[0]).await.unwrap();
    engine.poll_once(ids[0]).await.unwrap();
    assert_eq!(events(ids[0]), stored);
    assert_eq!(drain_new_events(&mut rx, ids[0]), (0, 0));

    // New work shows up on the next polls, on top of what is there.
    fleet.step();
    fleet.step();
    for _ in 0..10 {
        engine.poll_once(ids[0]).await.unwrap();
    }
    let (more, _) = drain_new_events(&mut rx, ids[0]);
    assert_eq!(events(ids[0]), stored + more);

    engine.poll_once(ids[1]).await.unwrap();
    {
        let (cards, rows) = engine
            .store()
            .read_blocking(|store| Ok((store.task_cards(None)?, store.agent_rows()?)))
            .unwrap();
        assert!(!cards.is_empty(), "tasks arrived");
        assert!(cards.iter().all(|c| ids.contains(&c.agent_id)));
        let row = rows.iter().find(|r| r.config.id == ids[0]).unwrap();
        assert_eq!(row.remote_id.as_deref(), Some(sims[0].id.as_str()));
        assert_eq!(row.health.reachability, Reachability::Up);
    }
    fleet.shutdown().await;
}

fn health_of(event: &ChangeEvent, id: i64) -> Option<AgentHealth> {
    event.health_of(id).cloned()
}

async fn wait_health(
    rx: &mut broadcast::Receiver<ChangeEvent>,
    id: i64,
    what: &str,
    mut ok: impl FnMut(&AgentHealth) -> bool,
) -> AgentHealth {
    // A quiet poll's health comes with the next flush (every 5 s).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let event = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("no health event with {what} in time"))
            .unwrap();
        if let Some(health) = health_of(&event, id) {
            if ok(&health) {
                return health;
            }
        }
    }
}

/// A killed agent goes Down with "connection refused", failures counting up while the others
/// stay Up; restarted, it comes back Up.
#[tokio::test]
async fn killed_agent_goes_down_and_comes_back() {
    let fleet = fleet(2, 500).await;
    fleet.step();
    let engine = engine_with(EngineConfig {
        backoff: Backoff {
            base_ms: 100,
            cap_ms: 400,
        },
        ..test_config()
    });
    let mut rx = engine.subscribe();
    let sims = fleet.agents();
    let mut ids = Vec::new();
    for sim in &sims {
        let agent = engine
            .add_agent(draft(&sim.name, &sim.base_url, 250, 200), None)
            .await
            .unwrap();
        ids.push(agent.id);
    }
    wait_health(&mut rx, ids[0], "Up", |h| {
        h.reachability == Reachability::Up
    })
    .await;

    fleet.stop_agent(0).await;
    let first = wait_health(&mut rx, ids[0], "Down", |h| {
        h.reachability == Reachability::Down
    })
    .await;
    assert_eq!(first.last_error.as_deref(), Some("connection refused"));
    assert_eq!(first.consecutive_failures, 1);
    let later = wait_health(&mut rx, ids[0], "3 failures", |h| {
        h.consecutive_failures >= 3
    })
    .await;
    assert_eq!(later.reachability, Reachability::Down);
    assert_eq!(later.last_error.as_deref(), Some("connection refused"));
    assert!(later.last_success_at.is_some());
    let other = health(&engine, ids[1]);
    assert_eq!(
        other.reachability,
        Reachability::Up,
        "the other agent is fine"
    );
    assert_eq!(other.consecutive_failures, 0);

    fleet.restart_agent(0).await.unwrap();
    let back = wait_health(&mut rx, ids[0], "Up again", |h| {
        h.reachability == Reachability::Up
    })
    .await;
    assert_eq!(back.consecutive_failures, 0);
    assert_eq!(
        back.last_error.as_deref(),
        Some("connection refused"),
        "the last error stays visible"
    );
    engine.shutdown().await;
    fleet.shutdown().await;
}

#[tokio::test]
async fn bearer_token_is_respected() {
    let fleet = fleet(1, 500).await;
    fleet.step();
    fleet.set_token(0, Some("tok-123".into()));
    let engine = engine();
    engine.shutdown().await; // no pollers: this test drives every poll itself
    let sim = &fleet.agents()[0];
    let agent = engine
        .add_agent(draft(&sim.name, &sim.base_url, 2_000, 1_500), None)
        .await
        .unwrap();
    let err = engine.poll_once(agent.id).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "poll failed: HTTP 401: check the agent's token"
    );
    assert_eq!(
        health(&engine, agent.id).last_error.as_deref(),
        Some("HTTP 401: check the agent's token")
    );

    let wrong = engine
        .update_agent(
            agent.id,
            draft(&sim.name, &sim.base_url, 2_000, 1_500),
            TokenUpdate::Set("nope".into()),
        )
        .await
        .unwrap();
    assert!(wrong.has_token);
    assert!(matches!(
        engine.poll_once(agent.id).await,
        Err(EngineError::PollFailed(_))
    ));

    engine
        .update_agent(
            agent.id,
            draft(&sim.name, &sim.base_url, 2_000, 1_500),
            TokenUpdate::Set("tok-123".into()),
        )
        .await
        .unwrap();
    engine.poll_once(agent.id).await.unwrap();
    let health = health(&engine, agent.id);
    assert_eq!(health.reachability, Reachability::Up);
    assert_eq!(fleet.poll_count(0), 3);

    let report = engine
        .test_connection(
            &draft(&sim.name, &sim.base_url, 2_000, 1_500),
            Some("tok-123".into()),
        )
        .await;
    assert!(report.ok, "{report:?}");
    assert!(
        report
            .message
            .starts_with(&format!("baton/1 agent \"{}\" answered in ", sim.id)),
        "{}",
        report.message
    );
    assert_eq!(report.remote_name.as_deref(), Some(sim.name.as_str()));
    fleet.shutdown().await;
}

#[tokio::test]
async fn removed_agent_is_no_longer_polled() {
    let fleet = fleet(2, 500).await;
    let engine = engine();
    let sims = fleet.agents();
    let kept = engine
        .add_agent(draft(&sims[0].name, &sims[0].base_url, 250, 200), None)
        .await
        .unwrap();
    let removed = engine
        .add_agent(draft(&sims[1].name, &sims[1].base_url, 250, 200), None)
        .await
        .unwrap();
    assert!(eventually(Duration::from_secs(5), || fleet.poll_count(1) >= 2).await);
    engine.remove_agent(removed.id).await.unwrap();
    let count = fleet.poll_count(1);
    let kept_count = fleet.poll_count(0);
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    assert_eq!(fleet.poll_count(1), count, "no poll after removal");
    assert!(
        fleet.poll_count(0) >= kept_count + 2,
        "the other agent is still polled"
    );
    assert_eq!(engine.polling(), vec![kept.id]);
    engine.shutdown().await;
    fleet.shutdown().await;
}
