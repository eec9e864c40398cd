//! A fleet of simulated agents speaking `baton/1` on 127.0.0.1, for tests, benches and the demo.
//!
//! * [`script`]: one agent as a pure, seedable state machine (tasks, events, usage, decisions).
//! * [`roles`]: the roles agents play (researcher, writer, editor, publisher, analyst, support)
//!   and the tasks and resources each one invents.
//! * [`scenario`]: scripted scenarios, one per coordination detector: a few agents with fixed
//!   ids whose timeline makes that detector fire ([`SimFleet::start_scenario`]).
//! * [`story`]: the demo's story: five agents that work calmly and hit one scripted
//!   coordination failure a minute, and obey decisions ([`SimFleet::start_story`]).
//! * `held`: the events and decisions every agent keeps for its poller.
//! * `answer`: status answers written with the JSON of unchanged tasks reused.
//! * `server`: the HTTP endpoints of one agent (axum), driving a role script or a scenario agent.
//! * [`SimFleet`]: starts the listeners, ticks the scripts on a timer, stops and restarts agents.
//! * [`caller`]: agents that call a real API and report each response as an `api_call` event.
//! * [`history`]: made-up API usage history (a working day per agent) for demos and benches.
//! * [`faults`]: faults on the decisions endpoint (500s, held answers), for delivery tests.
//! * `examples` (Unix): the example agents of `docs/examples/` as child processes, for tests.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let fleet = baton_sim::SimFleet::start(baton_sim::SimConfig::stepped(5)).await?;
//! fleet.step();
//! let url = format!("{}/baton/v1/status", fleet.agents()[0].base_url);
//! # let _ = url; fleet.shutdown().await; Ok(()) }
//! ```

mod agent;
mod answer;
pub mod caller;
#[cfg(unix)]
pub mod examples;
pub mod faults;
mod fleet;
mod held;
pub mod history;
pub mod pollers;
pub mod roles;
pub mod scenario;
pub mod script;
mod server;
pub mod story;

pub use fleet::{SimAgentInfo, SimConfig, SimFleet, DEFAULT_BASE_PORT};
pub use held::Obeys;
pub use scenario::Scenario;
