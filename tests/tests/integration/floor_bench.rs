//! Benchmark (ignored by `cargo test`; `make bench` runs it on release builds): the floor under
//! Baton's memory. The least a Tauri v2 app costs on this machine (`src-tauri/examples/floor`:
//! one window, Baton's WebKit settings, no engine) showing (a) a blank page and (b) a React
//! hello-world as large as Baton's first bundle, then Baton idle on an empty store, each run
//! the way `soak_bench` runs the app (Xvfb, WebDriver) and measured the way it measures (PSS
//! summed over the app's processes, `/proc/PID/smaps_rollup`). Prints each one's split per
//! process, where each process' PSS is (the largest mappings), and what Baton adds to (b).
//! Baton in the demo is `soak_bench`'s figure. Nothing is asserted; figures go to
//! docs/performance.md.
//!
//! `BATON_FLOOR_BIN` names the floor app (else it is built here: `npm --prefix ui run
//! build:floor`, then `cargo build --release -p baton-app --features floor --example
//! baton-app-floor`); `BATON_APP_BIN` names Baton (`make bench`: the release app);
//! `FLOOR_SAMPLES` (default 8, one per 5 s after 20 s settling) how many samples are averaged.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use baton_tests::app::{app_binary, RunningApp, ONE_APP};
use baton_tests::app_memory::{app_processes, label, mappings};
use baton_tests::pss_samples::{mb, mean, mib, process_text, sample, split_text, Sample};
use baton_tests::{target_dir, workspace_root};

const LONG: Duration = Duration::from_secs(60);

/// The floor app: `BATON_FLOOR_BIN`, else built now (release, with its pages).
fn floor_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("BATON_FLOOR_BIN") {
        return PathBuf::from(path);
    }
    let run = |program: &str, args: &[&str]| {
        let status = Command::new(program)
            .args(args)
            .current_dir(workspace_root())
            .status()
            .unwrap_or_else(|e| panic!("run {program}: {e}"));
        assert!(status.success(), "{program} {args:?} failed");
    };
    run("npm", &["--prefix", "ui", "run", "-s", "build:floor"]);
    run(
        env!("CARGO"),
        &[
            "build",
            "--release",
            "--locked",
            "-p",
            "baton-app",
            "--features",
            "floor",
            "--example",
            "baton-app-floor",
        ],
    );
    target_dir().join("release/examples/baton-app-floor")
}

/// One app measured idle: launched, settled 20 s after `ready` shows, then sampled.
async fn measure(what: &str, app: &Path, env: &[(&str, &str)], ready: &str) -> Sample {
    let samples = std::env::var("FLOOR_SAMPLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8usize);
    let running =
        RunningApp::launch_binary(app, tempfile::tempdir().expect("a data dir"), env).await;
    running
        .session()
        .wait_for(ready, LONG)
        .await
        .unwrap_or_else(|e| panic!("{what}: {ready} never showed: {e}"));
    tokio::time::sleep(Duration::from_secs(20)).await;
    let started = Instant::now();
    let mut taken = Vec::new();
    for _ in 0..samples {
        taken.push(sample(running.data_dir(), started));
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
    eprintln!("## {what}: {app:?}");
    for p in app_processes(running.data_dir()) {
        eprintln!("  {}", process_text(&p));
        let largest: Vec<String> = mappings(p.pid)
            .into_iter()
            .take(10)
            .map(|(name, pss, anon)| format!("{name} {:.1} (anon {:.1})", mib(pss), mib(anon)))
            .collect();
        eprintln!("    largest: {}", largest.join(", "));
    }
    let shot = format!("floor-{}", what.replace(' ', "-"));
    running.screenshot(&shot).ok();
    running.close().await;
    let mean = mean(&taken);
    eprintln!("  mean of {samples}: {}", split_text(&mean));
    if mean.others > 0 {
        eprintln!("  ({} other WebKit apps ran meanwhile)", mean.others);
    }
    mean
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark of release builds: make bench runs it"]
async fn the_floor_under_batons_memory() {
    let _one = ONE_APP.lock().await;
    let floor = floor_binary();
    let baton = app_binary();
    let runs = [
        (
            "floor blank",
            measure(
                "floor blank",
                &floor,
                &[("BATON_FLOOR_PAGE", "blank")],
                "body",
            )
            .await,
        ),
        (
            "floor hello",
            measure(
                "floor hello",
                &floor,
                &[("BATON_FLOOR_PAGE", "hello")],
                "[data-testid=floor-hello]",
            )
            .await,
        ),
        (
            "Baton idle",
            measure("Baton idle", &baton, &[], "[data-testid=start-demo]").await,
        ),
    ];

    println!("## the floor: a minimal Tauri v2 app against Baton, idle (PSS, MiB)");
    println!();
    println!("| | app | network | web | all processes |");
    println!("|---|---:|---:|---:|---:|");
    let cell = |s: &Sample, who: &str| -> u64 {
        s.split
            .iter()
            .filter(|(name, _)| label(name) == who)
            .map(|(_, pss)| pss)
            .sum()
    };
    for (what, s) in &runs {
        println!(
            "| {what} | {:.1} | {:.1} | {:.1} | **{:.1}** ({:.0} MB) |",
            mib(cell(s, "app")),
            mib(cell(s, "network")),
            mib(cell(s, "web")),
            mib(s.total),
            mb(s.total)
        );
    }
    let (hello, idle) = (&runs[1].1, &runs[2].1);
    let added = |who: &str| mib(cell(idle, who)) - mib(cell(hello, who));
    println!(
        "| Baton idle − floor hello | {:+.1} | {:+.1} | {:+.1} | **{:+.1}** |",
        added("app"),
        added("network"),
        added("web"),
        mib(idle.total) - mib(hello.total)
    );
}
