//! The Rate limits view in the real app under Xvfb. Two simulated agents share one OpenAI-style
//! key on a real `mocklimit` server (PyPI), call it until 429s come back and report every
//! response; they also carry two days of usage history (busy for the last hours, both bursting
//! in the first half of the coming hour, so the forecast sees the next collision). The app polls
//! them; the view must show the stacked chart with the limit line the
//! headers announced and the 429s, each agent's share, the forecast and the time-of-day heat map.
//! Then the pressure escalation shows the chart as evidence, its budget is split from the queue
//! and both agents receive their share. Screenshots: target/e2e-screenshots/rate-limits*.png and
//! escalation-rate-limit.png (docs/screenshots/ keeps copies).

use std::time::Duration;

use baton_core::agent::AgentDraft;
use baton_core::protocol::{AgentInfo, StatusDocument, PROTOCOL};
use baton_core::ratelimit::minute_of;
use baton_sim::caller::ApiCaller;
use baton_sim::history::{usage_reports, UsagePattern};
use baton_sim::{SimConfig, SimFleet};
use baton_store::Store;
use baton_tests::app::{RunningApp, ONE_APP};
use baton_tests::peers::{LimitStyle, Mocklimit};
use chrono::{Timelike, Utc};
use serde_json::json;

const LONG: Duration = Duration::from_secs(30);
const KEY: &str = "sk-team-shared";

/// Two days of hourly reports, then minute reports for the last three hours.
fn history(agent: usize) -> Vec<baton_core::protocol::UsageReport> {
    let hour = Utc::now().hour();
    let pattern = UsagePattern {
        busy_per_minute: [6, 5][agent],
        start_hour: (hour + 24 - [3, 2][agent]) % 24,
        busy_hours: 8,
        burst_hour: (hour + 1) % 24,
        tokens_per_request: 400,
    };
    let now = minute_of(Utc::now());
    let recent = now - 3 * 3600;
    let mut reports = usage_reports(
        "openai",
        pattern,
        agent as u64,
        now - 2 * 86_400,
        recent,
        3600,
    );
    reports.extend(usage_reports(
        "openai",
        pattern,
        agent as u64,
        recent,
        now,
        60,
    ));
    reports
}

