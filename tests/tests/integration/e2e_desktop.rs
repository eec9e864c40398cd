//! The desktop route (issue 60) in the real app under Xvfb, with a real notification daemon
//! (dunst on a private D-Bus session bus, its calls recorded by dbus-monitor:
//! `baton_tests::notification_daemon`):
//! - a request for approval gets one notification with Approve / Deny / Open; pressing
//!   Approve is the desktop route's person's decision, in the hash-chained log "via desktop",
//!   shown live in the app, and the notification closes (SQLite and PostgreSQL);
//! - a critical item's notification (no desktop route: only Open) opens the item in the app,
//!   and closes when the item is settled elsewhere;
//! - a coding agent's permission request (the real `baton-hook`) waits for the desktop's answer
//!   past its queue time, gets Allow / Deny / Open, and Deny refuses the tool.
//!
//! Screenshots `desktop-*` (the daemon's display). `cargo test -p baton-tests --test integration
//! e2e_desktop::`; needs Xvfb, tauri-driver, WebKitWebDriver, dbus-daemon, dunst and PostgreSQL
//! (`scripts/setup.sh --test`).

use std::time::Duration;

use baton_core::agent::AgentDraft;
use baton_core::detect::{Finding, FindingKind, Severity};
use baton_core::escalations::{EscalationAction, EscalationState};
use baton_core::notify::{RouteDraft, RouteKind};
use baton_store::decisions::DecisionFilter;
use baton_store::{Store, StoreLocation, StorePlace};
use baton_tests::app::{RunningApp, ONE_APP};
use baton_tests::engine::wait_for;
use baton_tests::notification_daemon::{NotificationDaemon, NotifyCall};
use baton_tests::screenshot_dir;

const LONG: Duration = Duration::from_secs(30);

/// A data folder on `store` ("sqlite": its own file; "postgres": a fresh database) and where
/// its store is.
fn data_on(store: &str) -> (tempfile::TempDir, StoreLocation) {
    let data = tempfile::tempdir().unwrap();
    let location = match store {
        "sqlite" => StoreLocation::parse(&data.path().join("baton.sqlite3").display().to_string()),
        _ => {
            let location = StoreLocation::parse(&baton_testdb::server().fresh_database()).unwrap();
            StorePlace::choose(data.path(), Some(&location)).unwrap();
            Ok(location)
        }
    }
    .unwrap();
    (data, location)
}

/// An agent the app never hears from in the test (polled once an hour).
pub(crate) fn quiet_agent(store: &mut Store, name: &str) -> i64 {
    let draft = AgentDraft {
        poll_interval_ms: 3_600_000,
        ..AgentDraft::new(name, format!("http://127.0.0.1:9/{name}"))
    };
    store.add_agent(&draft).unwrap().id
}

/// The one notification whose body is `body`, once the app listens for its buttons.
async fn notified(daemon: &NotificationDaemon, body: &str) -> NotifyCall {
    let call = wait_for(&format!("a notification of {body:?}"), LONG, || {
        daemon
            .notifications()
            .into_iter()
            .find(|n| n.body == body && n.id.is_some())
    })
    .await;
    wait_for("the app listening for its buttons", LONG, || {
        daemon.listening(&call).then_some(())
    })
    .await;
    call
}

pub(crate) fn buttons(call: &NotifyCall) -> Vec<(&str, &str)> {
    call.actions
        .iter()
        .map(|(k, l)| (k.as_str(), l.as_str()))
        .collect()
}

