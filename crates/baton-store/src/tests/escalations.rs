//! The escalation queue: opened with its finding and its SLA, decided in one transaction with
//! its log entry and outbox rows, expired (and logged) when its SLA lapses, delivered.

use baton_core::detect::{Finding, FindingKind, Severity};
use baton_core::escalations::{DeliveryState, EscalationAction, EscalationState};
use baton_core::protocol::DecisionDelivery;
use baton_core::rules::{Rule, RuleKind};
use baton_core::task::TaskState;
use chrono::Duration;

use super::support::*;
use crate::decisions::DecisionFilter;
use crate::escalations::EscalationFilter;
use crate::outbox::DeliveryOutcome;
use crate::{Store, StoreError};

/// Two agents, each with one write to crm://contacts/1 (seq 1), and a collision finding.
fn store_with_collision() -> (Store, i64, i64, i64) {
    let mut store = fresh_store();
    let a = store.add_agent(&draft("Researcher")).unwrap().id;
    let b = store.add_agent(&draft("Writer")).unwrap().id;
    for (agent, task_id) in [(a, "r-1"), (b, "w-1")] {
        let write = write_event(1, task_id);
        store
            .ingest(
                agent,
                &doc(vec![task(task_id, TaskState::Working)], vec![write], "1"),
                t(1),
            )
            .unwrap();
    }
    let finding = Finding {
        summary: "Researcher and Writer both wrote crm://contacts/1".into(),
        ..pair_finding(FindingKind::WriteCollision, a, b, "crm://contacts/1")
    };
    let recorded = store.record_findings(&[finding], t(2)).unwrap();
    assert_eq!(recorded.escalations.len(), 1);
    (store, a, b, recorded.escalations[0])
}

#[test]
fn a_finding_opens_one_escalation_due_by_the_matching_exception_rule() {
    let mut store = fresh_store();
    store.add_agent(&draft("Researcher")).unwrap();
    let rule = Rule {
        sla_seconds: Some(600),
        ..Rule::new(RuleKind::Exception, "crm://contacts/*", "ana")
    };
    store.add_rule(&rule, "ana").unwrap();
    let finding = |resource: &str, key: &str| Finding {
        kind: FindingKind::Stall,
        severity: Severity::Warning,
        agents: vec![1],
        resource: Some(resource.into()),
        summary: "stalled".into(),
        evidence: vec![],
        dedupe_key: key.into(),
        continues: None,
    };
    let recorded = store
        .record_findings(
            &[finding("crm://contacts/7", "a"), finding("mail://x/1", "b")],
            t(0),
        )
        .unwrap();
    assert_eq!(recorded.escalations.len(), 2);
    let queue = store.escalations(EscalationFilter::default()).unwrap();
    // Sorted by due time: the 10-minute SLA first, then the default day.
    assert_eq!(queue[0].due_at, t(600));
    assert_eq!(queue[0].assignee.as_deref(), Some("ana"));
    assert_eq!(queue[1].due_at, t(0) + Duration::hours(24));
    assert_eq!(queue[1].assignee, None);
    assert_eq!(queue[0].agent_id, Some(1));
    // The same cause again updates the finding; no second escalation.
    let again = store
        .record_findings(&[finding("crm://contacts/7", "a")], t(5))
        .unwrap();
    assert!(again.escalations.is_empty());
    assert_eq!(store.open_escalation_count().unwrap(), 2);
}

