//! What a route sends, and how often (issue 60), end to end through the real engine and the
//! test ntfy server, on SQLite and on PostgreSQL: a storm of new items is one message, updated
//! as it grows; warnings go as one digest a period later, and none when nothing is new; quiet
//! hours hold a warning and let a critical item through, and what they held goes as the digest
//! after them; a route that was down catches up in the digest. Time is the routes' clock, moved
//! on by the test ([`NotifyClock::advance`]): a 30-minute digest runs at once.

use std::time::Duration;

use baton_core::agent::AgentDraft;
use baton_core::detect::{Finding, FindingKind, Severity};
use baton_core::notify::policy::{QuietHours, SendPolicy};
use baton_engine::notify::clock::NotifyClock;
use baton_engine::{Engine, EngineConfig};
use baton_tests::engine::wait_for;
use baton_tests::ntfy_server::NtfyServer;
use serde_json::Value;

use crate::notify_ntfy::{engine_with_route_as, messages_of, stores, TOKEN};

/// The engine with route "phone" sending by `policy`, on the routes' clock `clock`.
async fn engine_on(
    url: &str,
    server: &NtfyServer,
    clock: &NotifyClock,
    policy: SendPolicy,
) -> Engine {
    let config = EngineConfig {
        notify_clock: clock.clone(),
        ..EngineConfig::default()
    };
    let (engine, _) = engine_with_route_as(url, server, config).await;
    engine
        .write(move |s| s.set_route_policy("phone", policy, chrono::Utc::now()))
        .await
        .unwrap();
    engine
}

/// The routes' clock, a minute into a digest period: no period ends by itself while a test
/// waits (periods count from the epoch; a test that began at 06:59:50 by the machine's clock
/// saw the digest go before it moved the clock). Items are opened by this clock too.
fn clock_a_minute_into_a_period() -> NotifyClock {
    let began = SendPolicy::default().digest_period_began(chrono::Utc::now());
    NotifyClock::starting_at(began + chrono::Duration::minutes(1))
}

static NEXT_AGENT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Opens `n` items of `kind` and `severity`, each of its own cause (an agent each), at once,
/// at `clock`'s now.
async fn open_items(
    engine: &Engine,
    clock: &NotifyClock,
    kind: FindingKind,
    severity: Severity,
    n: usize,
) -> Vec<i64> {
    let tag = kind.as_str();
    let findings = engine
        .write(move |s| {
            let mut findings = Vec::new();
            for i in 0..n {
                let n = NEXT_AGENT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let name = format!("{tag} agent {i}-{n}");
                let agent = s
                    .add_agent(&AgentDraft::new(&name, format!("http://127.0.0.1:9/a{n}")))?
                    .id;
                findings.push(Finding {
                    kind,
                    severity,
                    agents: vec![agent],
                    resource: Some(format!("svc{agent}://records/{i}")),
                    summary: format!("{name}: {tag}"),
                    evidence: vec![],
                    dedupe_key: format!("{tag}:{agent}"),
                    continues: None,
                });
            }
            Ok(findings)
        })
        .await
        .unwrap();
    engine
        .write({
            let at = clock.now();
            move |s| s.record_findings(&findings, at)
        })
        .await
        .unwrap()
        .escalations
}

/// Waits until the routes' loop ran `n` whole rounds from now (what they sent is then sent).
async fn rounds(engine: &Engine, n: u64) {
    let from = engine.notify_stats().rounds;
    wait_for("the routes' rounds", Duration::from_secs(30), || {
        (engine.notify_stats().rounds >= from + n).then_some(())
    })
    .await;
}

fn digests(server: &NtfyServer) -> Vec<Value> {
    messages_of(server, "digest")
}

fn text(m: &Value, field: &str) -> String {
    m[field].as_str().unwrap_or_default().to_owned()
}

