//! Which reported tasks are stored as reported already (`Store::tasks_stored_as_reported`): a
//! poller's first poll of an agent sends only the others.

use std::collections::HashMap;

use baton_core::protocol::Task;
use baton_core::task::TaskState;

use super::support::*;
use super::writer::handle;
use crate::db::ReadAhead;
use crate::tasks::StoredAsReported;
use crate::{Store, StoreHandle};

#[test]
fn tasks_stored_as_reported_are_told_apart_from_changed_and_new_ones() {
    let (mut store, id) = store_with_agent();
    let mut long = task("long", TaskState::Working);
    long.detail = Some("a detail long enough to be kept once in texts ".repeat(8));
    let mut given = task("given", TaskState::Submitted);
    given.state_since = Some(t(-100));
    let stored = vec![
        task("same", TaskState::Working),
        task("moved", TaskState::Working),
        long.clone(),
        given.clone(),
        task("retitled", TaskState::Blocked),
    ];
    store.ingest(id, &doc(stored, vec![], "c1"), t(5)).unwrap();

    let mut retitled = task("retitled", TaskState::Blocked);
    retitled.title = "Another title".into();
    let mut given_later = given.clone();
    given_later.state_since = Some(t(-50));
    let mut long_changed = long.clone();
    long_changed.detail = Some("a different long detail, also kept once in texts ".repeat(8));
    let reported = |long: &baton_core::protocol::Task, given: &baton_core::protocol::Task| {
        vec![
            // Seen at another time: with no `state_since` of its own, still as stored.
            task("same", TaskState::Working),
            task("moved", TaskState::Completed),
            long.clone(),
            given.clone(),
            retitled.clone(),
            task("new", TaskState::Working),
        ]
    };
    let ids = |found: StoredAsReported| {
        let mut ids: Vec<String> = found.ids.into_iter().collect();
        ids.sort();
        ids
    };
    assert_eq!(
        ids(store
            .tasks_stored_as_reported(id, &reported(&long, &given), &HashMap::new())
            .unwrap()),
        vec!["given", "long", "same"]
    );
    assert_eq!(
        ids(store
            .tasks_stored_as_reported(id, &reported(&long_changed, &given_later), &HashMap::new())
            .unwrap()),
        vec!["same"],
        "a changed long detail and a changed state_since are changes"
    );
    let none = store
        .tasks_stored_as_reported(id, &[], &HashMap::new())
        .unwrap();
    assert_eq!(none, StoredAsReported::default());
    let other = store.add_agent(&draft("Writer")).unwrap().id;
    assert!(
        store
            .tasks_stored_as_reported(other, &reported(&long, &given), &HashMap::new())
            .unwrap()
            .ids
            .is_empty(),
        "another agent's tasks of the same ids are not these"
    );
}

/// One poll's ingest, as the engine's poll write makes it: with the digest of the text each
/// task was read from.
fn ingest_with_digests(store: &StoreHandle, id: i64, tasks: Vec<Task>, digests: &[(&str, u64)]) {
    let digests: HashMap<String, u64> = digests.iter().map(|(k, d)| (k.to_string(), *d)).collect();
    store
        .write_blocking(move |s| {
            s.writing_alone(|s| {
                let doc = doc(tasks, vec![], "c");
                let mut ahead = ReadAhead::default();
                Store::ingest_reads(id, &doc, &mut ahead);
                let mut rows = s.read_ahead(&ahead)?;
                s.ingest_read_ahead(id, &doc, &digests, t(5), &mut rows)
            })
        })
        .unwrap();
}

#[test]
fn each_task_keeps_the_digest_of_the_text_a_poll_last_wrote_it_from() {
    let (_dir, store) = handle();
    let (id, other) = store
        .write_blocking(|s| {
            let id = s.add_agent(&draft("Researcher"))?.id;
            Ok((id, s.add_agent(&draft("Writer"))?.id))
        })
        .unwrap();
    let digests = |agent: i64| {
        let found = store
            .read_blocking(move |s| s.reported_digests(agent))
            .unwrap();
        let mut found: Vec<(String, u64)> = found.into_iter().collect();
        found.sort();
        found
    };
    let kept = |pairs: &[(&str, u64)]| -> Vec<(String, u64)> {
        pairs.iter().map(|(k, d)| (k.to_string(), *d)).collect()
    };
    // All 64 bits are kept (the columns are signed); a task written without one has none.
    let tasks = vec![
        task("a", TaskState::Working),
        task("b", TaskState::Working),
        task("c", TaskState::Working),
    ];
    ingest_with_digests(&store, id, tasks, &[("a", u64::MAX), ("b", 7)]);
    assert_eq!(digests(id), kept(&[("a", u64::MAX), ("b", 7)]));
    assert!(digests(other).is_empty(), "another agent's tasks have none");

    // A changed task keeps its new text's; one written by something that read no text (an
    // ingest of a document, a coding session's turn) has none; a task reported as it is
    // stored is not written, and keeps the digest it had.
    let moved = vec![
        task("a", TaskState::Working),
        task("b", TaskState::Completed),
        task("c", TaskState::Completed),
    ];
    ingest_with_digests(&store, id, moved, &[("a", 1), ("b", 8), ("c", 9)]);
    assert_eq!(digests(id), kept(&[("a", u64::MAX), ("b", 8), ("c", 9)]));
    store
        .write_blocking(move |s| {
            s.ingest(
                id,
                &doc(vec![task("b", TaskState::Failed)], vec![], "d"),
                t(6),
            )
        })
        .unwrap();
    assert_eq!(digests(id), kept(&[("a", u64::MAX), ("c", 9)]));

    // A first poll's question: a task whose text's digest is the one stored is settled
    // without its row being read; the others are compared field by field (c: its text
    // changed but not what is stored of it; b: no digest, stored as reported; d: new).
    let reported = vec![
        task("a", TaskState::Working),
        task("b", TaskState::Failed),
        task("c", TaskState::Completed),
        task("d", TaskState::Working),
    ];
    let texts: HashMap<String, u64> = [("a", u64::MAX), ("b", 5), ("c", 10), ("d", 11)]
        .map(|(k, d)| (k.to_string(), d))
        .into();
    let found = store
        .read_blocking(move |s| s.tasks_stored_as_reported(id, &reported, &texts))
        .unwrap();
    let mut ids: Vec<String> = found.ids.into_iter().collect();
    ids.sort();
    assert_eq!(
        (ids, found.compared),
        (vec!["a".into(), "b".into(), "c".into()], 3)
    );
}
