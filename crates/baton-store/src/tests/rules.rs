use baton_core::rules::{Rule, RuleKind};
use serde_json::{json, Value};

use super::support::*;
use crate::{ChainCheck, DecisionEntry, DecisionFilter, ReplaceSummary, Store, StoreError};

fn rule(kind: RuleKind, pattern: &str, owner: &str) -> Rule {
    Rule::new(kind, pattern, owner)
}

fn audit(store: &Store) -> Vec<DecisionEntry> {
    store
        .decisions(&DecisionFilter {
            subject_prefix: Some("rule:".into()),
            ..Default::default()
        })
        .unwrap()
}

fn summary_of(entry: &DecisionEntry) -> (&str, &str, &str) {
    (&entry.who, &entry.action, &entry.subject)
}

/// Makes every append to the decision log fail (for this connection only).
fn break_the_log(store: &Store) {
    let sql = match store.dialect() {
        crate::Dialect::Sqlite => {
            "CREATE TEMP TRIGGER no_log BEFORE INSERT ON decisions
             BEGIN SELECT RAISE(ABORT, 'log unavailable'); END"
        }
        // The test's own database: the trigger goes with it.
        crate::Dialect::Postgres => {
            "CREATE FUNCTION no_log() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN RAISE EXCEPTION 'log unavailable'; END $$;
             CREATE TRIGGER no_log BEFORE INSERT ON decisions
                 FOR EACH ROW EXECUTE FUNCTION no_log();"
        }
    };
    store.db().execute_batch(sql).unwrap();
}

#[test]
fn add_rule_stores_it_and_audits_it() {
    let mut store = fresh_store();
    let mut data = rule(RuleKind::Data, "crm://contacts/*#status", "Researcher");
    data.readers = vec!["Writer".into(), "Editor".into()];
    data.note = Some("status is the researcher's".into());
    let stored = store.add_rule(&data, "ann").unwrap();
    assert_eq!(stored.rule, data);
    assert_eq!(stored.created_at, stored.updated_at);
    assert_eq!(store.rule(stored.id).unwrap(), stored);

    let mut exception = rule(RuleKind::Exception, "**", "Ann Lee");
    exception.sla_seconds = Some(3600);
    let second = store.add_rule(&exception, "ann").unwrap();
    assert_eq!(second.rule.sla_seconds, Some(3600));

    let mut output = rule(RuleKind::Output, "file:///drafts/**", "Writer");
    output.sequence = vec!["Editor".into(), "Publisher".into()];
    let third = store.add_rule(&output, "ann").unwrap();
    assert_eq!(store.rule(third.id).unwrap().rule.sequence, output.sequence);
    output.sequence = vec!["  ".into()];
    assert!(store.add_rule(&output, "ann").is_err());

    let log = audit(&store);
    assert_eq!(log.len(), 3);
    let subject = format!("rule:{}", stored.id);
    assert_eq!(summary_of(&log[0]), ("ann", "rule.add", subject.as_str()));
    assert_eq!(log[0].at.0, stored.created_at);
    let detail = log[0].detail.as_ref().unwrap();
    assert_eq!(detail["before"], Value::Null);
    assert_eq!(detail["after"], serde_json::to_value(&data).unwrap());
    assert_eq!(detail["after"]["readers"], json!(["Writer", "Editor"]));
}

#[test]
fn update_rule_changes_it_and_audits_before_and_after() {
    let mut store = fresh_store();
    let before = rule(RuleKind::Output, "slack://#general", "Publisher");
    let id = store.add_rule(&before, "ann").unwrap().id;
    let mut after = before.clone();
    after.owner = "Editor".into();
    let updated = store.update_rule(id, &after, "bob").unwrap();
    assert_eq!((updated.id, &updated.rule), (id, &after));
    assert!(updated.updated_at >= updated.created_at);
    assert_eq!(store.rule(id).unwrap().rule.owner, "Editor");

    let log = audit(&store);
    assert_eq!(log.len(), 2);
    let subject = format!("rule:{id}");
    assert_eq!(
        summary_of(&log[1]),
        ("bob", "rule.update", subject.as_str())
    );
    let detail = log[1].detail.as_ref().unwrap();
    assert_eq!(detail["before"]["owner"], "Publisher");
    assert_eq!(detail["after"]["owner"], "Editor");

    // The same rule again changes nothing and writes nothing.
    let same = store.update_rule(id, &after, "bob").unwrap();
    assert_eq!(same, updated);
    assert_eq!(audit(&store).len(), 2);
}

