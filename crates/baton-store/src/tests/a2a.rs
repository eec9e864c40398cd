//! A2A agents: the card kept with its ETag, whether the agent lists its tasks, tasks followed
//! by id, and requests for input that settle when the task moves on.

use baton_core::a2a::{AgentCard, Binding, Interface, ProtocolVersion};
use baton_core::agent::AdapterKind;
use baton_core::detect::{EvidenceRef, Finding, FindingKind, Severity};
use baton_core::escalations::EscalationState;
use baton_core::protocol::{Event, EventKind};
use baton_core::task::TaskState;

use super::support::{doc, draft, fresh_store, store_with_agent, t, task};
use crate::decisions::DecisionFilter;
use crate::escalations::EscalationFilter;
use crate::{Store, StoreError};

fn card(version: ProtocolVersion) -> AgentCard {
    AgentCard {
        name: "Echo".into(),
        description: None,
        version: Some("0.1.0".into()),
        skills: vec![],
        interfaces: vec![Interface {
            url: "http://127.0.0.1:9/a2a/jsonrpc".into(),
            binding: Binding::JsonRpc,
            version,
        }],
    }
}

#[test]
fn an_a2a_agent_is_stored_with_its_card_and_what_it_lists() {
    let mut store = fresh_store();
    let mut echo = draft("Echo");
    echo.adapter = AdapterKind::A2a;
    let id = store.add_agent(&echo).unwrap().id;
    assert_eq!(store.agent(id).unwrap().adapter, AdapterKind::A2a);
    assert_eq!(store.a2a_card(id).unwrap(), None);

    store
        .set_a2a_card(id, &card(ProtocolVersion::V1), Some("W/\"abc\""), t(1))
        .unwrap();
    store.set_a2a_lists_tasks(id, false).unwrap();
    // The agent's row carries the card and what Baton learnt about listing.
    let row = store.agent_row(id).unwrap();
    let summary = row.a2a.expect("an A2A agent's row has its card");
    assert_eq!(
        (
            summary.card.name.as_str(),
            summary.lists_tasks,
            summary.card_read_at
        ),
        ("Echo", Some(false), t(1))
    );
    assert_eq!(store.agent_rows().unwrap()[0].a2a, Some(summary));
    let kept = store.a2a_card(id).unwrap().unwrap();
    assert_eq!(
        (kept.etag.as_deref(), kept.lists_tasks, kept.fetched_at),
        (Some("W/\"abc\""), Some(false), t(1))
    );
    // The same card again keeps what Baton learnt; another interface forgets it.
    store
        .set_a2a_card(id, &card(ProtocolVersion::V1), None, t(2))
        .unwrap();
    assert_eq!(
        store.a2a_card(id).unwrap().unwrap().lists_tasks,
        Some(false)
    );
    store
        .set_a2a_card(id, &card(ProtocolVersion::V03), None, t(3))
        .unwrap();
    assert_eq!(store.a2a_card(id).unwrap().unwrap().lists_tasks, None);

    assert!(matches!(
        store.set_a2a_card(999, &card(ProtocolVersion::V1), None, t(1)),
        Err(StoreError::AgentNotFound(999))
    ));
    store.remove_agent(id).unwrap();
    assert_eq!(store.a2a_card(id).unwrap(), None, "gone with the agent");
}

#[test]
fn a_followed_task_waits_as_submitted_until_the_agent_says_more() {
    let (mut store, a) = store_with_agent();
    assert!(store.follow_task(a, " t-1 ", t(1)).unwrap());
    assert!(
        !store.follow_task(a, "t-1", t(2)).unwrap(),
        "already followed"
    );
    assert_eq!(
        store.task_states(a).unwrap().get("t-1"),
        Some(&TaskState::Submitted)
    );
    for bad in ["", "   ", &"x".repeat(300)] {
        let err = store.follow_task(a, bad, t(3)).unwrap_err();
        assert_eq!(err.code(), "invalid_task_id", "{bad:?}");
    }
    assert!(matches!(
        store.follow_task(999, "t-1", t(1)),
        Err(StoreError::AgentNotFound(999))
    ));
    // Unfollowed (a task the server forgot): gone from the board, once.
    assert!(store.unfollow_task(a, " t-1 ").unwrap());
    assert_eq!(store.task_states(a).unwrap().get("t-1"), None);
    assert!(!store.unfollow_task(a, "t-1").unwrap());
    assert!(matches!(
        store.unfollow_task(999, "t-1"),
        Err(StoreError::AgentNotFound(999))
    ));
}

