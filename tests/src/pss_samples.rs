//! Samples of a running app's memory (`app_memory`), as the memory benchmarks (`soak_bench`,
//! `floor_bench`) take, average and print them.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use crate::app_memory::{app_processes, by_name, label, maps_file, ProcessMemory};

/// One sample: the PSS of each of the app's processes at a moment.
#[derive(Debug, Clone, Default)]
pub struct Sample {
    /// Minutes since the run's start.
    pub minute: f64,
    /// PSS in KiB per process name (`label`led when printed).
    pub split: BTreeMap<String, u64>,
    /// PSS in KiB, summed over the app's processes.
    pub total: u64,
    /// WebKit web processes of other apps running then (they lower our PSS: see the top).
    pub others: usize,
}

/// The app of data folder `data` now (`started`: the run's start).
pub fn sample(data: &Path, started: Instant) -> Sample {
    let ours = app_processes(data);
    let pids: Vec<u32> = ours.iter().map(|p| p.pid).collect();
    let split = by_name(&ours);
    Sample {
        minute: started.elapsed().as_secs_f64() / 60.0,
        total: split.values().sum(),
        split,
        others: other_webkit_processes(&pids),
    }
}

/// KiB in MiB.
pub fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// KiB in MB (10^6 bytes, as issue 35 writes its goal).
pub fn mb(kib: u64) -> f64 {
    kib as f64 * 1024.0 / 1e6
}

/// The mean of each process' PSS (and of the sum) over some samples.
pub fn mean(samples: &[Sample]) -> Sample {
    let n = samples.len().max(1) as u64;
    let mut split = BTreeMap::new();
    for s in samples {
        for (name, pss) in &s.split {
            *split.entry(name.clone()).or_insert(0) += pss;
        }
    }
    split.values_mut().for_each(|v| *v /= n);
    Sample {
        minute: samples.first().map(|s| s.minute).unwrap_or(0.0),
        total: samples.iter().map(|s| s.total).sum::<u64>() / n,
        split,
        others: samples.iter().map(|s| s.others).max().unwrap_or(0),
    }
}

/// Which of the app's processes map Mesa's GL driver and its libLLVM (llvmpipe, no GPU here).
pub fn gl_text(data: &Path) -> String {
    app_processes(data)
        .iter()
        .map(|p| {
            let gl = match (maps_file(p.pid, "_dri.so"), maps_file(p.pid, "libLLVM")) {
                (false, false) => "no GL driver",
                (true, false) => "GL driver",
                (_, true) => "GL driver + libLLVM",
            };
            format!("{} {gl}", label(&p.name))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn split_text(s: &Sample) -> String {
    s.split
        .iter()
        .map(|(name, pss)| format!("{} {:.1}", label(name), mib(*pss)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// How far `to` is from `from`, in percent of `from`.
pub fn percent(from: u64, to: u64) -> f64 {
    if from == 0 {
        return 0.0;
    }
    (to as f64 - from as f64) / from as f64 * 100.0
}

/// WebKit processes on the machine that are not this app's (they share its libraries' pages).
fn other_webkit_processes(ours: &[u32]) -> usize {
    std::fs::read_dir("/proc")
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
                .filter(|pid| !ours.contains(pid))
                .filter(|pid| {
                    std::fs::read_to_string(format!("/proc/{pid}/comm"))
                        .is_ok_and(|n| n.starts_with("WebKitWebProces"))
                })
                .count()
        })
        .unwrap_or(0)
}

/// One process' line: its PSS, what it is made of, its RSS (MiB).
pub fn process_text(p: &ProcessMemory) -> String {
    format!(
        "{} ({}) PSS {:.1} MiB (anonymous {:.1}, files {:.1}), RSS {:.1} MiB",
        p.name,
        p.pid,
        mib(p.pss),
        mib(p.pss_anon),
        mib(p.pss_file),
        mib(p.rss)
    )
}
