//! Which reported tasks are stored as reported already (`Store::tasks_stored_as_reported`): a
//! poller's first poll of an agent sends only the others.

use std::collections::HashSet;

use baton_core::task::TaskState;

use super::support::*;

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
    let ids = |set: HashSet<String>| {
        let mut ids: Vec<String> = set.into_iter().collect();
        ids.sort();
        ids
    };
    assert_eq!(
        ids(store
            .tasks_stored_as_reported(id, &reported(&long, &given))
            .unwrap()),
        vec!["given", "long", "same"]
    );
    assert_eq!(
        ids(store
            .tasks_stored_as_reported(id, &reported(&long_changed, &given_later))
            .unwrap()),
        vec!["same"],
        "a changed long detail and a changed state_since are changes"
    );
    assert!(store.tasks_stored_as_reported(id, &[]).unwrap().is_empty());
    let other = store.add_agent(&draft("Writer")).unwrap().id;
    assert!(
        store
            .tasks_stored_as_reported(other, &reported(&long, &given))
            .unwrap()
            .is_empty(),
        "another agent's tasks of the same ids are not these"
    );
}