/// A screenshot of the daemon's display, once dunst has drawn on it (a blank display's PNG
/// is a few hundred bytes).
pub(crate) async fn shot(daemon: &NotificationDaemon, name: &str) {
    let path = screenshot_dir().join(format!("{name}.png"));
    for _ in 0..50 {
        daemon.xvfb.screenshot(&path).unwrap();
        if std::fs::metadata(&path).is_ok_and(|m| m.len() > 1_000) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn approved_on_the_desktop(store_kind: &str) {
    let _one_app_at_a_time = ONE_APP.lock().await;
    let daemon = NotificationDaemon::start().expect("a notification daemon");
    let (data, location) = data_on(store_kind);
    let mut store = Store::open_at(&location).unwrap();
    store
        .add_route(
            &RouteDraft::new("desk", RouteKind::Desktop, "ana"),
            chrono::Utc::now(),
        )
        .unwrap();
    let publisher = quiet_agent(&mut store, "Publisher");
    let app = RunningApp::launch_with(data, &[("DBUS_SESSION_BUS_ADDRESS", &daemon.address)]).await;
    let result = async {
        let session = app.session();
        session
            .wait_for("[data-testid=nav-escalations]", LONG)
            .await?;
        session.show_view_by_key("5").await?;
        let title = "Publisher asks: may I send the <b>newsletter</b>?";
        let ask = Finding::about(
            FindingKind::NeedsApproval,
            Severity::Warning,
            vec![publisher],
            title,
            "desktop-ask",
        );
        let item = store
            .record_findings(&[ask], chrono::Utc::now())
            .map_err(|e| e.to_string())?
            .escalations[0];
        let body = "Publisher asks: may I send the &lt;b&gt;newsletter&lt;/b&gt;?";
        let call = notified(&daemon, body).await;
        assert_eq!(call.summary, "Needs approval: needs you");
        assert_eq!(
            buttons(&call),
            [
                ("approve", "Approve"),
                ("reject", "Deny"),
                ("default", "Open")
            ]
        );
        shot(&daemon, &format!("desktop-approval-{store_kind}")).await;
        let id = call.id.unwrap();
        daemon.press(id, "approve")?;

        // The decision: the route's person's, via the desktop, in the chained log.
        let decided = wait_for("the decision", LONG, || {
            let e = store.escalation(item).ok()?;
            (e.state == EscalationState::Resolved).then_some(e)
        })
        .await;
        let decision = decided.decision.unwrap();
        assert_eq!(
            (decision.who.as_str(), decision.action.as_str()),
            ("ana", "approve")
        );
        let log = store.decisions(&DecisionFilter::default()).unwrap();
        let entry = log.iter().find(|d| d.seq == decision.seq).unwrap();
        let via = &entry.detail.as_ref().unwrap()["via"];
        assert_eq!(
            (via["kind"].as_str(), via["route"].as_str()),
            (Some("desktop"), Some("desk"))
        );
        assert!(matches!(
            store.verify_decisions().unwrap(),
            baton_store::ChainCheck::Ok { .. }
        ));
        // Shown live in the app; the notification closed; it was the item's only one.
        session
            .wait_for(
                &format!("[data-testid=escalation-row][data-id='{item}'][data-state=resolved]"),
                LONG,
            )
            .await?;
        wait_for("the answered notification closed", LONG, || {
            daemon.closed().contains(&id).then_some(())
        })
        .await;
        let told = daemon
            .notifications()
            .into_iter()
            .filter(|n| n.body == body)
            .count();
        assert_eq!(told, 1, "one notification for the item");
        Ok(())
    }
    .await;
    app.finish(&format!("desktop-approval-{store_kind}"), result)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_is_approved_from_its_desktop_notification_on_sqlite() {
    approved_on_the_desktop("sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_is_approved_from_its_desktop_notification_on_postgres() {
    approved_on_the_desktop("postgres").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_critical_items_notification_opens_it_and_closes_when_it_is_settled_elsewhere() {
    let _one_app_at_a_time = ONE_APP.lock().await;
    let daemon = NotificationDaemon::start().expect("a notification daemon");
    let (data, location) = data_on("sqlite");
    let mut store = Store::open_at(&location).unwrap();
    let (editor, writer) = (
        quiet_agent(&mut store, "Editor"),
        quiet_agent(&mut store, "Writer"),
    );
    let app = RunningApp::launch_with(data, &[("DBUS_SESSION_BUS_ADDRESS", &daemon.address)]).await;
    let result = async {
        let session = app.session();
        session
            .wait_for("[data-testid=nav-escalations]", LONG)
            .await?;
        let mut collision = Finding::about(
            FindingKind::WriteCollision,
            Severity::Critical,
            vec![editor, writer],
            "Editor and Writer both wrote the launch draft",
            "desktop-collision",
        );
        collision.resource = Some("file:///drafts/launch.md".into());
        let item = store
            .record_findings(&[collision], chrono::Utc::now())
            .map_err(|e| e.to_string())?
            .escalations[0];
        let call = notified(&daemon, "Editor and Writer both wrote the launch draft").await;
        // No desktop route names who answers: the notification only opens the item.
        assert_eq!(buttons(&call), [("default", "Open")]);
        let id = call.id.unwrap();
        daemon.press(id, "default")?;
        session
            .wait_for(
                &format!("[data-testid=escalation-detail][data-id='{item}']"),
                LONG,
            )
            .await?;
        app.screenshot("desktop-opened")?;
        if daemon.closed().contains(&id) {
            return Err("the notification closed when opened".into());
        }
        // Settled elsewhere (as `baton decide` does): its notification closes.
        store
            .decide_escalation(
                item,
                &EscalationAction::Approve,
                None,
                "bo",
                chrono::Utc::now(),
            )
            .map_err(|e| e.to_string())?;
        wait_for("the settled item's notification closed", LONG, || {
            daemon.closed().contains(&id).then_some(())
        })
        .await;
        Ok(())
    }
    .await;
    app.finish("desktop-critical", result).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_permission_request_waits_for_the_desktop_and_deny_refuses_it() {
    let _one_app_at_a_time = ONE_APP.lock().await;
    let daemon = NotificationDaemon::start().expect("a notification daemon");
    let (data, location) = data_on("sqlite");
    let data_dir = data.path().to_owned();
    let mut store = Store::open_at(&location).unwrap();
    store
        .add_route(
            &RouteDraft::new("desk", RouteKind::Desktop, "ana"),
            chrono::Utc::now(),
        )
        .unwrap();
    let repo = tempfile::tempdir().unwrap();
    let app = RunningApp::launch_with(data, &[("DBUS_SESSION_BUS_ADDRESS", &daemon.address)]).await;
    let result = async {
        app.session()
            .wait_for("[data-testid=nav-escalations]", LONG)
            .await?;
        // Asked in the queue for 1 s only: it waits longer because the desktop can answer.
        let payload = serde_json::json!({
            "session_id": "desk-1", "cwd": repo.path(), "hook_event_name": "PermissionRequest",
            "tool_name": "Bash", "tool_input": {"command": "rm -rf build"}
        });
        let mut hook = tokio::process::Command::new(baton_tests::peers::debug_hook());
        hook.args(["claude-code", "--ask-seconds", "1", "--route-wait", "120"])
            .env("BATON_DATA_DIR", &data_dir)
            .current_dir(repo.path())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true);
        let mut hook = hook.spawn().map_err(|e| e.to_string())?;
        {
            use tokio::io::AsyncWriteExt as _;
            let mut stdin = hook.stdin.take().unwrap();
            stdin
                .write_all(payload.to_string().as_bytes())
                .await
                .map_err(|e| e.to_string())?;
        }
        let call = wait_for("the permission request's notification", LONG, || {
            daemon
                .notifications()
                .into_iter()
                .find(|n| n.body.contains("rm -rf build") && n.id.is_some())
        })
        .await;
        let call = notified(&daemon, &call.body).await;
        assert_eq!(
            buttons(&call),
            [
                ("approve", "Allow"),
                ("reject", "Deny"),
                ("default", "Open")
            ]
        );
        shot(&daemon, "desktop-permission").await;
        // Past the queue's own wait (1 s): only a request waiting for the desktop still hears.
        tokio::time::sleep(Duration::from_secs(3)).await;
        daemon.press(call.id.unwrap(), "reject")?;
        let out = tokio::time::timeout(LONG, hook.wait_with_output())
            .await
            .map_err(|_| "the hook did not answer")?
            .map_err(|e| e.to_string())?;
        let said = String::from_utf8_lossy(&out.stdout);
        if !said.contains("\"behavior\":\"deny\"") {
            return Err(format!("the hook answered {out:?}"));
        }
        let log = store.decisions(&DecisionFilter::default()).unwrap();
        let entry = log
            .iter()
            .find(|d| d.action == "reject")
            .ok_or_else(|| format!("no refusal in the log: {log:?}"))?;
        assert_eq!(entry.who, "ana");
        assert_eq!(entry.detail.as_ref().unwrap()["via"]["kind"], "desktop");
        Ok(())
    }
    .await;
    app.finish("desktop-permission", result).await;
}
