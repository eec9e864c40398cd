//! Coding agents' hooks (Claude Code, Codex, Copilot CLI): what one hook call does — read the
//! payload, record it in the store and decide the permit in one short transaction, answer in
//! the client's format ([`call`]) with a repository's own settings ([`project`]) — and putting
//! Baton's hooks into the clients' settings files ([`install`]).
//!
//! Used by `baton hook` / `baton hooks` (the CLI), by the small `baton-hook` binary the
//! installed hooks run (this crate's; it starts in a fraction of the CLI's time), and by the
//! app. No tokio, no tauri.

mod apart;
pub mod args;
pub mod call;
pub mod install;
pub mod link;
pub mod own_server;
pub mod place;
pub mod project;
pub mod served;
pub mod spool;
pub mod usage;
mod wait;

pub use call::{hook, store_budget, HookOptions, ASK_SECONDS, STORE_BUDGET};
pub use install::{
    clients_found, hook_command, hooks_install, hooks_status, hooks_uninstall, HooksReport,
    HooksScope, HooksTarget,
};
pub use served::{HookServer, ServeError};
pub use usage::chain::{status_line_install, status_line_uninstall};

/// Why hooks could not be installed, removed or read.
#[derive(Debug, thiserror::Error)]
pub enum HooksError {
    /// A settings file Baton cannot merge into, or a client or scope it cannot install.
    #[error("{0}")]
    Settings(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}
