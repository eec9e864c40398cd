//! Hook calls as coding agents make them (`baton-hook`, the small binary `baton hooks install`
//! puts in the clients' settings; `--cli`: `baton hook`): a process per call, several sessions
//! at once, on a store that already holds a busy history.
//!
//! ```text
//! cargo build --release --locked -p baton-cli -p baton-hooks
//! cargo run --release --locked -p baton-cli --example hook_bench -- \
//!     [--events 100000] [--leases 1000] [--processes 10] [--calls 100] [--burst] [--cli] \
//!     [--served] [--baton PATH] [--keep DIR] [--postgres [--delay-ms 5]]
//! ```
//!
//! With `--postgres` the store is a PostgreSQL database (a throwaway server, `baton-testdb`)
//! that every hook process reaches through a proxy on 127.0.0.1 holding each byte for half of
//! `--delay-ms` in each direction: the database as if on another host that far away (a round
//! trip of 5 ms is a server across a building or a nearby data centre). The store is filled
//! directly, without the delay.
//!
//! The store gets `--events` events (ten polled agents writing file resources) and `--leases`
//! live file leases (a hundred sessions holding ten files each). Then `--processes` threads each
//! run `--calls` `baton hook claude-code --mode enforce` processes one after another, as one
//! session: a PreToolUse write (half of them on a file another session holds: refused, and the
//! queue item updated; half on a free file: the lease taken) and, when allowed, its PostToolUse.
//! With `--burst` the sessions call in rounds: every session's next call starts at the same
//! moment (ten hook processes at once), and the next round waits for the last of them; without
//! it each session calls again as soon as its last call returned, which keeps both cores busy
//! for the whole run. With `--served` the calls are answered as while the app runs: this process
//! serves them over the store's socket (`baton_hooks::HookServer`, what the app and `baton watch`
//! start); without it each hook process works on the store itself. Each call is timed from spawn to exit, as the client waits for it. Prints
//! figures, asserts none; exit 2 on a harness failure.

mod support;

use std::io::Write;
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use baton_core::agent::AgentDraft;
use baton_core::hooks::{parse_hook_payload, HookClient, PermitMode};
use baton_core::protocol::{AgentInfo, Event, EventKind, StatusDocument, PROTOCOL};
use baton_store::sessions::{PermitSettings, SessionRef};
use baton_store::{Store, StoreLocation, StorePlace};
use chrono::{Duration, Utc};
use serde_json::json;
use support::*;

/// hook_bench: `baton hook` processes from several sessions at once on a store with a
/// history; prints the time each call takes (spawn to exit).
/// `cargo run --release -p baton-cli --example hook_bench -- [options]`
#[derive(clap::Parser)]
struct Options {
    /// Events already stored
    #[arg(long, default_value_t = 100_000)]
    events: usize,
    /// Live file leases already held
    #[arg(long, default_value_t = 1_000)]
    leases: usize,
    /// Sessions calling at once
    #[arg(long, default_value_t = 10)]
    processes: usize,
    /// Hook calls per session
    #[arg(long, default_value_t = 100)]
    calls: usize,
    /// The binary to call (default: target/release/baton-hook, or baton with --cli)
    #[arg(long)]
    baton: Option<std::path::PathBuf>,
    /// Call `baton hook` rather than the small `baton-hook` binary
    #[arg(long)]
    cli: bool,
    /// Fill and keep the store in DIR (to profile single calls on it afterwards)
    #[arg(long, value_name = "DIR")]
    keep: Option<std::path::PathBuf>,
    /// The sessions call in rounds: each round starts one call of every session at the same
    /// moment and waits for the last (default: back to back, no pause)
    #[arg(long)]
    burst: bool,
    /// Serve the calls as the running app does (over the store's socket); default: no app,
    /// each hook process works on the store itself
    #[arg(long)]
    served: bool,
    /// No hooks' own server (`BATON_HOOKS_OWN_SERVER=off`): on PostgreSQL with no app, every
    /// call works on the store itself (default: the first call starts the hooks' own server,
    /// which answers the calls after it)
    #[arg(long)]
    no_own_server: bool,
    /// The store on PostgreSQL (a throwaway server) instead of SQLite
    #[arg(long)]
    postgres: bool,
    /// With --postgres: the round trip to the database, in milliseconds (a proxy adds it)
    #[arg(long, default_value_t = 0, requires = "postgres", value_name = "MS")]
    delay_ms: u64,
}

