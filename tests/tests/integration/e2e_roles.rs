//! A viewer role in the real app, on a shared PostgreSQL store (as docs/team.md sets one up:
//! the store owned by a role of its own, `ana` granted viewer and `bo` decider by the
//! superuser), its data folder's choice to only view: the app offers no scenario, every decision
//! on the queue is disabled with the reason (who can decide, how to become a decider) on
//! hover and above them, a key press decides nothing, and the map's edits and the Agents
//! view's changes are disabled the same way. Screenshots `roles-viewer-*`.
//!
//! `cargo test -p baton-tests --test integration e2e_roles::`; needs Xvfb, tauri-driver,
//! WebKitWebDriver and PostgreSQL (`scripts/setup.sh --test`).

use std::time::Duration;

use baton_core::agent::AgentDraft;
use baton_core::detect::{Finding, FindingKind, Severity};
use baton_core::escalations::EscalationState;
use baton_store::refusal::StoreRole;
use baton_store::{watching, Store, StoreLocation, StorePlace};
use baton_tests::app::{RunningApp, ONE_APP};
use serde_json::json;

const LONG: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_role_is_offered_nothing_it_may_not_do() {
    let _one_app_at_a_time = ONE_APP.lock().await;
    let server = baton_testdb::server();
    let owner = server.login_role("owner");
    let owner_url = server.fresh_database_owned_by(&owner);
    let (ana, bo) = (server.login_role("ana"), server.login_role("bo"));
    // What is there before the app starts: an agent that asks a person, and two that wrote
    // one record.
    let (asks, collision) = {
        let mut store = Store::open_at(&StoreLocation::parse(&owner_url).unwrap()).unwrap();
        let mut agent = |name: &str| {
            store
                .add_agent(&AgentDraft::new(name, format!("http://127.0.0.1:9/{name}")))
                .unwrap()
                .id
        };
        let (publisher, editor) = (agent("Publisher"), agent("Editor"));
        let mut collision = Finding::about(
            FindingKind::WriteCollision,
            Severity::Warning,
            vec![publisher, editor],
            "Publisher and Editor both wrote the draft",
            "roles-collision",
        );
        collision.resource = Some("file:///drafts/launch.md".into());
        let ask = Finding::about(
            FindingKind::NeedsApproval,
            Severity::Warning,
            vec![publisher],
            "Publisher asks: may I send the newsletter?",
            "roles-ask",
        );
        let items = store
            .record_findings(&[ask, collision], chrono::Utc::now())
            .unwrap()
            .escalations;
        (items[0], items[1])
    };
    let mut admin = Store::open_at(
        &StoreLocation::parse(&baton_testdb::url_as(&owner_url, "postgres")).unwrap(),
    )
    .unwrap();
    admin.grant_role(&ana, StoreRole::Viewer).unwrap();
    admin.grant_role(&bo, StoreRole::Decider).unwrap();
    drop(admin);

    let data = tempfile::tempdir().unwrap();
    let ana_url = baton_testdb::url_as(&owner_url, &ana);
    StorePlace::choose(data.path(), Some(&StoreLocation::parse(&ana_url).unwrap())).unwrap();
    watching::save_choice(data.path(), Some(false)).unwrap();
    let app =
        RunningApp::launch_with(data, &[("BATON_USER", "ana"), ("BATON_HOST", "laptop-a")]).await;
    let result = drive(&app, &ana, &bo, asks, collision).await;
    let result = result.and_then(|()| {
        let store = Store::open_at(&StoreLocation::parse(&owner_url).unwrap()).unwrap();
        for id in [asks, collision] {
            let state = store.escalation(id).unwrap().state;
            if state != EscalationState::Open {
                return Err(format!("escalation {id} is {state:?}: the viewer decided"));
            }
        }
        Ok(())
    });
    app.finish("roles-viewer", result).await;
}

/// Every element matching `css`: whether it is disabled, and its title.
async fn disabled_with_titles(app: &RunningApp, css: &str) -> Result<Vec<(bool, String)>, String> {
    let found = app
        .session()
        .execute(
            "return Array.from(document.querySelectorAll(arguments[0]))\
               .map(b => [b.disabled, b.title]);",
            vec![json!(css)],
        )
        .await?;
    Ok(found
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|pair| {
            (
                pair[0].as_bool().unwrap_or(false),
                pair[1].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect())
}

/// Every control matching `css` (at least one) is disabled and says why: a viewer, as `role`.
async fn all_refused(app: &RunningApp, css: &str, role: &str, bo: &str) -> Result<usize, String> {
    let found = disabled_with_titles(app, css).await?;
    if found.is_empty() {
        return Err(format!("no {css} to check"));
    }
    let why = format!("You are a viewer on this store (PostgreSQL role {role})");
    for (disabled, title) in &found {
        if !disabled || !title.starts_with(&why) || !title.contains(&format!("{bo} can decide")) {
            return Err(format!("{css}: disabled {disabled}, title {title:?}"));
        }
    }
    Ok(found.len())
}

async fn drive(
    app: &RunningApp,
    ana: &str,
    bo: &str,
    asks: i64,
    collision: i64,
) -> Result<(), String> {
    let session = app.session();
    session
        .wait_for_text("[data-testid=presence-mode]", "Viewing only", LONG)
        .await?;
    session
        .wait_for_text("[data-testid=presence-role]", "A viewer", LONG)
        .await?;
    session
        .click_first("[data-testid=nav-escalations]", LONG)
        .await?;
    let row = |id: i64| format!("[data-testid=escalation-row][data-id=\"{id}\"]");
    session.click_first(&row(collision), LONG).await?;
    session
        .wait_for_text("[data-testid=escalation-blocked]", "You are a viewer", LONG)
        .await?;
    if !session
        .find_all("[data-testid=scenario-picker]")
        .await?
        .is_empty()
    {
        return Err("a viewer is offered a scenario".into());
    }
    let buttons = all_refused(app, "[data-testid=escalation-action]", ana, bo).await?;
    let gives = disabled_with_titles(app, "[data-action=give_ownership]").await?;
    if gives.len() != 2 {
        return Err(format!(
            "expected Give to each of the two writers: {gives:?}"
        ));
    }
    println!("the collision's {buttons} decision buttons are disabled with the reason");
    app.screenshot("roles-viewer-collision")?;

    session.click_first(&row(asks), LONG).await?;
    session
        .wait_for("[data-testid=escalation-action][data-action=approve]", LONG)
        .await?;
    all_refused(app, "[data-testid=escalation-action]", ana, bo).await?;
    // The a key decides nothing (the store is checked at the end), nor says why again.
    session.keys("a").await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    if !session
        .find_all("[data-testid=escalation-error]")
        .await?
        .is_empty()
    {
        return Err("the a key's refusal repeats the reason".into());
    }
    app.screenshot("roles-viewer-ask")?;

    session
        .click_first("[data-testid=nav-ownership]", LONG)
        .await?;
    session
        .wait_for("[data-testid=ownership-view]", LONG)
        .await?;
    all_refused(app, "[data-testid=new-rule]", ana, bo).await?;
    session
        .click_first("[data-testid=nav-agents]", LONG)
        .await?;
    session.wait_for("[data-testid=add-agent]", LONG).await?;
    all_refused(
        app,
        "[data-testid=add-agent], [data-testid=agent-remove]",
        ana,
        bo,
    )
    .await?;
    app.screenshot("roles-viewer-agents")?;
    Ok(())
}
