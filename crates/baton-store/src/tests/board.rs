use baton_core::task::TaskState;
use proptest::prelude::*;

use super::support::*;

#[test]
fn task_events_are_the_latest_ones_newest_last() {
    let (mut store, id) = store_with_agent();
    // Events of t1 at seqs 1, 3, 5, ... 19; t2 in between.
    let events = (1..=20)
        .map(|seq| write_event(seq, if seq % 2 == 1 { "t1" } else { "t2" }))
        .collect();
    store.ingest(id, &doc(vec![], events, "c"), t(0)).unwrap();

    let seqs = |limit| {
        store
            .task_events(id, "t1", limit)
            .unwrap()
            .iter()
            .map(|e| e.seq)
            .collect::<Vec<_>>()
    };
    assert_eq!(seqs(3), vec![15, 17, 19]);
    assert_eq!(seqs(100), (1..=19).step_by(2).collect::<Vec<u64>>());
    assert!(seqs(0).is_empty());
    assert!(store.task_events(id, "nope", 10).unwrap().is_empty());
    assert!(store.task_events(id + 1, "t1", 10).unwrap().is_empty());
    assert_eq!(store.event_count(id).unwrap(), 20);
    assert_eq!(store.event_count(id + 1).unwrap(), 0);
}

#[test]
fn cards_of_all_agents_interleave_by_state_since() {
    let (mut store, a) = store_with_agent();
    let b = store.add_agent(&draft("Writer")).unwrap().id;
    let at = |id: &str, secs| {
        let mut x = task(id, TaskState::Working);
        x.state_since = Some(t(secs));
        x
    };
    store
        .ingest(
            a,
            &doc(vec![at("a1", 10), at("a2", 30)], vec![], "c"),
            t(100),
        )
        .unwrap();
    store
        .ingest(
            b,
            &doc(vec![at("b1", 20), at("b2", 5)], vec![], "c"),
            t(100),
        )
        .unwrap();
    let order: Vec<(String, String)> = store
        .task_cards(None)
        .unwrap()
        .into_iter()
        .map(|c| (c.agent_name, c.task_id))
        .collect();
    let names = |v: &[(&str, &str)]| -> Vec<(String, String)> {
        v.iter()
            .map(|(a, t)| (a.to_string(), t.to_string()))
            .collect()
    };
    assert_eq!(
        order,
        names(&[
            ("Writer", "b2"),
            ("Researcher", "a1"),
            ("Writer", "b1"),
            ("Researcher", "a2")
        ])
    );
    assert_eq!(store.task_cards(Some(b)).unwrap().len(), 2);
    assert!(store.task_cards(Some(b + 10)).unwrap().is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// However an agent re-delivers (overlapping batches, repeats), each seq is stored once and
    /// the counts add up.
    #[test]
    fn redelivery_never_duplicates(batches in prop::collection::vec(
        prop::collection::btree_set(1u64..60, 0..15), 1..8))
    {
        let mut store = fresh_store();
        let id = store.add_agent(&draft("Researcher")).unwrap().id;
        let mut seen = std::collections::BTreeSet::new();
        for (i, batch) in batches.iter().enumerate() {
            let events = batch.iter().map(|&seq| write_event(seq, "t1")).collect();
            let s = store.ingest(id, &doc(vec![], events, &format!("c{i}")), t(i as i64)).unwrap();
            let fresh = batch.iter().filter(|seq| !seen.contains(*seq)).count() as u32;
            prop_assert_eq!(s.new_events, fresh);
            prop_assert_eq!(s.duplicate_events, batch.len() as u32 - fresh);
            seen.extend(batch.iter().copied());
        }
        prop_assert_eq!(store.event_count(id).unwrap(), seen.len() as u64);
        let stored: Vec<u64> = store
            .task_events(id, "t1", 1_000)
            .unwrap()
            .iter()
            .map(|e| e.seq)
            .collect();
        prop_assert_eq!(stored, seen.into_iter().collect::<Vec<_>>());
    }
}

#[test]
fn the_board_holds_every_unfinished_task_and_the_latest_finished_ones() {
    let (mut store, id) = store_with_agent();
    let kept = baton_core::views::FINISHED_CARDS_KEPT;
    let mut tasks = Vec::new();
    for i in 0..(kept as i64 + 100) {
        for (prefix, state) in [("done", TaskState::Completed), ("lost", TaskState::Failed)] {
            let mut x = task(&format!("{prefix}-{i}"), state);
            x.state_since = Some(t(i));
            tasks.push(x);
        }
    }
    let mut old_and_working = task("working", TaskState::Working);
    old_and_working.state_since = Some(t(-1_000));
    tasks.push(old_and_working);
    store
        .ingest(id, &doc(tasks, vec![], "c"), t(10_000))
        .unwrap();
    for agent in [None, Some(id)] {
        let cards = store.task_cards(agent).unwrap();
        assert_eq!(cards.len(), 2 * kept + 1, "{agent:?}");
        assert_eq!(cards[0].task_id, "working", "unfinished, however old");
        let done: Vec<&str> = cards
            .iter()
            .filter(|c| c.state == TaskState::Completed)
            .map(|c| c.task_id.as_str())
            .collect();
        assert_eq!(
            done.first(),
            Some(&"done-100"),
            "the oldest 100 are left out"
        );
        assert_eq!(
            done.last().map(|d| d.to_string()),
            Some(format!("done-{}", kept + 99))
        );
    }
    assert!(store.task_cards(Some(id + 1)).unwrap().is_empty());
}
