//! People deciding at once, each through a store handle of their own on one database (SQLite
//! connections to one file, or PostgreSQL sessions): on one item exactly one decision lands and
//! the others are told who decided it; on an item each, every decision lands; the decision log
//! stays one valid chain either way.

use std::sync::{Arc, Barrier};

use baton_core::decisions::ChainCheck;
use baton_core::detect::{Finding, FindingKind, Severity};
use baton_core::escalations::{EscalationAction, EscalationState};

use super::support::*;
use crate::{Store, StoreError, StoreLocation};

const PEOPLE: usize = 20;

/// `count` items, each an agent's own question (never grouped): their ids.
fn questions(store: &mut Store, count: usize) -> Vec<i64> {
    let agent = store.add_agent(&draft("Researcher")).unwrap().id;
    let findings: Vec<Finding> = (0..count)
        .map(|i| {
            Finding::about(
                FindingKind::NeedsApproval,
                Severity::Warning,
                vec![agent],
                format!("Researcher asks: may I send mail {i}?"),
                format!("ask-{i}"),
            )
        })
        .collect();
    let recorded = store.record_findings(&findings, t(1)).unwrap();
    assert_eq!(recorded.escalations.len(), count);
    recorded.escalations
}

/// Person `i` decides `items[i % items.len()]`, all at once, each on a handle of their own.
fn decide_at_once(location: &StoreLocation, items: &[i64]) -> Vec<crate::Result<i64>> {
    let start = Arc::new(Barrier::new(PEOPLE));
    let people: Vec<_> = (0..PEOPLE)
        .map(|i| {
            let (location, start) = (location.clone(), Arc::clone(&start));
            let item = items[i % items.len()];
            std::thread::spawn(move || {
                let mut store = Store::open_at(&location).unwrap();
                start.wait();
                store
                    .decide_escalation(
                        item,
                        &EscalationAction::Approve,
                        None,
                        &format!("person-{i}"),
                        t(10),
                    )
                    .map(|decided| decided.decision.seq)
            })
        })
        .collect();
    people.into_iter().map(|p| p.join().unwrap()).collect()
}

#[test]
fn people_deciding_one_item_at_once_make_one_decision_and_the_others_hear_who() {
    let dir = tempfile::tempdir().unwrap();
    let location = shared_location(&dir);
    let mut store = Store::open_at(&location).unwrap();
    let item = questions(&mut store, 1)[0];

    let results = decide_at_once(&location, &[item]);
    let landed: Vec<i64> = results
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .copied()
        .collect();
    assert_eq!(landed.len(), 1, "{results:?}");
    let decided = store.escalation(item).unwrap();
    assert_eq!(decided.state, EscalationState::Resolved);
    let decision = decided.decision.unwrap();
    let (who, host) = (decision.who, decision.host.unwrap());
    for refused in results.iter().filter_map(|r| r.as_ref().err()) {
        assert!(
            matches!(refused, StoreError::EscalationClosed { .. })
                && refused
                    .to_string()
                    .contains(&format!("by {who} on {host} at")),
            "{refused}"
        );
    }
    // One decision delivered once: one outbox row for the agent.
    assert_eq!(store.outbox_rows().unwrap().len(), 1);
    assert_eq!(
        store.verify_decisions().unwrap(),
        ChainCheck::Ok { entries: 1 }
    );
}

#[test]
fn people_deciding_an_item_each_at_once_make_every_decision_in_one_chain() {
    let dir = tempfile::tempdir().unwrap();
    let location = shared_location(&dir);
    let mut store = Store::open_at(&location).unwrap();
    let items = questions(&mut store, PEOPLE);

    let results = decide_at_once(&location, &items);
    let mut seqs: Vec<i64> = results.into_iter().map(Result::unwrap).collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=PEOPLE as i64).collect::<Vec<_>>());
    for item in items {
        assert_eq!(
            store.escalation(item).unwrap().state,
            EscalationState::Resolved
        );
    }
    assert_eq!(
        store.verify_decisions().unwrap(),
        ChainCheck::Ok {
            entries: PEOPLE as u64
        }
    );
}
