use baton_core::protocol::{Declares, Event, EventKind};
use baton_core::task::{BoardColumn, TaskState};

use super::support::*;
use crate::{Store, StoreError};

#[test]
fn tasks_appear_with_their_fields() {
    let (mut store, id) = store_with_agent();
    let mut t1 = task("t1", TaskState::Working);
    t1.depends_on = vec!["t0".into()];
    t1.detail = Some("drafting".into());
    t1.reads = vec!["crm://contacts/*".into()];
    let mut t2 = task("t2", TaskState::Submitted);
    t2.state_since = Some(t(-100));
    let summary = store
        .ingest(id, &doc(vec![t1, t2], vec![], "c1"), t(5))
        .unwrap();

    let cards = store.task_cards(Some(id)).unwrap();
    assert_eq!(
        summary.changed_tasks, cards,
        "changed cards as task_cards has them"
    );
    assert_eq!(
        cards.iter().map(|c| c.task_id.as_str()).collect::<Vec<_>>(),
        vec!["t2", "t1"],
        "ordered by state_since"
    );
    let (c2, c1) = (&cards[0], &cards[1]);
    assert_eq!(c2.state_since, t(-100), "the agent's state_since is kept");
    assert_eq!(c2.column, BoardColumn::Queued);
    assert_eq!(
        c1.state_since,
        t(5),
        "else the time Baton first saw the state"
    );
    assert_eq!(c1.updated_at, t(5));
    assert_eq!(c1.agent_name, "Researcher");
    assert_eq!(c1.depends_on, vec!["t0".to_string()]);
    assert_eq!(c1.detail.as_deref(), Some("drafting"));
    assert_eq!(c1.column, BoardColumn::Working);
    assert_eq!(store.cursor(id).unwrap().as_deref(), Some("c1"));
}

#[test]
fn a_second_identical_ingest_changes_nothing() {
    let (mut store, id) = store_with_agent();
    let mut d = doc(
        vec![
            task("t1", TaskState::Working),
            task("t2", TaskState::Blocked),
        ],
        vec![
            write_event(1, "t1"),
            write_event(2, "t2"),
            write_event(3, "t1"),
        ],
        "c3",
    );
    d.usage = vec![usage("openai", 0, 10)];
    let first = store.ingest(id, &d, t(0)).unwrap();
    assert_eq!(first.changed_tasks.len(), 2);
    assert_eq!(
        (first.new_events, first.duplicate_events, first.new_usage),
        (3, 0, 1)
    );

    let cards_before = store.task_cards(None).unwrap();
    let second = store.ingest(id, &d, t(60)).unwrap();
    assert!(second.changed_tasks.is_empty(), "{second:?}");
    assert_eq!(
        (second.new_events, second.duplicate_events, second.new_usage),
        (0, 3, 0)
    );
    assert!(second.is_empty());
    assert_eq!(
        store.task_cards(None).unwrap(),
        cards_before,
        "updated_at not touched"
    );
    assert_eq!(rows(&store, "tasks"), 2);
    assert_eq!(rows(&store, "events"), 3);
    assert_eq!(rows(&store, "usage_samples"), 1);
}

#[test]
fn redelivered_events_are_ignored_while_new_ones_in_the_same_doc_are_stored() {
    let (mut store, id) = store_with_agent();
    store
        .ingest(
            id,
            &doc(
                vec![],
                vec![write_event(1, "t1"), write_event(2, "t1")],
                "c2",
            ),
            t(0),
        )
        .unwrap();
    // The agent re-sends 2 (its cursor was not passed yet), plus 3 and 4; 2 comes with other
    // content, which must not overwrite what was stored.
    let mut changed_two = write_event(2, "t1");
    changed_two.resource = Some("crm://contacts/other".into());
    let summary = store
        .ingest(
            id,
            &doc(
                vec![],
                vec![changed_two, write_event(3, "t1"), write_event(4, "t1")],
                "c4",
            ),
            t(1),
        )
        .unwrap();
    assert_eq!((summary.new_events, summary.duplicate_events), (2, 1));
    assert_eq!(store.event_count(id).unwrap(), 4);
    let events = store.task_events(id, "t1", 10).unwrap();
    assert_eq!(
        events.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![1, 2, 3, 4]
    );
    assert_eq!(
        events[1].resource.as_deref(),
        Some("crm://contacts/2"),
        "first delivery kept"
    );
    // The same seq from another agent is another event.
    let other = store.add_agent(&draft("Writer")).unwrap().id;
    let s = store
        .ingest(other, &doc(vec![], vec![write_event(1, "t1")], "c1"), t(2))
        .unwrap();
    assert_eq!((s.new_events, s.duplicate_events), (1, 0));
}

