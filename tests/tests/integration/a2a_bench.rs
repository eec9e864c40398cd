//! Benchmark (ignored by `cargo test`; `make bench` runs it): what one poll of an A2A agent
//! costs against the real a2a-sdk echo agent holding 1,000 finished tasks, over JSON-RPC: the
//! first poll (every task, 10 pages of `ListTasks`), polls when nothing changed (the card
//! answered 200 or 304, one `ListTasks` with `statusTimestampAfter`), and a poll after 10 new
//! tasks. Printed; nothing is asserted about the times.

use std::sync::Arc;
use std::time::Instant;

use baton_core::agent::{AdapterKind, AgentDraft};
use baton_engine::{Engine, EngineConfig, MemoryTokens};
use baton_store::StoreHandle;
use baton_tests::peers::{A2aEcho, EchoOptions};

const TASKS: usize = 1_000;
const QUIET_POLLS: usize = 30;

fn median(mut ms: Vec<f64>) -> f64 {
    ms.sort_by(f64::total_cmp);
    ms[ms.len() / 2]
}

async fn timed_poll(engine: &Engine, id: i64) -> f64 {
    let started = Instant::now();
    engine.poll_once(id).await.expect("poll");
    started.elapsed().as_secs_f64() * 1_000.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: make bench"]
async fn a2a_poll_cost() {
    let echo = A2aEcho::start(EchoOptions {
        binding: "jsonrpc",
        ..EchoOptions::default()
    });
    let started = Instant::now();
    for i in 0..TASKS {
        echo.submit(&format!("hello {i}"), false).await;
    }
    eprintln!(
        "seeded {TASKS} tasks in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let store = StoreHandle::in_memory().expect("store");
    let engine = Engine::new(
        store.clone(),
        Arc::new(MemoryTokens::new(None)),
        EngineConfig::default(),
    );
    let id = engine
        .add_agent(
            AgentDraft {
                adapter: AdapterKind::A2a,
                timeout_ms: 20_000,
                poll_interval_ms: 60_000,
                ..AgentDraft::new("Echo", echo.base_url.clone())
            },
            None,
        )
        .await
        .expect("add")
        .id;
    let first = timed_poll(&engine, id).await;
    let stored = store
        .read_blocking(move |s| s.task_cards(Some(id)))
        .unwrap()
        .len();
    assert_eq!(stored, TASKS);
    let mut quiet = Vec::new();
    for _ in 0..QUIET_POLLS {
        quiet.push(timed_poll(&engine, id).await);
    }
    for i in 0..10 {
        echo.submit(&format!("later {i}"), false).await;
    }
    let after_new = timed_poll(&engine, id).await;
    assert_eq!(
        store
            .read_blocking(move |s| s.task_cards(Some(id)))
            .unwrap()
            .len(),
        TASKS + 10
    );
    println!("A2A poll, a2a-sdk echo agent over JSON-RPC, {TASKS} tasks:");
    println!("  first poll (all tasks, 10 pages):   {first:.0} ms");
    println!(
        "  nothing changed (median of {QUIET_POLLS}):  {:.1} ms (max {:.1})",
        median(quiet.clone()),
        quiet.iter().copied().fold(0.0, f64::max)
    );
    println!("  10 new tasks:                       {after_new:.1} ms");
}
