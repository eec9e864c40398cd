//! Several watchers as issue 33 tests them: three `baton watch` processes share 200 simulated
//! agents polled every second on one PostgreSQL store, and 20 times over the one holding the
//! most agents is killed with `kill -9` (and started again, so three keep running). Each round:
//! every agent has one live lease and, at the agents, one poller (a steady stretch's requests
//! of an agent whose lease stayed in one term come on one connection, never two taking
//! turns); after the kill every agent it
//! held is polled by another watcher within the 10 s, read at the agents (the first
//! request on a connection the killed watcher did not use, or any once the dead one's can no
//! longer be on their way), and what the agent said after the kill is stored. Meanwhile agents ask for approval and the asks are decided, half with `baton
//! decide` and half in the store (the watchers' relays deliver those). At the end every agent's
//! events are stored once each with no `seq` missing, no agent was asked for its events from a
//! cursor behind one it had been asked from (nothing fetched again that was stored), each
//! agent's stores came in runs of one watcher per lease term, and each decision was applied
//! once by its agent.
//!
//! What an agent said after a kill is waited for a minute, or, when the simulated agent missed
//! its polls' timeout (a loaded machine: the fleet answers from the test's own runtime), a
//! minute after its new watcher's backoff lets it poll again (`wait_stored`): a poller that
//! never polled is told apart from one backing off.
//!
//! The watchers run with `failover_ms = 5000`, not the default 10 s: the issue allows the
//! bound to be configured, and the test asserts the 10 s. The worst case after a kill
//! is the lease term plus another watcher's heartbeat (an agent taken over is polled at once):
//! 4.2 s at 5 s, 8.3 s at the default, plus the heartbeat's own write, which on a loaded
//! two-core machine waits for the store's write lock behind the other watchers' polls. At the
//! default a round takes longer (the whole test about six minutes, not three and a half) and
//! leaves 1.7 s for that wait. The default's own distribution over 20 kills is `make bench`'s
//! `watchers_failover`, or this test with `BATON_SCALE_FAILOVER_MS=10000`.
//!
//! `BATON_SCALE_AGENTS`, `BATON_SCALE_INTERVAL_MS` and `BATON_SCALE_FAILOVER_MS` change the
//! agents (200), their poll interval (1 s) and the failover (5 s). Figures and the load they
//! were taken at: docs/performance-log.md.
//!
//! It runs in the PostgreSQL pass of the suite (`BATON_TEST_STORE=postgres`, scripts/test.sh),
//! in a test binary of its own so that nothing else shares the machine with it.

use crate::common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::watchers::{
    assert_cursors_never_go_back, assert_every_event_once, assert_one_watcher_per_lease_term,
    fleet_index, holders_in, kill_hard, start_watcher, Lines, Watcher,
};
use crate::common::Sandbox;
use baton_core::detect::FindingKind;
use baton_core::escalations::{EscalationAction, EscalationState};
use baton_core::protocol::{Event, EventKind};
use baton_sim::pollers::{one_at_a_time, ports_between, taken_over_after_kill};
use baton_sim::{SimConfig, SimFleet};
use baton_store::escalations::EscalationFilter;
use baton_store::Store;

const WATCHERS: usize = 3;
/// The fleet.
const DEFAULT_AGENTS: u64 = 200;
const KILLS: usize = 20;
const DEFAULT_INTERVAL_MS: u64 = 1_000;
const DEFAULT_FAILOVER_MS: u64 = 5_000;
/// The bound: a killed watcher's agents are polled again within it.
const TAKEOVER_BOUND: Duration = Duration::from_secs(10);
/// Asks decided per round (half from the CLI, half in the store).
const DECISIONS_PER_ROUND: usize = 4;
/// The last rounds decide from the CLI only: a decision made in the store waits for a relay
/// (up to 30 s when it has nothing due), and one claimed by a killed watcher for its claim to
/// lapse (60 s); the end of the test should not wait for both.
const STORE_DECISIONS_UNTIL: usize = KILLS - 6;

