//! The store's memory of the past: the board replayed at a moment is the board shown then; the
//! agents as they were; the fleet timeline; the retention.

use baton_core::agent::{AgentHealth, Reachability};
use baton_core::protocol::{Event, EventKind};
use baton_core::task::TaskState;
use chrono::Duration;

use super::support::*;
use crate::db::params;
use crate::Store;

/// A poll at t(secs) with these tasks (state_since: when Baton saw them).
fn poll(store: &mut Store, id: i64, secs: i64, tasks: Vec<baton_core::protocol::Task>) {
    store
        .ingest(id, &doc(tasks, vec![], &format!("c{secs}")), t(secs))
        .unwrap();
}

fn titled(id: &str, state: TaskState, title: &str) -> baton_core::protocol::Task {
    baton_core::protocol::Task {
        title: title.into(),
        ..task(id, state)
    }
}

#[test]
fn the_board_replayed_at_a_moment_is_the_board_shown_then() {
    let (mut store, a) = store_with_agent();
    let b = store.add_agent(&draft("Writer")).unwrap().id;
    let mut shown = Vec::new();
    poll(&mut store, a, 10, vec![task("t1", TaskState::Working)]);
    shown.push((t(15), store.task_cards(None).unwrap()));
    poll(&mut store, b, 20, vec![task("w1", TaskState::Submitted)]);
    poll(
        &mut store,
        a,
        30,
        vec![titled("t1", TaskState::Blocked, "Waiting for input")],
    );
    shown.push((t(35), store.task_cards(None).unwrap()));
    poll(&mut store, a, 40, vec![task("t1", TaskState::Completed)]);
    poll(&mut store, b, 40, vec![task("w1", TaskState::Working)]);
    // Many finished tasks: the board keeps the latest of each finished column, and so does the replay.
    let done: Vec<_> = (0..60)
        .map(|i| task(&format!("d{i:02}"), TaskState::Completed))
        .collect();
    poll(&mut store, b, 50, done);
    shown.push((t(55), store.task_cards(None).unwrap()));
    poll(&mut store, b, 60, vec![task("w1", TaskState::Failed)]);
    shown.push((t(60), store.task_cards(None).unwrap()));

    for (at, board) in &shown {
        assert_eq!(&store.task_cards_at(*at).unwrap(), board, "at {at}");
    }
    // Before anything was seen: an empty board.
    assert!(store.task_cards_at(t(5)).unwrap().is_empty());
    // The title as it was then.
    let then = store.task_cards_at(t(35)).unwrap();
    assert_eq!(
        then.iter().find(|c| c.task_id == "t1").unwrap().title,
        "Waiting for input"
    );
}

#[test]
fn the_agents_are_replayed_as_they_were_with_their_tasks_counted() {
    let (mut store, a) = store_with_agent();
    poll(
        &mut store,
        a,
        10,
        vec![
            task("t1", TaskState::Working),
            task("t2", TaskState::Blocked),
        ],
    );
    let mut health = AgentHealth {
        reachability: Reachability::Up,
        last_attempt_at: Some(t(10)),
        ..AgentHealth::default()
    };
    store.record_health(a, &health).unwrap();
    health.reachability = Reachability::Down;
    health.last_attempt_at = Some(t(100));
    health.last_error = Some("connection refused".into());
    store.record_health(a, &health).unwrap();

    let then = store.agents_at(t(50)).unwrap();
    assert_eq!(then.len(), 1);
    assert_eq!(then[0].reachability, Reachability::Up);
    assert_eq!(then[0].last_error, None);
    assert_eq!(
        (then[0].task_counts.working, then[0].task_counts.blocked),
        (1, 1)
    );
    let later = store.agents_at(t(150)).unwrap();
    assert_eq!(later[0].reachability, Reachability::Down);
    assert_eq!(later[0].last_error.as_deref(), Some("connection refused"));
    // The replay frame puts them together.
    let frame = store.replay_at(t(50)).unwrap();
    assert_eq!(frame.board.len(), 2);
    assert!(!frame.compacted);
}

fn event(seq: u64, secs: i64, kind: EventKind, task: &str) -> Event {
    Event {
        task_id: Some(task.into()),
        resource: Some(format!("crm://contacts/{seq}")),
        state: (kind == EventKind::State).then_some(TaskState::Working),
        ..Event::new(seq, t(secs), kind)
    }
}

