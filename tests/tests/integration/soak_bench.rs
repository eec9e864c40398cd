//! Benchmark (ignored by `cargo test`; `make bench` runs it on the release app): the app with
//! the demo fleet for half an hour, its memory sampled from /proc. It prints the proportional
//! set size (PSS) of every process of the app (the app itself, WebKit's web and network
//! processes, any other process it started), one line per sample, then the split per process
//! when idle, over the views' walk from minute 10 and over the last walk, and how far the sum
//! moved after minute 10. A walk (board, queue, rate limits, agents, queue, board: one view
//! per sample) is the unit compared, because the view on screen moves the web process' PSS.
//! Issue 35 asks for under 200 MB summed at 10 minutes and flat (±5 %) to the end; nothing is
//! asserted. Figures go to docs/performance.md.
//!
//! PSS shares a library's pages among every process that maps them, on the whole machine: a
//! second WebKit app running meanwhile (another test) lowers these figures. The bench says
//! how many other WebKit processes it saw.
//!
//! `BATON_APP_BIN` names the app to run (`make bench` builds the release one);
//! `SOAK_MINUTES` (default 30) and `SOAK_SAMPLE_SECONDS` (default 15) shorten or thin it;
//! `SOAK_SETTLED_MINUTES` (default 10) moves the first measured walk (the run lasts at least
//! one walk past it: `SOAK_MINUTES=10` gives the 10-minute figure in about 12 minutes).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use baton_tests::app::{RunningApp, ONE_APP};
use baton_tests::app_memory::{app_processes, label};
use baton_tests::pss_samples::{
    gl_text, mb, mean, mib, percent, process_text, sample, split_text, Sample,
};

const LONG: Duration = Duration::from_secs(60);
/// The goal of issue 35, in MB (10^6 bytes) as it is written.
const GOAL_MB: f64 = 200.0;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
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
    let settled = env_u64("SOAK_SETTLED_MINUTES", 10).min(minutes) as f64;
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
    for p in app_processes(app.data_dir()) {
        eprintln!("  idle: {}", process_text(&p));
    }
    eprintln!("  idle: {}", gl_text(app.data_dir()));
    session
        .click_first("[data-testid=start-demo]", LONG)
        .await
        .expect("start the demo fleet");
    let started = Instant::now();
    let mut samples: Vec<Sample> = Vec::new();
    // Walk the views as a person would: board, escalations, rate limits, agents, then again.
    let views = ["1", "5", "6", "2", "5", "1"];
    // At least one whole walk after the settled minute, so that `SOAK_MINUTES=10` still
    // gives a 10-minute figure of a walk's worth of samples.
    let run_for = Duration::from_secs(minutes * 60)
        .max(Duration::from_secs_f64(settled * 60.0) + every * views.len() as u32);
    let mut view = 0;
    while started.elapsed() < run_for {
        tokio::time::sleep(every).await;
        let _ = session.keys(views[view % views.len()]).await;
        view += 1;
        let s = sample(app.data_dir(), started);
        let note = match s.others {
            0 => String::new(),
            n => format!(" ({n} other WebKit apps running)"),
        };
        eprintln!(
            "  {:5.1} min: {} = {:.1} MiB{note}",
            s.minute,
            split_text(&s),
            mib(s.total)
        );
        samples.push(s);
    }
    let page = session
        .execute(
            "return [document.querySelectorAll('[data-testid=task-card]').length,\
                     (document.querySelector('[data-testid=nav-escalations-badge]') || {}).innerText || ''];",
            vec![],
        )
        .await
        .map(|v| v.to_string())
        .unwrap_or_default();
    let gl_at_end = gl_text(app.data_dir());
    app.screenshot("soak-end").ok();
    app.close().await;

    // The view on screen moves the web process by several percent: a whole walk of the views
    // against a whole walk compares like with like. Samples taken while another WebKit app
    // ran are left out when two walks' worth remain (another app's share of the libraries is
    // not memory this one saved).
    let walk = views.len();
    let all_settled: Vec<Sample> = samples
        .iter()
        .skip_while(|s| s.minute < settled)
        .cloned()
        .collect();
    let alone: Vec<Sample> = all_settled
        .iter()
        .filter(|s| s.others == 0)
        .cloned()
        .collect();
    let from_settled = if alone.len() >= 2 * walk {
        alone
    } else {
        all_settled.clone()
    };
    let left_out = all_settled.len() - from_settled.len();
    let first_walk = mean(&from_settled[..walk.min(from_settled.len())]);
    let last_walk = mean(&from_settled[from_settled.len().saturating_sub(walk)..]);
    let highest = from_settled.iter().map(|s| s.total).max().unwrap_or(0);
    let lowest = from_settled.iter().map(|s| s.total).min().unwrap_or(0);

    println!("## soak: the app with the demo fleet, {minutes} min (PSS, MiB)");
    println!();
    let names: Vec<&String> = last_walk.split.keys().chain(idle.split.keys()).collect();
    let mut names: Vec<&String> = names
        .into_iter()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    names.sort_by_key(|n| label(n) != "app");
    let columns: Vec<&str> = names.iter().map(|n| label(n)).collect();
    println!("| | {} | all processes |", columns.join(" | "));
    println!("|---|{}---:|", "---:|".repeat(columns.len()));
    let row = |what: &str, s: &Sample| {
        let cells: Vec<String> = names
            .iter()
            .map(|n| format!("{:.1}", mib(s.split.get(*n).copied().unwrap_or(0))))
            .collect();
        println!(
            "| {what} | {} | **{:.1}** ({:.0} MB) |",
            cells.join(" | "),
            mib(s.total),
            mb(s.total)
        );
    };
    row("idle, before the demo", &idle);
    row(&format!("walk from {settled:.0} min (mean)"), &first_walk);
    row(
        &format!(
            "last walk, to {:.0} min (mean)",
            samples.last().map(|s| s.minute).unwrap_or(0.0)
        ),
        &last_walk,
    );
    println!();
    println!(
        "from {settled:.0} min: the sum moved {:+.1} % (walk against walk); samples between \
         {:.1} and {:.1} MiB ({:+.1} % / {:+.1} % of the first walk)",
        percent(first_walk.total, last_walk.total),
        mib(lowest),
        mib(highest),
        percent(first_walk.total, lowest),
        percent(first_walk.total, highest)
    );
    println!(
        "goal (issue 35): under {GOAL_MB:.0} MB at {settled:.0} min: {}; flat within ±5 %: {}",
        if mb(first_walk.total) < GOAL_MB {
            "yes"
        } else {
            "no"
        },
        if percent(first_walk.total, last_walk.total).abs() <= 5.0 {
            "yes"
        } else {
            "no"
        }
    );
    println!(
        "samples from {settled:.0} min: {}, {left_out} of them left out (another WebKit app ran: \
         it shares the libraries' pages); most other WebKit apps at once: {}",
        all_settled.len(),
        samples.iter().map(|s| s.others).max().unwrap_or(0)
    );
    println!("page at the end (cards rendered, queue counts): {page}");
    println!("mapped at the end: {gl_at_end}");
}
