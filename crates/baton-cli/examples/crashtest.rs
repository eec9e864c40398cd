//! Kills the poller at random moments during busy ingest and checks the store after each kill,
//! as SQLite's own crash tests do: the database intact, every event the agent saw acknowledged
//! still there, none twice, none missing in between.
//!
//! ```text
//! cargo build --release --locked -p baton-cli --examples
//! cargo run --release --locked -p baton-cli --example crashtest -- [--kills 1000] [--seed N]
//! ```
//!
//! A busy agent runs in this process (`baton/1` on 127.0.0.1): every poll gets `--batch` new
//! write events (each naming one of 200 tasks, whose states move too) after the `since` it was
//! sent. `since` is Baton's stored cursor, written in the same transaction as the events: an
//! event at or below a `since` the agent has seen is *acknowledged*, and must survive any crash.
//! Then, `--kills` times: `baton watch --config` (polling every 250 ms) is started on the store,
//! killed with SIGKILL after a random 0–`--max-ms` ms (every fourth kill counted from the
//! first batch it acknowledged, every other from its first request, the rest from its start),
//! and the store is opened and checked:
//! `PRAGMA integrity_check`, acknowledged events all present, no `seq` twice, no gap, the stored
//! cursor not behind what was acknowledged. Prints the figures; exit 1 when any check failed,
//! 2 on a harness failure (`make test` runs 20 kills, `make bench` 1,000).

mod support;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags};
use support::*;

/// crashtest: kill the poller at random moments during busy ingest; check the store after each.
/// `cargo run --release -p baton-cli --example crashtest -- [options]`
#[derive(clap::Parser)]
struct Flags {
    /// Kills
    #[arg(long, default_value_t = 1000)]
    kills: u64,
    /// New events per poll
    #[arg(long, default_value_t = 2000)]
    batch: u64,
    /// Longest run before the kill, in ms
    #[arg(long, default_value_t = 600)]
    max_ms: u64,
    /// Kills on one store before starting a new one (keeps the store, and each check of it,
    /// small)
    #[arg(long, default_value_t = 100)]
    per_store: u64,
    /// The kill times' seed (default: the time)
    #[arg(long)]
    seed: Option<u64>,
    /// The binary to run (default: target/<profile>/baton)
    #[arg(long)]
    baton: Option<std::path::PathBuf>,
}

const TASKS: u64 = 200;

/// The busy agent: answers every `GET …/status?since=N` with `batch` events after N, and keeps
/// the highest `since` it was sent (what Baton has acknowledged).
fn serve_agent(listener: TcpListener, batch: u64, agent: Arc<Agent>) {
    for stream in listener.incoming().flatten() {
        let agent = Arc::clone(&agent);
        std::thread::spawn(move || {
            let _ = answer(stream, batch, &agent);
        });
    }
}

/// What the agent knows: the store it serves now (its number is in the URL Baton is given:
/// `/store/N`), and the highest `since` that store's poller sent.
#[derive(Default)]
struct Agent {
    store: AtomicU64,
    acked: AtomicU64,
    /// Requests for any store: a poller that has asked once is polling.
    requests: AtomicU64,
}

impl Agent {
    /// A new store starts: nothing of it acknowledged yet. Returns what the last one had.
    fn next_store(&self, store: u64) -> u64 {
        self.store.store(store, Ordering::SeqCst);
        self.acked.swap(0, Ordering::SeqCst)
    }
}

fn answer(mut stream: TcpStream, batch: u64, agent: &Agent) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut request = Vec::new();
    let mut chunk = [0u8; 4096];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Ok(());
        }
        request.extend_from_slice(&chunk[..n]);
    }
    let head = String::from_utf8_lossy(&request);
    let since = head
        .split_once("since=")
        .and_then(|(_, rest)| {
            rest.split(|c: char| !c.is_ascii_digit())
                .next()?
                .parse::<u64>()
                .ok()
        })
        .unwrap_or(0);
    // A request a killed poller of an earlier store sent acknowledges nothing of this one.
    let store = head
        .split_once("/store/")
        .and_then(|(_, rest)| rest.split('/').next()?.parse::<u64>().ok());
    if store == Some(agent.store.load(Ordering::SeqCst)) {
        agent.acked.fetch_max(since, Ordering::SeqCst);
        agent.requests.fetch_add(1, Ordering::SeqCst);
    }
    let body = document(since, batch);
    write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    stream.write_all(body.as_bytes())
}

