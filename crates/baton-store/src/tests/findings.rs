//! Findings: one open row per cause, updated not duplicated; a closed cause reopens only with new
//! evidence; and what the detectors read back from what was ingested.

use baton_core::detect::{
    detect_all, DetectConfig, DetectState, EvidenceRef, Finding, FindingKind, Severity,
};
use baton_core::protocol::EventKind;
use baton_core::rules::{Rule, RuleKind};
use baton_core::task::TaskState;

use super::support::*;
use crate::detect_reads::DetectMarks;
use crate::StoreError;

fn collision(evidence: &[(i64, u64)], summary: &str) -> Finding {
    Finding {
        kind: FindingKind::WriteCollision,
        severity: Severity::Critical,
        agents: vec![1, 2],
        resource: Some("crm://contacts/1".into()),
        summary: summary.into(),
        evidence: evidence
            .iter()
            .map(|&(agent_id, seq)| EvidenceRef { agent_id, seq })
            .collect(),
        dedupe_key: "write_collision:crm://contacts/1:1,2".into(),
        continues: None,
    }
}

#[test]
fn one_open_finding_per_cause_and_closed_causes_reopen_only_with_new_evidence() {
    let (mut store, _) = store_with_agent();
    let first = store
        .record_findings(&[collision(&[(1, 1), (2, 1)], "two writers")], t(0))
        .unwrap();
    assert_eq!(first.opened.len(), 1);
    let id = first.opened[0];
    let by_id = store.findings(&[id, id + 100]).unwrap();
    assert_eq!(by_id.len(), 1, "an unknown id is left out");
    assert_eq!(by_id[0].summary, "two writers");
    // The same finding again: nothing to do.
    assert!(store
        .record_findings(&[collision(&[(1, 1), (2, 1)], "two writers")], t(1))
        .unwrap()
        .is_empty());
    // More evidence for the open cause: the same row, evidence united.
    let more = store
        .record_findings(&[collision(&[(2, 5)], "two writers again")], t(2))
        .unwrap();
    assert_eq!(more.updated, [id]);
    let open = store.open_findings().unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].evidence.len(), 3);
    assert_eq!(open[0].summary, "two writers again");
    assert_eq!((open[0].opened_at, open[0].updated_at), (t(0), t(2)));

    store.close_finding(id, t(3)).unwrap();
    assert!(store.open_findings().unwrap().is_empty());
    // Re-detecting what was closed opens nothing; a new write opens a new finding.
    assert!(store
        .record_findings(&[collision(&[(2, 5)], "two writers")], t(4))
        .unwrap()
        .is_empty());
    let again = store
        .record_findings(&[collision(&[(2, 5), (1, 9)], "two writers")], t(5))
        .unwrap();
    assert_eq!(again.opened.len(), 1);
    assert_ne!(again.opened[0], id);
    let open = store.open_findings().unwrap();
    assert_eq!(open[0].dedupe_key, "write_collision:crm://contacts/1:1,2");
    assert!(matches!(
        store.close_finding(999, t(6)),
        Err(StoreError::FindingNotFound(999))
    ));
}

#[test]
fn what_the_detectors_read_is_what_was_ingested_and_only_what_changed() {
    let mut store = fresh_store();
    let a = store.add_agent(&draft("Researcher")).unwrap().id;
    let b = store.add_agent(&draft("Writer")).unwrap().id;
    store
        .add_rule(
            &Rule::new(RuleKind::Data, "crm://contacts/*", "Researcher"),
            "ana",
        )
        .unwrap();
    // Both agents write contacts/1 within a minute; the writer has no right to.
    store
        .ingest(
            a,
            &doc(
                vec![task("r-1", TaskState::Working)],
                vec![write_event(1, "r-1")],
                "1",
            ),
            t(1),
        )
        .unwrap();
    let mut writes = write_event(1, "w-1");
    writes.at = t(30);
    store
        .ingest(
            b,
            &doc(
                vec![task("w-1", TaskState::Working)],
                vec![writes.clone()],
                "1",
            ),
            t(31),
        )
        .unwrap();

    let window = store.detect_window(t(0), 100).unwrap();
    // Received from t(2) on: only the writer's event is new; the next read starts at its time.
    let (later, marks) = store.detect_changes(DetectMarks::from(t(2))).unwrap();
    assert_eq!(later.events.len(), 1);
    assert_eq!(later.events[0].agent_id, b);
    assert_eq!(later.tasks.len(), 1, "the writer's task changed at t(31)");
    assert_eq!(marks, DetectMarks::from(t(31)));
    let (nothing, same) = store.detect_changes(DetectMarks::from(t(32))).unwrap();
    assert!(nothing.events.is_empty() && nothing.tasks.is_empty());
    assert_eq!(same, DetectMarks::from(t(32)));
    assert_eq!(window.events.len(), 2);
    assert_eq!(window.events[1].event.kind, EventKind::Write);
    assert_eq!(window.tasks.len(), 2);
    assert_eq!(window.agents.len(), 2);
    assert_eq!(window.agents[0].remote_id.as_deref(), Some("researcher-1"));
    assert_eq!(window.rules.len(), 1);
    // At most `cap` events, the newest; none dated before `since`.
    let newest = store.detect_window(t(0), 1).unwrap();
    assert_eq!(newest.events.len(), 1);
    assert_eq!(newest.events[0].agent_id, b);
    assert!(store.detect_window(t(40), 100).unwrap().events.is_empty());
    // Tasks the detectors do not hold: each one's stored state, in the order asked (read in
    // one flight), none for a task never stored.
    let asked = [
        (b, "w-1".to_owned()),
        (a, "nowhere".to_owned()),
        (a, "r-1".to_owned()),
    ];
    assert_eq!(
        store.states_of_tasks(&asked).unwrap(),
        [Some(TaskState::Working), None, Some(TaskState::Working)]
    );
    assert!(store.states_of_tasks(&[]).unwrap().is_empty());

    let config = DetectConfig::default();
    assert_eq!(later.events[0].event, writes);
    let state =
        DetectState::from_slices(&window.events, &window.tasks, &window.rules, &window.agents);
    let schemas = Default::default();
    let found = detect_all(&state.input(t(31), &later.events, &config, &schemas));
    let kinds: Vec<FindingKind> = found.iter().map(|f| f.kind).collect();
    assert_eq!(
        kinds,
        [FindingKind::OwnershipViolation, FindingKind::WriteCollision]
    );
    let recorded = store.record_findings(&found, t(31)).unwrap();
    assert_eq!(recorded.opened.len(), 2);
}

