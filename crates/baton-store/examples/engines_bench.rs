//! `make bench`: the store on each engine, side by side. Ingest: polls of 200 events each from
//! 50 agents, written through one writer (group commit) by 8 threads at once, as the engine's
//! pollers do; events per second. Then a store of `--events` events (1M by default) read as the
//! app reads it: the board, the queue and a day of the fleet timeline (30 lanes), p50 and p95.
//! Last, a poller's first poll of an agent that reports 200 tasks, all stored as reported: the
//! read that finds them (`tasks_stored_as_reported`, each task compared field by field, as for
//! rows stored without the digest of their text), one at a time and 500 agents' at once
//! through the store's three readers (a watcher that starts or takes over half of 1,000 agents).
//! PostgreSQL is a throwaway server started here (`baton-testdb`); SQLite a file in a temp
//! folder. Prints figures; asserts nothing. Results go to docs/performance.md.

use std::sync::Arc;
use std::time::{Duration, Instant};

use baton_core::agent::AgentDraft;
use baton_core::protocol::{AgentInfo, Event, EventKind, StatusDocument, Task};
use baton_core::task::TaskState;
use baton_store::escalations::EscalationFilter;
use baton_store::{StoreHandle, StoreLocation};
use chrono::{DateTime, Utc};
use clap::Parser;

#[derive(Parser)]
#[command(about = "The store on SQLite and on PostgreSQL: ingest rate and reads on a big store")]
struct Args {
    /// Which engines: sqlite, postgres or both.
    #[arg(long, default_value = "both")]
    engine: String,
    /// Events in the store the reads are timed on.
    #[arg(long, default_value_t = 1_000_000)]
    events: u64,
    /// Events ingested for the rate.
    #[arg(long, default_value_t = 200_000)]
    ingest: u64,
}

const AGENTS: usize = 50;
const PER_POLL: u64 = 200;
const THREADS: usize = 8;

fn document(agent: usize, first_seq: u64, events: u64, at: DateTime<Utc>) -> StatusDocument {
    StatusDocument {
        tasks: vec![Task::new(
            format!("t-{}", first_seq / 1000),
            "A task of the benchmark",
            TaskState::Working,
        )],
        events: (first_seq..first_seq + events)
            .map(|seq| Event {
                task_id: Some(format!("t-{}", seq / 1000)),
                resource: Some(format!("file:///drafts/{agent}/{}.md", seq % 97)),
                ..Event::new(seq, at, EventKind::Write)
            })
            .collect(),
        cursor: (first_seq + events - 1).to_string(),
        ..StatusDocument::new(AgentInfo::new(format!("bench-{agent}")))
    }
}

