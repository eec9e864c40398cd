//! `make bench`: the fleet timeline and the replay on a week of history. A store holding
//! 100,000 events over 7 days from `--agents` agents (default 50; 1,000 for the scale users
//! outgrow), each task moving through its states, is read as the Timeline view reads it: a
//! week, a day and an hour of the lanes on screen, and the board replayed at random moments as
//! the scrubber moves. Then the retention compacts it. Prints figures; asserts nothing.
//! Results go to docs/performance.md.

use std::time::{Duration as StdDuration, Instant};

use baton_core::agent::{AgentDraft, AgentHealth, Reachability};
use baton_core::protocol::{AgentInfo, Event, EventKind, StatusDocument, Task};
use baton_core::task::TaskState;
use baton_store::Store;
use chrono::{DateTime, Duration, Utc};

const EVENTS: u64 = 100_000;
const DAYS: i64 = 7;
/// Events an agent reports per poll (and per task).
const PER_POLL: u64 = 20;

/// The fleet timeline and the replay on a week of history.
#[derive(clap::Parser)]
struct Flags {
    /// Agents the history comes from
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..))]
    agents: u64,
}

fn doc(tasks: Vec<Task>, events: Vec<Event>, cursor: String) -> StatusDocument {
    StatusDocument {
        tasks,
        events,
        cursor,
        ..StatusDocument::new(AgentInfo::new("bench"))
    }
}

fn task(id: &str, state: TaskState) -> Task {
    Task::new(id, format!("Task {id} of the week"), state)
}

/// Percentiles of the runs, in ms.
fn report(label: &str, mut runs: Vec<StdDuration>) {
    runs.sort();
    let ms = |d: StdDuration| d.as_secs_f64() * 1000.0;
    let at = |p: f64| runs[((runs.len() as f64 * p) as usize).min(runs.len() - 1)];
    println!(
        "{label:<58} p50 {:>7.2} ms  p95 {:>7.2} ms  max {:>7.2} ms  ({} runs)",
        ms(at(0.5)),
        ms(at(0.95)),
        ms(*runs.last().unwrap()),
        runs.len()
    );
}

fn timed<T>(runs: usize, mut f: impl FnMut(usize) -> T) -> Vec<StdDuration> {
    (0..runs)
        .map(|i| {
            let start = Instant::now();
            std::hint::black_box(f(i));
            start.elapsed()
        })
        .collect()
}

/// A small deterministic generator (no dependency for a bench).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
}

fn main() {
    let agents = <Flags as clap::Parser>::parse().agents as usize;
    let dir = std::env::temp_dir().join(format!("baton-timeline-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("baton.sqlite3");
    let mut store = Store::open(&path).unwrap();
    let ids: Vec<i64> = (0..agents)
        .map(|i| {
            store
                .add_agent(&AgentDraft::new(
                    format!("agent-{i:04}"),
                    format!("http://127.0.0.1:9/{i}"),
                ))
                .unwrap()
                .id
        })
        .collect();
    let end = Utc::now();
    let start = end - Duration::days(DAYS);
    // The agents were up from the start of the week (their first health change then).
    for &id in &ids {
        let health = AgentHealth {
            reachability: Reachability::Up,
            last_attempt_at: Some(start),
            last_success_at: Some(start),
            ..AgentHealth::default()
        };
        store.record_health(id, &health).unwrap();
    }
    let polls = EVENTS / PER_POLL;
    let step = Duration::milliseconds(DAYS * 86_400_000 / polls as i64);
    let built = Instant::now();
    // Poll k goes to agent k % agents: its task k is submitted, working (with the events) and
    // completed (every fifth fails) over three polls, as a fleet reports its work.
    let mut seq = vec![0u64; agents];
    for k in 0..polls {
        let a = k as usize % agents;
        let at: DateTime<Utc> = start + step * k as i32;
        let id = format!("t-{k}");
        let events: Vec<Event> = (0..PER_POLL)
            .map(|i| {
                seq[a] += 1;
                Event {
                    task_id: Some(id.clone()),
                    resource: Some(format!("file:///work/{a}/{}.md", i % 7)),
                    ..Event::new(
                        seq[a],
                        at,
                        [EventKind::Write, EventKind::Read, EventKind::ApiCall][i as usize % 3],
                    )
                }
            })
            .collect();
        let mut tasks = vec![task(&id, TaskState::Working)];
        if k >= agents as u64 {
            let before = format!("t-{}", k - agents as u64);
            let ended = if k % 5 == 0 {
                TaskState::Failed
            } else {
                TaskState::Completed
            };
            tasks.push(task(&before, ended));
        }
        store
            .ingest(ids[a], &doc(tasks, events, seq[a].to_string()), at)
            .unwrap();
    }
    let versions: i64 = store.history_rows().unwrap();
    println!(
        "store: {agents} agents, {EVENTS} events over {DAYS} days, {polls} tasks, {versions} task versions ({:.1} s to build, {:.1} MB)",
        built.elapsed().as_secs_f64(),
        std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) as f64 / 1e6
    );

    let on_screen: Vec<i64> = ids.iter().copied().take(30).collect();
    for (label, span, buckets) in [
        (
            "timeline: a week, 30 lanes on screen, 1,200 buckets",
            Duration::days(7),
            1200,
        ),
        (
            "timeline: a day, 30 lanes on screen, 1,200 buckets",
            Duration::days(1),
            1200,
        ),
        (
            "timeline: an hour, 30 lanes (events listed)",
            Duration::hours(1),
            1200,
        ),
    ] {
        let runs = timed(20, |i| {
            let to = end - Duration::minutes(i as i64 * 7);
            store
                .fleet_timeline(to - span, to, buckets, &on_screen)
                .unwrap()
        });
        report(label, runs);
    }
    let mut rng = Lcg(7);
    let runs = timed(100, |_| {
        let at = start + Duration::milliseconds((rng.next() % (DAYS as u64 * 86_400_000)) as i64);
        store.replay_at(at).unwrap()
    });
    report("replay: the board and agents at a random moment", runs);
    let frame = store.replay_at(end - Duration::days(3)).unwrap();
    println!(
        "  (a replayed frame: {} cards, {} agents)",
        frame.board.len(),
        frame.agents.len()
    );

    let later = end + Duration::days(31) - Duration::days(DAYS) / 2;
    let compacting = Instant::now();
    let mut removed = (0usize, 0usize);
    loop {
        let done = store.compact(later).unwrap();
        removed.0 += done.events;
        removed.1 += done.task_versions;
        if !done.more {
            break;
        }
    }
    println!(
        "retention: {} events and {} task versions compacted (half the week past 30 days) in {:.0} ms",
        removed.0,
        removed.1,
        compacting.elapsed().as_secs_f64() * 1000.0
    );
    let runs = timed(50, |_| {
        let at = start + Duration::milliseconds((rng.next() % (DAYS as u64 * 86_400_000)) as i64);
        store.replay_at(at).unwrap()
    });
    report("replay after compaction", runs);
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}
