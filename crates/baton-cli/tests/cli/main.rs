//! The real `baton` binary, run as a child process, each test with a data directory of its own.
//!
//! * `status` on an empty store, as a table and as JSON;
//! * `sim` on ephemeral ports answers baton/1; `sim --scenario` prints its agents and rules,
//!   `--list-scenarios` lists them, an unknown name is refused with the valid ones;
//! * `watch` polls a simulated fleet (started here) into the store that `status` then reads;
//! * config files: inline tokens, malformed TOML, bad agents, env and keyring token references;
//! * a second `watch` updates an agent by name instead of adding it twice;
//! * the escalation queue: listed, shown, decided and delivered from the terminal; followed
//!   live as other processes open and decide items;
//! * the crash test: `baton watch` killed 20 times during busy ingest, the store checked;
//! * `baton check`, rules and settings files in and out, decisions and handoff schemas, the
//!   browser preview's command table, a PostgreSQL store away for thirty seconds, and three
//!   watchers sharing 200 agents through 20 kills (`watchers_scale`).
//!
//! One binary for the crate (nextest runs each test in a process of its own).

mod check;
mod common;
mod config_files;
mod crashes;
mod decisions_and_schemas;
mod follow;
mod hooks;
mod hooks_clients;
mod notify;
mod outage;
mod preview;
mod queue;
mod roles;
mod rules_io;
mod settings_io;
mod sim;
mod store;
mod watchers;
mod watchers_scale;

use std::process::Command;

use baton_core::agent::Reachability;
use baton_core::views::AgentRow;
use baton_sim::{SimConfig, SimFleet};
use common::{run, Run, Sandbox};

impl Sandbox {
    /// `baton status --json`, parsed.
    fn rows(&self) -> Vec<AgentRow> {
        let run = self.run(&["status", "--json"]);
        run.expect_code(0);
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| {
            panic!(
                "status --json is not a list of agent rows: {e}\n{}",
                run.all()
            )
        })
    }
}

/// Runs `baton` off the async runtime, so a fleet served by the runtime keeps answering.
async fn run_async(cmd: Command) -> Run {
    tokio::task::spawn_blocking(move || run(cmd))
        .await
        .expect("run baton")
}

/// One `[[agents]]` table.
fn agent_toml(name: &str, url: &str, interval_ms: u64, timeout_ms: u64, extra: &str) -> String {
    format!(
        "[[agents]]\nname = \"{name}\"\nurl = \"{url}\"\npoll_interval_ms = {interval_ms}\n\
         timeout_ms = {timeout_ms}\n{extra}\n"
    )
}

/// A URL where nothing listens, a new one at each call (one URL is one agent): port 9 (discard),
/// below the range the system hands to servers that bind port 0. A port that was free a moment
/// ago is not enough: another test's server binding port 0 was given it, and answered (seen
/// once in the PostgreSQL pass).
fn closed_url() -> String {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("http://127.0.0.1:9/closed-{n}")
}

/// A simulated fleet on ephemeral ports.
async fn sim_fleet(agents: usize) -> SimFleet {
    SimFleet::start(SimConfig {
        agents,
        base_port: 0,
        tick_ms: 300,
        ..SimConfig::default()
    })
    .await
    .expect("start the simulated fleet")
}

fn row<'a>(rows: &'a [AgentRow], name: &str) -> &'a AgentRow {
    rows.iter()
        .find(|r| r.config.name == name)
        .unwrap_or_else(|| panic!("no agent named {name:?} in {rows:#?}"))
}

// ---------------------------------------------------------------------------------------------
// status

#[test]
fn status_on_an_empty_store_says_there_are_no_agents() {
    let sandbox = Sandbox::new();
    let run = sandbox.run(&["status"]);
    run.expect_code(0);
    assert!(
        run.stdout.starts_with("No agents."),
        "the empty-store line\n{}",
        run.all()
    );
    run.expect_stdout("baton watch --config");
    let json = sandbox.run(&["status", "--json"]);
    json.expect_code(0);
    assert_eq!(json.stdout.trim(), "[]", "{}", json.all());
    assert_eq!(sandbox.rows(), vec![]);
}

