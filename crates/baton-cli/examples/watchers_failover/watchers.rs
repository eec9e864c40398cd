//! The watchers a run starts, samples and waits on, and the store read for which of them holds
//! which agent.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::probe::Probe;
use crate::support::*;

/// The longest a round waits for a takeover or for the agents to be shared out again.
pub const ROUND_LIMIT: Duration = Duration::from_secs(120);

/// One running watcher, sampled from /proc.
pub struct Running {
    pub proc: Proc,
    pub name: String,
    pub sampler: Sampler,
    pub out: PathBuf,
}

/// One slot of the watchers: the processes it ran one after the other.
#[derive(Default)]
pub struct Slot {
    pub cpu_seconds: f64,
    pub wall_seconds: f64,
    pub rss_max_kib: u64,
    pub outputs: Vec<PathBuf>,
}

impl Slot {
    pub fn add(&mut self, summary: &Summary) {
        self.cpu_seconds += summary.cpu_seconds;
        self.wall_seconds += summary.wall_seconds;
        self.rss_max_kib = self.rss_max_kib.max(summary.rss_max);
    }
}

/// The agents (fleet indices) `held` gives to watcher `name`, and the others.
pub fn held_by(
    held: &HashMap<i64, String>,
    index: &HashMap<i64, usize>,
    name: &str,
) -> (Vec<usize>, Vec<usize>) {
    let (mut its, mut others) = (Vec::new(), Vec::new());
    for (agent, holder) in held {
        if let Some(&i) = index.get(agent) {
            if holder == name {
                &mut its
            } else {
                &mut others
            }
            .push(i);
        }
    }
    (its, others)
}

/// The store, read for who holds what: store agent id → watcher name, live leases only.
pub fn holders(store: &baton_store::Store) -> Fallible<HashMap<i64, String>> {
    let names: HashMap<i64, String> = store
        .watchers_view()
        .map_err(|e| format!("watchers: {e}"))?
        .into_iter()
        .map(|w| (w.id, w.name))
        .collect();
    Ok(store
        .agent_leases()
        .map_err(|e| format!("leases: {e}"))?
        .into_iter()
        .filter(|(_, _, _, live)| *live)
        .filter_map(|(agent, watcher, _, _)| Some((agent, names.get(&watcher)?.clone())))
        .collect())
}

/// Every agent held, by the running watchers only, each its share.
pub fn shared_out(held: &HashMap<i64, String>, agents: usize, running: &[&Running]) -> bool {
    let share = agents.div_ceil(running.len());
    held.len() == agents
        && running.iter().all(|w| {
            let count = held.values().filter(|h| **h == w.name).count();
            (agents / running.len()..=share).contains(&count)
        })
}

/// Starts watcher `name` on `config` (`baton watch`, with `--stats` when it takes it), its
/// output in `dir`, sampled from /proc.
pub fn start(
    baton: &std::path::Path,
    dir: &std::path::Path,
    config: &std::path::Path,
    name: &str,
    stats: bool,
) -> Fallible<Running> {
    let out = dir.join(format!("{name}.out"));
    let mut command = Command::new(baton);
    command
        .arg("--data-dir")
        .arg(dir.join("data"))
        .args(["watch", "--config"])
        .arg(config)
        .args(["--name", name]);
    if stats {
        command.arg("--stats");
    }
    let proc = Proc::spawn(name, &mut command, &out, &dir.join(format!("{name}.err")))?;
    // CPU and RSS: what the report shows (PSS would cost CPU the watchers need).
    let mut sampler = Sampler::new(proc.pid(), false).without_pss();
    sampler.baseline();
    Ok(Running {
        proc,
        name: name.to_owned(),
        sampler,
        out,
    })
}

/// Sleeps `for_`, sampling every watcher (and the server, and the heartbeats) once a second;
/// false when interrupted.
pub fn run_for(for_: Duration, watchers: &mut [Running], probe: &mut Probe) -> bool {
    let until = Instant::now() + for_;
    let mut tick = Instant::now();
    while Instant::now() < until {
        tick += Duration::from_millis(500);
        if !sleep_until(tick.min(until)) {
            return false;
        }
        for w in watchers.iter_mut() {
            w.sampler.sample();
        }
        probe.sample();
    }
    true
}

/// Waits up to [`ROUND_LIMIT`] for `ready`, sampling meanwhile; how long it took.
pub fn wait_for(
    watchers: &mut [Running],
    probe: &mut Probe,
    mut ready: impl FnMut(&[Running]) -> Fallible<bool>,
) -> Fallible<Option<Duration>> {
    let started = Instant::now();
    while started.elapsed() < ROUND_LIMIT {
        if ready(watchers)? {
            return Ok(Some(started.elapsed()));
        }
        if !run_for(Duration::from_millis(200), watchers, probe) {
            return Err("interrupted".into());
        }
    }
    Ok(None)
}