/// A needs-approval escalation on task t-1 of a fresh agent, opened at t(2).
fn asking_store() -> (Store, i64, i64) {
    let (mut store, a) = store_with_agent();
    let ask = Event {
        task_id: Some("t-1".into()),
        message: Some("What is your favourite colour?".into()),
        ..Event::new(1, t(1), EventKind::NeedsApproval)
    };
    store
        .ingest(
            a,
            &doc(vec![task("t-1", TaskState::InputRequired)], vec![ask], "1"),
            t(1),
        )
        .unwrap();
    let finding = Finding {
        kind: FindingKind::NeedsApproval,
        severity: Severity::Critical,
        agents: vec![a],
        resource: None,
        summary: "Researcher asks: What is your favourite colour?".into(),
        evidence: vec![EvidenceRef {
            agent_id: a,
            seq: 1,
        }],
        dedupe_key: format!("needs_approval:{a}:t-1"),
        continues: None,
    };
    let escalation = store.record_findings(&[finding], t(2)).unwrap().escalations[0];
    (store, a, escalation)
}

#[test]
fn a_request_for_input_settles_when_its_task_moves_on() {
    let (mut store, a, escalation) = asking_store();
    assert_eq!(
        store.escalation(escalation).unwrap().task_id.as_deref(),
        Some("t-1")
    );

    // Still waiting, or another task moving: nothing settles.
    let still = store
        .ingest(
            a,
            &doc(
                vec![
                    task("t-1", TaskState::InputRequired),
                    task("t-2", TaskState::Working),
                ],
                vec![],
                "2",
            ),
            t(3),
        )
        .unwrap();
    assert!(still.settled_requests.is_empty());

    let moved = store
        .ingest(
            a,
            &doc(vec![task("t-1", TaskState::Working)], vec![], "3"),
            t(4),
        )
        .unwrap();
    assert_eq!(moved.settled_requests, vec![escalation]);
    let settled = store.escalation(escalation).unwrap();
    assert_eq!(settled.state, EscalationState::Resolved);
    let log = store.decisions(&DecisionFilter::default()).unwrap();
    let entry = log.iter().find(|d| d.action == "settled").unwrap();
    assert_eq!(
        (
            entry.who.as_str(),
            entry.reason.as_deref(),
            entry.escalation_id
        ),
        (
            "Researcher",
            Some("the task moved on to working"),
            Some(escalation)
        )
    );
    assert!(matches!(
        store.verify_decisions().unwrap(),
        baton_core::decisions::ChainCheck::Ok { .. }
    ));
    let open = store
        .escalations(EscalationFilter {
            open: true,
            closed: 0,
        })
        .unwrap();
    assert!(open.is_empty());
}

#[test]
fn an_answer_the_agent_did_not_take_opens_the_escalation_again() {
    use crate::outbox::DeliveryOutcome;
    use baton_core::escalations::{DeliveryState, EscalationAction};
    let (mut store, _, escalation) = asking_store();
    store
        .decide_escalation(
            escalation,
            &EscalationAction::Approve,
            Some("blue"),
            "ana",
            t(3),
        )
        .unwrap();
    let row = store.due_deliveries(t(3), 10).unwrap()[0].id;
    let note = "the agent started a new task (t-9) with the answer instead of continuing task t-1";
    let changed = store
        .record_delivery(row, &DeliveryOutcome::NotTaken { note: note.into() }, t(4))
        .unwrap();
    assert_eq!(changed, Some(escalation));
    let reopened = store.escalation(escalation).unwrap();
    assert_eq!(reopened.state, EscalationState::Open);
    assert_eq!(reopened.closed_at, None);
    // The person's answer stays on it, and the delivery says why it did not count.
    assert_eq!(reopened.decision.as_ref().unwrap().action, "approve");
    assert_eq!(reopened.deliveries[0].state, DeliveryState::Declined);
    assert_eq!(reopened.deliveries[0].last_error.as_deref(), Some(note));
    assert_eq!(store.open_findings().unwrap().len(), 1);
    let log = store.decisions(&DecisionFilter::default()).unwrap();
    let entry = log.iter().find(|d| d.action == "reopen").unwrap();
    assert_eq!(
        (entry.who.as_str(), entry.reason.as_deref()),
        ("Researcher", Some(note))
    );
    // A second report of the same row changes nothing; it can be decided again.
    store
        .record_delivery(
            row,
            &DeliveryOutcome::NotTaken {
                note: "again".into(),
            },
            t(5),
        )
        .unwrap();
    assert_eq!(
        store
            .decisions(&DecisionFilter::default())
            .unwrap()
            .iter()
            .filter(|d| d.action == "reopen")
            .count(),
        1
    );
    store
        .decide_escalation(
            escalation,
            &EscalationAction::Dismiss,
            Some("gave up"),
            "ana",
            t(6),
        )
        .unwrap();
    assert!(matches!(
        store.verify_decisions().unwrap(),
        baton_core::decisions::ChainCheck::Ok { .. }
    ));
}

