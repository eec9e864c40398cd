//! The report of a `watchers_failover` run: markdown tables for docs/performance.md.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::changes::Moves;
use crate::support::lateness::Lateness;
use crate::support::{mib, percentile, table, watch_stats, Summary};
use crate::watchers::Slot;
use crate::{Flags, Kill};

pub struct Run<'a> {
    pub flags: &'a Flags,
    pub machine: String,
    pub date: String,
    pub open_files: u64,
    pub baton: &'a Path,
    /// From the watchers' start to the agents shared out the first time.
    pub first_share: Duration,
    /// Poll timing in the steady stretches (the failovers left out) …
    pub late: Lateness,
    /// … and over the whole run after the first share.
    pub all: Lateness,
    /// Polls received in each 5 s of each steady stretch, and the share of its polls in the
    /// busiest tenth of the interval.
    pub steady_counts: Vec<(Vec<usize>, f64)>,
    pub slots: &'a [Slot],
    pub server: Option<Summary>,
    pub kills: &'a [Kill],
    /// After each restart, how long until the agents were shared out again.
    pub reshare: &'a [Option<Duration>],
    /// After each restart, the agents that moved to it and those that stayed.
    pub hand_back: (Moves, Moves),
    /// After each kill, the killed watcher's agents and the survivors' own.
    pub takeover: (Moves, Moves),
    /// Between two heartbeats of one watcher, in ms (the database's clock).
    pub beat_gaps: Vec<u32>,
    /// Samples of the server: sessions waiting for the store's write lock, active, idle in a
    /// transaction (waiting for their client's next statement).
    pub lock_waits: Vec<(u32, u32, u32)>,
}

/// What a watcher's output says about its leases: (cut off, fenced, took or gave back).
fn lease_lines(outputs: &[PathBuf]) -> (usize, usize, usize) {
    use std::io::BufRead;
    let mut counts = (0, 0, 0);
    for path in outputs {
        let Ok(file) = std::fs::File::open(path) else {
            continue;
        };
        for line in std::io::BufReader::new(file).lines().map_while(Result::ok) {
            if line.contains("no heartbeat reached the store") {
                counts.0 += 1;
            } else if line.contains(": not stored: ") {
                counts.1 += 1;
            } else if line.contains(" agent(s) (took ") {
                counts.2 += 1;
            }
        }
    }
    counts
}

fn seconds(d: Option<u32>) -> String {
    d.map_or("n/a".into(), |ms| {
        format!("{:.2} s", f64::from(ms) / 1000.0)
    })
}

fn ms(v: Option<u32>) -> String {
    v.map_or("n/a".into(), |v| format!("{v} ms"))
}

