//! Several `baton watch` processes on one store, as the watcher tests run them: started with
//! `--json` (every line they print kept, tagged with the watcher's name), killed with `kill -9`,
//! and the store read for who holds which agent and which events arrived.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};

use super::Sandbox;

/// Every JSON line the watchers printed: (watcher name, line).
pub type Lines = Arc<Mutex<Vec<(String, serde_json::Value)>>>;

/// A running `baton watch`; killed when dropped, so a test that fails leaves none behind.
pub struct Watcher {
    pub name: String,
    pub child: Child,
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `baton watch --json --config <config> --name <name>` on the sandbox's store, or on `store`
/// (the same database through a proxy); its lines go to `lines`.
pub fn start_watcher_at(
    sandbox: &Sandbox,
    config: &str,
    name: &str,
    lines: &Lines,
    store: Option<&str>,
) -> Watcher {
    let mut command = sandbox.baton(&["watch", "--json", "--config", config, "--name", name]);
    if let Some(store) = store {
        command.env("BATON_STORE", store);
    }
    let mut child = command
        .env("USER", "tester")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start baton watch");
    let stdout = child.stdout.take().expect("stdout");
    let (lines, tag) = (Arc::clone(lines), name.to_owned());
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Ok(value) = serde_json::from_str(&line) {
                lines.lock().unwrap().push((tag.clone(), value));
            }
        }
    });
    Watcher {
        name: name.to_owned(),
        child,
    }
}

/// [`start_watcher_at`] the sandbox's store.
pub fn start_watcher(sandbox: &Sandbox, config: &str, name: &str, lines: &Lines) -> Watcher {
    start_watcher_at(sandbox, config, name, lines, None)
}

/// `kill -9`: nothing of the watcher runs on, nothing of it is given back. Returns once the
/// process is gone.
pub fn kill_hard(watcher: &mut Watcher) {
    let done = std::process::Command::new("kill")
        .args(["-KILL", &watcher.child.id().to_string()])
        .status()
        .expect("kill");
    assert!(done.success(), "kill -9 {}", watcher.name);
    let _ = watcher.child.wait();
}

/// The live lease of each agent: agent id → watcher name.
pub fn holders(sandbox: &Sandbox) -> HashMap<i64, String> {
    holders_in(&sandbox.open_store_result().expect("open the store"))
}

/// [`holders`], read through an open store.
pub fn holders_in(store: &baton_store::Store) -> HashMap<i64, String> {
    // The leases first: a watcher holding one then has joined before the names are read (read
    // the other way round, one joining in between was missing from the names).
    let leases = store.agent_leases().expect("leases");
    let names: HashMap<i64, String> = store
        .watchers_view()
        .expect("watchers")
        .into_iter()
        .map(|w| (w.id, w.name))
        .collect();
    leases
        .into_iter()
        .filter(|(_, _, _, live)| *live)
        .map(|(agent, watcher, _, _)| (agent, names[&watcher].clone()))
        .collect()
}

/// The simulated fleet's index of each stored agent: agent id → index.
pub fn fleet_index(store: &baton_store::Store, fleet: &baton_sim::SimFleet) -> HashMap<i64, usize> {
    store
        .agents()
        .expect("agents")
        .into_iter()
        .map(|a| {
            (
                a.id,
                fleet.index_of(&a.base_url).expect("a simulated agent"),
            )
        })
        .collect()
}

/// (agent id → (events stored, lowest seq, highest seq, distinct seqs)).
pub fn stored_events(sandbox: &Sandbox) -> HashMap<i64, (i64, i64, i64, i64)> {
    stored_events_in(&sandbox.open_store_result().expect("open the store"))
}

/// [`stored_events`], read through an open store.
pub fn stored_events_in(store: &baton_store::Store) -> HashMap<i64, (i64, i64, i64, i64)> {
    store
        .agents()
        .expect("agents")
        .into_iter()
        .map(|a| (a.id, store.event_seq_summary(a.id).expect("events")))
        .collect()
}

/// Each agent's highest stored `seq`.
pub fn highest_seqs(sandbox: &Sandbox) -> HashMap<i64, i64> {
    stored_events(sandbox)
        .into_iter()
        .map(|(id, (_, _, high, _))| (id, high))
        .collect()
}

