//! One cause, one queue item: findings of the same kind between the same agents under one scope
//! join one escalation; a decision settles the whole group; a cause that fires again after the
//! decision updates the item instead of opening a new one.

use baton_core::detect::{EvidenceRef, Finding, FindingKind, Severity};
use baton_core::escalations::{EscalationAction, EscalationState, GROUP_WINDOW};
use baton_core::protocol::DecisionDelivery;
use baton_core::task::TaskState;
use chrono::Duration;

use super::support::*;
use crate::db::params;
use crate::escalations::EscalationFilter;
use crate::Store;

/// Editor and Publisher, each with writes 1..=n to `file:///drafts/brief-{seq}.md` (task
/// `edit-1` / `publish-1`).
fn two_writers(n: u64) -> (Store, i64, i64) {
    let mut store = fresh_store();
    let editor = store.add_agent(&draft("Editor")).unwrap().id;
    let publisher = store.add_agent(&draft("Publisher")).unwrap().id;
    for (agent, task_id, remote) in [
        (editor, "edit-1", "editor-1"),
        (publisher, "publish-1", "publisher-1"),
    ] {
        let writes = (1..=n)
            .map(|seq| baton_core::protocol::Event {
                resource: Some(draft_file(seq)),
                ..write_event(seq, task_id)
            })
            .collect();
        let mut polled = doc(vec![task(task_id, TaskState::Working)], writes, "c");
        polled.agent.id = remote.into();
        store.ingest(agent, &polled, t(1)).unwrap();
    }
    (store, editor, publisher)
}

fn draft_file(n: u64) -> String {
    format!("file:///drafts/brief-{n}.md")
}

/// Publisher wrote brief-`n`, which Editor holds.
fn violation(editor: i64, publisher: i64, n: u64) -> Finding {
    Finding {
        kind: FindingKind::OwnershipViolation,
        severity: Severity::Critical,
        agents: vec![editor, publisher],
        resource: Some(draft_file(n)),
        summary: format!("Publisher wrote {} while Editor held it", draft_file(n)),
        evidence: vec![EvidenceRef {
            agent_id: publisher,
            seq: n,
        }],
        dedupe_key: format!("ownership_violation:{publisher}:{}", draft_file(n)),
        continues: None,
    }
}

fn open_items(store: &Store) -> Vec<baton_core::escalations::Escalation> {
    store
        .escalations(EscalationFilter {
            open: true,
            closed: 0,
        })
        .unwrap()
}

#[test]
fn a_storm_of_one_cause_is_one_queue_item() {
    let (mut store, editor, publisher) = two_writers(1_000);
    let storm: Vec<Finding> = (1..=1_000)
        .map(|n| violation(editor, publisher, n))
        .collect();
    // Half in one detector run, the rest over the next runs.
    let first = store.record_findings(&storm[..500], t(10)).unwrap();
    assert_eq!(first.escalations.len(), 1, "one item opened");
    for (i, chunk) in storm[500..].chunks(100).enumerate() {
        let later = store.record_findings(chunk, t(20 + i as i64)).unwrap();
        assert!(later.escalations.is_empty());
        assert_eq!(later.grown, first.escalations);
    }
    let items = open_items(&store);
    assert_eq!(items.len(), 1);
    let item = &items[0];
    assert_eq!(item.occurrences, 1_000);
    assert_eq!(item.resource_count, 1_000);
    assert_eq!(
        item.resources.len(),
        50,
        "the list is capped, the count is not"
    );
    assert_eq!(item.scope.as_deref(), Some("file:///drafts/*"));
    assert!(
        item.title
            .ends_with("(and 999 more like it under file:///drafts/*)"),
        "{}",
        item.title
    );
    assert_eq!(
        rows(&store, "findings"),
        1_000,
        "each cause is still a finding"
    );
}

#[test]
fn another_kind_other_agents_another_folder_or_an_old_group_open_their_own_item() {
    let (mut store, editor, publisher) = two_writers(3);
    let support = store.add_agent(&draft("Support")).unwrap().id;
    let base = violation(editor, publisher, 1);
    let other_kind = Finding {
        kind: FindingKind::WriteCollision,
        dedupe_key: "write_collision:x".into(),
        ..violation(editor, publisher, 2)
    };
    let other_agents = Finding {
        agents: vec![editor, support],
        dedupe_key: "ownership_violation:support".into(),
        ..violation(editor, publisher, 2)
    };
    let other_folder = Finding {
        resource: Some("file:///posts/brief-2.md".into()),
        dedupe_key: "ownership_violation:posts".into(),
        ..violation(editor, publisher, 2)
    };
    let question = |n: u64| Finding {
        kind: FindingKind::NeedsApproval,
        agents: vec![publisher],
        resource: Some(draft_file(n)),
        dedupe_key: format!("needs_approval:{n}"),
        ..violation(editor, publisher, n)
    };
    let recorded = store
        .record_findings(
            &[
                base,
                other_kind,
                other_agents,
                other_folder,
                question(1),
                question(2),
            ],
            t(10),
        )
        .unwrap();
    assert_eq!(recorded.escalations.len(), 6, "each its own item");
    // The same cause long after the group's last finding: a new item.
    let late = store
        .record_findings(
            &[violation(editor, publisher, 3)],
            t(10) + GROUP_WINDOW + Duration::seconds(1),
        )
        .unwrap();
    assert_eq!(late.escalations.len(), 1);
}

