//! Desktop notifications from `baton watch --desktop` (issue 60: whoever watches sends), with
//! no app running: a real notification daemon (dunst on a private D-Bus session bus, its calls
//! recorded: `baton_tests::notification_daemon`) shows a request for approval with Approve /
//! Deny / Open; pressing Approve is the desktop route's person's decision "via desktop", and
//! the notification closes. A watch without `--desktop` shows nothing.
//!
//! `cargo test -p baton-tests --test integration desktop_watch::`; needs Xvfb, dbus-daemon and
//! dunst (`scripts/setup.sh --test`).

use std::process::{Child, Command};
use std::time::Duration;

use baton_core::detect::{Finding, FindingKind, Severity};
use baton_core::escalations::EscalationState;
use baton_core::notify::{RouteDraft, RouteKind};
use baton_store::{Store, StoreLocation};
use baton_tests::engine::wait_for;
use baton_tests::notification_daemon::NotificationDaemon;
use baton_tests::peers::debug_baton;

use crate::e2e_desktop::{buttons, quiet_agent, shot};

const LONG: Duration = Duration::from_secs(30);

/// `baton watch` on `data`, its desktop the daemon's (killed when dropped).
struct Watch(Child);

impl Watch {
    /// Its log (stdout) goes to `log`.
    fn start(
        data: &std::path::Path,
        daemon: &NotificationDaemon,
        desktop: bool,
        log: &std::path::Path,
    ) -> Watch {
        let mut watch = Command::new(debug_baton());
        watch
            .arg("--data-dir")
            .arg(data)
            .arg("watch")
            .args(desktop.then_some("--desktop"))
            .env("DBUS_SESSION_BUS_ADDRESS", &daemon.address)
            .env("BATON_LOG", "baton_desktop=info,warn")
            .stdout(std::fs::File::create(log).unwrap())
            .stderr(std::fs::File::create(log.with_extension("err")).unwrap());
        Watch(watch.spawn().expect("start baton watch"))
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A data folder whose store (SQLite) has ana's desktop route "desk", as `change` leaves it.
fn folder_with_desktop_route(change: impl FnOnce(&mut RouteDraft)) -> (tempfile::TempDir, Store) {
    let data = tempfile::tempdir().unwrap();
    let location =
        StoreLocation::parse(&data.path().join("baton.sqlite3").display().to_string()).unwrap();
    let mut store = Store::open_at(&location).unwrap();
    let mut route = RouteDraft::new("desk", RouteKind::Desktop, "ana");
    change(&mut route);
    store.add_route(&route, chrono::Utc::now()).unwrap();
    (data, store)
}

/// Opens a request for approval of a new quiet agent `name`; the item's id.
fn ask(store: &mut Store, name: &str, title: &str) -> i64 {
    let agent = quiet_agent(store, name);
    let ask = Finding::about(
        FindingKind::NeedsApproval,
        Severity::Warning,
        vec![agent],
        title,
        name,
    );
    store
        .record_findings(&[ask], chrono::Utc::now())
        .unwrap()
        .escalations[0]
}

/// Once the watch says it watches (it follows the store's changes from then on).
async fn started(log: &std::path::Path) {
    wait_for("the watch started", LONG, || {
        let text = std::fs::read_to_string(log).ok()?;
        text.contains("watching").then_some(())
    })
    .await;
}

/// `found`'s answer within [`LONG`], else a panic with the watch's logs.
async fn wait_for_or_say<T>(what: &str, found: impl Fn() -> Option<T>, log: &std::path::Path) -> T {
    let until = std::time::Instant::now() + LONG;
    loop {
        if let Some(it) = found() {
            return it;
        }
        if std::time::Instant::now() > until {
            let out = std::fs::read_to_string(log).unwrap_or_default();
            let err = std::fs::read_to_string(log.with_extension("err")).unwrap_or_default();
            panic!("no {what} in {LONG:?}; the watch said:\n{out}\n{err}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_with_desktop_shows_an_approval_whose_button_decides_it() {
    let daemon = NotificationDaemon::start().expect("a notification daemon");
    let (data, mut store) = folder_with_desktop_route(|_| {});

    // Without --desktop: the item is only in the queue (and the watch's log).
    let quiet_log = data.path().join("quiet.log");
    let quiet = Watch::start(data.path(), &daemon, false, &quiet_log);
    started(&quiet_log).await;
    let unseen = ask(&mut store, "Archiver", "Archiver asks: may it prune?");
    wait_for("the watch hearing the item", LONG, || {
        let log = std::fs::read_to_string(&quiet_log).ok()?;
        log.contains("may it prune").then_some(())
    })
    .await;
    drop(quiet);

    let watch_log = data.path().join("watch.log");
    let _watch = Watch::start(data.path(), &daemon, true, &watch_log);
    started(&watch_log).await;
    let body = "Publisher asks: may I send the newsletter?";
    let item = ask(&mut store, "Publisher", body);
    let call = wait_for_or_say(
        "the approval's notification",
        || {
            daemon
                .notifications()
                .into_iter()
                .find(|n| n.body == body && n.id.is_some())
        },
        &watch_log,
    )
    .await;
    wait_for("the watch listening for its buttons", LONG, || {
        daemon.listening(&call).then_some(())
    })
    .await;
    assert_eq!(
        buttons(&call),
        [
            ("approve", "Approve"),
            ("reject", "Deny"),
            ("default", "Open")
        ]
    );
    let id = call.id.unwrap();
    daemon.press(id, "approve").unwrap();
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
    let entry = store
        .decisions(&Default::default())
        .unwrap()
        .into_iter()
        .find(|d| d.seq == decision.seq)
        .unwrap();
    assert_eq!(entry.place.as_deref(), Some("via desktop"));
    wait_for("the answered notification closed", LONG, || {
        daemon.closed().contains(&id).then_some(())
    })
    .await;
    // The first watch, without --desktop, showed nothing of its item.
    let shown: Vec<String> = daemon.notifications().into_iter().map(|n| n.body).collect();
    assert!(
        !shown.iter().any(|b| b.contains("Archiver")),
        "{unseen}: {shown:?}"
    );
}

/// Opens a critical write collision about a new quiet agent `name`; the item's id.
fn collide(store: &mut Store, name: &str) -> i64 {
    let agent = quiet_agent(store, name);
    let mut finding = Finding::about(
        FindingKind::WriteCollision,
        Severity::Critical,
        vec![agent],
        format!("{name} and another agent wrote one record"),
        name,
    );
    // A table of its own: each a cause of its own, an item of its own.
    finding.resource = Some(format!("crm://{name}/1"));
    store
        .record_findings(&[finding], chrono::Utc::now())
        .unwrap()
        .escalations[0]
}

const STORM: &str = "new items in 10 min";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storm_on_the_desktop_is_one_notification_replaced_as_it_grows() {
    let daemon = NotificationDaemon::start().expect("a notification daemon");
    let (data, mut store) = folder_with_desktop_route(|_| {});
    let log = data.path().join("watch.log");
    let _watch = Watch::start(data.path(), &daemon, true, &log);
    started(&log).await;

    // Twelve critical items, one every 150 ms; a request for approval among them.
    let mut asked = 0;
    for n in 1..=12 {
        collide(&mut store, &format!("Writer{n}"));
        if n == 8 {
            asked = ask(&mut store, "Shipper", "Shipper asks: may it ship?");
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let last = wait_for_or_say(
        "the storm's notification counting twelve",
        || {
            daemon
                .notifications()
                .into_iter()
                .find(|n| n.summary == format!("12 {STORM}") && n.id.is_some())
        },
        &log,
    )
    .await;
    let calls = daemon.notifications();
    let storms: Vec<_> = calls
        .iter()
        .filter(|n| n.summary.ends_with(STORM))
        .collect();
    let one_by_one: Vec<&str> = calls
        .iter()
        .filter(|n| n.body.contains("wrote one record"))
        .map(|n| n.body.as_str())
        .collect();
    // The default threshold: more than 5 new items in 10 minutes are a storm.
    assert!(one_by_one.len() <= 5, "{one_by_one:?}");
    assert_eq!(
        last.body, "12 write collision: open Baton to see them",
        "{storms:?}"
    );
    // One notification on screen for the storm: each update replaces the first.
    let first = storms[0].id.expect("the storm's id");
    for update in &storms[1..] {
        assert_eq!(update.replaces, first, "{storms:?}");
        assert_eq!(update.id, Some(first), "{storms:?}");
    }
    shot(&daemon, "desktop-storm").await;
    // The request for approval popped up on its own, with its buttons.
    let approval = calls
        .iter()
        .find(|n| n.body == "Shipper asks: may it ship?")
        .unwrap_or_else(|| panic!("item {asked}'s notification: {calls:?}"));
    assert_eq!(buttons(approval)[0], ("approve", "Approve"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_with_desktop_shows_the_digest_when_its_period_ends() {
    let daemon = NotificationDaemon::start().expect("a notification daemon");
    // The shortest period, so that one ends while the test waits (periods count from the
    // epoch: the digest goes within two minutes).
    let (data, mut store) = folder_with_desktop_route(|route| route.policy.digest_minutes = 1);
    let log = data.path().join("watch.log");
    let _watch = Watch::start(data.path(), &daemon, true, &log);
    started(&log).await;
    // A warning: the route sends it in the digest, not at once.
    let agent = quiet_agent(&mut store, "Summariser");
    let finding = Finding::about(
        FindingKind::DivergentClaims,
        Severity::Warning,
        vec![agent],
        "Summariser and Indexer disagree on the release date",
        "Summariser",
    );
    store
        .record_findings(&[finding], chrono::Utc::now())
        .unwrap();
    let until = std::time::Instant::now() + Duration::from_secs(150);
    let digest = loop {
        let calls = daemon.notifications();
        if let Some(digest) = calls
            .iter()
            .find(|n| n.summary == "Baton: 1 new item since the last digest")
        {
            break digest.clone();
        }
        assert!(
            std::time::Instant::now() < until,
            "no digest in 150 s: {calls:?}\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert!(
        digest.body.contains("Summariser and Indexer disagree"),
        "{digest:?}"
    );
    assert_eq!(buttons(&digest), [("default", "Open")]);
    shot(&daemon, "desktop-digest").await;
    // It was not shown on its own first.
    let told = daemon
        .notifications()
        .into_iter()
        .filter(|n| n.body.contains("Summariser and Indexer disagree"))
        .count();
    assert_eq!(told, 1);
}
