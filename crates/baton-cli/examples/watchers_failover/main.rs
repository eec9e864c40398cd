//! Watchers failover: several release `baton watch` processes sharing N simulated agents on one
//! PostgreSQL store, and `kill -9` of the one holding the most agents, again and again.
//!
//! ```text
//! cargo build --release --locked -p baton-cli
//! cargo run --release --locked -p baton-cli --example watchers_failover -- \
//!     [--agents 1000] [--watchers 2] [--kills 20] [--interval-ms 1000] [--failover-ms 10000] \
//!     [--steady-seconds 20] [--restart-after-seconds 0] [--store-rtt-ms 0] [--baton PATH] [--keep]
//! ```
//!
//! Starts a throwaway PostgreSQL (baton-testdb, fsync on) and the simulated fleet (`baton-sim`,
//! a tick a second) in this process, writes a baton.toml naming every agent, and starts the
//! watchers on it (with `--store-rtt-ms`, through a proxy that holds every byte for half that
//! round trip each way: the server as if on another host). Once they share the agents, each
//! round lets them run `--steady-seconds`, then kills (SIGKILL) the watcher holding the most
//! agents and times how long until each of its agents receives a request on another watcher's
//! connection (the agents keep each request's port): that is the failover time. Then the
//! killed watcher starts again (at once, or `--restart-after-seconds` later: the hand-back
//! apart from the takeover's aftermath) and the next round waits until the agents are shared
//! out again.
//!
//! It prints the polls made and their lateness at the agents in the steady stretches (the
//! failovers left out), each takeover and hand-back (the survivor taking the killed watcher's
//! agents, the restarted one taking its share back: `changes.rs`), the CPU of each watcher and
//! of the server (from /proc), the failover times (p50 / p90 / p99 / max) and what the
//! watchers said about their leases. It asserts nothing: exit 0 whatever the figures, 2 when
//! the harness itself fails.

mod changes;
mod probe;
mod report;
#[path = "../support/mod.rs"]
mod support;
mod watchers;

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use baton_sim::pollers::{ports_between, taken_over_after_kill};
use probe::Probe;
use support::lateness::{busiest_tenth, counts_by, lateness_in};
use support::*;
use watchers::{
    held_by, holders, run_for, shared_out, start, wait_for, Running, Slot, ROUND_LIMIT,
};

/// watchers_failover: watchers sharing N simulated agents on PostgreSQL, killed in turn; prints
/// poll timing, CPU per watcher and the failover times.
#[derive(clap::Parser)]
struct Flags {
    /// Simulated agents
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    agents: u64,
    /// Watchers sharing them
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(2..=16))]
    watchers: u64,
    /// Kills (rounds)
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..))]
    kills: u64,
    /// Poll interval of every agent (what baton accepts: 250 to 3600000)
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(250..=3_600_000))]
    interval_ms: u64,
    /// The watchers' failover bound (`[watch] failover_ms`; baton's default is 10000)
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(600..=3_600_000))]
    failover_ms: u64,
    /// How long the watchers run shared out before each kill, in seconds (longer than the 6 s a
    /// hand-back is watched after it settled, so the next kill falls outside it)
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(7..))]
    steady_seconds: u64,
    /// How long after the takeover the killed watcher starts again, in seconds (0: as soon as
    /// its agents are polled again; more: the hand-back comes after the taker caught up)
    #[arg(long, default_value_t = 0)]
    restart_after_seconds: u64,
    /// The baton binary (default: target/release/baton, next to this example)
    #[arg(long)]
    baton: Option<PathBuf>,
    /// Keep the temp dir (baton.toml, the watchers' output) and print its path
    #[arg(long)]
    keep: bool,
    /// The server with `fsync` off, as the tests run it (commits do not wait for the disk)
    #[arg(long)]
    no_fsync: bool,
    /// The watchers reach the server through a proxy that makes it this many ms of round trip
    /// away (0: directly); the harness itself reads it directly
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=1000))]
    store_rtt_ms: u64,
}

/// What one kill measured.
struct Kill {
    orphans: usize,
    /// From the kill to the last of its agents' first request from another watcher; None when
    /// not all were polled again within [`ROUND_LIMIT`].
    failover: Option<Duration>,
}

fn main() -> std::process::ExitCode {
    let flags = <Flags as clap::Parser>::parse();
    match run(flags) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("watchers_failover: error: {err}");
            std::process::ExitCode::from(2)
        }
    }
}

