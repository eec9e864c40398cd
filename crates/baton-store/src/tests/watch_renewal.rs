//! A heartbeat's renewal (`Store::renew_leases`): what it renews, when it asks for a share
//! out, and on PostgreSQL that it does not wait for the store's write lock another connection
//! holds (a poll group of another watcher), while a takeover still does (fencing).

use std::sync::mpsc;
use std::time::Duration;

use super::support::{doc, draft, fresh_store, t, write_event};
use super::watch_leases::{agents_of, lapse, spec};
use super::writer::handle;
use crate::db::params;
use crate::watch_leases::Holdings;
use crate::{Store, StoreHandle};

const TTL: i64 = 60_000;
/// Far longer than a heartbeat takes on any machine: past it, it is waiting for a lock.
const GENEROUS: Duration = Duration::from_secs(30);

fn expiries(store: &Store, watcher: i64) -> Vec<i64> {
    store
        .db()
        .query_map(
            "SELECT expires_ms FROM watch_leases WHERE watcher_id = ?1 ORDER BY subject",
            params![watcher],
            |r| r.get(0),
        )
        .unwrap()
}

#[test]
fn a_renewal_extends_the_live_leases_and_asks_for_a_share_out_only_when_something_moves() {
    let mut store = fresh_store();
    let ids: Vec<i64> = (0..4)
        .map(|i| store.add_agent(&draft(&format!("Agent {i}"))).unwrap().id)
        .collect();
    let w1 = store.join_watchers(&spec("w1"), TTL).unwrap();
    // Nothing held yet and every agent free: a share out is asked for, nothing taken here.
    let first = store.renew_leases(w1, TTL, true).unwrap();
    assert!(first.reshare && first.holdings.agents.is_empty());
    let held = store.share_out(&spec("w1"), w1, TTL, true).unwrap();
    assert_eq!(held.agents.len(), 4);
    // A renewal holds the same, in the same epochs, each lease's term moved on.
    store
        .db()
        .execute(
            "UPDATE watch_leases SET expires_ms = clock_ms() + 5000",
            params![],
        )
        .unwrap();
    let before = expiries(&store, w1);
    let renewed = store.renew_leases(w1, TTL, true).unwrap();
    assert_eq!(
        (renewed.holdings.clone(), renewed.reshare),
        (held.clone(), false)
    );
    assert!(expiries(&store, w1)
        .iter()
        .zip(&before)
        .all(|(after, before)| after > before));
    // Nothing records a change: who holds what did not move.
    let head = store.change_head().unwrap();
    store.renew_leases(w1, TTL, true).unwrap();
    assert_eq!(store.change_head().unwrap(), head);
    // A second watcher: w2 holds less than its share with nothing free, and asking for the
    // detectors w1 holds: nothing to move.
    let w2 = store.join_watchers(&spec("w2"), TTL).unwrap();
    let second = store.renew_leases(w2, TTL, true).unwrap();
    assert!(!second.reshare && second.holdings == Holdings::default());
    // w1 holds more than its share (2 of 4): its renewal offers the newest two itself,
    // without the store's lock, keeps holding (and polling) them, and records no change
    // (w2's taking them will).
    let head = store.change_head().unwrap();
    let old_fence = held.agent_fence(w1, ids[3]).unwrap();
    let over = store.renew_leases(w1, TTL, true).unwrap();
    assert!(!over.reshare);
    assert_eq!(over.offered, 2);
    assert_eq!(over.holdings.agents, held.agents, "offered, still held");
    assert_eq!(over.holdings.offered, ids[2..]);
    assert_eq!(store.change_head().unwrap(), head);
    store.check_fence(&old_fence).unwrap();
    // Offered once: the next renewals offer nothing new.
    assert_eq!(store.renew_leases(w1, TTL, true).unwrap().offered, 0);
    assert_eq!(
        store.share_out(&spec("w1"), w1, TTL, true).unwrap(),
        over.holdings,
        "nothing more to move for w1"
    );
    // Two are offered: w2 is asked to take them, and w1 has its share.
    assert!(store.renew_leases(w2, TTL, false).unwrap().reshare);
    assert!(!store.renew_leases(w1, TTL, true).unwrap().reshare);
    let taken = store.heartbeat(&spec("w2"), w2, TTL, false).unwrap();
    assert_eq!(agents_of(&taken), ids[2..].iter().copied().collect());
    assert!(taken.offered.is_empty());
    assert!(taken.agents.iter().all(|(_, epoch)| *epoch == 2));
    assert!(store.change_head().unwrap() > head, "the take is a change");
    // w1's writes for them are refused from the take on; it holds its share.
    assert!(store.check_fence(&old_fence).is_err());
    let after = store.renew_leases(w1, TTL, true).unwrap();
    assert_eq!(
        agents_of(&after.holdings),
        ids[..2].iter().copied().collect()
    );
    assert!(after.holdings.offered.is_empty() && after.offered == 0);
    assert!(!store.renew_leases(w2, TTL, false).unwrap().reshare);
    // A lapsed lease is not renewed: it is lost, and another takes it.
    store
        .db()
        .execute(
            "UPDATE watch_leases SET expires_ms = clock_ms() - 1 WHERE agent_id = ?1",
            params![ids[3]],
        )
        .unwrap();
    let lost = store.renew_leases(w2, TTL, false).unwrap();
    assert_eq!(lost.holdings.agents.len(), 1);
    assert!(
        lost.reshare,
        "its own lapsed agent is free: take it again, next epoch"
    );
    // Its row forgotten: a share out writes it again.
    store
        .db()
        .execute("DELETE FROM watcher_runs WHERE id = ?1", params![w1])
        .unwrap();
    assert!(store.renew_leases(w1, TTL, true).unwrap().reshare);
    assert!(
        store
            .heartbeat(&spec("w1"), w1, TTL, true)
            .unwrap()
            .rejoined
    );
}

