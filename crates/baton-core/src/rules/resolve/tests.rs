use super::*;
use crate::rules::map::map_conflicts;
use crate::rules::Declares;

const FIELD: &str = "crm://contacts/*#status";

fn writer(agent: &str, writes: &[&str]) -> AgentManifest {
    Declares {
        writes: writes.iter().map(|p| p.to_string()).collect(),
        reads: vec!["crm://contacts/**".into()],
        ..Declares::default()
    }
    .to_manifest(agent)
}

fn between_agents() -> (Dispute, Vec<AgentManifest>) {
    let manifests = vec![
        writer("Researcher", &[FIELD]),
        writer("Writer", &["crm://contacts/42#*", "crm://deals/*#stage"]),
    ];
    let dispute = Dispute {
        agent: "Writer".into(),
        kind: RuleKind::Data,
        pattern: "crm://contacts/42#*".into(),
        other: ConflictSide::Agent {
            name: "Researcher".into(),
            pattern: FIELD.into(),
        },
    };
    (dispute, manifests)
}

/// Applies a plan the way the store does, for checking what is left.
fn apply(plan: &ResolutionPlan, rules: &mut Vec<Rule>, manifests: &mut [AgentManifest]) {
    match &plan.rule {
        Some(RuleChange::Add(rule)) => rules.push(rule.clone()),
        Some(RuleChange::Update { index, rule }) => rules[*index] = rule.clone(),
        None => {}
    }
    for changed in &plan.declarations {
        let slot = manifests
            .iter_mut()
            .find(|m| m.agent == changed.agent)
            .unwrap();
        *slot = changed.clone();
    }
}

#[test]
fn giving_ownership_between_agents_adds_a_rule_and_the_loser_stops_writing() {
    let (dispute, mut manifests) = between_agents();
    assert_eq!(map_conflicts(&[], &manifests).len(), 1);
    let resolution = Resolution::give_ownership("researcher");
    let plan = plan_resolution(&dispute, &resolution, &[], &manifests).unwrap();
    assert_eq!(
        plan.rule,
        Some(RuleChange::Add(Rule::new(
            RuleKind::Data,
            FIELD,
            "Researcher"
        )))
    );
    assert_eq!(plan.declarations.len(), 1);
    let writer = &plan.declarations[0];
    assert_eq!(writer.agent, "Writer");
    assert_eq!(
        writer.declares.writes,
        ["crm://deals/*#stage"],
        "unrelated writes stay"
    );
    assert_eq!(writer.declares.reads, ["crm://contacts/**"]);
    assert_eq!(
        plan.summary,
        [
            "New data rule crm://contacts/*#status → Researcher",
            "Writer no longer declares writes crm://contacts/42#*",
        ]
    );
    let mut rules = Vec::new();
    apply(&plan, &mut rules, &mut manifests);
    assert!(map_conflicts(&rules, &manifests).is_empty());
}

#[test]
fn making_a_reader_moves_the_write_to_reads() {
    let (dispute, mut manifests) = between_agents();
    let resolution = Resolution::MakeReader {
        reader: "Writer".into(),
    };
    let plan = plan_resolution(&dispute, &resolution, &[], &manifests).unwrap();
    let Some(RuleChange::Add(rule)) = &plan.rule else {
        panic!("{plan:?}")
    };
    assert_eq!(rule.owner, "Researcher");
    assert_eq!(rule.readers, ["Writer"]);
    assert!(plan.declarations[0]
        .declares
        .reads
        .contains(&"crm://contacts/42#*".to_string()));
    let mut rules = Vec::new();
    apply(&plan, &mut rules, &mut manifests);
    assert!(map_conflicts(&rules, &manifests).is_empty());
}

#[test]
fn accepting_a_sequence_keeps_both_declarations() {
    let (dispute, mut manifests) = between_agents();
    let resolution = Resolution::AcceptSequence {
        order: vec!["Writer".into(), "Researcher".into()],
    };
    let plan = plan_resolution(&dispute, &resolution, &[], &manifests).unwrap();
    let Some(RuleChange::Add(rule)) = &plan.rule else {
        panic!("{plan:?}")
    };
    assert_eq!(rule.owner, "Writer");
    assert_eq!(rule.pattern, "crm://contacts/42#*");
    assert_eq!(rule.sequence, ["Researcher"]);
    assert!(plan.declarations.is_empty());
    let mut rules = Vec::new();
    apply(&plan, &mut rules, &mut manifests);
    assert!(map_conflicts(&rules, &manifests).is_empty());
}