pub fn print(run: &Run<'_>) {
    let f = run.flags;
    println!();
    println!(
        "## watchers_failover: {} watchers, {} simulated agents at {} ms, failover {} ms, {} kills",
        f.watchers, f.agents, f.interval_ms, f.failover_ms, f.kills
    );
    println!();
    println!(
        "- machine: {}; open files limit {}",
        run.machine, run.open_files
    );
    println!("- date: {}; baton: {}", run.date, run.baton.display());
    println!(
        "- store: PostgreSQL (a server on this machine, fsync {}, settings: {}){}",
        if f.no_fsync {
            "off, as the tests run it"
        } else {
            "on"
        },
        crate::support::postgres_settings(),
        if f.store_rtt_ms > 0 {
            format!(
                "; the watchers reach it through a proxy {} ms of round trip away",
                f.store_rtt_ms
            )
        } else {
            String::new()
        }
    );
    println!(
        "- shared out {:.1} s after the watchers started; {} s steady before each kill; the \
         killed watcher started again {}",
        run.first_share.as_secs_f64(),
        f.steady_seconds,
        match f.restart_after_seconds {
            0 => "as soon as its agents were polled again".to_owned(),
            s => format!("{s} s after its agents were polled again"),
        }
    );
    println!();

    let mut times: Vec<u32> = run
        .kills
        .iter()
        .filter_map(|k| k.failover)
        .map(|d| u32::try_from(d.as_millis()).unwrap_or(u32::MAX))
        .collect();
    times.sort_unstable();
    let missed = run
        .kills
        .iter()
        .filter(|k| k.failover.is_none() && k.orphans > 0)
        .count();
    let empty = run.kills.iter().filter(|k| k.orphans == 0).count();
    let orphans: Vec<usize> = run.kills.iter().map(|k| k.orphans).collect();
    let mut reshare: Vec<u32> = run
        .reshare
        .iter()
        .flatten()
        .map(|d| u32::try_from(d.as_millis()).unwrap_or(u32::MAX))
        .collect();
    reshare.sort_unstable();
    println!(
        "{}",
        table(
            &[
                "failover (kill -9 to every agent polled by another watcher)",
                ""
            ],
            &[
                vec![
                    "kills timed / not polled again within 120 s / of a watcher holding nothing"
                        .into(),
                    format!("{} / {missed} / {empty}", times.len())
                ],
                vec![
                    "agents of the killed watcher".into(),
                    format!(
                        "{}–{}",
                        orphans.iter().min().unwrap_or(&0),
                        orphans.iter().max().unwrap_or(&0)
                    )
                ],
                vec![
                    "p50 / p90 / p99 / max".into(),
                    format!(
                        "{} / {} / {} / {}",
                        seconds(percentile(&times, 0.50)),
                        seconds(percentile(&times, 0.90)),
                        seconds(percentile(&times, 0.99)),
                        seconds(times.last().copied())
                    )
                ],
                vec![
                    "each kill, in order".into(),
                    run.kills
                        .iter()
                        .map(|k| k
                            .failover
                            .map_or("—".into(), |d| format!("{:.1}", d.as_secs_f64())))
                        .collect::<Vec<_>>()
                        .join(" ")
                ],
                vec![
                    "restarted watcher to shared out again, p50 / max".into(),
                    format!(
                        "{} / {} ({} of {} rounds)",
                        seconds(percentile(&reshare, 0.5)),
                        seconds(reshare.last().copied()),
                        reshare.len(),
                        run.reshare.len()
                    )
                ],
            ]
        )
    );
    let mut gaps = run.beat_gaps.clone();
    gaps.sort_unstable();
    let every = f.failover_ms / 6;
    let acting = f.failover_ms * 2 / 3 * 9 / 10;
    let over = gaps.iter().filter(|g| u64::from(**g) > acting).count();
    println!(
        "{}",
        table(
            &[
                &format!("heartbeats (one every {every} ms; a watcher stops itself after {acting} ms without one)"),
                ""
            ],
            &[
                vec![
                    "server sessions, mean: waiting for the store's write lock / active / in a transaction waiting for their client".into(),
                    {
                        let n = run.lock_waits.len().max(1) as f64;
                        let mean = |f: fn(&(u32, u32, u32)) -> u32| {
                            f64::from(run.lock_waits.iter().map(f).sum::<u32>()) / n
                        };
                        format!(
                            "{:.1} / {:.1} / {:.1} (over {} samples, one every 2 s)",
                            mean(|w| w.0),
                            mean(|w| w.1),
                            mean(|w| w.2),
                            run.lock_waits.len()
                        )
                    }
                ],
                vec![
                "time between two of one watcher, p50 / p99 / max".into(),
                format!(
                    "{} / {} / {} (over {} gaps; {over} longer than {acting} ms)",
                    ms(percentile(&gaps, 0.5)),
                    ms(percentile(&gaps, 0.99)),
                    ms(gaps.last().copied()),
                    gaps.len()
                )
            ]
            ]
        )
    );
    let agents = f.agents as usize;
    let mut rows = run.late.rows("steady: ", f.interval_ms, agents);
    for (n, (counts, busiest)) in run.steady_counts.iter().enumerate() {
        let each: Vec<String> = counts.iter().map(usize::to_string).collect();
        rows.push(vec![
            format!(
                "steady stretch {}: polls in each 5 s (of {}); in the busiest tenth of the interval",
                n + 1,
                agents * 5
            ),
            format!("{}; {:.1} %", each.join(" "), busiest * 100.0),
        ]);
    }
    rows.extend(
        run.takeover
            .0
            .rows("takeover, agents of the killed watcher"),
    );
    rows.extend(run.takeover.1.rows("takeover, the survivors' own agents"));
    rows.extend(run.hand_back.0.rows("hand-back, agents moved"));
    rows.extend(run.hand_back.1.rows("hand-back, agents kept"));
    rows.extend(run.all.rows("whole run: ", f.interval_ms, agents));
    println!("{}", table(&["polls, timed at the agents", ""], &rows));

    let mut rows = Vec::new();
    for (n, slot) in run.slots.iter().enumerate() {
        let cpu = if slot.wall_seconds > 0.0 {
            slot.cpu_seconds / slot.wall_seconds * 100.0
        } else {
            0.0
        };
        let (cut, fenced, moves) = lease_lines(&slot.outputs);
        rows.push(vec![
            format!("w{} ({} processes)", n + 1, slot.outputs.len()),
            format!("{cpu:.1} %"),
            mib(slot.rss_max_kib),
            format!("{moves} / {cut} / {fenced}"),
        ]);
    }
    if let Some(server) = &run.server {
        rows.push(vec![
            "PostgreSQL (postmaster and backends)".into(),
            format!("{:.1} %", server.cpu_mean),
            mib(server.rss_max),
            String::new(),
        ]);
    }
    println!(
        "{}",
        table(
            &[
                "process (from /proc, every 0.5 s)",
                "CPU, % of one core (mean)",
                "RSS, max",
                "lines: took or gave back / cut off / fenced"
            ],
            &rows
        )
    );
    for (n, slot) in run.slots.iter().enumerate() {
        let Some(fields) = slot.outputs.last().and_then(|out| watch_stats(out)) else {
            continue;
        };
        let fields: Vec<String> = fields
            .iter()
            .filter(|(name, _)| {
                name.starts_with("writer")
                    || name.starts_with("first_polls")
                    || name.ends_with("p99_ms")
            })
            .map(|(name, value)| format!("{name} {value}"))
            .collect();
        if !fields.is_empty() {
            println!("w{} (last process) stats: {}", n + 1, fields.join(", "));
        }
    }
}
