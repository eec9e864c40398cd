//! Routes (issue 60): kept and replaced as a file says, each item's message claimed by one
//! watcher and updated by count, and each answer's nonce taken once, across handles.

use baton_core::detect::{Finding, FindingKind, Severity};
use baton_core::escalations::EscalationAction;
use baton_core::notify::{RouteDraft, RouteKind, SecretRef, WebhookShape};
use chrono::Duration;

use super::support::*;
use crate::decide::AnswerVia;
use crate::decisions::DecisionFilter;
use crate::notify::sent::{Notice, NoticeOutcome};
use crate::{Store, StoreError};

fn phone() -> RouteDraft {
    RouteDraft {
        server: Some("https://ntfy.example.org".into()),
        topic: Some("baton-out".into()),
        reply_topic: Some("baton-back".into()),
        token: Some(SecretRef::Keyring {
            service: "dev.baton.app".into(),
            user: "route-phone".into(),
        }),
        ..RouteDraft::new("phone", RouteKind::Ntfy, "ana")
    }
}

fn team() -> RouteDraft {
    RouteDraft {
        url: Some("https://hooks.example.org/x".into()),
        shape: Some(WebhookShape::Slack),
        ..RouteDraft::new("team", RouteKind::Webhook, "ana")
    }
}

/// A store with one agent and one open permission-request item (critical).
fn store_with_ask() -> (Store, i64) {
    let (mut store, agent) = store_with_agent();
    let finding = Finding {
        kind: FindingKind::NeedsApproval,
        severity: Severity::Critical,
        agents: vec![agent],
        resource: None,
        summary: "asks to run Bash: ls".into(),
        evidence: vec![],
        dedupe_key: "ask-1".into(),
        continues: None,
    };
    let recorded = store.record_findings(&[finding], t(1)).unwrap();
    (store, recorded.escalations[0])
}

#[test]
fn routes_are_kept_by_name_and_a_file_makes_them_exactly_its_own() {
    let mut store = fresh_store();
    let added = store.add_route(&phone(), t(0)).unwrap();
    assert_eq!(added.draft, phone());
    assert!(matches!(
        store.add_route(&phone(), t(0)),
        Err(StoreError::DuplicateRouteName(name)) if name == "phone"
    ));
    let bad = RouteDraft {
        topic: Some("no spaces".into()),
        ..phone()
    };
    assert_eq!(
        store.add_route(&bad, t(0)).unwrap_err().code(),
        "invalid_route"
    );
    store.add_route(&team(), t(0)).unwrap();
    let names: Vec<String> = store
        .routes()
        .unwrap()
        .iter()
        .map(|r| r.route.draft.name.clone())
        .collect();
    assert_eq!(names, ["phone", "team"]);
    assert_eq!(store.route_named(" phone ").unwrap().route.id, added.id);

    // The reply stream's place is kept while the server and reply topic stay.
    store.set_reply_since(added.id, "msg-41").unwrap();
    let person = RouteDraft {
        person: "bo".into(),
        ..phone()
    };
    let desk = RouteDraft::new("desk", RouteKind::Desktop, "ana");
    let changes = store.replace_routes(&[person.clone(), desk], t(5)).unwrap();
    assert_eq!(
        (
            changes.added,
            changes.updated,
            changes.removed,
            changes.unchanged
        ),
        (1, 1, 1, 0)
    );
    let kept = store.route_named("phone").unwrap();
    assert_eq!(kept.route.draft, person);
    assert_eq!(kept.reply_since.as_deref(), Some("msg-41"));
    let moved = RouteDraft {
        reply_topic: Some("baton-back-2".into()),
        ..person.clone()
    };
    store
        .replace_routes(
            &[moved, RouteDraft::new("desk", RouteKind::Desktop, "ana")],
            t(6),
        )
        .unwrap();
    assert_eq!(store.route_named("phone").unwrap().reply_since, None);
    let same = store
        .replace_routes(
            &store
                .routes()
                .unwrap()
                .iter()
                .map(|r| r.route.draft.clone())
                .collect::<Vec<_>>(),
            t(7),
        )
        .unwrap();
    assert_eq!(same.unchanged, 2);
    // Two routes of one name in a file: nothing changes.
    assert!(store.replace_routes(&[team(), team()], t(8)).is_err());
    assert_eq!(store.routes().unwrap().len(), 2);

    store.remove_route("desk").unwrap();
    assert!(matches!(
        store.remove_route("desk"),
        Err(StoreError::RouteNotFound(_))
    ));
    assert!(matches!(
        store.route_named("nope"),
        Err(StoreError::RouteNotFound(_))
    ));
    // The token is only ever a reference.
    assert!(store
        .rows_holding("route-phone")
        .unwrap()
        .iter()
        .all(|c| c == "notify_routes.token_ref"));
}

