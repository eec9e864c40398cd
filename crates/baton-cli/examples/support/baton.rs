//! `baton` itself for a harness: the binary, its stats and health, the store and fleet it
//! watches.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::*;

/// The `baton` binary: `--baton PATH`, or the one next to this example (`target/release/baton`).
pub fn find_baton(given: Option<PathBuf>) -> Fallible<PathBuf> {
    if let Some(path) = given {
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!("--baton {}: no such file", path.display()))
        };
    }
    // target/<profile>/examples/<this> → target/<profile>/baton
    let exe = std::env::current_exe().map_err(|e| format!("where am I? {e}"))?;
    let path = exe
        .parent()
        .and_then(Path::parent)
        .map(|dir| dir.join("baton"))
        .ok_or("cannot tell the target directory from this example's path")?;
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "no baton binary at {}: build it first with\n    cargo build --release --locked -p baton-cli\n(or pass --baton PATH)",
            path.display()
        ))
    }
}

/// Whether this `baton watch` takes `--stats` (prints `stats: {json}` on exit).
pub fn watch_takes_stats(baton: &Path, dir: &Path) -> bool {
    run_to_end(
        "baton-watch-help",
        Command::new(baton).args(["watch", "--help"]),
        dir,
        Duration::from_secs(20),
    )
    .is_ok_and(|help| help.contains("--stats"))
}

/// The last `stats: {json}` line of a `baton watch` output file, its fields flattened
/// (`detector.p99_ms`). Reads the file line by line (it can be large).
pub fn watch_stats(stdout: &Path) -> Option<Vec<(String, String)>> {
    let file = File::open(stdout).ok()?;
    let mut last = None;
    for line in BufReader::new(file).lines().map_while(Result::ok) {
        if let Some(json) = line.strip_prefix("stats: ") {
            if let Ok(value @ serde_json::Value::Object(_)) = serde_json::from_str(json) {
                last = Some(value);
            }
        }
    }
    let mut fields = Vec::new();
    flatten("", &last?, &mut fields);
    Some(fields)
}

fn flatten(prefix: &str, value: &serde_json::Value, out: &mut Vec<(String, String)>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, value) in map {
                let name = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                flatten(&name, value, out);
            }
        }
        other => out.push((prefix.to_owned(), other.to_string())),
    }
}

/// What `baton status --json` says about the agents' health.
#[derive(Debug, Default)]
pub struct Health {
    pub agents: usize,
    pub up: usize,
    pub down: usize,
    pub not_polled: usize,
    /// Agents whose last successful poll was older than the staleness limit at the end of the
    /// run (an agent stays "up" until a poll fails, so "up" alone can hide polls that stopped).
    pub stale: usize,
    pub stale_after: Duration,
    /// The most common last errors of agents that are down, most frequent first.
    pub errors: Vec<(String, usize)>,
}

impl Health {
    pub fn summary(&self) -> String {
        let mut text = format!(
            "{} up, {} down, {} not polled yet (of {}); last success older than {} s at the end: {}",
            self.up,
            self.down,
            self.not_polled,
            self.agents,
            self.stale_after.as_secs_f64(),
            self.stale
        );
        if !self.errors.is_empty() {
            let errors: Vec<String> = self
                .errors
                .iter()
                .take(3)
                .map(|(e, n)| format!("{n}× \"{e}\""))
                .collect();
            text.push_str(&format!("; down because: {}", errors.join(", ")));
        }
        text
    }
}

/// The store's view of every agent, read with `baton status --json`; `end` is when polling
/// should have been going on until (an agent whose last success is older than `end` minus
/// `stale_after` counts as stale).
pub fn baton_health(
    baton: &Path,
    data_dir: &Path,
    scratch: &Path,
    end: Instant,
    stale_after: Duration,
) -> Fallible<Health> {
    let end = chrono::Utc::now()
        - chrono::Duration::from_std(Instant::now().saturating_duration_since(end))
            .unwrap_or_default();
    let cutoff = end - chrono::Duration::from_std(stale_after).unwrap_or_default();
    let out = run_to_end(
        "baton-status",
        Command::new(baton)
            .arg("--data-dir")
            .arg(data_dir)
            .args(["status", "--json"]),
        scratch,
        Duration::from_secs(60),
    )?;
    let rows: Vec<serde_json::Value> =
        serde_json::from_str(&out).map_err(|e| format!("baton status --json: {e}"))?;
    let mut health = Health {
        agents: rows.len(),
        stale_after,
        ..Health::default()
    };
    let mut errors: BTreeMap<String, usize> = BTreeMap::new();
    for row in &rows {
        let last_success = row["health"]["last_success_at"]
            .as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
        if last_success.is_none_or(|t| t < cutoff) {
            health.stale += 1;
        }
        match row["health"]["reachability"].as_str() {
            Some("up") => health.up += 1,
            Some("down") => {
                health.down += 1;
                let error = row["health"]["last_error"].as_str().unwrap_or("?");
                *errors.entry(error.to_owned()).or_default() += 1;
            }
            _ => health.not_polled += 1,
        }
    }
    health.errors = errors.into_iter().collect();
    health.errors.sort_by_key(|e| std::cmp::Reverse(e.1));
    Ok(health)
}