#[test]
fn the_timeline_counts_each_lanes_events_per_bucket_and_lists_them_when_few() {
    let (mut store, a) = store_with_agent();
    let b = store.add_agent(&draft("Writer")).unwrap().id;
    let events: Vec<Event> = (1..=10)
        .map(|i| {
            event(
                i,
                i as i64 * 6,
                if i % 2 == 0 {
                    EventKind::Write
                } else {
                    EventKind::Read
                },
                "t1",
            )
        })
        .collect();
    store
        .ingest(
            a,
            &doc(vec![task("t1", TaskState::Working)], events, "c"),
            t(59),
        )
        .unwrap();
    // Writer: more events than a lane lists.
    let many: Vec<Event> = (1..=500u64)
        .map(|i| event(i, 1 + (i as i64 % 59), EventKind::Write, "w"))
        .collect();
    store.ingest(b, &doc(vec![], many, "c"), t(61)).unwrap();

    let tl = store.fleet_timeline(t(0), t(60), 6, &[b, a, 999]).unwrap();
    assert_eq!((tl.bucket_ms, tl.buckets), (10_000, 6));
    assert_eq!(
        tl.lanes.iter().map(|l| l.agent_id).collect::<Vec<_>>(),
        [a, b]
    );
    let lane = &tl.lanes[0];
    // t(6) .. t(54): 9 events before t(60); the one at t(60) is past the range's end.
    assert_eq!(lane.total, 9);
    assert_eq!(lane.events.as_ref().unwrap().len(), 9);
    let first = &lane.buckets[0];
    assert_eq!(first.index, 0);
    assert_eq!(first.total, 1, "t(6)");
    assert_eq!(lane.buckets.iter().map(|b| b.total).sum::<u32>(), 9);
    assert_eq!(lane.states.len(), 1, "t1 arrived working");
    let writer = &tl.lanes[1];
    assert_eq!(writer.total, 500);
    assert!(writer.events.is_none(), "only counted");
    assert_eq!(
        writer
            .buckets
            .iter()
            .map(|b| b.counts[&EventKind::Write])
            .sum::<u32>(),
        500
    );
    // A range of a month is a week; nothing there.
    let far = store
        .fleet_timeline(
            t(0) - Duration::days(60),
            t(0) - Duration::days(30),
            100,
            &[a],
        )
        .unwrap();
    assert_eq!(far.to - far.from, Duration::days(7));
    assert_eq!(far.lanes[0].total, 0);
}

#[test]
fn retention_compacts_old_events_into_state_changes_and_the_replay_still_holds() {
    let (mut store, a) = store_with_agent();
    poll(
        &mut store,
        a,
        10,
        vec![titled("t1", TaskState::Working, "v1")],
    );
    poll(
        &mut store,
        a,
        20,
        vec![titled("t1", TaskState::Working, "v2")],
    );
    poll(
        &mut store,
        a,
        30,
        vec![titled("t1", TaskState::Completed, "v2")],
    );
    let events: Vec<Event> = (1..=5)
        .map(|i| event(i, i as i64, EventKind::Write, "t1"))
        .collect();
    store.ingest(a, &doc(vec![], events, "c"), t(31)).unwrap();
    assert_eq!(store.retention_days().unwrap(), 30);
    assert_eq!(store.compacted_before().unwrap(), None);
    let before = store.task_cards_at(t(25)).unwrap();
    assert_eq!(before[0].title, "v2");

    // Nothing is old yet.
    let nothing = store.compact(t(40)).unwrap();
    assert_eq!((nothing.events, nothing.task_versions), (0, 0));
    assert_eq!(store.compacted_before().unwrap(), None);

    let now = t(40) + Duration::days(31);
    let compacted = store.compact(now).unwrap();
    assert_eq!(compacted.events, 4, "the agent's newest event stays");
    assert_eq!(compacted.task_versions, 1, "v2 working changed no state");
    assert!(!compacted.more);
    assert_eq!(store.event_count(a).unwrap(), 1);
    assert_eq!(
        store.compacted_before().unwrap(),
        Some(now - Duration::days(30))
    );
    // The replay shows the task in the state it was: working, then completed.
    assert_eq!(
        store.task_cards_at(t(25)).unwrap()[0].state,
        TaskState::Working
    );
    assert_eq!(
        store.task_cards_at(t(35)).unwrap()[0].state,
        TaskState::Completed
    );
    assert!(store.replay_at(t(25)).unwrap().compacted);

    store.set_retention_days(90, now).unwrap();
    assert_eq!(store.retention_days().unwrap(), 90);
    let err = store.set_retention_days(0, now).unwrap_err();
    assert_eq!(err.code(), "invalid_setting");
}

#[test]
fn a_task_forgotten_is_gone_from_the_replay_from_then_on() {
    let (mut store, a) = store_with_agent();
    poll(&mut store, a, 10, vec![task("t1", TaskState::Working)]);
    store.unfollow_task(a, "t1").unwrap();
    assert_eq!(store.task_cards_at(t(20)).unwrap().len(), 1);
    assert!(store
        .task_cards_at(chrono::Utc::now() + Duration::seconds(1))
        .unwrap()
        .is_empty());
}

