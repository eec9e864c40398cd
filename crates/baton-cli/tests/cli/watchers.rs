//! Several `baton watch` processes on one store (a PostgreSQL database in the PostgreSQL pass,
//! one SQLite file otherwise) polling a simulated fleet on 127.0.0.1: the agents are shared out,
//! each held by one watcher at a time; `kill -9` of one hands its agents to the other within
//! the ten seconds (the configured failover is three); on PostgreSQL, a watcher whose
//! connections a proxy drops says it was cut off, stores nothing of what it held while the
//! other takes over, and (read at the agents, from the connections their requests came on)
//! stopped polling them before the other began; at the end every agent's events are stored once each, with no sequence
//! number missing, and each agent's polls were stored by one watcher per lease term.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use baton_sim::pollers::{one_at_a_time, ports_between, taken_over_at};

use crate::common::watchers::{
    assert_cursors_never_go_back, assert_every_event_once, assert_one_watcher_per_lease_term,
    fleet_index, highest_seqs, holders, kill_hard, start_watcher, start_watcher_at, stored_events,
    Lines,
};
use crate::common::{self, Sandbox};

const AGENTS: usize = 6;
const FAILOVER_MS: u64 = 3_000;
/// The bound on a takeover after `kill -9`.
const TAKEOVER_BOUND: Duration = Duration::from_secs(10);

/// Waits up to `limit` for `ready`, saying what was awaited when it never comes.
async fn wait_for(what: &str, limit: Duration, mut ready: impl FnMut() -> bool) -> Duration {
    let started = Instant::now();
    while !ready() {
        assert!(started.elapsed() < limit, "waited {limit:?} for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    started.elapsed()
}

/// A TCP proxy to the test's PostgreSQL that can drop every connection through it and refuse
/// new ones (a watcher cut off from the database), then let them through again.
struct Proxy {
    port: u16,
    cut: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(target: u16) -> Proxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let cut = Arc::new(AtomicBool::new(false));
        let connections: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>> = Arc::default();
        let (refuse, kept) = (Arc::clone(&cut), Arc::clone(&connections));
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if refuse.load(Ordering::SeqCst) {
                    continue;
                }
                kept.lock().unwrap().push(tokio::spawn(async move {
                    if let Ok(mut outbound) =
                        tokio::net::TcpStream::connect(("127.0.0.1", target)).await
                    {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                }));
            }
        });
        Proxy {
            port,
            cut,
            connections,
        }
    }

    fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        for connection in self.connections.lock().unwrap().drain(..) {
            connection.abort();
        }
    }

    fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

