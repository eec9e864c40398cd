//! The hook call's command line, shared by `baton hook` and `baton-hook`, and running it: the
//! payload from stdin, the reply on stdout / stderr and as the exit code.

use std::ffi::OsString;
use std::path::Path;
use std::process::ExitCode;

use baton_core::hooks::{hook_reply, HookAnswer, HookClient, ParallelMode, PermitMode};
use clap::builder::{PossibleValuesParser, TypedValueParser};

use crate::call::{hook, store_budget, HookOptions, ASK_SECONDS};

/// What a hook call is told on its command line.
#[derive(Debug, Clone, clap::Args)]
pub struct HookArgs {
    /// claude-code, codex, copilot, gemini or opencode.
    #[arg(value_parser = PossibleValuesParser::new(HookClient::ALL.map(HookClient::as_str))
        .map(|word| HookClient::parse(&word).expect("a possible value")))]
    pub client: HookClient,
    /// The event the hook is installed for, when the payload does not name it.
    #[arg(long, value_name = "NAME")]
    pub event: Option<String>,
    /// observe: record only; warn: allow and escalate; enforce: refuse and escalate.
    #[arg(long, default_value = "warn", value_parser = PossibleValuesParser::new(["observe", "warn", "enforce"])
        .map(|word| PermitMode::parse(&word).expect("a possible value")))]
    pub mode: PermitMode,
    /// A write of a file another live branch of the repository changed (a parallel edit):
    /// off: not looked for; warn: allow and tell; enforce: refuse and tell.
    #[arg(long, default_value = "warn", value_parser = PossibleValuesParser::new(ParallelMode::ALL.map(ParallelMode::as_str))
        .map(|word| ParallelMode::parse(&word).expect("a possible value")))]
    pub parallel: ParallelMode,
    /// How long a session keeps a file it stopped writing.
    #[arg(long, value_name = "MINUTES", default_value_t = baton_store::sessions::DEFAULT_LEASE_MINUTES)]
    pub lease_minutes: u32,
    /// How long a permission request waits for an answer in Baton's queue (asked only while
    /// the app or `baton watch` runs; 0: never); then the client asks in its dialog.
    #[arg(long, value_name = "SECONDS", default_value_t = ASK_SECONDS)]
    pub ask_seconds: u32,
    /// How long a permission request waits instead when a route can bring the answer from the
    /// person's phone (0: as --ask-seconds); installed for the clients whose limit allows it.
    #[arg(long, value_name = "SECONDS", default_value_t = 0)]
    pub route_wait: u32,
    /// Run as the client's status-line command (Claude Code): record its windows and cost,
    /// then print the person's own status line (`--then`), else the windows.
    #[arg(long)]
    pub statusline: bool,
    /// With --statusline: the person's own status-line command, run with the same input.
    #[arg(long, value_name = "COMMAND", requires = "statusline")]
    pub then: Option<String>,
}

impl HookArgs {
    pub fn options(&self) -> HookOptions {
        HookOptions {
            client: self.client,
            event: self.event.clone(),
            mode: self.mode,
            parallel: self.parallel,
            lease_minutes: self.lease_minutes,
            ask_seconds: self.ask_seconds,
            route_wait: self.route_wait,
            name: std::env::var("BATON_AGENT_NAME").ok(),
            budget: store_budget(),
            deliverer: None,
            own_server: None,
        }
    }
}

/// What this executable is told to do a hook call's work apart, in its own words:
/// `baton-hook --deliver-spool` / `--serve-hooks`, `baton hooks deliver` / `hooks serve`.
#[derive(Debug, Clone, Copy)]
pub struct OwnWords {
    /// Deliver the data folder's spool ([`crate::spool`]).
    pub deliver: &'static [&'static str],
    /// Serve the data folder's hook calls ([`crate::own_server`]).
    pub serve: &'static [&'static str],
}

/// The command line that makes this executable do `words` for `data_dir` (else the app's
/// data folder): the program, `--data-dir <dir>` when one is given, then the words.
pub fn own_command(data_dir: Option<&Path>, words: &[&str]) -> Option<Vec<OsString>> {
    let mut command = vec![std::env::current_exe().ok()?.into_os_string()];
    if let Some(dir) = data_dir {
        command.push("--data-dir".into());
        command.push(dir.as_os_str().to_owned());
    }
    command.extend(words.iter().map(OsString::from));
    Some(command)
}

