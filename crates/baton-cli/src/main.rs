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
//! * `baton hooks install|uninstall|status claude-code|codex|copilot|gemini|opencode --project
//!   DIR|--user` puts Baton's hooks in a coding agent's settings (OpenCode: a plugin);
//!   `baton hook claude-code|codex|copilot|gemini|opencode` is what coding agents' hooks call (one payload on
//!   stdin, the reply in the client's format).
//! * `baton escalations [--all] [--json]`, `baton escalation show ID` and
//!   `baton decide ID ACTION …` are the escalation queue (decided and delivered as in the app);
//!   `baton follow|unfollow AGENT TASK_ID` follows an A2A agent's task by id.
//! * `baton schema set TYPE FILE.json | list | remove TYPE` manages the JSON Schema each handoff
//!   type's payload must satisfy; `baton dead-letters` prints the handoffs that failed theirs.
//! * `baton preview [--scenario NAME | --empty] [--store PATH|URL] [--port N]` serves the app's
//!   commands over HTTP (and the built UI) for a browser, on loopback with a random token;
//!   `--record DIR` writes the answers the UI's tests replay.

mod allocator;
mod args;
mod commands;
mod config;
mod export;

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

use args::{
    Cli, Command, DecisionsAction, EscalationCommand, HooksAction, HooksWhere, SchemaAction,
};

fn main() -> ExitCode {
    allocator::purge_at_once();
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
                eprintln!("baton: {}", commands::plain_lines(&err.to_string()));
                ExitCode::from(if err.exit_code() == 2 { 2 } else { 1 })
            }
        };
    }
    if let Command::Hook(args) = &cli.command {
        let words = baton_hooks::args::OwnWords {
            deliver: &["hooks", "deliver"],
            serve: &["hooks", "serve"],
        };
        return baton_hooks::args::run_hook(cli.data_dir.as_deref(), args, words);
    }
    let place =
        match baton_store::StorePlace::resolve(cli.data_dir.as_deref(), cli.store.as_deref()) {
            Ok(mut place) => {
                place.location = commands::with_keyring_password(place.location);
                place
            }
            Err(err) => {
                eprintln!("baton: {}", commands::plain_lines(&err.to_string()));
                return ExitCode::from(2);
            }
        };
    if let Command::Decisions {
        action: DecisionsAction::Verify,
    } = &cli.command
    {
        return match commands::decisions_verify(&place) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::from(1),
            Err(err) => {
                eprintln!("baton: {}", commands::plain_lines(&err.to_string()));
                ExitCode::from(err.exit_code().max(1))
            }
        };
    }
    let runtime = match baton_engine::process::runtime() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("baton: cannot start the async runtime: {err}");
            return ExitCode::from(2);
        }
    };
    let data_dir = cli.data_dir.clone();
    let db = &place;
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Watch {
                config,
                duration,
                stats,
                json,
                verbose,
                failover_ms,
                name,
                desktop,
            } => {
                let output = commands::WatchOutput {
                    json,
                    verbose,
                    desktop,
                };
                let sharing = commands::WatchSharing { failover_ms, name };
                commands::watch(db, config, duration, stats, output, sharing).await
            }
            Command::Status { json, watchers } => commands::status(db, json, watchers),
            Command::Readiness { json } => commands::readiness(db, json),
            Command::Costs { json } => commands::costs(db, json),
            Command::Usage { json } => commands::usage(db, json),
            Command::Export { out } => commands::export(db, out.as_deref()),
            Command::Import { file, who } => commands::import(db, &file, who).await,
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
            Command::Notify { action } => commands::notify(db, action).await,
            Command::Otlp { action, json } => commands::otlp(db, action, json).await,
            Command::DeadLetters => commands::dead_letters(db),
            Command::Escalations {
                follow: true, json, ..
            } => commands::follow_escalations(db, json).await,
            Command::Escalations {
                open: _, all, json, ..
            } => commands::escalations(db, all, json),
            Command::Escalation {
                action: EscalationCommand::Show { id, json },
            } => commands::escalation_show(db, id, json),
            Command::Decide {
                id,
                action,
                note,
                who,
                wait,
            } => commands::decide(db, id, action, note, who, Duration::from_secs(wait)).await,
            Command::Follow { agent, task_id } => commands::follow(db, &agent, task_id, true).await,
            Command::Unfollow { agent, task_id } => {
                commands::follow(db, &agent, task_id, false).await
            }
            Command::Hooks { action } => run_hooks(data_dir.as_deref(), action),
            Command::Store { action } => commands::store(db, action),
            Command::Decisions {
                action: DecisionsAction::Export { out },
            } => commands::decisions_export(db, out.as_deref()),
            Command::Decisions {
                action: DecisionsAction::Verify,
            } => unreachable!("handled before the runtime starts"),
            Command::Preview {
                fleet,
                port,
                host,
                ui,
                record,
            } => {
                let fleet = match (fleet.scenario, fleet.empty) {
                    (Some(scenario), _) => commands::Fleet::Scenario(scenario),
                    (None, true) => commands::Fleet::Empty,
                    (None, false) => commands::Fleet::Demo,
                };
                commands::preview(commands::PreviewOptions {
                    // Only a store named with --store: never the data folder's own.
                    store: (db.source == baton_store::PlaceSource::Given)
                        .then(|| db.location.clone()),
                    fleet,
                    addr: std::net::SocketAddr::new(host, port),
                    ui,
                    record,
                })
                .await
            }
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
            eprintln!("baton: {}", commands::plain_lines(&err.to_string()));
            ExitCode::from(err.exit_code())
        }
    }
}