fn seed(store: &mut Store, agent_id: i64, agent: usize) {
    let doc = StatusDocument {
        protocol: PROTOCOL.into(),
        agent: AgentInfo {
            id: format!("seed-{agent}"),
            name: None,
            version: None,
            state: None,
            detail: None,
            declares: None,
        },
        tasks: vec![],
        events: vec![],
        usage: history(agent),
        cursor: String::new(),
    };
    store
        .ingest(agent_id, &doc, Utc::now())
        .expect("seed history");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rate_limits_view_shows_usage_the_limit_429s_and_the_forecast() {
    let _one_app_at_a_time = ONE_APP.lock().await;
    let server = Mocklimit::start(LimitStyle::OpenAi).await;
    let fleet = SimFleet::start(SimConfig::stepped(2))
        .await
        .expect("agents");
    let data = tempfile::tempdir().unwrap();
    {
        let mut store = Store::open(&data.path().join("baton.sqlite3")).unwrap();
        for (i, agent) in fleet.agents().iter().enumerate() {
            let draft = AgentDraft {
                poll_interval_ms: 500,
                timeout_ms: 400,
                ..AgentDraft::new(&agent.name, &agent.base_url)
            };
            let id = store.add_agent(&draft).unwrap().id;
            seed(&mut store, id, i);
        }
    }
    let app = RunningApp::launch_in(data).await;
    let mut result = drive(&app, &fleet, &server).await;
    if let Err(err) = &result {
        result = Err(format!(
            "{err}; {}",
            app.capture_failure("rate-limits").await
        ));
    }
    app.close().await;
    fleet.shutdown().await;
    if let Err(err) = result {
        panic!("rate limits view: {err}");
    }
}

async fn drive(app: &RunningApp, fleet: &SimFleet, server: &Mocklimit) -> Result<(), String> {
    let session = app.session();
    session
        .wait_for("[data-testid=nav-ratelimits]", LONG)
        .await?;
    // The agents call the shared API until it answers 429 (20 requests a minute).
    let caller = ApiCaller::new("openai", &server.endpoint(), Some(KEY));
    let body =
        json!({"model": "m", "messages": [{"role": "user", "content": "Draft the digest."}]});
    for _ in 0..13 {
        for agent in 0..2 {
            let event = caller
                .call(&format!("digest-{agent}"), &body)
                .await
                .map_err(|e| e.to_string())?;
            fleet.inject_event(agent, event);
        }
    }
    let (_, limited) = server.counted(KEY).await;
    if limited == 0 {
        return Err("mocklimit answered no 429".into());
    }

    session.show_view_by_key("6").await?;
    session
        .wait_for("[data-testid=ratelimits-view]", LONG)
        .await?;
    session
        .wait_for("[data-testid=api-item-openai]", LONG)
        .await?;
    // The chart: both agents stacked, the limit line at the headers' 20 a minute, the 429s.
    let chart =
        format!("[data-testid=usage-chart][data-limit='20'][data-rate-limited='{limited}']");
    session.wait_for(&chart, LONG).await?;
    session
        .wait_for("[data-testid=usage-chart] canvas", LONG)
        .await?;
    let forecast = session
        .wait_for("[data-testid=forecast-text]", LONG)
        .await?;
    let text = session.text(&forecast).await?;
    if text.trim().is_empty() {
        return Err("the forecast says nothing".into());
    }
    eprintln!("forecast: {text}");
    let shares = session
        .find_all("[data-testid=shares] [data-agent-id]")
        .await?
        .len();
    if shares != 2 {
        return Err(format!("expected a share per agent, found {shares}"));
    }
    session.wait_for("[data-testid=heatmap-row]", LONG).await?;
    // Let the chart settle before the picture.
    tokio::time::sleep(Duration::from_millis(500)).await;
    app.screenshot("rate-limits")?;
    // The heat map and the settings, further down.
    session
        .execute(
            "document.querySelector('[data-testid=heatmap]').scrollIntoView({block: 'center'})",
            vec![],
        )
        .await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.screenshot("rate-limits-heatmap")?;

    // The pressure escalation carries the chart as evidence; split the budget from the queue
    // (the form opens with an even split) and the agents receive their share.
    session.show_view_by_key("5").await?;
    session
        .click_first(
            "[data-testid=escalation-row][data-kind=rate_limit_pressure][data-state=open]",
            LONG,
        )
        .await?;
    session
        .wait_for(
            "[data-testid=escalation-usage] [data-testid=usage-chart] canvas",
            LONG,
        )
        .await?;
    session
        .click_first(
            "[data-testid=escalation-action][data-action=split_budget]",
            LONG,
        )
        .await?;
    session
        .wait_for("[data-testid=split-budget-form]", LONG)
        .await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.screenshot("escalation-rate-limit")?;
    session
        .click_first("[data-testid=split-submit]", LONG)
        .await?;
    let deadline = std::time::Instant::now() + LONG;
    loop {
        let told: Vec<u32> = (0..2)
            .filter_map(|i| {
                fleet
                    .decisions(i)
                    .into_iter()
                    .find(|d| d.action == "budget")
                    .and_then(|d| d.budget)
                    .map(|b| b.share_percent)
            })
            .collect();
        if told.len() == 2 {
            if told.iter().sum::<u32>() > 100 || told.contains(&0) {
                return Err(format!("the agents were told shares {told:?}"));
            }
            eprintln!("budget split delivered: {told:?}");
            break;
        }
        if std::time::Instant::now() > deadline {
            return Err(format!("the agents were not told their budget: {told:?}"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}