#[test]
fn a_reopened_escalation_whose_sla_passed_gets_its_time_again() {
    use crate::outbox::DeliveryOutcome;
    use baton_core::escalations::EscalationAction;
    let (mut store, _, escalation) = asking_store();
    let opened = store.escalation(escalation).unwrap();
    let sla = opened.due_at - opened.opened_at;
    store
        .decide_escalation(escalation, &EscalationAction::Approve, None, "ana", t(3))
        .unwrap();
    let row = store.due_deliveries(t(3), 10).unwrap()[0].id;
    let late = opened.due_at + chrono::Duration::hours(1);
    store
        .record_delivery(row, &DeliveryOutcome::NotTaken { note: "no".into() }, late)
        .unwrap();
    assert_eq!(store.escalation(escalation).unwrap().due_at, late + sla);
}

#[test]
fn agents_stored_before_a2a_keep_their_adapter() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("baton.sqlite3");
    {
        let mut conn = rusqlite::Connection::open(&path).unwrap();
        crate::migrations::MIGRATIONS
            .to_version(&mut conn, 5)
            .unwrap();
        conn.execute(
            "INSERT INTO agents (name, name_key, base_url, poll_interval_ms, timeout_ms, adapter,
                                 created_at, cursor)
             VALUES ('Old', 'old', 'http://127.0.0.1:1/', 2000, 1500, 'baton',
                     '2026-05-01T12:00:00.000000000Z', 'c-9')",
            [],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO tasks (agent_id, task_id, title, state, state_since, first_seen_at,
                                updated_at)
             VALUES (1, 't-1', 'kept', 'working', '2026-05-01T12:00:00.000000000Z',
                     '2026-05-01T12:00:00.000000000Z', '2026-05-01T12:00:00.000000000Z')",
            [],
        )
        .unwrap();
    }
    let mut store = Store::open(&path).unwrap();
    let old = store.agent(1).unwrap();
    assert_eq!(
        (old.name.as_str(), old.adapter),
        ("Old", AdapterKind::Baton)
    );
    assert_eq!(store.cursor(1).unwrap().as_deref(), Some("c-9"));
    assert_eq!(store.task_states(1).unwrap().len(), 1, "its tasks stay");
    let mut echo = draft("Echo");
    echo.adapter = AdapterKind::A2a;
    store.add_agent(&echo).unwrap();
}

#[test]
fn an_answer_taken_is_in_the_decision_log_with_the_form_it_was_sent_in() {
    use crate::outbox::DeliveryOutcome;
    use baton_core::escalations::{DeliveryState, EscalationAction};
    let (mut store, _, escalation) = asking_store();
    store
        .decide_escalation(
            escalation,
            &EscalationAction::Approve,
            Some("Lisbon"),
            "ana",
            t(3),
        )
        .unwrap();
    let row = store.due_deliveries(t(3), 10).unwrap()[0].id;
    let note = "sent as a function_response to ask_human (call-1) on the task; it is now completed";
    let sent = serde_json::json!({"form": "function_response",
                                  "call": {"id": "call-1", "name": "ask_human"}});
    let answered = DeliveryOutcome::Answered {
        note: note.into(),
        sent: sent.clone(),
    };
    assert_eq!(
        store.record_delivery(row, &answered, t(4)).unwrap(),
        Some(escalation)
    );
    let done = store.escalation(escalation).unwrap();
    assert_eq!(done.state, EscalationState::Resolved);
    assert_eq!(done.deliveries[0].state, DeliveryState::Delivered);
    assert_eq!(done.deliveries[0].last_error.as_deref(), Some(note));
    let log = store.decisions(&DecisionFilter::default()).unwrap();
    let entry = log.iter().find(|d| d.action == "delivered").unwrap();
    assert_eq!(
        (
            entry.who.as_str(),
            entry.reason.as_deref(),
            entry.detail.as_ref()
        ),
        ("Researcher", Some(note), Some(&sent))
    );
    assert_eq!(entry.escalation_id, Some(escalation));
    // Reported twice, logged once; the chain still verifies.
    store.record_delivery(row, &answered, t(5)).unwrap();
    let log = store.decisions(&DecisionFilter::default()).unwrap();
    assert_eq!(log.iter().filter(|d| d.action == "delivered").count(), 1);
    assert!(matches!(
        store.verify_decisions().unwrap(),
        baton_core::decisions::ChainCheck::Ok { .. }
    ));
}
