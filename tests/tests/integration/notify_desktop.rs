//! The desktop route's answers in the real engine, on SQLite and on PostgreSQL (the app's
//! notification side is `e2e_desktop`): a button's answer is the route's person's decision
//! "via desktop"; *Open*, an unknown key, a second press, a press after the item was settled,
//! and a press after the route was removed are refused, counted, and change nothing.

use std::collections::HashSet;
use std::sync::Arc;

use baton_core::agent::AgentDraft;
use baton_core::detect::{Finding, FindingKind, Severity};
use baton_core::escalations::{Alert, EscalationState};
use baton_core::notify::policy::SendPolicy;
use baton_core::notify::{RouteDraft, RouteKind};
use baton_engine::notify::clock::NotifyClock;
use baton_engine::notify::DesktopTaken;
use baton_engine::{Engine, EngineConfig, MemoryTokens, StoreHandle};
use baton_store::StoreLocation;

use crate::notify_ntfy::{logged_via, stores};

/// Opens an approval request for a quiet agent; its alert.
async fn ask(engine: &Engine, key: &'static str) -> Alert {
    let item = engine
        .write(move |s| {
            let agent = s
                .add_agent(&AgentDraft::new(key, format!("http://127.0.0.1:9/{key}")))?
                .id;
            let finding = Finding::about(
                FindingKind::NeedsApproval,
                Severity::Warning,
                vec![agent],
                format!("{key} asks: may it ship?"),
                key,
            );
            Ok(s.record_findings(&[finding], chrono::Utc::now())?
                .escalations[0])
        })
        .await
        .unwrap();
    Alert {
        escalation_id: item,
        summary: "Needs approval: needs you".into(),
        body: format!("{key} asks: may it ship?"),
    }
}

/// The engine on `url` (not watching: the tests call it).
fn engine_on(url: &str) -> Engine {
    let store = StoreHandle::open_at(&StoreLocation::parse(url).unwrap(), 2).unwrap();
    Engine::new(
        store,
        Arc::new(MemoryTokens::new(None)),
        EngineConfig::default(),
    )
}

/// The desktop route "desk", answered by ana.
async fn add_desktop_route(engine: &Engine) {
    engine
        .write(|s| {
            s.add_route(
                &RouteDraft::new("desk", RouteKind::Desktop, "ana"),
                chrono::Utc::now(),
            )
        })
        .await
        .unwrap();
}

fn refused(taken: DesktopTaken) -> &'static str {
    match taken {
        DesktopTaken::Refused(reason) => reason,
        DesktopTaken::Decided(e) => panic!("decided: {e:?}"),
    }
}

