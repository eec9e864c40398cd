//! A PostgreSQL store that goes away for 30 s while `baton watch` polls a busy fleet of 20
//! simulated agents: the watcher says so, polling waits, and once the server is back every
//! event each agent produced is stored, none twice and none missing. Its own test binary: it
//! stops the test process's server, which no other test may be using meanwhile. It runs in the
//! PostgreSQL pass of the suite (`BATON_TEST_STORE=postgres`, scripts/test.sh).

use crate::common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::Sandbox;

const AGENTS: usize = 20;
const OUTAGE: Duration = Duration::from_secs(30);

/// (agent name → (events stored, lowest seq, highest seq, distinct seqs)).
fn stored_events(sandbox: &Sandbox) -> Vec<(String, i64, i64, i64, i64)> {
    let store = sandbox.open_store_result().expect("open the store");
    store
        .agents()
        .expect("agents")
        .into_iter()
        .map(|agent| {
            let (count, low, high, distinct) = store
                .event_seq_summary(agent.id)
                .expect("the agent's events");
            (agent.name, count, low, high, distinct)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_away_for_thirty_seconds_loses_no_event_and_doubles_none() {
    if baton_testdb::engine() != baton_testdb::Engine::Postgres {
        eprintln!("runs in the PostgreSQL pass (BATON_TEST_STORE=postgres)");
        return;
    }
    // A server of the test's own: the outage stops it.
    let server = baton_testdb::own_server();
    let sandbox = Sandbox::on_server(server);
    let fleet = common::busy_fleet(AGENTS).await;
    let config = common::fleet_config(&fleet, 500, 400);
    let config = sandbox.write("baton.toml", &config);
    let mut watch = sandbox
        .baton(&["watch", "--json", "--config", config.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start baton watch");
    let stdout = watch.stdout.take().expect("stdout");
    let (lines_tx, lines) = std::sync::mpsc::channel::<serde_json::Value>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Ok(value) = serde_json::from_str(&line) {
                let _ = lines_tx.send(value);
            }
        }
    });
    let sandbox_check = &sandbox;
    let busy = |min: i64| {
        stored_events(sandbox_check)
            .iter()
            .filter(|a| a.1 >= min)
            .count()
            == AGENTS
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while !busy(3) {
        assert!(
            Instant::now() < deadline,
            "the fleet's events never arrived"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    server.stop().expect("stop the server");
    tokio::time::sleep(OUTAGE).await;
    let during: Vec<u64> = fleet
        .agents()
        .iter()
        .map(|a| fleet.last_seq(a.index))
        .collect();
    server.start_again().expect("start the server again");

    // Everything the agents had produced by the end of the outage arrives.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let stored = stored_events(&sandbox);
        let caught_up = fleet.agents().iter().all(|a| {
            stored
                .iter()
                .find(|s| s.0 == a.name)
                .is_some_and(|s| s.3 >= during[a.index] as i64)
        });
        if caught_up {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not caught up a minute after the store came back: {stored:?} (produced: {during:?})"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let _ = watch.kill();
    let _ = watch.wait();

    for (name, count, low, high, distinct) in stored_events(&sandbox) {
        assert_eq!(low, 1, "{name}: from its first event");
        assert_eq!(count, distinct, "{name}: no event twice");
        assert_eq!(count, high - low + 1, "{name}: no event missing in between");
    }
    let said: Vec<serde_json::Value> = lines.try_iter().collect();
    let kinds: Vec<&str> = said.iter().filter_map(|l| l["kind"].as_str()).collect();
    let down = said
        .iter()
        .find(|l| l["kind"] == "store_unreachable")
        .unwrap_or_else(|| panic!("the watcher said nothing of the outage: {kinds:?}"));
    assert!(
        down["message"]
            .as_str()
            .is_some_and(|m| m.contains("store unreachable since")),
        "{down}"
    );
    assert!(kinds.contains(&"store_back"), "{kinds:?}");
    fleet.shutdown().await;
}
