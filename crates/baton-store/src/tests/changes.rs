//! The change feed: each write says what it changed, numbered in commit order; a reader that
//! comes back after its last number misses nothing, with several writers at once; retention
//! prunes it and a reader left behind is told; on PostgreSQL a commit wakes a listener.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use baton_core::detect::{Finding, FindingKind, Severity};
use baton_core::escalations::EscalationAction;
use baton_core::rules::{Rule, RuleKind};
use baton_core::task::TaskState;

use super::support::*;
use crate::changes::{Change, ChangeKind, ChangeListener, READ_LIMIT};
use crate::{Store, StoreHandle};

fn kinds(changes: &[Change]) -> Vec<(ChangeKind, i64, String)> {
    changes
        .iter()
        .map(|c| (c.kind, c.ref_id, c.ref_key.clone()))
        .collect()
}

fn question(agent: i64, key: &str) -> Finding {
    Finding::about(
        FindingKind::NeedsApproval,
        Severity::Warning,
        vec![agent],
        format!("Researcher asks: {key}?"),
        key,
    )
}

#[test]
fn each_write_says_what_it_changed_in_commit_order() {
    let mut store = fresh_store();
    assert_eq!(store.change_head().unwrap(), 0);
    let agent = store.add_agent(&draft("Researcher")).unwrap().id;
    let after_add = store.change_head().unwrap();
    store.ingest(agent, &some_data(), t(3)).unwrap();
    let item = store
        .record_findings(&[question(agent, "ask-1")], t(4))
        .unwrap()
        .escalations[0];
    let decided = store
        .decide_escalation(item, &EscalationAction::Approve, None, "ana", t(5))
        .unwrap();
    store
        .add_rule(
            &Rule::new(RuleKind::Data, "crm://contacts/*", "Researcher"),
            "ana",
        )
        .unwrap();

    let read = store.changes_after(0, READ_LIMIT).unwrap();
    assert!(!read.lost);
    assert_eq!(read.through, store.change_head().unwrap());
    // Each write is one number, and its rows come together.
    let numbers: BTreeSet<i64> = read.changes.iter().map(|c| c.seq).collect();
    assert_eq!(numbers.len(), 5, "{:?}", read.changes);
    assert!(read.changes.windows(2).all(|w| w[0].seq <= w[1].seq));
    let by_number = |n: usize| {
        let seq = *numbers.iter().nth(n).unwrap();
        let rows: Vec<Change> = read
            .changes
            .iter()
            .filter(|c| c.seq == seq)
            .cloned()
            .collect();
        kinds(&rows)
    };
    assert_eq!(by_number(0), [(ChangeKind::Agent, agent, String::new())]);
    assert_eq!(
        by_number(1),
        [
            (ChangeKind::Events, agent, String::new()),
            (ChangeKind::Task, agent, "t1".into()),
        ]
    );
    assert_eq!(
        by_number(2),
        [(ChangeKind::EscalationOpened, item, String::new())]
    );
    assert_eq!(
        by_number(3),
        [
            (ChangeKind::Decision, decided.decision.seq, String::new()),
            (ChangeKind::EscalationChanged, item, String::new()),
        ]
    );
    let rules = by_number(4);
    assert!(
        rules.contains(&(ChangeKind::Rules, 0, String::new())),
        "{rules:?}"
    );
    assert!(read.changes.iter().all(|c| c.origin == store.origin()));

    // From a number on: only what came after it.
    let later = store.changes_after(after_add, READ_LIMIT).unwrap();
    assert_eq!(later.changes.len(), read.changes.len() - 1);
    assert!(store
        .changes_after(read.through, READ_LIMIT)
        .unwrap()
        .changes
        .is_empty());

    // A poll that changes nothing a view shows records nothing.
    let head = store.change_head().unwrap();
    store.ingest(agent, &some_data(), t(6)).unwrap();
    assert_eq!(store.change_head().unwrap(), head);
}

#[test]
fn a_health_change_is_recorded_and_a_steady_poll_is_not() {
    let (mut store, agent) = store_with_agent();
    let up = baton_core::agent::AgentHealth::default().succeeded(t(1), 12);
    store.record_health(agent, &up).unwrap();
    let head = store.change_head().unwrap();
    let read = store.changes_after(0, READ_LIMIT).unwrap();
    assert!(kinds(&read.changes).contains(&(ChangeKind::Health, agent, String::new())));
    // Up again, a little later: nothing a person sees moved (the head may move: a number
    // nobody uses).
    store.record_health(agent, &up.succeeded(t(2), 15)).unwrap();
    assert!(store
        .changes_after(head, READ_LIMIT)
        .unwrap()
        .changes
        .is_empty());
    let down = up.failed(t(3), String::from("connection refused"));
    store.record_health(agent, &down).unwrap();
    let read = store.changes_after(head, READ_LIMIT).unwrap();
    assert_eq!(
        kinds(&read.changes),
        [(ChangeKind::Health, agent, String::new())]
    );
}

