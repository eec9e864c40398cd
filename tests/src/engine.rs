//! A real engine over an in-memory store, as the peer tests run it: started, polling at once
//! (no spread start), detectors every 200 ms, tokens in memory. And a wait for what it stores.

use std::sync::Arc;
use std::time::{Duration, Instant};

use baton_engine::{Engine, EngineConfig, MemoryTokens, StoreHandle};

/// A started engine and the store it writes.
pub struct EngineUnderTest {
    pub engine: Engine,
    pub store: StoreHandle,
}

impl EngineUnderTest {
    pub async fn start() -> EngineUnderTest {
        let store = StoreHandle::in_memory().expect("store");
        let engine = Engine::new(
            store.clone(),
            Arc::new(MemoryTokens::new(None)),
            EngineConfig {
                spread_start: false,
                detect_every_ms: 200,
                ..EngineConfig::default()
            },
        );
        engine.start_all().await.expect("start the engine");
        EngineUnderTest { engine, store }
    }
}

/// Checks `found` every 100 ms until it gives a value; fails the test naming `what` after
/// `within`.
pub async fn wait_for<T>(what: &str, within: Duration, mut found: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + within;
    loop {
        if let Some(value) = found() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
