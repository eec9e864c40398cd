//! The rate-limit ledger at scale (what `make bench` records in docs/performance.md): a week of
//! minute buckets for 20 agents × 5 APIs (1,008,000 usage reports) ingested through the store,
//! then the reads the Rate limits view makes, through the engine.
//!
//! `cargo run --release -p baton-engine --example rate_limit_bench [DATA_DIR]`: with a directory
//! the seeded database (`baton.sqlite3`) is kept there, for the UI render bench to open in the
//! app (`cargo test -p baton-tests --test integration -- ratelimit_bench:: --ignored`).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use baton_core::agent::AgentDraft;
use baton_core::protocol::{AgentInfo, StatusDocument};
use baton_core::ratelimit::{minute_of, Metric};
use baton_engine::{Engine, EngineConfig, MemoryTokens};
use baton_sim::history::{usage_reports, UsagePattern};
use baton_store::{Store, StoreHandle};
use chrono::Utc;

pub const AGENTS: usize = 20;
pub const APIS: [&str; 5] = ["openai", "anthropic", "github", "gemini", "search"];
const DAYS: i64 = 7;

fn doc(agent: usize, reports: Vec<baton_core::protocol::UsageReport>) -> StatusDocument {
    StatusDocument {
        usage: reports,
        ..StatusDocument::new(AgentInfo::new(format!("agent-{agent:02}")))
    }
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

/// The rate-limit ledger bench.
#[derive(clap::Parser)]
struct Flags {
    /// A folder to keep the store in (default: a temporary one)
    keep: Option<PathBuf>,
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let Flags { keep } = clap::Parser::parse();
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = keep.clone().unwrap_or_else(|| temp.path().to_path_buf());
    let path = dir.join(baton_store::paths::DB_FILE_NAME);
    let _ = std::fs::remove_file(&path);
    let mut store = Store::open(&path).expect("store");

    let now = Utc::now();
    let to = minute_of(now) + 60;
    let from = to - DAYS * 86_400;
    let started = Instant::now();
    let mut reports = 0usize;
    for agent in 0..AGENTS {
        // Unreachable on purpose: the app opening this database shows the ledger, not live agents.
        let draft = AgentDraft {
            poll_interval_ms: 60_000,
            timeout_ms: 1_000,
            ..AgentDraft::new(format!("Agent {agent:02}"), "http://127.0.0.1:9/")
        };
        let id = store.add_agent(&draft).expect("agent").id;
        for (a, api) in APIS.iter().enumerate() {
            let pattern = UsagePattern::for_agent(agent + a);
            let batch = usage_reports(api, pattern, (agent * 10 + a) as u64, from, to, 60);
            reports += batch.len();
            store.ingest(id, &doc(agent, batch), now).expect("ingest");
        }
    }
    let seed_ms = ms(started);
    for api in APIS {
        store
            .set_quota(api, None, Metric::Requests, 400, 60, now)
            .expect("quota");
    }
    drop(store);
    let size_mb = std::fs::metadata(&path).map_or(0.0, |m| m.len() as f64 / 1e6);

    let store = StoreHandle::open(&path, 3).expect("reopen");
    let engine = Engine::new(
        store,
        Arc::new(MemoryTokens::new(None)),
        EngineConfig::default(),
    );
    let t = Instant::now();
    let ledgers = engine.rate_limits().await.expect("rate limits");
    let view_ms = ms(t);
    let t = Instant::now();
    engine.rate_limits().await.expect("rate limits");
    let warm_ms = ms(t);
    let mut series_ms = Vec::new();
    let mut points = 0usize;
    for api in APIS {
        let t = Instant::now();
        let series = engine
            .usage_series(api.into(), None, Metric::Requests, 168)
            .await
            .expect("series");
        series_ms.push(ms(t));
        points += series.agents.iter().map(|a| a.values.len()).sum::<usize>();
    }
    let t = Instant::now();
    for api in APIS {
        engine
            .usage_heatmap(api.into(), None, Metric::Requests)
            .await
            .expect("heat map");
    }
    let heatmap_ms = ms(t) / APIS.len() as f64;

    println!(
        "rate-limit ledger: {AGENTS} agents × {} APIs × {DAYS} days of minute reports",
        APIS.len()
    );
    println!("  seed: {reports} usage reports ingested in {seed_ms:.0} ms ({:.0} reports/s), db {size_mb:.0} MB", reports as f64 / seed_ms * 1000.0);
    println!(
        "  rate_limits (all {} APIs: quotas, forecasts over 24 h, shares): {view_ms:.0} ms cold, {warm_ms:.0} ms with the profiles cached",
        ledgers.len()
    );
    let mean = series_ms.iter().sum::<f64>() / series_ms.len() as f64;
    let max = series_ms.iter().cloned().fold(0.0, f64::max);
    println!("  usage_series, one API, 7 days × {AGENTS} agents: mean {mean:.0} ms, max {max:.0} ms ({points} points over all APIs)");
    println!("  usage_heatmap, one API: {heatmap_ms:.0} ms");
    if let Some(dir) = keep {
        println!("  kept the database in {}", dir.display());
    }
}