/// At the agents a cut-off watcher held (`agents`): after the cut, another watcher's requests
/// came on connections of its own, and the cut-off one made none once they had begun (its
/// requests and the other's never take turns): it stopped polling before the other took over.
async fn stopped_before_taken(
    sandbox: &Sandbox,
    fleet: &baton_sim::SimFleet,
    agents: &[i64],
    steady: Instant,
    cut_at: Instant,
) {
    let index = fleet_index(&sandbox.open_store_result().expect("the store"), fleet);
    let sources = |agent: &i64| fleet.poll_sources(index[agent]);
    let taken = |agent: &i64| {
        let before = ports_between(&sources(agent), steady, cut_at);
        taken_over_at(&sources(agent), cut_at, &before).map(|at| (before, at))
    };
    wait_for(
        "another watcher to poll every agent the cut-off one held",
        Duration::from_secs(30),
        || agents.iter().all(|a| taken(a).is_some()),
    )
    .await;
    for agent in agents {
        let (before, taken_at) = taken(agent).expect("taken over");
        let all = sources(agent);
        let ports = ports_between(&all, steady, Instant::now());
        assert!(
            one_at_a_time(&ports),
            "agent {agent}: the cut-off watcher's requests and its successor's took turns: {ports:?}"
        );
        let last_old = all
            .iter()
            .filter(|(at, port)| *at >= steady && before.contains(port))
            .map(|(at, _)| *at)
            .max();
        eprintln!(
            "agent {agent}: cut-off watcher's last request {:?} after the cut, the successor's first {:?} after it",
            last_old.map(|at| at.saturating_duration_since(cut_at)),
            taken_at - cut_at
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watchers_share_the_fleet_take_over_a_killed_one_and_fence_one_cut_off() {
    let sandbox = Sandbox::new();
    let fleet = common::busy_fleet(AGENTS).await;
    let mut config = common::fleet_config(&fleet, 300, 250);
    config.push_str(&format!("[watch]\nfailover_ms = {FAILOVER_MS}\n"));
    let config = sandbox.write("baton.toml", &config);
    let config = config.to_str().unwrap();
    let lines: Lines = Arc::default();

    // Two watchers share the six agents, three each.
    let w1 = start_watcher(&sandbox, config, "w1", &lines);
    let shared_out = |a: &str, b: &str| {
        let held = holders(&sandbox);
        let count = |name: &str| held.values().filter(|w| *w == name).count();
        held.len() == AGENTS && count(a) == AGENTS / 2 && count(b) == AGENTS / 2
    };
    wait_for("w1 to hold every agent", Duration::from_secs(30), || {
        holders(&sandbox).len() == AGENTS
    })
    .await;
    let w2 = start_watcher(&sandbox, config, "w2", &lines);
    wait_for(
        "w1 and w2 to hold three agents each",
        Duration::from_secs(30),
        || shared_out("w1", "w2"),
    )
    .await;
    wait_for("events from every agent", Duration::from_secs(30), || {
        stored_events(&sandbox)
            .values()
            .filter(|e| e.0 >= 3)
            .count()
            == AGENTS
    })
    .await;
    let status = sandbox.run(&["status", "--watchers", "--json"]);
    status.expect_code(0);
    let view: Vec<serde_json::Value> = serde_json::from_str(&status.stdout).unwrap();
    let live: Vec<&serde_json::Value> = view.iter().filter(|w| w["live"] == true).collect();
    assert_eq!(live.len(), 2, "{}", status.stdout);
    let polled: usize = live
        .iter()
        .map(|w| w["agents"].as_array().unwrap().len())
        .sum();
    assert_eq!(polled, AGENTS, "{}", status.stdout);
    assert_eq!(
        live.iter().filter(|w| w["detectors"] == true).count(),
        1,
        "one watcher runs the detectors: {}",
        status.stdout
    );
    let table = sandbox.run(&["status"]);
    assert!(table.stdout.contains("WATCHER"), "{}", table.all());

    // kill -9 of w1: w2 polls its agents again, within the bound.
    let mut w1 = w1;
    let orphans: Vec<i64> = holders(&sandbox)
        .into_iter()
        .filter(|(_, w)| w == "w1")
        .map(|(a, _)| a)
        .collect();
    let at_kill = highest_seqs(&sandbox);
    kill_hard(&mut w1);
    let took = wait_for(
        "w2 to store new events of w1's agents",
        TAKEOVER_BOUND,
        || {
            let now = highest_seqs(&sandbox);
            let held = holders(&sandbox);
            orphans
                .iter()
                .all(|a| held.get(a).is_some_and(|w| w == "w2") && now[a] > at_kill[a])
        },
    )
    .await;
    eprintln!("w1's agents polled again by w2 {took:?} after kill -9 (failover {FAILOVER_MS} ms)");

    // PostgreSQL: a third watcher joins through a proxy and takes half; the proxy drops its
    // connections: w2 takes over, and w3 says it was cut off, then comes back.
    let mut others = vec![w2];
    if let Some(url) = sandbox.store_url() {
        let port: u16 = url
            .rsplit_once(':')
            .and_then(|(_, rest)| rest.split('/').next())
            .and_then(|p| p.parse().ok())
            .expect("the test server's port");
        let proxy = Proxy::start(port).await;
        let through = url.replace(&format!(":{port}/"), &format!(":{}/", proxy.port));
        let w3 = start_watcher_at(&sandbox, config, "w3", &lines, Some(&through));
        wait_for(
            "w2 and w3 to hold three agents each",
            Duration::from_secs(30),
            || shared_out("w2", "w3"),
        )
        .await;
        let held_by_w3: Vec<i64> = holders(&sandbox)
            .into_iter()
            .filter(|(_, w)| w == "w3")
            .map(|(a, _)| a)
            .collect();
        // A steady second of w3's polls (on its own connections) before the cut.
        let steady = Instant::now();
        tokio::time::sleep(Duration::from_secs(1)).await;
        let cut_at = Instant::now();
        proxy.cut();
        wait_for("w2 to hold every agent", Duration::from_secs(30), || {
            let held = holders(&sandbox);
            held.len() == AGENTS && held.values().all(|w| w == "w2")
        })
        .await;
        wait_for("w3 to say it was cut off", Duration::from_secs(30), || {
            lines
                .lock()
                .unwrap()
                .iter()
                .any(|(w, l)| w == "w3" && l["kind"] == "cut_off")
        })
        .await;
        stopped_before_taken(&sandbox, &fleet, &held_by_w3, steady, cut_at).await;
        proxy.restore();
        others.push(w3);
    }
    let at_end = highest_seqs(&sandbox);
    wait_for("new events of every agent", Duration::from_secs(30), || {
        let now = highest_seqs(&sandbox);
        now.iter().all(|(a, high)| *high > at_end[a] + 2)
    })
    .await;
    for mut watcher in others {
        let _ = watcher.child.kill();
        let _ = watcher.child.wait();
    }

    // Every event once, none missing, none fetched twice; one poller at a time.
    assert_every_event_once(&sandbox);
    let index = fleet_index(&sandbox.open_store_result().expect("the store"), &fleet);
    assert_cursors_never_go_back(&fleet, &index);
    let lines = lines.lock().unwrap().clone();
    let terms = assert_one_watcher_per_lease_term(&sandbox, &lines);
    eprintln!("lease terms that stored each agent's polls: {terms:?}");
    for (w, l) in lines
        .iter()
        .filter(|(_, l)| l["kind"] != "ingested" && l["kind"] != "agent_up")
    {
        eprintln!("{w}: {} {}", l["kind"], l["message"]);
    }
    let said = |w: &str, kind: &str| lines.iter().any(|(n, l)| n == w && l["kind"] == kind);
    assert!(said("w1", "holds") && said("w2", "holds"));
    fleet.shutdown().await;
}