#[test]
fn each_task_written_is_one_version_in_its_history_on_either_engine() {
    // PostgreSQL records the history per statement (a poll's tasks in one upsert), SQLite per
    // row: the versions must be the same.
    let (mut store, a) = store_with_agent();
    let three = |t2: TaskState| {
        vec![
            task("t1", TaskState::Working),
            task("t2", t2),
            task("t3", TaskState::Submitted),
        ]
    };
    poll(&mut store, a, 10, three(TaskState::Working));
    // t2 blocked, the others as they were (not written again).
    poll(&mut store, a, 20, three(TaskState::Blocked));
    // t2 done and t3 retitled in one poll.
    let mut last = three(TaskState::Completed);
    last[2].title = "Renamed".into();
    poll(&mut store, a, 30, last);
    let versions: Vec<(String, String, String, String)> = store
        .db()
        .query_map(
            "SELECT task_id, state, title, recorded_at FROM task_history ORDER BY task_id, version",
            params![],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
        )
        .unwrap();
    // Each version dated by the poll that wrote it.
    let at = |secs| crate::codec::ts(t(secs));
    let expected = [
        ("t1", "working", "Task t1", at(10)),
        ("t2", "working", "Task t2", at(10)),
        ("t2", "blocked", "Task t2", at(20)),
        ("t2", "completed", "Task t2", at(30)),
        ("t3", "submitted", "Task t3", at(10)),
        ("t3", "submitted", "Renamed", at(30)),
    ]
    .map(|(id, state, title, at)| (id.to_owned(), state.to_owned(), title.to_owned(), at));
    assert_eq!(versions, expected);
}

/// Events of `n` writes with a payload of `bytes`, from seq `first`.
fn heavy_events(first: u64, n: u64, bytes: usize) -> Vec<Event> {
    (first..first + n)
        .map(|seq| {
            let mut e = write_event(seq, "t1");
            e.payload = Some(serde_json::json!({ "pad": "x".repeat(bytes) }));
            e
        })
        .collect()
}

#[test]
fn past_its_size_cap_the_store_drops_its_oldest_events_but_nothing_an_open_item_needs() {
    let (mut store, a) = store_with_agent();
    // 6,000 events of about 600 bytes: a few MiB.
    for page in 0..6u64 {
        let events = heavy_events(page * 1000 + 1, 1000, 500);
        store
            .ingest(
                a,
                &doc(
                    vec![task("t1", TaskState::Working)],
                    events,
                    &format!("c{page}"),
                ),
                t(page as i64),
            )
            .unwrap();
    }
    // An open finding points at event 2; the log has an entry.
    let finding = baton_core::detect::Finding {
        kind: baton_core::detect::FindingKind::OwnershipViolation,
        severity: baton_core::detect::Severity::Warning,
        agents: vec![a],
        resource: Some("crm://contacts/2".into()),
        summary: "kept".into(),
        evidence: vec![baton_core::detect::EvidenceRef {
            agent_id: a,
            seq: 2,
        }],
        dedupe_key: "kept:2".into(),
        continues: None,
    };
    store.record_findings(&[finding], t(10)).unwrap();
    store
        .append_decision(crate::NewDecision::new("ana", "note", "agent:1"))
        .unwrap();
    let before = store.store_size(t(20)).unwrap();
    assert!(before.bytes > 2 << 20, "{before:?}");
    assert!(matches!(
        store.set_retention_max_bytes(Some(1000), t(20)),
        Err(crate::StoreError::InvalidSetting {
            field: "max_size",
            ..
        })
    ));
    store.set_retention_max_bytes(Some(1 << 20), t(20)).unwrap();
    let mut rounds = 0;
    loop {
        let done = store.compact(t(30)).unwrap();
        rounds += 1;
        if !done.more {
            break;
        }
        assert!(rounds < 50, "the store never got under its cap");
    }
    let after = store.store_size(t(40)).unwrap();
    assert!(after.bytes <= 1 << 20, "{after:?}");
    assert!(after.events < before.events, "{after:?}");
    let (count, low, high, _) = store.event_seq_summary(a).unwrap();
    assert_eq!(high, 6000, "the agent's newest event stays");
    assert_eq!(low, 2, "the event the open finding points at stays");
    assert!(count < 6000);
    if store.dialect() == crate::db::Dialect::Postgres {
        // VACUUM (autovacuum, on a busy server) leaves the files their size and the
        // statistics no dead rows: the size is still what the rows take, and nothing more goes.
        store.db().execute_batch("VACUUM").unwrap();
        let vacuumed = store.store_size(t(41)).unwrap();
        assert!(vacuumed.bytes <= 1 << 20, "after VACUUM: {vacuumed:?}");
        assert_eq!(store.compact(t(42)).unwrap().events, 0, "{vacuumed:?}");
    }
    assert_eq!(rows(&store, "decisions"), 1, "the log stays whole");
    assert_eq!(
        store.verify_decisions().unwrap(),
        crate::ChainCheck::Ok { entries: 1 }
    );
    // Without a cap, nothing more goes.
    store.set_retention_max_bytes(None, t(50)).unwrap();
    assert_eq!(store.retention_max_bytes().unwrap(), None);
    assert_eq!(store.compact(t(60)).unwrap().events, 0);
}
