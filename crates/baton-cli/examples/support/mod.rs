//! What the process benchmarks (`fleet_load`, `vs_prometheus`) share: flags, the machine, child
//! processes that are always stopped, samples from /proc, `baton` itself, and tables.
//!
//! Linux only (it reads /proc). Nothing here asserts a figure: the harnesses print, people judge.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

pub mod lateness;

/// A harness failure (not a bad figure): printed, and the harness exits 2.
pub type Fallible<T> = Result<T, String>;

// --- the machine -------------------------------------------------------------------------------

/// The machine a figure was taken on.
pub fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, m)| m.trim().to_owned())
        .unwrap_or_else(|| "unknown CPU".into());
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_kib = field_kib(&meminfo, "MemTotal:").unwrap_or(0);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    format!(
        "{cpus} CPU ({model}), {:.1} GiB RAM, load before the run {}",
        mem_kib as f64 / 1024.0 / 1024.0,
        load.join(" ")
    )
}

pub fn now_utc() -> String {
    chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string()
}

/// Raises this process's open-file limit to its hard limit (children inherit it): a thousand
/// agents are a thousand sockets on each side.
pub fn raise_open_files() -> u64 {
    // SAFETY: getrlimit/setrlimit with a valid, owned struct.
    unsafe {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return 0;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                return raised.rlim_cur;
            }
        }
        limit.rlim_cur
    }
}

// --- Ctrl-C ------------------------------------------------------------------------------------

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// From now on SIGINT and SIGTERM only set a flag ([`interrupted`]): the harness stops its
/// children itself. (The children run in process groups of their own, so a Ctrl-C in the
/// terminal reaches only the harness.)
pub fn catch_interrupts() {
    let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        libc::signal(libc::SIGINT, handler);
        libc::signal(libc::SIGTERM, handler);
    }
}

pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Sleeps until `until`, in short steps; false when interrupted on the way.
pub fn sleep_until(until: Instant) -> bool {
    loop {
        if interrupted() {
            return false;
        }
        let now = Instant::now();
        if now >= until {
            return true;
        }
        std::thread::sleep((until - now).min(Duration::from_millis(100)));
    }
}

// --- child processes ---------------------------------------------------------------------------

/// A child process that is stopped (SIGTERM, then SIGKILL) when dropped, whatever happened.
pub struct Proc {
    pub name: String,
    child: Child,
    pub started: Instant,
    exited: Option<(ExitStatus, Instant)>,
}

/// How a child ended.
#[derive(Debug, Clone)]
pub struct Ended {
    pub status: Option<ExitStatus>,
    pub at: Instant,
    /// It did not stop on SIGTERM within the grace period and was killed.
    pub killed: bool,
}

