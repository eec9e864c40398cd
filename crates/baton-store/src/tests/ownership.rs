//! The ownership map, the user's declarations and applying resolutions.

use baton_core::rules::{plan_resolution, ConflictSide, Dispute, Resolution, Rule, RuleKind};

use baton_core::rules::{Declares, ManifestSource, ResolutionPlan, RuleChange};

use super::support::*;
use crate::{DecisionFilter, Store};

fn add(store: &mut Store, name: &str) -> i64 {
    store.add_agent(&draft(name)).unwrap().id
}

fn writes(patterns: &[&str]) -> Declares {
    Declares {
        writes: patterns.iter().map(|p| p.to_string()).collect(),
        ..Declares::default()
    }
}

#[test]
fn the_map_uses_the_users_declaration_over_the_agents_own() {
    let mut store = fresh_store();
    let a = add(&mut store, "Writer");
    let b = add(&mut store, "Researcher");
    store
        .set_manifest(
            a,
            ManifestSource::Agent,
            &writes(&["x://a/1"]).to_manifest(""),
        )
        .unwrap();
    assert!(store
        .set_declaration(a, Some(&writes(&["x://a/*"])), "ana")
        .unwrap());
    assert!(!store
        .set_declaration(a, Some(&writes(&["x://a/*"])), "ana")
        .unwrap());
    store
        .set_declaration(b, Some(&writes(&["x://a/2"])), "ana")
        .unwrap();

    let map = store.ownership_map().unwrap();
    let names: Vec<&str> = map.agents.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["Researcher", "Writer"]);
    let writer = &map.agents[1];
    assert_eq!(writer.source, Some(ManifestSource::User));
    assert_eq!(writer.declares.writes, ["x://a/*"]);
    assert_eq!(writer.agent_declares.as_ref().unwrap().writes, ["x://a/1"]);
    assert_eq!(map.conflicts.len(), 1);
    assert_eq!(map.conflicts[0].example, "x://a/2");

    store.set_declaration(a, None, "ana").unwrap();
    let map = store.ownership_map().unwrap();
    assert_eq!(map.agents[1].source, Some(ManifestSource::Agent));
    assert!(map.conflicts.is_empty());

    let entries = store
        .decisions(&DecisionFilter {
            subject_prefix: Some(format!("agent:{a}")),
            ..Default::default()
        })
        .unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["declares.set", "declares.clear"]);
    assert_eq!(entries[0].detail.as_ref().unwrap()["agent"], "Writer");
}

#[test]
fn a_resolution_lands_in_one_transaction_and_clears_the_conflict() {
    let mut store = fresh_store();
    let a = add(&mut store, "Writer");
    let b = add(&mut store, "Researcher");
    store
        .set_declaration(a, Some(&writes(&["crm://c/*#status"])), "ana")
        .unwrap();
    store
        .set_declaration(b, Some(&writes(&["crm://c/*#status"])), "ana")
        .unwrap();
    let map = store.ownership_map().unwrap();
    assert_eq!(map.conflicts.len(), 1);
    let dispute = Dispute {
        agent: "Researcher".into(),
        kind: RuleKind::Data,
        pattern: "crm://c/*#status".into(),
        other: ConflictSide::Agent {
            name: "Writer".into(),
            pattern: "crm://c/*#status".into(),
        },
    };
    let rules: Vec<Rule> = map.rules.iter().map(|r| r.rule.clone()).collect();
    let manifests = baton_core::rules::map::manifests_of(&map.agents);
    let plan = plan_resolution(
        &dispute,
        &Resolution::give_ownership("Writer"),
        &rules,
        &manifests,
    )
    .unwrap();
    store.apply_resolution(&plan, &map.rules, "ana").unwrap();

    let map = store.ownership_map().unwrap();
    assert!(map.conflicts.is_empty(), "{:#?}", map.conflicts);
    assert_eq!(map.rules.len(), 1);
    assert_eq!(map.rules[0].rule.owner, "Writer");
    let actions: Vec<String> = store
        .decisions(&DecisionFilter::default())
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions,
        ["declares.set", "declares.set", "rule.add", "declares.set"]
    );
}

#[test]
fn a_plan_made_from_old_rules_is_refused_and_changes_nothing() {
    let mut store = fresh_store();
    add(&mut store, "Writer");
    let rule = Rule::new(RuleKind::Data, "crm://c/*#status", "Researcher");
    store.add_rule(&rule, "ana").unwrap();
    let seen = store.rules().unwrap();
    store
        .update_rule(
            seen[0].id,
            &Rule::new(RuleKind::Data, "crm://c/*#status", "Editor"),
            "bo",
        )
        .unwrap();
    let plan = ResolutionPlan {
        rule: Some(RuleChange::Update {
            index: 0,
            rule: Rule::new(RuleKind::Data, "crm://c/*#status", "Writer"),
        }),
        declarations: vec![writes(&[]).to_manifest("Writer")],
        summary: vec![],
    };
    let err = store.apply_resolution(&plan, &seen, "ana").unwrap_err();
    assert_eq!(err.code(), "stale");
    assert_eq!(store.rules().unwrap()[0].rule.owner, "Editor");
    assert_eq!(store.ownership_map().unwrap().agents[0].source, None);

    let unknown = ResolutionPlan {
        rule: None,
        declarations: vec![writes(&[]).to_manifest("Nobody")],
        summary: vec![],
    };
    let err = store.apply_resolution(&unknown, &seen, "ana").unwrap_err();
    assert_eq!(err.code(), "not_found");
}