#[test]
fn a_write_rolled_back_records_nothing_and_its_batch_neighbours_do() {
    let (store, agent) = store_with_agent();
    let handle = StoreHandle::from_store(store).unwrap();
    let head = handle.write_blocking(|s| s.change_head()).unwrap();
    // Three writes in one batch: the middle one fails after recording its change.
    let a = handle.writer().submit(move |s| {
        s.ingest(
            agent,
            &doc(vec![task("a", TaskState::Working)], vec![], "1"),
            t(1),
        )
    });
    let b = handle.writer().submit(move |s| {
        s.ingest(
            agent,
            &doc(vec![task("b", TaskState::Working)], vec![], "2"),
            t(2),
        )?;
        Err::<(), _>(crate::StoreError::Writer("refused on purpose".into()))
    });
    let c = handle.writer().submit(move |s| {
        s.ingest(
            agent,
            &doc(vec![task("c", TaskState::Working)], vec![], "3"),
            t(3),
        )
    });
    futures_executor::block_on(a).unwrap().unwrap();
    assert!(futures_executor::block_on(b).unwrap().is_err());
    futures_executor::block_on(c).unwrap().unwrap();
    let read = handle
        .write_blocking(move |s| s.changes_after(head, READ_LIMIT))
        .unwrap();
    let tasks: Vec<String> = read.changes.iter().map(|c| c.ref_key.clone()).collect();
    assert_eq!(tasks, ["a", "c"]);
}