async fn a_storm_is_one_message(url: &str) {
    let server = NtfyServer::start(Some(TOKEN)).await;
    let clock = clock_a_minute_into_a_period();
    let engine = engine_on(url, &server, &clock, SendPolicy::default()).await;
    open_items(
        &engine,
        &clock,
        FindingKind::OwnershipViolation,
        Severity::Critical,
        50,
    )
    .await;
    let storm = wait_for("the storm's message", Duration::from_secs(60), || {
        messages_of(&server, "storm").into_iter().next()
    })
    .await;
    assert_eq!(text(&storm, "title"), "50 new items in 10 min", "{storm}");
    assert!(storm["actions"].as_array().unwrap().is_empty(), "{storm}");
    assert!(
        text(&storm, "message").starts_with("50 ownership violation"),
        "{storm}"
    );
    // It grows: the same message, replaced.
    open_items(
        &engine,
        &clock,
        FindingKind::OwnershipViolation,
        Severity::Critical,
        4,
    )
    .await;
    let grown = wait_for("the storm grown", Duration::from_secs(60), || {
        messages_of(&server, "storm")
            .into_iter()
            .find(|m| text(m, "title") == "54 new items in 10 min")
    })
    .await;
    assert_eq!(grown["sequence_id"], storm["sequence_id"]);
    rounds(&engine, 2).await;
    let all = server.messages("baton-out");
    assert_eq!(all.len(), 2, "one message, updated once: {all:#?}");
    assert!(messages_of(&server, "ownership_violation").is_empty());
    let stats = engine.notify_stats();
    assert_eq!(
        (stats.storms, stats.sent, stats.updated),
        (1, 0, 1),
        "{stats:?}"
    );
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_items_in_a_storm_are_one_message_on_both_stores() {
    let dir = tempfile::tempdir().unwrap();
    for (engine, url) in stores(&dir) {
        eprintln!("store: {engine}");
        a_storm_is_one_message(&url).await;
    }
}

async fn warnings_go_as_a_digest(url: &str) {
    let server = NtfyServer::start(Some(TOKEN)).await;
    let clock = clock_a_minute_into_a_period();
    let engine = engine_on(url, &server, &clock, SendPolicy::default()).await;
    open_items(
        &engine,
        &clock,
        FindingKind::WriteCollision,
        Severity::Warning,
        3,
    )
    .await;
    // Notes are never sent.
    open_items(&engine, &clock, FindingKind::Sequencing, Severity::Info, 1).await;
    rounds(&engine, 2).await;
    assert!(server.messages("baton-out").is_empty(), "warnings wait");
    clock.advance(chrono::Duration::minutes(30));
    let digest = wait_for("the digest", Duration::from_secs(30), || {
        digests(&server).into_iter().next()
    })
    .await;
    assert_eq!(
        text(&digest, "title"),
        "Baton: 3 new items since the last digest"
    );
    assert_eq!(text(&digest, "message").lines().count(), 3, "{digest}");
    assert!(digest["actions"].as_array().unwrap().is_empty());
    // Nothing new: no digest, however long it waits.
    clock.advance(chrono::Duration::minutes(30));
    rounds(&engine, 2).await;
    clock.advance(chrono::Duration::minutes(30));
    rounds(&engine, 2).await;
    assert_eq!(server.messages("baton-out").len(), 1);
    // One new warning: the next digest tells it alone, as a message of its own.
    open_items(
        &engine,
        &clock,
        FindingKind::WriteCollision,
        Severity::Warning,
        1,
    )
    .await;
    clock.advance(chrono::Duration::minutes(30));
    let next = wait_for("the next digest", Duration::from_secs(30), || {
        digests(&server).into_iter().nth(1)
    })
    .await;
    assert_eq!(
        text(&next, "title"),
        "Baton: 1 new item since the last digest"
    );
    assert_ne!(next["sequence_id"], digest["sequence_id"]);
    rounds(&engine, 2).await;
    assert_eq!(server.messages("baton-out").len(), 2);
    assert_eq!(engine.notify_stats().digests, 2);
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warnings_go_as_one_digest_and_none_when_nothing_is_new_on_both_stores() {
    let dir = tempfile::tempdir().unwrap();
    for (engine, url) in stores(&dir) {
        eprintln!("store: {engine}");
        warnings_go_as_a_digest(&url).await;
    }
}

async fn quiet_hours_hold_a_warning(url: &str) {
    let server = NtfyServer::start(Some(TOKEN)).await;
    let clock = clock_a_minute_into_a_period();
    // Quiet from an hour ago to an hour from now, in local time.
    let local = NotifyClock::local_time(clock.now());
    let hour = chrono::Duration::hours(1);
    let quiet = format!(
        "{}-{}",
        (local - hour).format("%H:%M"),
        (local + hour).format("%H:%M")
    );
    let policy = SendPolicy {
        quiet: Some(QuietHours::parse(&quiet).unwrap()),
        ..SendPolicy::default()
    };
    let engine = engine_on(url, &server, &clock, policy).await;
    // A stalled agent (a warning, at once by default) and a critical item.
    open_items(&engine, &clock, FindingKind::Stall, Severity::Warning, 1).await;
    open_items(
        &engine,
        &clock,
        FindingKind::OwnershipViolation,
        Severity::Critical,
        1,
    )
    .await;
    let critical = wait_for(
        "the critical item's message",
        Duration::from_secs(30),
        || {
            messages_of(&server, "ownership_violation")
                .into_iter()
                .next()
        },
    )
    .await;
    assert_eq!(critical["priority"], 5);
    rounds(&engine, 2).await;
    // Still quiet half an hour on: nothing else, not even a digest.
    clock.advance(chrono::Duration::minutes(30));
    rounds(&engine, 2).await;
    assert_eq!(server.messages("baton-out").len(), 1, "the warning is held");
    // Quiet hours over: what they held goes as the digest.
    clock.advance(chrono::Duration::minutes(45));
    let digest = wait_for(
        "the digest after quiet hours",
        Duration::from_secs(30),
        || digests(&server).into_iter().next(),
    )
    .await;
    assert_eq!(
        text(&digest, "title"),
        "Baton: 1 new item since the last digest"
    );
    assert!(text(&digest, "message").contains("(stall)"), "{digest}");
    assert!(
        messages_of(&server, "stall").is_empty(),
        "no message of its own"
    );
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quiet_hours_hold_a_warning_and_let_a_critical_item_through_on_both_stores() {
    let dir = tempfile::tempdir().unwrap();
    for (engine, url) in stores(&dir) {
        eprintln!("store: {engine}");
        quiet_hours_hold_a_warning(&url).await;
    }
}

async fn a_route_down_catches_up(url: &str) {
    let server = NtfyServer::start(Some(TOKEN)).await;
    let clock = clock_a_minute_into_a_period();
    let engine = engine_on(url, &server, &clock, SendPolicy::default()).await;
    server.set_down(true);
    open_items(
        &engine,
        &clock,
        FindingKind::OwnershipViolation,
        Severity::Critical,
        1,
    )
    .await;
    open_items(
        &engine,
        &clock,
        FindingKind::WriteCollision,
        Severity::Warning,
        2,
    )
    .await;
    wait_for("a failed send", Duration::from_secs(30), || {
        (engine.notify_stats().failed > 0).then_some(())
    })
    .await;
    // Half an hour down: the digest fails too.
    clock.advance(chrono::Duration::minutes(30));
    let failed = engine.notify_stats().failed;
    wait_for("the digest failed", Duration::from_secs(30), || {
        (engine.notify_stats().failed > failed).then_some(())
    })
    .await;
    let views = engine.routes().await.unwrap();
    assert!(views[0].failing > 0, "{views:?}");
    assert!(
        views[0].last_error.as_deref().unwrap().contains("503"),
        "{views:?}"
    );
    assert!(server.messages("baton-out").is_empty());
    // Up again: one digest tells all three, the critical item among them.
    server.set_down(false);
    clock.advance(chrono::Duration::minutes(10));
    let digest = wait_for("the digest caught up", Duration::from_secs(60), || {
        digests(&server).into_iter().next()
    })
    .await;
    assert_eq!(
        text(&digest, "title"),
        "Baton: 3 new items since the last digest"
    );
    assert!(
        text(&digest, "message").contains("(ownership violation)"),
        "{digest}"
    );
    rounds(&engine, 2).await;
    assert_eq!(server.messages("baton-out").len(), 1, "nothing told twice");
    let views = engine.routes().await.unwrap();
    assert_eq!((views[0].items_sent, views[0].failing), (3, 0), "{views:?}");
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_route_down_then_up_catches_up_in_the_digest_on_both_stores() {
    let dir = tempfile::tempdir().unwrap();
    for (engine, url) in stores(&dir) {
        eprintln!("store: {engine}");
        a_route_down_catches_up(&url).await;
    }
}

async fn one_cause_recurring_within_the_hour(url: &str) {
    let server = NtfyServer::start(Some(TOKEN)).await;
    let clock = clock_a_minute_into_a_period();
    let engine = engine_on(url, &server, &clock, SendPolicy::default()).await;
    let agents = engine
        .write(|s| {
            let a = s.add_agent(&AgentDraft::new("Editor", "http://127.0.0.1:9/e"))?;
            let b = s.add_agent(&AgentDraft::new("Publisher", "http://127.0.0.1:9/p"))?;
            Ok(vec![a.id, b.id])
        })
        .await
        .unwrap();
    // The same cause at 0, 20 and 45 minutes (by the routes' clock, which the store is told).
    for (n, minutes) in [0i64, 20, 25].into_iter().enumerate() {
        clock.advance(chrono::Duration::minutes(minutes));
        let finding = Finding {
            kind: FindingKind::OwnershipViolation,
            severity: Severity::Critical,
            agents: agents.clone(),
            resource: Some(format!("file:///drafts/brief-{n}.md")),
            summary: format!("Publisher wrote brief-{n} while Editor held it"),
            evidence: vec![],
            dedupe_key: format!("ownership_violation:{}:brief-{n}", agents[1]),
            continues: None,
        };
        let at = clock.now();
        engine
            .write(move |s| s.record_findings(&[finding], at))
            .await
            .unwrap();
        let seen = format!("seen {} times", n + 1);
        wait_for("the message told again", Duration::from_secs(30), || {
            let all = messages_of(&server, "ownership_violation");
            let last = all.last()?;
            (n == 0 || text(last, "message").contains(&seen)).then_some(())
        })
        .await;
    }
    rounds(&engine, 2).await;
    let all = server.messages("baton-out");
    assert_eq!(all.len(), 3, "{all:#?}");
    assert!(all
        .iter()
        .all(|m| m["sequence_id"] == all[0]["sequence_id"]));
    let stats = engine.notify_stats();
    assert_eq!(
        (stats.sent, stats.updated, stats.digests, stats.storms),
        (1, 2, 0, 0)
    );
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_cause_recurring_within_the_hour_keeps_one_message_on_both_stores() {
    let dir = tempfile::tempdir().unwrap();
    for (engine, url) in stores(&dir) {
        eprintln!("store: {engine}");
        one_cause_recurring_within_the_hour(&url).await;
    }
}