#[test]
fn approving_logs_the_decision_closes_the_finding_and_queues_one_delivery_per_agent() {
    let (mut store, a, b, id) = store_with_collision();
    let decided = store
        .decide_escalation(id, &EscalationAction::Approve, Some(" fine "), "ana", t(10))
        .unwrap();
    assert_eq!(decided.escalation.state, EscalationState::Resolved);
    assert_eq!(decided.escalation.closed_at, Some(t(10)));
    assert_eq!(decided.decision.action, "approve");
    assert_eq!(decided.decision.reason.as_deref(), Some("fine"));
    assert_eq!(decided.decision.escalation_id, Some(id));
    assert_eq!(decided.outbox.len(), 2);
    assert!(store.open_findings().unwrap().is_empty());
    let deliveries = &decided.escalation.deliveries;
    assert_eq!(deliveries.len(), 2);
    assert!(deliveries.iter().all(|d| d.state == DeliveryState::Pending));

    let due = store.due_deliveries(t(10), 10).unwrap();
    assert_eq!(due.len(), 2);
    let bodies: Vec<DecisionDelivery> = due
        .iter()
        .map(|d| serde_json::from_str(&d.body).unwrap())
        .collect();
    assert_eq!(bodies[0].task_id.as_deref(), Some("r-1"));
    assert_eq!(bodies[1].task_id.as_deref(), Some("w-1"));
    assert_eq!(bodies[0].action, "approve");
    assert_eq!(
        bodies[0].escalation_id.as_deref(),
        Some(format!("esc-{id}").as_str())
    );
    assert_eq!(bodies[0].decision_id, due[0].idempotency_key);
    assert_ne!(due[0].idempotency_key, due[1].idempotency_key);
    assert_eq!((due[0].agent_id, due[1].agent_id), (a, b));

    // A second decision is refused: it is already resolved, and by whom.
    let again = store.decide_escalation(id, &EscalationAction::Reject, None, "ben", t(11));
    assert!(
        matches!(
            &again,
            Err(StoreError::EscalationClosed {
                state: "resolved",
                ..
            })
        ),
        "{again:?}"
    );
    assert_eq!(
        again.unwrap_err().to_string(),
        format!(
            "escalation {id} is already resolved by ana on {} at 12:00 UTC: approve",
            crate::host::this_machine()
        )
    );

    // Delivery outcomes: one fails and is retried later, the other is acknowledged.
    let failed = DeliveryOutcome::Failed {
        error: "HTTP 500".into(),
        retry_at: t(20),
    };
    assert_eq!(
        store.record_delivery(due[0].id, &failed, t(12)).unwrap(),
        Some(id)
    );
    let ack = DeliveryOutcome::Acknowledged {
        accepted: true,
        note: None,
    };
    store.record_delivery(due[1].id, &ack, t(12)).unwrap();
    assert!(store.due_deliveries(t(19), 10).unwrap().is_empty());
    assert_eq!(store.next_delivery_at().unwrap(), Some(t(20)));
    let states: Vec<_> = store
        .escalation(id)
        .unwrap()
        .deliveries
        .iter()
        .map(|d| d.state)
        .collect();
    assert_eq!(states, [DeliveryState::Retrying, DeliveryState::Delivered]);
    store
        .record_delivery(
            due[0].id,
            &DeliveryOutcome::Acknowledged {
                accepted: false,
                note: None,
            },
            t(21),
        )
        .unwrap();
    // A late failure report changes nothing once acknowledged.
    store.record_delivery(due[0].id, &failed, t(22)).unwrap();
    let escalation = store.escalation(id).unwrap();
    assert_eq!(escalation.deliveries[0].state, DeliveryState::Declined);
    assert_eq!(escalation.deliveries[0].attempts, 2);
    assert_eq!(store.next_delivery_at().unwrap(), None);
    assert!(store.verify_decisions().unwrap() == crate::ChainCheck::Ok { entries: 1 });
}

#[test]
fn a_dismissal_needs_a_reason_and_a_snooze_keeps_it_open_and_unsent() {
    let (mut store, _, _, id) = store_with_collision();
    assert!(matches!(
        store.decide_escalation(id, &EscalationAction::Dismiss, Some("  "), "ana", t(10)),
        Err(StoreError::InvalidDecision(_))
    ));
    let snoozed = store
        .decide_escalation(
            id,
            &EscalationAction::Snooze { minutes: 30 },
            None,
            "ana",
            t(10),
        )
        .unwrap();
    assert_eq!(snoozed.escalation.state, EscalationState::Open);
    assert_eq!(
        snoozed.escalation.snoozed_until,
        Some(t(10) + Duration::minutes(30))
    );
    assert!(!snoozed.escalation.is_awake(t(11)));
    assert!(snoozed.escalation.is_awake(t(10) + Duration::minutes(30)));
    assert!(snoozed.outbox.is_empty());
    let dismissed = store
        .decide_escalation(
            id,
            &EscalationAction::Dismiss,
            Some("test data"),
            "ana",
            t(20),
        )
        .unwrap();
    assert_eq!(dismissed.escalation.state, EscalationState::Resolved);
    assert_eq!(dismissed.escalation.snoozed_until, None);
    assert_eq!(dismissed.outbox.len(), 2);
    let log = store.decisions(&DecisionFilter::default()).unwrap();
    let actions: Vec<&str> = log.iter().map(|d| d.action.as_str()).collect();
    assert!(
        actions.contains(&"snooze") && actions.contains(&"dismiss"),
        "{actions:?}"
    );
}

#[test]
fn an_escalation_past_its_sla_expires_logged_and_takes_no_decision() {
    let (mut store, _, _, id) = store_with_collision();
    let due = store.escalation(id).unwrap().due_at;
    // Due before a moment: strictly before it, with its due time.
    assert!(store.escalations_due_before(due).unwrap().is_empty());
    assert_eq!(
        store
            .escalations_due_before(due + Duration::seconds(1))
            .unwrap(),
        [(id, due)]
    );
    assert!(store
        .expire_escalations(due - Duration::seconds(1))
        .unwrap()
        .is_empty());
    // Deciding after the SLA expires it instead.
    assert!(matches!(
        store.decide_escalation(id, &EscalationAction::Approve, None, "ana", due),
        Err(StoreError::EscalationExpired(e)) if e == id
    ));
    let escalation = store.escalation(id).unwrap();
    assert_eq!(escalation.state, EscalationState::Expired);
    let decision = escalation.decision.unwrap();
    assert_eq!(
        (decision.action.as_str(), decision.who.as_str()),
        ("expire", "baton")
    );
    assert!(store.due_deliveries(due, 10).unwrap().is_empty());
    assert!(store
        .expire_escalations(due + Duration::hours(1))
        .unwrap()
        .is_empty());
    assert!(store
        .escalations_due_before(due + Duration::hours(1))
        .unwrap()
        .is_empty());
    assert_eq!(store.open_escalation_count().unwrap(), 0);
}

