//! The real app on a store with two hours of history, a month of polls and API calls priced by
//! model: the readiness cards and costs on the Agents view, the fleet timeline with a replay of
//! a past moment, and a deadlock the app's own detectors find between two agents' tasks, with
//! its "cancel one task" actions in the queue. Screenshots: agents-readiness, agents-costs,
//! timeline, timeline-replay, escalation-deadlock.
//!
//! `cargo test -p baton-tests --test integration e2e_pipelines::`; needs Xvfb, tauri-driver, WebKitWebDriver.

use std::time::Duration;

use baton_core::agent::{AgentDraft, AgentHealth, Reachability};
use baton_core::protocol::parse_status;
use baton_store::Store;
use baton_tests::app::RunningApp;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

const LONG: Duration = Duration::from_secs(20);

fn ingest(store: &mut Store, agent: i64, at: DateTime<Utc>, doc: Value) {
    let doc = parse_status(doc.to_string().as_bytes()).unwrap();
    store.ingest(agent, &doc, at).unwrap();
}

fn document(remote: &str, name: &str, tasks: Value, events: Value, cursor: u64) -> Value {
    json!({
        "protocol": "baton/1",
        "agent": {"id": remote, "name": name},
        "tasks": tasks,
        "events": events,
        "cursor": cursor.to_string(),
    })
}

