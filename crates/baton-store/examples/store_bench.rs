//! `make bench`: how long the store takes for the work a poll and the board do.
//! Prints figures; asserts nothing. Results go to docs/performance.md.

use std::time::{Duration, Instant};

use baton_core::agent::AgentDraft;
use baton_core::protocol::{AgentInfo, Event, EventKind, StatusDocument, Task};
use baton_core::task::TaskState;
use baton_store::Store;
use chrono::Utc;

fn document(tasks: usize, first_seq: u64, events: usize, state: TaskState) -> StatusDocument {
    let now = Utc::now();
    StatusDocument {
        tasks: (0..tasks)
            .map(|i| Task {
                writes: vec![format!("file:///drafts/{i}.md")],
                ..Task::new(
                    format!("t-{i}"),
                    format!("Task number {i} of the benchmark"),
                    state,
                )
            })
            .collect(),
        events: (0..events as u64)
            .map(|i| Event {
                task_id: Some(format!("t-{}", i as usize % tasks.max(1))),
                resource: Some(format!("file:///drafts/{i}.md")),
                ..Event::new(first_seq + i, now, EventKind::Write)
            })
            .collect(),
        cursor: (first_seq + events as u64).to_string(),
        ..StatusDocument::new(AgentInfo::new("bench"))
    }
}

fn time<T>(label: &str, runs: u32, mut f: impl FnMut() -> T) {
    let mut best = Duration::MAX;
    let mut total = Duration::ZERO;
    for _ in 0..runs {
        let start = Instant::now();
        std::hint::black_box(f());
        let took = start.elapsed();
        best = best.min(took);
        total += took;
    }
    println!(
        "{label:<58} best {:>9.2} ms   mean {:>9.2} ms   ({runs} runs)",
        best.as_secs_f64() * 1e3,
        total.as_secs_f64() * 1e3 / f64::from(runs)
    );
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut store = Store::open(&dir.path().join("bench.sqlite3")).expect("open store");
    let agent = store
        .add_agent(&AgentDraft::new("bench", "http://127.0.0.1:1"))
        .expect("add agent");

    println!("baton-store benchmark (file database, WAL, synchronous=NORMAL)");
    let big = document(10_000, 1, 1_000, TaskState::Working);
    time(
        "ingest 10,000 new tasks + 1,000 events (one poll)",
        1,
        || store.ingest(agent.id, &big, Utc::now()).unwrap(),
    );
    time(
        "re-ingest the same 10,000 tasks (nothing changed)",
        5,
        || store.ingest(agent.id, &big, Utc::now()).unwrap(),
    );
    let moved = document(10_000, 1_001, 1_000, TaskState::Completed);
    time("ingest 10,000 tasks that all changed state", 1, || {
        store.ingest(agent.id, &moved, Utc::now()).unwrap()
    });
    time("task_cards for the board (10,000 cards)", 10, || {
        store.task_cards(None).unwrap()
    });
    time("agent_rows (health + column counts)", 50, || {
        store.agent_rows().unwrap()
    });
    time("task_events for one task (drawer)", 200, || {
        store.task_events(agent.id, "t-42", 500).unwrap()
    });

    // A fleet of 100 agents, each answering a typical poll: 20 tasks, 5 new events.
    let mut agents = Vec::new();
    for i in 0..100 {
        agents.push(
            store
                .add_agent(&AgentDraft::new(
                    format!("fleet-{i}"),
                    format!("http://127.0.0.1:{}", 2000 + i),
                ))
                .unwrap()
                .id,
        );
    }
    let mut seq = 1;
    time(
        "one polling round of 100 agents (20 tasks, 5 events each)",
        20,
        || {
            for id in &agents {
                let doc = document(20, seq, 5, TaskState::Working);
                store.ingest(*id, &doc, Utc::now()).unwrap();
            }
            seq += 5;
        },
    );
}
