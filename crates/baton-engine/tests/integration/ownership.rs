//! The ownership commands end to end through the engine: declarations, the pre-deploy check,
//! resolving a conflict, rule edits with their errors, and the audit trail.

use crate::support::*;
use baton_core::rules::{ConflictSide, Declares, Dispute, Resolution, Rule, RuleKind};
use baton_store::DecisionFilter;

const FIELD: &str = "crm://contacts/*#status";

fn writes(pattern: &str) -> Declares {
    Declares {
        writes: vec![pattern.into()],
        ..Declares::default()
    }
}

#[tokio::test]
async fn two_writers_are_caught_before_deploy_and_settled_in_one_step() {
    let fixture = Fixture::start(Mode::Body(doc("fx", &[], 0))).await;
    let (engine, _) = engine_and_tokens(test_config());
    let writer = engine
        .add_agent(draft("Writer", &fixture.base_url, 1000, 500), None)
        .await
        .unwrap();
    engine
        .set_declaration(writer.id, Some(writes(FIELD)), "ana".into())
        .await
        .unwrap();

    let conflicts = engine
        .predeploy_check("Researcher".into(), writes("crm://contacts/42#*"))
        .await
        .unwrap();
    assert_eq!(conflicts.len(), 1, "{conflicts:#?}");
    assert_eq!(conflicts[0].example, "crm://contacts/42#status");
    // The Writer it overlaps with has not run long enough for a second agent beside it.
    // (Polled today at most: 0 or 1 of the 28 days.)
    let not_ready = conflicts[0].other_not_ready.as_deref().unwrap_or_default();
    assert!(
        not_ready.starts_with("Writer is not ready: ") && not_ready.ends_with(" of 28 days"),
        "{not_ready:?}"
    );
    let writer_id = writer.id;
    engine
        .write(move |s| {
            for back in 0..28 {
                let day = chrono::Utc::now() - chrono::Duration::days(back);
                s.count_polls(writer_id, day, 100, 0)?;
            }
            Ok(())
        })
        .await
        .unwrap();
    let ready = engine
        .predeploy_check("Researcher".into(), writes("crm://contacts/42#*"))
        .await
        .unwrap();
    assert_eq!(ready[0].other_not_ready, None, "ready now");
    let bad = engine
        .predeploy_check("Researcher".into(), writes("crm://con*/x"))
        .await
        .unwrap_err();
    assert_eq!(
        (bad.code(), bad.field()),
        ("invalid_declaration", Some("writes"))
    );

    // Another path on the same fixture: one URL is one agent.
    let researcher_url = format!("{}/researcher", fixture.base_url);
    let researcher = engine
        .add_agent(draft("Researcher", &researcher_url, 1000, 500), None)
        .await
        .unwrap();
    let map = engine
        .set_declaration(
            researcher.id,
            Some(writes("crm://contacts/42#*")),
            "ana".into(),
        )
        .await
        .unwrap();
    assert_eq!(map.conflicts.len(), 1);

    let dispute = Dispute {
        agent: "Researcher".into(),
        kind: RuleKind::Data,
        pattern: "crm://contacts/42#*".into(),
        other: ConflictSide::Agent {
            name: "Writer".into(),
            pattern: FIELD.into(),
        },
    };
    let wrong = engine
        .resolve_conflict(
            dispute.clone(),
            Resolution::give_ownership("Editor"),
            "ana".into(),
        )
        .await
        .unwrap_err();
    assert_eq!(wrong.code(), "invalid_resolution");
    let resolved = engine
        .resolve_conflict(
            dispute,
            Resolution::MakeReader {
                reader: "Researcher".into(),
            },
            "ana".into(),
        )
        .await
        .unwrap();
    assert!(
        resolved.map.conflicts.is_empty(),
        "{:#?}",
        resolved.map.conflicts
    );
    assert_eq!(
        resolved.summary,
        [
            "New data rule crm://contacts/*#status → Writer, read by Researcher",
            "Researcher reads crm://contacts/42#* instead of writing it",
        ]
    );

    let store = engine.store();
    let actions: Vec<String> = store
        .read_blocking(|s| s.decisions(&DecisionFilter::default()))
        .unwrap()
        .into_iter()
        .map(|entry| format!("{} {} {}", entry.who, entry.action, entry.subject))
        .collect();
    assert_eq!(
        actions,
        [
            format!("ana declares.set agent:{}", writer.id),
            format!("ana declares.set agent:{}", researcher.id),
            "ana rule.add rule:1".to_string(),
            format!("ana declares.set agent:{}", researcher.id),
        ]
    );
    engine.shutdown().await;
}

#[tokio::test]
async fn rule_edits_are_validated_checked_and_answered_with_the_map() {
    let (engine, _) = engine_and_tokens(test_config());
    let rule = Rule::new(RuleKind::Output, "file:///drafts/**", "Writer");
    let map = engine.add_rule(rule.clone(), "ana".into()).await.unwrap();
    let id = map.rules[0].id;

    let bad = Rule::new(RuleKind::Output, "file:///drafts/x**", "Writer");
    let err = engine
        .add_rule(bad.clone(), "ana".into())
        .await
        .unwrap_err();
    assert_eq!((err.code(), err.field()), ("invalid_rule", Some("pattern")));
    let check = engine.check_rule(bad, None).await.unwrap();
    assert_eq!(check.problem.unwrap().column, Some(17));

    let rival = Rule::new(RuleKind::Output, "file:///drafts/a.md", "Editor");
    let check = engine.check_rule(rival.clone(), None).await.unwrap();
    assert_eq!(check.overlaps.len(), 1);
    assert_eq!(check.overlaps[0].example, "file:///drafts/a.md");
    let map = engine.add_rule(rival, "ana".into()).await.unwrap();
    assert_eq!(map.conflicts.len(), 1);
    // Editing the first rule itself does not count as overlapping itself.
    let check = engine.check_rule(rule.clone(), Some(id)).await.unwrap();
    assert_eq!(check.overlaps.len(), 1);

    let map = engine
        .update_rule(
            id,
            Rule {
                sequence: vec!["Editor".into()],
                ..Rule::new(RuleKind::Output, "file:///drafts/*.txt", "Writer")
            },
            "ana".into(),
        )
        .await
        .unwrap();
    assert!(map.conflicts.is_empty(), "{:#?}", map.conflicts);
    let map = engine.remove_rule(id, "ana".into()).await.unwrap();
    assert_eq!(map.rules.len(), 1);
    let gone = engine.remove_rule(id, "ana".into()).await.unwrap_err();
    assert_eq!(gone.code(), "not_found");
}