/// A data dir whose store holds three agents' last two hours, their polls over a month, and
/// their API calls today.
fn prepared() -> tempfile::TempDir {
    let data = tempfile::tempdir().unwrap();
    let mut store = Store::open(&data.path().join("baton.sqlite3")).unwrap();
    let now = Utc::now();
    let mut ids = Vec::new();
    for (name, path) in [
        ("Researcher", "researcher"),
        ("Writer", "writer"),
        ("Editor", "editor"),
    ] {
        let draft = AgentDraft {
            poll_interval_ms: 60_000,
            timeout_ms: 1_000,
            // Nothing answers there: the store's history is what the views show.
            ..AgentDraft::new(name, format!("http://127.0.0.1:9/{path}"))
        };
        let id = store.add_agent(&draft).unwrap().id;
        // Polled, and up, from three hours ago (the replay shows them as they were).
        let health = AgentHealth {
            reachability: Reachability::Up,
            last_attempt_at: Some(now - chrono::Duration::hours(3)),
            last_success_at: Some(now - chrono::Duration::hours(3)),
            ..AgentHealth::default()
        };
        store.record_health(id, &health).unwrap();
        ids.push((id, path, name));
    }
    // Two hours of work, a poll every 10 minutes: each agent's tasks move through their
    // states, with writes, reads and priced API calls.
    for step in 0..12u64 {
        let at = now - chrono::Duration::minutes(120 - 10 * step as i64);
        for (i, &(id, remote, name)) in ids.iter().enumerate() {
            let task = format!("{remote}-{}", step / 3);
            let state = ["submitted", "working", "working"][step as usize % 3];
            let mut events = Vec::new();
            for k in 0..(3 + i as u64 * 4) {
                let seq = step * 100 + k + 1;
                let t = (at - chrono::Duration::seconds(300 - 20 * k as i64)).to_rfc3339();
                let kind = ["write", "read", "api_call"][(k as usize + i) % 3];
                events.push(json!({
                    "seq": seq, "at": t, "kind": kind, "task_id": task,
                    "resource": format!("file:///work/{remote}/{}.md", k % 4),
                    "api": "openai", "model": "gpt-4o", "status": 200,
                    "input_tokens": 4000, "output_tokens": 1500, "tokens": 5500,
                }));
            }
            let mut tasks = vec![
                json!({"id": task, "title": format!("{name}'s part {}", step / 3), "state": state}),
            ];
            if step % 3 == 0 && step > 0 {
                tasks.push(json!({"id": format!("{remote}-{}", step / 3 - 1),
                                  "title": format!("{name}'s part {}", step / 3 - 1), "state": "completed"}));
            }
            ingest(
                &mut store,
                id,
                at,
                document(remote, name, json!(tasks), json!(events), step),
            );
        }
    }
    // The writer's draft and the editor's style guide wait on each other: the app's detectors
    // find the deadlock.
    let (writer, editor) = (ids[1].0, ids[2].0);
    let at = now - chrono::Duration::minutes(5);
    ingest(
        &mut store,
        writer,
        at,
        document(
            "writer",
            "Writer",
            json!([
                {"id": "draft-guide", "title": "Draft the launch guide", "state": "blocked", "depends_on": ["editor/style-guide"]}
            ]),
            json!([]),
            99,
        ),
    );
    ingest(
        &mut store,
        editor,
        at,
        document(
            "editor",
            "Editor",
            json!([
                {"id": "style-guide", "title": "Style guide from the first draft", "state": "blocked", "depends_on": ["writer/draft-guide"]}
            ]),
            json!([]),
            99,
        ),
    );
    // The researcher's last call, a long answer, passes its budget today whatever the hour:
    // the two hours of work above start yesterday (UTC) until 02:00.
    let (researcher, remote, name) = ids[0];
    ingest(
        &mut store,
        researcher,
        now - chrono::Duration::seconds(1),
        document(
            remote,
            name,
            json!([]),
            json!([{
                "seq": 5_000, "at": (now - chrono::Duration::seconds(1)).to_rfc3339(),
                "kind": "api_call", "task_id": format!("{remote}-3"),
                "api": "openai", "model": "gpt-4o", "status": 200,
                "input_tokens": 4000, "output_tokens": 30_000, "tokens": 34_000,
            }]),
            100,
        ),
    );
    // A month of polls: the writer stable all along, the researcher since a bad day 19 days
    // ago, the editor only these three days.
    for back in 0..30 {
        let day = now - chrono::Duration::days(back);
        store.count_polls(writer, day, 1_400, 2).unwrap();
        let bad = if back == 19 { 900 } else { 1 };
        store.count_polls(ids[0].0, day, 1_400, bad).unwrap();
        if back < 3 {
            store.count_polls(editor, day, 1_400, 0).unwrap();
        }
    }
    store.set_daily_budget(ids[0].0, Some(0.2), now).unwrap();
    data
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_costs_the_timeline_with_replay_and_a_deadlock() {
    let app = RunningApp::launch_in(prepared()).await;
    let result = drive(&app).await;
    if let Err(err) = result {
        let page = app.capture_failure("pipelines").await;
        panic!("{err}\n{page}");
    }
    app.close().await;
}

async fn scroll_to(app: &RunningApp, css: &str) -> Result<(), String> {
    app.session()
        .execute(
            "document.querySelector(arguments[0]).scrollIntoView({block: 'start'})",
            vec![json!(css)],
        )
        .await
        .map(drop)
        .map_err(|e| e.to_string())
}

async fn drive(app: &RunningApp) -> Result<(), String> {
    let session = app.session();
    session.wait_for("[data-testid=nav-agents]", LONG).await?;
    session.show_view_by_key("2").await?;
    // Readiness from the month of polls.
    session
        .wait_for_text("[data-testid=readiness-section]", "19 of 28 days", LONG)
        .await?;
    session
        .wait_for_text("[data-testid=readiness-section]", "3 of 28 days", LONG)
        .await?;
    session
        .wait_for_text(
            "[data-testid=readiness-card][data-ready=true]",
            "28 of 28",
            LONG,
        )
        .await?;
    scroll_to(app, "[data-testid=readiness-section]").await?;
    app.screenshot("agents-readiness")?;
    // Costs at Baton's default gpt-4o price, and the researcher over its budget.
    session
        .wait_for_text("[data-testid=costs-section]", "of $0.20", LONG)
        .await?;
    scroll_to(app, "[data-testid=costs-section]").await?;
    app.screenshot("agents-costs")?;

    // The timeline: a lane per agent over the last hours.
    session.show_view_by_key("7").await?;
    session
        .wait_for("[data-testid=timeline-lane]", LONG)
        .await?;
    session.click_first("[data-testid=preset-6h]", LONG).await?;
    session
        .wait_for_text("[data-testid=timeline-range]", "–", LONG)
        .await?;
    tokio::time::sleep(Duration::from_millis(800)).await;
    app.screenshot("timeline")?;
    // Replay: step back from now, and the board as it was shows.
    for _ in 0..3 {
        session.keys(",").await?;
    }
    session
        .wait_for("[data-testid=replay-banner]", LONG)
        .await?;
    session.wait_for("[data-testid=replay-card]", LONG).await?;
    session.wait_for("[data-testid=replay-agent]", LONG).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    app.screenshot("timeline-replay")?;

    // The deadlock, found by the app's detectors, offers to cancel either task.
    session.show_view_by_key("5").await?;
    session
        .click_first(
            "[data-testid=escalation-row][data-kind=deadlock][data-state=open]",
            LONG,
        )
        .await?;
    session
        .wait_for_text(
            "[data-testid=escalation-detail]",
            "waits for Writer's draft-guide",
            LONG,
        )
        .await?;
    session
        .wait_for(
            "[data-testid=escalation-action][data-action=cancel_task][data-task-id=draft-guide]",
            LONG,
        )
        .await?;
    app.screenshot("escalation-deadlock")?;
    // And the researcher's budget, passed today, is an item of its own.
    session
        .wait_for("[data-testid=escalation-row][data-kind=over_budget]", LONG)
        .await?;
    Ok(())
}