#[test]
fn one_decision_settles_the_group_and_a_cause_that_fires_again_updates_it() {
    let (mut store, editor, publisher) = two_writers(4);
    store
        .record_findings(
            &[
                violation(editor, publisher, 1),
                violation(editor, publisher, 2),
                violation(editor, publisher, 3),
            ],
            t(10),
        )
        .unwrap();
    let item = open_items(&store).remove(0);
    assert_eq!(item.occurrences, 3);
    let decided = store
        .decide_escalation(
            item.id,
            &EscalationAction::GiveOwnership { agent_id: editor },
            None,
            "ana",
            t(20),
        )
        .unwrap();
    assert_eq!(decided.escalation.state, EscalationState::Resolved);
    assert_eq!(decided.outbox.len(), 2, "delivered once per agent");
    assert_eq!(
        store.open_findings().unwrap().len(),
        0,
        "every finding of the group is closed"
    );
    // The rule covers the group's scope, not only its first file.
    let rules = store.rules().unwrap();
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0].rule.pattern, "file:///drafts/*");
    assert_eq!(rules[0].rule.owner, "Editor");
    let body: String = store
        .db()
        .query_row(
            "SELECT body FROM outbox WHERE agent_id = ?1",
            params![publisher],
            |row| row.get(0),
        )
        .unwrap();
    let told: DecisionDelivery = serde_json::from_str(&body).unwrap();
    assert_eq!(told.action, "reassign");
    assert_eq!(told.scope.as_deref(), Some("file:///drafts/*"));
    assert_eq!(told.resources.len(), 3);
    assert_eq!(told.owner.as_deref(), Some("editor-1"), "the id it reports");
    assert_eq!(told.task_id.as_deref(), Some("publish-1"));

    // Publisher writes brief-4 anyway: the decided item is updated, nothing new opens.
    let again = store
        .record_findings(&[violation(editor, publisher, 4)], t(30))
        .unwrap();
    assert!(again.escalations.is_empty());
    assert_eq!(again.recurred, [item.id]);
    assert!(open_items(&store).is_empty());
    let item = store.escalation(item.id).unwrap();
    assert_eq!(item.state, EscalationState::Resolved);
    assert_eq!((item.occurrences, item.since_decision), (4, 1));
    assert_eq!(item.resource_count, 4);
    assert!(
        store.open_findings().unwrap().is_empty(),
        "settled by the decision"
    );

    // brief-1 written again (new evidence for a settled cause): counted, no new row.
    let findings_before = rows(&store, "findings");
    let again = Finding {
        evidence: vec![EvidenceRef {
            agent_id: publisher,
            seq: 99,
        }],
        ..violation(editor, publisher, 1)
    };
    let recorded = store.record_findings(&[again], t(40)).unwrap();
    assert_eq!(recorded.recurred, [item.id]);
    assert!(recorded.opened.is_empty() && recorded.escalations.is_empty());
    assert_eq!(rows(&store, "findings"), findings_before);
    let item = store.escalation(item.id).unwrap();
    assert_eq!((item.occurrences, item.since_decision), (5, 2));
    assert_eq!(item.resource_count, 4, "brief-1 was counted already");
}

#[test]
fn escalations_from_before_groups_stand_for_their_own_finding() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("baton.sqlite3");
    {
        let mut conn = rusqlite::Connection::open(&path).unwrap();
        crate::migrations::MIGRATIONS
            .to_version(&mut conn, 6)
            .unwrap();
        conn.execute_batch(
            "INSERT INTO findings (kind, severity, agents, resource, summary, evidence,
                                   opened_at, updated_at, dedupe_key)
             VALUES ('stall', 'warning', '[1]', 'cms://posts/7', 'stalled', '[]',
                     '2026-05-01T12:00:00.000000000Z', '2026-05-01T12:00:00.000000000Z', 'k');
             INSERT INTO escalations (finding_id, title, opened_at, due_at)
             VALUES (1, 'stalled', '2026-05-01T12:00:00.000000000Z',
                     '2026-05-02T12:00:00.000000000Z');",
        )
        .unwrap();
    }
    let store = Store::open(&path).unwrap();
    let old = store.escalation(1).unwrap();
    assert_eq!(old.occurrences, 1);
    assert_eq!(old.resources, ["cms://posts/7"]);
    assert_eq!(old.last_seen_at, old.opened_at);
    let member: Option<i64> = store
        .db()
        .query_row(
            "SELECT escalation_id FROM findings WHERE id = 1",
            params![],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(member, Some(1));
}

#[test]
fn many_pairs_of_agents_on_one_scope_share_a_few_items() {
    let (mut store, editor, _) = two_writers(1);
    let others: Vec<i64> = (0..10)
        .map(|i| store.add_agent(&draft(&format!("Writer {i}"))).unwrap().id)
        .collect();
    let findings: Vec<Finding> = others
        .iter()
        .enumerate()
        .map(|(i, &other)| Finding {
            agents: vec![editor, other],
            dedupe_key: format!("ownership_violation:{other}"),
            ..violation(editor, other, i as u64 + 1)
        })
        .collect();
    let recorded = store.record_findings(&findings, t(10)).unwrap();
    let limit = baton_core::escalations::MAX_OPEN_PER_SCOPE;
    assert_eq!(recorded.escalations.len(), limit);
    let items = open_items(&store);
    assert_eq!(items.len(), limit);
    let newest = items.iter().max_by_key(|e| e.id).unwrap();
    assert_eq!(newest.occurrences as usize, 10 - limit + 1);
    assert_eq!(newest.agents.len(), 10 - limit + 2, "its agents grew");
    assert_eq!(newest.agent_id, None);
}
