//! Detectors over agents: unreachable, divergent claims, approvals, invalid handoffs.

use serde_json::json;

use super::*;
#[test]
fn an_agent_failing_polls_in_a_row_is_unreachable() {
    let mut w = World::at(0);
    w.agents[1].consecutive_failures = 4;
    assert!(w.kinds().is_empty());
    w.agents[1].consecutive_failures = 5;
    w.agents[1].last_error = Some("connection refused".into());
    let found = w.run();
    assert_eq!(found[0].kind, FindingKind::Unreachable);
    assert_eq!(
        found[0].summary,
        "Editor failed 5 polls in a row: connection refused"
    );
    assert_eq!(found[0].dedupe_key, format!("unreachable:{EDITOR}:never"));
    // A later episode (after a successful poll) is another cause.
    w.agents[1].last_success = Some(t(0));
    assert_eq!(
        w.run()[0].dedupe_key,
        format!("unreachable:{EDITOR}:{}", t(0).timestamp())
    );
}

#[test]
fn an_agent_that_numbers_its_events_again_is_one_warning_per_episode() {
    let mut w = World::at(5000);
    let episode = CounterRestart {
        since: t(100),
        last_at: t(4000),
        reused: 3,
        backward: 1,
        over: false,
    };
    w.agents[1].counter = Some(episode);
    let found = w.run();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].kind, FindingKind::CounterRestart);
    assert_eq!(found[0].severity, Severity::Warning);
    assert_eq!(found[0].agents, [EDITOR]);
    assert_eq!(
        found[0].summary,
        "Editor restarted without its event counter: 3 event(s) came with a seq it had used for \
         another event and were not stored; 1 event(s) came numbered below ones stored before. \
         Its seq must keep growing across restarts (docs/protocol.md), or its events are lost"
    );
    assert_eq!(
        found[0].dedupe_key,
        format!("counter_restart:{EDITOR}:{}", t(100).timestamp())
    );
    // Over, and its last poll more than an hour ago: nothing more to tell.
    w.agents[1].counter = Some(CounterRestart {
        over: true,
        ..episode
    });
    assert_eq!(w.kinds(), [FindingKind::CounterRestart], "over, 1000 s ago");
    w.now = t(4000) + Duration::hours(1);
    assert!(w.kinds().is_empty());
}

#[test]
fn agents_stating_different_values_for_one_key() {
    let mut w = World::at(100);
    let claim = |agent, seq, at, value: serde_json::Value| {
        let mut e = ev(agent, seq, at, EventKind::Claim);
        e.event.key = Some("invoice/881.status".into());
        e.event.value = Some(value);
        e
    };
    w.old_events = vec![claim(WRITER, 1, 10, json!("paid"))];
    w.new_events = vec![claim(EDITOR, 1, 20, json!("unpaid"))];
    let found = w.run();
    assert_eq!(found[0].kind, FindingKind::DivergentClaims);
    assert!(
        found[0].summary.contains("Writer says \"paid\""),
        "{}",
        found[0].summary
    );
    // Agreeing, or the writer changing its mind to agree, is fine.
    w.new_events = vec![claim(EDITOR, 1, 20, json!("paid"))];
    assert!(w.kinds().is_empty());
    w.old_events.push(claim(WRITER, 2, 15, json!("unpaid")));
    w.new_events = vec![claim(EDITOR, 1, 20, json!("unpaid"))];
    assert!(w.kinds().is_empty());
}

#[test]
fn an_agent_asking_for_approval() {
    let mut w = World::at(100);
    let mut ask = in_task(ev(PUBLISHER, 4, 90, EventKind::NeedsApproval), "post-7");
    ask.event.message = Some("Publish the Q3 post?".into());
    w.new_events = vec![ask];
    let found = w.run();
    assert_eq!(found[0].kind, FindingKind::NeedsApproval);
    assert_eq!(found[0].summary, "Publisher asks: Publish the Q3 post?");
    assert_eq!(
        found[0].dedupe_key,
        format!("needs_approval:{PUBLISHER}:post-7")
    );
}

fn brief_schema() -> serde_json::Value {
    json!({
        "type": "object",
        "required": ["type", "title", "summary"],
        "properties": {
            "type": {"const": "brief"},
            "title": {"type": "string"},
            "summary": {"type": "string"}
        }
    })
}

fn handoff(seq: u64, payload: serde_json::Value) -> ObservedEvent {
    let mut e = on(ev(WRITER, seq, 10, EventKind::Handoff), DRAFT);
    e.event.to = Some("editor-1".into());
    e.event.payload = Some(payload);
    e
}

