//! Samples of processes from /proc: CPU, RSS, PSS, threads.

use std::collections::BTreeMap;
use std::time::Instant;

pub(super) fn field_kib(text: &str, name: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

fn clock_ticks() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 {
        ticks as f64
    } else {
        100.0
    }
}

/// utime + stime of a live process, in clock ticks, and its parent's pid (None for a zombie).
fn stat(pid: u32) -> Option<(u64, u32)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: the fields start after the last ')'.
    let rest = &text[text.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    if matches!(fields.first(), Some(&"Z") | Some(&"X")) {
        return None;
    }
    // rest[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
    let ppid = fields.get(1)?.parse().ok()?;
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime, ppid))
}

/// The children of `pid` (e.g. nginx's workers), found by scanning /proc.
pub fn children_of(pid: u32) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&p| stat(p).is_some_and(|(_, ppid)| ppid == pid))
        .collect()
}

/// One reading of a process (or a group: a master and its workers, summed).
#[derive(Debug, Clone, Copy, Default)]
pub struct Sample {
    /// Over the last interval, in % of one core.
    pub cpu_pct: f64,
    pub rss_kib: u64,
    pub pss_kib: u64,
    pub threads: u64,
    pub processes: usize,
}

/// Samples a process and, with `with_children`, its children too.
pub struct Sampler {
    pid: u32,
    with_children: bool,
    /// Whether each sample reads PSS (`smaps_rollup`), see [`Sampler::without_pss`].
    pss: bool,
    last: Option<(Instant, BTreeMap<u32, u64>)>,
    ticks_per_s: f64,
    pub samples: Vec<Sample>,
    /// CPU seconds over the sampled time, and that time.
    cpu_seconds: f64,
    wall_seconds: f64,
}

impl Sampler {
    pub fn new(pid: u32, with_children: bool) -> Sampler {
        Sampler {
            pid,
            with_children,
            pss: true,
            last: None,
            ticks_per_s: clock_ticks(),
            samples: Vec::new(),
            cpu_seconds: 0.0,
            wall_seconds: 0.0,
        }
    }

    /// Samples CPU, RSS and threads only. PSS comes from `smaps_rollup`, which the kernel
    /// answers by walking the process's page tables: every PostgreSQL backend maps the server's
    /// shared buffers, and reading theirs twice a second took 3 % of this machine's two cores
    /// at the start of a `watchers_failover` run and 16 % four and a half minutes in (growing as
    /// the backends touch more of the buffers), from the very processes being measured.
    pub fn without_pss(mut self) -> Sampler {
        self.pss = false;
        self
    }

    fn pids(&self) -> Vec<u32> {
        let mut pids = vec![self.pid];
        if self.with_children {
            pids.extend(children_of(self.pid));
        }
        pids
    }

    pub fn has_baseline(&self) -> bool {
        self.last.is_some()
    }

    /// Sets the CPU baseline without recording a sample.
    pub fn baseline(&mut self) {
        let ticks = self
            .pids()
            .into_iter()
            .filter_map(|p| Some((p, stat(p)?.0)))
            .collect();
        self.last = Some((Instant::now(), ticks));
    }

    /// Reads the process(es) now; the CPU figure covers the time since the previous call. A
    /// process that appeared since counts from now on. None once the process is gone.
    pub fn sample(&mut self) -> Option<Sample> {
        let now = Instant::now();
        let mut ticks = BTreeMap::new();
        let mut sample = Sample::default();
        for pid in self.pids() {
            let Some((t, _)) = stat(pid) else { continue };
            ticks.insert(pid, t);
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
            sample.rss_kib += field_kib(&status, "VmRSS:").unwrap_or(0);
            sample.threads += field_kib(&status, "Threads:").unwrap_or(0);
            if self.pss {
                let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
                    .unwrap_or_default();
                sample.pss_kib += field_kib(&rollup, "Pss:").unwrap_or(0);
            }
            sample.processes += 1;
        }
        if !ticks.contains_key(&self.pid) {
            return None;
        }
        let previous = self.last.replace((now, ticks.clone()));
        let Some((then, before)) = previous else {
            return None; // first call: a baseline only
        };
        let wall = now.duration_since(then).as_secs_f64();
        let used: u64 = ticks
            .iter()
            .filter_map(|(pid, t)| before.get(pid).map(|b| t.saturating_sub(*b)))
            .sum();
        let cpu = used as f64 / self.ticks_per_s;
        self.cpu_seconds += cpu;
        self.wall_seconds += wall;
        sample.cpu_pct = if wall > 0.0 { cpu / wall * 100.0 } else { 0.0 };
        self.samples.push(sample);
        Some(sample)
    }

    pub fn summary(&self) -> Summary {
        let s = &self.samples;
        let max = |f: fn(&Sample) -> u64| s.iter().map(f).max().unwrap_or(0);
        let mean = |f: fn(&Sample) -> u64| {
            if s.is_empty() {
                0
            } else {
                s.iter().map(f).sum::<u64>() / s.len() as u64
            }
        };
        Summary {
            samples: s.len(),
            cpu_mean: if self.wall_seconds > 0.0 {
                self.cpu_seconds / self.wall_seconds * 100.0
            } else {
                0.0
            },
            cpu_max: s.iter().map(|x| x.cpu_pct).fold(0.0, f64::max),
            cpu_seconds: self.cpu_seconds,
            wall_seconds: self.wall_seconds,
            rss_end: s.last().map_or(0, |x| x.rss_kib),
            rss_mean: mean(|x| x.rss_kib),
            rss_max: max(|x| x.rss_kib),
            pss_end: s.last().map_or(0, |x| x.pss_kib),
            pss_mean: mean(|x| x.pss_kib),
            pss_max: max(|x| x.pss_kib),
            threads_end: s.last().map_or(0, |x| x.threads),
            threads_max: max(|x| x.threads),
            processes: s.last().map_or(0, |x| x.processes),
        }
    }
}

/// What a [`Sampler`] saw over its samples (memory in KiB).
#[derive(Debug, Clone, Copy, Default)]
pub struct Summary {
    pub samples: usize,
    /// CPU time over wall time, % of one core.
    pub cpu_mean: f64,
    /// The busiest one-second sample.
    pub cpu_max: f64,
    pub cpu_seconds: f64,
    /// The time the CPU figures cover.
    pub wall_seconds: f64,
    pub rss_end: u64,
    pub rss_mean: u64,
    pub rss_max: u64,
    pub pss_end: u64,
    pub pss_mean: u64,
    pub pss_max: u64,
    pub threads_end: u64,
    pub threads_max: u64,
    pub processes: usize,
}

pub fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}
