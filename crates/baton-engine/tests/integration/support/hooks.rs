//! Other processes writing to a test's store: a coding session's hook calls, as `baton hook`
//! makes them (a connection of their own), and an engine that only watches what they do.

use std::sync::Arc;

use baton_core::hooks::{parse_hook_payload, HookClient, PermitMode};
use baton_core::views::ChangeEvent;
use baton_engine::{Engine, EngineConfig, MemoryTokens};
use baton_store::sessions::{PermitSettings, SessionRef};
use baton_store::{Store, StoreHandle, StoreLocation};
use chrono::Utc;
use serde_json::json;

/// Session `id` of Claude Code in `/work/shop`.
pub fn session(id: &str) -> SessionRef {
    SessionRef::in_checkout(HookClient::ClaudeCode, id, "/work/shop")
}

/// One hook call of session `id`, from a connection of its own (as another process).
pub fn hook_call_of(path: &StoreLocation, id: &str, mode: PermitMode, payload: serde_json::Value) {
    let mut store = Store::open_at(path).unwrap();
    let call =
        parse_hook_payload(HookClient::ClaudeCode, payload.to_string().as_bytes(), None).unwrap();
    let settings = PermitSettings::in_mode(mode);
    store
        .record_hook(&session(id), &call, settings, Utc::now())
        .unwrap();
}

/// Two sessions of `/work/shop` write `src/cart.rs` in `enforce` mode, each call from a
/// connection of its own: the second is refused and the queue gets a write collision.
pub fn collision_from_another_process(path: &StoreLocation) {
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

/// An engine watching the store at `path` (its detectors off: these tests are about what
/// other processes write), and its change events.
pub async fn watching(
    path: &StoreLocation,
) -> (Engine, tokio::sync::broadcast::Receiver<ChangeEvent>) {
    engine_on(path, true).await
}

/// An engine on the store at `path`, watching (its detectors off) or only viewing, started,
/// and its change events.
pub async fn engine_on(
    path: &StoreLocation,
    watching: bool,
) -> (Engine, tokio::sync::broadcast::Receiver<ChangeEvent>) {
    let engine = Engine::new(
        StoreHandle::open_at(path, 1).unwrap(),
        Arc::new(MemoryTokens::new(None)),
        EngineConfig {
            detect_every_ms: 0,
            watching,
            ..EngineConfig::default()
        },
    );
    let changes = engine.subscribe();
    engine.start_all().await.unwrap();
    (engine, changes)
}