#[test]
fn an_items_message_is_claimed_once_sent_once_and_updated_when_it_grows() {
    let (mut store, item) = store_with_ask();
    let route = store.add_route(&phone(), t(0)).unwrap().id;
    let open = |n| Notice::Open { occurrences: n };
    let claim = store
        .claim_notice(route, item, open(1), 1, 60_000, t(2))
        .unwrap()
        .unwrap();
    assert_eq!(
        (claim.sends, claim.sequence_id.as_str()),
        (0, format!("baton-item-{item}").as_str())
    );
    // Another watcher while the first holds it: nothing. Settled before any send: nothing.
    assert_eq!(
        store
            .claim_notice(route, item, open(1), 2, 60_000, t(2))
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .claim_notice(route, item, Notice::Settled, 1, 60_000, t(2))
            .unwrap(),
        None
    );
    store
        .record_notice(&claim, &NoticeOutcome::Sent(open(1)), t(2))
        .unwrap();
    // Told: nothing more to send for the same count, by anyone.
    for watcher in [1, 2] {
        assert_eq!(
            store
                .claim_notice(route, item, open(1), watcher, 60_000, t(3))
                .unwrap(),
            None
        );
    }
    // It grew: one update, under the same sequence id.
    let update = store
        .claim_notice(route, item, open(20), 2, 60_000, t(4))
        .unwrap()
        .unwrap();
    assert_eq!(
        (update.sends, update.sequence_id.clone()),
        (1, claim.sequence_id.clone())
    );
    let retry_at = t(4) + Duration::seconds(30);
    let failed = NoticeOutcome::Failed {
        error: "HTTP 502".into(),
        retry_at,
    };
    store.record_notice(&update, &failed, t(4)).unwrap();
    assert_eq!(
        store
            .claim_notice(route, item, open(20), 2, 60_000, t(5))
            .unwrap(),
        None
    );
    let again = store
        .claim_notice(route, item, open(20), 1, 60_000, retry_at)
        .unwrap()
        .unwrap();
    assert_eq!(
        (again.attempts, update.attempts),
        (1, 0),
        "the retry knows it is one"
    );
    store
        .record_notice(&again, &NoticeOutcome::Sent(open(20)), retry_at)
        .unwrap();
    assert_eq!(store.notices_unsettled(route).unwrap(), [item]);

    // Settled: told once.
    let settled = store
        .claim_notice(route, item, Notice::Settled, 1, 60_000, t(40))
        .unwrap()
        .unwrap();
    store
        .record_notice(&settled, &NoticeOutcome::Sent(Notice::Settled), t(40))
        .unwrap();
    assert_eq!(
        store
            .claim_notice(route, item, Notice::Settled, 2, 60_000, t(41))
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .claim_notice(route, item, open(21), 2, 60_000, t(41))
            .unwrap(),
        None
    );
    let rows = store.notices_sent(route).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (
            rows[0].sends,
            rows[0].sent_occurrences,
            rows[0].settled_sent
        ),
        (3, 20, true)
    );
    assert!(store.notices_unsettled(route).unwrap().is_empty());
}

