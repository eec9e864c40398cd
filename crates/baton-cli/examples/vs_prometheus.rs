//! Baton beside Prometheus: both asking the same static targets once a second, in one run.
//!
//! ```text
//! scripts/setup.sh --bench        # nginx-light and prometheus (Debian packages)
//! cargo build --release --locked -p baton-cli
//! cargo run --release --locked -p baton-cli --example vs_prometheus -- \
//!     [--targets 1000] [--seconds 300] [--warmup 30] [--baton PATH] [--keep]
//! ```
//!
//! nginx serves N targets, one `listen 127.0.0.1:PORT` each in a single server block (distinct
//! ports model distinct agents: each poller keeps one connection per target, as it would with
//! real agents). Every target answers `GET /baton/v1/status` (query ignored) with the same static
//! ~2.5 KB `baton/1` document (fixed seqs and cursor, so Baton deduplicates; only the agent id
//! and resource paths carry the port, so no two targets look like one agent) and `GET /metrics`
//! with a static ~2.5 KB Prometheus text exposition. Prometheus scrapes every target
//! (`scrape_interval: 1s`, `scrape_timeout: 800ms`) and `baton watch` polls every target
//! (`poll_interval_ms = 1000`, `timeout_ms = 800`); both start at the same moment. After the
//! warm-up, all three are read from /proc once a second for the measurement window.
//!
//! Prints figures and asserts none: exit 0 whatever they are; 2 on a harness failure (a missing
//! prerequisite, nginx or Prometheus not starting or dying). Everything started is stopped
//! (SIGTERM, then SIGKILL) on every path, Ctrl-C included.

mod support;

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use serde_json::json;
use support::*;

/// vs_prometheus: Baton and Prometheus polling the same static targets (nginx) every second;
/// prints CPU and memory of each and the ratio Baton/Prometheus. Needs `scripts/setup.sh
/// --bench` (installs nginx-light and prometheus), then
/// `cargo run --release -p baton-cli --example vs_prometheus -- [options]`.
#[derive(clap::Parser)]
struct Flags {
    /// Static targets
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    targets: u64,
    /// Measurement window, in seconds
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..))]
    seconds: u64,
    /// Seconds after start before measuring
    #[arg(long, default_value_t = 30)]
    warmup: u64,
    /// First target port (default: the first free block from 20000)
    #[arg(long)]
    base_port: Option<u16>,
    /// The baton binary (default: target/release/baton, next to this example; build it with
    /// `cargo build --release --locked -p baton-cli`)
    #[arg(long)]
    baton: Option<PathBuf>,
    /// Keep the temp dir (configs, logs, stores) and print its path
    #[arg(long)]
    keep: bool,
}

const PORT_MARK: &str = "__PORT__";

struct Options {
    targets: usize,
    seconds: u64,
    warmup: u64,
    base_port: Option<u16>,
    baton: PathBuf,
    nginx: PathBuf,
    prometheus: PathBuf,
    keep: bool,
}

fn options() -> Fallible<Options> {
    let flags = <Flags as clap::Parser>::parse();
    let base_port = flags.base_port.filter(|p| *p != 0);
    let missing = |name: &str| {
        format!("{name} not found (PATH, /usr/sbin): install it with `scripts/setup.sh --bench` (Debian packages nginx-light and prometheus)")
    };
    Ok(Options {
        targets: flags.targets as usize,
        seconds: flags.seconds,
        warmup: flags.warmup,
        base_port,
        baton: find_baton(flags.baton)?,
        nginx: find_program("nginx").ok_or_else(|| missing("nginx"))?,
        prometheus: find_program("prometheus").ok_or_else(|| missing("prometheus"))?,
        keep: flags.keep,
    })
}

fn main() -> ExitCode {
    match options().and_then(run) {
        Ok(_) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("vs_prometheus: error: {err}");
            ExitCode::from(2)
        }
    }
}

// --- the static answers ------------------------------------------------------------------------

