//! `baton-hook`: what the installed hooks of Claude Code, Codex and Copilot CLI run, once per
//! tool call. The same as `baton hook`, in a binary that links only what a hook call needs, so
//! that it starts in a fraction of the time (the clients wait for it).

use std::path::PathBuf;
use std::process::ExitCode;

use baton_hooks::args::{run_delivery, run_hook, run_own_server, HookArgs, OwnWords};
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
    /// Answer the data folder's hook calls until none came for --idle-seconds (what the
    /// first call on a PostgreSQL store starts when no app or `baton watch` answers them).
    #[arg(long, conflicts_with_all = ["client", "deliver_spool"])]
    serve_hooks: bool,
    /// With --serve-hooks: exit after this long without a call.
    #[arg(long, value_name = "SECONDS", requires = "serve_hooks",
          default_value_t = baton_hooks::own_server::IDLE_EXIT.as_secs())]
    idle_seconds: u64,
    #[command(flatten)]
    hook: Option<HookArgs>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let words = OwnWords {
        deliver: &["--deliver-spool"],
        serve: &["--serve-hooks"],
    };
    match (&cli.hook, cli.deliver_spool, cli.serve_hooks) {
        (Some(hook), false, false) => run_hook(cli.data_dir.as_deref(), hook, words),
        (None, true, false) => run_delivery(cli.data_dir.as_deref()),
        (None, false, true) => run_own_server(
            cli.data_dir.as_deref(),
            std::time::Duration::from_secs(cli.idle_seconds),
        ),
        _ => {
            eprintln!(
                "baton-hook: give a client (claude-code, codex, …), --deliver-spool or --serve-hooks"
            );
            ExitCode::from(2)
        }
    }
}
