//! Several watchers on one store: each agent leased to exactly one of them, the agents shared
//! out as watchers come and go, a lapsed lease taken over with the next epoch, a former holder's
//! writes refused (fencing), and outbox rows claimed by one watcher at a time. Time passing is
//! written into the leases (a term set to lapse), never waited for.

use std::collections::BTreeSet;

use baton_core::detect::{Finding, FindingKind, Severity};
use baton_core::escalations::EscalationAction;

use super::support::*;
use crate::db::params;
use crate::watch_leases::{agent_subject, Fence, Holdings, WatcherSpec};
use crate::{Store, StoreError};

const TTL: i64 = 60_000;

pub(super) fn spec(name: &str) -> WatcherSpec {
    WatcherSpec {
        name: name.into(),
        host: "test-host".into(),
        pid: 42,
    }
}

fn with_agents(count: usize) -> (Store, Vec<i64>) {
    let mut store = fresh_store();
    let ids = (0..count)
        .map(|i| store.add_agent(&draft(&format!("Agent {i}"))).unwrap().id)
        .collect();
    (store, ids)
}

fn beat(store: &mut Store, name: &str, id: i64) -> Holdings {
    store.heartbeat(&spec(name), id, TTL, true).unwrap()
}

/// Makes every lease of `watcher` lapse, as if its term had passed without a heartbeat.
pub(super) fn lapse(store: &Store, watcher: i64) {
    store
        .db()
        .execute(
            "UPDATE watch_leases SET expires_ms = clock_ms() - 1 WHERE watcher_id = ?1",
            params![watcher],
        )
        .unwrap();
    store
        .db()
        .execute(
            "UPDATE watcher_runs SET heartbeat_ms = clock_ms() - ttl_ms - 1 WHERE id = ?1",
            params![watcher],
        )
        .unwrap();
}

pub(super) fn agents_of(holdings: &Holdings) -> BTreeSet<i64> {
    holdings.agents.iter().map(|(id, _)| *id).collect()
}

#[test]
fn one_watcher_holds_every_polled_agent_and_the_detectors() {
    let (mut store, ids) = with_agents(4);
    let w1 = store.join_watchers(&spec("w1"), TTL).unwrap();
    let held = beat(&mut store, "w1", w1);
    assert_eq!(agents_of(&held), ids.iter().copied().collect());
    assert!(held.agents.iter().all(|(_, epoch)| *epoch == 1));
    assert_eq!(held.detectors, Some(1));
    // Heartbeats renew, and change no epoch.
    assert_eq!(beat(&mut store, "w1", w1), held);
}

#[test]
fn two_watchers_share_the_agents_each_held_by_exactly_one() {
    let (mut store, ids) = with_agents(5);
    let w1 = store.join_watchers(&spec("w1"), TTL).unwrap();
    assert_eq!(beat(&mut store, "w1", w1).agents.len(), 5);
    let w2 = store.join_watchers(&spec("w2"), TTL).unwrap();
    // Nothing is free yet: w1 offers what is over its share (3 of 5) at its next beat, and
    // holds (polls) it until w2 takes it.
    assert!(beat(&mut store, "w2", w2).agents.is_empty());
    let offering = beat(&mut store, "w1", w1);
    assert_eq!(offering.agents.len(), 5);
    assert_eq!(offering.offered, ids[3..]);
    let second = beat(&mut store, "w2", w2);
    assert_eq!(second.agents.len(), 2);
    let first = beat(&mut store, "w1", w1);
    assert_eq!(first.agents.len(), 3);
    assert!(first.offered.is_empty());
    let (a, b) = (agents_of(&first), agents_of(&second));
    assert!(a.is_disjoint(&b), "{a:?} and {b:?}");
    // What goes back is the newest agents; what is taken, the oldest free ones.
    assert_eq!(a, ids[..3].iter().copied().collect());
    assert_eq!(
        a.union(&b).copied().collect::<Vec<_>>(),
        ids,
        "every agent is held"
    );
    // The detectors stay with the one that had them.
    assert_eq!(first.detectors, Some(1));
    assert_eq!(second.detectors, None);
    // An agent offered and taken is in its second epoch.
    assert!(second.agents.iter().all(|(_, epoch)| *epoch == 2));
    let leases = store.agent_leases().unwrap();
    assert_eq!(leases.len(), 5);
    assert!(leases
        .iter()
        .all(|(_, w, _, live)| *live && (*w == w1 || *w == w2)));
    // Sessions are never leased (nobody polls them).
    let view = store.watchers_view().unwrap();
    assert_eq!(view.len(), 2);
    assert!(view.iter().all(|w| w.live && w.left_at.is_none()));
    assert_eq!(view[0].agents.len() + view[1].agents.len(), 5);
    assert!(view[0].detectors && !view[1].detectors);
    assert_eq!(view[0].agents[0].1, "Agent 0");
}

