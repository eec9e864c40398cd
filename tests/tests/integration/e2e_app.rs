//! The real Baton app under Xvfb, driven over WebDriver (tauri-driver → WebKitWebDriver):
//! add a simulated agent through the Agents view, see its task cards appear on the Board and
//! move between columns. Saves screenshots of both views to target/e2e-screenshots/.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use baton_sim::{SimConfig, SimFleet};
use baton_tests::app::{RunningApp, ONE_APP};
use baton_tests::webdriver::Session;

/// Task id → column, for every card on the board.
async fn card_columns(session: &Session) -> HashMap<String, String> {
    let value = session
        .execute(
            "return Array.from(document.querySelectorAll('[data-testid=task-card]'))\
               .map(e => [e.dataset.taskId, e.dataset.column]);",
            vec![],
        )
        .await
        .expect("read cards");
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|pair| {
            Some((
                pair.get(0)?.as_str()?.to_owned(),
                pair.get(1)?.as_str()?.to_owned(),
            ))
        })
        .collect()
}

/// Add a simulated agent through the Agents view; its cards appear and move columns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn added_agent_tasks_appear_and_move_on_the_board() {
    let _one_app_at_a_time = ONE_APP.lock().await;
    let fleet = SimFleet::start(SimConfig {
        agents: 1,
        base_port: 0,
        seed: 7,
        tick_ms: 700,
        ..SimConfig::default()
    })
    .await
    .expect("simulated agent");
    let app = RunningApp::launch().await;
    let mut result = drive(&app, &fleet).await;
    if let Err(err) = &result {
        result = Err(format!("{err}; {}", app.capture_failure("add-agent").await));
    }
    app.close().await;
    fleet.shutdown().await;
    if let Err(err) = result {
        panic!("add-an-agent flow: {err}");
    }
}

/// First run: "Start demo fleet" fills the board within 5 s, and the story's first incident is
/// one queue item, settled by giving the files to Editor.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_demo_fleet_fills_the_board() {
    let _one_app_at_a_time = ONE_APP.lock().await;
    let app = RunningApp::launch().await;
    let mut result = demo_fleet_fills_the_board(&app).await;
    if let Err(err) = &result {
        result = Err(format!("{err}; {}", app.capture_failure("demo").await));
    }
    let data = app.close().await;
    if let Err(err) = result {
        panic!("demo fleet flow: {err}");
    }

    // Restart on the same store: the demo agents are back and polled, no first-run panel.
    let app = RunningApp::launch_in(data).await;
    let mut result = demo_fleet_resumes(app.session()).await;
    if let Err(err) = &result {
        result = Err(format!(
            "{err}; {}",
            app.capture_failure("demo-restart").await
        ));
    }
    app.close().await;
    if let Err(err) = result {
        panic!("demo fleet after a restart: {err}");
    }
}

async fn demo_fleet_resumes(session: &Session) -> Result<(), String> {
    session
        .wait_for("[data-testid=task-card]", Duration::from_secs(10))
        .await?;
    if !session
        .find_all("[data-testid=start-demo]")
        .await?
        .is_empty()
    {
        return Err("the first-run panel is back after a restart".into());
    }
    let nav = session
        .wait_for("[data-testid=nav-agents]", Duration::from_secs(5))
        .await?;
    session.click(&nav).await?;
    let rows = session.find_all("[data-testid=agent-row]").await?;
    if rows.len() != 5 {
        return Err(format!(
            "expected the 5 demo agents, found {} rows",
            rows.len()
        ));
    }
    session
        .wait_for_text("[data-testid=agent-health]", "up", Duration::from_secs(10))
        .await?;
    Ok(())
}

async fn demo_fleet_fills_the_board(app: &RunningApp) -> Result<(), String> {
    let session = app.session();
    let start = session
        .wait_for("[data-testid=start-demo]", Duration::from_secs(20))
        .await?;
    app.screenshot("first-run")?;
    let clicked = Instant::now();
    session.click(&start).await?;
    session
        .wait_for("[data-testid=task-card]", Duration::from_secs(5))
        .await
        .map_err(|e| format!("the board did not fill within 5 s: {e}"))?;
    eprintln!("demo fleet: first card after {:?}", clicked.elapsed());
    // Let a few more polls land so the screenshot shows a lived-in board.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let agents: std::collections::HashSet<String> = session
        .execute(
            "return Array.from(document.querySelectorAll('[data-testid=task-card]')).map(e => e.dataset.agentId);",
            vec![],
        )
        .await?
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    if agents.len() < 3 {
        return Err(format!(
            "expected cards from most of the 5 demo agents, got {agents:?}"
        ));
    }
    app.screenshot("demo-board")?;

    // The story's first incident, 20 ticks in: Editor and Publisher both write the launch FAQ
    // and pricing copy. One item for both files, settled with one click.
    session.show_view_by_key("5").await?;
    let row = "[data-testid=escalation-row][data-kind=write_collision][data-state=open]";
    session.wait_for(row, Duration::from_secs(60)).await?;
    let open = session
        .find_all("[data-testid=escalation-row][data-state=open]")
        .await?
        .len();
    if open != 1 {
        return Err(format!(
            "expected one open item after the first incident, found {open}"
        ));
    }
    session
        .wait_for(
            &format!("{row}[aria-selected=true]"),
            Duration::from_secs(10),
        )
        .await?;
    // Both files, in one item.
    session
        .wait_for_text(row, "×2", Duration::from_secs(10))
        .await?;
    app.screenshot("demo-first-escalation")?;
    session
        .click_first(
            "[data-testid=escalation-action][data-action=give_ownership][data-agent=\"Editor (demo)\"]",
            Duration::from_secs(10),
        )
        .await?;
    session
        .wait_for(
            "[data-testid=escalation-row][data-kind=write_collision][data-state=resolved]",
            Duration::from_secs(10),
        )
        .await?;
    app.screenshot("demo-settled")?;
    Ok(())
}