/// The `baton/1` document every target serves, with [`PORT_MARK`] where the port goes. Nothing
/// in it makes a detector fire: no task is working (no stall), dependencies are completed, no
/// next stage is named, and every resource is the target's own.
fn status_document() -> String {
    let res = |path: &str| format!("file:///targets/{PORT_MARK}/{path}");
    let doc = json!({
        "protocol": "baton/1",
        "agent": {
            "id": format!("target-{PORT_MARK}"),
            "name": format!("Static target {PORT_MARK}"),
            "version": "1.0.0",
            "state": "idle",
            "detail": "a static document served by nginx for the vs_prometheus benchmark: the same answer every time"
        },
        "tasks": [
            {
                "id": "ingest-1", "title": "Ingest the nightly export of the billing ledger",
                "state": "completed",
                "created_at": "2026-01-05T08:00:00Z", "updated_at": "2026-01-05T08:20:00Z",
                "state_since": "2026-01-05T08:20:00Z",
                "trigger": format!("sched://targets/{PORT_MARK}/nightly"),
                "reads": [res("exports/ledger.csv")], "writes": [res("warehouse/ledger.parquet")],
                "output": res("warehouse/ledger.parquet"),
                "detail": "1,204,332 rows in 19 min"
            },
            {
                "id": "report-1", "title": "Summarise the ledger for the morning report",
                "state": "completed", "depends_on": ["ingest-1"],
                "created_at": "2026-01-05T08:20:00Z", "updated_at": "2026-01-05T08:31:00Z",
                "state_since": "2026-01-05T08:31:00Z",
                "reads": [res("warehouse/ledger.parquet")], "writes": [res("reports/morning.md")],
                "output": res("reports/morning.md")
            },
            {
                "id": "ingest-2", "title": "Ingest the nightly export of the payments ledger",
                "state": "submitted",
                "created_at": "2026-01-05T08:31:00Z", "updated_at": "2026-01-05T08:31:00Z",
                "trigger": format!("sched://targets/{PORT_MARK}/nightly"),
                "reads": [res("exports/payments.csv")], "writes": [res("warehouse/payments.parquet")]
            },
            {
                "id": "report-2", "title": "Summarise the payments for the morning report",
                "state": "submitted", "depends_on": ["ingest-2"],
                "created_at": "2026-01-05T08:31:00Z", "updated_at": "2026-01-05T08:31:00Z",
                "reads": [res("warehouse/payments.parquet")], "writes": [res("reports/payments.md")]
            }
        ],
        "events": [
            {"seq": 1, "at": "2026-01-05T08:00:00Z", "kind": "state", "task_id": "ingest-1", "state": "working"},
            {"seq": 2, "at": "2026-01-05T08:00:01Z", "kind": "read", "task_id": "ingest-1", "resource": res("exports/ledger.csv")},
            {"seq": 3, "at": "2026-01-05T08:19:58Z", "kind": "write", "task_id": "ingest-1", "resource": res("warehouse/ledger.parquet")},
            {"seq": 4, "at": "2026-01-05T08:20:00Z", "kind": "state", "task_id": "ingest-1", "state": "completed"},
            {"seq": 5, "at": "2026-01-05T08:20:00Z", "kind": "state", "task_id": "report-1", "state": "working"},
            {"seq": 6, "at": "2026-01-05T08:20:02Z", "kind": "read", "task_id": "report-1", "resource": res("warehouse/ledger.parquet")},
            {"seq": 7, "at": "2026-01-05T08:30:55Z", "kind": "write", "task_id": "report-1", "resource": res("reports/morning.md")},
            {"seq": 8, "at": "2026-01-05T08:31:00Z", "kind": "state", "task_id": "report-1", "state": "completed"},
            {"seq": 9, "at": "2026-01-05T08:31:00Z", "kind": "state", "task_id": "ingest-2", "state": "submitted"},
            {"seq": 10, "at": "2026-01-05T08:31:00Z", "kind": "state", "task_id": "report-2", "state": "submitted"}
        ],
        "cursor": "10"
    });
    serde_json::to_string(&doc).expect("JSON")
}

