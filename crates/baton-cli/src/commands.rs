//! What each subcommand does.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use baton_core::agent::{human_duration_ms, Reachability};
use baton_core::views::{AgentRow, ChangeEvent, SecretsStatus};
use baton_engine::{
    Engine, EngineConfig, EngineError, KeyringTokens, MemoryTokens, SecretError, TokenStore,
};
use baton_sim::{SimConfig, SimFleet};
use baton_store::{ManifestSource, Store, StoreError};

use crate::config::{self, ConfigFileError};
use crate::export::{self, ExportAgent};

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Config(#[from] ConfigFileError),
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl CliError {
    /// 2 for problems in what the user gave us, 1 for everything else.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Config(_) => 2,
            _ => 1,
        }
    }
}

/// A rules file that parsed and whose rules and declared patterns are all valid.
pub struct Checked {
    /// The path as given, for messages.
    pub shown: String,
    text: String,
    pub parsed: config::ConfigFile,
    pub rules: Vec<baton_core::rules::Rule>,
}

/// Reads, parses and validates a rules file: what `baton check` and `baton import` both require
/// before anything else (errors exit 2 with line and column).
pub fn load_checked(file: &Path) -> Result<Checked, CliError> {
    let (shown, text) = config::read(file)?;
    let parsed = config::parse(&shown, &text)?;
    let rules = config::validate_rules(&shown, &text, &parsed)?;
    Ok(Checked {
        shown,
        text,
        parsed,
        rules,
    })
}

/// What the lint found in a checked file (and a new agent's manifest).
pub struct Findings {
    pub overlaps: usize,
    pub conflicts: usize,
    /// One readable block per overlap and conflict.
    pub report: Vec<String>,
}

/// Lints a checked file's rules, its agents' declarations (each against the rules and the agents
/// declared before it) and optionally a new agent's manifest (`(file shown, manifest)`).
pub fn findings(
    checked: &Checked,
    new: Option<(&str, &baton_core::rules::AgentManifest)>,
) -> Findings {
    let (shown, text, parsed, rules) = (
        &checked.shown,
        &checked.text,
        &checked.parsed,
        &checked.rules,
    );
    let rule_line =
        |index: usize| config::line_column(text, parsed.rules[index].pattern.span().start).0;
    let describe_rule = |index: usize| {
        let rule = &rules[index];
        let readers = if rule.readers.is_empty() {
            String::new()
        } else {
            format!(" (readers: {})", rule.readers.join(", "))
        };
        format!(
            "rule {index} at line {}: {} {} → {}{readers}",
            rule_line(index),
            rule.kind.as_str(),
            rule.pattern,
            rule.owner
        )
    };

    let mut report = Vec::new();
    let overlaps = baton_core::rules::lint(rules);
    for overlap in &overlaps {
        report.push(format!(
            "overlap ({}): {}
  {}
  {}
  example resource: {}",
            overlap.kind.as_str(),
            overlap.message,
            describe_rule(overlap.first),
            describe_rule(overlap.second),
            overlap.example
        ));
    }
    // The file's own declarations, each pair once: every agent against the rules and the agents
    // declared before it.
    let declared: Vec<baton_core::rules::AgentManifest> = parsed
        .agents
        .iter()
        .filter_map(|agent| agent.declares.as_ref().map(|d| d.manifest(&agent.name)))
        .collect();
    let mut conflicts = Vec::new();
    for (i, agent) in declared.iter().enumerate() {
        for conflict in baton_core::rules::predeploy_check(agent, rules, &declared[..i]) {
            conflicts.push((format!("agent \"{}\" in {shown}", agent.agent), conflict));
        }
    }
    if let Some((manifest_path, new)) = new {
        for conflict in baton_core::rules::predeploy_check(new, rules, &declared) {
            conflicts.push((
                format!("manifest {manifest_path} (agent \"{}\")", new.agent),
                conflict,
            ));
        }
    }
    for (whose, conflict) in &conflicts {
        let other = match &conflict.other {
            baton_core::rules::ConflictSide::Rule { index, .. } => describe_rule(*index),
            baton_core::rules::ConflictSide::Agent { name, pattern } => {
                format!("agent \"{name}\" declares {pattern}")
            }
        };
        report.push(format!(
            "conflict ({}) of {whose}: {}
  declared: {}
  against:  {other}
  example resource: {}",
            conflict.kind.as_str(),
            conflict.message,
            conflict.pattern,
            conflict.example
        ));
    }
    Findings {
        overlaps: overlaps.len(),
        conflicts: conflicts.len(),
        report,
    }
}

