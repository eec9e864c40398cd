//! Live everywhere (issue 33 part 2): an engine sees what other processes write, through the
//! store's change feed, within a second: a hook call's collision, a decision made from
//! another process, an agent added by another. With watching off the engine polls nothing
//! and still decides. Each wait prints how long it took; the bound is a few seconds, so a
//! loaded machine does not flake while a view that waited for a refresh of seconds would fail.

use std::time::{Duration, Instant};

use baton_core::escalations::EscalationAction;
use baton_core::views::ChangeEvent;
use tokio::sync::broadcast;

use crate::support::hooks::{collision_from_another_process, engine_on};
use crate::support::{doc, draft, test_location, Fixture, Mode};
use baton_store::Store;

/// Within this, or the change was not live.
const LIVE: Duration = Duration::from_millis(2_500);

/// Waits for the first event `pick` takes; how long it took since `from`.
async fn seen<T>(
    changes: &mut broadcast::Receiver<ChangeEvent>,
    from: Instant,
    what: &str,
    mut pick: impl FnMut(ChangeEvent) -> Option<T>,
) -> (T, Duration) {
    let found = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            if let Some(found) = pick(changes.recv().await.unwrap()) {
                return found;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{what}: not seen within 20 s"));
    let took = from.elapsed();
    println!("{what}: seen after {} ms", took.as_millis());
    assert!(
        took < LIVE,
        "{what}: seen after {took:?}, not within {LIVE:?}"
    );
    (found, took)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_sees_a_hook_calls_item_and_another_processs_decision_within_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let path = test_location(dir.path());
    let (viewer, mut changes) = engine_on(&path, false).await;

    // A hook call of another process files a collision.
    let wrote = Instant::now();
    collision_from_another_process(&path);
    let (opened, _) = seen(&mut changes, wrote, "a hook call's item", |e| match e {
        ChangeEvent::Escalations { opened, .. } if !opened.is_empty() => Some(opened),
        _ => None,
    })
    .await;
    let item = opened[0];

    // Another process (`baton decide`) decides it.
    let decided = Instant::now();
    Store::open_at(&path)
        .unwrap()
        .decide_escalation(
            item,
            &EscalationAction::Approve,
            None,
            "ana",
            chrono::Utc::now(),
        )
        .unwrap();
    seen(
        &mut changes,
        decided,
        "another process's decision",
        |e| match e {
            ChangeEvent::Escalations { changed, .. } if changed.contains(&item) => Some(()),
            _ => None,
        },
    )
    .await;

    // Another process adds an agent: the viewer hears of it and does not poll it.
    let added = Instant::now();
    Store::open_at(&path)
        .unwrap()
        .add_agent(&draft("Editor", "http://127.0.0.1:9/", 1_000, 500))
        .unwrap();
    seen(&mut changes, added, "an agent added elsewhere", |e| {
        (e == ChangeEvent::AgentsChanged).then_some(())
    })
    .await;
    assert!(viewer.polling().is_empty(), "a viewer polls nothing");
    viewer.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewers_decision_reaches_another_engine_and_is_told_once_to_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let path = test_location(dir.path());
    // Another person's app (a viewer too: no relay whose delivery would change the item again).
    let (other, mut heard) = engine_on(&path, false).await;
    let (viewer, mut own) = engine_on(&path, false).await;
    collision_from_another_process(&path);
    let (opened, _) = seen(
        &mut own,
        Instant::now(),
        "the item, at the viewer",
        |e| match e {
            ChangeEvent::Escalations { opened, .. } if !opened.is_empty() => Some(opened),
            _ => None,
        },
    )
    .await;
    let item = opened[0];

    // The viewer decides; the other app hears it.
    let decided = Instant::now();
    viewer
        .decide_escalation(item, EscalationAction::Approve, None, "ana".into())
        .await
        .unwrap();
    seen(
        &mut heard,
        decided,
        "the viewer's decision, at another app",
        |e| match e {
            ChangeEvent::Escalations { changed, .. } if changed.contains(&item) => Some(()),
            _ => None,
        },
    )
    .await;
    // The viewer told its own decision at once, and does not tell it again from the feed.
    let mut told = 0;
    let until = tokio::time::Instant::now() + Duration::from_millis(1_500);
    while let Ok(Ok(event)) = tokio::time::timeout_at(until, own.recv()).await {
        if matches!(&event, ChangeEvent::Escalations { changed, .. } if changed.contains(&item)) {
            told += 1;
        }
    }
    assert_eq!(told, 1, "the viewer's own decision told {told} times");
    viewer.shutdown().await;
    other.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewers_decision_is_delivered_by_the_watcher_at_once() {
    let agent = Fixture::start(Mode::Body(doc("publisher", &[], 0))).await;
    let dir = tempfile::tempdir().unwrap();
    let path = test_location(dir.path());
    let item = {
        let mut store = Store::open_at(&path).unwrap();
        let id = store
            .add_agent(&draft("Publisher", &agent.base_url, 1_000, 800))
            .unwrap()
            .id;
        let ask = baton_core::detect::Finding::about(
            baton_core::detect::FindingKind::NeedsApproval,
            baton_core::detect::Severity::Warning,
            vec![id],
            "Publisher asks: may I send the newsletter?",
            "ask",
        );
        store
            .record_findings(&[ask], chrono::Utc::now())
            .unwrap()
            .escalations[0]
    };
    let (watcher, _) = engine_on(&path, true).await;
    let (viewer, _) = engine_on(&path, false).await;
    // The watcher's relay has looked at the empty outbox and sleeps.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let decided = Instant::now();
    viewer
        .decide_escalation(item, EscalationAction::Approve, None, "ana".into())
        .await
        .unwrap();
    let delivered = tokio::time::timeout(Duration::from_secs(40), async {
        loop {
            if agent.hits().iter().any(|h| h.path.ends_with("/decisions")) {
                return decided.elapsed();
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the decision was never delivered");
    println!(
        "the viewer's decision: delivered by the watcher after {} ms",
        delivered.as_millis()
    );
    assert!(
        delivered < LIVE,
        "delivered after {delivered:?}, not within {LIVE:?}"
    );
    viewer.shutdown().await;
    watcher.shutdown().await;
}