/// A Prometheus text exposition of the usual size (a Go service's runtime and process metrics,
/// and a few of its own).
fn metrics_text() -> String {
    let mut text = String::new();
    let mut metric = |name: &str, kind: &str, help: &str, samples: &[(&str, &str)]| {
        text.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
        for (labels, value) in samples {
            text.push_str(&format!("{name}{labels} {value}\n"));
        }
    };
    metric(
        "go_gc_duration_seconds",
        "summary",
        "A summary of the pause duration of garbage collection cycles.",
        &[
            ("{quantile=\"0\"}", "2.1e-05"),
            ("{quantile=\"0.25\"}", "3.9e-05"),
            ("{quantile=\"0.5\"}", "5.2e-05"),
            ("{quantile=\"0.75\"}", "8.8e-05"),
            ("{quantile=\"1\"}", "0.000412"),
        ],
    );
    metric(
        "go_goroutines",
        "gauge",
        "Number of goroutines that currently exist.",
        &[("", "42")],
    );
    metric(
        "go_threads",
        "gauge",
        "Number of OS threads created.",
        &[("", "11")],
    );
    metric(
        "go_memstats_alloc_bytes",
        "gauge",
        "Number of bytes allocated and still in use.",
        &[("", "4.218392e+06")],
    );
    metric(
        "go_memstats_heap_objects",
        "gauge",
        "Number of allocated objects.",
        &[("", "31822")],
    );
    metric(
        "process_cpu_seconds_total",
        "counter",
        "Total user and system CPU time spent in seconds.",
        &[("", "1832.41")],
    );
    metric(
        "process_resident_memory_bytes",
        "gauge",
        "Resident memory size in bytes.",
        &[("", "3.3439744e+07")],
    );
    metric(
        "process_open_fds",
        "gauge",
        "Number of open file descriptors.",
        &[("", "23")],
    );
    metric(
        "process_start_time_seconds",
        "gauge",
        "Start time of the process since unix epoch in seconds.",
        &[("", "1.76730720e+09")],
    );
    metric(
        "agent_tasks",
        "gauge",
        "Tasks the agent holds, by state.",
        &[
            ("{state=\"submitted\"}", "2"),
            ("{state=\"working\"}", "0"),
            ("{state=\"completed\"}", "2"),
            ("{state=\"failed\"}", "0"),
        ],
    );
    metric(
        "agent_api_requests_total",
        "counter",
        "Requests the agent made to shared APIs, by API and response code.",
        &[
            ("{api=\"openai\",code=\"200\"}", "18231"),
            ("{api=\"openai\",code=\"429\"}", "12"),
            ("{api=\"anthropic\",code=\"200\"}", "9120"),
            ("{api=\"github\",code=\"200\"}", "2210"),
        ],
    );
    metric(
        "agent_task_duration_seconds",
        "histogram",
        "How long finished tasks took.",
        &[
            ("_bucket{le=\"1\"}", "3"),
            ("_bucket{le=\"10\"}", "19"),
            ("_bucket{le=\"60\"}", "102"),
            ("_bucket{le=\"600\"}", "311"),
            ("_bucket{le=\"3600\"}", "318"),
            ("_bucket{le=\"+Inf\"}", "320"),
            ("_sum", "41233.7"),
            ("_count", "320"),
        ],
    );
    text
}

/// For nginx's `return 200 '…'`: the text in single quotes, with `$server_port` for the port.
/// Refuses what nginx would read differently (quotes, backslashes, other variables).
fn nginx_literal(text: &str) -> Fallible<String> {
    if text.contains(['\'', '\\', '$']) {
        return Err("a static answer holds ' \\ or $, which nginx would not serve as is".into());
    }
    if text.len() > 4000 {
        return Err("a static answer is over nginx's 4 KB limit for one config token".into());
    }
    Ok(format!("'{}'", text.replace(PORT_MARK, "$server_port")))
}

// --- configs -----------------------------------------------------------------------------------