/// Sends `work`'s outcome back from a thread of its own (an async write waited on there).
fn in_thread<T: Send + 'static>(
    work: impl std::future::Future<Output = T> + Send + 'static,
) -> mpsc::Receiver<T> {
    let (done, outcome) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(futures_executor::block_on(work));
    });
    outcome
}

/// A heartbeat of watcher `id` (`name`) in `handle`'s urgent lane, from a thread of its own.
fn heartbeat_in_thread(
    handle: &StoreHandle,
    name: &'static str,
    id: i64,
) -> mpsc::Receiver<crate::Result<Holdings>> {
    let urgent = handle.clone();
    in_thread(async move {
        urgent
            .write_urgent(move |s| s.heartbeat(&spec(name), id, TTL, true))
            .await
    })
}

/// Holds the writer of `handle` inside a poll's write (an agent's document stored): its
/// transaction holds the store's write lock until the returned sender says go.
fn poll_holding_the_lock(
    handle: &StoreHandle,
    agent: i64,
) -> (mpsc::Sender<()>, mpsc::Receiver<()>) {
    let (go, wait) = mpsc::channel::<()>();
    let (holding, held) = mpsc::channel::<()>();
    let (ended, end) = mpsc::channel::<()>();
    let write = handle.writer().submit(move |s| {
        s.ingest(agent, &doc(vec![], vec![write_event(1, "t-1")], "1"), t(1))?;
        s.db()
            .query_row("SELECT 1", params![], |r| r.get::<i64>(0))?;
        holding.send(()).ok();
        wait.recv().ok();
        Ok(())
    });
    std::thread::spawn(move || {
        let _ = write.blocking_recv();
        ended.send(()).ok();
    });
    held.recv().unwrap();
    (go, end)
}

fn advisory_locks_held(store: &Store) -> i64 {
    store
        .db()
        .query_row(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted
               AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            params![],
            |r| r.get(0),
        )
        .unwrap()
}

