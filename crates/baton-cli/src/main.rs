//! `baton`: Baton without the window.
//!
//! * `baton watch [--config baton.toml]` polls agents headless into the same store as the app.
//! * `baton status [--json]` prints agents, health and task counts from the store.
//! * `baton sim [--agents 5] [--port 7700]` runs a simulated fleet on 127.0.0.1;
//!   `baton sim --scenario NAME` runs one scripted scenario per detector instead (the agents,
//!   what to watch for, and a baton.toml to load them are printed), `--list-scenarios` lists them;
//!   `--story` plays the demo's story.
//! * `baton check baton.toml [--manifest agent.toml]` lints ownership rules (exit 0 clean, 1 with
//!   overlaps or conflicts, 2 for a malformed file or a bad pattern).
//! * `baton export [--out FILE]` writes the store's agents (no tokens) and rules as a baton.toml.
//! * `baton import FILE [--who NAME]` checks a baton.toml, then makes the store's rules exactly
//!   its rules (audited) and adds or updates its agents by name.
//! * `baton decisions export [--out FILE]` writes the decision log as JSON Lines;
//!   `baton decisions verify` checks its hash chain (exit 1 naming the first bad entry).
//! * `baton hooks install|uninstall|status claude-code|copilot --project DIR|--user` puts
//!   Baton's hooks in a coding agent's settings;
//!   `baton hook claude-code|codex|copilot` is what coding agents' hooks call (one payload on
//!   stdin, the reply in the client's format).
//! * `baton schema set TYPE FILE.json | list | remove TYPE` manages the JSON Schema each handoff
//!   type's payload must satisfy; `baton dead-letters` prints the handoffs that failed theirs.

mod commands;
mod config;
mod export;

use std::path::PathBuf;
use std::process::ExitCode;

use baton_core::hooks::HookClient;
use baton_sim::scenario::Scenario;
use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Parser, Subcommand};

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
struct Cli {
    /// Directory holding baton.sqlite3 (default: the OS app-data dir, as the desktop app uses).
    #[arg(long, global = true, env = "BATON_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Poll agents into the store until interrupted.
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
    },
    /// Print agents, their health and task counts.
    Status {
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
        /// Who the decision log records (default: $USER, else "cli").
        #[arg(long, value_name = "NAME")]
        who: Option<String>,
    },
    /// The decision log: export it as JSON Lines, or verify its hash chain.
    Decisions {
        #[command(subcommand)]
        action: DecisionsAction,
    },
    /// The JSON Schema each handoff type's payload must satisfy (the invalid-handoff detector).
    Schema {
        #[command(subcommand)]
        action: SchemaAction,
    },
    /// Print the handoffs that failed their schema (newest first), one JSON object per line.
    DeadLetters,
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

/// Which client's settings, and where.
#[derive(Debug, clap::Args)]
struct HooksWhere {
    /// claude-code, codex or copilot.
    #[arg(value_parser = PossibleValuesParser::new(HookClient::ALL.map(HookClient::as_str)))]
    client: String,
    /// The repository whose settings get the hooks (`.claude/settings.json`,
    /// `.codex/hooks.json`, `.github/hooks/baton.json`).
    #[arg(
        long,
        value_name = "DIR",
        conflicts_with = "user",
        required_unless_present = "user"
    )]
    project: Option<PathBuf>,
    /// The user's own settings (`~/.claude/settings.json`, `$CODEX_HOME/hooks.json`), for every
    /// repository.
    #[arg(long)]
    user: bool,
}

#[derive(Debug, Subcommand)]
enum HooksAction {
    /// Add Baton's hooks (again: replaces Baton's entries, never the person's).
    Install {
        #[command(flatten)]
        place: HooksWhere,
        /// observe: record only; warn: allow and escalate; enforce: refuse and escalate.
        #[arg(long, default_value = "warn", value_parser = PossibleValuesParser::new(["observe", "warn", "enforce"]))]
        mode: String,
    },
    /// Remove Baton's hooks, and only those.
    Uninstall {
        #[command(flatten)]
        place: HooksWhere,
    },
    /// Which events have Baton's hooks.
    Status {
        #[command(flatten)]
        place: HooksWhere,
    },
}

