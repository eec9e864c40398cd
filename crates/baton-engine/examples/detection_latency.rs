//! Detection latency: from an event at the agent to the escalation in the store, with a busy
//! fleet of simulated agents polled over HTTP on 127.0.0.1 (what `make bench` records in
//! docs/performance.md).
//!
//! Each round makes two agents of the fleet write one fresh resource 200 ms apart, and measures
//! from the second write (its `at`, the agent's clock) to the write collision's escalation
//! (`opened_at`). The agents keep doing their scripted work meanwhile, so the detectors run on a
//! real load. `cargo run --release -p baton-engine --example detection_latency [AGENTS] [ROUNDS]`

use std::sync::Arc;
use std::time::{Duration, Instant};

use baton_core::agent::AgentDraft;
use baton_core::protocol::{Event, EventKind};
use baton_core::views::ChangeEvent;
use baton_engine::{Engine, EngineConfig, MemoryTokens};
use baton_sim::{SimConfig, SimFleet};
use baton_store::StoreHandle;
use chrono::Utc;
use tokio::sync::broadcast::error::RecvError;

const POLL_MS: u64 = 1_000;

fn write(resource: &str, task: &str) -> Event {
    Event {
        resource: Some(resource.to_owned()),
        task_id: Some(task.to_owned()),
        ..Event::new(0, Utc::now(), EventKind::Write)
    }
}

fn percentile(sorted: &[i64], p: f64) -> i64 {
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// Detection latency over a simulated fleet.
#[derive(clap::Parser)]
struct Flags {
    /// Simulated agents
    #[arg(default_value_t = 100)]
    agents: usize,
    /// Rounds measured
    #[arg(default_value_t = 30)]
    rounds: usize,
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let Flags { agents, rounds } = clap::Parser::parse();
    let fleet = SimFleet::start(SimConfig {
        agents,
        base_port: 0,
        tick_ms: 1_000,
        ..SimConfig::default()
    })
    .await
    .expect("simulated fleet");
    let dir = tempfile::tempdir().expect("temp dir");
    let store = StoreHandle::open(&dir.path().join("baton.sqlite3"), 3).expect("store");
    // The app's settings: polls spread over the interval, detectors every second and after
    // each ingest with new events.
    let engine = Engine::new(
        store.clone(),
        Arc::new(MemoryTokens::new(None)),
        EngineConfig::default(),
    );
    engine.start_all().await.expect("engine");
    let mut ids = Vec::new();
    for agent in fleet.agents() {
        let draft = AgentDraft {
            poll_interval_ms: POLL_MS,
            timeout_ms: 800,
            ..AgentDraft::new(&agent.name, &agent.base_url)
        };
        ids.push(engine.add_agent(draft, None).await.expect("agent").id);
    }
    println!(
        "detection latency: {agents} simulated agents polled every {POLL_MS} ms, {rounds} rounds"
    );
    tokio::time::sleep(Duration::from_secs(5)).await;

    let mut latencies = Vec::with_capacity(rounds);
    let mut missed = 0;
    for round in 0..rounds {
        let a = (round * 7) % agents;
        let b = (a + 1 + round % (agents - 1)) % agents;
        let resource = format!("bench://latency/round-{round}");
        let mut changes = engine.subscribe();
        fleet.inject_event(a, write(&resource, "bench-a"));
        tokio::time::sleep(Duration::from_millis(200)).await;
        let second = write(&resource, "bench-b");
        let second_at = second.at;
        fleet.inject_event(b, second);
        // Wait for the escalation to be announced: opened, or (when the same two agents
        // collided before) the earlier item of their cause taking this resource in.
        let opened = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                match changes.recv().await {
                    Ok(ChangeEvent::Escalations {
                        opened, changed, ..
                    }) => {
                        for id in opened.into_iter().chain(changed) {
                            let e = engine.escalation(id).await.unwrap();
                            if e.resources.contains(&resource) {
                                return Some(e.last_seen_at);
                            }
                        }
                    }
                    Ok(_) | Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => return None,
                }
            }
        })
        .await
        .ok()
        .flatten();
        match opened {
            Some(opened) => latencies.push((opened - second_at).num_milliseconds()),
            None => missed += 1,
        }
    }
    let (events, escalations) = store
        .read_blocking(move |store| {
            let mut events = 0;
            for id in &ids {
                events += store.event_count(*id)?;
            }
            Ok((events, store.open_escalation_count()?))
        })
        .expect("read the store");
    latencies.sort_unstable();
    if latencies.is_empty() {
        println!("no escalation within 10 s in any round");
    } else {
        println!(
            "event at the agent → escalation stored: median {} ms, p95 {} ms, max {} ms, min {} ms ({} rounds, {missed} missed)",
            percentile(&latencies, 0.5),
            percentile(&latencies, 0.95),
            latencies[latencies.len() - 1],
            latencies[0],
            latencies.len()
        );
    }
    println!("load: {events} events stored from the fleet, {escalations} escalations open");
    // What one detector run costs at this load (the loop runs one after each ingest burst),
    // with the window the loop keeps.
    let mut runs = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        engine
            .detect_once(Utc::now(), Utc::now())
            .await
            .expect("a detector run");
        runs.push(started.elapsed().as_millis() as i64);
    }
    runs.sort_unstable();
    println!(
        "one detector run over this store: median {} ms, max {} ms",
        percentile(&runs, 0.5),
        runs[runs.len() - 1]
    );
    engine.shutdown().await;
    fleet.shutdown().await;
}
