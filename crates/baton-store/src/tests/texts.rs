//! Long agent text is kept once (`texts`), whatever the rows that repeat it, and read back
//! whole where it was sent.

use baton_core::protocol::{Event, EventKind, Task};
use baton_core::task::TaskState;

use super::support::*;

/// A long text with a mark no other row has.
fn long_text(mark: &str) -> String {
    format!(
        "{mark}: {}",
        "please check the refund before it goes out. ".repeat(20)
    )
}

fn asks(seq: u64, message: &str) -> Event {
    Event {
        kind: EventKind::NeedsApproval,
        resource: None,
        message: Some(message.to_owned()),
        ..write_event(seq, "t1")
    }
}

fn task_with_detail(detail: &str) -> Task {
    Task {
        detail: Some(detail.to_owned()),
        ..task("t1", TaskState::InputRequired)
    }
}

#[test]
fn a_text_repeated_by_task_and_events_is_stored_once_and_read_back_whole() {
    let (mut store, id) = store_with_agent();
    let text = long_text("MARK-1");
    let first = doc(
        vec![task_with_detail(&text)],
        vec![asks(1, &text), asks(2, &text)],
        "c2",
    );
    store.ingest(id, &first, t(1)).unwrap();
    // The next poll: the same task, another event saying it again.
    let next = doc(vec![task_with_detail(&text)], vec![asks(3, &text)], "c3");
    store.ingest(id, &next, t(2)).unwrap();

    assert_eq!(store.rows_holding("MARK-1").unwrap(), ["texts.body"]);
    let cards = store.task_cards(Some(id)).unwrap();
    assert_eq!(cards[0].detail.as_deref(), Some(text.as_str()));
    let events = store.task_events(id, "t1", 10).unwrap();
    assert_eq!(events.len(), 3);
    for row in &events {
        assert_eq!(row.raw["message"], text.as_str());
        assert!(row.summary.len() < 250, "{}", row.summary);
    }
    // What the detectors read has the message too.
    let window = store.detect_window(t(0), 10).unwrap();
    assert!(window
        .events
        .iter()
        .all(|e| e.event.message.as_deref() == Some(text.as_str())));
    assert_eq!(window.tasks[0].task.detail.as_deref(), Some(text.as_str()));
}

#[test]
fn an_event_with_a_long_message_delivered_again_is_the_same_event() {
    let (mut store, id) = store_with_agent();
    let text = long_text("MARK-2");
    let events = vec![asks(1, &text)];
    store
        .ingest(id, &doc(vec![], events.clone(), "c1"), t(1))
        .unwrap();
    let again = store.ingest(id, &doc(vec![], events, "c1"), t(2)).unwrap();
    assert_eq!((again.new_events, again.duplicate_events), (0, 1));
    assert_eq!(again.reused_seqs, 0);
    // The same seq with another long message: not stored, and its text not kept.
    let other = long_text("MARK-3");
    let reused = store
        .ingest(id, &doc(vec![], vec![asks(1, &other)], "c1"), t(3))
        .unwrap();
    assert_eq!(reused.reused_seqs, 1);
    assert!(store.rows_holding("MARK-3").unwrap().is_empty());
    assert_eq!(rows(&store, "texts"), 1);
}

#[test]
fn a_text_nothing_refers_to_is_forgotten() {
    let (mut store, id) = store_with_agent();
    let (old, new) = (long_text("MARK-4"), long_text("MARK-5"));
    store
        .ingest(id, &doc(vec![task_with_detail(&old)], vec![], "c0"), t(1))
        .unwrap();
    store
        .ingest(id, &doc(vec![task_with_detail(&new)], vec![], "c0"), t(2))
        .unwrap();
    // The task's earlier version still refers to the old detail (the replay shows it), once.
    assert_eq!(store.rows_holding("MARK-4").unwrap(), ["texts.body"]);
    assert_eq!(store.rows_holding("MARK-5").unwrap(), ["texts.body"]);
    // A short detail stays in its row.
    store
        .ingest(
            id,
            &doc(vec![task_with_detail("short")], vec![], "c0"),
            t(3),
        )
        .unwrap();
    assert_eq!(rows(&store, "texts"), 2);
    assert_eq!(
        store.task_cards(Some(id)).unwrap()[0].detail.as_deref(),
        Some("short")
    );
    // Past the retention the versions that changed no state go, and their texts with them
    // (the first version, the task's arrival, stays).
    let compacted = store.compact(t(3) + chrono::Duration::days(31)).unwrap();
    assert_eq!(compacted.task_versions, 1);
    assert!(store.rows_holding("MARK-5").unwrap().is_empty());
    assert_eq!(store.rows_holding("MARK-4").unwrap(), ["texts.body"]);
    // Removing the agent takes its texts, not another agent's copy of the same.
    let other = store.add_agent(&draft("other")).unwrap().id;
    let text = long_text("MARK-6");
    for agent in [id, other] {
        store
            .ingest(agent, &doc(vec![], vec![asks(1, &text)], "c1"), t(4))
            .unwrap();
    }
    store.remove_agent(id).unwrap();
    assert_eq!(store.rows_holding("MARK-6").unwrap(), ["texts.body"]);
    store.remove_agent(other).unwrap();
    assert_eq!(rows(&store, "texts"), 0);
}