#[test]
fn an_offer_nobody_took_is_withdrawn_when_the_share_grows_back() {
    let (mut store, ids) = with_agents(4);
    let w1 = store.join_watchers(&spec("w1"), TTL).unwrap();
    beat(&mut store, "w1", w1);
    let w2 = store.join_watchers(&spec("w2"), TTL).unwrap();
    let offering = beat(&mut store, "w1", w1);
    assert_eq!(offering.offered, ids[2..]);
    // w2 leaves before it takes anything: w1's share is every agent again, its offers go,
    // and it never stopped holding them (same epochs: no poll of them was refused).
    store.leave_watchers(w2).unwrap();
    let kept = beat(&mut store, "w1", w1);
    assert_eq!(kept.agents, offering.agents);
    assert!(kept.offered.is_empty());
    let offered: i64 = store
        .db()
        .query_row(
            "SELECT count(*) FROM watch_leases WHERE offered_ms IS NOT NULL",
            params![],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(offered, 0);
    // A watcher joining later is offered them again.
    let w3 = store.join_watchers(&spec("w3"), TTL).unwrap();
    assert_eq!(beat(&mut store, "w1", w1).offered, ids[2..]);
    assert_eq!(
        agents_of(&beat(&mut store, "w3", w3)),
        ids[2..].iter().copied().collect()
    );
}

#[test]
fn a_lapsed_watcher_is_taken_over_with_the_next_epoch_and_its_writes_are_refused() {
    let (mut store, ids) = with_agents(3);
    let w1 = store.join_watchers(&spec("w1"), TTL).unwrap();
    let before = beat(&mut store, "w1", w1);
    let old_fence = before.agent_fence(w1, ids[0]).unwrap();
    store.check_fence(&old_fence).unwrap();
    let w2 = store.join_watchers(&spec("w2"), TTL).unwrap();
    // w1 goes silent (killed, cut off, paused): once its term is past, its leases are free.
    lapse(&store, w1);
    let lapsed = store.check_fence(&old_fence).unwrap_err();
    assert!(matches!(&lapsed, StoreError::Fenced { reason, .. } if reason == "its lease lapsed"));
    let taken = beat(&mut store, "w2", w2);
    assert_eq!(agents_of(&taken), ids.iter().copied().collect());
    assert!(taken.agents.iter().all(|(_, epoch)| *epoch == 2));
    assert_eq!(taken.detectors, Some(2));
    // w1's write under its old lease is refused, saying who holds the agent now.
    let err = store.check_fence(&old_fence).unwrap_err();
    assert_eq!(err.code(), "fenced");
    assert!(
        err.to_string().contains(&format!(
            "no longer holds agent:{} (watcher {w2} holds it now (epoch 2))",
            ids[0]
        )),
        "{err}"
    );
    store
        .check_fence(&taken.agent_fence(w2, ids[0]).unwrap())
        .unwrap();
    // w1 comes back: what it held is not renewed, and nothing is free for it.
    let back = beat(&mut store, "w1", w1);
    assert!(back.agents.is_empty() && back.detectors.is_none());
    // A fence for a subject nobody ever held is refused too.
    let nobody = Fence {
        subject: agent_subject(9_999),
        watcher_id: w1,
        epoch: 1,
    };
    assert!(matches!(
        store.check_fence(&nobody),
        Err(StoreError::Fenced { reason, .. }) if reason == "nobody holds it"
    ));
}

#[test]
fn a_fenced_write_stores_nothing_of_itself() {
    let (mut store, ids) = with_agents(1);
    let w1 = store.join_watchers(&spec("w1"), TTL).unwrap();
    let fence = beat(&mut store, "w1", w1).agent_fence(w1, ids[0]).unwrap();
    let w2 = store.join_watchers(&spec("w2"), TTL).unwrap();
    lapse(&store, w1);
    beat(&mut store, "w2", w2);
    let agent = ids[0];
    let written = store.all_or_nothing(|s| {
        s.ingest(agent, &doc(vec![], vec![write_event(1, "t-1")], "1"), t(1))?;
        s.check_fence(&fence)
    });
    assert!(matches!(written, Err(StoreError::Fenced { .. })));
    assert_eq!(store.event_seq_summary(agent).unwrap().0, 0);
    assert_eq!(store.cursor(agent).unwrap(), None);
}

#[test]
fn a_watcher_that_leaves_gives_everything_back_at_once() {
    let (mut store, ids) = with_agents(4);
    let w1 = store.join_watchers(&spec("w1"), TTL).unwrap();
    let w2 = store.join_watchers(&spec("w2"), TTL).unwrap();
    beat(&mut store, "w1", w1);
    beat(&mut store, "w2", w2);
    beat(&mut store, "w1", w1);
    assert_eq!(beat(&mut store, "w2", w2).agents.len(), 2);
    store.leave_watchers(w1).unwrap();
    let all = beat(&mut store, "w2", w2);
    assert_eq!(agents_of(&all), ids.iter().copied().collect());
    assert!(all.detectors.is_some());
    let view = store.watchers_view().unwrap();
    assert_eq!(view[0].id, w2, "the live first");
    assert!(view[0].live && view[0].agents.len() == 4);
    assert!(!view[1].live && view[1].left_at.is_some() && view[1].agents.is_empty());
}

#[test]
fn a_removed_agent_takes_its_lease_with_it() {
    let (mut store, ids) = with_agents(2);
    let w1 = store.join_watchers(&spec("w1"), TTL).unwrap();
    beat(&mut store, "w1", w1);
    store.remove_agent(ids[0]).unwrap();
    assert_eq!(agents_of(&beat(&mut store, "w1", w1)), [ids[1]].into());
}

#[test]
fn a_forgotten_watcher_is_written_again_by_its_next_heartbeat() {
    let (mut store, _) = with_agents(1);
    let w1 = store.join_watchers(&spec("w1"), TTL).unwrap();
    store
        .db()
        .execute("DELETE FROM watcher_runs", params![])
        .unwrap();
    let back = beat(&mut store, "w1", w1);
    assert!(back.rejoined);
    assert_eq!(store.watchers_view().unwrap()[0].id, w1);
    assert!(!beat(&mut store, "w1", w1).rejoined);
}

/// An agent's question (`key`), decided: one outbox row for it.
fn one_delivery(store: &mut Store, agent: i64, key: &str) -> i64 {
    let finding = Finding::about(
        FindingKind::NeedsApproval,
        Severity::Warning,
        vec![agent],
        "may I send the mail?",
        key,
    );
    let escalation = store.record_findings(&[finding], t(1)).unwrap().escalations[0];
    let decided = store
        .decide_escalation(escalation, &EscalationAction::Approve, None, "ana", t(2))
        .unwrap();
    decided.outbox[0]
}

#[test]
fn an_outbox_row_is_claimed_by_one_watcher_until_its_outcome_or_its_claim_lapses() {
    let (mut store, ids) = with_agents(1);
    let row = one_delivery(&mut store, ids[0], "ask-1");
    let first = store.claim_deliveries(t(3), 10, 1, TTL).unwrap();
    assert_eq!(first.iter().map(|i| i.id).collect::<Vec<_>>(), [row]);
    let claimed_by = |store: &Store| store.outbox_rows().unwrap()[0].claimed_by;
    assert_eq!(claimed_by(&store), Some(1), "the row says who delivers it");
    // Another watcher finds nothing to deliver while the claim holds, nor waits for it.
    assert!(store.claim_deliveries(t(3), 10, 2, TTL).unwrap().is_empty());
    assert_eq!(store.next_delivery_for(2).unwrap(), None);
    assert_eq!(store.next_delivery_for(1).unwrap(), Some(t(2)));
    // A failed attempt ends the claim: the row is due again at its retry time, for anyone.
    store
        .record_delivery(
            row,
            &crate::outbox::DeliveryOutcome::Failed {
                error: "refused".into(),
                retry_at: t(4),
            },
            t(3),
        )
        .unwrap();
    assert_eq!(claimed_by(&store), None);
    assert!(store.claim_deliveries(t(3), 10, 2, TTL).unwrap().is_empty());
    assert_eq!(store.claim_deliveries(t(4), 10, 2, TTL).unwrap().len(), 1);
    assert_eq!(claimed_by(&store), Some(2));
    // Watcher 2 dies mid-delivery: once its claim lapses, watcher 1 takes the row.
    store
        .db()
        .execute(
            "UPDATE outbox SET claimed_until_ms = clock_ms() - 1 WHERE id = ?1",
            params![row],
        )
        .unwrap();
    let again = store.claim_deliveries(t(4), 10, 1, TTL).unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempts, 1);
    store
        .record_delivery(
            row,
            &crate::outbox::DeliveryOutcome::Acknowledged {
                accepted: true,
                note: None,
            },
            t(5),
        )
        .unwrap();
    assert_eq!(claimed_by(&store), None, "delivered: nobody's any more");
    assert!(store
        .claim_deliveries(t(60), 10, 2, TTL)
        .unwrap()
        .is_empty());
    // A watcher that leaves gives its claims back.
    let second = store.add_agent(&draft("Second")).unwrap().id;
    let row2 = one_delivery(&mut store, second, "ask-2");
    let w3 = store.join_watchers(&spec("w3"), TTL).unwrap();
    assert_eq!(
        store.claim_deliveries(t(8), 10, w3, TTL).unwrap()[0].id,
        row2
    );
    store.leave_watchers(w3).unwrap();
    assert_eq!(
        store.claim_deliveries(t(8), 10, 1, TTL).unwrap()[0].id,
        row2
    );
}
