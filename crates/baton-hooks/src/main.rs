//! `baton-hook`: what the installed hooks of Claude Code, Codex and Copilot CLI run, once per
//! tool call. The same as `baton hook`, in a binary that links only what a hook call needs, so
//! that it starts in a fraction of the time (the clients wait for it).

use std::path::PathBuf;
use std::process::ExitCode;

use baton_hooks::args::{run_delivery, run_hook, HookArgs};
use clap::Parser;

/// Reads one hook payload on stdin, records it (the session, its turn, its reads and writes,
/// its file leases) and answers in the client's format. Exit 0 lets the call go on, 2 refuses
/// it (Claude Code, Codex; Copilot CLI reads JSON on stdout); an unreadable payload, or a
/// store that does not answer within 500 ms, lets the call go on and says why on stderr.
#[derive(Debug, Parser)]
#[command(name = "baton-hook", version)]
struct Cli {
    /// The folder of Baton's store (default: the app's).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Deliver the data folder's spool of calls that went ahead unchecked to the store, then
    /// exit (what a checked call starts when the spool holds calls; `baton hooks deliver`).
    #[arg(long, conflicts_with = "client")]
    deliver_spool: bool,
    #[command(flatten)]
    hook: Option<HookArgs>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match (&cli.hook, cli.deliver_spool) {
        (Some(hook), false) => run_hook(cli.data_dir.as_deref(), hook, &["--deliver-spool"]),
        (None, true) => run_delivery(cli.data_dir.as_deref()),
        _ => {
            eprintln!("baton-hook: give a client (claude-code, codex, …) or --deliver-spool");
            ExitCode::from(2)
        }
    }
}