/// `baton check`: validates the rules file (and a manifest), then lints it. `Ok(true)` when
/// clean (one `ok:` line printed), `Ok(false)` after printing a report of every overlap and
/// conflict; malformed files and bad patterns are `Err` (exit 2).
pub fn check(file: &Path, manifest: Option<&Path>) -> Result<bool, CliError> {
    let checked = load_checked(file)?;
    let new = match manifest {
        Some(path) => {
            let (shown, text) = config::read(path)?;
            Some((shown.clone(), config::parse_manifest(&shown, &text)?))
        }
        None => None,
    };
    let found = findings(
        &checked,
        new.as_ref()
            .map(|(shown, manifest)| (shown.as_str(), manifest)),
    );
    let agents = checked.parsed.agents.len() + usize::from(new.is_some());
    if found.report.is_empty() {
        println!(
            "ok: {} rules, {agents} agents, no overlaps",
            checked.rules.len()
        );
        return Ok(true);
    }
    println!(
        "{}: {} overlap(s) between rules, {} conflict(s) with declarations ({} rules, {agents} agents)\n",
        checked.shown,
        found.overlaps,
        found.conflicts,
        checked.rules.len(),
    );
    println!("{}", found.report.join("\n\n"));
    Ok(false)
}

/// `baton export`: the store's agents (never their tokens) and rules as a `baton.toml`, to `out`
/// or stdout.
pub fn export(db: Option<PathBuf>, out: Option<&Path>) -> Result<(), CliError> {
    let store = open_store(db)?;
    let mut agents = Vec::new();
    for agent in store.agents()? {
        let declares = store
            .manifest(agent.id, ManifestSource::User)?
            .map(|stored| stored.manifest);
        agents.push(ExportAgent {
            name: agent.name,
            url: agent.base_url,
            poll_interval_ms: agent.poll_interval_ms,
            timeout_ms: agent.timeout_ms,
            declares,
        });
    }
    let rules: Vec<baton_core::rules::Rule> = store
        .rules()?
        .into_iter()
        .map(|stored| stored.rule)
        .collect();
    let text = export::render(&agents, &rules);
    match out {
        Some(path) => {
            std::fs::write(path, &text).map_err(|err| {
                std::io::Error::new(
                    err.kind(),
                    format!("cannot write {}: {err}", path.display()),
                )
            })?;
            eprintln!(
                "baton: wrote {} agent(s) and {} rule(s) to {}",
                agents.len(),
                rules.len(),
                path.display()
            );
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(text.as_bytes())?;
            stdout.flush()?;
        }
    }
    Ok(())
}

/// Who an import is recorded as: `--who`, else `$USER`, else `cli`.
pub fn import_who(who: Option<String>) -> String {
    who.filter(|w| !w.trim().is_empty())
        .or_else(|| std::env::var("USER").ok().filter(|u| !u.trim().is_empty()))
        .map(|w| w.trim().to_owned())
        .unwrap_or_else(|| "cli".to_owned())
}

/// `baton import`: checks the file like `baton check` (nothing changes when it is malformed or a
/// pattern is bad), warns about overlaps and conflicts without refusing them, then makes the
/// store's rules exactly the file's (one audit entry per change) and adds or updates the file's
/// agents by name (never deleting any; their tokens are left as they are).
pub fn import(db: Option<PathBuf>, file: &Path, who: Option<String>) -> Result<(), CliError> {
    let checked = load_checked(file)?;
    let who = import_who(who);
    let found = findings(&checked, None);
    if !found.report.is_empty() {
        eprintln!(
            "warning: {}: {} overlap(s) between rules, {} conflict(s) with declarations; importing anyway (the ownership map shows them)\n",
            checked.shown, found.overlaps, found.conflicts
        );
        for block in &found.report {
            eprintln!("warning: {block}\n");
        }
    }
    let mut store = open_store(db)?;
    // Rules first, in one transaction: if the store refuses them, nothing has changed.
    let summary = store.replace_rules(&checked.rules, &who)?;
    let existing = store.agents()?;
    let (mut added, mut updated, mut unchanged) = (0, 0, 0);
    let mut token_refs = Vec::new();
    for entry in &checked.parsed.agents {
        if entry.token.is_some() {
            token_refs.push(entry.name.trim().to_owned());
        }
        let draft = entry.draft();
        let known = existing
            .iter()
            .find(|a| a.name.trim().eq_ignore_ascii_case(entry.name.trim()));
        let id = match known {
            Some(agent)
                if agent.name == draft.name.trim()
                    && agent.base_url == draft.normalised_base_url()
                    && agent.poll_interval_ms == draft.poll_interval_ms
                    && agent.timeout_ms == draft.timeout_ms =>
            {
                unchanged += 1;
                agent.id
            }
            Some(agent) => {
                updated += 1;
                store.update_agent(agent.id, &draft)?.id
            }
            None => {
                added += 1;
                store.add_agent(&draft)?.id
            }
        };
        if let Some(declares) = &entry.declares {
            store.set_manifest(id, ManifestSource::User, &declares.manifest(&draft.name))?;
        }
    }
    println!("{added} agents added, {updated} updated, {unchanged} unchanged");
    println!(
        "{} rules added, {} updated, {} removed, {} unchanged",
        summary.added.len(),
        summary.updated.len(),
        summary.removed.len(),
        summary.unchanged
    );
    if !token_refs.is_empty() {
        eprintln!(
            "note: token references are not imported ({}); the app keeps tokens in the OS keyring, `baton watch --config` reads them from the file",
            token_refs.join(", ")
        );
    }
    Ok(())
}