#[test]
fn against_a_rule_the_new_agent_can_take_it_over() {
    let mut rules = vec![Rule {
        readers: vec!["Writer".into()],
        ..Rule::new(RuleKind::Data, FIELD, "Researcher")
    }];
    let mut manifests = vec![writer("Researcher", &[FIELD]), writer("Writer", &[FIELD])];
    let conflicts = map_conflicts(&rules, &manifests);
    assert_eq!(conflicts.len(), 1, "{conflicts:#?}");
    let dispute = Dispute {
        agent: "Writer".into(),
        kind: RuleKind::Data,
        pattern: FIELD.into(),
        other: ConflictSide::Rule {
            index: 0,
            pattern: FIELD.into(),
            owner: "Researcher".into(),
        },
    };
    // A rule added before it (in the store's order) moves it; it is found by content.
    let moved = [
        Rule::new(RuleKind::Data, "a://first", "Editor"),
        rules[0].clone(),
    ];
    let plan = plan_resolution(
        &dispute,
        &Resolution::give_ownership("Writer"),
        &moved,
        &manifests,
    )
    .unwrap();
    assert!(matches!(
        plan.rule,
        Some(RuleChange::Update { index: 1, .. })
    ));
    let plan = plan_resolution(
        &dispute,
        &Resolution::give_ownership("Writer"),
        &rules,
        &manifests,
    )
    .unwrap();
    let Some(RuleChange::Update { index: 0, rule }) = &plan.rule else {
        panic!("{plan:?}")
    };
    assert_eq!(rule.owner, "Writer");
    assert!(
        rule.readers.is_empty(),
        "the new owner is no longer a reader"
    );
    assert_eq!(plan.declarations[0].agent, "Researcher");
    assert!(plan.summary[0].starts_with("Changed data rule"));
    apply(&plan, &mut rules, &mut manifests);
    assert!(map_conflicts(&rules, &manifests).is_empty());

    // Keeping the rule's owner changes no rule, only the declaration.
    let keep = plan_resolution(
        &dispute,
        &Resolution::give_ownership("Researcher"),
        &[Rule::new(RuleKind::Data, FIELD, "Researcher")],
        &[writer("Writer", &[FIELD])],
    )
    .unwrap();
    assert_eq!(keep.rule, None);
    assert!(keep.declarations[0].declares.writes.is_empty());
}

#[test]
fn bad_resolutions_are_refused() {
    let (dispute, manifests) = between_agents();
    let plan = |resolution: Resolution| plan_resolution(&dispute, &resolution, &[], &manifests);
    assert_eq!(
        plan(Resolution::give_ownership("Editor")),
        Err(ResolveError::NotASide("Editor".into()))
    );
    assert_eq!(
        plan(Resolution::AcceptSequence {
            order: vec!["Writer".into(), "Writer".into()]
        }),
        Err(ResolveError::BadSequence)
    );
    assert_eq!(
        plan(Resolution::AcceptSequence {
            order: vec!["Writer".into()]
        }),
        Err(ResolveError::BadSequence)
    );
    let trigger = Dispute {
        kind: RuleKind::Trigger,
        ..dispute.clone()
    };
    assert_eq!(
        plan_resolution(
            &trigger,
            &Resolution::MakeReader {
                reader: "Writer".into()
            },
            &[],
            &manifests
        ),
        Err(ResolveError::ReaderOnNonData)
    );
    let stale = Dispute {
        other: ConflictSide::Rule {
            index: 3,
            pattern: FIELD.into(),
            owner: "Researcher".into(),
        },
        ..dispute
    };
    assert_eq!(
        plan_resolution(
            &stale,
            &Resolution::give_ownership("Writer"),
            &[],
            &manifests
        ),
        Err(ResolveError::Stale)
    );
}