/// `count` consecutive free ports on 127.0.0.1, from `from` on (below the ephemeral range, so
/// that outgoing connections do not take them meanwhile).
fn free_ports(from: u16, count: usize) -> Fallible<u16> {
    let mut base = from;
    'search: loop {
        let last = usize::from(base) + count - 1;
        if last > 32_000 {
            return Err(format!(
                "no {count} consecutive free ports between {from} and 32000"
            ));
        }
        for i in 0..count {
            let port = base + i as u16;
            if TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_err() {
                base = port + 1;
                continue 'search;
            }
        }
        return Ok(base);
    }
}

fn any_free_port() -> Fallible<u16> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

/// nginx's own counters (`stub_status`): open connections and requests served so far.
fn nginx_counters(port: u16) -> Fallible<(u64, u64)> {
    let (code, body) = http_get(addr(port), "/nginx_status", Duration::from_secs(5))?;
    let text = String::from_utf8_lossy(&body);
    let numbers = |line: Option<&str>| -> Vec<u64> {
        line.unwrap_or("")
            .split_whitespace()
            .filter_map(|w| w.parse().ok())
            .collect()
    };
    let mut lines = text.lines();
    let active = numbers(lines.next());
    let totals = numbers(lines.nth(1));
    match (active.first(), totals.get(2)) {
        (Some(&active), Some(&requests)) if code == 200 => Ok((active, requests)),
        _ => Err(format!("nginx stub_status answered {code}: {text:?}")),
    }
}

fn nginx_conf(
    dir: &Path,
    ports: &[u16],
    status_port: Option<u16>,
    status: &str,
    metrics: &str,
) -> String {
    let d = dir.display();
    // Its own counters on a port of their own (requests per second, open connections).
    let counters = status_port.map_or(String::new(), |port| {
        format!(
            "    server {{\n        listen 127.0.0.1:{port};\n        location = /nginx_status {{\n            stub_status;\n        }}\n    }}\n"
        )
    });
    let mut listens = String::new();
    for port in ports {
        listens.push_str(&format!("        listen 127.0.0.1:{port};\n"));
    }
    format!(
        "# vs_prometheus: {n} static targets on 127.0.0.1, one port each.
worker_processes 1;
worker_rlimit_nofile 16384;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{
    worker_connections 8192;
}}
http {{
    access_log off;
    keepalive_timeout 65s;
    keepalive_requests 1000000;
    client_body_temp_path {d}/temp/body;
    proxy_temp_path {d}/temp/proxy;
    fastcgi_temp_path {d}/temp/fastcgi;
    uwsgi_temp_path {d}/temp/uwsgi;
    scgi_temp_path {d}/temp/scgi;
    server {{
{listens}        location = /baton/v1/status {{
            default_type application/json;
            return 200 {status};
        }}
        location = /metrics {{
            default_type \"text/plain; version=0.0.4; charset=utf-8\";
            return 200 {metrics};
        }}
        location / {{
            return 404;
        }}
    }}
{counters}}}
",
        n = ports.len()
    )
}

fn prometheus_yml(dir: &Path, ports: &[u16]) -> String {
    let mut text = format!(
        "# vs_prometheus: every static target, once a second. Storage: {}\nglobal:\n  scrape_interval: 1s\n  scrape_timeout: 800ms\n  evaluation_interval: 1m\nscrape_configs:\n  - job_name: targets\n    static_configs:\n      - targets:\n",
        dir.display()
    );
    for port in ports {
        text.push_str(&format!("          - 127.0.0.1:{port}\n"));
    }
    text
}

fn baton_toml(ports: &[u16]) -> String {
    let mut text = String::from("# vs_prometheus: every static target, once a second\n\n");
    for port in ports {
        text.push_str(&agent_entry(
            &format!("target {port}"),
            &format!("http://127.0.0.1:{port}"),
            1000,
            800,
        ));
    }
    text
}

// --- the run -----------------------------------------------------------------------------------

fn addr(port: u16) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, port))
}

