//! `make bench`: one detector run at fleet scale, without a store or HTTP. Simulated agents
//! (`baton-sim`'s scripts, the ones `watchers_failover` and `fleet_load` poll) work for
//! `--fill-seconds`, taken into the detectors' window as the engine takes polls in (a poll of
//! every agent every 10 s), until the window is as full as a busy fleet keeps it; then each run
//! is a second more of work, every agent polled once, and `detect` over it is timed (p50, p95,
//! max), as the watcher holding the detectors runs it after each second of polls. Prints
//! figures; asserts nothing. Results go to docs/performance.md.
//!
//! `cargo run --release -p baton-engine --example detect_bench -- --agents 1000`

use std::collections::HashMap;
use std::time::{Duration, Instant};

use baton_core::detect::handoff::HandoffSchemas;
use baton_core::detect::{
    detect, AgentStatus, DetectConfig, DetectState, ObservedEvent, ObservedTask,
};
use baton_core::protocol::Task;
use baton_sim::script::AgentScript;
use chrono::{DateTime, TimeZone, Utc};
use clap::Parser;

#[derive(Parser)]
#[command(about = "One detector run over a simulated fleet's window of events")]
struct Args {
    /// Simulated agents.
    #[arg(long, default_value_t = 1000)]
    agents: usize,
    /// Seconds of the fleet's work taken in before the runs are timed.
    #[arg(long, default_value_t = 300)]
    fill_seconds: u64,
    /// Runs timed.
    #[arg(long, default_value_t = 30)]
    runs: usize,
    /// Runs a second: each run takes in the polls of that share of the agents (the watcher runs
    /// the detectors again as soon as a run ends and polls were stored meanwhile).
    #[arg(long, default_value_t = 1)]
    runs_per_second: usize,
}

/// What the engine's detector keeps of the last half hour (its `LOOKBACK`).
const LOOKBACK: chrono::Duration = chrono::Duration::minutes(30);

/// The fleet, where each agent's polls got to, and each task as last stored (the detectors
/// take in the tasks that changed, as the engine reads them from the store).
struct Fleet {
    scripts: Vec<AgentScript>,
    cursors: Vec<Option<String>>,
    stored: HashMap<(i64, String), Task>,
}

impl Fleet {
    fn new(agents: usize) -> Fleet {
        Fleet {
            scripts: (0..agents)
                .map(|i| AgentScript::new(i, agents, 7))
                .collect(),
            cursors: vec![None; agents],
            stored: HashMap::new(),
        }
    }

    fn statuses(&self) -> Vec<AgentStatus> {
        self.scripts
            .iter()
            .enumerate()
            .map(|(i, s)| AgentStatus {
                id: i as i64 + 1,
                name: s.name().to_owned(),
                remote_id: Some(s.id().to_owned()),
                consecutive_failures: 0,
                last_error: None,
                last_success: None,
                counter: None,
                branch: None,
            })
            .collect()
    }

    fn tick(&mut self, now: DateTime<Utc>) {
        for script in &mut self.scripts {
            script.tick(now);
        }
    }

    /// The agents of share `share` of `shares` polled once (every agent: `poll(now, 0, 1)`): their
    /// new events and the tasks that changed, as the engine observes them.
    fn poll(
        &mut self,
        now: DateTime<Utc>,
        share: usize,
        shares: usize,
    ) -> (Vec<ObservedEvent>, Vec<ObservedTask>) {
        let (mut events, mut tasks) = (Vec::new(), Vec::new());
        for (i, script) in self.scripts.iter_mut().enumerate() {
            if i % shares != share {
                continue;
            }
            let agent_id = i as i64 + 1;
            let doc = script.poll(self.cursors[i].as_deref(), usize::MAX);
            self.cursors[i] = Some(doc.cursor);
            events.extend(
                doc.events
                    .into_iter()
                    .map(|event| ObservedEvent { agent_id, event }),
            );
            for task in doc.tasks {
                let key = (agent_id, task.id.clone());
                if self.stored.get(&key) == Some(&task) {
                    continue;
                }
                self.stored.insert(key, task.clone());
                tasks.push(ObservedTask {
                    agent_id,
                    task,
                    updated_at: now,
                });
            }
        }
        (events, tasks)
    }
}

