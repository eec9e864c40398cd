//! The ownership map in the real app under Xvfb: two agents whose declarations overlap on one
//! data field are caught by the pre-deploy check and drawn red on the map; making one the owner
//! settles it, and the decision log holds the change. A rule is then edited in the side panel
//! (with a live pattern error) and undone and redone. Screenshots go to target/e2e-screenshots/.

use std::time::Duration;

use baton_sim::{SimConfig, SimFleet};
use baton_tests::app::{RunningApp, ONE_APP};
use baton_tests::webdriver::Session;

const FIELD: &str = "crm://contacts/*#status";
const LONG: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overlapping_declarations_are_caught_drawn_and_settled() {
    let _one_app_at_a_time = ONE_APP.lock().await;
    let fleet = SimFleet::start(SimConfig {
        agents: 2,
        base_port: 0,
        seed: 11,
        tick_ms: 1_000,
        ..SimConfig::default()
    })
    .await
    .expect("simulated agents");
    let app = RunningApp::launch().await;
    let mut result = drive(&app, &fleet).await;
    if let Err(err) = &result {
        result = Err(format!("{err}; {}", app.capture_failure("ownership").await));
    }
    app.close().await;
    fleet.shutdown().await;
    if let Err(err) = result {
        panic!("ownership flow: {err}");
    }
}

async fn count(session: &Session, css: &str) -> Result<usize, String> {
    Ok(session.find_all(css).await?.len())
}

