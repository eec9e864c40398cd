//! The real `baton` binary, run as a child process, each test with a data directory of its own.
//!
//! * `status` on an empty store, as a table and as JSON;
//! * `sim` on ephemeral ports answers baton/1; `sim --scenario` prints its agents and rules,
//!   `--list-scenarios` lists them, an unknown name is refused with the valid ones;
//! * `watch` polls a simulated fleet (started here) into the store that `status` then reads;
//! * config files: inline tokens, malformed TOML, bad agents, env and keyring token references;
//! * a second `watch` updates an agent by name instead of adding it twice.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use baton_core::agent::{AgentDraft, Reachability};
use baton_core::protocol::parse_status;
use baton_core::views::AgentRow;
use baton_sim::{Scenario, SimConfig, SimFleet};
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

/// A URL where nothing listens (the port was free a moment ago).
fn closed_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
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
    assert!(run.stdout.contains("baton watch --config"), "{}", run.all());
    let json = sandbox.run(&["status", "--json"]);
    json.expect_code(0);
    assert_eq!(json.stdout.trim(), "[]", "{}", json.all());
    assert_eq!(sandbox.rows(), vec![]);
}

// ---------------------------------------------------------------------------------------------
// sim

/// Kills the child (a `baton sim`) when dropped, also when the test fails.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A plain HTTP/1.1 GET (the CLI crate has no HTTP client): status code and body.
fn http_get(url: &str) -> (u16, Vec<u8>) {
    let rest = url.strip_prefix("http://").expect("http URL");
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let mut stream = TcpStream::connect(host).unwrap_or_else(|e| panic!("connect {host}: {e}"));
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
    )
    .expect("send request");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read response");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of headers");
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let body = raw[split + 4..].to_vec();
    let code = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("status code");
    let body = if head.contains("transfer-encoding: chunked") {
        dechunk(&body)
    } else {
        body
    };
    (code, body)
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = body
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("chunk size");
        let size_text = String::from_utf8_lossy(&body[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .expect("hex chunk size");
        body = &body[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&body[..size]);
        body = &body[size + 2..];
    }
}

#[test]
fn sim_on_port_zero_serves_baton_1_on_ephemeral_ports() {
    let sandbox = Sandbox::new();
    let mut cmd = sandbox.baton(&["sim", "--agents", "2", "--port", "0", "--tick-ms", "100"]);
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start baton sim");
    let stdout = child.stdout.take().expect("stdout");
    let child = KillOnDrop(child);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // "  {name} {id} {url}" per agent, after the banner.
    let mut agents: Vec<(String, String)> = Vec::new();
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while agents.len() < 2 {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = rx
            .recv_timeout(left)
            .unwrap_or_else(|e| panic!("baton sim printed no 2 agent URLs ({e}): {seen:#?}"));
        seen.push(line.clone());
        let words: Vec<&str> = line.split_whitespace().collect();
        if let [.., id, url] = words[..] {
            if url.starts_with("http://") {
                agents.push((id.to_owned(), url.to_owned()));
            }
        }
    }
    assert!(
        seen[0].contains("2 agent(s) speaking baton/1"),
        "banner: {seen:#?}"
    );
    let ports: Vec<u16> = agents
        .iter()
        .map(|(_, url)| {
            url.rsplit(':')
                .next()
                .and_then(|p| p.parse().ok())
                .unwrap_or_else(|| panic!("no port in {url}"))
        })
        .collect();
    assert!(ports.iter().all(|&p| p != 0), "ephemeral ports: {ports:?}");
    assert_ne!(ports[0], ports[1], "each agent on a port of its own");
    for (id, url) in &agents {
        let (code, body) = http_get(&format!("{url}/baton/v1/status"));
        assert_eq!(code, 200, "{}", String::from_utf8_lossy(&body));
        let doc = parse_status(&body).unwrap_or_else(|e| {
            panic!(
                "{url} answered something that is not baton/1: {e}\n{}",
                String::from_utf8_lossy(&body)
            )
        });
        assert_eq!(doc.protocol, "baton/1");
        assert_eq!(&doc.agent.id, id, "the printed id is the one served");
    }
    drop(child);
    // The fleet is gone with the process.
    for (_, url) in &agents {
        let addr = url.trim_start_matches("http://");
        assert!(
            TcpStream::connect(addr).is_err(),
            "{url} still answers after the child was killed"
        );
    }
}