/// Every agent's events are stored once each from its first, with no `seq` missing.
pub fn assert_every_event_once(sandbox: &Sandbox) {
    for (agent, (count, low, high, distinct)) in stored_events(sandbox) {
        assert_eq!(low, 1, "agent {agent}: from its first event");
        assert_eq!(count, distinct, "agent {agent}: no event twice");
        assert_eq!(count, high - low + 1, "agent {agent}: no event missing");
    }
}

/// No event fetched twice, read at the agents: each agent was asked for its events from a
/// cursor that never went back (a poller asks from where the stored polls left off; one asking
/// from behind would fetch again what another had stored), and never from none once it had one.
///
/// One exception, on a connection of an earlier poller than the request before it: the giver's
/// last request at a handover. A watcher that offers an agent asks the store whether it still
/// holds it right before each fetch, but on a loaded machine the fetch can go out a second or
/// more after that answer, when the taker has polled and stored already (seen once in a cold
/// `make test`). Such late requests are counted and printed; a poller going back on its own
/// connection, or a new one starting from behind, fails.
pub fn assert_cursors_never_go_back(fleet: &baton_sim::SimFleet, index: &HashMap<i64, usize>) {
    let mut late = Vec::new();
    for (agent, i) in index {
        let asked = fleet.poll_requests(*i);
        // Where each connection was first seen.
        let mut first_seen: HashMap<u16, usize> = HashMap::new();
        for (n, (port, _)) in asked.iter().enumerate() {
            first_seen.entry(*port).or_insert(n);
        }
        for (n, pair) in asked.windows(2).enumerate() {
            let ((before_port, before), (port, cursor)) = (pair[0], pair[1]);
            if before.is_none() || (cursor.is_some() && cursor >= before) {
                continue;
            }
            let an_earlier_pollers = first_seen[&port] < first_seen[&before_port];
            assert!(
                an_earlier_pollers,
                "agent {agent}: asked from cursor {cursor:?} after {before:?} (request {} of {}, \
                 port {port} after {before_port})",
                n + 2,
                asked.len()
            );
            late.push((*agent, cursor, before));
        }
    }
    if !late.is_empty() {
        eprintln!(
            "{} late request(s) of a giver at a handover (agent, cursor, after): {late:?}",
            late.len()
        );
    }
}

/// One poller at a time, read from the watchers' own lines: each `ingested` line carries the
/// term of the lease its poll was stored under (the fence checked in the write's
/// transaction), and each term of an agent's lease was stored by one watcher only, a term the
/// store knows (no higher than the lease's epoch now). Counting alternations between watchers
/// in the lines' time order instead failed now and then with no double poll: a watcher prints
/// its line when its event loop gets to it, after another's first line of the next term.
/// Returns how many terms stored each agent's polls.
pub fn assert_one_watcher_per_lease_term(
    sandbox: &Sandbox,
    lines: &[(String, serde_json::Value)],
) -> HashMap<i64, usize> {
    let epochs: HashMap<i64, i64> = sandbox
        .open_store_result()
        .expect("open the store")
        .agent_leases()
        .expect("leases")
        .into_iter()
        .map(|(agent, _, epoch, _)| (agent, epoch))
        .collect();
    let mut stored_by: HashMap<(i64, i64), &str> = HashMap::new();
    for (watcher, line) in lines.iter().filter(|(_, l)| l["kind"] == "ingested") {
        let agent = line["agent_id"].as_i64().expect("an agent id");
        let epoch = line["lease_epoch"].as_i64().unwrap_or_else(|| {
            panic!("{watcher} stored a poll of agent {agent} under no lease: {line}")
        });
        assert!(
            epoch <= epochs[&agent],
            "agent {agent}: {watcher} stored under term {epoch}, the lease is at {}",
            epochs[&agent]
        );
        let first = stored_by.entry((agent, epoch)).or_insert(watcher);
        assert_eq!(
            *first, watcher,
            "agent {agent}: two watchers stored polls in lease term {epoch}"
        );
    }
    let mut terms: HashMap<i64, usize> = HashMap::new();
    for (agent, _) in stored_by.keys() {
        *terms.entry(*agent).or_default() += 1;
    }
    terms
}
