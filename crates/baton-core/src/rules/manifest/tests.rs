use super::*;
use crate::rules::Rule;

fn rule(kind: RuleKind, pattern: &str, owner: &str, readers: &[&str]) -> Rule {
    Rule {
        readers: readers.iter().map(|r| r.to_string()).collect(),
        ..Rule::new(kind, pattern, owner)
    }
}

fn manifest(
    agent: &str,
    triggers: &[&str],
    reads: &[&str],
    writes: &[&str],
    outputs: &[&str],
) -> AgentManifest {
    let own = |l: &[&str]| l.iter().map(|s| s.to_string()).collect();
    Declares {
        triggers: own(triggers),
        reads: own(reads),
        writes: own(writes),
        outputs: own(outputs),
    }
    .to_manifest(agent)
}

#[test]
fn declarations_against_rules_owned_by_others_conflict() {
    let rules = vec![
        rule(RuleKind::Trigger, "slack://billing", "Triage", &[]),
        rule(
            RuleKind::Data,
            "crm://contacts/*#status",
            "Researcher",
            &["Writer"],
        ),
        rule(RuleKind::Output, "file:///drafts/**", "writer", &[]),
        rule(RuleKind::Data, "crm://deals/**", "Writer", &[]),
    ];
    let new = manifest(
        "Writer",
        &["slack://billing"],
        &["crm://contacts/**"],
        &["crm://contacts/42#*", "crm://deals/7"],
        &["file:///drafts/a.md"],
    );
    let conflicts = predeploy_check(&new, &rules, &[]);
    assert_eq!(conflicts.len(), 2, "{conflicts:#?}");
    assert_eq!(conflicts[0].kind, RuleKind::Trigger);
    assert_eq!(conflicts[0].example, "slack://billing");
    assert_eq!(
        conflicts[0].other,
        ConflictSide::Rule {
            index: 0,
            pattern: "slack://billing".into(),
            owner: "Triage".into()
        }
    );
    assert_eq!(conflicts[1].kind, RuleKind::Data);
    assert_eq!(conflicts[1].pattern, "crm://contacts/42#*");
    assert_eq!(conflicts[1].example, "crm://contacts/42#status");
    assert_eq!(
        conflicts[1].message,
        "Writer declares writes to crm://contacts/42#*, but data rule 1 (crm://contacts/*#status → Researcher) gives crm://contacts/42#status to Researcher (Writer may only read it)"
    );
}

#[test]
fn reads_never_conflict() {
    let rules = vec![rule(
        RuleKind::Data,
        "crm://contacts/*#status",
        "Researcher",
        &[],
    )];
    let new = manifest("Writer", &[], &["crm://contacts/**"], &[], &[]);
    assert!(predeploy_check(&new, &rules, &[]).is_empty());
}

#[test]
fn declarations_against_other_agents_conflict() {
    let others = vec![
        manifest(
            "Researcher",
            &["slack://billing"],
            &[],
            &["crm://contacts/*#status"],
            &["file:///out/*.md"],
        ),
        manifest("Analyst", &[], &["crm://contacts/**"], &[], &[]),
        // The new agent's own previous declaration is not a rival.
        manifest("writer", &["slack://billing"], &[], &[], &[]),
    ];
    let new = manifest(
        "Writer",
        &["slack://billing"],
        &["crm://contacts/**"],
        &["crm://contacts/**"],
        &["file:///out/report.md"],
    );
    let conflicts = predeploy_check(&new, &[], &others);
    let summary: Vec<_> = conflicts
        .iter()
        .map(|c| (c.kind, c.example.as_str()))
        .collect();
    assert_eq!(
        summary,
        vec![
            (RuleKind::Trigger, "slack://billing"),
            (RuleKind::Data, "crm://contacts/x#status"),
            (RuleKind::Output, "file:///out/report.md"),
        ]
    );
    assert_eq!(
        conflicts[0].message,
        "Writer and Researcher both declare the trigger slack://billing"
    );
    assert!(
        matches!(&conflicts[1].other, ConflictSide::Agent { name, .. } if name == "Researcher")
    );
}

#[test]
fn manifests_are_validated() {
    assert_eq!(
        validate_manifest(&manifest(" ", &[], &[], &[], &[])),
        Err(ManifestError::EmptyAgent)
    );
    let err = validate_manifest(&manifest("A", &[], &[], &["crm://a", "crm//b"], &[])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "writes[1] \"crm//b\": column 4: expected `scheme://` (no `://` found)"
    );
    assert!(validate_manifest(&manifest(
        "A",
        &["x://y"],
        &["x://y/**"],
        &[],
        &["f:///a/b*"]
    ))
    .is_ok());
}