#[test]
fn an_open_escalation_takes_its_findings_new_summary_and_an_expired_one_keeps_its_words() {
    let (mut store, _) = store_with_agent();
    let first = store
        .record_findings(&[collision(&[(1, 1)], "combined use at 90%")], t(0))
        .unwrap();
    let escalation = first.escalations[0];
    // New words: the open escalation follows.
    let reworded = store
        .record_findings(&[collision(&[(1, 1)], "3 × 429 in the last 5 min")], t(1))
        .unwrap();
    assert_eq!(reworded.retitled, [escalation]);
    assert_eq!(
        store.escalation(escalation).unwrap().title,
        "3 × 429 in the last 5 min"
    );
    // More evidence, same words: nothing to retitle.
    let more = store
        .record_findings(
            &[collision(&[(1, 1), (2, 1)], "3 × 429 in the last 5 min")],
            t(2),
        )
        .unwrap();
    assert_eq!(more.updated.len(), 1);
    assert!(more.retitled.is_empty());
    // Once expired, the escalation keeps what it said when it lapsed.
    let expired = store.expire_escalations(t(1_000_000)).unwrap();
    assert_eq!(expired, [escalation]);
    let later = store
        .record_findings(&[collision(&[(1, 1), (2, 1)], "7 × 429")], t(1_000_001))
        .unwrap();
    assert!(later.retitled.is_empty());
    assert_eq!(
        store.escalation(escalation).unwrap().title,
        "3 × 429 in the last 5 min"
    );
}

/// A collision of agents 1 and 2 on `resource`: a cause of its own, a group of its own.
fn collision_on(resource: &str) -> Finding {
    Finding {
        resource: Some(resource.into()),
        dedupe_key: format!("write_collision:{resource}:1,2"),
        ..collision(&[(1, 1), (2, 1)], &format!("two writers on {resource}"))
    }
}

#[test]
fn a_run_of_new_findings_is_filed_in_a_few_round_trips_whatever_its_size() {
    let (mut store, _) = store_with_agent();
    // The first run prepares the statements (a round trip each on PostgreSQL, once).
    let warm: Vec<Finding> = (0..40)
        .map(|i| collision_on(&format!("w{i}://x")))
        .collect();
    store.record_findings(&warm, t(0)).unwrap();
    let run: Vec<Finding> = (0..40)
        .map(|i| collision_on(&format!("r{i}://x")))
        .collect();
    let before = store.db().round_trips();
    let recorded = store.record_findings(&run, t(1)).unwrap();
    let trips = store.db().round_trips() - before;
    assert_eq!(
        (recorded.opened.len(), recorded.escalations.len()),
        (40, 40)
    );
    // Each item opened with an id taken ahead is the one stored, about its own finding.
    for (finding, item) in recorded.opened.iter().zip(&recorded.escalations) {
        let stored = store.escalation(*item).unwrap();
        assert_eq!(stored.finding_id, Some(*finding), "{stored:?}");
    }
    let mut ids = recorded.escalations.clone();
    ids.dedup();
    assert_eq!(ids.len(), 40, "every item its own id");
    // The stored findings in one flight, the new ones inserted in another, the queue read in
    // three (the rules, taking items and scopes, items and ids), the commit: not one per finding.
    match baton_testdb::engine() {
        baton_testdb::Engine::Postgres => assert!(trips <= 7, "{trips} round trips"),
        baton_testdb::Engine::Sqlite => assert_eq!(trips, 0),
    }
    // The next item opened the usual way still gets an id of its own.
    let next = store
        .record_findings(&[collision_on("n://x")], t(2))
        .unwrap();
    assert!(next.escalations[0] > *recorded.escalations.iter().max().unwrap());
}

