//! What a route sends and how often (issue 60): its sending settings kept and changed, and
//! its digest and storm messages claimed once across handles, updated only as a storm grows,
//! retried when they fail, and marking the items they told.

use baton_core::detect::{Finding, FindingKind, Severity};
use baton_core::notify::batch::BatchKind;
use baton_core::notify::policy::{Delivery, QuietHours, SendPolicy};
use baton_core::notify::{RouteDraft, RouteKind};
use chrono::Duration;

use super::support::*;
use crate::notify::batches::BatchOutcome;
use crate::notify::sent::Notice;
use crate::{Store, StoreError};

fn phone() -> RouteDraft {
    RouteDraft {
        server: Some("https://ntfy.example.org".into()),
        topic: Some("baton-out".into()),
        reply_topic: Some("baton-back".into()),
        ..RouteDraft::new("phone", RouteKind::Ntfy, "ana")
    }
}

/// `n` items of `n` causes (one agent each: findings of one cause would be one item).
fn warnings(store: &mut Store, n: usize) -> Vec<i64> {
    let findings: Vec<Finding> = (0..n)
        .map(|i| Finding {
            kind: FindingKind::WriteCollision,
            severity: Severity::Warning,
            agents: vec![store.add_agent(&draft(&format!("Agent {i}"))).unwrap().id],
            resource: Some(format!("svc{i}://records/{i}")),
            summary: format!("collision {i}"),
            evidence: vec![],
            dedupe_key: format!("w{i}"),
            continues: None,
        })
        .collect();
    store.record_findings(&findings, t(1)).unwrap().escalations
}

#[test]
fn a_routes_sending_settings_are_kept_and_changed() {
    let mut store = fresh_store();
    let mut draft = phone();
    draft.policy.sends.warnings = Delivery::Now;
    draft.policy.quiet = Some(QuietHours::parse("22:00-07:00").unwrap());
    draft.policy.critical_in_quiet = false;
    draft.policy.digest_minutes = 60;
    draft.policy.storm_items = 0;
    store.add_route(&draft, t(0)).unwrap();
    assert_eq!(store.route_named("phone").unwrap().route.draft, draft);
    let policy = SendPolicy::default();
    store.set_route_policy("phone", policy, t(1)).unwrap();
    assert_eq!(
        store.route_named("phone").unwrap().route.draft.policy,
        policy
    );
    let bad = SendPolicy {
        digest_minutes: 0,
        ..policy
    };
    assert!(matches!(
        store.set_route_policy("phone", bad, t(2)),
        Err(StoreError::InvalidRoute(_))
    ));
    assert!(matches!(
        store.set_route_policy("tablet", policy, t(2)),
        Err(StoreError::RouteNotFound(_))
    ));
}

#[test]
fn a_digest_is_claimed_once_and_marks_what_it_told() {
    let dir = tempfile::tempdir().unwrap();
    let location = shared_location(&dir);
    let mut first = Store::open_at(&location).unwrap();
    let items = warnings(&mut first, 3);
    let route = first.add_route(&phone(), t(0)).unwrap().id;
    let mut second = Store::open_at(&location).unwrap();
    let a = first
        .claim_batch(route, BatchKind::Digest, 7, 3, 1, 60_000, t(2))
        .unwrap()
        .expect("the first claims it");
    assert_eq!(a.sequence_id, format!("baton-digest-{route}-7"));
    let b = second
        .claim_batch(route, BatchKind::Digest, 7, 3, 2, 60_000, t(2))
        .unwrap();
    assert_eq!(b, None, "held by the first");
    // It fails: tried again once due, by whoever claims it then.
    let failed = BatchOutcome::Failed {
        error: "HTTP 503".into(),
        retry_at: t(60),
    };
    first.record_batch(&a, &failed, t(2)).unwrap();
    let early = second.claim_batch(route, BatchKind::Digest, 7, 3, 2, 60_000, t(30));
    assert_eq!(early.unwrap(), None, "not due yet");
    let retry = second
        .claim_batch(route, BatchKind::Digest, 7, 3, 2, 60_000, t(60))
        .unwrap()
        .expect("due again");
    assert_eq!(retry.attempts, 1);
    let sent = BatchOutcome::Sent {
        items: items.clone(),
        count: 3,
    };
    second.record_batch(&retry, &sent, t(61)).unwrap();
    // Sent once: never again, and its items are told (no message of their own, no settling).
    let again = first.claim_batch(route, BatchKind::Digest, 7, 4, 1, 60_000, t(90));
    assert_eq!(again.unwrap(), None);
    let rows = first.notices_sent(route).unwrap();
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| r.told() && r.batch_id == Some(a.id)));
    let open = Notice::Open { occurrences: 1 };
    let own = first.claim_notice(route, items[0], open, 1, 60_000, t(90));
    assert_eq!(own.unwrap(), None);
    assert!(first.notices_unsettled(route).unwrap().is_empty());
    let batches = first.batches_sent(route).unwrap();
    assert_eq!((batches[0].sends, batches[0].items), (1, 3));
    assert_eq!(batches[0].last_error, None);
}

#[test]
fn a_storm_is_sent_again_only_as_it_grows() {
    let mut store = fresh_store();
    let items = warnings(&mut store, 8);
    let route = store.add_route(&phone(), t(0)).unwrap().id;
    assert_eq!(store.open_storm(route, t(0)).unwrap(), None);
    let claim = store
        .claim_batch(route, BatchKind::Storm, 5, 6, 1, 60_000, t(10))
        .unwrap()
        .unwrap();
    let sent = BatchOutcome::Sent {
        items: items[..6].to_vec(),
        count: 6,
    };
    store.record_batch(&claim, &sent, t(10)).unwrap();
    let same = store.claim_batch(route, BatchKind::Storm, 5, 6, 1, 60_000, t(20));
    assert_eq!(same.unwrap(), None, "six told already");
    let grown = store
        .claim_batch(route, BatchKind::Storm, 5, 8, 1, 60_000, t(20))
        .unwrap()
        .expect("grown to eight");
    assert_eq!(
        (grown.sends, grown.sequence_id.clone()),
        (1, claim.sequence_id.clone())
    );
    let sent = BatchOutcome::Sent {
        items: items[6..].to_vec(),
        count: 8,
    };
    store.record_batch(&grown, &sent, t(20)).unwrap();
    let open = store
        .open_storm(route, t(20) - Duration::minutes(10))
        .unwrap();
    assert_eq!(open.map(|s| (s.key, s.items)), Some((5, 8)));
    assert_eq!(store.open_storm(route, t(21)).unwrap(), None, "quiet since");
    assert!(store.notices_sent(route).unwrap().iter().all(|r| r.told()));
}