/// The events after `since` (the same content for the same `seq`, every time), and the tasks
/// they name in the state their latest event gives them.
fn document(since: u64, batch: u64) -> String {
    let at = |seq: u64| {
        let base = chrono::DateTime::parse_from_rfc3339("2026-11-23T00:00:00Z")
            .expect("a date")
            .to_utc();
        (base + chrono::Duration::milliseconds(i64::try_from(seq).unwrap_or(0))).to_rfc3339()
    };
    let events: Vec<_> = (since + 1..=since + batch)
        .map(|seq| {
            serde_json::json!({"seq": seq, "at": at(seq), "kind": "write",
                "task_id": format!("t{}", seq % TASKS),
                "resource": format!("crm://contacts/{}#status", seq % 997)})
        })
        .collect();
    let last = since + batch;
    let states = ["working", "blocked", "working", "completed"];
    let tasks: Vec<_> = (0..TASKS)
        .map(|t| {
            let state = states[usize::try_from((last / TASKS + t) % 4).unwrap_or(0)];
            serde_json::json!({"id": format!("t{t}"), "title": format!("task {t}"), "state": state})
        })
        .collect();
    serde_json::json!({
        "protocol": "baton/1",
        "agent": {"id": "busy", "name": "Busy"},
        "tasks": tasks,
        "events": events,
        "usage": [],
        "cursor": last.to_string(),
    })
    .to_string()
}

/// What one check of the store found wrong (empty: all well).
#[derive(Debug, Default)]
struct Check {
    integrity: Option<String>,
    lost_acknowledged: u64,
    duplicates: u64,
    gaps: u64,
    cursor_behind: bool,
    stored: u64,
}

fn check(db: &Path, acked: u64) -> Fallible<Check> {
    // Opened as the next start opens it: read-write, so that the WAL is recovered.
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_WRITE)
        .map_err(|e| format!("cannot open the store: {e}"))?;
    let q = |sql: &str| -> Fallible<i64> {
        conn.query_row(sql, [], |row| row.get::<_, Option<i64>>(0))
            .map(Option::unwrap_or_default)
            .map_err(|e| format!("{sql}: {e}"))
    };
    let mut found = Check::default();
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .map_err(|e| format!("integrity_check: {e}"))?;
    if integrity != "ok" {
        found.integrity = Some(integrity);
    }
    let count = q("SELECT COUNT(*) FROM events")?;
    let distinct = q("SELECT COUNT(DISTINCT seq) FROM events")?;
    let highest = q("SELECT MAX(seq) FROM events")?;
    let acked_i = i64::try_from(acked).unwrap_or(i64::MAX);
    let kept = q(&format!(
        "SELECT COUNT(*) FROM events WHERE seq <= {acked_i}"
    ))?;
    let cursor: i64 = conn
        .query_row("SELECT cursor FROM agents LIMIT 1", [], |row| {
            row.get::<_, Option<String>>(0)
        })
        .ok()
        .flatten()
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    found.stored = u64::try_from(count).unwrap_or(0);
    found.duplicates = u64::try_from(count - distinct).unwrap_or(0);
    found.gaps = u64::try_from(highest - distinct).unwrap_or(0);
    found.lost_acknowledged = u64::try_from(acked_i - kept).unwrap_or(0);
    found.cursor_behind = cursor < acked_i;
    Ok(found)
}

/// A small generator for the kill times (reproducible with `--seed`).
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

fn main() -> std::process::ExitCode {
    match run() {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::from(1),
        Err(err) => {
            eprintln!("crashtest: {err}");
            std::process::ExitCode::from(2)
        }
    }
}

