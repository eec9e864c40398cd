//! Benchmark (ignored by `cargo test`; `make bench` runs it, release build): decide from the
//! phone, timed on loopback through the test ntfy server (`baton_tests::ntfy_server`), with the
//! real engine (as the app or `baton watch` runs it) on a SQLite store and the real hook call
//! (`baton_hooks::hook`, in this process, as `baton-hook` runs it) of a coding agent's
//! permission request, which waits for the phone because a route can answer.
//!
//! Each round: a session asks permission to run a command; the engine sees the item the hook
//! opened (the store's change feed), sends it; the server receives the message (figure 1: from
//! the hook call's start, which opens the item, to the server's receipt: an upper bound of "item
//! opened to message received"); the test posts the Allow button's body to the reply topic as
//! the phone would; the hook answers "allow" (figure 2: from the post to the hook's answer).
//! Prints p50, p99 and the largest of each, and `guard` lines; asserts nothing about times.
//! `BATON_BENCH_ROUNDS` sets the rounds (default 200).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use baton_core::hooks::{HookClient, ParallelMode, PermitMode};
use baton_hooks::HookOptions;
use baton_tests::engine::wait_for;
use baton_tests::ntfy_server::NtfyServer;

use crate::notify_ntfy::{engine_with_route, messages_of, post, TOKEN};

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let at = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[at]
}

fn report(what: &str, guard: &str, mut ms: Vec<f64>) {
    ms.sort_by(f64::total_cmp);
    let p99 = percentile(&ms, 0.99);
    println!(
        "{what}: {} rounds, p50 {:.1} ms, p99 {p99:.1} ms, largest {:.1} ms",
        ms.len(),
        percentile(&ms, 0.50),
        ms[ms.len() - 1]
    );
    println!("guard {guard} {p99:.1}");
}

/// The options `baton hooks install` gives Claude Code's PermissionRequest hook.
fn installed() -> HookOptions {
    HookOptions {
        client: HookClient::ClaudeCode,
        event: None,
        mode: PermitMode::Warn,
        parallel: ParallelMode::Warn,
        lease_minutes: baton_store::sessions::DEFAULT_LEASE_MINUTES,
        ask_seconds: baton_hooks::ASK_SECONDS,
        route_wait: baton_hooks::call::ROUTE_ASK_SECONDS,
        name: None,
        budget: baton_hooks::store_budget(),
        deliverer: None,
        // In this process: no hooks' server of its own to start.
        own_server: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: make bench"]
async fn phone_round_trip() {
    let rounds: usize = std::env::var("BATON_BENCH_ROUNDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(200);
    let dir = tempfile::tempdir().unwrap();
    let db: PathBuf = dir.path().join("baton.sqlite3");
    let repo = dir.path().join("shop");
    std::fs::create_dir_all(repo.join(".git")).unwrap();
    std::fs::write(repo.join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
    let server = NtfyServer::start(Some(TOKEN)).await;
    let (engine, _) = engine_with_route(db.to_str().unwrap(), &server).await;

    let (mut to_phone, mut to_agent) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let before = messages_of(&server, "needs_approval").len();
        let payload = serde_json::json!({
            "session_id": format!("bench{round:04}"), "cwd": repo,
            "hook_event_name": "PermissionRequest", "tool_name": "Bash",
            "tool_input": {"command": format!("echo round {round}")}
        })
        .to_string();
        let hook_db = db.clone();
        let started = Instant::now();
        let hook = tokio::task::spawn_blocking(move || {
            let reply = baton_hooks::hook(hook_db, &installed(), &mut payload.as_bytes());
            (reply, Instant::now())
        });
        let message = wait_for("the request's message", Duration::from_secs(60), || {
            messages_of(&server, "needs_approval").get(before).cloned()
        })
        .await;
        let arrived = server.arrived(message["id"].as_str().unwrap()).unwrap();
        to_phone.push(arrived.duration_since(started).as_secs_f64() * 1000.0);
        let allow = message["actions"][0]["body"].as_str().unwrap().to_owned();
        let posted = Instant::now();
        post(&server, allow).await;
        let (reply, answered) = hook.await.unwrap();
        to_agent.push(answered.duration_since(posted).as_secs_f64() * 1000.0);
        assert!(
            reply.stdout.contains("\"allow\""),
            "round {round}: the hook allowed: {reply:?}"
        );
    }
    report(
        "item opened (hook call) to the ntfy server receiving its message",
        "notify_item_to_phone_p99_ms",
        to_phone,
    );
    report(
        "the button's post to the agent's hook answering",
        "notify_button_to_hook_p99_ms",
        to_agent,
    );
    engine.shutdown().await;
}