/// Waits until every target port accepts connections (nginx is up), or fails.
fn wait_for_nginx(nginx: &mut Proc, ports: &[u16], log: &Path) -> Fallible<()> {
    let until = Instant::now() + Duration::from_secs(20);
    let mut pending: Vec<u16> = ports.to_vec();
    while !pending.is_empty() {
        if let Some((status, _)) = nginx.poll_exit() {
            return Err(format!("nginx exited ({status}):\n{}", tail(log, 10)));
        }
        if Instant::now() > until {
            return Err(format!(
                "nginx did not listen on {} of {} ports within 20 s:\n{}",
                pending.len(),
                ports.len(),
                tail(log, 10)
            ));
        }
        if interrupted() {
            return Err("interrupted".into());
        }
        pending
            .retain(|&p| TcpStream::connect_timeout(&addr(p), Duration::from_millis(200)).is_err());
        if !pending.is_empty() {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    Ok(())
}

/// Fetches both answers from one target and compares them with what was configured.
fn check_answers(port: u16, status: &str, metrics: &str) -> Fallible<()> {
    let timeout = Duration::from_secs(5);
    let want_status = status.replace(PORT_MARK, &port.to_string());
    let (code, body) = http_get(addr(port), "/baton/v1/status?since=10", timeout)?;
    if code != 200 || body != want_status.as_bytes() {
        return Err(format!(
            "target {port}: /baton/v1/status answered {code} with {} bytes, not the document configured",
            body.len()
        ));
    }
    let (code, body) = http_get(addr(port), "/metrics", timeout)?;
    if code != 200 || body != metrics.as_bytes() {
        return Err(format!(
            "target {port}: /metrics answered {code} with {} bytes, not the text configured",
            body.len()
        ));
    }
    Ok(())
}

/// A PromQL instant query's single scalar value.
fn prom_query(port: u16, query: &str) -> Fallible<f64> {
    let encoded: String = query
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'(' | b')' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect();
    let (code, body) = http_get(
        addr(port),
        &format!("/api/v1/query?query={encoded}"),
        Duration::from_secs(10),
    )?;
    let answer: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|e| format!("Prometheus query {query:?}: HTTP {code}, not JSON: {e}"))?;
    let result = &answer["data"]["result"];
    match result.as_array().map(Vec::as_slice) {
        Some([]) => Ok(0.0),
        Some([one, ..]) => one["value"][1]
            .as_str()
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("Prometheus query {query:?}: odd answer {answer}")),
        None => Err(format!("Prometheus query {query:?}: HTTP {code}: {answer}")),
    }
}

struct Watched {
    name: &'static str,
    proc: Proc,
    sampler: Sampler,
    log: PathBuf,
    /// When it exited before the end of the window.
    died: Option<String>,
}

fn run(o: Options) -> Fallible<()> {
    catch_interrupts();
    let open_files = raise_open_files();
    let machine = machine();
    let date = now_utc();
    let tmp = tempfile::Builder::new()
        .prefix("vs_prometheus-")
        .tempdir()
        .map_err(|e| format!("cannot make a temp dir: {e}"))?;
    let dir = tmp.path().to_owned();
    let result = measure(&o, &dir, open_files, &machine, &date);
    if o.keep {
        let kept = tmp.keep();
        println!("kept: {}", kept.display());
    }
    result
}