async fn drive(app: &RunningApp, fleet: &SimFleet) -> Result<(), String> {
    let session = app.session();
    let long = Duration::from_secs(20);
    let agent_url = fleet.agents()[0].base_url.clone();
    const HEALTH: &str =
        "[data-testid=agent-row][data-agent-name=Researcher] [data-testid=agent-health]";

    // First run: no agents yet. Add one through the Agents view.
    session.wait_for("[data-testid=start-demo]", long).await?;
    let nav = session.wait_for("[data-testid=nav-agents]", long).await?;
    session.click(&nav).await?;
    let add = session.wait_for("[data-testid=add-agent]", long).await?;
    session.click(&add).await?;
    for (field, value) in [
        ("agent-name", "Researcher"),
        ("agent-url", agent_url.as_str()),
        ("agent-interval", "1000"),
        ("agent-timeout", "800"),
    ] {
        let input = session
            .wait_for(&format!("[data-testid={field}]"), long)
            .await?;
        session.type_into(&input, value).await?;
    }
    // "Test connection" polls once without saving.
    let test = session.wait_for("[data-testid=agent-test]", long).await?;
    session.click(&test).await?;
    let report = session
        .wait_for_text("[data-testid=agent-test-result]", "Connected", long)
        .await?;
    if !report.contains("researcher-1") {
        return Err(format!("the test report names the agent: {report:?}"));
    }
    app.screenshot("agent-form")?;
    let save = session.wait_for("[data-testid=agent-save]", long).await?;
    session.click(&save).await?;

    // The agent's row turns "up" once the first poll lands.
    session.wait_for_text(HEALTH, "up", long).await?;
    app.screenshot("agents")?;

    // Board: cards appear, then at least one moves to another column.
    let board = session.wait_for("[data-testid=nav-board]", long).await?;
    session.click(&board).await?;
    session.wait_for("[data-testid=task-card]", long).await?;
    let first = card_columns(session).await;
    assert!(!first.is_empty(), "the board shows the agent's tasks");
    let deadline = Instant::now() + Duration::from_secs(30);
    let moved = loop {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let now = card_columns(session).await;
        let moved: Vec<_> = first
            .iter()
            .filter_map(|(id, column)| {
                let new = now.get(id)?;
                (new != column).then(|| format!("{id}: {column} → {new}"))
            })
            .collect();
        if !moved.is_empty() {
            break moved;
        }
        if Instant::now() > deadline {
            return Err(format!("no card changed column in 30 s; board: {now:?}"));
        }
    };
    eprintln!("cards moved: {moved:?}");
    app.screenshot("board")?;

    // The detail drawer opens on a card and lists its events. The card is one that settled
    // (a working card moves column every tick, and a pointer click at its old place met
    // nothing once, on a loaded machine), clicked on itself, wherever it is drawn now.
    session
        .wait_for("[data-testid=task-card][data-column=done]", long)
        .await?;
    session
        .execute(
            "document.querySelector('[data-testid=task-card][data-column=done]').click();",
            vec![],
        )
        .await
        .map_err(|e| format!("click a settled card: {e}"))?;
    session.wait_for("[data-testid=task-drawer]", long).await?;
    app.screenshot("board-drawer")?;

    // Health is live: stop the agent and its row says why; start it and it is up again.
    session.keys("\u{E00C}").await?; // Escape closes the drawer
    let nav = session.wait_for("[data-testid=nav-agents]", long).await?;
    session.click(&nav).await?;
    fleet.stop_agent(0).await;
    session
        .wait_for_text(HEALTH, "connection refused", long)
        .await?;
    app.screenshot("agents-down")?;
    fleet
        .restart_agent(0)
        .await
        .map_err(|e| format!("restart the simulated agent: {e}"))?;
    // Backoff may hold the next poll for a few seconds.
    session
        .wait_for_text(HEALTH, "up", Duration::from_secs(40))
        .await?;
    Ok(())
}
