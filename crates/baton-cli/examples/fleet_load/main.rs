//! Fleet load: the release `baton watch` polling N simulated agents, as a user runs it.
//!
//! ```text
//! cargo build --release --locked -p baton-cli
//! cargo run --release --locked -p baton-cli --example fleet_load -- \
//!     [--agents 1000] [--seconds 600] [--interval-ms 1000] [--baton PATH] [--keep] [--postgres]
//!     [--otlp-rate 20000 [--otlp-senders 4] [--otlp-batch 512]]
//! ```
//!
//! With `--otlp-rate`, senders post GenAI spans to the watch's OTLP receiver meanwhile
//! (`otlp.rs`: paced, the answers' times and the watch's RSS a minute in the report).
//!
//! Starts the simulated fleet (`baton-sim`, one listener per agent on 127.0.0.1) in this process
//! on a tokio runtime of its own, writes a baton.toml listing every agent, and runs
//! `baton --data-dir <tmp> watch --config <file> --duration <seconds>` with its output in files.
//! Every second it reads the watch process from /proc (CPU, VmRSS, Pss, threads). The agents
//! time each poll they receive: lateness is the gap between two polls minus the interval. The
//! first 10 s (pollers start spread over the interval) are left out of the lateness figures.
//!
//! It prints figures and asserts none: exit 0 whatever they are, 2 when the harness itself fails
//! (no baton binary, cannot start the fleet, …). A watch that overruns its duration by more than
//! 60 s is stopped (SIGTERM, then SIGKILL) and the report says so.

#[path = "../support/mod.rs"]
mod support;

/// `--otlp-rate`: spans to the watch's OTLP receiver meanwhile.
mod otlp;

use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use support::lateness::{by_minute, lateness};
use support::*;

/// fleet_load: baton watch polling N simulated agents; prints CPU, memory, threads and poll
/// lateness. `cargo run --release -p baton-cli --example fleet_load -- [options]`
#[derive(clap::Parser)]
struct Flags {
    /// Simulated agents
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    agents: u64,
    /// How long baton watch runs, in seconds
    #[arg(long, default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..))]
    seconds: u64,
    /// Poll interval of every agent (what baton accepts: 250 to 3600000)
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(250..=3_600_000))]
    interval_ms: u64,
    /// The baton binary (default: target/release/baton, next to this example; build it with
    /// `cargo build --release --locked -p baton-cli`)
    #[arg(long)]
    baton: Option<PathBuf>,
    /// Keep the temp dir (store, baton.toml, watch output) and print its path
    #[arg(long)]
    keep: bool,
    /// The store on PostgreSQL: a throwaway server (baton-testdb, fsync on) in the temp dir
    /// instead of baton.sqlite3
    #[arg(long)]
    postgres: bool,
    /// Spans a second sent to the watch's OTLP receiver meanwhile (0: none): protobuf export
    /// requests of GenAI spans, paced (issue 61's benchmark: 20000 with 200 agents)
    #[arg(long, default_value_t = 0)]
    otlp_rate: u64,
    /// How many senders share `--otlp-rate`
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..))]
    otlp_senders: u64,
    /// Spans a request
    #[arg(long, default_value_t = 512, value_parser = clap::value_parser!(u64).range(1..))]
    otlp_batch: u64,
}

/// The first seconds left out of the lateness figures (start-up spread).
const SETTLE: Duration = Duration::from_secs(10);
/// How long past its duration the watch may run before it is stopped.
const OVERRUN: Duration = Duration::from_secs(60);

struct Options {
    agents: usize,
    seconds: u64,
    interval_ms: u64,
    baton: PathBuf,
    keep: bool,
    postgres: bool,
    otlp: Option<otlp::Load>,
}

fn options() -> Fallible<Options> {
    let flags = <Flags as clap::Parser>::parse();
    Ok(Options {
        agents: flags.agents as usize,
        seconds: flags.seconds,
        interval_ms: flags.interval_ms,
        baton: find_baton(flags.baton)?,
        keep: flags.keep,
        postgres: flags.postgres,
        otlp: (flags.otlp_rate > 0).then_some(otlp::Load {
            rate: flags.otlp_rate,
            senders: flags.otlp_senders,
            batch: flags.otlp_batch,
        }),
    })
}

