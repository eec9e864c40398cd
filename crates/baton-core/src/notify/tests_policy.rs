//! What a route sends, and how often: classes, settings read and written, quiet hours, the
//! digest's periods, storms, and the batch messages.

use chrono::{Duration, NaiveTime};

use super::batch::*;
use super::policy::*;
use super::tests::{item, now};
use super::{RouteDraft, RouteError, RouteKind};
use crate::detect::{FindingKind, Severity};

fn at(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

#[test]
fn each_item_has_one_class() {
    let class = |k, s| ItemClass::of(&item(k, s));
    assert_eq!(
        class(FindingKind::NeedsApproval, Severity::Warning),
        ItemClass::Approvals
    );
    assert_eq!(
        class(FindingKind::UsageWindow, Severity::Critical),
        ItemClass::Limits
    );
    assert_eq!(
        class(FindingKind::Deadlock, Severity::Critical),
        ItemClass::Critical
    );
    assert_eq!(
        class(FindingKind::Stall, Severity::Warning),
        ItemClass::Silent
    );
    assert_eq!(
        class(FindingKind::Unreachable, Severity::Warning),
        ItemClass::Silent
    );
    assert_eq!(
        class(FindingKind::Unreachable, Severity::Critical),
        ItemClass::Critical
    );
    assert_eq!(
        class(FindingKind::WriteCollision, Severity::Warning),
        ItemClass::Warnings
    );
    assert_eq!(
        class(FindingKind::Sequencing, Severity::Info),
        ItemClass::Notes
    );
}

#[test]
fn by_default_at_once_in_a_digest_or_never() {
    let policy = SendPolicy::default();
    let plan = |k, s| policy.plan(&item(k, s), at(12, 0));
    assert_eq!(
        plan(FindingKind::NeedsApproval, Severity::Critical),
        Plan::AtOnce
    );
    assert_eq!(
        plan(FindingKind::UsageWindow, Severity::Warning),
        Plan::AtOnce
    );
    assert_eq!(
        plan(FindingKind::Deadlock, Severity::Critical),
        Plan::AtOnce
    );
    assert_eq!(plan(FindingKind::Stall, Severity::Warning), Plan::AtOnce);
    assert_eq!(
        plan(FindingKind::WriteCollision, Severity::Warning),
        Plan::Digest
    );
    assert_eq!(plan(FindingKind::Sequencing, Severity::Info), Plan::Skip);
    assert_eq!(policy.digest_minutes, 30);
}

#[test]
fn sends_are_read_and_written() {
    let mut sends = Sends::default();
    sends.apply("warnings=now, notes=digest").unwrap();
    assert_eq!(sends.warnings, Delivery::Now);
    assert_eq!(sends.notes, Delivery::Digest);
    assert_eq!(sends.approvals, Delivery::Now);
    assert_eq!(Sends::parse(&sends.to_text()).unwrap(), sends);
    assert_eq!(
        Sends::default().to_text(),
        "approvals=now,critical=now,limits=now,silent=now,warnings=digest,notes=never"
    );
    for bad in ["warnings", "warnings=soon", "alarms=now", "=now"] {
        assert_eq!(
            Sends::parse(bad),
            Err(PolicyError::Sends(bad.to_owned())),
            "{bad}"
        );
    }
}

#[test]
fn quiet_hours_across_midnight_and_within_a_day() {
    let night = QuietHours::parse("22:00-07:00").unwrap();
    assert!(night.contains(at(23, 30)) && night.contains(at(0, 0)) && night.contains(at(6, 59)));
    assert!(!night.contains(at(7, 0)) && !night.contains(at(12, 0)) && !night.contains(at(21, 59)));
    let lunch = QuietHours::parse(" 12:00 - 13:30 ").unwrap();
    assert!(lunch.contains(at(12, 0)) && !lunch.contains(at(13, 30)));
    assert_eq!(lunch.to_string(), "12:00-13:30");
    for bad in ["22:00", "25:00-07:00", "07:00-07:00", "late-early", ""] {
        assert!(QuietHours::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn quiet_hours_hold_all_but_critical() {
    let policy = SendPolicy {
        quiet: Some(QuietHours::parse("22:00-07:00").unwrap()),
        ..SendPolicy::default()
    };
    let stall = item(FindingKind::Stall, Severity::Warning);
    let deadlock = item(FindingKind::Deadlock, Severity::Critical);
    assert_eq!(policy.plan(&stall, at(23, 0)), Plan::Digest);
    assert_eq!(policy.plan(&stall, at(8, 0)), Plan::AtOnce);
    assert_eq!(policy.plan(&deadlock, at(23, 0)), Plan::AtOnce);
    let strict = SendPolicy {
        critical_in_quiet: false,
        ..policy
    };
    assert_eq!(strict.plan(&deadlock, at(23, 0)), Plan::Digest);
    // No digest in quiet hours; after them, what they held goes at once.
    let opened = now();
    assert!(!policy.digest_due(&[(opened, true)], now(), at(23, 30)));
    assert!(policy.digest_due(&[(opened, true)], now(), at(7, 0)));
}

#[test]
fn a_digest_goes_once_a_period_began_after_an_item_waited() {
    let policy = SendPolicy::default();
    // 12:00 UTC begins a 30-minute period: an item opened in it waits for the next.
    let opened = now() + Duration::minutes(1);
    assert!(!policy.digest_due(&[(opened, false)], opened, at(12, 1)));
    let later = now() + Duration::minutes(29);
    assert!(!policy.digest_due(&[(opened, false)], later, at(12, 29)));
    let next = now() + Duration::minutes(30);
    assert!(policy.digest_due(&[(opened, false)], next, at(12, 30)));
    assert!(!policy.digest_due(&[], next, at(12, 30)));
    assert_eq!(policy.digest_period(next), policy.digest_period(later) + 1);
}

#[test]
fn a_storm_is_more_than_its_threshold() {
    let policy = SendPolicy::default();
    assert!(!policy.is_storm(5));
    assert!(policy.is_storm(6));
    let off = SendPolicy {
        storm_items: 0,
        ..policy
    };
    assert!(!off.is_storm(500));
}

#[test]
fn a_route_with_bad_sending_settings_is_refused() {
    let mut draft = RouteDraft::new("desk", RouteKind::Desktop, "ana");
    draft.policy.digest_minutes = 0;
    assert_eq!(
        draft.check(),
        Err(RouteError::Policy(PolicyError::DigestMinutes))
    );
    draft.policy.digest_minutes = 24 * 60 + 1;
    assert!(draft.check().is_err());
    draft.policy.digest_minutes = 60;
    draft.policy.storm_items = 1_001;
    assert_eq!(
        draft.check(),
        Err(RouteError::Policy(PolicyError::StormItems))
    );
    draft.policy.storm_items = 0;
    assert!(draft.check().is_ok());
}

#[test]
fn batch_messages_count_and_carry_no_buttons() {
    let mut items = Vec::new();
    for n in 0..10 {
        let mut e = item(FindingKind::WriteCollision, Severity::Warning);
        e.id = n;
        e.title = format!("collision\n{n}");
        items.push(e);
    }
    items[9].kind = FindingKind::Stall;
    let refs: Vec<_> = items.iter().collect();
    let digest = digest_message("out", &refs, batch_sequence_id(BatchKind::Digest, 3, 9));
    assert_eq!(digest.title, "Baton: 10 new items since the last digest");
    assert_eq!(digest.message.lines().count(), DIGEST_LINES + 1);
    assert!(digest
        .message
        .starts_with("• collision 0 (write collision)"));
    assert!(digest.message.ends_with("and 2 more"));
    assert!(digest.actions.is_empty());
    assert_eq!(digest.sequence_id, "baton-digest-3-9");
    let storm = storm_message(
        "out",
        14,
        10,
        &refs,
        batch_sequence_id(BatchKind::Storm, 3, 1),
    );
    assert_eq!(storm.title, "14 new items in 10 min");
    assert!(
        storm.message.starts_with("9 write collision · 1 stall"),
        "{}",
        storm.message
    );
    assert!(storm.actions.is_empty());
    assert_eq!(storm.tags, ["baton", "storm"]);
}

#[test]
fn the_apps_settings_read_back_and_refuse_the_wrong_ones() {
    use super::view::RoutePolicy;
    let mut policy = SendPolicy {
        quiet: Some(QuietHours::parse("22:00-07:00").unwrap()),
        ..SendPolicy::default()
    };
    policy.sends.notes = Delivery::Digest;
    let shown = RoutePolicy::of(&policy);
    assert_eq!(
        (shown.notes.as_str(), shown.warnings.as_str()),
        ("digest", "digest")
    );
    assert_eq!(shown.quiet_hours.as_deref(), Some("22:00-07:00"));
    assert_eq!(shown.settings(), Ok(policy));
    let no_quiet = RoutePolicy {
        quiet_hours: Some(" ".into()),
        ..shown.clone()
    };
    assert_eq!(no_quiet.settings().unwrap().quiet, None);
    let bad = RoutePolicy {
        silent: "sometimes".into(),
        ..shown.clone()
    };
    assert!(
        matches!(bad.settings(), Err(RouteError::Policy(PolicyError::Sends(t))) if t == "silent=sometimes")
    );
    let late = RoutePolicy {
        quiet_hours: Some("22:00".into()),
        ..shown.clone()
    };
    assert!(matches!(
        late.settings(),
        Err(RouteError::Policy(PolicyError::Quiet(_)))
    ));
    let never = RoutePolicy {
        digest_minutes: 0,
        ..shown
    };
    assert!(never.settings().is_err());
}