// ---------------------------------------------------------------------------------------------
// watch

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_polls_a_sim_fleet_into_the_store_that_status_reads() {
    let sandbox = Sandbox::new();
    let fleet = sim_fleet(2).await;
    let infos = fleet.agents();
    let config: String = infos
        .iter()
        .map(|a| agent_toml(&a.name, &a.base_url, 500, 400, ""))
        .collect();
    let config = sandbox.write("baton.toml", &config);
    let config = config.to_str().expect("utf-8 path");

    let watch = run_async(sandbox.baton(&["watch", "--config", config, "--duration", "4"])).await;
    watch.expect_code(0);
    watch.expect_stdout("watching 2 agent(s)");
    watch.expect_stdout("new event(s)");
    // No protocol in the file: asked of each new agent, as "Test connection" does.
    for info in &infos {
        assert!(
            watch
                .stderr
                .contains(&format!("baton: {}: answered in baton/1", info.name)),
            "{}",
            watch.all()
        );
    }
    for index in 0..infos.len() {
        assert!(fleet.poll_count(index) >= 2, "agent {index} was polled");
    }

    let rows = sandbox.rows();
    assert_eq!(rows.len(), 2, "{rows:#?}");
    for info in &infos {
        let row = row(&rows, &info.name);
        assert_eq!(row.config.base_url, info.base_url);
        assert_eq!(row.config.poll_interval_ms, 500);
        assert_eq!(row.config.timeout_ms, 400);
        assert!(!row.config.has_token);
        assert_eq!(row.health.reachability, Reachability::Up, "{row:#?}");
        assert_eq!(row.health.consecutive_failures, 0, "{row:#?}");
        assert!(row.health.last_success_at.is_some());
        assert_eq!(row.remote_id.as_deref(), Some(info.id.as_str()));
        assert!(row.task_counts.total() > 0, "tasks were stored: {row:#?}");
    }

    let table = sandbox.run(&["status"]);
    table.expect_code(0);
    assert!(table.stdout.starts_with("AGENT "), "{}", table.all());
    for info in &infos {
        let line = table
            .stdout
            .lines()
            .find(|l| l.starts_with(&info.name))
            .unwrap_or_else(|| panic!("no row for {}\n{}", info.name, table.all()));
        let health = line[info.name.len()..].split_whitespace().next();
        assert_eq!(health, Some("up"), "{line}");
        assert!(line.contains(" ms "), "a latency: {line}");
        assert!(line.contains(" ago "), "a last success: {line}");
    }
    fleet.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// watch twice

#[test]
fn a_second_watch_updates_the_agent_by_name() {
    let sandbox = Sandbox::new();
    let url = closed_url();
    let first = sandbox.write("first.toml", &agent_toml("Repeat", &url, 1000, 500, ""));
    let watch = sandbox.run(&[
        "watch",
        "--config",
        first.to_str().unwrap(),
        "--duration",
        "1",
    ]);
    watch.expect_code(0);
    // Nobody answers to say which protocol: baton/1, and the line says how to choose.
    assert!(
        watch.stderr.contains("Repeat: protocol not found out (")
            && watch
                .stderr
                .contains("polled as baton/1 (say protocol = \"baton\" or \"a2a\" in the file)"),
        "{}",
        watch.all()
    );
    let rows = sandbox.rows();
    assert_eq!(rows.len(), 1, "{rows:#?}");
    let id = rows[0].config.id;
    assert_eq!(rows[0].config.poll_interval_ms, 1000);

    let second = sandbox.write(
        "second.toml",
        &agent_toml("Repeat", &format!("{url}/"), 2500, 800, ""),
    );
    sandbox
        .run(&[
            "watch",
            "--config",
            second.to_str().unwrap(),
            "--duration",
            "1",
        ])
        .expect_code(0);
    let rows = sandbox.rows();
    assert_eq!(rows.len(), 1, "updated, not added twice: {rows:#?}");
    let row = &rows[0];
    assert_eq!(row.config.id, id, "the same agent");
    assert_eq!(row.config.name, "Repeat");
    assert_eq!(row.config.poll_interval_ms, 2500);
    assert_eq!(row.config.timeout_ms, 800);
    assert_eq!(
        row.config.base_url, url,
        "stored without the trailing slash"
    );

    // The same agent in other letter case is still the same agent.
    let third = sandbox.write("third.toml", &agent_toml(" repeat ", &url, 3000, 800, ""));
    sandbox
        .run(&[
            "watch",
            "--config",
            third.to_str().unwrap(),
            "--duration",
            "1",
        ])
        .expect_code(0);
    let rows = sandbox.rows();
    assert_eq!(rows.len(), 1, "{rows:#?}");
    assert_eq!(rows[0].config.id, id);
    assert_eq!(rows[0].config.poll_interval_ms, 3000);
}

#[test]
fn the_binary_has_help_for_every_subcommand() {
    let sandbox = Sandbox::new();
    for sub in ["watch", "status", "sim"] {
        let run = sandbox.run(&[sub, "--help"]);
        run.expect_code(0);
        run.expect_stdout("Usage: baton");
    }
    let bad = sandbox.run(&["watch", "--duration", "soon"]);
    bad.expect_code(2);
    bad.expect_stderr("--duration");
}
