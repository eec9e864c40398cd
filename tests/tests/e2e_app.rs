//! The real Baton app under Xvfb, driven over WebDriver (tauri-driver → WebKitWebDriver):
//! add a simulated agent through the Agents view, see its task cards appear on the Board and
//! move between columns. Saves screenshots of both views to target/e2e-screenshots/.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use baton_sim::{SimConfig, SimFleet};
use baton_tests::display::{TauriDriver, Xvfb};
use baton_tests::webdriver::Session;
use baton_tests::{screenshot_dir, target_dir, workspace_root};

fn app_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("BATON_APP_BIN") {
        return PathBuf::from(path);
    }
    let path = target_dir().join("debug/baton-app");
    if !path.exists() {
        // A plain `cargo test` does not build other packages' binaries: build the app once.
        let status = Command::new(env!("CARGO"))
            .args(["build", "-p", "baton-app"])
            .current_dir(workspace_root())
            .status()
            .expect("run cargo build");
        assert!(status.success(), "cargo build -p baton-app failed");
    }
    path
}

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_an_agent_and_watch_its_tasks_move_on_the_board() {
    let app = app_binary();
    assert!(
        workspace_root().join("ui/dist/index.html").exists(),
        "ui/dist is missing: run `npm --prefix ui run build` (make test does)"
    );
    let data = tempfile::tempdir().unwrap();
    let data_dir = data.path().to_str().unwrap().to_owned();
    let xvfb = Xvfb::start().expect("Xvfb");
    let driver = TauriDriver::start(&[
        ("DISPLAY", xvfb.display.as_str()),
        ("BATON_DATA_DIR", data_dir.as_str()),
        // Keep window state and WebKit caches out of the user's home.
        ("XDG_CONFIG_HOME", data_dir.as_str()),
        ("XDG_DATA_HOME", data_dir.as_str()),
        ("XDG_CACHE_HOME", data_dir.as_str()),
        ("WEBKIT_DISABLE_DMABUF_RENDERER", "1"),
    ])
    .expect("tauri-driver");

    let fleet = SimFleet::start(SimConfig {
        agents: 1,
        base_port: 0,
        seed: 7,
        tick_ms: 700,
        ..SimConfig::default()
    })
    .await
    .expect("simulated agent");
    let sim_agent = fleet.agents().remove(0);

    let session = Session::start(&driver.url(), &app).await.expect("WebDriver session");
    let result = drive(&session, &sim_agent.base_url).await;
    let _ = session.end().await;
    drop(driver);
    drop(xvfb);
    fleet.shutdown().await;
    if let Err(err) = result {
        panic!("{err}");
    }
}

async fn drive(session: &Session, agent_url: &str) -> Result<(), String> {
    let shots = screenshot_dir();
    let long = Duration::from_secs(20);

    // First run: no agents yet. Add one through the Agents view.
    session.wait_for("[data-testid=start-demo]", long).await?;
    let nav = session.wait_for("[data-testid=nav-agents]", long).await?;
    session.click(&nav).await?;
    let add = session.wait_for("[data-testid=add-agent]", long).await?;
    session.click(&add).await?;
    let name = session.wait_for("[data-testid=agent-name]", long).await?;
    session.type_into(&name, "Researcher").await?;
    let url = session.wait_for("[data-testid=agent-url]", long).await?;
    session.type_into(&url, agent_url).await?;
    let interval = session.wait_for("[data-testid=agent-interval]", long).await?;
    session.type_into(&interval, "1000").await?;
    let timeout = session.wait_for("[data-testid=agent-timeout]", long).await?;
    session.type_into(&timeout, "800").await?;
    let save = session.wait_for("[data-testid=agent-save]", long).await?;
    session.click(&save).await?;

    // The agent's row turns "up" once the first poll lands.
    let row = session.wait_for("[data-testid=agent-row][data-agent-name=Researcher]", long).await?;
    let deadline = Instant::now() + long;
    loop {
        let health = session
            .find_all("[data-testid=agent-row][data-agent-name=Researcher] [data-testid=agent-health]")
            .await?;
        let text = match health.first() {
            Some(el) => session.text(el).await?,
            None => session.text(&row).await?,
        };
        if text.contains("up") {
            break;
        }
        if Instant::now() > deadline {
            return Err(format!("agent never came up; row says {text:?}"));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    session.screenshot(&shots.join("agents.png")).await?;

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
    session.screenshot(&shots.join("board.png")).await?;

    // The detail drawer opens on a card and lists its events.
    let card = session.wait_for("[data-testid=task-card]", long).await?;
    session.click(&card).await?;
    session.wait_for("[data-testid=task-drawer]", long).await?;
    session.screenshot(&shots.join("board-drawer.png")).await?;
    Ok(())
}