#[test]
fn a_state_change_moves_state_since_and_other_changes_do_not() {
    let (mut store, id) = store_with_agent();
    let card = |store: &Store| store.task_cards(Some(id)).unwrap().remove(0);
    store
        .ingest(
            id,
            &doc(vec![task("t1", TaskState::Submitted)], vec![], "c"),
            t(0),
        )
        .unwrap();
    assert_eq!(card(&store).state_since, t(0));

    // Same state, new detail: changed (updated_at moves), state_since stays.
    let mut working = task("t1", TaskState::Submitted);
    working.detail = Some("queued behind t0".into());
    let s = store
        .ingest(id, &doc(vec![working], vec![], "c"), t(10))
        .unwrap();
    assert_eq!(s.changed_tasks.len(), 1);
    assert_eq!(
        (card(&store).state_since, card(&store).updated_at),
        (t(0), t(10))
    );

    // State changes: state_since moves to when Baton saw it.
    let s = store
        .ingest(
            id,
            &doc(vec![task("t1", TaskState::Working)], vec![], "c"),
            t(20),
        )
        .unwrap();
    assert_eq!(s.changed_tasks[0].state, TaskState::Working);
    assert_eq!(s.changed_tasks[0].state_since, t(20));
    assert_eq!(card(&store).state_since, t(20));

    // Unchanged afterwards: nothing moves.
    let s = store
        .ingest(
            id,
            &doc(vec![task("t1", TaskState::Working)], vec![], "c"),
            t(30),
        )
        .unwrap();
    assert!(s.changed_tasks.is_empty());
    assert_eq!(
        (card(&store).state_since, card(&store).updated_at),
        (t(20), t(20))
    );

    // The agent's own state_since wins, even on a state change.
    let mut done = task("t1", TaskState::Completed);
    done.state_since = Some(t(25));
    store
        .ingest(id, &doc(vec![done], vec![], "c"), t(40))
        .unwrap();
    assert_eq!(card(&store).state_since, t(25));
    assert_eq!(card(&store).column, BoardColumn::Done);
}

#[test]
fn every_task_state_and_event_kind_fits_the_schema() {
    let (mut store, id) = store_with_agent();
    let tasks = TaskState::ALL
        .iter()
        .map(|s| task(s.as_str(), *s))
        .collect();
    let events: Vec<Event> = EventKind::ALL
        .iter()
        .enumerate()
        .map(|(i, kind)| Event {
            kind: *kind,
            ..write_event(i as u64 + 1, "t")
        })
        .collect();
    let s = store.ingest(id, &doc(tasks, events, "c"), t(0)).unwrap();
    assert_eq!(s.changed_tasks.len(), TaskState::ALL.len());
    assert_eq!(s.new_events as usize, EventKind::ALL.len());
    let kinds: Vec<EventKind> = store
        .task_events(id, "t", 100)
        .unwrap()
        .iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, EventKind::ALL.to_vec());
}

#[test]
fn usage_windows_are_upserted_and_the_latest_numbers_win() {
    let (mut store, id) = store_with_agent();
    let mut d = doc(vec![], vec![], "c");
    let mut keyed = usage("openai", 0, 1);
    keyed.key = Some("team-a".into());
    d.usage = vec![usage("openai", 0, 5), usage("openai", 60, 2), keyed];
    assert_eq!(store.ingest(id, &d, t(0)).unwrap().new_usage, 3);

    d.usage = vec![usage("openai", 60, 7), usage("openai", 0, 5)];
    assert_eq!(
        store.ingest(id, &d, t(90)).unwrap().new_usage,
        1,
        "only the window that moved"
    );
    let samples = store.usage_samples(Some(id)).unwrap();
    assert_eq!(samples.len(), 3);
    let second = samples.iter().find(|s| s.window_start == t(60)).unwrap();
    assert_eq!(
        (second.requests, second.tokens, second.reported_at),
        (7, 700, t(90))
    );
    let first = samples
        .iter()
        .find(|s| s.window_start == t(0) && s.key.is_none())
        .unwrap();
    assert_eq!((first.requests, first.reported_at), (5, t(0)));
    assert!(samples.iter().any(|s| s.key.as_deref() == Some("team-a")));
}

