//! A Google ADK agent (google-adk 2.13 in `.venv-adk/`) on a stand-in model, exporting its own
//! spans with the OpenTelemetry Python SDK (1.44) to Baton's OTLP receiver (issue 61), once
//! with the SDK's OTLP/HTTP protobuf exporter and once in OTLP's JSON encoding: the agent is on
//! the board with a task per run, its tool calls and its model calls' tokens, and the run whose
//! tool fails is failed. On the store the run picks (`BATON_TEST_STORE`).
//!
//! `cargo nextest run -p baton-tests peer_otel`; needs `scripts/setup.sh --test`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use baton_core::agent::{AdapterKind, AgentConfig};
use baton_core::protocol::EventKind;
use baton_core::task::TaskState;
use baton_engine::otlp::OtlpPlace;
use baton_engine::{Engine, EngineConfig, MemoryTokens, StoreHandle};
use baton_tests::workspace_root;

/// The ADK virtualenv's python; panics with how to install it when it is missing.
fn adk_python() -> PathBuf {
    let venv = std::env::var_os("BATON_ADK_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".venv-adk"));
    let python = venv.join("bin/python");
    assert!(
        python.exists(),
        "{} is missing: run `scripts/setup.sh --test` (it installs google-adk and the OTLP exporter)",
        python.display()
    );
    python
}

async fn receiving() -> (Engine, SocketAddr) {
    let location = baton_store::StoreLocation::parse(&baton_testdb::migrated_store_url(
        baton_store::LATEST_VERSION,
        baton_store::Store::migrate_at,
    ))
    .unwrap();
    let store = StoreHandle::open_at(&location, 2).unwrap();
    let config = EngineConfig {
        spread_start: false,
        otlp: OtlpPlace::At("127.0.0.1:0".parse().unwrap()),
        ..EngineConfig::default()
    };
    let engine = Engine::new(store, Arc::new(MemoryTokens::new(None)), config);
    engine.start_all().await.unwrap();
    let at = engine.otlp_address().await.expect("the receiver listens");
    (engine, at)
}

/// Runs the ADK agent once per text, exporting to `at` in `encoding`; what it printed.
async fn run_adk(at: SocketAddr, encoding: &str, runs: &[&str]) -> String {
    let mut command = tokio::process::Command::new(adk_python());
    command
        .arg(workspace_root().join("tests/peers/otel_adk_agent.py"))
        .args([
            "--endpoint",
            &format!("http://{at}"),
            "--encoding",
            encoding,
        ])
        .env("PYTHONWARNINGS", "ignore")
        .env("GOOGLE_GENAI_USE_VERTEXAI", "0")
        .kill_on_drop(true);
    for run in runs {
        command.args(["--run", run]);
    }
    let out = tokio::time::timeout(Duration::from_secs(120), command.output())
        .await
        .expect("the ADK agent finished within 2 min")
        .expect("run the ADK agent");
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success() && said.contains("FLUSHED"),
        "the ADK agent: {}\n{said}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    said
}

fn heard(engine: &Engine) -> Vec<AgentConfig> {
    let agents = engine.store().read_blocking(|s| s.agents()).unwrap();
    agents
        .into_iter()
        .filter(|a| a.adapter == AdapterKind::Otlp)
        .collect()
}

/// The agent's runs, its tool calls and its model calls' tokens, as stored.
async fn check_runs(engine: &Engine, encoding: &str) {
    let said = run_adk(
        engine.otlp_address().await.unwrap(),
        encoding,
        &["weather in Paris", "weather in Atlantis"],
    )
    .await;
    assert!(said.contains("RAN weather in Paris"), "{said}");
    assert!(said.contains("FAILED weather in Atlantis"), "{said}");
    let agents = heard(engine);
    assert_eq!(agents.len(), 1, "one agent: {agents:?}");
    assert_eq!(agents[0].name, "weather_agent");
    let id = agents[0].id;
    let mut cards = engine
        .store()
        .read_blocking(move |s| s.task_cards(Some(id)))
        .unwrap();
    cards.sort_by_key(|c| c.state == TaskState::Failed);
    let states: Vec<TaskState> = cards.iter().map(|c| c.state).collect();
    assert_eq!(
        states,
        vec![TaskState::Completed, TaskState::Failed],
        "a task per run: {cards:?}"
    );
    assert!(
        cards
            .iter()
            .all(|c| c.title == "invoke_agent weather_agent"),
        "{cards:?}"
    );
    for card in &cards {
        let task = card.task_id.clone();
        let events = engine
            .store()
            .read_blocking(move |s| s.task_events(id, &task, 100))
            .unwrap();
        let calls: Vec<_> = events
            .iter()
            .filter(|e| e.kind == EventKind::ApiCall)
            .collect();
        assert!(!calls.is_empty(), "the model was called: {events:?}");
        assert!(
            calls
                .iter()
                .all(|c| c.raw["input_tokens"] == 120 && c.raw["output_tokens"] == 30),
            "the stand-in's tokens: {calls:?}"
        );
        let tools: Vec<&str> = events
            .iter()
            .filter_map(|e| e.raw["message"].as_str())
            .collect();
        let failed = card.state == TaskState::Failed;
        let expected = if failed {
            "tool get_weather failed"
        } else {
            "tool get_weather"
        };
        assert!(
            tools.iter().any(|m| m.starts_with(expected)),
            "{expected}: {tools:?}"
        );
        if failed {
            assert!(
                card.detail
                    .as_deref()
                    .is_some_and(|d| d.contains("no such city")),
                "{card:?}"
            );
        }
    }
    let stats = engine.otlp_stats();
    assert_eq!(
        (stats.unreadable, stats.too_large, stats.throttled),
        (0, 0, 0),
        "{stats:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_adk_agent_exporting_protobuf_is_an_agent_with_a_task_per_run() {
    let (engine, _) = receiving().await;
    check_runs(&engine, "protobuf").await;
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_adk_agent_exporting_json_is_an_agent_with_a_task_per_run() {
    let (engine, _) = receiving().await;
    check_runs(&engine, "json").await;
    engine.shutdown().await;
}