/// Waits until `css` matches exactly `n` elements.
async fn wait_count(session: &Session, css: &str, n: usize) -> Result<(), String> {
    let deadline = std::time::Instant::now() + LONG;
    loop {
        let found = count(session, css).await?;
        if found == n {
            return Ok(());
        }
        if std::time::Instant::now() > deadline {
            return Err(format!("{css}: expected {n}, found {found}"));
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

async fn fill(session: &Session, fields: &[(&str, &str)]) -> Result<(), String> {
    for (field, value) in fields {
        let input = session
            .wait_for(&format!("[data-testid={field}]"), LONG)
            .await?;
        session.type_into(&input, value).await?;
    }
    Ok(())
}

async fn add_agent(session: &Session, name: &str, url: &str) -> Result<(), String> {
    session.click_first("[data-testid=add-agent]", LONG).await?;
    fill(session, &[("agent-name", name), ("agent-url", url)]).await?;
    // The Declares section starts folded when there is nothing declared yet.
    session
        .click_first("[data-testid=agent-declares-toggle]", LONG)
        .await?;
    fill(
        session,
        &[
            ("agent-declares-writes", FIELD),
            ("agent-declares-reads", "crm://contacts/**"),
        ],
    )
    .await?;
    session.click_first("[data-testid=agent-save]", LONG).await
}

async fn drive(app: &RunningApp, fleet: &SimFleet) -> Result<(), String> {
    let session = app.session();
    let urls: Vec<String> = fleet.agents().iter().map(|a| a.base_url.clone()).collect();

    session.wait_for("[data-testid=start-demo]", LONG).await?;
    session
        .click_first("[data-testid=nav-agents]", LONG)
        .await?;

    // The first agent has nobody to overlap with: it is added straight away.
    add_agent(session, "Writer", &urls[0]).await?;
    session
        .wait_for("[data-testid=agent-row][data-agent-name=Writer]", LONG)
        .await?;
    wait_count(session, "[data-testid=agent-form]", 0)
        .await
        .ok();

    // The second declares writes to the same field: the pre-deploy check stops it.
    add_agent(session, "Researcher", &urls[1]).await?;
    session
        .wait_for("[data-testid=predeploy-dialog]", LONG)
        .await?;
    let conflict = session
        .wait_for_text(
            "[data-testid=predeploy-conflict]",
            "crm://contacts/x#status",
            LONG,
        )
        .await?;
    if !conflict.contains("Writer") {
        return Err(format!("the conflict names the other agent: {conflict:?}"));
    }
    app.screenshot("predeploy-check")?;
    // Decide later: the agent goes live and the conflict waits on the map.
    session
        .click_first("[data-testid=predeploy-choice][data-choice=later]", LONG)
        .await?;
    session
        .click_first("[data-testid=predeploy-apply]", LONG)
        .await?;
    session
        .wait_for("[data-testid=agent-row][data-agent-name=Researcher]", LONG)
        .await?;
    wait_count(session, "[data-testid=predeploy-dialog]", 0).await?;

    // The map draws both declarations in red, and the nav counts the conflict.
    session
        .wait_for_text("[data-testid=nav-ownership-badge]", "1", LONG)
        .await?;
    session
        .click_first("[data-testid=nav-ownership]", LONG)
        .await?;
    wait_count(session, "[data-testid=map-conflict]", 1).await?;
    wait_count(session, "[data-testid=map-edge][data-conflict=true]", 2).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    app.screenshot("ownership-conflict")?;

    // Settle it: the Researcher owns the field, the Writer stops declaring writes to it.
    session
        .click_first("[data-testid=conflict-resolve][data-choice=give_new]", LONG)
        .await?;
    session
        .wait_for_text("[data-testid=map-notice]", "New data rule", LONG)
        .await?;
    session
        .wait_for_text("[data-testid=map-conflicts]", "one owner", LONG)
        .await?;
    wait_count(session, "[data-testid=map-edge][data-conflict=true]", 0).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    app.screenshot("ownership-resolved")?;

    // A new rule from the side panel: a bad pattern is refused at its column, then saved.
    session.click_first("[data-testid=new-rule]", LONG).await?;
    fill(
        session,
        &[
            ("rule-pattern", "file:///drafts/x**"),
            ("rule-owner", "Writer"),
        ],
    )
    .await?;
    session
        .wait_for_text("[data-testid=rule-check]", "column 17", LONG)
        .await?;
    app.screenshot("ownership-rule-panel")?;
    fill(session, &[("rule-pattern", "file:///drafts/**")]).await?;
    session
        .wait_for_text("[data-testid=rule-check]", "No overlap", LONG)
        .await?;
    session.click_first("[data-testid=rule-save]", LONG).await?;
    session
        .wait_for(
            "[data-testid=map-resource][data-pattern='file:///drafts/**']",
            LONG,
        )
        .await?;
    // Undo removes it, redo brings it back.
    session.click_first("[data-testid=undo]", LONG).await?;
    wait_count(
        session,
        "[data-testid=map-resource][data-pattern='file:///drafts/**']",
        0,
    )
    .await?;
    session.click_first("[data-testid=redo]", LONG).await?;
    session
        .wait_for(
            "[data-testid=map-resource][data-pattern='file:///drafts/**']",
            LONG,
        )
        .await?;

    // The matrix shows the same map.
    session
        .click_first("[data-testid=map-tab-matrix]", LONG)
        .await?;
    session.wait_for("[data-testid=matrix-row]", LONG).await?;
    wait_count(session, "[data-testid=matrix-cell][data-conflict=true]", 0).await?;
    app.screenshot("ownership-matrix")?;

    // Every change is in the decision log.
    session
        .click_first("[data-testid=nav-decisions]", LONG)
        .await?;
    session
        .wait_for("[data-testid=decision-row][data-action='rule.add']", LONG)
        .await?;
    let actions = session
        .execute(
            "return Array.from(document.querySelectorAll('[data-testid=decision-row]')).map(e => e.dataset.action);",
            vec![],
        )
        .await?;
    let actions: Vec<&str> = actions
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str())
        .collect();
    for expected in ["declares.set", "rule.add", "rule.remove"] {
        if !actions.contains(&expected) {
            return Err(format!("the decision log lacks {expected}: {actions:?}"));
        }
    }
    session
        .wait_for_text("[data-testid=chain-status]", "intact", LONG)
        .await?;
    app.screenshot("decisions")?;
    Ok(())
}
