//! Coding sessions in the real app under Xvfb: two Claude Code sessions heard through their hooks
//! (recorded in the store as `baton hook` records them), the second refused the file the first
//! holds. The Agents view lists both sessions, the ownership map shows the lease (the holder's
//! edge to the file, with its age); the queue shows the refused write with "Grant to",
//! "Keep the holder" and "Allow both once"; granting moves the lease. Screenshots go to
//! target/e2e-screenshots/ (sessions-agents, sessions-watch, sessions-map, sessions-queue).
//! "Watch coding sessions in a repository…" installs the hooks into a folder from the app.

use std::time::Duration;

use baton_core::hooks::{parse_hook_payload, HookAnswer, HookClient, PermitMode};
use baton_store::sessions::{PermitSettings, SessionRef};
use baton_store::Store;
use baton_tests::app::{RunningApp, ONE_APP};
use baton_tests::coding_sessions::run_installed_hook;
use chrono::Utc;
use serde_json::json;

const LONG: Duration = Duration::from_secs(30);
const FILE: &str = "/home/me/shop/src/cart.rs";

fn hook(store: &mut Store, session: &str, payload: serde_json::Value) -> HookAnswer {
    let who = SessionRef {
        branch: Some("main".into()),
        ..SessionRef::in_checkout(HookClient::ClaudeCode, session, "/home/me/shop")
    };
    let call =
        parse_hook_payload(HookClient::ClaudeCode, payload.to_string().as_bytes(), None).unwrap();
    let settings = PermitSettings::in_mode(PermitMode::Enforce);
    store
        .record_hook(&who, &call, settings, Utc::now())
        .unwrap()
        .answer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sessions_show_as_agents_and_the_refused_write_is_granted_from_the_queue() {
    let _one_app_at_a_time = ONE_APP.lock().await;
    let data = tempfile::tempdir().unwrap();
    let db = data.path().join("baton.sqlite3");
    {
        let mut store = Store::open(&db).unwrap();
        let write = json!({"hook_event_name": "PreToolUse", "tool_name": "Edit", "tool_input": {"file_path": FILE}});
        hook(
            &mut store,
            "4f1c2a9e-aaaa",
            json!({"hook_event_name": "UserPromptSubmit", "prompt": "Add a discount field to the cart"}),
        );
        assert_eq!(
            hook(&mut store, "4f1c2a9e-aaaa", write.clone()),
            HookAnswer::GoOn
        );
        hook(
            &mut store,
            "77b03c11-bbbb",
            json!({"hook_event_name": "UserPromptSubmit", "prompt": "Fix the cart total rounding"}),
        );
        assert!(matches!(
            hook(&mut store, "77b03c11-bbbb", write),
            HookAnswer::Deny(_)
        ));
    }
    let app = RunningApp::launch_in(data).await;
    let result = drive(&app, &db).await;
    app.finish("sessions", result).await;
}

async fn drive(app: &RunningApp, db: &std::path::Path) -> Result<(), String> {
    let session = app.session();
    session
        .wait_for("[data-testid=nav-escalations]", LONG)
        .await?;
    session.show_view_by_key("2").await?;
    // Both sessions in their own group; the first holds the file it wrote.
    session
        .wait_for(
            "[data-testid=session-row][data-agent-name='shop·4f1c2a9e'] [data-testid=session-lease]",
            LONG,
        )
        .await?;
    session
        .wait_for(
            "[data-testid=session-row][data-agent-name='shop·77b03c11']",
            LONG,
        )
        .await?;
    app.screenshot("sessions-agents")?;

    // "Watch coding sessions in a repository…": the app installs the hooks there.
    let repo = db.parent().expect("the data dir").join("watched-repo");
    std::fs::create_dir_all(&repo).map_err(|e| e.to_string())?;
    session
        .click_first("[data-testid=watch-sessions]", LONG)
        .await?;
    let folder = session
        .wait_for("[data-testid=watch-project]", LONG)
        .await?;
    session.type_into(&folder, &repo.to_string_lossy()).await?;
    session
        .click_first("[data-testid=watch-install]", LONG)
        .await?;
    session.wait_for("[data-testid=watch-done]", LONG).await?;
    app.screenshot("sessions-watch")?;
    let settings = std::fs::read_to_string(repo.join(".claude/settings.json"))
        .map_err(|e| format!("the app wrote no settings: {e}"))?;
    if !settings.contains("baton-hook") || !settings.contains("PreToolUse") {
        return Err(format!("the app's hooks are not Baton's: {settings}"));
    }
    session
        .click_first("[data-testid=watch-close]", LONG)
        .await?;
    let closed = async {
        while session
            .execute(
                "return document.querySelector('[aria-modal=\"true\"]') !== null",
                vec![],
            )
            .await?
            == serde_json::Value::Bool(true)
        {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok::<(), String>(())
    };
    tokio::time::timeout(LONG, closed)
        .await
        .map_err(|_| "the dialog did not close".to_owned())??;

    // The lease on the ownership map: the holder's edge to the file, with its age.
    session
        .click_first("[data-testid=nav-ownership]", LONG)
        .await?;
    session
        .wait_for("[data-testid=map-lease-age]", LONG)
        .await?;
    app.screenshot("sessions-map")?;

    session.show_view_by_key("5").await?;
    let row = "[data-testid=escalation-row][data-kind=write_collision][data-state=open]";
    session.wait_for(row, LONG).await?;
    session.click_first(row, LONG).await?;
    let grant =
        "[data-testid=escalation-action][data-action=grant_lease][data-agent='shop·77b03c11']";
    session.wait_for(grant, LONG).await?;
    session.wait_for("[data-action=keep_lease]", LONG).await?;
    session
        .wait_for("[data-action=allow_both_once]", LONG)
        .await?;
    app.screenshot("sessions-queue")?;
    session.click_first(grant, LONG).await?;
    session
        .wait_for(
            "[data-testid=escalation-row][data-kind=write_collision][data-state=resolved]",
            LONG,
        )
        .await?;
    let store = Store::open(db).map_err(|e| e.to_string())?;
    let leases = store
        .leases(Utc::now(), chrono::Duration::minutes(10))
        .map_err(|e| e.to_string())?;
    match leases.as_slice() {
        [lease] if lease.holder == "shop·77b03c11" => {}
        other => return Err(format!("the lease did not move: {other:?}")),
    }
    drop(store);

    // A session in the watched repository runs the hook the app installed; the running app
    // answers it (over the store's socket), and the session shows on the Agents view.
    if !baton_hooks::served::app_answers(db) {
        return Err("the running app does not answer hook calls".into());
    }
    run_installed_hook(&settings, &repo, "c0ffee00-cccc")?;
    session.show_view_by_key("2").await?;
    session
        .wait_for(
            "[data-testid=session-row][data-agent-name='watched-repo·c0ffee00']",
            LONG,
        )
        .await?;
    Ok(())
}
