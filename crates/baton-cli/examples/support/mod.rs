//! What the process benchmarks (`fleet_load`, `vs_prometheus`) share: flags, the machine, child
//! processes that are always stopped, samples from /proc, `baton` itself, and tables.
//!
//! Linux only (it reads /proc). Nothing here asserts a figure: the harnesses print, people judge.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

mod baton;
pub mod lateness;
mod process;
mod sample;

// Each harness uses some of them.
#[allow(unused_imports)]
pub use baton::*;
#[allow(unused_imports)]
pub use process::*;
use sample::field_kib;
#[allow(unused_imports)]
pub use sample::*;

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