fn main() -> ExitCode {
    match options().and_then(run) {
        Ok(_) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("fleet_load: error: {err}");
            ExitCode::from(2)
        }
    }
}

/// From the watch output: how many agents it reported down at least once, and the most common
/// reasons (read line by line: the file can be large).
fn down_reports(stdout: &std::path::Path) -> (usize, usize, Vec<(String, usize)>) {
    use std::io::BufRead;
    let Ok(file) = std::fs::File::open(stdout) else {
        return (0, 0, Vec::new());
    };
    let mut lines = 0;
    let mut agents = std::collections::HashSet::new();
    let mut reasons = std::collections::BTreeMap::<String, usize>::new();
    for line in std::io::BufReader::new(file).lines().map_while(Result::ok) {
        lines += 1;
        // `TIME NAME down: REASON` (and, from a `baton` before the log format, `agent N: down
        // (REASON)`).
        let (agent, reason) = if let Some((head, reason)) = line.split_once(" down: ") {
            match head.split_once(' ') {
                Some((_time, name)) => (name.to_owned(), reason.to_owned()),
                None => continue,
            }
        } else if let Some((id, what)) = line
            .strip_prefix("agent ")
            .and_then(|rest| rest.split_once(": down ("))
        {
            (
                id.to_owned(),
                what.strip_suffix(')').unwrap_or(what).to_owned(),
            )
        } else {
            continue;
        };
        agents.insert(agent);
        *reasons.entry(reason).or_default() += 1;
    }
    let mut reasons: Vec<_> = reasons.into_iter().collect();
    reasons.sort_by_key(|r| std::cmp::Reverse(r.1));
    (lines, agents.len(), reasons)
}