#[test]
fn items_of_one_agent_opened_by_a_run_name_their_tasks_in_a_few_round_trips() {
    let (mut store, id) = store_with_agent();
    // Each request for approval names the event of its own task.
    let events: Vec<_> = (1..=80)
        .map(|seq| write_event(seq, &format!("t{seq}")))
        .collect();
    store.ingest(id, &doc(vec![], events, "c1"), t(0)).unwrap();
    let request = |seq: u64| Finding {
        kind: FindingKind::NeedsApproval,
        severity: Severity::Warning,
        agents: vec![id],
        resource: None,
        summary: format!("may I ship t{seq}?"),
        evidence: vec![EvidenceRef { agent_id: id, seq }],
        dedupe_key: format!("needs_approval:{id}:t{seq}"),
        continues: None,
    };
    // The first run prepares the statements (a round trip each on PostgreSQL, once).
    let warm: Vec<Finding> = (1..=40).map(request).collect();
    store.record_findings(&warm, t(1)).unwrap();
    let run: Vec<Finding> = (41..=80).map(request).collect();
    let before = store.db().round_trips();
    let recorded = store.record_findings(&run, t(2)).unwrap();
    let trips = store.db().round_trips() - before;
    assert_eq!(recorded.escalations.len(), 40);
    for (seq, item) in (41..=80).zip(&recorded.escalations) {
        let stored = store.escalation(*item).unwrap();
        assert_eq!(stored.task_id.as_deref(), Some(format!("t{seq}").as_str()));
        assert_eq!(stored.agent_id, Some(id));
    }
    // Their evidence read with the items and ids, not a round trip per item.
    match baton_testdb::engine() {
        baton_testdb::Engine::Postgres => assert!(trips <= 7, "{trips} round trips"),
        baton_testdb::Engine::Sqlite => assert_eq!(trips, 0),
    }
}

#[test]
fn a_run_rewording_many_findings_writes_them_and_their_items_titles_in_a_few_statements() {
    let (mut store, _) = store_with_agent();
    let run = |round: u32| -> Vec<Finding> {
        (0..40)
            .map(|i| Finding {
                summary: format!("two writers on g{i}://x, round {round}"),
                ..collision_on(&format!("g{i}://x"))
            })
            .collect()
    };
    let opened = store.record_findings(&run(0), t(0)).unwrap();
    // The first rewording prepares the statements (once per connection on PostgreSQL).
    store.record_findings(&run(1), t(1)).unwrap();
    let before = store.db().statements_sent();
    let reworded = store.record_findings(&run(2), t(2)).unwrap();
    let statements = store.db().statements_sent() - before;
    assert_eq!(reworded.updated.len(), 40);
    let mut retitled = reworded.retitled.clone();
    retitled.sort_unstable();
    let mut items = opened.escalations.clone();
    items.sort_unstable();
    assert_eq!(retitled, items, "every item took its finding's words");
    for (finding, item) in opened.opened.iter().zip(&opened.escalations) {
        let stored = &store.findings(&[*finding]).unwrap()[0];
        assert!(stored.summary.ends_with("round 2"), "{stored:?}");
        assert_eq!((stored.updated_at, stored.evidence.len()), (t(2), 2));
        assert_eq!(store.escalation(*item).unwrap().title, stored.summary);
    }
    let feed = store.changes_after(0, 10_000).unwrap().changes;
    // The feed's rows went out before its head moved: each carries a committed number.
    let head = store.change_head().unwrap();
    assert!(feed.iter().all(|c| c.seq <= head), "head {head}: {feed:?}");
    let changed = |item: i64| {
        feed.iter()
            .filter(|c| c.kind == crate::changes::ChangeKind::EscalationChanged && c.ref_id == item)
            .count()
    };
    assert!(
        items.iter().all(|item| changed(*item) >= 2),
        "each rewording is in the feed"
    );
    // The stored findings read, their new words written, their items read, the titles and the
    // feed's rows written (40 rows as statements of 32 and 8), the feed's head moved: 11, not
    // three statements a finding (125 before).
    match baton_testdb::engine() {
        baton_testdb::Engine::Postgres => assert!(statements <= 12, "{statements} statements"),
        baton_testdb::Engine::Sqlite => assert_eq!(statements, 0),
    }
}

#[test]
fn a_runs_slices_add_up_to_each_finding_and_item_once_in_order() {
    let mut run = crate::findings::RecordedFindings {
        opened: vec![3, 1],
        escalations: vec![7],
        ..Default::default()
    };
    run.absorb(crate::findings::RecordedFindings {
        opened: vec![1, 4, 4, 2],
        updated: vec![3, 3],
        escalations: vec![7, 8],
        ..Default::default()
    });
    assert_eq!(run.opened, [3, 1, 4, 2]);
    assert_eq!(run.updated, [3]);
    assert_eq!(run.escalations, [7, 8]);
}
