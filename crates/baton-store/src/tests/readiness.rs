//! Readiness from a generated history: 30 days of polls, requests decided, tasks ended.

use baton_core::escalations::EscalationAction;
use baton_core::protocol::{Event, EventKind};
use baton_core::readiness::ReadinessThresholds;
use baton_core::task::TaskState;
use chrono::{Duration, TimeZone, Utc};

use super::support::*;

#[test]
fn readiness_is_computed_from_thirty_days_of_history() {
    let (mut store, a) = store_with_agent();
    let now = Utc.with_ymd_and_hms(2026, 11, 24, 15, 0, 0).unwrap();
    // 30 days of polls; day 12 back was a bad day (half the polls failed).
    for back in 0..30 {
        let day = now - Duration::days(back);
        let failed = if back == 12 { 500 } else { 2 };
        store.count_polls(a, day, 500, failed).unwrap();
    }
    // Requests for approval: 10, decided 8 approve as asked, 1 approve with an edit, 1 reject.
    for i in 0..10u64 {
        let at = now - Duration::days(3) + Duration::minutes(i as i64);
        let asks = Event {
            task_id: Some(format!("t{i}")),
            message: Some("Publish?".into()),
            ..Event::new(i + 1, at, EventKind::NeedsApproval)
        };
        let mut t = task(&format!("t{i}"), TaskState::InputRequired);
        t.state_since = Some(at);
        store
            .ingest(a, &doc(vec![t], vec![asks], &format!("c{i}")), at)
            .unwrap();
    }
    let found = baton_core::detect::Finding::about(
        baton_core::detect::FindingKind::NeedsApproval,
        baton_core::detect::Severity::Warning,
        vec![a],
        "asks",
        String::new(),
    );
    let mut ids = Vec::new();
    for i in 0..10u64 {
        let f = baton_core::detect::Finding {
            evidence: vec![baton_core::detect::EvidenceRef {
                agent_id: a,
                seq: i + 1,
            }],
            dedupe_key: format!("needs_approval:{a}:{}", i + 1),
            ..found.clone()
        };
        let recorded = store
            .record_findings(&[f], now - Duration::days(3))
            .unwrap();
        ids.extend(recorded.escalations);
    }
    assert_eq!(ids.len(), 10);
    let decide_at = now - Duration::days(3) + Duration::hours(1);
    for (i, id) in ids.iter().enumerate() {
        let (action, note) = match i {
            0..=7 => (EscalationAction::Approve, None),
            8 => (
                EscalationAction::Approve,
                Some("Publish it on Monday instead"),
            ),
            _ => (EscalationAction::Reject, Some("not this one")),
        };
        store
            .decide_escalation(*id, &action, note, "ana", decide_at)
            .unwrap();
    }
    // Tasks ended: 9 completed, 1 failed (10 %, at the bar).
    let ended: Vec<_> = (0..10)
        .map(|i| {
            let mut t = task(
                &format!("t{i}"),
                if i == 0 {
                    TaskState::Failed
                } else {
                    TaskState::Completed
                },
            );
            t.state_since = Some(now - Duration::days(1));
            t
        })
        .collect();
    store
        .ingest(a, &doc(ended, vec![], "cz"), now - Duration::days(1))
        .unwrap();

    let r = &store.readiness(now).unwrap()[0];
    assert_eq!(r.agent_id, a);
    assert_eq!(r.stable_days, 12, "day 12 broke the streak");
    assert_eq!(r.decided, 10);
    assert_eq!(r.approval_percent, Some(80.0));
    assert_eq!(r.failure_percent, Some(10.0));
    assert_eq!(r.open_conflicts, 0);
    assert_eq!(r.missing, ["12 of 28 days", "approval 80 %"]);
    assert!(!r.ready);

    // The user's thresholds: two weeks... still 12 days; ten days and 75 %: ready.
    let lenient = ReadinessThresholds {
        days: 10,
        approval_percent: 75,
        ..ReadinessThresholds::default()
    };
    assert!(store.set_readiness_thresholds(&lenient, now).unwrap());
    assert!(
        !store.set_readiness_thresholds(&lenient, now).unwrap(),
        "unchanged"
    );
    let r = &store.readiness(now).unwrap()[0];
    assert!(r.ready, "{r:?}");
    assert_eq!(r.summary, "ready");
    let bad = ReadinessThresholds {
        approval_percent: 120,
        ..lenient
    };
    let err = store.set_readiness_thresholds(&bad, now).unwrap_err();
    assert_eq!(
        (err.code(), err.field()),
        ("invalid_setting", Some("approval_percent"))
    );
}

#[test]
fn polls_are_counted_per_day_and_a_removed_agent_counts_nothing() {
    let (mut store, a) = store_with_agent();
    let now = Utc.with_ymd_and_hms(2026, 11, 24, 23, 59, 0).unwrap();
    store.count_polls(a, now, 3, 1).unwrap();
    store.count_polls(a, now, 2, 0).unwrap();
    store
        .count_polls(a, now + Duration::minutes(2), 1, 0)
        .unwrap();
    assert_eq!(rows(&store, "agent_days"), 2);
    let r = &store.readiness(now).unwrap()[0];
    assert_eq!(r.poll_health_percent, Some(6.0 * 100.0 / 7.0));
    store.remove_agent(a).unwrap();
    store.count_polls(a, now, 1, 0).unwrap();
    assert_eq!(rows(&store, "agent_days"), 0);
}
