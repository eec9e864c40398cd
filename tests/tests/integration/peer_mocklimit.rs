//! The rate-limit ledger against a real third-party server: `mocklimit` (PyPI), once with
//! OpenAI-style limits and once with Anthropic-style ones. Two baton-sim agents share one API key,
//! call the server until 429s come back, and report each response (status, rate-limit headers,
//! tokens) as an `api_call` event; a real engine polls them over HTTP. Baton's ledger must hold
//! the limits mocklimit announced and exactly the requests and 429s mocklimit counted, and a
//! rate-limit pressure escalation must name both agents.
//!
//! `cargo test -p baton-tests --test integration peer_mocklimit::`; needs `scripts/setup.sh --test` (the venv).

use std::time::Duration;

use baton_core::agent::AgentDraft;
use baton_core::ratelimit::{Metric, Quota, QuotaSource};
use baton_engine::Engine;
use baton_sim::caller::ApiCaller;
use baton_sim::{SimConfig, SimFleet};
use baton_store::escalations::EscalationFilter;
use baton_store::StoreHandle;
use baton_tests::engine::{self, EngineUnderTest};
use baton_tests::peers::{LimitStyle, Mocklimit};
use serde_json::json;

/// The API key both agents use: one quota, shared.
const TEAM_KEY: &str = "sk-team-shared";
/// Calls per agent: 2 × 15 = 30 against a quota of 20 requests.
const CALLS_EACH: usize = 15;

async fn wait_until(what: &str, within: Duration, mut done: impl FnMut() -> bool) {
    engine::wait_for(what, within, || done().then_some(())).await;
}

/// Waits out the end of a clock minute: mocklimit's fixed windows reset on the minute, and the
/// calls should land in one window.
async fn away_from_a_minute_boundary() {
    let second = chrono::Utc::now().timestamp().rem_euclid(60);
    if second > 45 {
        tokio::time::sleep(Duration::from_secs((61 - second) as u64)).await;
    }
}

struct Rig {
    fleet: SimFleet,
    engine: Engine,
    store: StoreHandle,
    /// Baton's ids of the two agents.
    ids: [i64; 2],
}

async fn rig() -> Rig {
    let fleet = SimFleet::start(SimConfig::stepped(2))
        .await
        .expect("sim fleet");
    let EngineUnderTest { engine, store } = EngineUnderTest::start().await;
    let mut ids = [0; 2];
    for (i, agent) in fleet.agents().iter().enumerate() {
        let draft = AgentDraft {
            poll_interval_ms: 300,
            timeout_ms: 250,
            ..AgentDraft::new(agent.name.clone(), agent.base_url.clone())
        };
        ids[i] = engine.add_agent(draft, None).await.expect("add agent").id;
    }
    Rig {
        fleet,
        engine,
        store,
        ids,
    }
}

/// Both agents call `server` in turns, `CALLS_EACH` times each, and report every response.
async fn call_in_turns(rig: &Rig, server: &Mocklimit, api: &str) {
    let caller = ApiCaller::new(api, &server.endpoint(), Some(TEAM_KEY));
    let body = json!({
        "model": "m",
        "max_tokens": 100,
        "messages": [{"role": "user", "content": "Summarise this week's support tickets."}]
    });
    for _ in 0..CALLS_EACH {
        for agent in 0..2 {
            let event = caller
                .call(&format!("task-{agent}"), &body)
                .await
                .expect("the server answers");
            rig.fleet.inject_event(agent, event);
        }
    }
}

/// What the ledger holds for `api`: (requests, 429s) over all agents and minutes.
fn ledger(store: &StoreHandle, api: &str) -> (u64, u64) {
    let api = api.to_owned();
    let minutes = store
        .read_blocking(move |s| s.api_minutes(&api, None, 0, i64::MAX))
        .unwrap();
    (
        minutes.iter().map(|m| m.requests).sum(),
        minutes.iter().map(|m| m.rate_limited).sum(),
    )
}