#[test]
fn invalid_handoff_fires_on_a_payload_that_fails_its_schema_and_keeps_it_whole() {
    let mut w = World::at(20);
    w.schemas.add("brief", &brief_schema()).unwrap();
    let bad = json!({"type": "brief", "title": 123});
    w.new_events = vec![handoff(4, bad.clone())];
    let found = w.run();
    assert_eq!(found.len(), 1);
    let f = &found[0];
    assert_eq!(f.kind, FindingKind::InvalidHandoff);
    assert_eq!(f.agents, [WRITER, EDITOR], "sender and receiver");
    assert_eq!(f.resource.as_deref(), Some(DRAFT));
    assert_eq!(f.dedupe_key, "invalid_handoff:1:4");
    assert!(
        f.summary
            .contains("brief handoff to editor-1 fails its schema"),
        "{}",
        f.summary
    );
    let letters = w.dead_letters();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].payload.as_ref(), Some(&bad));
    let paths: Vec<&str> = letters[0]
        .violations
        .iter()
        .map(|v| v.path.as_str())
        .collect();
    assert!(
        paths.contains(&"/title") && paths.contains(&""),
        "{paths:?}"
    );
    // The same event seen again names the same cause.
    assert_eq!(w.run()[0].dedupe_key, f.dedupe_key);
}

#[test]
fn invalid_handoff_stays_quiet_on_valid_unchecked_or_untyped_payloads() {
    let mut w = World::at(20);
    w.new_events = vec![handoff(1, json!({"type": "brief", "title": 1}))];
    assert!(w.run().is_empty(), "no schema registered: not checked");
    w.schemas.add("brief", &brief_schema()).unwrap();
    w.new_events = vec![
        handoff(2, json!({"type": "brief", "title": "Q3", "summary": "ok"})),
        handoff(3, json!({"type": "invoice", "total": "x"})),
        handoff(4, json!({"title": 5})),
        handoff(5, json!("not an object")),
    ];
    assert!(w.run().is_empty());
    assert!(w.dead_letters().is_empty());
}

#[test]
fn schemas_are_checked_when_registered() {
    let mut schemas = handoff::HandoffSchemas::default();
    assert!(matches!(
        schemas.add(" ", &brief_schema()),
        Err(handoff::SchemaError::BadType)
    ));
    assert!(matches!(
        schemas.add("brief", &json!({"type": "no-such-type"})),
        Err(handoff::SchemaError::Invalid(_))
    ));
    assert!(schemas.is_empty());
}

fn claim_of(agent: i64, seq: u64, at: i64, value: serde_json::Value) -> ObservedEvent {
    let mut e = ev(agent, seq, at, EventKind::Claim);
    e.event.key = Some("db/primary".into());
    e.event.value = Some(value);
    e
}

#[test]
fn equal_objects_with_members_in_another_order_are_one_claim() {
    let mut w = World::at(100);
    let read = |text: &str| serde_json::from_str::<serde_json::Value>(text).unwrap();
    w.old_events = vec![claim_of(
        WRITER,
        1,
        10,
        read(r#"{"engine":"postgres","version":16}"#),
    )];
    w.new_events = vec![claim_of(
        EDITOR,
        1,
        20,
        read(r#"{ "version": 16.0, "engine": "postgr\u0065s" }"#),
    )];
    assert!(w.kinds().is_empty(), "{:?}", w.run());
    w.new_events = vec![claim_of(
        EDITOR,
        1,
        20,
        read(r#"{"version":17,"engine":"postgres"}"#),
    )];
    let found = w.run();
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].summary,
        "Agents disagree on db/primary: Writer says {\"engine\":\"postgres\",\"version\":16}; \
         Editor says {\"engine\":\"postgres\",\"version\":17}"
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]

    /// Two agents claiming one value, each spelling it its own way: no finding; one of them
    /// stating a really different value: one.
    #[test]
    fn claims_are_compared_by_their_value_never_their_text(
        value in crate::json::tests::value(),
        seeds in proptest::prelude::any::<(u64, u64)>(),
        at in proptest::prelude::any::<usize>(),
        how in proptest::prelude::any::<usize>(),
    ) {
        use crate::json::tests::{change, respell, Dice};
        let spelt = |v: &serde_json::Value, seed| -> Result<serde_json::Value, proptest::prelude::TestCaseError> {
            let text = respell(v, &mut Dice::new(seed));
            serde_json::from_str(&text)
                .map_err(|err| proptest::prelude::TestCaseError::fail(format!("{text:?}: {err}")))
        };
        let mut w = World::at(100);
        w.old_events = vec![claim_of(WRITER, 1, 10, spelt(&value, seeds.0)?)];
        w.new_events = vec![claim_of(EDITOR, 1, 20, spelt(&value, seeds.1)?)];
        let found = w.run();
        proptest::prop_assert!(found.is_empty(), "{}: {:?}", value, found);
        let changed = change(&value, at, how);
        w.new_events = vec![claim_of(EDITOR, 1, 20, spelt(&changed, seeds.1)?)];
        let found = w.run();
        proptest::prop_assert_eq!(found.len(), 1, "{} vs {}", value, changed);
        proptest::prop_assert_eq!(found[0].kind, FindingKind::DivergentClaims);
    }
}