#[test]
fn two_handles_on_one_store_claim_a_message_once() {
    let dir = tempfile::tempdir().unwrap();
    let location = shared_location(&dir);
    let mut first = Store::open_at(&location).unwrap();
    let agent = first.add_agent(&draft("Researcher")).unwrap().id;
    let finding = Finding {
        kind: FindingKind::Deadlock,
        severity: Severity::Critical,
        agents: vec![agent],
        resource: None,
        summary: "stuck".into(),
        evidence: vec![],
        dedupe_key: "knot".into(),
        continues: None,
    };
    let item = first.record_findings(&[finding], t(1)).unwrap().escalations[0];
    let route = first.add_route(&phone(), t(0)).unwrap().id;
    let mut second = Store::open_at(&location).unwrap();
    let notice = Notice::Open { occurrences: 1 };
    let a = first
        .claim_notice(route, item, notice, 1, 60_000, t(2))
        .unwrap();
    let b = second
        .claim_notice(route, item, notice, 2, 60_000, t(2))
        .unwrap();
    assert!(a.is_some());
    assert_eq!(b, None);
    // A claim that lapsed (its watcher died mid-send) is another's to take.
    let c = second.claim_notice(route, item, notice, 2, 1, t(2));
    assert_eq!(c.unwrap(), None, "held for a minute by the first");
    let lapsed = first.claim_notice(route, item, notice, 1, 1, t(2)).unwrap();
    assert!(lapsed.is_some(), "its own claim it takes again");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if second
            .claim_notice(route, item, notice, 2, 60_000, t(2))
            .unwrap()
            .is_some()
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the lapsed claim was never free"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

#[test]
fn an_answer_is_a_decision_via_its_route_and_its_nonce_is_taken_once() {
    let dir = tempfile::tempdir().unwrap();
    let location = shared_location(&dir);
    let mut store = Store::open_at(&location).unwrap();
    let agent = store.add_agent(&draft("Researcher")).unwrap().id;
    let ask = |key: &str| Finding {
        kind: FindingKind::NeedsApproval,
        severity: Severity::Critical,
        agents: vec![agent],
        resource: None,
        summary: format!("asks {key}"),
        evidence: vec![],
        dedupe_key: key.into(),
        continues: None,
    };
    let items = store
        .record_findings(&[ask("a"), ask("b")], t(1))
        .unwrap()
        .escalations;
    let route = store.add_route(&phone(), t(0)).unwrap().id;
    let via = AnswerVia {
        route_id: route,
        route_name: "phone".into(),
        kind: RouteKind::Ntfy,
        nonce: "00112233445566778899aabbccddeeff".into(),
    };
    let decided = store
        .decide_escalation_via(
            items[0],
            &EscalationAction::Approve,
            None,
            "ana",
            Some(&via),
            t(2),
        )
        .unwrap();
    assert_eq!(decided.decision.who, "ana");
    assert_eq!(
        decided.decision.detail.as_ref().unwrap()["via"]["kind"],
        "ntfy"
    );
    assert_eq!(
        decided.decision.detail.as_ref().unwrap()["via"]["route"],
        "phone"
    );
    // The same nonce again, on the other item too, from another handle: refused, nothing decided.
    let mut other = Store::open_at(&location).unwrap();
    for item in &items {
        let replay = other.decide_escalation_via(
            *item,
            &EscalationAction::Reject,
            None,
            "ana",
            Some(&via),
            t(3),
        );
        assert!(matches!(replay, Err(StoreError::AnswerUsed)), "{replay:?}");
    }
    let log = other.decisions(&DecisionFilter::default()).unwrap();
    assert_eq!(
        log.iter()
            .filter(|d| d.action == "approve" || d.action == "reject")
            .count(),
        1
    );
    assert!(other.escalation(items[1]).unwrap().is_awake(t(3)));
    assert!(matches!(
        other.verify_decisions().unwrap(),
        crate::ChainCheck::Ok { .. }
    ));
}