#[test]
fn expiry_sweeps_every_lapsed_escalation() {
    let (mut store, _, _, id) = store_with_collision();
    let due = store.escalation(id).unwrap().due_at;
    assert_eq!(store.expire_escalations(due).unwrap(), [id]);
    let listed = store
        .escalations(EscalationFilter {
            open: true,
            closed: 0,
        })
        .unwrap();
    assert!(listed.is_empty());
    let closed = store
        .escalations(EscalationFilter {
            open: false,
            closed: 10,
        })
        .unwrap();
    assert_eq!(closed[0].state, EscalationState::Expired);
}

#[test]
fn giving_ownership_adds_or_changes_the_rule_in_the_same_transaction() {
    let (mut store, _, b, id) = store_with_collision();
    let decided = store
        .decide_escalation(
            id,
            &EscalationAction::GiveOwnership { agent_id: b },
            None,
            "ana",
            t(10),
        )
        .unwrap();
    assert!(decided.rules_changed);
    let rules = store.rules().unwrap();
    assert_eq!(rules.len(), 1);
    assert_eq!(
        (rules[0].rule.pattern.as_str(), rules[0].rule.owner.as_str()),
        ("crm://contacts/1", "Writer")
    );
    assert_eq!(rules[0].rule.kind, RuleKind::Data);
    let due = store.due_deliveries(t(10), 10).unwrap();
    let body: DecisionDelivery = serde_json::from_str(&due[0].body).unwrap();
    assert_eq!(body.action, "reassign");
    assert_eq!(body.note.as_deref(), Some("Writer owns crm://contacts/1"));
    let log = store.decisions(&DecisionFilter::default()).unwrap();
    let actions: Vec<&str> = log.iter().map(|d| d.action.as_str()).collect();
    assert_eq!(
        actions,
        ["rule.add", "give_ownership"],
        "in the order they were taken"
    );
}

#[test]
fn giving_ownership_moves_an_existing_covering_rule() {
    let (mut store, a, _, id) = store_with_collision();
    let mut rule = Rule::new(RuleKind::Data, "crm://contacts/*", "Writer");
    rule.readers = vec!["Researcher".into()];
    let stored = store.add_rule(&rule, "ana").unwrap();
    store
        .decide_escalation(
            id,
            &EscalationAction::GiveOwnership { agent_id: a },
            None,
            "ana",
            t(10),
        )
        .unwrap();
    let now = store.rule(stored.id).unwrap().rule;
    assert_eq!(now.owner, "Researcher");
    assert!(now.readers.is_empty());
    assert_eq!(store.rules().unwrap().len(), 1);
}

#[test]
fn a_failed_rule_change_leaves_nothing_behind() {
    let (mut store, _, _, id) = store_with_collision();
    // An unknown agent: the decision is refused whole.
    assert!(matches!(
        store.decide_escalation(
            id,
            &EscalationAction::GiveOwnership { agent_id: 99 },
            None,
            "ana",
            t(10)
        ),
        Err(StoreError::AgentNotFound(99))
    ));
    assert_eq!(store.escalation(id).unwrap().state, EscalationState::Open);
    assert!(store
        .decisions(&DecisionFilter::default())
        .unwrap()
        .is_empty());
    assert!(store.rules().unwrap().is_empty());
    assert_eq!(rows(&store, "outbox"), 0);
    assert!(matches!(
        store.decide_escalation(404, &EscalationAction::Approve, None, "ana", t(10)),
        Err(StoreError::EscalationNotFound(404))
    ));
}

#[test]
fn the_timeline_puts_both_agents_events_on_one_axis_and_marks_the_evidence() {
    let (mut store, a, b, id) = store_with_collision();
    // Context: a later event by the writer, within the margin; one far outside it.
    let mut near = write_event(2, "w-1");
    near.at = t(60);
    let mut far = write_event(3, "w-1");
    far.at = t(3600);
    store
        .ingest(
            b,
            &doc(vec![task("w-1", TaskState::Working)], vec![near, far], "3"),
            t(3601),
        )
        .unwrap();
    let timeline = store.escalation_timeline(id).unwrap();
    assert_eq!(timeline.agents, [a, b]);
    let seen: Vec<(i64, u64, bool)> = timeline
        .events
        .iter()
        .map(|e| (e.agent_id, e.seq, e.evidence))
        .collect();
    assert_eq!(seen, [(a, 1, true), (b, 1, true), (b, 2, false)]);
    assert!(
        timeline.events[0].text.contains("crm://contacts/1"),
        "{}",
        timeline.events[0].text
    );
}