/// Ingests `total` events (polls of [`PER_POLL`] from each agent in turn) from [`THREADS`]
/// threads; events per second.
fn ingest(
    handle: &StoreHandle,
    agents: &[i64],
    total: u64,
    start_seq: u64,
    at: DateTime<Utc>,
) -> f64 {
    let polls = total / PER_POLL;
    let next = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let agents = Arc::new(agents.to_vec());
    let started = Instant::now();
    let threads: Vec<_> = (0..THREADS)
        .map(|_| {
            let (handle, next, agents) = (handle.clone(), Arc::clone(&next), Arc::clone(&agents));
            std::thread::spawn(move || loop {
                let poll = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if poll >= polls {
                    break;
                }
                let index = (poll % agents.len() as u64) as usize;
                let round = poll / agents.len() as u64;
                let doc = document(index, start_seq + round * PER_POLL, PER_POLL, at);
                let id = agents[index];
                handle
                    .write_blocking(move |s| s.ingest(id, &doc, Utc::now()))
                    .expect("ingest");
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("an ingest thread");
    }
    (polls * PER_POLL) as f64 / started.elapsed().as_secs_f64()
}

fn percentiles(label: &str, runs: usize, mut read: impl FnMut()) {
    let mut took: Vec<Duration> = (0..runs)
        .map(|_| {
            let started = Instant::now();
            read();
            started.elapsed()
        })
        .collect();
    took.sort();
    let at = |q: f64| took[((runs as f64 * q) as usize).min(runs - 1)].as_secs_f64() * 1e3;
    println!(
        "  {label:<44} p50 {:>8.2} ms   p95 {:>8.2} ms",
        at(0.5),
        at(0.95)
    );
}

fn bench(engine: &str, location: &StoreLocation, args: &Args) {
    println!("\n== {engine}");
    let handle = StoreHandle::open_at(location, 3).expect("open the store");
    let agents: Vec<i64> = (0..AGENTS)
        .map(|i| {
            let draft = AgentDraft::new(format!("bench-{i}"), format!("http://127.0.0.1:1/{i}"));
            handle
                .write_blocking(move |s| s.add_agent(&draft))
                .expect("agent")
                .id
        })
        .collect();
    let rate = ingest(&handle, &agents, args.ingest, 1, Utc::now());
    println!(
        "  ingest: {rate:>10.0} events/s ({} events, polls of {PER_POLL}, {THREADS} threads, one writer)",
        args.ingest
    );
    // Fill to the size the reads are timed on, spread over the last day.
    let have = args.ingest;
    if args.events > have {
        let started = Instant::now();
        ingest(
            &handle,
            &agents,
            args.events - have,
            have / AGENTS as u64 + 1,
            Utc::now() - chrono::Duration::hours(12),
        );
        println!(
            "  filled to {} events in {:.0} s",
            args.events,
            started.elapsed().as_secs_f64()
        );
    }
    let read = |f: Box<dyn Fn(&baton_store::Store) + Send>| {
        handle
            .read_blocking(move |s| {
                f(s);
                Ok(())
            })
            .expect("read");
    };
    percentiles("board (every card)", 40, || {
        read(Box::new(|s| {
            s.task_cards(None).expect("board");
        }))
    });
    percentiles("queue (open escalations and the latest closed)", 40, || {
        read(Box::new(|s| {
            s.escalations(EscalationFilter::default()).expect("queue");
        }))
    });
    let lanes: Vec<i64> = agents.iter().take(30).copied().collect();
    // As the app asks: a day in 288 buckets of 5 minutes, from a bucket's start (counts per
    // minute), and the last hour in 1,200 buckets of 3 s (every event read).
    let day_end = {
        let now = Utc::now().timestamp();
        chrono::DateTime::from_timestamp(now - now % 300 + 300, 0).expect("a time")
    };
    for (label, span, buckets) in [
        (
            "timeline: a day, 30 lanes, 5-min buckets",
            chrono::Duration::days(1),
            288,
        ),
        (
            "timeline: an hour, 30 lanes, 3-s buckets",
            chrono::Duration::hours(1),
            1200,
        ),
    ] {
        let lanes = lanes.clone();
        percentiles(label, 40, || {
            let lanes = lanes.clone();
            read(Box::new(move |s| {
                s.fleet_timeline(day_end - span, day_end, buckets, &lanes)
                    .expect("timeline");
            }))
        });
    }
    first_poll_reads(&handle);
}

/// A task as the simulated agents report them (lists, a detail), `n` of one agent.
fn reported_tasks(agent: usize, n: usize) -> Vec<Task> {
    (0..n)
        .map(|i| Task {
            depends_on: vec![format!("t-{}", i.saturating_sub(1))],
            reads: vec![
                format!("crm://contacts/{agent}/{i}"),
                "kb://style-guide".into(),
            ],
            writes: vec![format!("file:///drafts/{agent}/{i}.md")],
            output: Some(format!("mail://outbox/{agent}")),
            detail: Some(format!(
                "Drafting the reply to ticket {i} of agent {agent}: waiting on the editor's notes"
            )),
            ..Task::new(
                format!("t-{i}"),
                format!("Draft the reply to ticket {i}"),
                TaskState::Working,
            )
        })
        .collect()
}

/// The read before a poller's first write of an agent (200 tasks reported, all stored as
/// reported): alone, then [`FIRST_POLLS`] agents' at once through the handle's readers.
fn first_poll_reads(handle: &StoreHandle) {
    const TASKS: usize = 200;
    const FIRST_POLLS: usize = 500;
    let started = Instant::now();
    let drafts: Vec<AgentDraft> = (0..FIRST_POLLS)
        .map(|i| AgentDraft::new(format!("tasks-{i}"), format!("http://127.0.0.1:2/{i}")))
        .collect();
    let agents: Vec<i64> = handle
        .write_blocking(move |s| s.add_agents(&drafts))
        .expect("agents")
        .into_iter()
        .map(|a| a.id)
        .collect();
    for (i, &id) in agents.iter().enumerate() {
        let doc = StatusDocument {
            tasks: reported_tasks(i, TASKS),
            ..StatusDocument::new(AgentInfo::new(format!("tasks-{i}")))
        };
        handle
            .write_blocking(move |s| s.ingest(id, &doc, Utc::now()))
            .expect("ingest tasks");
    }
    println!(
        "  stored {TASKS} tasks for each of {FIRST_POLLS} agents in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let tasks = Arc::new(reported_tasks(0, TASKS));
    let first = agents[0];
    percentiles("first poll: 200 tasks stored as reported?", 40, || {
        let tasks = Arc::clone(&tasks);
        let stored = handle
            .read_blocking(move |s| s.tasks_stored_as_reported(first, &tasks, &no_digests()))
            .expect("read");
        assert_eq!(stored.ids.len(), TASKS, "every task is stored as reported");
    });
    // As the engine asks: each poll's read from its own blocking thread, all at once.
    let started = Instant::now();
    std::thread::scope(|scope| {
        for (i, &id) in agents.iter().enumerate() {
            scope.spawn(move || {
                let tasks = reported_tasks(i, TASKS);
                let stored = handle
                    .read_blocking(move |s| s.tasks_stored_as_reported(id, &tasks, &no_digests()))
                    .expect("read");
                assert_eq!(stored.ids.len(), TASKS);
            });
        }
    });
    let took = started.elapsed();
    println!(
        "  first polls of {FIRST_POLLS} agents at once (200 tasks each): all read in {:.2} s",
        took.as_secs_f64()
    );
}

/// PostgreSQL's plans for the shapes of the board's, the queue's and the timeline's main reads
/// on the filled store (what the indexes are checked by).
fn explain(url: &str) {
    let plans = [
        (
            "board",
            "SELECT t.agent_id, t.task_id, t.state, t.state_since FROM tasks t
               JOIN agents a ON a.id = t.agent_id
              WHERE t.state NOT IN ('completed', 'failed', 'canceled', 'rejected')",
        ),
        (
            "queue",
            "SELECT id FROM escalations WHERE state = 'open' ORDER BY opened_at DESC LIMIT 200",
        ),
        (
            "timeline, whole minutes",
            "SELECT agent_id, (minute - 1700000000) * 1000 / 300000 AS bucket, kind, sum(events)
               FROM event_minutes
              WHERE minute >= extract(epoch FROM now())::bigint - 86400
                AND agent_id IN (1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
              GROUP BY 1, 2, 3",
        ),
        (
            "timeline, events of an hour",
            "SELECT agent_id, (at_ms - 1700000000000) / 3000 AS bucket, kind, count(*)
               FROM events
              WHERE agent_id IN (1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
                AND at_ms >= (extract(epoch FROM now()) * 1000)::bigint - 3600000
                AND at_ms < (extract(epoch FROM now()) * 1000)::bigint
              GROUP BY 1, 2, 3",
        ),
    ];
    for (name, sql) in plans {
        println!("\n  EXPLAIN ANALYZE ({name}):");
        match baton_testdb::sql_at(url, &format!("EXPLAIN (ANALYZE, COSTS OFF) {sql}")) {
            Ok(plan) => {
                for line in plan.lines() {
                    println!("    {line}");
                }
            }
            Err(err) => println!("    (no plan: {err})"),
        }
    }
}

fn main() {
    let args = Args::parse();
    println!(
        "baton-store engines: {} events for the rate, {} for the reads",
        args.ingest, args.events
    );
    if args.engine == "sqlite" || args.engine == "both" {
        let dir = tempfile::tempdir().expect("temp dir");
        bench(
            "SQLite (file, WAL, synchronous=NORMAL)",
            &StoreLocation::Sqlite(dir.path().join("bench.sqlite3")),
            &args,
        );
    }
    if args.engine == "postgres" || args.engine == "both" {
        // PostgreSQL's own defaults: every commit's WAL flushed to disk.
        std::env::set_var("BATON_TEST_PG_FSYNC", "on");
        let url = baton_testdb::server().fresh_database();
        bench(
            "PostgreSQL 15 (local server, its defaults: fsync on, synchronous_commit on)",
            &StoreLocation::parse(&url).expect("url"),
            &args,
        );
        explain(&url);
    }
}

/// No digest of the reported texts: every task is compared field by field.
fn no_digests() -> std::collections::HashMap<String, u64> {
    std::collections::HashMap::new()
}