/// Ten polled agents' worth of `events` write events, and `leases` leases held by sessions.
fn fill(location: &StoreLocation, events: usize, leases: usize) -> Fallible<()> {
    let mut store = Store::open_at(location).map_err(|e| e.to_string())?;
    let per_agent = events.div_ceil(10).max(1);
    for a in 0..10 {
        let name = format!("Writer {a}");
        let draft = AgentDraft::new(&name, format!("http://127.0.0.1:{}", 7700 + a));
        let id = store.add_agent(&draft).map_err(|e| e.to_string())?.id;
        let now = Utc::now() - Duration::hours(2);
        let mut batch = Vec::new();
        for seq in 1..=per_agent as u64 {
            let mut event = Event::new(
                seq,
                now + Duration::milliseconds(seq as i64),
                EventKind::Write,
            );
            event.resource = Some(format!("file:///history/{a}/{}.md", seq % 500));
            batch.push(event);
        }
        let doc = StatusDocument {
            protocol: PROTOCOL.into(),
            agent: AgentInfo {
                id: format!("writer-{a}"),
                name: Some(name),
                version: None,
                state: None,
                detail: None,
                declares: None,
            },
            tasks: Vec::new(),
            events: batch,
            usage: Vec::new(),
            cursor: per_agent.to_string(),
        };
        store
            .ingest(id, &doc, Utc::now())
            .map_err(|e| e.to_string())?;
    }
    let settings = PermitSettings {
        mode: PermitMode::Enforce,
        lease_time: Duration::minutes(60),
        ask_person: false,
        path_modes: Vec::new(),
        parallel: baton_core::hooks::ParallelMode::Warn,
        unchecked: None,
    };
    for l in 0..leases {
        let session = SessionRef::in_checkout(
            HookClient::ClaudeCode,
            format!("holder{:04}", l / 10),
            "/repo",
        );
        let payload = json!({"hook_event_name": "PreToolUse", "tool_name": "Write",
                             "tool_input": {"file_path": format!("/repo/held/{l}.rs")}});
        let call = parse_hook_payload(HookClient::ClaudeCode, payload.to_string().as_bytes(), None)
            .map_err(|e| e.to_string())?;
        store
            .record_hook(&session, &call, settings.clone(), Utc::now())
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// One hook process (`baton-hook …`, or `baton hook …`): (milliseconds, exit code, stderr).
fn call(
    baton: &Path,
    data: &Path,
    payload: &serde_json::Value,
    own_server: bool,
) -> Fallible<(u32, i32, String)> {
    let started = Instant::now();
    let small = baton.file_stem().is_some_and(|stem| stem == "baton-hook");
    let mut child = Command::new(baton)
        .arg("--data-dir")
        .arg(data)
        .args(if small { None } else { Some("hook") })
        .args(["claude-code", "--mode", "enforce", "--lease-minutes", "60"])
        .env(
            "BATON_HOOKS_OWN_SERVER",
            if own_server { "on" } else { "off" },
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{}: {e}", baton.display()))?;
    child
        .stdin
        .take()
        .ok_or("no stdin")?
        .write_all(payload.to_string().as_bytes())
        .map_err(|e| e.to_string())?;
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    let ms = u32::try_from(started.elapsed().as_millis()).unwrap_or(u32::MAX);
    Ok((
        ms,
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("hook_bench: {err}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Fallible<()> {
    let o = <Options as clap::Parser>::parse();
    let baton = match (&o.baton, o.cli) {
        (Some(path), _) => find_baton(Some(path.clone()))?,
        (None, true) => find_baton(None)?,
        (None, false) => {
            let cli = find_baton(None)?;
            let small = cli.with_file_name("baton-hook");
            if !small.is_file() {
                return Err(format!(
                    "no baton-hook binary at {}: build it with\n    cargo build --release --locked -p baton-hooks\n(or pass --cli)",
                    small.display()
                ));
            }
            small
        }
    };
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let data = o.keep.clone().unwrap_or_else(|| dir.path().join("data"));
    if data.join("baton.sqlite3").exists() {
        return Err(format!("{} already holds a store", data.display()));
    }
    std::fs::create_dir_all(&data).map_err(|e| e.to_string())?;
    // On PostgreSQL: the hooks' data folder names the database through the delaying proxy
    // (what `baton store use` saves); the proxy runs until the process ends.
    let location = if o.postgres {
        let server = baton_testdb::server();
        let url = server.fresh_database();
        let target = std::net::SocketAddr::from(([127, 0, 0, 1], server.port()));
        let round_trip = std::time::Duration::from_millis(o.delay_ms);
        let proxy = baton_testdb::delay::DelayProxy::start(target, round_trip)
            .map_err(|e| e.to_string())?;
        let far = proxy.url_through(&url, server.port());
        let location = StoreLocation::parse(&url).map_err(|e| e.to_string())?;
        let far = StoreLocation::parse(&far).map_err(|e| e.to_string())?;
        StorePlace::choose(&data, Some(&far)).map_err(|e| e.to_string())?;
        location
    } else {
        StoreLocation::Sqlite(data.join("baton.sqlite3"))
    };
    let filled = Instant::now();
    fill(&location, o.events, o.leases)?;
    eprintln!(
        "hook_bench: {} events and {} leases stored in {:.1} s; {} sessions × {} calls",
        o.events,
        o.leases,
        filled.elapsed().as_secs_f64(),
        o.processes,
        o.calls
    );
    let server = if o.served {
        let server = baton_hooks::HookServer::start(
            &StorePlace::resolve(Some(&data), None).expect("the bench's store"),
        )
        .map_err(|e| e.to_string())?
        .ok_or("another process serves this store's hook calls")?;
        Some(server)
    } else {
        None
    };
    let started = Instant::now();
    // In rounds (--burst), every session's next call waits for all of them to be ready.
    let round = std::sync::Arc::new(std::sync::Barrier::new(if o.burst {
        o.processes
    } else {
        1
    }));
    let workers: Vec<_> = (0..o.processes)
        .map(|p| {
            let (baton, data, calls, leases) =
                (baton.clone(), data.clone(), o.calls, o.leases.max(1));
            let own_server = !o.no_own_server;
            let round = std::sync::Arc::clone(&round);
            // A session that fails leaves the others waiting for it in a round: exit instead.
            let call = move |baton: &Path, data: &Path, payload: &serde_json::Value| {
                round.wait();
                call(baton, data, payload, own_server).unwrap_or_else(|err| {
                    eprintln!("hook_bench: {err}");
                    std::process::exit(2)
                })
            };
            std::thread::spawn(move || -> Fallible<Vec<(u32, i32, String)>> {
                let session = format!("bench{p:02}");
                let mut out = Vec::new();
                let mut k = 0;
                while out.len() < calls {
                    // Even calls: a file another session holds; odd: one of this session's own.
                    let file = if k % 2 == 0 {
                        format!("/repo/held/{}.rs", (p * 97 + k * 31) % leases)
                    } else {
                        format!("/repo/bench/{p}/{}.rs", k % 20)
                    };
                    k += 1;
                    let write = |event: &str| {
                        json!({"session_id": session, "cwd": "/repo", "hook_event_name": event,
                               "tool_name": "Edit", "tool_input": {"file_path": file}})
                    };
                    let pre = call(&baton, &data, &write("PreToolUse"));
                    let allowed = pre.1 == 0;
                    out.push(pre);
                    if allowed && out.len() < calls {
                        out.push(call(&baton, &data, &write("PostToolUse")));
                    }
                }
                Ok(out)
            })
        })
        .collect();
    let mut all = Vec::new();
    for worker in workers {
        all.extend(worker.join().map_err(|_| "a session thread panicked")??);
    }
    let wall = started.elapsed().as_secs_f64();
    let served = server.as_ref().map_or(0, |server| server.recorded());
    drop(server);
    let refused = all.iter().filter(|c| c.1 == 2).count();
    let unchecked = all.iter().filter(|c| c.2.contains("unchecked")).count();
    let failed = all.iter().filter(|c| c.1 != 0 && c.1 != 2).count();
    let mut ms: Vec<u32> = all.iter().map(|c| c.0).collect();
    ms.sort_unstable();
    let q = |p: f64| percentile(&ms, p).map_or("-".to_owned(), |v| format!("{v} ms"));
    println!(
        "## hook_bench: hook calls from {} sessions at once{}\n",
        o.processes,
        if o.burst {
            ", in rounds (--burst)"
        } else {
            ", back to back"
        }
    );
    println!("- machine: {}", machine());
    println!("- date: {}; baton: {}", now_utc(), baton.display());
    println!(
        "- store: {} events, {} live leases before the run; {}\n",
        o.events,
        o.leases,
        match (o.served, o.postgres && !o.no_own_server) {
            (true, _) => "the calls answered by a running app (--served)",
            (false, true) => "no app running: the first call starts the hooks' own server",
            (false, false) => "no app running: each call works on the store itself",
        }
    );
    if o.postgres {
        println!(
            "- store on PostgreSQL, {} ms round trip away (a proxy on 127.0.0.1 adds it)\n",
            o.delay_ms
        );
    }
    let rows = vec![
        row(&["calls", &all.len().to_string()]),
        row(&[
            "wall time",
            &format!("{wall:.1} s ({:.0} calls/s)", all.len() as f64 / wall),
        ]),
        row(&[
            "per call p50 / p99 / max",
            &format!("{} / {} / {}", q(0.5), q(0.99), q(1.0)),
        ]),
        row(&["refused (exit 2)", &refused.to_string()]),
        row(&[
            "went ahead unchecked (store over 500 ms)",
            &unchecked.to_string(),
        ]),
        row(&["other failures", &failed.to_string()]),
        row(&["recorded by the app (--served)", &served.to_string()]),
    ];
    println!("{}", table(&["spawn to exit", ""], &rows));
    // The figure `make bench` compares with the one recorded (scripts/bench.sh, "guard"):
    // p99 in ms, named by how the calls ran.
    let how = [
        (o.served, "served"),
        (o.no_own_server, "alone"),
        (o.burst, "burst"),
        (o.cli, "cli"),
        (o.postgres, "postgres"),
    ]
    .iter()
    .filter(|(on, _)| *on)
    .map(|(_, name)| *name)
    .collect::<Vec<_>>()
    .join("_");
    let delay = if o.postgres {
        format!("_{}ms", o.delay_ms)
    } else {
        String::new()
    };
    let how = if how.is_empty() {
        "direct".to_owned()
    } else {
        how
    };
    println!(
        "guard hook_p99_ms_{how}{delay} {}",
        q(0.99).trim_end_matches(" ms")
    );
    Ok(())
}
