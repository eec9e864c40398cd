//! What each subcommand does: one module per subcommand; the error they share in [`error`].

mod check;
mod checked;
mod decide;
mod decisions;
mod error;
mod export;
mod import;
mod machine_links;
mod notify;
mod otlp;
mod pipelines;
mod preview;
mod queue;
mod queue_follow;
mod schema;
mod sim;
mod status;
mod store;
mod sync;
#[cfg(test)]
mod test_support;
mod text;
mod usage;
mod watch;
mod watch_log;

pub use check::check;
pub use decide::{decide, follow};
pub use decisions::{decisions_export, decisions_verify};
pub use error::CliError;
pub use export::export;
pub use import::import;
pub use notify::notify;
pub use otlp::{otlp, telemetry_arriving, telemetry_endpoint};
pub use pipelines::{costs, readiness};
pub use preview::{preview, Fleet, PreviewOptions};
pub use queue::{escalation_show, escalations};
pub use queue_follow::follow_escalations;
pub use schema::{dead_letters, schema_list, schema_remove, schema_set};
pub use sim::{list_scenarios, sim, sim_scenario, sim_story};
pub use status::status;
pub use store::{store, with_keyring_password};
pub use text::plain_lines;
pub use usage::usage;
pub use watch::{watch, WatchOutput, WatchSharing};
