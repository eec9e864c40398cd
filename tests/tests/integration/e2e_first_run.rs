//! The welcome screen in the real app under Xvfb: three doors (the demo fleet, an HTTP agent,
//! coding sessions in a repository), buttons in that tab order with the first focused. The third
//! opens "Watch coding sessions…": on a temporary git repository, with Claude Code ticked, it
//! installs Baton's hooks there and lands on the Agents view; a session started in the
//! repository (its installed hook run as Claude Code runs it) then shows on that view.
//! Screenshots go to target/e2e-screenshots/ (first-run-doors, first-run-watch,
//! first-run-session).

use std::time::Duration;

use baton_tests::app::{RunningApp, ONE_APP};
use baton_tests::coding_sessions::run_installed_hook;
use serde_json::json;

const LONG: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_welcome_screen_offers_three_doors_and_watches_a_repository() {
    let _one_app_at_a_time = ONE_APP.lock().await;
    let place = tempfile::tempdir().unwrap();
    let repo = place.path().join("watched-repo");
    std::fs::create_dir_all(&repo).unwrap();
    let git = std::process::Command::new("git")
        .args(["init", "-q"])
        .current_dir(&repo)
        .status()
        .expect("git");
    assert!(git.success());
    // The app's HOME of its own: installing Claude Code's hooks turns its telemetry on in the
    // user's settings, never those of whoever runs the tests.
    let home = place.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let app = RunningApp::launch_with(
        tempfile::tempdir().unwrap(),
        &[("HOME", home.to_str().unwrap())],
    )
    .await;
    let result = drive(&app, &repo).await;
    if result.is_ok() {
        let user = std::fs::read_to_string(home.join(".claude/settings.json")).unwrap_or_default();
        assert!(
            user.contains("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT"),
            "the app turned Claude Code's telemetry toward Baton: {user}"
        );
    }
    app.finish("first-run", result).await;
}

async fn drive(app: &RunningApp, repo: &std::path::Path) -> Result<(), String> {
    let session = app.session();
    session.wait_for("[data-testid=start-demo]", LONG).await?;
    let expected = json!({
        "doors": ["BUTTON:start-demo", "BUTTON:add-agent", "BUTTON:first-run-watch"],
        "focused": "start-demo",
    });
    // The first door takes the focus once the screen has been drawn (an effect after the
    // render that put the buttons there): read until it has, or the wait is over.
    let waited = std::time::Instant::now();
    loop {
        let doors = session
            .execute(
                "const doors = [...document.querySelectorAll('.first-run-doors > *')];\
                 return { doors: doors.map(d => d.tagName + ':' + d.dataset.testid),\
                          focused: document.activeElement && document.activeElement.dataset.testid };",
                vec![],
            )
            .await?;
        if doors == expected {
            break;
        }
        if waited.elapsed() > LONG {
            return Err(format!("the welcome screen's doors: {doors}"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.screenshot("first-run-doors")?;

    session
        .click_first("[data-testid=first-run-watch]", LONG)
        .await?;
    let folder = session
        .wait_for("[data-testid=watch-project]", LONG)
        .await?;
    session.type_into(&folder, &repo.to_string_lossy()).await?;
    // The clients found on this machine come ticked; this test installs Claude Code's hooks
    // only (the others would write to the user's own settings), whatever this machine has.
    session
        .wait_for("[data-testid=watch-client]:checked", LONG)
        .await?;
    let ticked = session
        .execute(
            "for (const box of document.querySelectorAll('[data-testid=watch-client]')) {\
               if ((box.dataset.client === 'claude-code') !== box.checked) box.click();\
             }\
             return [...document.querySelectorAll('[data-testid=watch-client]:checked')]\
               .map(b => b.dataset.client);",
            vec![],
        )
        .await?;
    if ticked != json!(["claude-code"]) {
        return Err(format!("ticked: {ticked}"));
    }
    app.screenshot("first-run-watch")?;
    session
        .click_first("[data-testid=watch-install]", LONG)
        .await?;
    session.wait_for("[data-testid=watch-done]", LONG).await?;
    let settings = std::fs::read_to_string(repo.join(".claude/settings.json"))
        .map_err(|e| format!("the app wrote no settings: {e}"))?;
    if !settings.contains("baton-hook") || !settings.contains("PreToolUse") {
        return Err(format!("the app's hooks are not Baton's: {settings}"));
    }
    session
        .click_first("[data-testid=watch-close]", LONG)
        .await?;
    // Hooks in place: the app shows the Agents view, which says sessions show there.
    let empty = session.wait_for("[data-testid=agents-empty]", LONG).await?;
    let text = session.text(&empty).await?;
    if !text.contains("each session shows here when it starts") {
        return Err(format!("the Agents view's empty state: {text}"));
    }

    // A session starts in the repository: its hook (as installed) reaches the running app.
    let db = app.data_dir().join("baton.sqlite3");
    if !baton_hooks::served::app_answers(&db) {
        return Err("the running app does not answer hook calls".into());
    }
    run_installed_hook(&settings, repo, "f1257a11-dddd")?;
    session
        .wait_for(
            "[data-testid=session-row][data-agent-name='watched-repo·f1257a11']",
            LONG,
        )
        .await?;
    let on_agents = session
        .execute(
            "return document.querySelector('[data-testid=nav-agents]').getAttribute('aria-current');",
            vec![],
        )
        .await?;
    if on_agents != "page" {
        return Err(format!("not on the Agents view: {on_agents}"));
    }
    app.screenshot("first-run-session")?;
    Ok(())
}