/// A throwaway PostgreSQL server (baton-testdb, in a temp folder, stopped when this process
/// ends) with its own durability (`fsync` on, as a real server has it), and a fresh database on
/// it named in `BATON_STORE` for every `baton` started from now on; its URL.
pub fn postgres_store() -> String {
    postgres_store_with(true)
}

/// [`postgres_store`], with `fsync` off when `fsync` is false (as the tests run it: commits do
/// not wait for the disk).
pub fn postgres_store_with(fsync: bool) -> String {
    std::env::set_var("BATON_TEST_PG_FSYNC", if fsync { "on" } else { "off" });
    let url = baton_testdb::server().fresh_database();
    std::env::set_var("BATON_STORE", &url);
    url
}

/// The settings the throwaway server runs with beyond its own defaults (`BATON_TEST_PG_OPTIONS`,
/// e.g. `-c shared_buffers=1GB -c max_wal_size=4GB` for a server sized as docs/team.md
/// advises), for a report: "PostgreSQL's defaults" when none.
pub fn postgres_settings() -> String {
    match std::env::var("BATON_TEST_PG_OPTIONS") {
        Ok(options) if !options.trim().is_empty() => options.trim().to_owned(),
        _ => "PostgreSQL's defaults".to_owned(),
    }
}

/// `agents` busy simulated agents (a tick a second) on 127.0.0.1, on a runtime of their own
/// (their servers and their tick timer): the runtime and the fleet.
pub fn start_fleet(agents: usize) -> Fallible<(tokio::runtime::Runtime, baton_sim::SimFleet)> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("sim-fleet")
        .build()
        .map_err(|e| format!("cannot start the fleet's runtime: {e}"))?;
    let fleet = runtime
        .block_on(baton_sim::SimFleet::start(baton_sim::SimConfig {
            agents,
            base_port: 0,
            tick_ms: 1000,
            ..baton_sim::SimConfig::default()
        }))
        .map_err(|e| format!("cannot start {agents} simulated agents: {e}"))?;
    Ok((runtime, fleet))
}

/// `dir/baton.toml` naming every agent of `fleet` (one entry each, names made unique), then
/// `extra` (e.g. a `[watch]` table); its path. `by` says which harness wrote it.
pub fn write_fleet_config(
    fleet: &baton_sim::SimFleet,
    dir: &Path,
    by: &str,
    interval_ms: u64,
    timeout_ms: u64,
    extra: &str,
) -> Fallible<PathBuf> {
    let mut toml = format!("# {by}: every simulated agent\n\n");
    let mut names = std::collections::HashSet::new();
    for agent in fleet.agents() {
        let name = if names.insert(agent.name.clone()) {
            agent.name.clone()
        } else {
            format!("{} #{}", agent.name, agent.index)
        };
        toml.push_str(&agent_entry(
            &name,
            &agent.base_url,
            interval_ms,
            timeout_ms,
        ));
    }
    toml.push_str(extra);
    let config = dir.join("baton.toml");
    std::fs::write(&config, toml).map_err(|e| format!("{}: {e}", config.display()))?;
    Ok(config)
}

/// TOML basic string (JSON's escapes are valid TOML).
pub fn toml_string(text: &str) -> String {
    serde_json::to_string(text).expect("a string serialises")
}

/// One `[[agents]]` entry of a baton.toml.
pub fn agent_entry(name: &str, url: &str, interval_ms: u64, timeout_ms: u64) -> String {
    format!(
        "[[agents]]\nname = {}\nurl = {}\npoll_interval_ms = {interval_ms}\ntimeout_ms = {timeout_ms}\n\n",
        toml_string(name),
        toml_string(url)
    )
}

/// The last `n` lines of a (small) text file, for error messages.
pub fn tail(path: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