/// One hook call on the store in `data_dir` (else the app's): reads stdin, prints the reply.
/// Nothing else is printed on stdout, where the clients parse JSON. `words`: what makes this
/// executable deliver the spool and serve the hooks ([`own_command`]).
pub fn run_hook(data_dir: Option<&Path>, args: &HookArgs, words: OwnWords) -> ExitCode {
    one_malloc_arena();
    let options = HookOptions {
        deliverer: own_command(data_dir, words.deliver),
        own_server: own_command(data_dir, words.serve).filter(|_| own_server_wanted()),
        ..args.options()
    };
    let db = baton_store::Store::path_in(data_dir);
    use std::io::Write;
    if args.statusline {
        let (out, said) = match db {
            Ok(db) => crate::usage::status_line::status_line(
                db,
                args.client,
                args.then.as_deref(),
                &mut std::io::stdin().lock(),
            ),
            Err(err) => (String::new(), format!("baton: no store: {err}\n")),
        };
        let _ = std::io::stdout().write_all(out.as_bytes());
        let _ = std::io::stderr().write_all(said.as_bytes());
        return ExitCode::SUCCESS;
    }
    let reply = match db {
        Ok(db) => hook(db, &options, &mut std::io::stdin().lock()),
        Err(err) => hook_reply(
            options.client,
            "",
            &HookAnswer::Failed(format!("no store: {err}")),
        ),
    };
    let _ = std::io::stdout().write_all(reply.stdout.as_bytes());
    let _ = std::io::stderr().write_all(reply.stderr.as_bytes());
    ExitCode::from(u8::try_from(reply.exit_code).unwrap_or(1))
}

/// Delivers the spool of `data_dir` (else the app's) to its store, saying what it did on
/// stderr: exit 0 when nothing is left to deliver, 1 when the store did not take it all.
pub fn run_delivery(data_dir: Option<&Path>) -> ExitCode {
    let anchor = baton_store::Store::path_in(data_dir);
    let anchor = match anchor.map_err(crate::spool::SpoolError::from) {
        Ok(anchor) => anchor,
        Err(err) => {
            eprintln!("baton: the spool was not delivered: {err}");
            return ExitCode::FAILURE;
        }
    };
    // One delivery at a time: a slow store has every call that went ahead start one.
    match crate::spool::deliver_in_turn(&anchor) {
        Ok(None) => {
            eprintln!("baton: another delivery of this spool is under way");
            ExitCode::SUCCESS
        }
        Ok(Some(delivered)) => {
            eprintln!("baton: {}", delivered.summary());
            if delivered.left == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(err) => {
            eprintln!("baton: the spool was not delivered: {err}");
            ExitCode::FAILURE
        }
    }
}

/// Whether a call that finds no server starts the hooks' own: unless `BATON_HOOKS_OWN_SERVER`
/// is `off` (each call then works on the store itself, as a test of that path needs).
fn own_server_wanted() -> bool {
    std::env::var("BATON_HOOKS_OWN_SERVER").map_or(true, |v| v != "off")
}

/// Serves the hook calls of `data_dir` (else the app's data folder) until none came for
/// `idle` ([`crate::own_server`]), saying why it stopped on stderr.
pub fn run_own_server(data_dir: Option<&Path>, idle: std::time::Duration) -> ExitCode {
    let anchor = baton_store::Store::path_in(data_dir);
    let stopped = anchor
        .map_err(crate::served::ServeError::from)
        .and_then(|anchor| crate::own_server::serve_until_idle(&anchor, idle));
    match stopped {
        Ok(stopped) => {
            eprintln!("baton: the hooks' own server stopped: {stopped}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("baton: {err}");
            ExitCode::FAILURE
        }
    }
}

/// The store works on a thread of its own (see [`hook`]); glibc would give that thread a heap of
/// its own, grown page by page with `mprotect`, which cost a hook call about a tenth of its CPU
/// time (`perf`, hook_bench). One process, one short call: one heap is enough.
fn one_malloc_arena() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a tunable of glibc's allocator; any value is valid, and an
    // arena limit applies to arenas made after the call (the store's thread is not started yet).
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}
