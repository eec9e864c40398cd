//! Delivery of decisions to agents, at least once on the wire and exactly once in effect: 200
//! decisions to three simulated agents that refuse some requests with 500, apply some and then
//! answer 500, apply some and hold their answer past Baton's timeout, while the app is killed
//! (its runtime torn down mid-flight) and restarted on the same database again and again. In the
//! end every decision is acknowledged, and each agent applied each of its decisions once.

use baton_store::StoreLocation;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::{draft, test_location};
use baton_core::backoff::Backoff;
use baton_core::detect::{EvidenceRef, Finding, FindingKind, Severity};
use baton_core::escalations::{DeliveryState, EscalationAction};
use baton_engine::{Engine, EngineConfig, MemoryTokens};
use baton_sim::faults::DecisionFaults;
use baton_sim::{SimConfig, SimFleet};
use baton_store::{Store, StoreHandle};
use chrono::Utc;

const DECISIONS: usize = 200;
const AGENTS: usize = 3;

fn config() -> EngineConfig {
    EngineConfig {
        spread_start: false,
        detect_every_ms: 0,
        delivery_backoff: Backoff {
            base_ms: 20,
            cap_ms: 200,
        },
        ..EngineConfig::default()
    }
}

/// Starts an engine (relay included) on its own runtime over the store at `path`.
async fn launch(path: &StoreLocation) -> tokio::runtime::Runtime {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let store = StoreHandle::open_at(path, 1).unwrap();
    let engine = Engine::new(store, Arc::new(MemoryTokens::new(None)), config());
    runtime.spawn(async move {
        engine.start_all().await.unwrap();
        // Keep the engine alive as long as the runtime.
        std::future::pending::<()>().await;
    });
    runtime
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_decision_is_applied_exactly_once_through_faults_and_kills() {
    let dir = tempfile::tempdir().unwrap();
    let path = test_location(dir.path());
    let fleet = SimFleet::start(SimConfig::stepped(AGENTS)).await.unwrap();
    for index in 0..AGENTS {
        fleet.set_decision_faults(
            index,
            Some(DecisionFaults {
                seed: index as u64,
                refuse: 0.15,
                apply_then_fail: 0.15,
                apply_then_hold: 0.15,
                // Half the held answers outlast Baton's 300 ms timeout (a dropped answer); the
                // rest would arrive, unless the app is killed first.
                hold: Duration::from_millis(600),
            }),
        );
    }

    // Agents, one escalation per decision, and every decision taken: 200 outbox rows.
    let mut expected: HashMap<i64, Vec<String>> = HashMap::new();
    let mut by_agent_index = HashMap::new();
    {
        let mut store = Store::open_at(&path).unwrap();
        let mut ids = Vec::new();
        for agent in fleet.agents() {
            let mut d = draft(&agent.name, &agent.base_url, 60_000, 300);
            d.poll_interval_ms = 60_000;
            let id = store.add_agent(&d).unwrap().id;
            by_agent_index.insert(id, agent.index);
            ids.push(id);
        }
        let findings: Vec<Finding> = (0..DECISIONS)
            .map(|i| Finding {
                kind: FindingKind::NeedsApproval,
                severity: Severity::Warning,
                agents: vec![ids[i % AGENTS]],
                resource: None,
                summary: format!("decision {i}"),
                evidence: vec![EvidenceRef {
                    agent_id: ids[i % AGENTS],
                    seq: i as u64 + 1,
                }],
                dedupe_key: format!("needs_approval:{i}"),
                continues: None,
            })
            .collect();
        let recorded = store.record_findings(&findings, Utc::now()).unwrap();
        assert_eq!(recorded.escalations.len(), DECISIONS);
        for (i, &escalation) in recorded.escalations.iter().enumerate() {
            let action = if i % 2 == 0 {
                EscalationAction::Approve
            } else {
                EscalationAction::Reject
            };
            let decided = store
                .decide_escalation(escalation, &action, None, "ana", Utc::now())
                .unwrap();
            assert_eq!(decided.outbox.len(), 1);
        }
        for row in store.outbox_rows().unwrap() {
            expected
                .entry(row.item.agent_id)
                .or_default()
                .push(row.item.idempotency_key);
        }
    }

    // Run the app, kill it every 250–450 ms, start it again, until everything is acknowledged.
    let started = Instant::now();
    let mut kills = 0;
    let check = Store::open_at(&path).unwrap();
    loop {
        let runtime = launch(&path).await;
        tokio::time::sleep(Duration::from_millis(250 + (kills % 5) * 50)).await;
        runtime.shutdown_background();
        kills += 1;
        let pending = check
            .outbox_rows()
            .unwrap()
            .iter()
            .filter(|r| r.delivered_at.is_none())
            .count();
        if pending == 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "{pending} decisions still undelivered after {kills} restarts"
        );
    }

    // Exactly once, by key, at each agent; nothing lost.
    let mut resent = 0;
    let mut requests = 0;
    for (agent_id, keys) in &expected {
        let index = by_agent_index[agent_id];
        let applied: Vec<String> = fleet
            .decisions(index)
            .into_iter()
            .map(|d| d.decision_id)
            .collect();
        let mut sorted_applied = applied.clone();
        sorted_applied.sort();
        sorted_applied.dedup();
        assert_eq!(
            sorted_applied.len(),
            applied.len(),
            "a decision applied twice"
        );
        let mut sorted_expected = keys.clone();
        sorted_expected.sort();
        assert_eq!(sorted_applied, sorted_expected, "agent {agent_id}");
        let stats = fleet.decision_stats(index);
        assert!(stats.faults > 0, "{stats:?}");
        resent += stats.duplicates;
        requests += stats.requests;
    }
    // Some decisions were applied and then sent again (their answer was lost): the agents said
    // `duplicate` and did nothing, which is the point.
    assert!(
        resent > 0,
        "no decision was resent; the faults did not bite"
    );
    let rows = check.outbox_rows().unwrap();
    assert_eq!(rows.len(), DECISIONS);
    assert!(rows.iter().all(|r| r.accepted == Some(true)));
    let escalations = check
        .escalations(baton_store::escalations::EscalationFilter {
            open: false,
            closed: DECISIONS,
        })
        .unwrap();
    assert!(escalations.iter().all(|e| e
        .deliveries
        .iter()
        .all(|d| d.state == DeliveryState::Delivered)));
    // Attempts whose outcome was recorded, against requests the agents received: the difference
    // is requests sent by an app that was killed before it heard back.
    let recorded: u64 = rows.iter().map(|r| u64::from(r.item.attempts)).sum();
    assert!(
        requests > recorded,
        "no kill fell between send and acknowledgement ({requests} requests, {recorded} recorded)"
    );
    eprintln!(
        "{DECISIONS} decisions delivered through {kills} kills in {:.1} s: {requests} requests, \
         {} cut off by a kill, {resent} resent and deduplicated",
        started.elapsed().as_secs_f64(),
        requests - recorded
    );
    fleet.shutdown().await;
}