#[test]
fn remove_rule_deletes_it_and_audits_what_it_was() {
    let mut store = fresh_store();
    let trigger = rule(RuleKind::Trigger, "mail://inbox/invoices", "Accounts");
    let id = store.add_rule(&trigger, "ann").unwrap().id;
    store.remove_rule(id, "bob").unwrap();
    assert!(matches!(store.rule(id), Err(StoreError::RuleNotFound(i)) if i == id));
    assert!(store.rules().unwrap().is_empty());
    let log = audit(&store);
    assert_eq!(log[1].action, "rule.remove");
    let detail = log[1].detail.as_ref().unwrap();
    assert_eq!(detail["before"]["pattern"], "mail://inbox/invoices");
    assert_eq!(detail["after"], Value::Null);
    assert_eq!(
        store.verify_decisions().unwrap(),
        ChainCheck::Ok { entries: 2 }
    );
}

#[test]
fn an_unknown_rule_is_not_found_and_nothing_is_logged() {
    let mut store = fresh_store();
    let r = rule(RuleKind::Data, "a://b", "X");
    let errors = [
        store.rule(41).unwrap_err(),
        store.update_rule(42, &r, "ann").unwrap_err(),
        store.remove_rule(43, "ann").unwrap_err(),
    ];
    for (err, id) in errors.iter().zip(41..) {
        assert!(
            matches!(err, StoreError::RuleNotFound(i) if *i == id),
            "{err:?}"
        );
        assert_eq!(err.code(), "not_found");
    }
    assert_eq!(rows(&store, "decisions"), 0);
}

#[test]
fn a_rule_without_its_minimal_shape_is_refused() {
    let mut store = fresh_store();
    let good = rule(RuleKind::Data, "a://b", "X");
    let id = store.add_rule(&good, "ann").unwrap().id;
    let mut cases = vec![];
    let mut r = good.clone();
    r.pattern = "  ".into();
    cases.push((r, "pattern"));
    let mut r = good.clone();
    r.owner = String::new();
    cases.push((r, "owner"));
    let mut r = good.clone();
    r.readers = vec!["ok".into(), " ".into()];
    cases.push((r, "readers"));
    for sla in [0, u64::MAX] {
        let mut r = good.clone();
        r.sla_seconds = Some(sla);
        cases.push((r, "sla_seconds"));
    }
    for (bad, field) in cases {
        for err in [
            store.add_rule(&bad, "ann").unwrap_err(),
            store.update_rule(id, &bad, "ann").unwrap_err(),
            store
                .replace_rules(std::slice::from_ref(&bad), "ann")
                .unwrap_err(),
        ] {
            assert!(
                matches!(&err, StoreError::InvalidRule { field: f, .. } if *f == field),
                "{field}: {err:?}"
            );
            assert_eq!(err.code(), "invalid_rule");
        }
    }
    assert!(store.add_rule(&good, " ").is_err(), "who must be named");
    assert_eq!(store.rules().unwrap().len(), 1);
    assert_eq!(store.rule(id).unwrap().rule, good);
    assert_eq!(rows(&store, "decisions"), 1);
}

#[test]
fn rules_come_in_a_stable_order() {
    let mut store = fresh_store();
    let input = [
        rule(RuleKind::Exception, "**", "Ann"),
        rule(RuleKind::Data, "b://x", "A"),
        rule(RuleKind::Trigger, "z://q", "A"),
        rule(RuleKind::Data, "a://x", "B"),
        rule(RuleKind::Output, "o://1", "A"),
        rule(RuleKind::Data, "a://x", "A"),
        rule(RuleKind::Trigger, "a://q", "C"),
        rule(RuleKind::Data, "a://x", "A"),
    ];
    let ids: Vec<i64> = input
        .iter()
        .map(|r| store.add_rule(r, "ann").unwrap().id)
        .collect();
    let order: Vec<i64> = store.rules().unwrap().iter().map(|r| r.id).collect();
    let expected = [6, 2, 5, 7, 3, 1, 4, 0].map(|i| ids[i]);
    assert_eq!(order, expected);
}

