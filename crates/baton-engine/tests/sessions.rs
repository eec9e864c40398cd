//! Coding sessions write to the store from their own processes (`baton hook`); the engine hears
//! them within a second or two and publishes their cards and how many wait for a person.

use std::sync::Arc;
use std::time::Duration;

use baton_core::hooks::{parse_hook_payload, HookClient, PermitMode};
use baton_core::task::TaskState;
use baton_core::views::ChangeEvent;
mod support;

use baton_engine::{Engine, EngineConfig, MemoryTokens};
use baton_store::sessions::{PermitSettings, SessionRef};
use baton_store::{Store, StoreHandle};
use chrono::Utc;
use serde_json::json;
use support::test_location;

/// Session `id` of Claude Code in `/work/shop`.
fn session(id: &str) -> SessionRef {
    SessionRef {
        client: HookClient::ClaudeCode,
        session_id: id.into(),
        cwd: Some("/work/shop".into()),
        repo_root: Some("/work/shop".into()),
        repository: None,
        repository_name: None,
        branch: None,
        name: None,
        host: None,
        account: None,
    }
}

/// One hook call of session `id`, from a connection of its own (as another process).
fn hook_call_of(
    path: &baton_store::StoreLocation,
    id: &str,
    mode: PermitMode,
    payload: serde_json::Value,
) {
    let mut store = Store::open_at(path).unwrap();
    let call =
        parse_hook_payload(HookClient::ClaudeCode, payload.to_string().as_bytes(), None).unwrap();
    let settings = PermitSettings {
        mode,
        lease_time: chrono::Duration::minutes(10),
        ask_person: false,
        path_modes: Vec::new(),
        parallel: baton_core::hooks::ParallelMode::Warn,
    };
    store
        .record_hook(&session(id), &call, settings, Utc::now())
        .unwrap();
}

/// One hook call of session "aaaa1111" in `warn` mode.
fn hook_call(path: &baton_store::StoreLocation, payload: serde_json::Value) {
    hook_call_of(path, "aaaa1111", PermitMode::Warn, payload);
}

/// An engine watching the store at `path` (its detectors off: these tests are about what
/// other processes write), and its change events.
async fn watching(
    path: &baton_store::StoreLocation,
) -> (Engine, tokio::sync::broadcast::Receiver<ChangeEvent>) {
    let engine = Engine::new(
        StoreHandle::open_at(path, 1).unwrap(),
        Arc::new(MemoryTokens::new(None)),
        EngineConfig {
            detect_every_ms: 0,
            ..EngineConfig::default()
        },
    );
    let changes = engine.subscribe();
    engine.start_all().await.unwrap();
    (engine, changes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sessions_calls_from_another_process_reach_the_board_and_the_waiting_count() {
    let dir = tempfile::tempdir().unwrap();
    let path = test_location(dir.path());
    let (engine, mut changes) = watching(&path).await;

    hook_call(
        &path,
        json!({"hook_event_name": "UserPromptSubmit", "prompt": "Fix the cart"}),
    );
    hook_call(
        &path,
        json!({"hook_event_name": "Notification", "notification_type": "permission_prompt", "message": "Claude needs your permission to use Bash"}),
    );
    let heard = tokio::time::timeout(Duration::from_secs(10), async {
        let mut card = None;
        loop {
            match changes.recv().await.unwrap() {
                ChangeEvent::Ingested { tasks, .. } => card = tasks.into_iter().next(),
                // The first look tells the count even when no session called, and a look may
                // fall between the two calls.
                ChangeEvent::SessionsHeard {
                    agents,
                    waiting,
                    leases_changed,
                } if waiting > 0 => return (agents, waiting, leases_changed, card.take()),
                _ => {}
            }
        }
    })
    .await
    .expect("the engine heard the session within 10 s");
    let (agents, waiting, leases_changed, card) = heard;
    assert_eq!((agents.len(), waiting), (1, 1));
    // These calls took no lease.
    assert!(!leases_changed);
    let card = card.expect("the session's turn, for the board");
    assert_eq!(
        (card.task_id.as_str(), card.title.as_str(), card.state),
        ("turn-1", "Fix the cart", TaskState::InputRequired)
    );

    // A write takes a lease: the ownership map is told to look again.
    hook_call(
        &path,
        json!({"hook_event_name": "PreToolUse", "tool_name": "Write", "tool_input": {"file_path": "/work/shop/src/cart.rs"}}),
    );
    let changed = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let ChangeEvent::SessionsHeard { leases_changed, .. } = changes.recv().await.unwrap()
            {
                return leases_changed;
            }
        }
    })
    .await
    .expect("the engine heard the write within 10 s");
    assert!(changed, "the lease taken was not told");
    engine.shutdown().await;
}

/// A collision filed by a second session's hook call (as another process does): the first
/// session holds `src/cart.rs` in `enforce` mode, the second writes it.
fn collision_from_another_process(path: &baton_store::StoreLocation) {
    for id in ["aaaa1111", "bbbb2222"] {
        hook_call_of(
            path,
            id,
            PermitMode::Enforce,
            json!({"hook_event_name": "PreToolUse", "tool_name": "Write",
                   "tool_input": {"file_path": "/work/shop/src/cart.rs"}}),
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_item_another_process_opens_is_announced_within_seconds_and_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = test_location(dir.path());
    let (engine, mut changes) = watching(&path).await;
    // Let the first look take the queue's measure (an empty queue).
    tokio::time::sleep(Duration::from_millis(1_500)).await;

    collision_from_another_process(&path);
    let opened = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let ChangeEvent::Escalations { opened, .. } = changes.recv().await.unwrap() {
                if !opened.is_empty() {
                    return opened;
                }
            }
        }
    })
    .await
    .expect("the engine told the new item within 10 s");
    let ids: Vec<i64> = Store::open_at(&path)
        .unwrap()
        .escalation_ids_after(0)
        .unwrap();
    assert_eq!(opened, ids, "every item the hook call filed, told once");
    assert!(!ids.is_empty());

    // Looks after that tell nothing opened again.
    let again = tokio::time::timeout(Duration::from_millis(3_000), async {
        loop {
            if let ChangeEvent::Escalations { opened, .. } = changes.recv().await.unwrap() {
                if !opened.is_empty() {
                    return opened;
                }
            }
        }
    })
    .await;
    assert!(again.is_err(), "told again: {again:?}");
    engine.shutdown().await;
}