fn measure(o: &Options, dir: &Path, open_files: u64, machine: &str, date: &str) -> Fallible<()> {
    // The answers, checked before anything starts: the document must be one the real parser takes.
    let status = status_document();
    let metrics = metrics_text();
    let sample = status.replace(PORT_MARK, "20000");
    baton_core::protocol::parse_status(sample.as_bytes())
        .map_err(|e| format!("the static status document is not valid baton/1: {e}"))?;
    let (status_literal, metrics_literal) = (nginx_literal(&status)?, nginx_literal(&metrics)?);

    let base = free_ports(o.base_port.unwrap_or(20_000), o.targets)?;
    if o.base_port.is_some_and(|p| p != base) {
        return Err(format!(
            "ports {}.. are not all free",
            o.base_port.unwrap_or(0)
        ));
    }
    let ports: Vec<u16> = (0..o.targets).map(|i| base + i as u16).collect();
    let prom_port = any_free_port()?;

    let nginx_dir = dir.join("nginx");
    for sub in [
        "temp/body",
        "temp/proxy",
        "temp/fastcgi",
        "temp/uwsgi",
        "temp/scgi",
    ] {
        std::fs::create_dir_all(nginx_dir.join(sub))
            .map_err(|e| format!("{}: {e}", nginx_dir.display()))?;
    }
    let nginx_conf_path = nginx_dir.join("nginx.conf");
    let write = |path: &Path, text: String| {
        std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
    };
    // Counters only if this nginx has the stub_status module (Debian's has).
    let stub_port = run_to_end(
        "nginx-V",
        Command::new(&o.nginx).arg("-V"),
        dir,
        Duration::from_secs(10),
    )
    .ok()
    .filter(|_| {
        std::fs::read_to_string(dir.join("nginx-V.err"))
            .is_ok_and(|v| v.contains("http_stub_status_module"))
    })
    .map(|_| any_free_port())
    .transpose()?;
    write(
        &nginx_conf_path,
        nginx_conf(
            &nginx_dir,
            &ports,
            stub_port,
            &status_literal,
            &metrics_literal,
        ),
    )?;
    let prom_data = dir.join("prometheus-data");
    let prom_yml = dir.join("prometheus.yml");
    write(&prom_yml, prometheus_yml(&prom_data, &ports))?;
    let baton_data = dir.join("baton-data");
    std::fs::create_dir(&baton_data).map_err(|e| format!("{}: {e}", baton_data.display()))?;
    let toml = dir.join("baton.toml");
    write(&toml, baton_toml(&ports))?;
    let stats_flag = watch_takes_stats(&o.baton, dir);

    // nginx first, and wait until every target answers.
    let nginx_log = nginx_dir.join("error.log");
    let mut nginx = Proc::spawn(
        "nginx",
        Command::new(&o.nginx)
            .arg("-p")
            .arg(&nginx_dir)
            .arg("-c")
            .arg(&nginx_conf_path)
            .arg("-e")
            .arg(&nginx_log)
            .args(["-g", "daemon off;"]),
        &dir.join("nginx.out"),
        &dir.join("nginx.err"),
    )?;
    let nginx_started = Instant::now();
    wait_for_nginx(&mut nginx, &ports, &nginx_log)
        .map_err(|e| format!("{e}\n{}", tail(&dir.join("nginx.err"), 10)))?;
    check_answers(ports[0], &status, &metrics)?;
    check_answers(ports[ports.len() - 1], &status, &metrics)?;
    eprintln!(
        "vs_prometheus: nginx serves {} targets on 127.0.0.1:{}..{} (up in {:.1} s); starting Prometheus and baton watch (work dir {})",
        ports.len(),
        ports[0],
        ports[ports.len() - 1],
        nginx_started.elapsed().as_secs_f64(),
        dir.display()
    );

    // Prometheus and baton watch, together.
    let prom_log = dir.join("prometheus.log");
    let prometheus = Proc::spawn(
        "prometheus",
        Command::new(&o.prometheus)
            .arg(format!("--config.file={}", prom_yml.display()))
            .arg(format!("--storage.tsdb.path={}", prom_data.display()))
            .arg(format!("--web.listen-address=127.0.0.1:{prom_port}"))
            .arg("--log.level=warn"),
        &dir.join("prometheus.out"),
        &prom_log,
    )?;
    let watch_out = dir.join("watch.out");
    let watch_err = dir.join("watch.err");
    let mut command = Command::new(&o.baton);
    command
        .arg("--data-dir")
        .arg(&baton_data)
        .arg("watch")
        .arg("--config")
        .arg(&toml)
        .arg("--duration")
        // It stops by itself just after the window (printing its stats, if it has them).
        .arg((o.warmup + o.seconds + 2).to_string());
    if stats_flag {
        command.arg("--stats");
    }
    let watch = Proc::spawn("baton watch", &mut command, &watch_out, &watch_err)?;
    let t0 = Instant::now();
    let mut procs = [
        Watched {
            name: "baton watch",
            sampler: Sampler::new(watch.pid(), false),
            proc: watch,
            log: watch_err.clone(),
            died: None,
        },
        Watched {
            name: "prometheus",
            sampler: Sampler::new(prometheus.pid(), false),
            proc: prometheus,
            log: prom_log.clone(),
            died: None,
        },
        Watched {
            name: "nginx (master + workers)",
            sampler: Sampler::new(nginx.pid(), true),
            proc: nginx,
            log: nginx_log.clone(),
            died: None,
        },
    ];

    // Warm-up, then the window: a sample of each every second.
    let window_start = t0 + Duration::from_secs(o.warmup);
    let mut tick = t0;
    let mut interrupted_run = false;
    let mut sampled = 0u64;
    let mut counters_start = None;
    while sampled < o.seconds {
        tick += Duration::from_secs(1);
        if !sleep_until(tick) {
            interrupted_run = true;
            break;
        }
        for p in procs.iter_mut().filter(|p| p.died.is_none()) {
            if let Some((status, _)) = p.proc.poll_exit() {
                p.died = Some(format!(
                    "exited after {:.0} s ({status}): {}",
                    t0.elapsed().as_secs_f64(),
                    tail(&p.log, 3)
                ));
            }
        }
        if procs.iter().any(|p| p.died.is_some()) {
            break;
        }
        if tick < window_start {
            continue;
        }
        if counters_start.is_none() {
            counters_start = stub_port
                .and_then(|port| nginx_counters(port).ok())
                .map(|c| (Instant::now(), c));
        }
        let mut took = false;
        for p in procs.iter_mut() {
            if p.sampler.has_baseline() {
                p.sampler.sample();
                took = true;
            } else {
                p.sampler.baseline();
            }
        }
        sampled += u64::from(took);
    }

    let window_end = Instant::now();
    // Did both reach the targets? Prometheus now, while it runs; Baton from its store once its
    // watch has stopped.
    let up = |q: &str| {
        prom_query(prom_port, q).map_or_else(|e| format!("n/a ({e})"), |v| format!("{v:.0}"))
    };
    let prom_up = format!(
        "{} of {} targets up (count(up == 1)); mean scrape {} ms",
        up("count(up == 1)"),
        up("count(up)"),
        prom_query(prom_port, "avg(scrape_duration_seconds) * 1000")
            .map_or_else(|_| "n/a".into(), |v| format!("{v:.1}"))
    );
    let served = match (stub_port, counters_start) {
        (Some(port), Some((then, (_, before)))) => match nginx_counters(port) {
            Ok((active, after)) => format!(
                "{:.0} requests/s over the window (both pollers at 1/s: {} expected), {active} connections open",
                after.saturating_sub(before) as f64 / then.elapsed().as_secs_f64(),
                2 * o.targets
            ),
            Err(e) => format!("n/a ({e})"),
        },
        (None, _) => "n/a (this nginx has no stub_status module)".into(),
        (Some(_), None) => "n/a (the window did not start)".into(),
    };
    let [watch, prometheus, nginx] = &mut procs;
    let watch_ended = if interrupted_run || watch.died.is_some() {
        watch.proc.stop(Duration::from_secs(10))
    } else {
        match watch.proc.wait_for(Duration::from_secs(60)) {
            Some((status, at)) => Ended {
                status: Some(status),
                at,
                killed: false,
            },
            None => watch.proc.stop(Duration::from_secs(10)),
        }
    };
    let prom_ended = prometheus.proc.stop(Duration::from_secs(30));
    let nginx_ended = nginx.proc.stop(Duration::from_secs(10));
    let health = baton_health(
        &o.baton,
        &baton_data,
        dir,
        window_end,
        Duration::from_secs(3),
    );
    let stats = watch_stats(&watch_out);

    // --- the report ---------------------------------------------------------------------------
    println!();
    println!(
        "## vs_prometheus: {} static targets (nginx), each polled by Baton and scraped by Prometheus every 1 s (timeout 800 ms)",
        o.targets
    );
    println!();
    println!("- machine: {machine}; open files limit {open_files}");
    println!(
        "- date: {date}; warm-up {} s, then {} one-second samples; baton: {}",
        o.warmup,
        procs[0].sampler.samples.len(),
        o.baton.display()
    );
    println!(
        "- targets: one nginx server block with {} `listen` ports (127.0.0.1:{}..{}), worker_processes 1; answers {} B (baton/1) and {} B (metrics)",
        o.targets,
        ports[0],
        ports[ports.len() - 1],
        sample.len(),
        metrics.len()
    );
    println!();
    let mut rows = Vec::new();
    for p in &procs {
        let s = p.sampler.summary();
        rows.push(vec![
            p.name.to_owned(),
            format!("{:.1} %", s.cpu_mean),
            format!("{:.1} %", s.cpu_max),
            format!("{:.1} s", s.cpu_seconds),
            mib(s.rss_mean),
            mib(s.rss_max),
            mib(s.pss_mean),
            s.threads_max.to_string(),
        ]);
    }
    println!(
        "{}",
        table(
            &[
                "process",
                "CPU mean",
                "CPU max (1 s)",
                "CPU time",
                "RSS mean",
                "RSS max",
                "PSS mean",
                "threads max"
            ],
            &rows
        )
    );
    let (b, p) = (procs[0].sampler.summary(), procs[1].sampler.summary());
    // The figure `make bench` compares with the one recorded (scripts/bench.sh, "guard").
    if p.cpu_mean > 0.0 {
        println!(
            "guard static_polls_cpu_vs_prometheus {:.2}\n",
            b.cpu_mean / p.cpu_mean
        );
    }
    let ratio = |x: f64, y: f64| {
        if y > 0.0 {
            format!("{:.2}", x / y)
        } else {
            "n/a".into()
        }
    };
    println!(
        "{}",
        table(
            &["Baton / Prometheus", "ratio"],
            &[
                vec!["CPU (mean)".into(), ratio(b.cpu_mean, p.cpu_mean)],
                vec![
                    "RSS (mean)".into(),
                    ratio(b.rss_mean as f64, p.rss_mean as f64)
                ],
                vec![
                    "PSS (mean)".into(),
                    ratio(b.pss_mean as f64, p.pss_mean as f64)
                ],
            ]
        )
    );
    let ended = |e: &Ended| match (e.status, e.killed) {
        (_, true) => "did not stop on SIGTERM: killed".to_owned(),
        (Some(s), _) => format!("{s}"),
        (None, _) => "status unknown".to_owned(),
    };
    let mut rows = vec![
        vec!["nginx served".into(), served],
        vec!["Prometheus reached".into(), prom_up],
        vec![
            "Baton reached (baton status)".into(),
            match &health {
                Ok(h) => h.summary(),
                Err(e) => format!("n/a ({e})"),
            },
        ],
    ];
    match &stats {
        Some(fields) => {
            for (name, value) in fields {
                rows.push(vec![format!("baton stats: {name}"), value.clone()]);
            }
        }
        None => rows.push(vec![
            "detector run p99".into(),
            "n/a (this baton prints no stats)".into(),
        ]),
    }
    rows.push(vec![
        "how each stopped".into(),
        format!(
            "baton watch: {}; prometheus: {}; nginx: {}",
            ended(&watch_ended),
            ended(&prom_ended),
            ended(&nginx_ended)
        ),
    ]);
    for p in &procs {
        if let Some(died) = &p.died {
            rows.push(vec![format!("{} DIED EARLY", p.name), died.clone()]);
        }
    }
    println!("{}", table(&["check", ""], &rows));
    if interrupted_run {
        return Err("interrupted".into());
    }
    if let Some(p) = procs[1..].iter().find(|p| p.died.is_some()) {
        return Err(format!(
            "{} stopped during the run: the figures are not a comparison",
            p.name
        ));
    }
    Ok(())
}