#[test]
fn sim_lists_the_scenarios_and_refuses_an_unknown_one_naming_the_valid_ones() {
    let sandbox = Sandbox::new();
    let list = sandbox.run(&["sim", "--list-scenarios"]);
    list.expect_code(0);
    for scenario in Scenario::ALL {
        let line = format!("  {:<20} {}", scenario.name(), scenario.description());
        assert!(list.stdout.contains(&line), "{}", list.all());
    }
    let bad = sandbox.run(&["sim", "--scenario", "write-colision"]);
    bad.expect_code(2);
    assert!(
        bad.stderr
            .contains("invalid value 'write-colision' for '--scenario <NAME>'"),
        "{}",
        bad.all()
    );
    for scenario in Scenario::ALL {
        assert!(bad.stderr.contains(scenario.name()), "{}", bad.all());
    }
    let mixed = sandbox.run(&["sim", "--scenario", "stall", "--agents", "3"]);
    mixed.expect_code(2);
}

#[test]
fn sim_runs_a_scenario_and_prints_its_agents_and_its_rules() {
    let sandbox = Sandbox::new();
    let args = [
        "sim",
        "--scenario",
        "ownership-violation",
        "--port",
        "0",
        "--tick-ms",
        "100",
    ];
    let mut child = sandbox
        .baton(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start baton sim --scenario");
    let stdout = child.stdout.take().expect("stdout");
    let child = KillOnDrop(child);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen: Vec<String> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    // The rule's note is the last line printed.
    while !seen.last().is_some_and(|l| l.starts_with("note = ")) {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = rx
            .recv_timeout(left)
            .unwrap_or_else(|e| panic!("baton sim --scenario stopped short ({e}): {seen:#?}"));
        seen.push(line);
    }
    assert!(
        seen[0].starts_with("baton sim: scenario ownership-violation, 2 agent(s)"),
        "{seen:#?}"
    );
    let agents: Vec<(String, String)> = seen
        .iter()
        .filter_map(
            |line| match line.split_whitespace().collect::<Vec<_>>()[..] {
                [_, id, url] if url.starts_with("http://") => Some((id.to_owned(), url.to_owned())),
                _ => None,
            },
        )
        .collect();
    assert_eq!(
        agents.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(),
        ["billing", "support"],
        "{seen:#?}"
    );
    let text = seen.join("\n");
    assert!(
        text.contains("Watch for: an ownership_violation finding naming Support and Billing"),
        "{text}"
    );
    for line in [
        "[[rules]]",
        "kind = \"data\"",
        "pattern = \"crm://invoices/*#status\"",
        "owner = \"Billing\"",
        &format!("url = \"{}\"", agents[0].1),
    ] {
        assert!(seen.iter().any(|l| l == line), "no {line:?} in {text}");
    }
    for (id, url) in &agents {
        let (code, body) = http_get(&format!("{url}/baton/v1/status"));
        assert_eq!(code, 200, "{}", String::from_utf8_lossy(&body));
        let doc = parse_status(&body).expect("baton/1");
        assert_eq!(&doc.agent.id, id);
    }
    drop(child);
}

// ---------------------------------------------------------------------------------------------
// watch

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
    assert!(
        watch.stdout.contains("watching 2 agent(s)"),
        "{}",
        watch.all()
    );
    assert!(watch.stdout.contains("new event(s)"), "{}", watch.all());
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
// config files

/// Runs `watch` with a config that must be refused: exit 2, nothing stored.
fn refused(sandbox: &Sandbox, config_text: &str) -> Run {
    let config = sandbox.write("baton.toml", config_text);
    let run = sandbox.run(&[
        "watch",
        "--config",
        config.to_str().expect("utf-8 path"),
        "--duration",
        "1",
    ]);
    run.expect_code(2);
    assert!(run.stderr.starts_with("baton: "), "{}", run.all());
    assert!(
        !run.stdout.contains("watching"),
        "a refused config polls nothing\n{}",
        run.all()
    );
    run
}

/// No agent reached the store: a refused config changes nothing.
fn assert_nothing_stored(sandbox: &Sandbox) {
    if sandbox.db_path().exists() {
        assert_eq!(sandbox.rows(), vec![], "a refused config stored agents");
    }
}

#[test]
fn inline_tokens_are_refused_without_echoing_them() {
    let sandbox = Sandbox::new();
    let secret = "sk-live-DO-NOT-PRINT-1234";
    let run = refused(
        &sandbox,
        &agent_toml(
            "Inline",
            &closed_url(),
            2000,
            1500,
            &format!("token = \"{secret}\""),
        ),
    );
    assert!(
        run.stderr.contains("tokens may not be written inline"),
        "{}",
        run.all()
    );
    assert!(
        run.stderr.contains("\"Inline\""),
        "names the agent\n{}",
        run.all()
    );
    assert!(
        run.stderr.contains("token = { env = \"VAR\" }"),
        "says what to write instead\n{}",
        run.all()
    );
    assert!(
        !run.all().contains(secret),
        "the secret was echoed\n{}",
        run.all()
    );
    assert_nothing_stored(&sandbox);
}

#[test]
fn secrets_in_other_malformed_token_lines_are_not_echoed_either() {
    // A token written in a shape the file format does not know, and one in a broken string:
    // the TOML error must point at the line without printing it.
    let secret = "sk-live-SHAPE-5678";
    for token_line in [
        format!("token = {{ value = \"{secret}\" }}"),
        format!("token = \"{secret}"),
        format!("token = {{ keyring = \"a/b\", value = \"{secret}\" }}"),
    ] {
        let sandbox = Sandbox::new();
        let run = refused(
            &sandbox,
            &agent_toml("Shape", &closed_url(), 2000, 1500, &token_line),
        );
        assert!(
            run.stderr.contains("line 6"),
            "points at the token line ({token_line})\n{}",
            run.all()
        );
        assert!(
            !run.all().contains(secret),
            "the secret was echoed ({token_line})\n{}",
            run.all()
        );
        assert_nothing_stored(&sandbox);
    }
}

#[test]
fn malformed_toml_is_refused_with_its_line_and_column() {
    let sandbox = Sandbox::new();
    let run = refused(&sandbox, "[[agents]]\nname = \"Broken\"\nurl = \n");
    assert!(
        run.stderr.contains("baton.toml"),
        "names the file\n{}",
        run.all()
    );
    assert!(run.stderr.contains("line 3"), "{}", run.all());
    assert!(run.stderr.contains("column"), "{}", run.all());
    assert_nothing_stored(&sandbox);
}

#[test]
fn a_timeout_not_below_the_interval_is_refused_naming_the_agent() {
    let sandbox = Sandbox::new();
    let text = agent_toml("Fine", &closed_url(), 2000, 1500, "")
        + &agent_toml("Slowpoke", &closed_url(), 1000, 1000, "");
    let run = refused(&sandbox, &text);
    assert!(run.stderr.contains("agent \"Slowpoke\""), "{}", run.all());
    assert!(
        run.stderr
            .contains("timeout (1000 ms) must be below the poll interval (1000 ms)"),
        "{}",
        run.all()
    );
    assert!(!run.stderr.contains("\"Fine\""), "{}", run.all());
    assert_nothing_stored(&sandbox);
}

const TOKEN_VAR: &str = "BATON_CLI_TEST_AGENT_TOKEN";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn env_tokens_reach_an_agent_that_requires_one() {
    let sandbox = Sandbox::new();
    let fleet = sim_fleet(1).await;
    let token = format!("tok-{}-s3cret", std::process::id());
    fleet.set_token(0, Some(token.clone()));
    let info = &fleet.agents()[0];
    let config = sandbox.write(
        "baton.toml",
        &agent_toml(
            "Guarded",
            &info.base_url,
            500,
            400,
            &format!("token = {{ env = \"{TOKEN_VAR}\" }}"),
        ),
    );
    let mut cmd = sandbox.baton(&[
        "watch",
        "--config",
        config.to_str().expect("utf-8 path"),
        "--duration",
        "3",
    ]);
    cmd.env(TOKEN_VAR, &token);
    let watch = run_async(cmd).await;
    watch.expect_code(0);
    assert!(
        !watch.all().contains(&token),
        "the token was printed\n{}",
        watch.all()
    );
    assert!(fleet.poll_count(0) >= 2, "the agent was polled");

    let rows = sandbox.rows();
    assert_eq!(rows.len(), 1);
    let row = row(&rows, "Guarded");
    assert!(row.config.has_token, "{row:#?}");
    assert_eq!(
        row.health.reachability,
        Reachability::Up,
        "polled with the token: {row:#?}"
    );
    let refused = row
        .health
        .last_error
        .as_deref()
        .is_some_and(|e| e.contains("401"));
    assert!(!refused, "the agent never refused a poll: {row:#?}");
    assert!(row.task_counts.total() > 0, "{row:#?}");
    let db = std::fs::read(sandbox.db_path()).expect("read the database");
    assert!(
        !db.windows(token.len()).any(|w| w == token.as_bytes()),
        "the token was written to SQLite"
    );
    fleet.shutdown().await;
}

#[test]
fn an_unset_token_variable_is_refused_before_anything_is_stored() {
    let sandbox = Sandbox::new();
    // The first agent is fine: it must not be stored either when the second one is refused.
    let text = agent_toml("Open", &closed_url(), 2000, 1500, "")
        + &agent_toml(
            "Guarded",
            &closed_url(),
            2000,
            1500,
            &format!("token = {{ env = \"{TOKEN_VAR}\" }}"),
        );
    let config = sandbox.write("baton.toml", &text);
    let mut cmd = sandbox.baton(&[
        "watch",
        "--config",
        config.to_str().expect("utf-8 path"),
        "--duration",
        "1",
    ]);
    cmd.env_remove(TOKEN_VAR);
    let run = run(cmd);
    run.expect_code(2);
    assert!(
        run.stderr
            .contains(&format!("environment variable {TOKEN_VAR} is not set")),
        "{}",
        run.all()
    );
    assert!(run.stderr.contains("agent \"Guarded\""), "{}", run.all());
    assert_nothing_stored(&sandbox);
}

#[test]
fn an_unreadable_keyring_reference_is_refused_not_a_crash() {
    // No Secret Service answers (see `Sandbox::baton`): the reference cannot be resolved.
    let sandbox = Sandbox::new();
    let run = refused(
        &sandbox,
        &agent_toml(
            "Keyed",
            &closed_url(),
            2000,
            1500,
            "token = { keyring = \"baton-cli-test/nobody\" }",
        ),
    );
    assert!(
        run.stderr
            .contains("agent \"Keyed\": keyring entry baton-cli-test/nobody:"),
        "{}",
        run.all()
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.all());
    assert_nothing_stored(&sandbox);
}

/// An agent the desktop app stored with a token (kept in the OS keyring) and no config entry:
/// `watch` must look for the token where the app keeps it, not poll without it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_agents_with_a_keyring_token_are_not_polled_without_it() {
    let sandbox = Sandbox::new();
    let fleet = sim_fleet(1).await;
    fleet.set_token(0, Some("kept-in-the-keyring".into()));
    let info = fleet.agents()[0].clone();
    {
        let mut store = baton_store::Store::open(&sandbox.db_path()).expect("open the store");
        let draft = AgentDraft {
            poll_interval_ms: 500,
            timeout_ms: 400,
            ..AgentDraft::new("From the app", info.base_url.clone())
        };
        let agent = store.add_agent(&draft).expect("add agent");
        store.set_has_token(agent.id, true).expect("flag token");
    }
    let watch = run_async(sandbox.baton(&["watch", "--duration", "2"])).await;
    watch.expect_code(0);
    assert!(
        watch.stdout.contains("watching 1 agent(s)"),
        "{}",
        watch.all()
    );
    let rows = sandbox.rows();
    let row = row(&rows, "From the app");
    assert!(row.config.has_token, "the flag is kept: {row:#?}");
    assert_eq!(row.health.reachability, Reachability::Down, "{row:#?}");
    let error = row.health.last_error.as_deref().unwrap_or_default();
    assert!(
        error.contains("keyring"),
        "the row says the token could not be read, got {error:?}"
    );
    assert_eq!(
        fleet.poll_count(0),
        0,
        "no request went out without the token"
    );
    fleet.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// watch twice

#[test]
fn a_second_watch_updates_the_agent_by_name() {
    let sandbox = Sandbox::new();
    let url = closed_url();
    let first = sandbox.write("first.toml", &agent_toml("Repeat", &url, 1000, 500, ""));
    sandbox
        .run(&[
            "watch",
            "--config",
            first.to_str().unwrap(),
            "--duration",
            "1",
        ])
        .expect_code(0);
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
        assert!(run.stdout.contains("Usage: baton"), "{}", run.all());
    }
    let bad = sandbox.run(&["watch", "--duration", "soon"]);
    bad.expect_code(2);
    assert!(bad.stderr.contains("--duration"), "{}", bad.all());
}