fn run(o: Options) -> Fallible<()> {
    catch_interrupts();
    let open_files = raise_open_files();
    let machine = machine();
    let date = now_utc();
    let tmp = tempfile::Builder::new()
        .prefix("fleet_load-")
        .tempdir()
        .map_err(|e| format!("cannot make a temp dir: {e}"))?;
    let dir = tmp.path().to_owned();
    let data = dir.join("data");
    std::fs::create_dir(&data).map_err(|e| format!("{}: {e}", data.display()))?;
    let stats_flag = watch_takes_stats(&o.baton, &dir);
    if o.postgres {
        let url = postgres_store();
        eprintln!("fleet_load: the store on PostgreSQL: {url}");
    }
    let fleet_started = Instant::now();
    let (fleet_rt, fleet) = start_fleet(o.agents)?;
    let fleet_start_s = fleet_started.elapsed().as_secs_f64();
    let timeout_ms = 800.min(o.interval_ms * 4 / 5);
    let receiver = o.otlp.map(|_| otlp::free_address()).transpose()?;
    let extra = receiver.map(otlp::config).unwrap_or_default();
    let config = write_fleet_config(
        &fleet,
        &dir,
        "fleet_load",
        o.interval_ms,
        timeout_ms,
        &extra,
    )?;

    // baton watch.
    let stdout = dir.join("watch.out");
    let stderr = dir.join("watch.err");
    let mut command = Command::new(&o.baton);
    command
        .arg("--data-dir")
        .arg(&data)
        .arg("watch")
        .arg("--config")
        .arg(&config)
        .arg("--duration")
        .arg(o.seconds.to_string());
    if stats_flag {
        command.arg("--stats");
    }
    eprintln!(
        "fleet_load: {} agents up in {fleet_start_s:.1} s; baton watch for {} s (output in {})",
        o.agents,
        o.seconds,
        dir.display()
    );
    let mut watch = Proc::spawn("baton watch", &mut command, &stdout, &stderr)?;
    let t0 = watch.started;
    let mut sampler = Sampler::new(watch.pid(), false);
    let mut myself = Sampler::new(std::process::id(), false);
    sampler.baseline();
    myself.baseline();
    let mut steady = Sampler::new(watch.pid(), false);
    let deadline = t0 + Duration::from_secs(o.seconds) + OVERRUN;
    let sending = o.otlp.zip(receiver).map(|(load, at)| {
        let until = t0 + Duration::from_secs(o.seconds) - Duration::from_secs(1);
        (load, otlp::start(&fleet_rt, at, load, until))
    });
    let mut tick = t0;
    let mut overran = None;
    let mut interrupted_at = None;
    // When the watch last printed something (it prints a line per change while it polls).
    let (mut output_len, mut last_output) = (0u64, None::<Instant>);
    let exit = loop {
        tick += Duration::from_secs(1);
        if !sleep_until(tick) {
            interrupted_at = Some(Instant::now());
            break watch.stop(Duration::from_secs(10));
        }
        if let Some((status, at)) = watch.poll_exit() {
            break Ended {
                status: Some(status),
                at,
                killed: false,
            };
        }
        sampler.sample();
        myself.sample();
        let written = std::fs::metadata(&stdout).map_or(0, |m| m.len());
        if written > output_len {
            output_len = written;
            last_output = Some(Instant::now());
        }
        // The same readings from the settled part only, for the steady CPU mean.
        if tick >= t0 + SETTLE {
            if steady.has_baseline() {
                steady.sample();
            } else {
                steady.baseline();
            }
        }
        if Instant::now() >= deadline {
            overran = Some(Instant::now());
            break watch.stop(Duration::from_secs(10));
        }
    };
    let ran = exit.at - t0;
    let end = exit.at.min(t0 + Duration::from_secs(o.seconds));
    let arrivals: Vec<Vec<Instant>> = (0..o.agents).map(|i| fleet.poll_arrivals(i)).collect();
    let late = lateness(&arrivals, t0 + SETTLE, end, o.interval_ms);
    let minutes = by_minute(&arrivals, t0 + SETTLE, end, o.interval_ms);
    let health = baton_health(
        &o.baton,
        &data,
        &dir,
        end,
        Duration::from_millis(3 * o.interval_ms),
    );
    let (output_lines, down_agents, down_reasons) = down_reports(&stdout);
    let stats = watch_stats(&stdout);
    let errors = tail(&stderr, 5);
    let sent = sending.map(|(load, task)| (load, fleet_rt.block_on(task).unwrap_or_default()));
    let stopped = fleet_rt.block_on(async {
        tokio::time::timeout(Duration::from_secs(30), fleet.shutdown())
            .await
            .is_ok()
    });
    fleet_rt.shutdown_timeout(Duration::from_secs(5));

    // --- the report -----------------------------------------------------------------------
    let w = sampler.summary();
    let s = steady.summary();
    let me = myself.summary();
    println!();
    // The figure `make bench` compares with the one recorded (scripts/bench.sh, "guard").
    let store = match (
        o.postgres,
        std::env::var_os("BATON_TEST_PG_OPTIONS").is_some(),
    ) {
        (false, _) => "sqlite",
        (true, false) => "postgres_defaults",
        (true, true) => "postgres_sized",
    };
    // Spans sent beside the polls make another figure (the OTLP guard, below).
    if o.otlp.is_none() {
        println!("guard busy_fleet_cpu_percent_{store} {:.1}", s.cpu_mean);
    }
    println!(
        "## fleet_load: {} simulated agents, poll every {} ms (timeout {timeout_ms} ms), {} s",
        o.agents, o.interval_ms, o.seconds
    );
    println!();
    println!("- machine: {machine}; open files limit {open_files}");
    println!("- date: {date}; baton: {}", o.baton.display());
    let store = if o.postgres {
        format!(
            "PostgreSQL (a server on this machine, fsync on, settings: {}; its CPU is not \
             counted below)",
            support::postgres_settings()
        )
    } else {
        "SQLite (baton.sqlite3)".to_owned()
    };
    println!("- store: {store}");
    let how = match (&interrupted_at, &overran, exit.status) {
        (Some(_), _, _) => "INTERRUPTED (Ctrl-C); stopped".to_owned(),
        (_, Some(_), _) => format!(
            "OVERRAN its duration by more than {} s: stopped{}",
            OVERRUN.as_secs(),
            if exit.killed {
                " with SIGKILL (ignored SIGTERM)"
            } else {
                " with SIGTERM"
            }
        ),
        (_, _, Some(status)) if status.success() => "exited by itself (code 0)".to_owned(),
        (_, _, Some(status)) => format!("exited by itself with {status}"),
        (_, _, None) => "ended, status unknown".to_owned(),
    };
    println!("- baton watch: {how} after {:.1} s", ran.as_secs_f64());
    println!();
    let cpu = |x: f64| format!("{x:.1} %");
    println!(
        "{}",
        table(
            &["baton watch (from /proc, every 1 s)", "mean", "max", "end"],
            &[
                vec![
                    "CPU, % of one core (whole run)".into(),
                    cpu(w.cpu_mean),
                    cpu(w.cpu_max),
                    String::new()
                ],
                vec![
                    format!(
                        "CPU, % of one core (after the first {} s)",
                        SETTLE.as_secs()
                    ),
                    cpu(s.cpu_mean),
                    cpu(s.cpu_max),
                    String::new()
                ],
                vec![
                    "RSS".into(),
                    mib(w.rss_mean),
                    mib(w.rss_max),
                    mib(w.rss_end)
                ],
                vec![
                    "PSS".into(),
                    mib(w.pss_mean),
                    mib(w.pss_max),
                    mib(w.pss_end)
                ],
                vec![
                    "threads".into(),
                    String::new(),
                    w.threads_max.to_string(),
                    w.threads_end.to_string()
                ],
            ]
        )
    );
    let ms = |v: Option<u32>| v.map_or("n/a".into(), |v| format!("{v} ms"));
    let interval = o.interval_ms;
    let header = format!(
        "polls, timed at the agents (after the first {} s)",
        SETTLE.as_secs()
    );
    println!(
        "{}",
        table(&[&header, ""], &late.rows("", interval, o.agents))
    );
    let minute_rows: Vec<Vec<String>> = minutes
        .iter()
        .enumerate()
        .map(|(i, m)| {
            vec![
                format!(
                    "{}–{} s",
                    SETTLE.as_secs() + 60 * i as u64,
                    SETTLE.as_secs() + 60 * (i as u64 + 1)
                ),
                m.polls.to_string(),
                ms(m.p99),
                m.long_gaps.to_string(),
            ]
        })
        .collect();
    println!(
        "{}",
        table(
            &[
                "minute",
                "polls",
                "lateness p99",
                &format!("gaps > {} ms", 3 * interval)
            ],
            &minute_rows
        )
    );
    let mut rows = vec![
        vec![
            "baton status at the end".into(),
            match &health {
                Ok(h) => h.summary(),
                Err(e) => format!("n/a ({e})"),
            },
        ],
        vec![
            "watch output".into(),
            match last_output {
                Some(at) => format!(
                    "{output_lines} lines, the last one written {:.0} s after start",
                    (at - t0).as_secs_f64()
                ),
                None => format!("{output_lines} lines"),
            },
        ],
        vec![
            "agents reported down by watch".into(),
            if down_agents == 0 {
                "0".into()
            } else {
                let top: Vec<String> = down_reasons
                    .iter()
                    .take(3)
                    .map(|(r, n)| format!("{n}× \"{r}\""))
                    .collect();
                format!("{down_agents} (reports: {})", top.join(", "))
            },
        ],
    ];
    match &stats {
        Some(fields) => {
            for (name, value) in fields {
                rows.push(vec![format!("stats: {name}"), value.clone()]);
            }
        }
        None => rows.push(vec![
            "detector run p99".into(),
            "n/a (this baton prints no stats)".into(),
        ]),
    }
    rows.push(vec![
        "simulated fleet (this process) CPU".into(),
        format!(
            "mean {:.1} %, max {:.1} % of one core",
            me.cpu_mean, me.cpu_max
        ),
    ]);
    if !stopped {
        rows.push(vec![
            "fleet shutdown".into(),
            "did not finish within 30 s".into(),
        ]);
    }
    println!("{}", table(&["baton's own view", ""], &rows));
    if let Some((load, sent)) = &sent {
        println!(
            "{}",
            otlp::report(*load, sent, ran.as_secs_f64(), &sampler.samples)
        );
    }
    if !errors.trim().is_empty() {
        println!(
            "baton watch stderr (last lines):\n```\n{}\n```",
            errors.trim()
        );
    }
    if o.keep {
        let kept = tmp.keep();
        println!("kept: {}", kept.display());
    }
    if interrupted_at.is_some() {
        return Err("interrupted".into());
    }
    Ok(())
}