#[derive(Debug, Subcommand)]
enum DecisionsAction {
    /// Every entry, oldest first, one JSON object per line, with every hashed field (so the
    /// chain can be checked outside Baton).
    Export {
        /// Write here instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Recompute the hash chain: exit 0 when intact, 1 naming the first entry that does not fit.
    Verify,
}

#[derive(Debug, Subcommand)]
enum SchemaAction {
    /// Set the schema of a handoff type (the payload's `type`) from a JSON file.
    Set {
        handoff_type: String,
        file: PathBuf,
        /// Who the decision log records (default: $USER, else "cli").
        #[arg(long, value_name = "NAME")]
        who: Option<String>,
    },
    /// Print every handoff type and its schema.
    List,
    /// Stop checking a handoff type.
    Remove {
        handoff_type: String,
        #[arg(long, value_name = "NAME")]
        who: Option<String>,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("BATON_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    if let Command::Check { file, manifest } = &cli.command {
        return match commands::check(file, manifest.as_deref()) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::from(1),
            Err(err) => {
                eprintln!("baton: {err}");
                ExitCode::from(if err.exit_code() == 2 { 2 } else { 1 })
            }
        };
    }
    if let Command::Hook(args) = &cli.command {
        return baton_hooks::args::run_hook(cli.data_dir.as_deref(), args);
    }
    if let Command::Decisions {
        action: DecisionsAction::Verify,
    } = &cli.command
    {
        let db = cli.data_dir.as_ref().map(|dir| dir.join("baton.sqlite3"));
        return match commands::decisions_verify(db) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::from(1),
            Err(err) => {
                eprintln!("baton: {err}");
                ExitCode::from(err.exit_code().max(1))
            }
        };
    }
    // Blocking threads are for store reads (a few at a time) and keyring calls: a handful, not
    // one per agent.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(16)
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("baton: cannot start the async runtime: {err}");
            return ExitCode::from(2);
        }
    };
    let data_dir = cli.data_dir.clone();
    let db = cli.data_dir.map(|dir| dir.join("baton.sqlite3"));
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Watch {
                config,
                duration,
                stats,
            } => commands::watch(db, config, duration, stats).await,
            Command::Status { json } => commands::status(db, json),
            Command::Export { out } => commands::export(db, out.as_deref()),
            Command::Import { file, who } => commands::import(db, &file, who),
            Command::Schema { action } => match action {
                SchemaAction::Set {
                    handoff_type,
                    file,
                    who,
                } => commands::schema_set(db, &handoff_type, &file, who),
                SchemaAction::List => commands::schema_list(db),
                SchemaAction::Remove { handoff_type, who } => {
                    commands::schema_remove(db, &handoff_type, who)
                }
            },
            Command::DeadLetters => commands::dead_letters(db),
            Command::Hooks { action } => run_hooks(data_dir.as_deref(), action),
            Command::Decisions {
                action: DecisionsAction::Export { out },
            } => commands::decisions_export(db, out.as_deref()),
            Command::Decisions {
                action: DecisionsAction::Verify,
            } => unreachable!("handled before the runtime starts"),
            Command::Sim {
                list_scenarios: true,
                ..
            } => {
                print!("{}", commands::list_scenarios());
                Ok(())
            }
            Command::Sim {
                story: true,
                port,
                tick_ms,
                ..
            } => commands::sim_story(port, tick_ms).await,
            Command::Sim {
                scenario: Some(scenario),
                port,
                tick_ms,
                ..
            } => commands::sim_scenario(scenario, port, tick_ms).await,
            Command::Sim {
                agents,
                port,
                seed,
                tick_ms,
                ..
            } => commands::sim(agents, port, seed, tick_ms).await,
            Command::Check { .. } | Command::Hook(_) => {
                unreachable!("handled before the runtime starts")
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("baton: {err}");
            ExitCode::from(err.exit_code())
        }
    }
}

/// `baton hooks install|uninstall|status`.
fn run_hooks(
    data_dir: Option<&std::path::Path>,
    action: HooksAction,
) -> Result<(), commands::CliError> {
    let target =
        |place: HooksWhere, mode: &str| -> Result<baton_hooks::HooksTarget, commands::CliError> {
            let exe = std::env::current_exe()?;
            Ok(baton_hooks::HooksTarget {
                client: place.client,
                scope: match place.project {
                    Some(dir) => baton_hooks::HooksScope::Project(dir),
                    None => baton_hooks::HooksScope::User,
                },
                command: baton_hooks::hook_command(&exe, data_dir)?,
                mode: mode.to_owned(),
            })
        };
    let print = |report: &baton_hooks::HooksReport, done: &str, same: &str| {
        let what = if report.changed { done } else { same };
        println!("{what} {}", report.file.display());
        for note in &report.notes {
            println!("  {note}");
        }
    };
    match action {
        HooksAction::Install { place, mode } => {
            let report = baton_hooks::hooks_install(&target(place, &mode)?)?;
            print(
                &report,
                &format!("installed Baton's hooks ({mode}) in"),
                &format!("Baton's hooks ({mode}) were already in"),
            );
        }
        HooksAction::Uninstall { place } => {
            let report = baton_hooks::hooks_uninstall(&target(place, "warn")?)?;
            print(&report, "removed Baton's hooks from", "no Baton hooks in");
        }
        HooksAction::Status { place } => {
            let (path, events, notes) = baton_hooks::hooks_status(&target(place, "warn")?)?;
            if events.is_empty() {
                println!("{}: no Baton hooks", path.display());
            } else {
                println!("{}: Baton's hooks on {}", path.display(), events.join(", "));
            }
            for note in notes {
                println!("  {note}");
            }
        }
    }
    Ok(())
}
