//! Baton's runtime (tokio, no tauri): one poller per agent on its own interval, HTTP fetch with
//! a whole-request timeout and a streamed body cap, full-jitter backoff while an endpoint fails,
//! bearer tokens in the OS keyring, and a broadcast bus of [`ChangeEvent`]s.
//!
//! * [`Engine`] ([`engine`]): the supervisor and the one way to add, edit, remove and poll agents.
//! * [`fetch`]: one GET of a status endpoint, failures in words ("timed out after 1.5 s").
//! * `a2a`: the A2A adapter (agent card, `ListTasks` or `GetTask`, answers as `SendMessage`).
//! * Escalations: the queue, decisions (`Engine::decide_escalation`), and the outbox
//!   [`relay`] that delivers them to the agents until acknowledged.
//! * Rate limits: the ledger's view (`Engine::rate_limits`, `usage_series`, `usage_heatmap`),
//!   quotas and pressure settings; the pressure detector runs in the detector loop.
//! * [`secrets`]: [`TokenStore`], [`KeyringTokens`], [`MemoryTokens`], [`open_token_store`].
//! * [`EngineError`] ([`error`]): what a command can fail with, with a stable `code()`.
//!
//! A failed poll is not an [`EngineError`]: it is recorded on the agent's health
//! (`AgentHealth::last_error`), published as `ChangeEvent::Health`, and never touches stored
//! tasks or events.
//!
//! [`ChangeEvent`]: baton_core::views::ChangeEvent

mod a2a;
mod background;
mod bus;
mod config;
mod connection;
pub mod detector;
pub mod engine;
pub mod error;
mod escalations;
pub mod fetch;
mod ledger_cache;
mod low_priority;
pub mod ownership;
mod poller;
mod quiet;
mod ratelimits;
pub mod relay;
pub mod secrets;
mod seen;
pub mod sessions;
mod shared;
pub mod stats;

pub use baton_store::StoreHandle;
pub use bus::BUS_CAPACITY;
pub use config::DELIVERY_BACKOFF;
pub use engine::{Engine, EngineConfig, TokenUpdate, DEFAULT_MAX_REDIRECTS};
pub use error::EngineError;
pub use fetch::{FetchError, Fetched, Fetcher};
pub use secrets::{
    open_token_store, KeyringTokens, MemoryTokens, SecretError, TokenStore, NO_KEYRING_WARNING,
};
pub use stats::{DetectorStats, EngineStats};
