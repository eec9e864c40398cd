//! `baton sim`: ephemeral ports, scenarios and their listing.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use baton_core::protocol::parse_status;
use baton_sim::Scenario;

use crate::common::Sandbox;

/// Kills the child (a `baton sim`) when dropped, also when the test fails.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `baton <args>` running (killed when the first value is dropped), and its stdout's lines as
/// they come.
fn sim_printing(sandbox: &Sandbox, args: &[&str]) -> (KillOnDrop, mpsc::Receiver<String>) {
    let mut child = sandbox
        .baton(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start baton {args:?}: {e}"));
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (KillOnDrop(child), rx)
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
    let (child, rx) = sim_printing(
        &sandbox,
        &["sim", "--agents", "2", "--port", "0", "--tick-ms", "100"],
    );
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
        list.expect_stdout(&line);
    }
    let bad = sandbox.run(&["sim", "--scenario", "write-colision"]);
    bad.expect_code(2);
    bad.expect_stderr("invalid value 'write-colision' for '--scenario <NAME>'");
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
    let (child, rx) = sim_printing(&sandbox, &args);
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
