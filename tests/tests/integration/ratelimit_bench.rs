//! Benchmark (ignored by `cargo test`; `make bench` runs it): the Rate limits view's stacked chart
//! with a week of minute buckets for 20 agents, for each of 5 APIs, in the real app under Xvfb.
//! The database comes from `cargo run --release -p baton-engine --example rate_limit_bench DIR`
//! (DIR: `BATON_RATE_LIMIT_BENCH_DIR`, default `target/rate-limit-bench`). For each API the page
//! reports two times: the chart's own `data-render-ms` (from the series' arrival to uPlot having
//! drawn: stacking, markers, drawing) and the time from the click on "7 d" to that draw (the IPC
//! call and the store read included). Printed; nothing is asserted about them.

use std::path::PathBuf;
use std::time::Duration;

use baton_tests::app::{RunningApp, ONE_APP};
use baton_tests::target_dir;
use baton_tests::webdriver::Session;

const APIS: [&str; 5] = ["openai", "anthropic", "github", "gemini", "search"];
const LONG: Duration = Duration::from_secs(120);
/// 7 days × 1,440 minutes × 20 agents.
const POINTS: u64 = 7 * 1440 * 20;

fn seeded_dir() -> PathBuf {
    std::env::var_os("BATON_RATE_LIMIT_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("rate-limit-bench"))
}

/// Clicks "7 d" for the selected API and returns (render ms, click-to-drawn ms, points).
async fn week(session: &Session) -> Result<(f64, f64, u64), String> {
    session
        .execute(
            "const chart = document.querySelector('[data-testid=usage-chart]');\
             delete chart.dataset.renderMs;\
             window.__benchMs = null;\
             const t0 = performance.now();\
             const obs = new MutationObserver(() => {\
               if (chart.dataset.renderMs !== undefined) {\
                 window.__benchMs = performance.now() - t0; obs.disconnect();\
               }\
             });\
             obs.observe(chart, { attributes: true });\
             document.querySelector(\"[data-testid=range-button][data-hours='168']\").click();",
            vec![],
        )
        .await?;
    let deadline = std::time::Instant::now() + LONG;
    loop {
        let got = session
            .execute(
                "const chart = document.querySelector('[data-testid=usage-chart]');\
                 return [window.__benchMs, chart.dataset.renderMs ?? null, chart.dataset.points];",
                vec![],
            )
            .await?;
        if let (Some(total), Some(render)) = (got[0].as_f64(), got[1].as_str()) {
            let points = got[2].as_str().and_then(|p| p.parse().ok()).unwrap_or(0);
            let render: f64 = render
                .parse()
                .map_err(|_| format!("data-render-ms {render}"))?;
            return Ok((render, total, points));
        }
        if std::time::Instant::now() > deadline {
            return Err("the week never drew".into());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: make bench"]
async fn a_week_of_minute_buckets_for_20_agents_renders() {
    let _one_app_at_a_time = ONE_APP.lock().await;
    let seeded = seeded_dir().join("baton.sqlite3");
    assert!(
        seeded.exists(),
        "{} is missing: run `cargo run --release -p baton-engine --example rate_limit_bench {}` first",
        seeded.display(),
        seeded_dir().display()
    );
    // The app writes to its database: work on a copy.
    let data = tempfile::tempdir().unwrap();
    std::fs::copy(&seeded, data.path().join("baton.sqlite3")).expect("copy the seeded database");
    let app = RunningApp::launch_in(data).await;
    let result = drive(app.session()).await;
    if result.is_err() {
        eprintln!("{}", app.capture_failure("ratelimit-bench").await);
    }
    app.close().await;
    let rows = result.unwrap_or_else(|e| panic!("rate-limit bench: {e}"));
    println!("stacked chart, 7 days × 20 agents of minute buckets ({POINTS} points per API):");
    for (api, render, total, points) in &rows {
        println!(
            "  {api:<9} render {render:>6.1} ms · click to drawn {total:>6.0} ms · {points} points"
        );
    }
    let renders: Vec<f64> = rows.iter().map(|r| r.1).collect();
    let max = renders.iter().cloned().fold(0.0, f64::max);
    let mean = renders.iter().sum::<f64>() / renders.len() as f64;
    println!("  render: mean {mean:.1} ms, max {max:.1} ms");
}

async fn drive(session: &Session) -> Result<Vec<(&'static str, f64, f64, u64)>, String> {
    session
        .wait_for("[data-testid=nav-ratelimits]", LONG)
        .await?;
    session.show_view_by_key("6").await?;
    let mut rows = Vec::new();
    for api in APIS {
        session
            .click_first(&format!("[data-testid='api-item-{api}']"), LONG)
            .await?;
        session
            .wait_for(&format!("[data-testid=api-panel][data-api='{api}']"), LONG)
            .await?;
        session
            .wait_for("[data-testid=usage-chart][data-state=ready]", LONG)
            .await?;
        let (render, total, points) = week(session).await?;
        if points != POINTS {
            return Err(format!("{api}: {points} points drawn, expected {POINTS}"));
        }
        rows.push((api, render, total, points));
        // Back to an hour, so the next API starts from the same place.
        session
            .click_first("[data-testid=range-button][data-hours='1']", LONG)
            .await?;
    }
    Ok(rows)
}