/// Writers on handles of their own (other processes, as far as the database knows) store
/// tasks as fast as they can; a reader reads the feed after its last number, opening a new
/// connection every few reads. It sees every task once, never a number below one it passed.
#[test]
fn a_reader_that_reconnects_misses_nothing_with_writers_at_once() {
    const WRITERS: i64 = 4;
    const TASKS: i64 = 60;
    let dir = tempfile::tempdir().unwrap();
    let location = shared_location(&dir);
    let mut setup = Store::open_at(&location).unwrap();
    let agents: Vec<i64> = (0..WRITERS)
        .map(|w| setup.add_agent(&draft(&format!("writer {w}"))).unwrap().id)
        .collect();
    let start = setup.change_head().unwrap();
    drop(setup);

    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let (location, done) = (location.clone(), Arc::clone(&done));
        std::thread::spawn(move || {
            let mut seen: Vec<Change> = Vec::new();
            let mut last = start;
            let mut reads = 0;
            let mut store = Store::open_at(&location).unwrap();
            loop {
                let finished = done.load(Ordering::SeqCst);
                let read = store.changes_after(last, 7).unwrap();
                assert!(!read.lost);
                assert!(read.through >= last);
                assert!(
                    read.changes.iter().all(|c| c.seq > last),
                    "a number came back"
                );
                seen.extend(read.changes);
                last = read.through;
                reads += 1;
                if reads % 5 == 0 {
                    store = Store::open_at(&location).unwrap();
                }
                if finished && store.changes_after(last, 7).unwrap().changes.is_empty() {
                    return seen;
                }
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        })
    };
    let writers: Vec<_> = agents
        .iter()
        .enumerate()
        .map(|(w, &agent)| {
            let location = location.clone();
            std::thread::spawn(move || {
                // Half write through a handle (group commit), half one transaction each.
                if w % 2 == 0 {
                    let handle = StoreHandle::open_at(&location, 1).unwrap();
                    let pending: Vec<_> = (0..TASKS)
                        .map(|i| {
                            let d = doc(
                                vec![task(&format!("w{w}-{i}"), TaskState::Working)],
                                vec![],
                                &i.to_string(),
                            );
                            handle.writer().submit(move |s| s.ingest(agent, &d, t(i)))
                        })
                        .collect();
                    for p in pending {
                        futures_executor::block_on(p).unwrap().unwrap();
                    }
                } else {
                    let mut store = Store::open_at(&location).unwrap();
                    for i in 0..TASKS {
                        let d = doc(
                            vec![task(&format!("w{w}-{i}"), TaskState::Working)],
                            vec![],
                            &i.to_string(),
                        );
                        store.ingest(agent, &d, t(i)).unwrap();
                    }
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    done.store(true, Ordering::SeqCst);
    let seen = reader.join().unwrap();
    let tasks: Vec<&str> = seen
        .iter()
        .filter(|c| c.kind == ChangeKind::Task)
        .map(|c| c.ref_key.as_str())
        .collect();
    let unique: BTreeSet<&str> = tasks.iter().copied().collect();
    assert_eq!(tasks.len(), unique.len(), "a change read twice");
    let expected: BTreeSet<String> = (0..WRITERS)
        .flat_map(|w| (0..TASKS).map(move |i| format!("w{w}-{i}")))
        .collect();
    let unique: BTreeSet<String> = unique.into_iter().map(str::to_owned).collect();
    assert_eq!(unique, expected, "a change missed");
}

#[test]
fn retention_prunes_the_feed_and_a_reader_left_behind_is_told() {
    let (mut store, agent) = store_with_agent();
    store.ingest(agent, &some_data(), t(1)).unwrap();
    let head = store.change_head().unwrap();
    assert!(store.changes_after(0, READ_LIMIT).unwrap().changes.len() >= 3);
    // Kept for a minute: nothing is that old.
    assert_eq!(store.prune_changes(60_000).unwrap(), 0);
    // Kept for no time: everything goes.
    assert!(store.prune_changes(-1).unwrap() >= 3);
    let behind = store.changes_after(0, READ_LIMIT).unwrap();
    assert!(behind.lost && behind.changes.is_empty());
    let current = store.changes_after(head, READ_LIMIT).unwrap();
    assert!(!current.lost);
    // A reader ahead of the head (the store was restored from an older backup) starts over.
    let ahead = store.changes_after(head + 100, READ_LIMIT).unwrap();
    assert!(ahead.lost && ahead.through == head, "{ahead:?}");
    // The numbers go on from where they were.
    store
        .ingest(
            agent,
            &doc(vec![task("t9", TaskState::Working)], vec![], "c9"),
            t(2),
        )
        .unwrap();
    let next = store.changes_after(head, READ_LIMIT).unwrap();
    assert_eq!(
        kinds(&next.changes),
        [(ChangeKind::Task, agent, "t9".into())]
    );
    assert!(next.through > head);
}

#[test]
fn a_poll_that_changes_many_tasks_says_so_in_one_row() {
    let (mut store, agent) = store_with_agent();
    let head = store.change_head().unwrap();
    let many = crate::changes::TASKS_NAMED + 1;
    let tasks: Vec<_> = (0..many)
        .map(|i| task(&format!("t{i}"), TaskState::Working))
        .collect();
    store.ingest(agent, &doc(tasks, vec![], "c"), t(1)).unwrap();
    let read = store.changes_after(head, READ_LIMIT).unwrap();
    assert_eq!(
        kinds(&read.changes),
        [(ChangeKind::Task, agent, String::new())]
    );
}

#[test]
fn a_transaction_of_many_rows_is_read_whole() {
    let (mut store, agent) = store_with_agent();
    let head = store.change_head().unwrap();
    let tasks: Vec<_> = (0..30)
        .map(|i| task(&format!("t{i:02}"), TaskState::Working))
        .collect();
    store.ingest(agent, &doc(tasks, vec![], "c"), t(1)).unwrap();
    store
        .ingest(
            agent,
            &doc(vec![task("u", TaskState::Working)], vec![], "d"),
            t(2),
        )
        .unwrap();
    // A limit below one transaction's rows: that transaction whole, nothing of the next.
    let first = store.changes_after(head, 10).unwrap();
    assert_eq!(first.changes.len(), 30);
    let second = store.changes_after(first.through, 10).unwrap();
    assert_eq!(
        kinds(&second.changes),
        [(ChangeKind::Task, agent, "u".into())]
    );
}

#[test]
fn on_postgresql_a_commit_wakes_a_listener() {
    let dir = tempfile::tempdir().unwrap();
    let location = shared_location(&dir);
    let mut store = Store::open_at(&location).unwrap();
    let wake = Arc::new(tokio::sync::Notify::new());
    let listener = ChangeListener::start(&location, Arc::clone(&wake)).unwrap();
    let Some(listener) = listener else {
        assert_eq!(baton_testdb::engine(), baton_testdb::Engine::Sqlite);
        return;
    };
    assert!(listener.is_listening());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    store.add_agent(&draft("Researcher")).unwrap();
    let woke = runtime.block_on(async {
        tokio::time::timeout(std::time::Duration::from_secs(10), wake.notified()).await
    });
    assert!(woke.is_ok(), "no notification within 10 s");
}