fn open_store(db: Option<PathBuf>) -> Result<Store, CliError> {
    let path = match db {
        Some(path) => path,
        None => Store::default_path()?,
    };
    Ok(Store::open(&path)?)
}

/// Looks up every token the file references, before anything is stored: one reference that
/// cannot be resolved refuses the whole file.
fn resolve_tokens(
    file: &config::ConfigFile,
) -> Result<Vec<(&config::AgentEntry, Option<String>)>, CliError> {
    file.agents
        .iter()
        .map(|entry| Ok((entry, entry.resolve_token()?)))
        .collect()
}

/// Adds the file's agents to the store, or updates those with the same name; returns
/// (agent id, token) for every agent that has one.
fn sync_agents(
    store: &mut Store,
    agents: Vec<(&config::AgentEntry, Option<String>)>,
) -> Result<Vec<(i64, String)>, CliError> {
    let existing = store.agents()?;
    let mut tokens = Vec::new();
    for (entry, token) in agents {
        let draft = entry.draft();
        let known = existing
            .iter()
            .find(|a| a.name.trim().eq_ignore_ascii_case(entry.name.trim()));
        let agent = match known {
            Some(agent) => store.update_agent(agent.id, &draft)?,
            None => store.add_agent(&draft)?,
        };
        store.set_has_token(agent.id, token.is_some())?;
        if let Some(token) = token {
            tokens.push((agent.id, token));
        }
    }
    Ok(tokens)
}

/// The tokens `baton watch` polls with: those the config file references (kept in memory), and
/// for the store's other agents the ones the desktop app keeps in the OS keyring (read only).
/// Without the keyring, an agent stored with a token fails every poll saying why, rather than
/// being polled without its token.
struct WatchTokens {
    from_config: MemoryTokens,
    app: Box<dyn TokenStore>,
}

impl WatchTokens {
    fn new() -> WatchTokens {
        WatchTokens {
            from_config: MemoryTokens::new(None),
            app: Box::new(KeyringTokens::new()),
        }
    }
}

impl TokenStore for WatchTokens {
    fn get(&self, agent_id: i64) -> Result<Option<String>, SecretError> {
        match self.from_config.get(agent_id)? {
            Some(token) => Ok(Some(token)),
            None => self.app.get(agent_id),
        }
    }

    fn set(&self, agent_id: i64, token: &str) -> Result<(), SecretError> {
        self.from_config.set(agent_id, token)
    }

    fn delete(&self, agent_id: i64) -> Result<(), SecretError> {
        self.from_config.delete(agent_id)
    }

    fn status(&self) -> SecretsStatus {
        self.app.status()
    }
}