impl Proc {
    /// Starts `command` in a process group of its own with stdout and stderr going to files.
    pub fn spawn(
        name: &str,
        command: &mut Command,
        stdout: &Path,
        stderr: &Path,
    ) -> Fallible<Proc> {
        let out =
            File::create(stdout).map_err(|e| format!("cannot create {}: {e}", stdout.display()))?;
        let err =
            File::create(stderr).map_err(|e| format!("cannot create {}: {e}", stderr.display()))?;
        let child = command
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0)
            .spawn()
            .map_err(|e| format!("cannot start {name} ({:?}): {e}", command.get_program()))?;
        Ok(Proc {
            name: name.to_owned(),
            child,
            started: Instant::now(),
            exited: None,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The exit status, if it has exited (checked without waiting).
    pub fn poll_exit(&mut self) -> Option<(ExitStatus, Instant)> {
        if self.exited.is_none() {
            if let Ok(Some(status)) = self.child.try_wait() {
                self.exited = Some((status, Instant::now()));
            }
        }
        self.exited
    }

    /// Waits up to `timeout` for it to exit by itself.
    pub fn wait_for(&mut self, timeout: Duration) -> Option<(ExitStatus, Instant)> {
        let until = Instant::now() + timeout;
        loop {
            if let Some(exit) = self.poll_exit() {
                return Some(exit);
            }
            if Instant::now() >= until {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn signal(&self, signal: libc::c_int) {
        if self.exited.is_none() {
            // SAFETY: kill(2) on our own child's pid, which we have not reaped yet.
            unsafe {
                libc::kill(self.child.id() as libc::pid_t, signal);
            }
        }
    }

    /// SIGTERM, up to `grace` to exit, then SIGKILL. Always reaps the child.
    pub fn stop(&mut self, grace: Duration) -> Ended {
        if let Some((status, at)) = self.poll_exit() {
            return Ended {
                status: Some(status),
                at,
                killed: false,
            };
        }
        self.signal(libc::SIGTERM);
        if let Some((status, at)) = self.wait_for(grace) {
            return Ended {
                status: Some(status),
                at,
                killed: false,
            };
        }
        let _ = self.child.kill();
        let status = self.child.wait().ok();
        let at = Instant::now();
        if let Some(status) = status {
            self.exited = Some((status, at));
        }
        Ended {
            status,
            at,
            killed: true,
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if self.exited.is_none() {
            self.stop(Duration::from_secs(10));
        }
    }
}

/// Runs a short command to completion with its output in files under `dir`; gives up (and
/// kills it) after `timeout`. Returns stdout.
pub fn run_to_end(
    name: &str,
    command: &mut Command,
    dir: &Path,
    timeout: Duration,
) -> Fallible<String> {
    let stdout = dir.join(format!("{name}.out"));
    let stderr = dir.join(format!("{name}.err"));
    let mut proc = Proc::spawn(name, command, &stdout, &stderr)?;
    let Some((status, _)) = proc.wait_for(timeout) else {
        proc.stop(Duration::from_secs(2));
        return Err(format!(
            "{name} did not finish within {} s",
            timeout.as_secs()
        ));
    };
    let err = std::fs::read_to_string(&stderr).unwrap_or_default();
    if !status.success() {
        return Err(format!("{name} failed ({status}): {}", err.trim()));
    }
    std::fs::read_to_string(&stdout).map_err(|e| format!("{name}: reading its output: {e}"))
}

/// Finds an executable: `name` on PATH or in the sbin directories.
pub fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var("PATH").unwrap_or_default();
    let found = path
        .split(':')
        .chain(["/usr/sbin", "/sbin", "/usr/local/sbin"])
        .map(|dir| Path::new(dir).join(name))
        .find(|p| p.is_file());
    found
}

// --- baton ----------------------------------------------------------------------------------

/// The `baton` binary: `--baton PATH`, or the one next to this example (`target/release/baton`).
pub fn find_baton(given: Option<PathBuf>) -> Fallible<PathBuf> {
    if let Some(path) = given {
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!("--baton {}: no such file", path.display()))
        };
    }
    // target/<profile>/examples/<this> → target/<profile>/baton
    let exe = std::env::current_exe().map_err(|e| format!("where am I? {e}"))?;
    let path = exe
        .parent()
        .and_then(Path::parent)
        .map(|dir| dir.join("baton"))
        .ok_or("cannot tell the target directory from this example's path")?;
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "no baton binary at {}: build it first with\n    cargo build --release --locked -p baton-cli\n(or pass --baton PATH)",
            path.display()
        ))
    }
}

/// Whether this `baton watch` takes `--stats` (prints `stats: {json}` on exit).
pub fn watch_takes_stats(baton: &Path, dir: &Path) -> bool {
    run_to_end(
        "baton-watch-help",
        Command::new(baton).args(["watch", "--help"]),
        dir,
        Duration::from_secs(20),
    )
    .is_ok_and(|help| help.contains("--stats"))
}

/// The last `stats: {json}` line of a `baton watch` output file, its fields flattened
/// (`detector.p99_ms`). Reads the file line by line (it can be large).
pub fn watch_stats(stdout: &Path) -> Option<Vec<(String, String)>> {
    let file = File::open(stdout).ok()?;
    let mut last = None;
    for line in BufReader::new(file).lines().map_while(Result::ok) {
        if let Some(json) = line.strip_prefix("stats: ") {
            if let Ok(value @ serde_json::Value::Object(_)) = serde_json::from_str(json) {
                last = Some(value);
            }
        }
    }
    let mut fields = Vec::new();
    flatten("", &last?, &mut fields);
    Some(fields)
}

fn flatten(prefix: &str, value: &serde_json::Value, out: &mut Vec<(String, String)>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, value) in map {
                let name = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                flatten(&name, value, out);
            }
        }
        other => out.push((prefix.to_owned(), other.to_string())),
    }
}