#[test]
fn a_change_whose_audit_entry_fails_is_rolled_back() {
    let mut store = fresh_store();
    let r = rule(RuleKind::Data, "a://b", "X");
    let id = store.add_rule(&r, "ann").unwrap().id;
    break_the_log(&store);
    assert!(store
        .add_rule(&rule(RuleKind::Data, "c://d", "Y"), "ann")
        .is_err());
    let mut changed = r.clone();
    changed.owner = "Y".into();
    assert!(store.update_rule(id, &changed, "ann").is_err());
    assert!(store.remove_rule(id, "ann").is_err());
    assert!(store.replace_rules(&[], "ann").is_err());
    let rules = store.rules().unwrap();
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0].rule, r);
    assert_eq!(rows(&store, "decisions"), 1);
}

#[test]
fn replace_rules_keeps_unchanged_ids_and_audits_each_change() {
    let mut store = fresh_store();
    let keep = rule(RuleKind::Trigger, "mail://inbox", "Accounts");
    let change = rule(RuleKind::Data, "crm://contacts/*#status", "Researcher");
    let drop = rule(RuleKind::Output, "slack://#general", "Publisher");
    let keep_id = store.add_rule(&keep, "ann").unwrap().id;
    let change_id = store.add_rule(&change, "ann").unwrap().id;
    let drop_id = store.add_rule(&drop, "ann").unwrap().id;

    let mut changed = change.clone();
    changed.owner = "Writer".into();
    changed.readers = vec!["Researcher".into()];
    let new = rule(RuleKind::Exception, "**", "Ann Lee");
    let summary = store
        .replace_rules(&[new.clone(), changed.clone(), keep.clone()], "ci")
        .unwrap();
    let added_id = summary.added[0];
    assert_eq!(
        summary,
        ReplaceSummary {
            added: vec![added_id],
            updated: vec![change_id],
            removed: vec![drop_id],
            unchanged: 1,
        }
    );
    assert!(added_id > drop_id);
    let now: Vec<(i64, Rule)> = store
        .rules()
        .unwrap()
        .into_iter()
        .map(|s| (s.id, s.rule))
        .collect();
    assert_eq!(
        now,
        vec![
            (keep_id, keep.clone()),
            (change_id, changed),
            (added_id, new)
        ]
    );

    let log = audit(&store);
    let imported: Vec<(&str, &str, &str)> = log[3..].iter().map(summary_of).collect();
    let (u, r, a) = (
        format!("rule:{change_id}"),
        format!("rule:{drop_id}"),
        format!("rule:{added_id}"),
    );
    assert_eq!(
        imported,
        vec![
            ("ci", "rule.update", u.as_str()),
            ("ci", "rule.remove", r.as_str()),
            ("ci", "rule.add", a.as_str()),
        ]
    );
    assert_eq!(
        log[3].detail.as_ref().unwrap()["before"]["owner"],
        "Researcher"
    );
    assert_eq!(log[3].detail.as_ref().unwrap()["after"]["owner"], "Writer");

    // Importing the same file again changes nothing and logs nothing.
    let rules: Vec<Rule> = store.rules().unwrap().into_iter().map(|s| s.rule).collect();
    let again = store.replace_rules(&rules, "ci").unwrap();
    assert_eq!(
        again,
        ReplaceSummary {
            unchanged: 3,
            ..Default::default()
        }
    );
    assert_eq!(audit(&store).len(), 6);
    assert_eq!(
        store.verify_decisions().unwrap(),
        ChainCheck::Ok { entries: 6 }
    );
}

#[test]
fn replace_rules_with_duplicates_and_an_empty_file() {
    let mut store = fresh_store();
    let r = rule(RuleKind::Data, "a://b", "X");
    let summary = store.replace_rules(&[r.clone(), r.clone()], "ci").unwrap();
    assert_eq!(summary.added.len(), 2);
    let summary = store.replace_rules(std::slice::from_ref(&r), "ci").unwrap();
    assert_eq!((summary.unchanged, summary.removed.len()), (1, 1));
    let summary = store.replace_rules(&[], "ci").unwrap();
    assert_eq!(summary.removed.len(), 1);
    assert!(store.rules().unwrap().is_empty());
    assert_eq!(audit(&store).len(), 4);
}

#[test]
fn rules_survive_reopening_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("baton.sqlite3");
    let r = rule(RuleKind::Data, "a://b#*", "X");
    let stored = Store::open(&path).unwrap().add_rule(&r, "ann").unwrap();
    let store = Store::open(&path).unwrap();
    assert_eq!(store.rules().unwrap(), vec![stored]);
    assert_eq!(
        store.verify_decisions().unwrap(),
        ChainCheck::Ok { entries: 1 }
    );
}