pub async fn watch(
    db: Option<PathBuf>,
    config_path: Option<PathBuf>,
    duration: Option<u64>,
) -> Result<(), CliError> {
    let file = config_path.as_deref().map(config::load).transpose()?;
    let agents = file.as_ref().map(resolve_tokens).transpose()?;
    let mut store = open_store(db)?;
    let tokens = WatchTokens::new();
    if let Some(agents) = agents {
        for (agent_id, token) in sync_agents(&mut store, agents)? {
            tokens
                .set(agent_id, &token)
                .map_err(|err| CliError::Io(std::io::Error::other(err.to_string())))?;
        }
    }
    let engine = Engine::new(
        Arc::new(Mutex::new(store)),
        Arc::new(tokens),
        EngineConfig::default(),
    );
    let mut changes = engine.subscribe();
    let started = engine.start_all().await?;
    println!("baton: watching {started} agent(s); Ctrl-C to stop");
    let stop = async {
        match duration {
            Some(seconds) => tokio::time::sleep(Duration::from_secs(seconds)).await,
            None => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    };
    tokio::pin!(stop);
    let mut last_reachability = std::collections::HashMap::new();
    loop {
        tokio::select! {
            _ = &mut stop => break,
            change = changes.recv() => match change {
                Ok(ChangeEvent::Ingested { agent_id, tasks, new_events, .. }) => {
                    println!("agent {agent_id}: {} task(s) changed, {new_events} new event(s)", tasks.len());
                }
                Ok(ChangeEvent::Health { agent_id, health }) => {
                    if last_reachability.insert(agent_id, health.reachability) != Some(health.reachability) {
                        match health.reachability {
                            Reachability::Down => println!(
                                "agent {agent_id}: down ({})",
                                health.last_error.as_deref().unwrap_or("unknown error")
                            ),
                            other => println!("agent {agent_id}: {}", reachability_word(other)),
                        }
                    }
                }
                Ok(ChangeEvent::AgentsChanged) => {}
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    }
    engine.shutdown().await;
    Ok(())
}

pub fn status(db: Option<PathBuf>, json: bool) -> Result<(), CliError> {
    let store = open_store(db)?;
    let rows = store.agent_rows()?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&rows).map_err(|e| CliError::Io(e.into()))?
        );
    } else {
        print!("{}", render_status(&rows, chrono::Utc::now()));
    }
    Ok(())
}

fn reachability_word(r: Reachability) -> &'static str {
    match r {
        Reachability::Unknown => "not polled yet",
        Reachability::Up => "up",
        Reachability::Down => "down",
    }
}

/// The table `baton status` prints.
pub fn render_status(rows: &[AgentRow], now: chrono::DateTime<chrono::Utc>) -> String {
    if rows.is_empty() {
        return "No agents. Add some in the app, or run `baton watch --config baton.toml`.\n"
            .into();
    }
    let mut out = format!(
        "{:<24} {:<14} {:>8} {:>10} {:>5}  {:<28} {}\n",
        "AGENT", "HEALTH", "LATENCY", "LAST OK", "FAILS", "TASKS q/w/h/b/d/f", "LAST ERROR"
    );
    for row in rows {
        let h = &row.health;
        let latency = h
            .latency_ms
            .map(|ms| format!("{ms} ms"))
            .unwrap_or_else(|| "-".into());
        let last_ok = h
            .last_success_at
            .map(|at| {
                let ms = (now - at).num_milliseconds().max(0) as u64;
                format!("{} ago", human_duration_ms(ms))
            })
            .unwrap_or_else(|| "never".into());
        let c = &row.task_counts;
        let counts = format!(
            "{}/{}/{}/{}/{}/{} ({})",
            c.queued,
            c.working,
            c.needs_human,
            c.blocked,
            c.done,
            c.failed,
            c.total()
        );
        let error = match h.reachability {
            Reachability::Down => h.last_error.clone().unwrap_or_default(),
            _ => String::new(),
        };
        out.push_str(&format!(
            "{:<24} {:<14} {:>8} {:>10} {:>5}  {:<28} {}\n",
            truncate(&row.config.name, 24),
            reachability_word(h.reachability),
            latency,
            last_ok,
            h.consecutive_failures,
            counts,
            error
        ));
    }
    out
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut cut: String = text.chars().take(max - 1).collect();
        cut.push('…');
        cut
    }
}

