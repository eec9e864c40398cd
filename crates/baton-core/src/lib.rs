//! Baton's domain model. Pure code: no async runtime, no database, no UI toolkit.
//!
//! * [`protocol`]: the `baton/1` status document an agent serves, and its parser.
//! * [`a2a`]: agent cards and tasks of agents speaking A2A (1.0 and 0.3), read leniently.
//! * [`agent`]: how Baton reaches an agent (endpoint config) and how that agent is doing (health).
//! * [`task`]: task states and the board columns they land in.
//! * [`backoff`]: the retry schedule used while an endpoint fails.
//! * [`rules`]: ownership rules over resource patterns.
//! * [`detect`]: the coordination detectors; [`escalations`]: what needs a human, and its SLA.
//! * [`hooks`]: coding-agent sessions heard through their hooks: payloads, file effects, permits.
//! * [`json`]: whether two JSON values an agent sent are the same value, whatever their spelling.
//! * [`ratelimit`]: rate-limit headers, forecasts and the pressure detector.
//! * [`cost`]: prices per API and model, what the agents' calls cost, daily budgets.
//! * [`usage`]: coding agents' token usage from what the clients record, and their limit
//!   windows (Claude's 5-hour and 7-day, Codex's primary and secondary) with a forecast; Gemini CLI and OpenCode too.
//! * [`readiness`]: whether an agent has run stably long enough for a second one to join it.
//! * [`timeline`]: the fleet on one time axis, and the replay of a past moment.
//! * [`otel`]: agents heard through OpenTelemetry: GenAI spans read into tasks and calls.
//! * [`views`]: the read models the UI shows (exported to TypeScript with ts-rs).

pub mod a2a;
pub mod agent;
pub mod backoff;
pub mod cost;
pub mod decisions;
pub mod detect;
pub mod error;
pub mod escalations;
pub mod hooks;
pub mod json;
pub mod machines;
pub mod notify;
pub mod otel;
pub mod presence;
pub mod protocol;
pub mod ratelimit;
pub mod readiness;
pub mod rules;
pub mod task;
pub mod timeline;
pub mod usage;
pub mod views;

pub use error::{ConfigError, ProtocolError};