/// Everything an ingest can leave behind, to compare before and after a failed one.
fn snapshot(store: &Store, id: i64) -> (Vec<i64>, Option<String>, usize, u64, String) {
    let counts = ["tasks", "events", "usage_samples", "manifests"]
        .iter()
        .map(|t| rows(store, t))
        .collect();
    let row = store.agent_row(id).unwrap();
    (
        counts,
        store.cursor(id).unwrap(),
        store.task_cards(None).unwrap().len(),
        store.event_count(id).unwrap(),
        format!(
            "{:?}{:?}{:?}",
            row.remote_id,
            store.task_cards(None).unwrap(),
            store.manifests().unwrap()
        ),
    )
}

fn earlier_data(store: &mut Store, id: i64) {
    store.ingest(id, &some_data(), t(0)).unwrap();
}

/// A document that changes every table: t1 moves, t2 is new, 3 new events, usage moves, a
/// manifest is declared.
fn next_doc() -> baton_core::protocol::StatusDocument {
    let mut d = doc(
        vec![
            task("t1", TaskState::Completed),
            task("t2", TaskState::Working),
        ],
        vec![
            write_event(2, "t1"),
            write_event(3, "t2"),
            write_event(4, "t2"),
        ],
        "c4",
    );
    d.agent.id = "someone-else".into();
    d.agent.declares = Some(Declares {
        writes: vec!["file:///research/**".into()],
        ..Declares::default()
    });
    d.usage = vec![usage("openai", 0, 9), usage("anthropic", 0, 1)];
    d
}

#[test]
fn a_failure_just_before_commit_leaves_nothing_of_that_ingest() {
    let (mut store, id) = store_with_agent();
    earlier_data(&mut store, id);
    let before = snapshot(&store, id);

    fail_next_commit();
    let err = store.ingest(id, &next_doc(), t(10)).unwrap_err();
    assert!(err.to_string().contains("injected"), "{err}");
    assert_eq!(snapshot(&store, id), before);

    // The same document then goes through whole: the failure hid real changes.
    let s = store.ingest(id, &next_doc(), t(10)).unwrap();
    assert_eq!(
        (s.changed_tasks.len(), s.new_events, s.new_usage),
        (2, 2, 2)
    );
    assert!(s.manifest_changed);
    assert_ne!(snapshot(&store, id), before);
}

#[test]
fn a_bad_event_midway_leaves_nothing_of_that_ingest() {
    let (mut store, id) = store_with_agent();
    earlier_data(&mut store, id);
    let before = snapshot(&store, id);

    // Tasks, cursor and the first events are written before the bad seq is reached.
    let mut d = next_doc();
    d.events.push(write_event(u64::MAX, "t2"));
    let err = store.ingest(id, &d, t(10)).unwrap_err();
    assert!(matches!(err, StoreError::InvalidDocument(_)), "{err:?}");
    assert_eq!(err.code(), "invalid_document");
    assert_eq!(snapshot(&store, id), before);
}

#[test]
fn a_check_violation_in_the_last_row_leaves_nothing_of_that_ingest() {
    let (mut store, id) = store_with_agent();
    earlier_data(&mut store, id);
    let before = snapshot(&store, id);

    // parse_status refuses window_seconds = 0; the schema refuses it too, after every task and
    // event of this document has been written.
    let mut d = next_doc();
    d.usage.push(baton_core::protocol::UsageReport {
        window_seconds: 0,
        ..usage("github", 0, 1)
    });
    let err = store.ingest(id, &d, t(10)).unwrap_err();
    assert!(
        matches!(err, StoreError::Sqlite(_) | StoreError::Postgres(_)),
        "{err:?}"
    );
    assert!(err.to_string().to_lowercase().contains("check"), "{err}");
    assert_eq!(snapshot(&store, id), before);
}

#[test]
fn the_event_row_is_the_event_as_sent_with_a_summary() {
    let (mut store, id) = store_with_agent();
    let state = Event {
        kind: EventKind::State,
        state: Some(TaskState::Blocked),
        resource: None,
        ..write_event(2, "t1")
    };
    store
        .ingest(
            id,
            &doc(vec![], vec![write_event(1, "t1"), state.clone()], "c"),
            t(0),
        )
        .unwrap();
    let rows = store.task_events(id, "t1", 10).unwrap();
    assert_eq!(rows[0].summary, "wrote crm://contacts/1");
    assert_eq!(rows[1].summary, "state → blocked");
    assert_eq!(rows[1].raw, serde_json::to_value(&state).unwrap());
    assert_eq!(rows[1].at, state.at);
    assert_eq!(rows[1].agent_id, id);
    assert_eq!(rows[1].resource, None);
    assert_eq!(rows[1].task_id.as_deref(), Some("t1"));
}
