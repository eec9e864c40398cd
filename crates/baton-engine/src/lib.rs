//! Baton's runtime (tokio, no tauri): one poller per agent on its own interval, HTTP fetch with
//! a whole-request timeout and a streamed body cap, full-jitter backoff while an endpoint fails,
//! bearer tokens in the OS keyring, and a broadcast bus of [`ChangeEvent`]s.
//!
//! Its modules import downward only (`tests/tests/integration/module_rings.rs` checks that no files import
//! each other in a ring), from the engine down to the leaves:
//!
//! * [`Engine`] (`engine/`): the supervisor and the one way to add, edit, remove and poll
//!   agents; its views of the queue, the ownership map, the rate limits and "Test connection"
//!   are `impl Engine` blocks in `engine/*.rs`.
//! * `background`: the loops besides the pollers: the [`detector`] loop (rate-limit pressure
//!   included), the outbox [`relay`] that delivers decisions until acknowledged, the watch
//!   for coding [`sessions`], the follower of the store's change feed (`feed`: what other
//!   processes wrote, as change events), and the routes' loop ([`notify`]: messages to a
//!   person's phone, and their signed answers taken as decisions through `decide`).
//! * `poller`: one agent's poll: it reads what the agent's adapter needs, lets the adapter
//!   fetch, and keeps what it saw and the agent's health in one write.
//! * `adapters`: one per protocol (`baton/1`, A2A, coding sessions): they fetch and deliver,
//!   and never touch the store.
//! * [`otlp`]: the OTLP/HTTP receiver: agents that speak OpenTelemetry send their GenAI spans,
//!   which are stored as any agent's tasks and events (issue 61).
//! * `shared`: what the tasks share (the store, the fetcher, the bus, the tokens).
//! * Leaves: [`fetch`] (one HTTP exchange, failures in words), `bus`, `config`, [`secrets`]
//!   ([`TokenStore`], [`KeyringTokens`], [`MemoryTokens`], [`open_token_store`]), [`stats`],
//!   [`EngineError`] ([`error`]), [`process`] (the runtime and allocator settings of a
//!   process that runs an engine).
//!
//! A failed poll is not an [`EngineError`]: it is recorded on the agent's health
//! (`AgentHealth::last_error`), published as `ChangeEvent::Health`, and never touches stored
//! tasks or events.
//!
//! [`ChangeEvent`]: baton_core::views::ChangeEvent

mod adapters;
mod background;
pub mod base_drift;
mod bus;
mod config;
mod decide;
pub mod detector;
pub mod engine;
pub mod error;
mod feed;
pub mod fetch;
mod ledger_cache;
mod low_priority;
pub mod merge_check;
pub mod notify;
pub mod otlp;
mod parallel_view;
mod poll;
mod poll_schedule;
mod poll_write;
mod poller;
pub mod process;
mod quiet;
pub mod relay;
pub mod secrets;
mod seen;
pub mod sessions;
mod shared;
pub mod stats;
pub mod store_choice;
mod store_health;
pub mod watch_share;

pub use baton_store::StoreHandle;
pub use bus::BUS_CAPACITY;
pub use config::{answer_key_entry, DEFAULT_ANSWER_KEY_ENTRY, DELIVERY_BACKOFF};
pub use engine::{Engine, EngineConfig, TokenUpdate, DEFAULT_MAX_REDIRECTS};
pub use error::EngineError;
pub use fetch::{FetchError, Fetched, Fetcher};
pub use notify::stats::NotifyStats;
pub use secrets::{
    open_token_store, KeyringTokens, MemoryTokens, SecretError, TokenStore, NO_KEYRING_WARNING,
};
pub use stats::{DetectorStats, EngineStats, HeartbeatStats};
pub use watch_share::{ShareNote, Sharing, DEFAULT_FAILOVER_MS};
