use baton_core::task::TaskState;

use super::support::*;

/// Ten thousand tasks in one document: one transaction, read back whole (no timing asserted).
/// All unfinished: the board holds every unfinished task (and only the latest finished ones).
#[test]
fn ten_thousand_tasks_in_one_ingest() {
    let (mut store, id) = store_with_agent();
    let unfinished: Vec<TaskState> = TaskState::ALL
        .into_iter()
        .filter(|s| !s.is_terminal())
        .collect();
    let tasks: Vec<_> = (0..10_000)
        .map(|i| {
            let mut x = task(&format!("task-{i:05}"), unfinished[i % unfinished.len()]);
            // Newest first in the document, so the board order is the reverse of it.
            x.state_since = Some(t(10_000 - i as i64));
            x.depends_on = vec![format!("task-{:05}", i.saturating_sub(1))];
            x
        })
        .collect();
    let events = (1..=2_000)
        .map(|seq| write_event(seq, "task-00001"))
        .collect();
    let summary = store.ingest(id, &doc(tasks, events, "c"), t(0)).unwrap();
    assert_eq!(summary.changed_tasks.len(), 10_000);
    assert_eq!(summary.new_events, 2_000);

    let cards = store.task_cards(Some(id)).unwrap();
    assert_eq!(cards.len(), 10_000);
    assert_eq!(cards, summary.changed_tasks);
    assert_eq!(cards[0].task_id, "task-09999");
    assert_eq!(cards[9_999].task_id, "task-00000");
    assert!(cards
        .windows(2)
        .all(|w| w[0].state_since <= w[1].state_since));
    assert_eq!(store.column_counts(Some(id)).unwrap().total(), 10_000);

    let again = store.ingest(id, &doc(vec![], vec![], "c2"), t(1)).unwrap();
    assert!(again.changed_tasks.is_empty());
    assert_eq!(
        store.task_cards(None).unwrap().len(),
        10_000,
        "absent tasks are kept"
    );
}
