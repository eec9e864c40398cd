use chrono::{Duration, TimeZone};

use super::*;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap()
}

/// `n` days of polls ending `back` days before today, each `ok`/`failed`.
fn days(n: i64, back: i64, ok: u64, failed: u64) -> Vec<PollDay> {
    (0..n)
        .map(|i| PollDay {
            day: (now() - Duration::days(back + i)).date_naive(),
            ok,
            failed,
        })
        .collect()
}

#[test]
fn four_clean_weeks_are_ready() {
    let facts = ReadinessFacts {
        days: days(28, 0, 1000, 3),
        decided: 20,
        approved_as_asked: 18,
        completed: 50,
        failed: 2,
        ..ReadinessFacts::default()
    };
    let r = evaluate(7, &facts, &ReadinessThresholds::default(), now());
    assert!(r.ready, "{r:?}");
    assert_eq!(r.stable_days, 28);
    assert_eq!(r.summary, "ready");
    assert_eq!(r.approval_percent, Some(90.0));
}

#[test]
fn what_is_missing_is_said_in_a_phrase_each() {
    let mut polls = days(19, 0, 100, 0);
    // A bad day before the 19 breaks the streak; the days before it do not count.
    polls.extend(days(1, 19, 50, 50));
    polls.extend(days(8, 20, 100, 0));
    let facts = ReadinessFacts {
        days: polls,
        open_conflicts: 2,
        decided: 21,
        approved_as_asked: 17,
        completed: 8,
        failed: 2,
    };
    let r = evaluate(7, &facts, &ReadinessThresholds::default(), now());
    assert!(!r.ready);
    assert_eq!(r.stable_days, 19);
    assert_eq!(
        r.missing,
        [
            "19 of 28 days",
            "2 unresolved conflicts",
            "approval 80 %",
            "20 % of tasks failed"
        ]
    );
    assert_eq!(r.summary, r.missing.join("; "));
}

#[test]
fn today_without_a_poll_yet_does_not_break_the_streak() {
    let facts = ReadinessFacts {
        days: days(28, 1, 10, 0),
        ..ReadinessFacts::default()
    };
    let r = evaluate(1, &facts, &ReadinessThresholds::default(), now());
    assert_eq!(r.stable_days, 28);
    assert!(r.ready, "nothing decided, nothing ended: no bar to miss");
    assert_eq!(r.approval_percent, None);
    assert_eq!(r.failure_percent, None);
    // A day with no poll at all is a gap.
    let mut gap = days(10, 0, 10, 0);
    gap.extend(days(10, 11, 10, 0));
    let r = evaluate(
        1,
        &ReadinessFacts {
            days: gap,
            ..ReadinessFacts::default()
        },
        &ReadinessThresholds::default(),
        now(),
    );
    assert_eq!(r.stable_days, 10);
}

#[test]
fn thresholds_are_the_users_and_are_checked() {
    let facts = ReadinessFacts {
        days: days(7, 0, 90, 10),
        ..ReadinessFacts::default()
    };
    let strict = ReadinessThresholds {
        days: 7,
        poll_health_percent: 95,
        ..ReadinessThresholds::default()
    };
    assert_eq!(evaluate(1, &facts, &strict, now()).stable_days, 0);
    let lenient = ReadinessThresholds {
        poll_health_percent: 90,
        ..strict
    };
    assert!(evaluate(1, &facts, &lenient, now()).ready);
    assert!(ReadinessThresholds { days: 0, ..strict }.check().is_err());
    assert_eq!(
        ReadinessThresholds {
            approval_percent: 101,
            ..strict
        }
        .check()
        .unwrap_err()
        .0,
        "approval_percent"
    );
    assert!(ReadinessThresholds::default().check().is_ok());
}
