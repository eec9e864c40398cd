//! The command line: every subcommand and its options (clap), apart from what they do
//! (`commands`).

use std::path::PathBuf;

use baton_sim::scenario::Scenario;
use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Parser, Subcommand};

mod actions;
pub use actions::*;

/// A scenario name; an unknown one is refused with the list of valid names.
fn scenario_parser() -> impl TypedValueParser<Value = Scenario> {
    PossibleValuesParser::new(Scenario::ALL.map(Scenario::name)).map(|name| {
        name.parse::<Scenario>()
            .expect("every possible value names a scenario")
    })
}

#[derive(Debug, Parser)]
#[command(
    name = "baton",
    version,
    about = "Mission control for a fleet of AI agents, headless."
)]
pub struct Cli {
    /// Directory holding baton.sqlite3 (default: the OS app-data dir, as the desktop app uses).
    #[arg(long, global = true, env = "BATON_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// The store: a path (SQLite) or a postgres:// URL (PostgreSQL; the password from
    /// PGPASSWORD, ~/.pgpass or the OS keyring, never in the URL you save). Default: the store
    /// chosen for the data folder (`baton store use`), else baton.sqlite3 in it.
    /// (BATON_STORE in the environment names it too, after this flag.)
    #[arg(long, global = true, value_name = "PATH|URL")]
    pub store: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Poll agents into the store until interrupted, printing one line per change: its time
    /// (RFC 3339, UTC), the agent's name, what changed.
    Watch {
        /// Agents to poll (added to the store, or updated by name). Without it, the store's agents.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Stop after this many seconds (default: run until Ctrl-C).
        #[arg(long, value_name = "SECONDS")]
        duration: Option<u64>,
        /// On exit, print the engine's own figures (detector run times, store writes) as one
        /// `stats: {…}` JSON line.
        #[arg(long)]
        stats: bool,
        /// One JSON object per line (`at`, `kind`, `message`, and `agent`, `agent_id`,
        /// `escalation` when they apply), for piping.
        #[arg(long)]
        json: bool,
        /// Also a line each time a grouped escalation's title or count is updated, and each
        /// time another watcher or a hook stores something of an agent (that watcher prints
        /// its own polls).
        #[arg(short, long)]
        verbose: bool,
        /// With other watchers on the same store: another one polls this one's agents within
        /// this many milliseconds of its death (default 10000; `[watch] failover_ms`).
        #[arg(long, value_name = "MS")]
        failover_ms: Option<u64>,
        /// This watcher's name in `baton status` (default: host:pid; `[watch] name`).
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
        /// Desktop notifications of the queue, as the app shows them (what pops up is the
        /// desktop route's; its buttons answer as that route's person): for a watch on a
        /// desktop when the app is not running.
        #[arg(long)]
        desktop: bool,
    },
    /// Print agents, their health and task counts, and the watchers sharing the store.
    Status {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
        /// Only the watchers: each with its machine, its last heartbeat, the agents it polls
        /// and whether it runs the detectors (`--json`: a list of them).
        #[arg(long)]
        watchers: bool,
    },
    /// Whether each polled agent is ready for a second agent beside it: days of stable
    /// running, open conflicts, requests approved as asked, failed tasks ([readiness] in
    /// baton.toml sets the bar).
    Readiness {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// What each agent's API calls cost today and over the last 7 days (UTC), against its
    /// daily budget ([[prices]] and daily_budget_usd in baton.toml).
    Costs {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Coding agents' usage: each client's limit windows per account (use, burn over 15 min,
    /// when it runs out at that rate, the sessions burning most) and each session's tokens
    /// and cost today.
    Usage {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Lint the ownership rules of a baton.toml, and a new agent's manifest against them.
    ///
    /// Exit 0 when clean, 1 with a report of every overlap and conflict, 2 when a file is
    /// malformed or a pattern is bad (with its line and column).
    Check {
        /// The rules file (`[[rules]]`, and `[[agents]]` with optional `declares`).
        file: PathBuf,
        /// A new agent's manifest: `name = "..."` and `triggers` / `reads` / `writes` / `outputs`.
        #[arg(long, value_name = "FILE")]
        manifest: Option<PathBuf>,
    },
    /// Write the store's agents (never their tokens) and rules as a baton.toml, in a stable
    /// order (agents by name; rules by kind, pattern, owner) so that diffs are readable.
    Export {
        /// Write here instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Load a baton.toml into the store: its rules replace the stored ones (each change goes to
    /// the decision log), its agents are added or updated by name (none is deleted).
    ///
    /// The file is checked first like `baton check`: a malformed file or a bad pattern exits 2
    /// and changes nothing. Overlaps are printed as warnings and do not block the import.
    Import {
        /// The file to load.
        file: PathBuf,
        /// Who the decision log records (default: $BATON_USER, else $USER, else "cli").
        #[arg(long, value_name = "NAME")]
        who: Option<String>,
    },
    /// The decision log: export it as JSON Lines, or verify its hash chain.
    Decisions {
        #[command(subcommand)]
        action: DecisionsAction,
    },
    /// The store itself: which one this data folder uses, its schema, copying it to another.
    Store {
        #[command(subcommand)]
        action: StoreAction,
    },
    /// Where Baton reaches a person outside the app (ntfy with buttons that answer, a webhook,
    /// the desktop): add, list, test, remove.
    Notify {
        #[command(subcommand)]
        action: NotifyAction,
    },
    /// The OTLP receiver of the app and `baton watch` (agents that speak OpenTelemetry send
    /// it their spans): where it listens, the agents heard through it; `set`, `token`.
    Otlp {
        #[command(subcommand)]
        action: Option<OtlpAction>,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// The JSON Schema each handoff type's payload must satisfy (the invalid-handoff detector).
    Schema {
        #[command(subcommand)]
        action: SchemaAction,
    },
    /// Print the handoffs that failed their schema (newest first), one JSON object per line.
    DeadLetters,
    /// The escalation queue: the open items by due time (default), or with --all the latest
    /// 100 closed ones too.
    Escalations {
        /// Open items only (the default).
        #[arg(long, conflicts_with = "all")]
        open: bool,
        /// Open items and the latest 100 resolved or expired ones.
        #[arg(long)]
        all: bool,
        /// One JSON array of the escalations, as the app reads them (with --follow: one JSON
        /// object per change, as `baton watch --json` prints them).
        #[arg(long)]
        json: bool,
        /// Then go on: a line each time an item opens, changes, is decided or delivered, by
        /// whoever does it (the app, `baton decide`, a hook call, another machine), until
        /// Ctrl-C.
        #[arg(long, conflicts_with = "all")]
        follow: bool,
    },
    /// One escalation.
    Escalation {
        #[command(subcommand)]
        action: EscalationCommand,
    },
    /// Decide an escalation, as its buttons in the app do: the same checks, the same entry in
    /// the decision log, and the decision delivered to the agents at once (again by the app or
    /// `baton watch` while an agent does not take it).
    ///
    /// Exit 0 when decided (the delivery is printed), 2 when the escalation, an agent or an
    /// argument is not right (nothing is decided), 1 when the store fails.
    Decide {
        /// The escalation's number (`baton escalations`).
        id: i64,
        #[command(subcommand)]
        action: DecideAction,
        /// A note kept with the decision in the log, and sent to the agents.
        #[arg(long, global = true, value_name = "TEXT")]
        note: Option<String>,
        /// Who the decision log records (default: $BATON_USER, else $USER, else "cli").
        #[arg(long, global = true, value_name = "NAME")]
        who: Option<String>,
        /// How long to keep trying to deliver before leaving it to the app or `baton watch`.
        #[arg(long, global = true, value_name = "SECONDS", default_value_t = 10)]
        wait: u64,
    },
    /// Follow a task of an A2A agent that cannot list its tasks: Baton reads it on every poll.
    Follow {
        /// The agent's name (as `baton status` prints it) or number.
        agent: String,
        task_id: String,
    },
    /// Stop following a task (one the server forgot, say): Baton forgets it too.
    Unfollow { agent: String, task_id: String },
    /// What a coding agent's hooks call: reads one hook payload on stdin, records it (the
    /// session, its turn, its reads and writes, its file leases) and answers in the client's
    /// format; a write another session holds is refused in `enforce` mode.
    ///
    /// Exit 0 lets the call go on, 2 refuses it (Claude Code, Codex; Copilot CLI reads JSON on
    /// stdout). An unreadable payload, or a store that does not answer within 500 ms, lets the
    /// call go on and says why on stderr.
    Hook(baton_hooks::args::HookArgs),
    /// Baton's hooks in a coding agent's settings: install (merged with the person's own hooks,
    /// idempotent, the file backed up first), uninstall, status.
    Hooks {
        #[command(subcommand)]
        action: HooksAction,
    },
    /// For UI development: the app's commands over HTTP for a browser, on the real engine with
    /// the demo fleet (a week of usage, three coding sessions in two worktrees) or a scenario behind it.
    ///
    /// Listens on 127.0.0.1 (loopback only) with a random token and prints the page's URL
    /// (`http://127.0.0.1:PORT/?token=…`); serves the built UI (`ui/dist`) there. Not for a
    /// store anyone works in: it adds demo agents and sessions to it.
    ///
    /// Its store is a new one in a temporary folder, gone at exit, unless `--store` names one.
    Preview {
        #[command(flatten)]
        fleet: PreviewFleet,
        /// Port to listen on (0: a free one).
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Address to listen on; loopback only (127.0.0.1, ::1).
        #[arg(long, default_value = "127.0.0.1")]
        host: std::net::IpAddr,
        /// The built UI to serve (default: the repository's ui/dist).
        #[arg(long, value_name = "DIR")]
        ui: Option<PathBuf>,
        /// Record the answers the UI's tests replay into DIR, then exit (`make recordings`).
        #[arg(long, value_name = "DIR", conflicts_with_all = ["scenario", "empty"])]
        record: Option<PathBuf>,
    },
    /// Run simulated agents speaking baton/1 on 127.0.0.1: a busy fleet of random work, or
    /// with --scenario one scripted scenario that makes one detector fire.
    ///
    /// A scenario prints its agents (name, id, URL), the finding to watch for, and a baton.toml
    /// with its agents and ownership rules to load with `baton import`.
    Sim {
        /// How many agents (the random fleet only).
        #[arg(long, default_value_t = 5, conflicts_with = "scenario")]
        agents: usize,
        /// Port of the first agent; the others take the next ones (0: any free ports).
        #[arg(long, default_value_t = 7700)]
        port: u16,
        /// Seed of the random fleet's script.
        #[arg(long, default_value_t = 42, conflicts_with = "scenario")]
        seed: u64,
        /// Milliseconds between script steps (a scenario's ticks).
        #[arg(long, default_value_t = 1000)]
        tick_ms: u64,
        /// Run this scripted scenario instead of the random fleet (see --list-scenarios).
        #[arg(long, value_name = "NAME", value_parser = scenario_parser())]
        scenario: Option<Scenario>,
        /// List the scenarios, one per detector, and exit.
        #[arg(long, conflicts_with = "scenario")]
        list_scenarios: bool,
        /// Play the demo's story instead: five agents that work calmly and hit one scripted
        /// coordination failure a minute, and obey decisions (what "Start demo fleet" runs).
        #[arg(long, conflicts_with_all = ["scenario", "list_scenarios"])]
        story: bool,
    },
}

/// What runs behind `baton preview`.
#[derive(Debug, clap::Args)]
#[group(multiple = false)]
pub struct PreviewFleet {
    /// Run this scripted scenario instead of the demo (see `baton sim --list-scenarios`).
    #[arg(long, value_name = "NAME", value_parser = scenario_parser())]
    pub scenario: Option<Scenario>,
    /// Run nothing: the UI's first-run page.
    #[arg(long)]
    pub empty: bool,
}