pub async fn sim(agents: usize, port: u16, seed: u64, tick_ms: u64) -> Result<(), CliError> {
    let fleet = SimFleet::start(SimConfig {
        agents,
        base_port: port,
        seed,
        tick_ms,
        ..SimConfig::default()
    })
    .await?;
    println!("baton sim: {agents} agent(s) speaking baton/1 (seed {seed}); Ctrl-C to stop");
    for agent in fleet.agents() {
        println!("  {:<20} {:<20} {}", agent.name, agent.id, agent.base_url);
    }
    let _ = tokio::signal::ctrl_c().await;
    fleet.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use baton_core::agent::{AdapterKind, AgentConfig, AgentHealth};
    use baton_core::views::ColumnCounts;
    use chrono::{TimeZone, Utc};

    fn row(id: i64, name: &str, health: AgentHealth, counts: ColumnCounts) -> AgentRow {
        AgentRow {
            config: AgentConfig {
                id,
                name: name.into(),
                base_url: format!("http://127.0.0.1:{}", 7700 + id),
                poll_interval_ms: 2000,
                timeout_ms: 1500,
                adapter: AdapterKind::Baton,
                has_token: false,
            },
            health,
            remote_id: None,
            remote_name: None,
            remote_version: None,
            remote_state: None,
            remote_detail: None,
            task_counts: counts,
        }
    }

    /// Where `needle` starts in `line`, in characters (what a terminal shows).
    fn column(line: &str, needle: &str) -> usize {
        let at = line
            .find(needle)
            .unwrap_or_else(|| panic!("{needle:?} not in {line:?}"));
        line[..at].chars().count()
    }

    #[test]
    fn render_status_shows_an_up_row_and_a_down_row_with_its_error() {
        let now = Utc.with_ymd_and_hms(2026, 11, 21, 10, 0, 0).unwrap();
        let earlier = now - chrono::Duration::milliseconds(3_500);
        // Up again after a failure: the old error is not shown on an up row.
        let up = AgentHealth::default()
            .failed(earlier, "HTTP 503")
            .succeeded(earlier, 12);
        let down = AgentHealth::default()
            .failed(now, "timed out after 1.5 s")
            .failed(now, "connection refused");
        let counts = ColumnCounts {
            queued: 1,
            working: 2,
            needs_human: 0,
            blocked: 0,
            done: 3,
            failed: 1,
        };
        let text = render_status(
            &[
                row(1, "Researcher", up, counts),
                row(2, "Writer", down, ColumnCounts::default()),
            ],
            now,
        );
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        let header: Vec<&str> = lines[0].split_whitespace().collect();
        assert_eq!(
            header,
            [
                "AGENT",
                "HEALTH",
                "LATENCY",
                "LAST",
                "OK",
                "FAILS",
                "TASKS",
                "q/w/h/b/d/f",
                "LAST",
                "ERROR"
            ]
        );
        assert_eq!(
            lines[1].split_whitespace().collect::<Vec<_>>(),
            [
                "Researcher",
                "up",
                "12",
                "ms",
                "3.5",
                "s",
                "ago",
                "0",
                "1/2/0/0/3/1",
                "(7)"
            ],
            "{text}"
        );
        assert!(
            !lines[1].contains("503"),
            "an up row shows no old error: {text}"
        );
        assert_eq!(
            lines[2].split_whitespace().collect::<Vec<_>>(),
            [
                "Writer",
                "down",
                "-",
                "never",
                "2",
                "0/0/0/0/0/0",
                "(0)",
                "connection",
                "refused"
            ],
            "{text}"
        );
        assert!(lines[2].ends_with("connection refused"), "{text}");
        // Columns line up: the health column starts at the same place on every line.
        let health_at = column(lines[0], "HEALTH");
        assert_eq!(column(lines[1], "up "), health_at, "{text}");
        assert_eq!(column(lines[2], "down "), health_at, "{text}");
        let tasks_at = column(lines[0], "TASKS");
        assert_eq!(column(lines[1], "1/2/0"), tasks_at, "{text}");
        assert_eq!(column(lines[2], "0/0/0"), tasks_at, "{text}");
    }

    #[test]
    fn render_status_handles_no_agents_unpolled_agents_and_long_names() {
        let now = Utc::now();
        assert!(render_status(&[], now).starts_with("No agents."));
        let long = "An agent with a very long name indeed";
        let text = render_status(
            &[row(
                1,
                long,
                AgentHealth::default(),
                ColumnCounts::default(),
            )],
            now,
        );
        let line = text.lines().nth(1).unwrap();
        assert!(line.starts_with("An agent with a very lo… "), "{text}");
        assert!(line.contains(" not polled yet "), "{text}");
        assert!(line.contains(" never "), "{text}");
        // The longest health word still leaves the columns after it in place.
        let header = text.lines().next().unwrap();
        assert_eq!(
            column(line, "not polled yet"),
            column(header, "HEALTH"),
            "{text}"
        );
        assert_eq!(column(line, "0/0/0"), column(header, "TASKS"), "{text}");
    }
}