/// Waits for an open rate-limit pressure escalation about `api` naming both agents and the
/// 429s. (It may open on the share alone, a moment before the first 429; its title then follows.)
async fn pressure_names_both(rig: &Rig, api: &str) {
    let resource = format!("api:{api}");
    let mut both = rig.ids.to_vec();
    both.sort_unstable();
    let found = |rig: &Rig| {
        rig.store
            .read_blocking(move |s| {
                s.escalations(EscalationFilter {
                    open: true,
                    closed: 0,
                })
            })
            .unwrap()
            .into_iter()
            .find(|e| {
                e.kind.as_str() == "rate_limit_pressure" && e.resource.as_deref() == Some(&resource)
            })
    };
    wait_until(
        "a pressure escalation naming both agents and the 429s",
        Duration::from_secs(15),
        || found(rig).is_some_and(|e| e.agents == both && e.title.contains("429")),
    )
    .await;
}

/// The two agents call `api` on mocklimit in turns until it answers 429s; once the ledger
/// counts every call and every 429 mocklimit counted, the quotas Baton read for `api`.
async fn quotas_after_calls(rig: &Rig, server: &Mocklimit, api: &'static str) -> Vec<Quota> {
    call_in_turns(rig, server, api).await;
    let (requests, limited) = server.counted(TEAM_KEY).await;
    assert_eq!(requests, 2 * CALLS_EACH as u64);
    assert!(limited > 0, "mocklimit answered no 429");
    wait_until(
        "the ledger to count every call",
        Duration::from_secs(15),
        || ledger(&rig.store, api) == (requests, limited),
    )
    .await;
    rig.store
        .read_blocking(move |s| s.quotas(api, None))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openai_style_limits_and_429s_land_in_the_ledger() {
    let server = Mocklimit::start(LimitStyle::OpenAi).await;
    let rig = rig().await;
    away_from_a_minute_boundary().await;
    let quotas = quotas_after_calls(&rig, &server, "openai").await;
    let by_metric = |m: Metric| quotas.iter().find(|q| q.metric == m).expect("a quota");
    let req = by_metric(Metric::Requests);
    assert_eq!(
        (req.limit, req.window_seconds, req.source),
        (20, 60, QuotaSource::Headers)
    );
    assert_eq!(req.remaining, Some(0));
    assert!(req.reset_at.is_some());
    assert_eq!(by_metric(Metric::Tokens).limit, 20_000);
    // Nothing mocklimit sent was beyond Baton's reading.
    assert_eq!(
        rig.store
            .read_blocking(move |s| s.header_issues("openai"))
            .unwrap(),
        vec![]
    );
    pressure_names_both(&rig, "openai").await;
    rig.engine.shutdown().await;
    rig.fleet.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anthropic_style_limits_and_429s_land_in_the_ledger() {
    let server = Mocklimit::start(LimitStyle::Anthropic).await;
    let rig = rig().await;
    let quotas = quotas_after_calls(&rig, &server, "anthropic").await;
    let limit = |m: Metric| quotas.iter().find(|q| q.metric == m).map(|q| q.limit);
    assert_eq!(limit(Metric::Requests), Some(20));
    assert_eq!(limit(Metric::InputTokens), Some(40_000));
    assert_eq!(limit(Metric::OutputTokens), Some(8_000));
    let req = quotas
        .iter()
        .find(|q| q.metric == Metric::Requests)
        .unwrap();
    assert_eq!(req.remaining, Some(0));
    assert!(req
        .reset_at
        .is_some_and(|at| at > chrono::Utc::now() - chrono::Duration::minutes(1)));
    assert_eq!(
        rig.store
            .read_blocking(move |s| s.header_issues("anthropic"))
            .unwrap(),
        vec![]
    );
    pressure_names_both(&rig, "anthropic").await;
    rig.engine.shutdown().await;
    rig.fleet.shutdown().await;
}