fn run() -> Fallible<bool> {
    let flags = <Flags as clap::Parser>::parse();
    let kills = flags.kills;
    let batch = flags.batch.max(1);
    let max_ms = flags.max_ms.max(1);
    let per_store = flags.per_store.max(1);
    let seed = flags.seed.unwrap_or_else(|| {
        chrono::Utc::now()
            .timestamp_nanos_opt()
            .unwrap_or(1)
            .unsigned_abs()
    });
    let baton = find_baton(flags.baton)?;

    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("bind: {e}"))?;
    let url = format!(
        "http://{}",
        listener.local_addr().map_err(|e| e.to_string())?
    );
    let agent = Arc::new(Agent::default());
    {
        let agent = Arc::clone(&agent);
        std::thread::spawn(move || serve_agent(listener, batch, agent));
    }
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let config = dir.path().join("baton.toml");
    let mut rng = XorShift(seed | 1);
    let (mut failures, mut integrity_failures, mut lost, mut duplicates, mut gaps) =
        (0u64, 0u64, 0u64, 0u64, 0u64);
    let mut behind = 0u64;
    let (mut stored, mut acked_total) = (0, 0);
    let started = Instant::now();
    let mut data = dir.path().join("store-0");
    for kill in 1..=kills {
        if (kill - 1) % per_store == 0 {
            // A new store, and the agent starts over with it (nothing acknowledged yet).
            let _ = std::fs::remove_dir_all(&data);
            data = dir.path().join(format!("store-{kill}"));
            std::fs::create_dir_all(&data).map_err(|e| e.to_string())?;
            acked_total += agent.next_store(kill);
            std::fs::write(
                &config,
                format!(
                    "[[agents]]\nname = \"Busy\"\nurl = \"{url}/store/{kill}\"\nprotocol = \"baton\"\n\
                     poll_interval_ms = 250\ntimeout_ms = 240\n"
                ),
            )
            .map_err(|e| e.to_string())?;
        }
        let mut watch = Command::new(&baton);
        watch
            .arg("--data-dir")
            .arg(&data)
            .args(["watch", "--config"])
            .arg(&config);
        let mut proc = Proc::spawn(
            "baton watch",
            &mut watch,
            &dir.path().join("watch.out"),
            &dir.path().join("watch.err"),
        )?;
        // Every other kill comes a random time after the watcher's first request, not after
        // its start: a loaded machine may take longer than `--max-ms` to start a watcher, and
        // the kills from the start alone would then never find one polling. Every fourth comes
        // after it has acknowledged a batch (asked from a cursor past the one it started
        // from): a loaded machine may also take longer than that to store its first batch,
        // and no kill would then find an acknowledged event to check. The others still come at
        // any moment from the start (opening the store, migrating, the first poll).
        let wait_for = |what: &str, done: &dyn Fn() -> bool| {
            let deadline = Instant::now() + Duration::from_secs(30);
            while !done() {
                if Instant::now() > deadline {
                    return Err(format!("kill {kill}: baton watch {what} in 30 s"));
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            Ok(())
        };
        if kill % 4 == 0 {
            let acked = agent.acked.load(Ordering::SeqCst);
            wait_for("acknowledged nothing", &|| {
                agent.acked.load(Ordering::SeqCst) > acked
            })?;
        } else if kill % 2 == 0 {
            let asked = agent.requests.load(Ordering::SeqCst);
            wait_for("sent no request", &|| {
                agent.requests.load(Ordering::SeqCst) > asked
            })?;
        }
        std::thread::sleep(Duration::from_millis(rng.below(max_ms)));
        proc.signal(libc::SIGKILL);
        proc.stop(Duration::from_secs(5));
        if let Some((status, _)) = proc.poll_exit() {
            if status.success() {
                let err = std::fs::read_to_string(dir.path().join("watch.err")).unwrap_or_default();
                return Err(format!("baton watch ended by itself: {}", err.trim()));
            }
        }
        let acked_now = agent.acked.load(Ordering::SeqCst);
        let found = check(&data.join("baton.sqlite3"), acked_now).or_else(|err| {
            // The kill came before the store was made, or before its first migration committed
            // (the file is there, its tables not yet): nothing could be acknowledged, nothing
            // to check yet.
            let unmade = !data.join("baton.sqlite3").exists() || err.contains("no such table");
            if unmade && acked_now == 0 {
                Ok(Check::default())
            } else {
                Err(err)
            }
        })?;
        let bad = found.integrity.is_some()
            || found.lost_acknowledged > 0
            || found.duplicates > 0
            || found.gaps > 0
            || found.cursor_behind;
        if bad {
            failures += 1;
            eprintln!("crashtest: kill {kill}: {found:?} (acknowledged up to {acked_now})");
        }
        integrity_failures += u64::from(found.integrity.is_some());
        lost += found.lost_acknowledged;
        duplicates += found.duplicates;
        gaps += found.gaps;
        behind += u64::from(found.cursor_behind);
        if kill % per_store == 0 || kill == kills {
            // What this store ended with.
            stored += found.stored;
        }
    }
    acked_total += agent.acked.load(Ordering::SeqCst);
    let wall = started.elapsed().as_secs_f64();
    println!("## crashtest: SIGKILL of `baton watch` during busy ingest\n");
    println!("- machine: {}", machine());
    println!("- date: {}; baton: {}", now_utc(), baton.display());
    println!(
        "- {batch} new events a poll, polled every 250 ms, killed after 0–{max_ms} ms; seed {seed}\n"
    );
    let rows = vec![
        row(&["kills", &kills.to_string()]),
        row(&["time", &format!("{wall:.0} s")]),
        row(&[
            "stores (a new one every --per-store kills)",
            &kills.div_ceil(per_store).to_string(),
        ]),
        row(&["events acknowledged, all stores", &acked_total.to_string()]),
        row(&["events stored, all stores", &stored.to_string()]),
        row(&["kills after which a check failed", &failures.to_string()]),
        row(&["integrity_check not ok", &integrity_failures.to_string()]),
        row(&["acknowledged events lost", &lost.to_string()]),
        row(&["events stored twice", &duplicates.to_string()]),
        row(&["gaps in the stored seqs", &gaps.to_string()]),
        row(&[
            "stored cursor behind the acknowledged one",
            &behind.to_string(),
        ]),
    ];
    println!("{}", table(&["after each kill", ""], &rows));
    if acked_total == 0 && kills >= 5 {
        return Err("no poll was ever acknowledged: is the poller polling?".into());
    }
    Ok(failures == 0)
}