/// What `baton status --json` says about the agents' health.
#[derive(Debug, Default)]
pub struct Health {
    pub agents: usize,
    pub up: usize,
    pub down: usize,
    pub not_polled: usize,
    /// Agents whose last successful poll was older than the staleness limit at the end of the
    /// run (an agent stays "up" until a poll fails, so "up" alone can hide polls that stopped).
    pub stale: usize,
    pub stale_after: Duration,
    /// The most common last errors of agents that are down, most frequent first.
    pub errors: Vec<(String, usize)>,
}

impl Health {
    pub fn summary(&self) -> String {
        let mut text = format!(
            "{} up, {} down, {} not polled yet (of {}); last success older than {} s at the end: {}",
            self.up,
            self.down,
            self.not_polled,
            self.agents,
            self.stale_after.as_secs_f64(),
            self.stale
        );
        if !self.errors.is_empty() {
            let errors: Vec<String> = self
                .errors
                .iter()
                .take(3)
                .map(|(e, n)| format!("{n}× \"{e}\""))
                .collect();
            text.push_str(&format!("; down because: {}", errors.join(", ")));
        }
        text
    }
}

/// The store's view of every agent, read with `baton status --json`; `end` is when polling
/// should have been going on until (an agent whose last success is older than `end` minus
/// `stale_after` counts as stale).
pub fn baton_health(
    baton: &Path,
    data_dir: &Path,
    scratch: &Path,
    end: Instant,
    stale_after: Duration,
) -> Fallible<Health> {
    let end = chrono::Utc::now()
        - chrono::Duration::from_std(Instant::now().saturating_duration_since(end))
            .unwrap_or_default();
    let cutoff = end - chrono::Duration::from_std(stale_after).unwrap_or_default();
    let out = run_to_end(
        "baton-status",
        Command::new(baton)
            .arg("--data-dir")
            .arg(data_dir)
            .args(["status", "--json"]),
        scratch,
        Duration::from_secs(60),
    )?;
    let rows: Vec<serde_json::Value> =
        serde_json::from_str(&out).map_err(|e| format!("baton status --json: {e}"))?;
    let mut health = Health {
        agents: rows.len(),
        stale_after,
        ..Health::default()
    };
    let mut errors: BTreeMap<String, usize> = BTreeMap::new();
    for row in &rows {
        let last_success = row["health"]["last_success_at"]
            .as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
        if last_success.is_none_or(|t| t < cutoff) {
            health.stale += 1;
        }
        match row["health"]["reachability"].as_str() {
            Some("up") => health.up += 1,
            Some("down") => {
                health.down += 1;
                let error = row["health"]["last_error"].as_str().unwrap_or("?");
                *errors.entry(error.to_owned()).or_default() += 1;
            }
            _ => health.not_polled += 1,
        }
    }
    health.errors = errors.into_iter().collect();
    health.errors.sort_by_key(|e| std::cmp::Reverse(e.1));
    Ok(health)
}

/// A throwaway PostgreSQL server (baton-testdb, in a temp folder, stopped when this process
/// ends) with its own durability (`fsync` on, as a real server has it), and a fresh database on
/// it named in `BATON_STORE` for every `baton` started from now on; its URL.
pub fn postgres_store() -> String {
    postgres_store_with(true)
}

/// [`postgres_store`], with `fsync` off when `fsync` is false (as the tests run it: commits do
/// not wait for the disk).
pub fn postgres_store_with(fsync: bool) -> String {
    std::env::set_var("BATON_TEST_PG_FSYNC", if fsync { "on" } else { "off" });
    let url = baton_testdb::server().fresh_database();
    std::env::set_var("BATON_STORE", &url);
    url
}

/// The settings the throwaway server runs with beyond its own defaults (`BATON_TEST_PG_OPTIONS`,
/// e.g. `-c shared_buffers=1GB -c max_wal_size=4GB` for a server sized as docs/team.md
/// advises), for a report: "PostgreSQL's defaults" when none.
pub fn postgres_settings() -> String {
    match std::env::var("BATON_TEST_PG_OPTIONS") {
        Ok(options) if !options.trim().is_empty() => options.trim().to_owned(),
        _ => "PostgreSQL's defaults".to_owned(),
    }
}

