//! Benchmark (ignored by `cargo test`; `make bench` runs it on the release app): the app with
//! the demo fleet for half an hour, its memory sampled from /proc. It prints the proportional
//! set size (PSS) of every process of the app (the app itself, WebKit's web and network
//! processes) when idle, five minutes in and at the end, and how much the web process grew
//! after the first five minutes: the mean over one walk of the views from minute 5 against the
//! mean over the last walk (the view on screen moves PSS by ±5 %). Nothing is asserted about
//! them. Figures go to docs/performance.md.
//!
//! `BATON_APP_BIN` names the app to run (`make bench` builds the release one);
//! `SOAK_MINUTES` (default 30) and `SOAK_SAMPLE_SECONDS` (default 15) shorten or thin it.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use baton_tests::app::{RunningApp, ONE_APP};

const LONG: Duration = Duration::from_secs(60);

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The processes whose environment holds `BATON_DATA_DIR=<data>`: the app and the WebKit
/// processes it starts (they inherit its environment). Name and PSS in KiB.
fn processes(data: &Path) -> Vec<(u32, String, u64)> {
    let wanted = format!("BATON_DATA_DIR={}", data.display());
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return found;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let dir = entry.path();
        let Ok(environ) = std::fs::read(dir.join("environ")) else {
            continue;
        };
        if !environ.split(|b| *b == 0).any(|v| v == wanted.as_bytes()) {
            continue;
        }
        let name = std::fs::read_to_string(dir.join("comm"))
            .unwrap_or_default()
            .trim()
            .to_owned();
        // Only the app and WebKit's helpers (not the driver or a shell that shares the env).
        if !(name.starts_with("baton") || name.starts_with("WebKit")) {
            continue;
        }
        let pss = std::fs::read_to_string(dir.join("smaps_rollup"))
            .ok()
            .and_then(|text| {
                text.lines()
                    .find(|l| l.starts_with("Pss:"))
                    .and_then(|l| l.split_whitespace().nth(1))
                    .and_then(|kb| kb.parse().ok())
            })
            .unwrap_or(0);
        found.push((pid, name, pss));
    }
    found.sort();
    found
}

#[derive(Debug, Clone, Copy, Default)]
struct Sample {
    minute: f64,
    web: u64,
    total: u64,
}

fn sample(data: &Path, started: Instant) -> Sample {
    let procs = processes(data);
    Sample {
        minute: started.elapsed().as_secs_f64() / 60.0,
        web: procs
            .iter()
            .filter(|(_, name, _)| name.starts_with("WebKitWebProces"))
            .map(|(_, _, pss)| pss)
            .sum(),
        total: procs.iter().map(|(_, _, pss)| pss).sum(),
    }
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a 30-minute benchmark: make bench runs it"]
async fn the_app_with_the_demo_fleet_for_half_an_hour() {
    let _one = ONE_APP.lock().await;
    let app_bin = std::env::var_os("BATON_APP_BIN").map(PathBuf::from);
    eprintln!(
        "app: {:?}",
        app_bin.as_deref().unwrap_or(Path::new("(debug build)"))
    );
    let minutes = env_u64("SOAK_MINUTES", 30);
    let every = Duration::from_secs(env_u64("SOAK_SAMPLE_SECONDS", 15));
    let app = RunningApp::launch().await;
    let session = app.session();
    session
        .wait_for("[data-testid=start-demo]", LONG)
        .await
        .expect("the first-run panel");
    // Idle: the window open on an empty store, after things settle.
    tokio::time::sleep(Duration::from_secs(20)).await;
    let started = Instant::now();
    let idle = sample(app.data_dir(), started);
    for (pid, name, pss) in processes(app.data_dir()) {
        eprintln!("  idle: {name} ({pid}) {:.1} MiB", mib(pss));
    }
    session
        .click_first("[data-testid=start-demo]", LONG)
        .await
        .expect("start the demo fleet");
    let started = Instant::now();
    let mut samples = vec![idle];
    // Walk the views as a person would: board, escalations, rate limits, agents, then again.
    let views = ["1", "5", "6", "2", "5", "1"];
    let mut view = 0;
    while started.elapsed() < Duration::from_secs(minutes * 60) {
        tokio::time::sleep(every).await;
        let _ = session.keys(views[view % views.len()]).await;
        view += 1;
        let s = sample(app.data_dir(), started);
        eprintln!(
            "  {:5.1} min: web {:6.1} MiB, all {:6.1} MiB",
            s.minute,
            mib(s.web),
            mib(s.total)
        );
        samples.push(s);
    }
    let page = session
        .execute(
            "return [document.querySelectorAll('[data-testid=board-card], .card').length,\
                     (document.querySelector('[data-testid=escalation-count]') || {}).innerText || ''];",
            vec![],
        )
        .await
        .map(|v| v.to_string())
        .unwrap_or_default();
    app.screenshot("soak-end").ok();
    app.close().await;

    let at = |minute: f64| {
        samples
            .iter()
            .skip(1)
            .find(|s| s.minute >= minute)
            .copied()
            .unwrap_or_default()
    };
    let five = at(5.0);
    let end = *samples.last().expect("samples");
    let max_web = samples.iter().map(|s| s.web).max().unwrap_or(0);
    let growth = |from: u64, to: u64| {
        if from > 0 {
            (to as f64 - from as f64) / from as f64 * 100.0
        } else {
            0.0
        }
    };
    // The web process' PSS depends on the view on screen (the board with hundreds of cards,
    // the rate-limit charts, ...): one sample against another compares two views as much as
    // two moments. A whole walk of the views against a whole walk compares like with like.
    let walk = views.len();
    let first_walk: Vec<Sample> = samples
        .iter()
        .skip(1)
        .skip_while(|s| s.minute < 5.0)
        .take(walk)
        .copied()
        .collect();
    let last_walk = &samples[samples.len().saturating_sub(walk).max(1)..];
    let mean_web =
        |walk: &[Sample]| walk.iter().map(|s| s.web).sum::<u64>() / (walk.len().max(1) as u64);
    let (walk_five, walk_end) = (mean_web(&first_walk), mean_web(last_walk));
    println!("## soak: the release app with the demo fleet, {minutes} min");
    println!();
    println!("| PSS | web process | all processes |");
    println!("|---|---:|---:|");
    println!(
        "| idle (before the demo) | {:.1} MiB | {:.1} MiB |",
        mib(idle.web),
        mib(idle.total)
    );
    println!(
        "| 5 min into the demo | {:.1} MiB | {:.1} MiB |",
        mib(five.web),
        mib(five.total)
    );
    println!(
        "| end ({:.0} min) | {:.1} MiB | {:.1} MiB |",
        end.minute,
        mib(end.web),
        mib(end.total)
    );
    println!("| highest | {:.1} MiB | |", mib(max_web));
    println!();
    println!(
        "| mean over one walk of the {walk} views, from 5 min | {:.1} MiB | |",
        mib(walk_five)
    );
    println!(
        "| mean over the last walk of the views | {:.1} MiB | |",
        mib(walk_end)
    );
    println!();
    println!(
        "web process growth after the first 5 minutes: {:+.1} % (walk against walk; one sample \
         against the last: {:+.1} %)",
        growth(walk_five, walk_end),
        growth(five.web, end.web)
    );
    println!("page at the end (cards rendered, queue counts): {page}");
}