fn main() {
    let args = Args::parse();
    let start = Utc.with_ymd_and_hms(2026, 11, 27, 9, 0, 0).unwrap();
    let mut fleet = Fleet::new(args.agents);
    let mut state = DetectState::default();
    state.set_agents(fleet.statuses());
    let (config, schemas) = (DetectConfig::default(), HandoffSchemas::default());

    let filling = Instant::now();
    let mut now = start;
    for second in 1..=args.fill_seconds {
        now = start + chrono::Duration::seconds(second as i64);
        fleet.tick(now);
        if second % 10 == 0 || second == args.fill_seconds {
            let (events, tasks) = fleet.poll(now, 0, 1);
            state.take_tasks(tasks);
            state.take_events(&events);
            state.settle(now - LOOKBACK);
        }
    }
    println!(
        "detect_bench: {} simulated agents, {} s of their work taken in ({:.1} s): {} events in the window, {} tasks held",
        args.agents,
        args.fill_seconds,
        filling.elapsed().as_secs_f64(),
        state.recent.len(),
        state.tasks.len()
    );

    let mut took: Vec<Duration> = Vec::with_capacity(args.runs);
    let (mut new_events, mut findings) = (0usize, 0usize);
    // What was found, to compare two builds' answers: each finding's key, agents and evidence,
    // in an order of their own. Not the summary: a finding merged from several pairs is worded
    // after one of them, which one following the order of a hash map.
    let mut found_all: Vec<String> = Vec::new();
    let shares = args.runs_per_second.max(1);
    for run in 0..args.runs {
        let share = run % shares;
        now += chrono::Duration::milliseconds(1000 / shares as i64);
        // A second of work at its start; each share's agents are polled in turn during it.
        if share == 0 {
            fleet.tick(now);
        }
        let (events, tasks) = fleet.poll(now, share, shares);
        state.take_tasks(tasks);
        let fresh = state.take_events(&events);
        let news: Vec<ObservedEvent> = events
            .into_iter()
            .zip(fresh)
            .filter_map(|(e, fresh)| fresh.then_some(e))
            .collect();
        new_events += news.len();
        let started = Instant::now();
        let found = detect(&state.input(now, &news, &config, &schemas));
        took.push(started.elapsed());
        findings += found.findings.len();
        found_all.extend(found.findings.iter().map(|f| {
            let mut evidence: Vec<String> = f.evidence.iter().map(|e| format!("{e:?}")).collect();
            evidence.sort();
            format!("{} {:?} {evidence:?}", f.dedupe_key, f.agents)
        }));
        state.settle(now - LOOKBACK);
    }
    took.sort();
    let at = |q: f64| took[((took.len() as f64 * q) as usize).min(took.len() - 1)];
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "  {} runs a second ({} new events, {} findings a run on average): p50 {:.1} ms   p95 {:.1} ms   max {:.1} ms",
        shares,
        new_events / args.runs.max(1),
        findings / args.runs.max(1),
        ms(at(0.5)),
        ms(at(0.95)),
        ms(*took.last().expect("a run"))
    );
    // The figure `make bench` compares with the one recorded (scripts/bench.sh, "guard").
    println!(
        "guard detector_run_p50_ms_{shares}_a_second {:.1}",
        ms(at(0.5))
    );
    found_all.sort();

    let mut digest = std::hash::DefaultHasher::new();
    std::hash::Hash::hash(&found_all, &mut digest);
    println!(
        "  findings' digest {:016x} (the same for two builds that find the same)",
        std::hash::Hasher::finish(&digest)
    );
}