/// A number from the environment, or `default`.
fn knob(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Waits up to `limit` for `ready`; how long it took, or None when it never came.
fn wait_until(limit: Duration, mut ready: impl FnMut() -> bool) -> Option<Duration> {
    let started = Instant::now();
    loop {
        if ready() {
            return Some(started.elapsed());
        }
        if started.elapsed() >= limit {
            return None;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// What the watchers said about their leases (not their polls), for a failure's message.
fn lease_log(lines: &Lines) -> String {
    let quiet = [
        "ingested",
        "agent_up",
        "finding",
        "declaration_changed",
        "escalation_opened",
        "escalation_lapsing",
        "escalation_resolved",
        "decision_delivered",
    ];
    lines
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, l)| !quiet.contains(&l["kind"].as_str().unwrap_or_default()))
        .map(|(w, l)| format!("{} {w}: {} {}\n", l["at"], l["kind"], l["message"]))
        .collect()
}

/// Every agent held by a running watcher, each its share (the agents over the watchers,
/// rounded down or up).
fn shared_out(store: &Store, agents: usize, running: &[Watcher]) -> bool {
    let held = holders_in(store);
    let count = |name: &str| held.values().filter(|w| *w == name).count();
    held.len() == agents
        && held.values().all(|w| running.iter().any(|r| r.name == *w))
        && running
            .iter()
            .all(|w| (agents / WATCHERS..=agents.div_ceil(WATCHERS)).contains(&count(&w.name)))
}

/// Decides up to `count` open asks for approval, with `baton decide`, or every second one in
/// the store when `in_store`; returns the escalations decided, each with its agent.
fn decide_some(
    sandbox: &Sandbox,
    store: &mut Store,
    count: usize,
    in_store: bool,
) -> Vec<(i64, i64)> {
    let open = EscalationFilter {
        open: true,
        closed: 0,
    };
    let asks: Vec<(i64, i64)> = store
        .escalations(open)
        .expect("escalations")
        .into_iter()
        .filter(|e| {
            e.kind == FindingKind::NeedsApproval
                && e.state == EscalationState::Open
                && e.agents.len() == 1
        })
        .map(|e| (e.id, e.agents[0]))
        .take(count)
        .collect();
    let mut decided = Vec::new();
    for (n, (id, agent)) in asks.into_iter().enumerate() {
        if in_store && n % 2 == 1 {
            let approve = &EscalationAction::Approve;
            match store.decide_escalation(id, approve, None, "tester", chrono::Utc::now()) {
                Ok(_) => decided.push((id, agent)),
                // It expired meanwhile: nothing to deliver.
                Err(err) => eprintln!("escalation {id} not decided in the store: {err}"),
            }
        } else {
            let run = sandbox.run(&["decide", &id.to_string(), "approve", "--wait", "2"]);
            match run.code {
                Some(0) => decided.push((id, agent)),
                _ => eprintln!("escalation {id} not decided from the CLI:\n{}", run.all()),
            }
        }
    }
    decided
}

/// How long an agent's event may take to be stored when nothing holds it up: a poll by its
/// new holder and the write of what it fetched.
const STORED_WITHIN: Duration = Duration::from_secs(60);

/// Waits until each agent's event `said[agent]` (said after `since`) is stored: within
/// [`STORED_WITHIN`] of `since`, or, for an agent whose polls failed since (on a loaded machine
/// the simulated agents can miss the poll timeout), within [`STORED_WITHIN`] of the moment its
/// watcher's backoff lets it poll again: the last failed attempt plus the backoff's ceiling
/// after that many failures (`Backoff`, the engine's default). How long it took, or which
/// agents are late and why.
fn wait_stored(
    store: &Store,
    said: &HashMap<i64, i64>,
    since: chrono::DateTime<chrono::Utc>,
) -> Result<Duration, String> {
    let started = Instant::now();
    let backoff = baton_core::backoff::Backoff::default();
    let mut waiting: Vec<i64> = said.keys().copied().collect();
    loop {
        waiting.retain(|agent| store.event_seq_summary(*agent).expect("events").2 < said[agent]);
        if waiting.is_empty() {
            return Ok(started.elapsed());
        }
        let now = chrono::Utc::now();
        let late: Vec<String> = waiting
            .iter()
            .filter_map(|agent| {
                let health = store.health(*agent).expect("health");
                let failing_since = health
                    .last_attempt_at
                    .filter(|at| health.consecutive_failures > 0 && *at > since);
                let due = match failing_since {
                    Some(attempt) => {
                        let ceiling = backoff.ceiling_ms(health.consecutive_failures);
                        attempt + chrono::Duration::milliseconds(ceiling as i64)
                    }
                    None => since,
                };
                let limit = chrono::Duration::from_std(STORED_WITHIN).expect("a duration");
                (now > due + limit).then(|| match failing_since {
                    Some(at) => format!(
                        "agent {agent}: {} failed polls since the kill, the last at {at} ({:?}), \
                         and nothing stored {STORED_WITHIN:?} after its backoff ended",
                        health.consecutive_failures, health.last_error
                    ),
                    None => format!(
                        "agent {agent}: not polled again (no failed poll either) in {STORED_WITHIN:?}"
                    ),
                })
            })
            .collect();
        if !late.is_empty() {
            return Err(late.join("; "));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// What one kill measured.
struct Round {
    orphans: usize,
    /// From the kill to the last orphan's first request on another watcher's connection.
    polled: Duration,
    /// From the kill to every orphan's event said after it stored (read every 200 ms).
    stored: Duration,
    /// Outbox rows the killed watcher had claimed and not delivered: each may be sent again.
    claims_left: usize,
}

/// The simulated fleet, and the store's ids for its agents.
struct Fleet {
    sim: SimFleet,
    /// Store agent id → the fleet's index.
    index: HashMap<i64, usize>,
}

impl Fleet {
    fn sources(&self, agent: i64) -> Vec<(Instant, u16)> {
        self.sim.poll_sources(self.index[&agent])
    }
}

/// A steady stretch: since when the fleet was shared out, and each agent's lease epoch then.
struct Steady {
    since: Instant,
    epochs: HashMap<i64, i64>,
}

impl Steady {
    fn from_now(store: &Store) -> Steady {
        Steady {
            since: Instant::now(),
            epochs: lease_epochs(store),
        }
    }
}

/// Each agent's lease epoch (its term's number: it moves on when the lease changes hands).
fn lease_epochs(store: &Store) -> HashMap<i64, i64> {
    store
        .agent_leases()
        .expect("leases")
        .into_iter()
        .map(|(agent, _, epoch, _)| (agent, epoch))
        .collect()
}

/// One round: checks the steady stretch (one poller per agent), kills the watcher holding the
/// most agents, waits until they are polled again and what they said after the kill is
/// stored, and starts it again.
#[allow(clippy::too_many_arguments)]
fn kill_round(
    round: usize,
    sandbox: &Sandbox,
    store: &Store,
    fleet: &Fleet,
    watchers: &mut [Watcher],
    config: &str,
    lines: &Lines,
    steady: &Steady,
) -> Round {
    let held = holders_in(store);
    let stretch = (steady.since + Duration::from_secs(1), Instant::now());
    // An agent whose lease changed hands within the stretch (a heartbeat late on a loaded
    // machine, the agent taken and given back) had two pollers in it by design, each in its
    // own term (`assert_one_watcher_per_lease_term` checks those): only the others must have
    // been polled on one connection.
    let epochs = lease_epochs(store);
    let mut moved = 0;
    for &agent in fleet.index.keys() {
        if epochs.get(&agent) != steady.epochs.get(&agent) {
            moved += 1;
            continue;
        }
        let ports = ports_between(&fleet.sources(agent), stretch.0, stretch.1);
        assert!(
            one_at_a_time(&ports),
            "round {round}: agent {agent} was polled on connections taking turns: {ports:?}\n{}",
            lease_log(lines)
        );
    }
    assert!(
        moved < fleet.index.len(),
        "round {round}: every agent changed hands in the steady stretch\n{}",
        lease_log(lines)
    );
    if moved > 0 {
        eprintln!("round {round}: {moved} agent(s) changed hands in the steady stretch");
    }

    // kill -9 of the watcher holding the most agents.
    let slot = (0..watchers.len())
        .max_by_key(|&s| held.values().filter(|h| **h == watchers[s].name).count())
        .expect("a watcher");
    let victim = watchers[slot].name.clone();
    let orphans: Vec<i64> = held
        .iter()
        .filter(|(_, w)| **w == victim)
        .map(|(agent, _)| *agent)
        .collect();
    let victim_id = store
        .watchers_view()
        .expect("watchers")
        .into_iter()
        .filter(|w| w.name == victim)
        // Its row, live or not: a heartbeat late on a loaded machine may have let it lapse
        // since the leases were read.
        .max_by_key(|w| w.id)
        .map(|w| w.id)
        .expect("the victim's row");
    assert!(
        !orphans.is_empty(),
        "round {round}: the watcher holding the most agents holds none: {held:?}\n{}",
        lease_log(lines)
    );
    kill_hard(&mut watchers[slot]);
    let killed_at = Instant::now();
    // The killed watcher's connection to each of its agents: the one its last request came on.
    // (Not every port of the stretch: an agent handed to it during the stretch may go back to
    // its former poller, on that poller's kept-alive connection.)
    let victims_port: HashMap<i64, Vec<u16>> = orphans
        .iter()
        .map(|&agent| {
            let sources = fleet.sources(agent);
            let last = sources.iter().rev().find(|(at, _)| *at <= killed_at);
            (agent, last.map(|(_, port)| *port).into_iter().collect())
        })
        .collect();
    let claims_left = store
        .outbox_rows()
        .expect("outbox")
        .into_iter()
        .filter(|r| r.delivered_at.is_none() && r.claimed_by == Some(victim_id))
        .count();
    // Something new at each of its agents, said after it died: stored means polled again, by
    // a watcher holding the agent's lease (a write without it is refused by its fence).
    let said: HashMap<i64, i64> = orphans
        .iter()
        .map(|&agent| {
            let index = fleet.index[&agent];
            let mut event = Event::new(0, chrono::Utc::now(), EventKind::Read);
            event.resource = Some(format!("scale://after-kill/{round}"));
            fleet.sim.inject_event(index, event);
            (agent, fleet.sim.last_seq(index) as i64)
        })
        .collect();
    let killed_utc = chrono::Utc::now();
    let stored = wait_stored(store, &said, killed_utc).unwrap_or_else(|late| {
        panic!(
            "round {round}: of {victim}'s agents, {late}; held: {:?}\n{}",
            holders_in(store),
            lease_log(lines)
        )
    });
    // At the agents: the first request after the kill on a connection the killed watcher did
    // not use, or any once its last requests can no longer be on their way.
    let polled = orphans
        .iter()
        .map(|agent| {
            taken_over_after_kill(&fleet.sources(*agent), killed_at, &victims_port[agent])
                .map_or(Duration::MAX, |at| at - killed_at)
        })
        .max()
        .unwrap_or_default();
    eprintln!(
        "round {round}: kill -9 of {victim} ({} agents, {claims_left} delivery claim(s)): polled again within {polled:?}, stored within {stored:?}",
        orphans.len()
    );
    let name = format!("w{}.{}", slot + 1, round + 1);
    watchers[slot] = start_watcher(sandbox, config, &name, lines);
    Round {
        orphans: orphans.len(),
        polled,
        stored,
        claims_left,
    }
}

#[test]
fn three_watchers_share_the_fleet_through_20_kills() {
    if baton_testdb::engine() != baton_testdb::Engine::Postgres {
        eprintln!("runs in the PostgreSQL pass (BATON_TEST_STORE=postgres)");
        return;
    }
    let agents = knob("BATON_SCALE_AGENTS", DEFAULT_AGENTS) as usize;
    let interval_ms = knob("BATON_SCALE_INTERVAL_MS", DEFAULT_INTERVAL_MS);
    let failover_ms = knob("BATON_SCALE_FAILOVER_MS", DEFAULT_FAILOVER_MS);
    let sandbox = Sandbox::new();
    let mut store = sandbox.open_store_result().expect("open the store");
    // The fleet on a runtime of its own: the test's waits block this thread only.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("the fleet's runtime");
    let sim = runtime
        .block_on(SimFleet::start(SimConfig {
            agents,
            base_port: 0,
            tick_ms: 1_000,
            ..SimConfig::default()
        }))
        .expect("start the fleet");
    let timeout_ms = 800.min(interval_ms * 4 / 5);
    let mut config = common::fleet_config(&sim, interval_ms, timeout_ms);
    config.push_str(&format!("[watch]\nfailover_ms = {failover_ms}\n"));
    let config = sandbox.write("baton.toml", &config);
    let config = config.to_str().expect("a UTF-8 path");
    let lines: Lines = Arc::default();

    let started = Instant::now();
    let mut watchers: Vec<Watcher> = (1..=WATCHERS)
        .map(|n| start_watcher(&sandbox, config, &format!("w{n}"), &lines))
        .collect();
    let share_limit = Duration::from_secs(120);
    wait_until(share_limit, || shared_out(&store, agents, &watchers)).unwrap_or_else(|| {
        panic!(
            "three watchers never shared the fleet: {:?}\n{}",
            holders_in(&store),
            lease_log(&lines)
        )
    });
    eprintln!(
        "{agents} agents at {interval_ms} ms shared out in {:?}",
        started.elapsed()
    );
    let index = fleet_index(&store, &sim);
    let fleet = Fleet { sim, index };

    let mut rounds = Vec::new();
    let mut decided: Vec<(i64, i64)> = Vec::new();
    let mut steady = Steady::from_now(&store);
    for round in 0..KILLS {
        let in_store = round < STORE_DECISIONS_UNTIL;
        decided.extend(decide_some(
            &sandbox,
            &mut store,
            DECISIONS_PER_ROUND,
            in_store,
        ));
        // A steady stretch of at least four intervals before the kill.
        let stretch_ends = steady.since + Duration::from_millis(4 * interval_ms.max(1_000));
        std::thread::sleep(stretch_ends.saturating_duration_since(Instant::now()));
        rounds.push(kill_round(
            round,
            &sandbox,
            &store,
            &fleet,
            &mut watchers,
            config,
            &lines,
            &steady,
        ));
        wait_until(share_limit, || shared_out(&store, agents, &watchers)).unwrap_or_else(|| {
            panic!(
                "round {round}: not shared out again: {:?}\n{}",
                holders_in(&store),
                lease_log(&lines)
            )
        });
        steady = Steady::from_now(&store);
    }

    // The end: every decision delivered, everything the agents said stored.
    let delivered = wait_until(Duration::from_secs(180), || {
        let rows = store.outbox_rows().expect("outbox");
        rows.iter().all(|r| r.delivered_at.is_some())
    });
    let last: HashMap<i64, i64> = fleet
        .index
        .iter()
        .map(|(agent, index)| (*agent, fleet.sim.last_seq(*index) as i64))
        .collect();
    let caught_up = wait_stored(&store, &last, chrono::Utc::now());
    for watcher in &mut watchers {
        kill_hard(watcher);
    }
    eprint!("{}", lease_log(&lines));
    let sorted = |f: fn(&Round) -> Duration| {
        let mut all: Vec<Duration> = rounds.iter().map(f).collect();
        all.sort();
        let at = |q: usize| all[(all.len() * q / 100).min(all.len() - 1)];
        (at(50), at(90), all[all.len() - 1])
    };
    eprintln!(
        "{KILLS} kills of the watcher holding the most agents ({}–{} of {agents}), failover {failover_ms} ms: polled again within {:?} (p50, p90, max), stored within {:?}; {} decisions; {:?} in all",
        rounds.iter().map(|r| r.orphans).min().unwrap_or(0),
        rounds.iter().map(|r| r.orphans).max().unwrap_or(0),
        sorted(|r| r.polled),
        sorted(|r| r.stored),
        decided.len(),
        started.elapsed()
    );
    let each: Vec<String> = rounds
        .iter()
        .map(|r| format!("{:.1}", r.polled.as_secs_f64()))
        .collect();
    eprintln!(
        "polled again after each kill, in order (s): {}",
        each.join(" ")
    );
    assert!(
        delivered.is_some(),
        "every decision delivered within 3 minutes"
    );
    if let Err(late) = caught_up {
        panic!("every agent's last event stored: {late}");
    }

    // Polled again within the bound, every time.
    for (n, r) in rounds.iter().enumerate() {
        assert!(
            r.polled <= TAKEOVER_BOUND,
            "kill {n}: the last of {} agents polled again after {:?}",
            r.orphans,
            r.polled
        );
    }
    // No event twice, none missing; one watcher per lease term stored each agent's polls.
    assert_every_event_once(&sandbox);
    assert_cursors_never_go_back(&fleet.sim, &fleet.index);
    let lines = lines.lock().unwrap().clone();
    assert_one_watcher_per_lease_term(&sandbox, &lines);
    // Each decision reached its agent once: applied once (the agent keeps each key once, and a
    // decision has one key per agent), and sent twice only when a watcher was killed holding
    // its claim (the next one sends it again with the same key).
    assert!(!decided.is_empty(), "some asks were decided");
    for (id, agent) in &decided {
        let got: Vec<String> = fleet
            .sim
            .decisions(fleet.index[agent])
            .into_iter()
            .filter_map(|d| d.escalation_id)
            .collect();
        let times = got.iter().filter(|e| **e == format!("esc-{id}")).count();
        assert_eq!(
            times, 1,
            "escalation {id}: applied by agent {agent} {times} times: {got:?}"
        );
    }
    let resent: u64 = (0..agents)
        .map(|i| fleet.sim.decision_stats(i).duplicates)
        .sum();
    let claims: usize = rounds.iter().map(|r| r.claims_left).sum();
    // A decision goes again after a claim a killed watcher left, or after an attempt that
    // failed or timed out (on a loaded machine the agent may have taken it all the same): each
    // such attempt is counted in its row.
    let retried: u64 = store
        .outbox_rows()
        .expect("outbox")
        .iter()
        .map(|r| u64::from(r.item.attempts.saturating_sub(1)))
        .sum();
    assert!(
        resent <= claims as u64 + retried,
        "{resent} decisions sent again, but killed watchers held only {claims} claims and \
         {retried} attempts were made again after one that failed"
    );
    runtime.block_on(fleet.sim.shutdown());
}
