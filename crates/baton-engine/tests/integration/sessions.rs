//! Coding sessions write to the store from their own processes (`baton hook`); the engine hears
//! them through the store's change feed and publishes their cards and how many wait for a
//! person.

use std::time::Duration;

use baton_core::hooks::PermitMode;
use baton_core::task::TaskState;
use baton_core::views::ChangeEvent;

use crate::support::hooks::{collision_from_another_process, hook_call_of, watching};
use crate::support::test_location;
use baton_store::Store;
use serde_json::json;

/// One hook call of session "aaaa1111" in `warn` mode.
fn hook_call(path: &baton_store::StoreLocation, payload: serde_json::Value) {
    hook_call_of(path, "aaaa1111", PermitMode::Warn, payload);
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