#[test]
fn on_postgres_a_heartbeat_renews_while_a_poll_holds_the_write_lock_and_a_takeover_waits() {
    if baton_testdb::engine() != baton_testdb::Engine::Postgres {
        // SQLite has one writer lock for the file: there the heartbeat goes to the front of
        // the writer's queue instead (`tests::writer`).
        return;
    }
    let (_dir, handle) = handle();
    let location = handle.location().clone();
    let mut other = Store::open_at(&location).unwrap();
    let ids: Vec<i64> = (0..3)
        .map(|i| other.add_agent(&draft(&format!("Agent {i}"))).unwrap().id)
        .collect();
    let w1 = other.join_watchers(&spec("w1"), TTL).unwrap();
    let held = other.heartbeat(&spec("w1"), w1, TTL, true).unwrap();
    assert_eq!(held.agents.len(), 3);
    // w2 joins now (joining takes the store's write lock), and stays silent until later.
    let w2 = other.join_watchers(&spec("w2"), TTL).unwrap();
    lapse(&other, w2);
    handle.open_urgent_lane().unwrap();

    // A poll's write of this process holds the store's write lock (as another watcher's
    // poll group would): w1's heartbeat renews all the same.
    let (go, ended) = poll_holding_the_lock(&handle, ids[0]);
    assert_eq!(advisory_locks_held(&other), 1, "the poll holds the lock");
    let renewed = heartbeat_in_thread(&handle, "w1", w1)
        .recv_timeout(GENEROUS)
        .expect("the heartbeat waited for the poll's write lock")
        .unwrap();
    assert_eq!(renewed, held);
    // w2 comes alive (its renewal needs no lock either): w1 is over its share and offers one,
    // still without waiting.
    other.renew_leases(w2, TTL, false).unwrap();
    let over = heartbeat_in_thread(&handle, "w1", w1)
        .recv_timeout(GENEROUS)
        .expect("offering waited for the poll's write lock")
        .unwrap();
    assert_eq!((over.agents.len(), over.offered.len()), (3, 1));
    assert_eq!(advisory_locks_held(&other), 1, "the poll still holds it");

    // w1 goes silent; w2's heartbeat is a takeover: it waits for the poll's commit (a fenced
    // write checked its lease under the lock: nobody takes it before that write ends).
    lapse(&other, w1);
    let takeover = heartbeat_in_thread(&handle, "w2", w2);
    assert!(
        takeover.recv_timeout(Duration::from_secs(1)).is_err(),
        "a takeover went ahead while another write held the store's lock"
    );
    go.send(()).unwrap();
    ended.recv_timeout(GENEROUS).unwrap();
    let taken = takeover.recv_timeout(GENEROUS).unwrap().unwrap();
    assert_eq!(taken.agents.len(), 3);
    assert!(taken.agents.iter().all(|(_, epoch)| *epoch == 2));
    assert_eq!(taken.detectors, Some(2));
}

#[test]
fn on_postgres_a_take_that_cannot_have_the_write_lock_in_time_is_put_off_with_nothing_changed() {
    if baton_testdb::engine() != baton_testdb::Engine::Postgres {
        // SQLite's writer lock is taken as by any write (the heartbeat is first in the queue).
        return;
    }
    let (_dir, handle) = handle();
    let location = handle.location().clone();
    let mut other = Store::open_at(&location).unwrap();
    let ids: Vec<i64> = (0..2)
        .map(|i| other.add_agent(&draft(&format!("Agent {i}"))).unwrap().id)
        .collect();
    let w1 = other.join_watchers(&spec("w1"), TTL).unwrap();
    handle.open_urgent_lane().unwrap();
    let (go, ended) = poll_holding_the_lock(&handle, ids[0]);
    let wait = Duration::from_millis(200);
    let (sent, answer) = mpsc::channel();
    std::thread::spawn(move || {
        let mut taker = Store::open_at(&location).unwrap();
        let put_off = taker.try_share_out(&spec("w1"), w1, TTL, true, wait);
        // The connection is usable at once after, and a renewal needs no lock.
        let renewal = taker.renew_leases(w1, TTL, true);
        sent.send((put_off, renewal)).ok();
    });
    let (put_off, renewal) = answer
        .recv_timeout(GENEROUS)
        .expect("the take waited for the lock past its bound");
    assert_eq!(
        put_off.expect("a take that waited its most is put off, not failed"),
        None
    );
    assert!(expiries(&other, w1).is_empty(), "nothing was taken");
    let renewal = renewal.unwrap();
    assert!(renewal.reshare && renewal.holdings.agents.is_empty());
    go.send(()).unwrap();
    ended.recv_timeout(GENEROUS).unwrap();
    let taken = other
        .try_share_out(&spec("w1"), w1, TTL, true, wait)
        .unwrap()
        .expect("the lock is free: the take goes ahead");
    assert_eq!(taken.agents.len(), 2);
    assert_eq!(taken.detectors, Some(1));
}

#[test]
fn a_change_recorded_without_the_store_write_lock_is_refused() {
    let mut store = fresh_store();
    let tx = store.write_tx_unlocked().unwrap();
    let recorded = crate::changes::record(&tx, crate::changes::ChangeKind::Watchers, 1, "");
    match baton_testdb::engine() {
        // One writer lock for the file: every write transaction holds it.
        baton_testdb::Engine::Sqlite => recorded.unwrap(),
        baton_testdb::Engine::Postgres => {
            let err = recorded.unwrap_err().to_string();
            assert!(err.contains("without the store's write lock"), "{err}");
        }
    }
}