/// The store of the data folder `baton hooks` was given.
fn place_of(data_dir: Option<&std::path::Path>) -> baton_store::Result<baton_store::StorePlace> {
    baton_store::StorePlace::resolve(data_dir, None)
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
                parallel: None,
                telemetry: None,
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
        HooksAction::Install {
            place,
            mode,
            parallel,
            statusline,
            no_telemetry,
        } => {
            let speaks_otlp = matches!(place.client.as_str(), "claude-code" | "codex" | "gemini");
            let (telemetry, telemetry_note) =
                match (no_telemetry || !speaks_otlp, place_of(data_dir)) {
                    (true, _) => (None, None),
                    (false, Ok(store)) => match commands::telemetry_endpoint(&store) {
                        Ok(endpoint) => (Some(endpoint), None),
                        Err(why) => (None, Some(format!("its telemetry is not turned on: {why}"))),
                    },
                    (false, Err(err)) => {
                        (None, Some(format!("its telemetry is not turned on: {err}")))
                    }
                };
            let target = baton_hooks::HooksTarget {
                parallel,
                telemetry,
                ..target(place, &mode)?
            };
            let mut report = baton_hooks::hooks_install(&target)?;
            report.notes.extend(telemetry_note);
            print(
                &report,
                &format!("installed Baton's hooks ({mode}) in"),
                &format!("Baton's hooks ({mode}) were already in"),
            );
            if statusline {
                let report = baton_hooks::status_line_install(&target)?;
                print(
                    &report,
                    "chained Claude Code's status line in",
                    "Baton's status line was already in",
                );
            }
        }
        HooksAction::Uninstall { place } => {
            let target = target(place, "warn")?;
            let report = baton_hooks::hooks_uninstall(&target)?;
            print(&report, "removed Baton's hooks from", "no Baton hooks in");
            if target.client == "claude-code" {
                let report = baton_hooks::status_line_uninstall(&target)?;
                if report.changed {
                    print(&report, "removed Baton's status line from", "");
                }
            }
        }
        HooksAction::Serve { idle_seconds } => {
            let anchor = baton_store::Store::path_in(data_dir)?;
            let idle = std::time::Duration::from_secs(idle_seconds);
            let stopped = baton_hooks::own_server::serve_until_idle(&anchor, idle)
                .map_err(|err| commands::CliError::Hooks(err.to_string()))?;
            println!("the hooks' own server stopped: {stopped}");
        }
        HooksAction::Deliver => {
            let anchor = baton_store::Store::path_in(data_dir)?;
            // One delivery at a time: a hook starts one after each call that left something.
            let delivered = baton_hooks::spool::deliver_in_turn(&anchor).map_err(|err| {
                commands::CliError::Hooks(format!("the spool was not delivered: {err}"))
            })?;
            let Some(delivered) = delivered else {
                println!("another delivery of this spool is under way");
                return Ok(());
            };
            println!("{}", delivered.summary());
            if delivered.left > 0 {
                return Err(commands::CliError::Hooks(format!(
                    "{} call(s) wait for the store: run `baton hooks deliver` again later",
                    delivered.left
                )));
            }
        }
        HooksAction::Status { place } => {
            let client = baton_core::hooks::HookClient::parse(&place.client);
            let (path, events, mut notes) = baton_hooks::hooks_status(&target(place, "warn")?)?;
            if let (Some(client), Ok(store)) = (client, place_of(data_dir)) {
                notes.push(commands::telemetry_arriving(&store, client));
            }
            if events.is_empty() {
                println!("{}: no Baton hooks", path.display());
            } else {
                println!("{}: Baton's hooks on {}", path.display(), events.join(", "));
            }
            for note in notes {
                println!("  {note}");
            }
            let db = baton_store::Store::path_in(data_dir)?;
            let own_server = baton_hooks::own_server::running_own_server(&db);
            if let (true, Some(pid)) = (baton_hooks::served::app_answers(&db), own_server) {
                println!(
                    "  the calls are answered by the hooks' own server (process {pid}; it exits \
                     after 10 minutes without a call)"
                );
            } else if baton_hooks::served::app_answers(&db) {
                println!("  the calls are answered by a running Baton (the app or `baton watch`)");
            } else {
                println!(
                    "  no Baton app or `baton watch` runs on {}: each call records itself in the store",
                    db.display()
                );
            }
        }
    }
    Ok(())
}
