//! SLAs, actions and alerts.

use super::*;
use crate::rules::{Rule, RuleKind};

fn exception(pattern: &str, owner: &str, sla: Option<u64>) -> Rule {
    Rule {
        sla_seconds: sla,
        ..Rule::new(RuleKind::Exception, pattern, owner)
    }
}

#[test]
fn the_most_specific_exception_rule_sets_the_sla() {
    let rules = [
        exception("crm://invoices/**", "ana", Some(3600)),
        exception("crm://invoices/overdue/*", "ben", Some(600)),
        Rule::new(RuleKind::Data, "crm://invoices/**", "billing"),
    ];
    let (sla, who) = sla_for(
        Some("crm://invoices/overdue/7#status"),
        Severity::Critical,
        &rules,
    );
    assert_eq!((sla, who.as_deref()), (Duration::seconds(600), Some("ben")));
    let (sla, who) = sla_for(Some("crm://invoices/7"), Severity::Critical, &rules);
    assert_eq!((sla, who.as_deref()), (Duration::hours(1), Some("ana")));
}

#[test]
fn without_a_matching_rule_the_sla_is_the_severitys() {
    let rules = [exception("crm://contacts/**", "ana", None)];
    assert_eq!(
        sla_for(Some("mail://inbox/1"), Severity::Warning, &rules),
        (Duration::hours(24), None)
    );
    assert_eq!(
        sla_for(None, Severity::Critical, &rules),
        (Duration::hours(4), None)
    );
    assert_eq!(
        sla_for(None, Severity::Info, &rules),
        (Duration::days(3), None)
    );
    // A rule without its own SLA leaves the severity's, and names its owner.
    let (sla, who) = sla_for(Some("crm://contacts/x"), Severity::Critical, &rules);
    assert_eq!((sla, who.as_deref()), (Duration::hours(4), Some("ana")));
    // A rule's own SLA holds whatever the severity.
    let rules = [exception("crm://contacts/**", "ana", Some(600))];
    let (sla, _) = sla_for(Some("crm://contacts/x"), Severity::Info, &rules);
    assert_eq!(sla, Duration::minutes(10));
}

#[test]
fn actions_check_their_notes() {
    assert_eq!(
        EscalationAction::Dismiss.check(Some("  ")),
        Err(DecideError::ReasonRequired)
    );
    assert_eq!(
        EscalationAction::Dismiss.check(Some(" test data ")),
        Ok(Some("test data".into()))
    );
    assert_eq!(EscalationAction::Approve.check(None), Ok(None));
    let long = "x".repeat(MAX_NOTE_LEN + 1);
    assert_eq!(
        EscalationAction::Approve.check(Some(&long)),
        Err(DecideError::NoteTooLong)
    );
    for minutes in [0, MAX_SNOOZE_MINUTES + 1] {
        assert_eq!(
            EscalationAction::Snooze { minutes }.check(None),
            Err(DecideError::SnoozeOutOfRange)
        );
    }
    assert!(EscalationAction::Snooze { minutes: 60 }.check(None).is_ok());
}

#[test]
fn a_snooze_is_not_sent_and_does_not_resolve() {
    let snooze = EscalationAction::Snooze { minutes: 5 };
    assert_eq!(snooze.wire_action(), None);
    assert!(!snooze.resolves());
    let give = EscalationAction::GiveOwnership { agent_id: 3 };
    assert_eq!(give.wire_action(), Some("reassign"));
    assert!(give.resolves());
}

fn escalation(id: i64, severity: Severity, due_in_min: i64) -> Escalation {
    let now = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 5, 1, 12, 0, 0).unwrap();
    Escalation {
        id,
        finding_id: Some(id),
        kind: FindingKind::WriteCollision,
        severity,
        agents: vec![1, 2],
        resource: None,
        title: format!("escalation {id}"),
        agent_id: None,
        task_id: None,
        state: EscalationState::Open,
        opened_at: now,
        due_at: now + Duration::minutes(due_in_min),
        assignee: None,
        snoozed_until: None,
        closed_at: None,
        occurrences: 1,
        since_decision: 0,
        scope: None,
        resources: vec![],
        resource_count: 0,
        last_seen_at: now,
        decision: None,
        deliveries: vec![],
        knot: None,
        parallel: None,
    }
}

#[test]
fn new_critical_escalations_and_lapsing_slas_alert_once_each() {
    let now = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 5, 1, 12, 0, 0).unwrap();
    let mut snoozed = escalation(4, Severity::Critical, 600);
    snoozed.snoozed_until = Some(now + Duration::minutes(5));
    let all = [
        escalation(1, Severity::Critical, 600),
        escalation(2, Severity::Warning, 600),
        escalation(3, Severity::Critical, 10),
        snoozed,
    ];
    let told = alerts(&all, &[1, 2, 3, 4], &[3], now);
    let ids: Vec<i64> = told.iter().map(|a| a.escalation_id).collect();
    assert_eq!(
        ids,
        [1, 3],
        "warnings and snoozed ones stay quiet; 3 is told once"
    );
    assert_eq!(told[0].summary, "Write collision: needs you");
    assert_eq!(told[0].body, "escalation 1");
    let lapsing = alerts(&all, &[], &[2, 4], now);
    assert_eq!(lapsing.len(), 2);
    assert_eq!(lapsing[0].summary, "SLA lapses in 600 min");
}

#[test]
fn a_limit_window_forecast_to_run_out_alerts_though_a_warning() {
    let now = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 5, 1, 12, 0, 0).unwrap();
    let mut window = escalation(7, Severity::Warning, 600);
    window.kind = FindingKind::UsageWindow;
    let told = alerts(
        &[window, escalation(8, Severity::Warning, 600)],
        &[7, 8],
        &[],
        now,
    );
    let ids: Vec<i64> = told.iter().map(|a| a.escalation_id).collect();
    assert_eq!(ids, [7], "the window is told, another warning is not");
}

#[test]
fn a_request_for_approval_alerts_though_a_warning() {
    let now = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 5, 1, 12, 0, 0).unwrap();
    let mut asks = escalation(5, Severity::Warning, 600);
    asks.kind = FindingKind::NeedsApproval;
    let told = alerts(
        &[asks, escalation(6, Severity::Warning, 600)],
        &[5, 6],
        &[],
        now,
    );
    let ids: Vec<i64> = told.iter().map(|a| a.escalation_id).collect();
    assert_eq!(
        ids,
        [5],
        "an agent waits for the answer; another warning is quiet"
    );
    assert_eq!(told[0].summary, "Needs approval: needs you");
}

#[test]
fn actions_cross_to_the_ui_tagged() {
    let json = serde_json::to_string(&EscalationAction::GiveOwnership { agent_id: 2 }).unwrap();
    assert_eq!(json, r#"{"action":"give_ownership","agent_id":2}"#);
    let back: EscalationAction =
        serde_json::from_str(r#"{"action":"snooze","minutes":30}"#).unwrap();
    assert_eq!(back, EscalationAction::Snooze { minutes: 30 });
}