async fn desktop_answers(url: &str) {
    let engine = engine_on(url);
    add_desktop_route(&engine).await;
    let alert = ask(&engine, "deploy").await;
    let item = alert.escalation_id;
    let shown = engine.desktop_alert(&alert).await.unwrap();
    let labels: Vec<&str> = shown.notice.buttons.iter().map(|b| b.label).collect();
    assert_eq!(labels, ["Approve", "Deny", "Open"]);
    let again = engine.desktop_alert(&alert).await.unwrap();

    // Not answers: nothing decided.
    assert_eq!(
        refused(engine.answer_on_desktop(&shown, "default").await),
        "not_an_answer"
    );
    assert_eq!(
        refused(engine.answer_on_desktop(&shown, "dismiss").await),
        "not_an_answer"
    );
    assert_eq!(
        engine.escalation(item).await.unwrap().state,
        EscalationState::Open
    );

    // Approve: the route's person's decision, via the desktop, in the chained log.
    let DesktopTaken::Decided(decided) = engine.answer_on_desktop(&shown, "approve").await else {
        panic!("not decided");
    };
    let decision = decided.decision.unwrap();
    assert_eq!(
        (decision.who.as_str(), decision.action.as_str()),
        ("ana", "approve")
    );
    let via = logged_via(&engine, decision.seq).await;
    assert_eq!(via["kind"], "desktop");
    assert_eq!(via["route"], "desk");

    // Pressed again, or the other notification of the settled item: refused.
    assert_eq!(
        refused(engine.answer_on_desktop(&shown, "reject").await),
        "replayed"
    );
    assert_eq!(
        refused(engine.answer_on_desktop(&again, "reject").await),
        "settled"
    );
    let decided = engine.escalation(item).await.unwrap();
    assert_eq!(decided.decision.unwrap().action, "approve");

    // The route removed since the notification was shown: its buttons decide nothing.
    let later = ask(&engine, "publish").await;
    let shown = engine.desktop_alert(&later).await.unwrap();
    engine.remove_route("desk".into()).await.unwrap();
    assert_eq!(
        refused(engine.answer_on_desktop(&shown, "approve").await),
        "no_route"
    );
    let open = engine.escalation(later.escalation_id).await.unwrap();
    assert_eq!(open.state, EscalationState::Open);
    // Without a desktop route, only Open.
    let shown = engine.desktop_alert(&later).await.unwrap();
    let labels: Vec<&str> = shown.notice.buttons.iter().map(|b| b.label).collect();
    assert_eq!(labels, ["Open"]);

    let stats = engine.notify_stats();
    assert_eq!(stats.answers_taken, 1);
    for (reason, count) in [
        ("not_an_answer", 2),
        ("replayed", 1),
        ("settled", 1),
        ("no_route", 1),
    ] {
        assert_eq!(stats.answers_refused.get(reason), Some(&count), "{reason}");
    }
    assert!(matches!(
        engine.read(|s| s.verify_decisions()).await.unwrap(),
        baton_store::ChainCheck::Ok { .. }
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn desktop_answers_are_decisions_once_on_both_stores() {
    let dir = tempfile::tempdir().unwrap();
    for (name, url) in stores(&dir) {
        eprintln!("store: {name}");
        desktop_answers(&url).await;
    }
}

/// Opens an item of `kind` and `severity` about a new quiet agent; its id.
async fn item(engine: &Engine, key: &'static str, kind: FindingKind, severity: Severity) -> i64 {
    engine
        .write(move |s| {
            let agent = s
                .add_agent(&AgentDraft::new(key, format!("http://127.0.0.1:9/{key}")))?
                .id;
            let mut finding =
                Finding::about(kind, severity, vec![agent], format!("{key}: {kind:?}"), key);
            // A resource of its own: each item a cause of its own, never grouped with another.
            finding.resource = Some(format!("crm://{key}/1"));
            Ok(s.record_findings(&[finding], chrono::Utc::now())?
                .escalations[0])
        })
        .await
        .unwrap()
}

/// The items `desktop_alerts` tells of, for `opened` and `lapsing`.
async fn told(engine: &Engine, opened: &[i64], lapsing: &[i64]) -> Vec<i64> {
    let alerts = engine
        .desktop_alerts(opened.to_vec(), lapsing.to_vec())
        .await
        .unwrap();
    alerts.each.into_iter().map(|a| a.escalation_id).collect()
}

/// Many critical items at once: past the storm threshold (the default, 5 in 10 minutes) the
/// new ones are one notification counting them, with a desktop route or without; a request
/// for approval still pops up on its own.
async fn desktop_storm(url: &str) {
    let engine = engine_on(url);
    let mut critical = Vec::new();
    for key in ["s1", "s2", "s3", "s4", "s5", "s6", "s7"] {
        critical.push(
            item(
                &engine,
                key,
                FindingKind::WriteCollision,
                Severity::Critical,
            )
            .await,
        );
        // The first five pop up each, as they come; the sixth makes a storm.
        if critical.len() == 5 {
            assert_eq!(told(&engine, &critical, &[]).await, critical);
        }
    }
    let alerts = engine
        .desktop_alerts(critical[5..].to_vec(), Vec::new())
        .await
        .unwrap();
    assert!(alerts.each.is_empty(), "{alerts:?}");
    let storm = alerts.storm.expect("a storm");
    assert_eq!(
        (storm.count, storm.newest, storm.summary.as_str()),
        (7, critical[6], "7 new items in 10 min")
    );

    add_desktop_route(&engine).await;
    let asked = ask(&engine, "deploy").await.escalation_id;
    let mut opened = critical.clone();
    opened.push(asked);
    let alerts = engine.desktop_alerts(opened, Vec::new()).await.unwrap();
    let each: Vec<i64> = alerts.each.iter().map(|a| a.escalation_id).collect();
    assert_eq!(each, [asked], "the approval on its own: {alerts:?}");
    assert_eq!(alerts.storm.map(|s| s.count), Some(7));
}

/// What a desktop route sends in the digest waits for the digest period to end: then one
/// digest tells it, once; a desktop starting later counts it told.
async fn desktop_digest(url: &str) {
    // A minute into a digest period by the routes' clock (periods count from the epoch).
    let began = SendPolicy::default().digest_period_began(chrono::Utc::now());
    let clock = NotifyClock::starting_at(began + chrono::Duration::minutes(1));
    let store = StoreHandle::open_at(&StoreLocation::parse(url).unwrap(), 2).unwrap();
    let engine = Engine::new(
        store,
        Arc::new(MemoryTokens::new(None)),
        EngineConfig {
            notify_clock: clock.clone(),
            ..EngineConfig::default()
        },
    );
    let mut told = HashSet::new();
    // No desktop route: no digest.
    let first = item(
        &engine,
        "d1",
        FindingKind::DivergentClaims,
        Severity::Warning,
    )
    .await;
    assert_eq!(engine.desktop_digest(&mut told).await.unwrap(), None);
    add_desktop_route(&engine).await;
    // Opened in this period (by the machine's clock, a minute before the routes'): not due.
    assert_eq!(engine.desktop_digest(&mut told).await.unwrap(), None);
    assert!(told.is_empty());
    // The period over: one digest, with the warning; then nothing until something new.
    clock.advance(chrono::Duration::minutes(30));
    let digest = engine
        .desktop_digest(&mut told)
        .await
        .unwrap()
        .expect("the digest");
    assert_eq!(digest.items, [first]);
    assert_eq!(digest.summary, "Baton: 1 new item since the last digest");
    told.extend(digest.items.iter().copied());
    assert_eq!(engine.desktop_digest(&mut told).await.unwrap(), None);
    // A desktop starting now: what was due at this period's start counts as told.
    assert_eq!(
        engine.desktop_digest_told().await.unwrap(),
        HashSet::from([first])
    );
    // Settled: forgotten.
    engine
        .write(move |s| {
            s.decide_escalation(
                first,
                &baton_core::escalations::EscalationAction::Dismiss,
                Some("seen"),
                "ana",
                chrono::Utc::now(),
            )
        })
        .await
        .unwrap();
    assert_eq!(engine.desktop_digest(&mut told).await.unwrap(), None);
    assert!(told.is_empty(), "{told:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desktop_digest_tells_what_waited_once_on_both_stores() {
    let dir = tempfile::tempdir().unwrap();
    for (name, url) in stores(&dir) {
        eprintln!("store: {name}");
        desktop_digest(&url).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storm_is_one_desktop_notification_on_both_stores() {
    let dir = tempfile::tempdir().unwrap();
    for (name, url) in stores(&dir) {
        eprintln!("store: {name}");
        desktop_storm(&url).await;
    }
}

async fn desktop_settings(url: &str) {
    let engine = engine_on(url);
    let critical = item(
        &engine,
        "db",
        FindingKind::WriteCollision,
        Severity::Critical,
    )
    .await;
    let warning = item(
        &engine,
        "facts",
        FindingKind::DivergentClaims,
        Severity::Warning,
    )
    .await;
    let both = [critical, warning];

    // No desktop route: the urgent items; any open one about to lapse.
    assert_eq!(told(&engine, &both, &[]).await, [critical]);
    assert_eq!(told(&engine, &[], &[warning]).await, [warning]);

    // A desktop route with the defaults: the same (warnings wait for the digest).
    add_desktop_route(&engine).await;
    assert_eq!(told(&engine, &both, &[]).await, [critical]);

    // Critical items never, warnings at once: as the route says.
    let mut policy = engine.routes().await.unwrap()[0].policy.clone();
    policy.critical = "never".into();
    policy.warnings = "now".into();
    engine
        .set_route_policy("desk".into(), policy.clone())
        .await
        .unwrap();
    assert_eq!(told(&engine, &both, &[]).await, [warning]);
    assert_eq!(told(&engine, &[], &both).await, [warning]);

    // Quiet hours now, critical items held too: nothing pops up.
    let local = chrono::Local::now();
    let hour = |h: chrono::Duration| (local + h).format("%H:%M").to_string();
    policy.quiet_hours = Some(format!(
        "{}-{}",
        hour(-chrono::Duration::hours(1)),
        hour(chrono::Duration::hours(1))
    ));
    policy.critical_in_quiet = false;
    policy.critical = "now".into();
    engine
        .set_route_policy("desk".into(), policy)
        .await
        .unwrap();
    assert!(told(&engine, &both, &both).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_desktop_route_shows_what_its_settings_send_on_both_stores() {
    let dir = tempfile::tempdir().unwrap();
    for (name, url) in stores(&dir) {
        eprintln!("store: {name}");
        desktop_settings(&url).await;
    }
}
