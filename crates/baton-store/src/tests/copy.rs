//! `baton store copy`: every table of a SQLite store into PostgreSQL and back, rows as they
//! were, the decision log's chain verifying on each; a target that is not empty is refused.

use baton_core::detect::FindingKind;
use baton_core::escalations::EscalationAction;
use baton_core::protocol::{Event, EventKind};
use baton_core::rules::{Rule, RuleKind};
use baton_core::task::TaskState;

use super::support::*;
use crate::copy::copy_store;
use crate::db::{params, Owned};
use crate::{NewDecision, Store, StoreLocation};

/// A store with a bit of everything: agents, tasks and their history, events (one with a long
/// message kept once), usage, a rule, a finding with its escalation decided (log and outbox).
fn busy_store() -> Store {
    let mut store = Store::open_in_memory().unwrap();
    let a = store.add_agent(&draft("Researcher")).unwrap().id;
    let b = store.add_agent(&draft("Writer")).unwrap().id;
    for (agent, task_id) in [(a, "r-1"), (b, "w-1")] {
        let mut asks = Event::new(2, t(2), EventKind::NeedsApproval);
        asks.task_id = Some(task_id.into());
        asks.message = Some("x".repeat(400));
        let mut d = doc(
            vec![task(task_id, TaskState::Working)],
            vec![write_event(1, task_id), asks],
            "2",
        );
        d.usage.push(usage("openai", 0, 7));
        store.ingest(agent, &d, t(3)).unwrap();
    }
    store
        .add_rule(
            &Rule {
                kind: RuleKind::Data,
                pattern: "crm://contacts/*".into(),
                owner: "Researcher".into(),
                readers: vec!["Writer".into()],
                sla_seconds: None,
                note: Some("copied".into()),
                sequence: vec![],
            },
            "ana",
        )
        .unwrap();
    let finding = pair_finding(FindingKind::WriteCollision, a, b, "crm://contacts/1");
    let recorded = store.record_findings(&[finding], t(4)).unwrap();
    store
        .decide_escalation(
            recorded.escalations[0],
            &EscalationAction::Approve,
            None,
            "ana",
            t(5),
        )
        .unwrap();
    store
        .append_decision(NewDecision::new("bob", "note", "agent:1"))
        .unwrap();
    store
}

/// Every row of every table, as text, table by table.
fn contents(store: &Store) -> Vec<(String, Vec<Vec<Owned>>)> {
    let mut out = Vec::new();
    for (table, columns) in store.db().tables().unwrap() {
        if crate::copy::NOT_COPIED.contains(&table.as_str()) {
            continue;
        }
        let order: Vec<String> = (1..=columns.len()).map(|i| i.to_string()).collect();
        let rows = store
            .db()
            .query_map(
                &format!(
                    "SELECT {} FROM {table} ORDER BY {}",
                    columns.join(", "),
                    order.join(", ")
                ),
                params![],
                |row| (0..columns.len()).map(|i| row.get::<Owned>(i)).collect(),
            )
            .unwrap();
        out.push((table, rows));
    }
    out
}

fn postgres_store() -> Store {
    let url = baton_testdb::server().fresh_database();
    Store::open_at(&StoreLocation::parse(&url).unwrap()).unwrap()
}

#[test]
fn a_store_copied_to_postgresql_and_back_holds_every_row_and_its_chain() {
    let source = busy_store();
    let mut pg = postgres_store();
    let mut tables_seen = Vec::new();
    let report = copy_store(&source, &mut pg, |p| tables_seen.push(p.table.to_owned())).unwrap();
    assert_eq!(
        report.decisions, 3,
        "the decision, its log entry and the note"
    );
    assert!(
        tables_seen.contains(&"events".to_owned()),
        "progress is told"
    );
    assert_eq!(contents(&pg), contents(&source));
    // The copy works on: new rows get new ids past the copied ones.
    let next = pg.add_agent(&draft("Editor")).unwrap().id;
    assert_eq!(next, 3);
    pg.append_decision(NewDecision::new("ana", "note", "agent:3"))
        .unwrap();

    let mut back = Store::open_in_memory().unwrap();
    copy_store(&pg, &mut back, |_| {}).unwrap();
    assert_eq!(contents(&back), contents(&pg));
    assert_eq!(
        back.escalations(Default::default()).unwrap(),
        pg.escalations(Default::default()).unwrap()
    );
}

#[test]
fn a_target_that_is_not_empty_is_refused_and_left_as_it_was() {
    let source = busy_store();
    let mut target = Store::open_in_memory().unwrap();
    target.add_agent(&draft("Someone")).unwrap();
    let err = copy_store(&source, &mut target, |_| {})
        .unwrap_err()
        .to_string();
    assert!(err.contains("not empty"), "{err}");
    assert_eq!(rows(&target, "agents"), 1);
}