/// `agents` busy simulated agents (a tick a second) on 127.0.0.1, on a runtime of their own
/// (their servers and their tick timer): the runtime and the fleet.
pub fn start_fleet(agents: usize) -> Fallible<(tokio::runtime::Runtime, baton_sim::SimFleet)> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("sim-fleet")
        .build()
        .map_err(|e| format!("cannot start the fleet's runtime: {e}"))?;
    let fleet = runtime
        .block_on(baton_sim::SimFleet::start(baton_sim::SimConfig {
            agents,
            base_port: 0,
            tick_ms: 1000,
            ..baton_sim::SimConfig::default()
        }))
        .map_err(|e| format!("cannot start {agents} simulated agents: {e}"))?;
    Ok((runtime, fleet))
}

/// `dir/baton.toml` naming every agent of `fleet` (one entry each, names made unique), then
/// `extra` (e.g. a `[watch]` table); its path. `by` says which harness wrote it.
pub fn write_fleet_config(
    fleet: &baton_sim::SimFleet,
    dir: &Path,
    by: &str,
    interval_ms: u64,
    timeout_ms: u64,
    extra: &str,
) -> Fallible<PathBuf> {
    let mut toml = format!("# {by}: every simulated agent\n\n");
    let mut names = std::collections::HashSet::new();
    for agent in fleet.agents() {
        let name = if names.insert(agent.name.clone()) {
            agent.name.clone()
        } else {
            format!("{} #{}", agent.name, agent.index)
        };
        toml.push_str(&agent_entry(
            &name,
            &agent.base_url,
            interval_ms,
            timeout_ms,
        ));
    }
    toml.push_str(extra);
    let config = dir.join("baton.toml");
    std::fs::write(&config, toml).map_err(|e| format!("{}: {e}", config.display()))?;
    Ok(config)
}

/// TOML basic string (JSON's escapes are valid TOML).
pub fn toml_string(text: &str) -> String {
    serde_json::to_string(text).expect("a string serialises")
}

/// One `[[agents]]` entry of a baton.toml.
pub fn agent_entry(name: &str, url: &str, interval_ms: u64, timeout_ms: u64) -> String {
    format!(
        "[[agents]]\nname = {}\nurl = {}\npoll_interval_ms = {interval_ms}\ntimeout_ms = {timeout_ms}\n\n",
        toml_string(name),
        toml_string(url)
    )
}

/// The last `n` lines of a (small) text file, for error messages.
pub fn tail(path: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

// --- /proc ---------------------------------------------------------------------------------

fn field_kib(text: &str, name: &str) -> Option<u64> {
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

// --- a tiny HTTP client (no dependency; loopback only) -------------------------------------

/// `GET path` over HTTP/1.0 with a timeout; returns (status, body).
pub fn http_get(addr: SocketAddr, path: &str, timeout: Duration) -> Fallible<(u16, Vec<u8>)> {
    let mut stream = TcpStream::connect_timeout(&addr, timeout)
        .map_err(|e| format!("GET http://{addr}{path}: {e}"))?;
    stream.set_read_timeout(Some(timeout)).ok();
    stream.set_write_timeout(Some(timeout)).ok();
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nHost: {addr}\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| format!("GET http://{addr}{path}: {e}"))?;
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .map_err(|e| format!("GET http://{addr}{path}: {e}"))?;
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| format!("GET http://{addr}{path}: no HTTP header in the answer"))?;
    let head = String::from_utf8_lossy(&response[..split]);
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("GET http://{addr}{path}: bad status line {head:?}"))?;
    Ok((status, response[split + 4..].to_vec()))
}

// --- figures and tables ------------------------------------------------------------------------

/// The `p` quantile (0..=1) of sorted values, nearest rank.
pub fn percentile(sorted: &[u32], p: f64) -> Option<u32> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((sorted.len() - 1) as f64 * p).round() as usize;
    Some(sorted[rank.min(sorted.len() - 1)])
}

/// A markdown table with aligned columns.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let cells: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<w$}", w = widths[i]))
            .collect();
        format!("| {} |\n", cells.join(" | "))
    };
    let mut out = line(header.iter().map(|h| h.to_string()).collect());
    out.push_str(&line(widths.iter().map(|w| "-".repeat(*w)).collect()));
    for row in rows {
        out.push_str(&line(row.clone()));
    }
    out
}

pub fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| c.to_string()).collect()
}
