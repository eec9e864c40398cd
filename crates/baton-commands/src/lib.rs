//! The app's commands: each one's arguments, what it does with the engine, and its answer.
//!
//! One table ([`table`]) answers every command the UI calls, by name, with JSON in and JSON out:
//! the desktop shell forwards Tauri's IPC to it, and `baton preview` serves the same table over
//! HTTP for the browser. Arguments are a JSON object with camelCase keys (as `ui/src/lib/backend.ts`
//! sends them); an error is a [`CommandError`], which serialises as `{code, message, field}`.
//!
//! * [`names`]: the command names, the one list the shell's ACL (`src-tauri/build.rs`) reads too.
//! * `agents`, `ownership`, `escalations`, `ratelimits`, `pipelines`, `hooks`, `store`: what each
//!   does.
//! * [`TooNew`]: what an app answers when a newer Baton wrote its store (it opens nothing).
//! * [`demo`]: the demo fleet and the scripted scenarios (baton-sim on loopback), and the demo's
//!   history and coding sessions for the browser preview.
//!
//! No tauri here: the crate depends on the engine, the store, the simulator, the hooks and core.

use std::path::PathBuf;
use std::sync::Arc;

use baton_engine::Engine;
use baton_store::StorePlace;

mod agents;
pub mod demo;
mod error;
mod escalations;
mod hooks;
pub mod names;
mod notify;
mod ownership;
mod pipelines;
mod ratelimits;
mod store;
pub mod table;
mod too_new;

pub use error::{CommandError, CommandResult};
pub use hooks::hook_program;
pub use ownership::{person, who};
pub use too_new::TooNew;

/// Where the commands' store lives and where Baton's programs are: what `install_hooks` writes
/// into a coding agent's settings.
#[derive(Debug, Clone)]
pub struct Place {
    /// The store (SQLite or PostgreSQL) and the data folder the hooks are told.
    pub store: StorePlace,
    /// The running program (the app, or `baton`): `baton-hook` is looked for beside it.
    pub exe: PathBuf,
    /// Whether this process watches its store or only views it, and why.
    pub watching: baton_store::watching::AppWatching,
}

/// The commands of one running engine. Cheap to clone; every clone serves the same engine and
/// the same demo fleet.
#[derive(Clone)]
pub struct Commands {
    inner: Arc<Inner>,
}

struct Inner {
    engine: Engine,
    demo: demo::DemoFleet,
    place: Place,
}

impl Commands {
    pub fn new(engine: Engine, place: Place) -> Commands {
        Commands {
            inner: Arc::new(Inner {
                engine,
                demo: demo::DemoFleet::default(),
                place,
            }),
        }
    }

    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    pub fn demo(&self) -> &demo::DemoFleet {
        &self.inner.demo
    }

    pub fn place(&self) -> &Place {
        &self.inner.place
    }

    /// Runs command `name` with `args` (a JSON object with camelCase keys; null for none) and
    /// answers its result as JSON. Errors: `unknown_command`, `invalid_args`, and each
    /// command's own.
    pub async fn invoke(
        &self,
        name: &str,
        args: serde_json::Value,
    ) -> Result<serde_json::Value, CommandError> {
        table::dispatch(self, name, args).await
    }
}