fn run(flags: Flags) -> Fallible<()> {
    catch_interrupts();
    let open_files = raise_open_files();
    let machine = machine();
    let date = now_utc();
    let baton = find_baton(flags.baton.clone())?;
    let agents = flags.agents as usize;
    let tmp = tempfile::Builder::new()
        .prefix("watchers_failover-")
        .tempdir()
        .map_err(|e| format!("cannot make a temp dir: {e}"))?;
    let dir = tmp.path().to_owned();
    std::fs::create_dir(dir.join("data")).map_err(|e| format!("data dir: {e}"))?;
    let stats = watch_takes_stats(&baton, &dir);
    let url = postgres_store_with(!flags.no_fsync);
    let mut probe = Probe::of_the_server();
    let (fleet_rt, fleet) = start_fleet(agents)?;
    // The watchers' store (`BATON_STORE`, which they inherit): the server, or the proxy.
    let _far = if flags.store_rtt_ms > 0 {
        let port = baton_testdb::server().port();
        let target = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        let round_trip = Duration::from_millis(flags.store_rtt_ms);
        let proxy = baton_testdb::delay::DelayProxy::start(target, round_trip)
            .map_err(|e| format!("cannot start the delaying proxy: {e}"))?;
        std::env::set_var("BATON_STORE", proxy.url_through(&url, port));
        Some(proxy)
    } else {
        None
    };
    let timeout_ms = 800.min(flags.interval_ms * 4 / 5);
    let config = write_fleet_config(
        &fleet,
        &dir,
        "watchers_failover",
        flags.interval_ms,
        timeout_ms,
        &format!("[watch]\nfailover_ms = {}\n", flags.failover_ms),
    )?;
    eprintln!(
        "watchers_failover: {agents} agents, {} watchers on {url}; output in {}",
        flags.watchers,
        dir.display()
    );
    let mut watchers: Vec<Running> = (1..=flags.watchers)
        .map(|n| start(&baton, &dir, &config, &format!("w{n}"), stats))
        .collect::<Fallible<_>>()?;
    let mut slots: Vec<Slot> = (0..watchers.len()).map(|_| Slot::default()).collect();
    let location = baton_store::StoreLocation::parse(&url).map_err(|e| e.to_string())?;
    // The first watcher makes the schema; the harness reads once it is there.
    let store = {
        let mut opened = None;
        wait_for(&mut watchers, &mut probe, |_| {
            opened = baton_store::Store::open_at(&location).ok();
            Ok(opened.is_some())
        })?;
        opened.ok_or("the store never opened")?
    };
    probe.store = baton_store::Store::open_at(&location).ok();
    let t0 = Instant::now();
    let first_share = wait_for(&mut watchers, &mut probe, |w| {
        Ok(shared_out(
            &holders(&store)?,
            agents,
            &w.iter().collect::<Vec<_>>(),
        ))
    })?
    .ok_or("the watchers never shared the agents out")?;
    let index: HashMap<i64, usize> = store
        .agents()
        .map_err(|e| format!("agents: {e}"))?
        .into_iter()
        .filter_map(|a| Some((a.id, fleet.index_of(&a.base_url)?)))
        .collect();

    let mut kills = Vec::new();
    let mut steady = Vec::new();
    let mut reshare = Vec::new();
    let mut hand_backs = Vec::new();
    let mut takeovers = Vec::new();
    for round in 0..flags.kills as usize {
        let from = Instant::now();
        if !run_for(
            Duration::from_secs(flags.steady_seconds),
            &mut watchers,
            &mut probe,
        ) {
            return Err("interrupted".into());
        }
        // The stretch starts a second after the share settled (pollers just started).
        steady.push((from + Duration::from_secs(1), Instant::now()));
        let held = holders(&store)?;
        let slot = (0..watchers.len())
            .max_by_key(|&s| held.values().filter(|h| **h == watchers[s].name).count())
            .unwrap_or(0);
        let victim = watchers[slot].name.clone();
        let (orphans, survivors) = held_by(&held, &index, &victim);
        let since = Instant::now() - Duration::from_secs(3);
        let old: HashMap<usize, Vec<u16>> = orphans
            .iter()
            .map(|&i| {
                (
                    i,
                    ports_between(&fleet.poll_sources(i), since, Instant::now()),
                )
            })
            .collect();
        // kill -9; it starts again only once its agents are polled again (a watcher started on
        // the same machine would free the dead one's leases at once).
        let mut dead = watchers.remove(slot);
        dead.sampler.sample();
        dead.proc.signal(libc::SIGKILL);
        dead.proc.wait_for(Duration::from_secs(10));
        let killed_at = Instant::now();
        slots[slot].add(&dead.sampler.summary());
        slots[slot].outputs.push(dead.out);
        let mut failover = None;
        // A victim holding nothing (the watchers were busy taking each other's agents): no
        // failover to time.
        let took = wait_for(&mut watchers, &mut probe, |_| {
            if orphans.is_empty() {
                return Ok(true);
            }
            let last = orphans
                .iter()
                .map(|&i| taken_over_after_kill(&fleet.poll_sources(i), killed_at, &old[&i]))
                .collect::<Option<Vec<Instant>>>();
            failover = last
                .and_then(|l| l.into_iter().max())
                .map(|at| at - killed_at);
            Ok(failover.is_some())
        })?;
        if took.is_none() {
            eprintln!(
                "round {round}: not every agent of {victim} was polled again within {ROUND_LIMIT:?}"
            );
        }
        // What each poll carries grows for the first minutes (a simulated agent answers with
        // every task it keeps, up to baton-sim's MAX_TASKS): rounds are compared at their load.
        let agents = fleet.agents().len().max(1);
        let tasks: usize = (0..agents).map(|i| fleet.tasks(i).len()).sum();
        eprintln!(
            "round {round}: kill -9 of {victim} ({} agents): polled again within {}; answers carry {} tasks (mean)",
            orphans.len(),
            failover.map_or("—".into(), |d| format!("{:.2} s", d.as_secs_f64())),
            tasks / agents
        );
        takeovers.push(changes::Change {
            from: killed_at,
            settled: failover.map_or_else(Instant::now, |d| killed_at + d),
            moved: orphans.clone(),
            kept: survivors,
        });
        kills.push(Kill {
            orphans: orphans.len(),
            failover,
        });
        if !run_for(
            Duration::from_secs(flags.restart_after_seconds),
            &mut watchers,
            &mut probe,
        ) {
            return Err("interrupted".into());
        }
        let name = format!("w{}.{}", slot + 1, round + 1);
        let restarted = Instant::now();
        watchers.insert(slot, start(&baton, &dir, &config, &name, stats)?);
        let again = wait_for(&mut watchers, &mut probe, |w| {
            Ok(shared_out(
                &holders(&store)?,
                agents,
                &w.iter().collect::<Vec<_>>(),
            ))
        })?;
        reshare.push(again);
        let held = holders(&store)?;
        let (moved, kept) = held_by(&held, &index, &name);
        hand_backs.push(changes::Change {
            from: restarted,
            settled: Instant::now(),
            moved,
            kept,
        });
    }
    // The last hand-back is watched for its while too.
    if !run_for(changes::AFTER, &mut watchers, &mut probe) {
        return Err("interrupted".into());
    }
    let end = Instant::now();
    for (slot, w) in watchers.iter_mut().enumerate() {
        w.sampler.sample();
        slots[slot].add(&w.sampler.summary());
        // Ctrl-C, as a person stops it: it gives its leases back and prints its `--stats`.
        w.proc.signal(libc::SIGINT);
        w.proc.wait_for(Duration::from_secs(20));
        w.proc.stop(Duration::from_secs(5));
        slots[slot].outputs.push(w.out.clone());
    }
    let arrivals: Vec<Vec<Instant>> = (0..agents).map(|i| fleet.poll_arrivals(i)).collect();
    let late = lateness_in(&arrivals, &steady, flags.interval_ms);
    let steady_counts = steady
        .iter()
        .map(|&stretch| {
            (
                counts_by(&arrivals, stretch, Duration::from_secs(5)),
                busiest_tenth(&arrivals, stretch, Duration::from_millis(flags.interval_ms)),
            )
        })
        .collect();
    let all = lateness_in(&arrivals, &[(t0 + first_share, end)], flags.interval_ms);
    let interval = Duration::from_millis(flags.interval_ms);
    let sources: Vec<Vec<(Instant, u16)>> = (0..agents).map(|i| fleet.poll_sources(i)).collect();
    let moved = changes::Moves::measure(&hand_backs, &sources, interval, false, |b| &b.moved);
    let kept = changes::Moves::measure(&hand_backs, &sources, interval, false, |b| &b.kept);
    let taken = changes::Moves::measure(&takeovers, &sources, interval, true, |b| &b.moved);
    let survived = changes::Moves::measure(&takeovers, &sources, interval, false, |b| &b.kept);
    if flags.keep {
        for (file, list) in [
            ("hand_backs.tsv", &hand_backs),
            ("takeovers.tsv", &takeovers),
        ] {
            let polls = dir.join(file);
            if let Err(err) = changes::write_polls(&polls, list, &sources, t0) {
                eprintln!("cannot write {}: {err}", polls.display());
            }
        }
    }
    fleet_rt.block_on(async {
        let _ = tokio::time::timeout(Duration::from_secs(30), fleet.shutdown()).await;
    });
    fleet_rt.shutdown_timeout(Duration::from_secs(5));
    report::print(&report::Run {
        flags: &flags,
        machine,
        date,
        open_files,
        baton: &baton,
        first_share,
        late,
        all,
        steady_counts,
        slots: &slots,
        server: probe.server.map(|s| s.summary()),
        beat_gaps: probe.beat_gaps,
        lock_waits: probe.lock_waits,
        kills: &kills,
        reshare: &reshare,
        hand_back: (moved, kept),
        takeover: (taken, survived),
    });
    if flags.keep {
        println!("kept: {}", tmp.keep().display());
    }
    Ok(())
}
