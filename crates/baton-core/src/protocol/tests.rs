use std::collections::HashSet;

use super::*;
use crate::error::ProtocolError;

const FULL: &str = r#"{
  "protocol": "baton/1",
  "agent": {"id": "researcher", "name": "Researcher", "version": "1.0.0", "state": "working", "detail": "2 briefs"},
  "tasks": [
    {"id": "t-1", "title": "Collect sources", "state": "completed", "next_stage": "writer",
     "output": "file:///drafts/sources.md", "updated_at": "2026-11-21T10:00:00Z"},
    {"id": "t-2", "title": "Draft brief", "state": "working", "depends_on": ["t-1"],
     "reads": ["file:///drafts/sources.md"], "writes": ["file:///drafts/brief.md"],
     "state_since": "2026-11-21T10:01:00+00:00", "some_future_field": 1}
  ],
  "events": [
    {"seq": 1, "at": "2026-11-21T10:00:00Z", "kind": "state", "task_id": "t-1", "state": "completed"},
    {"seq": 2, "at": "2026-11-21T10:00:01Z", "kind": "write", "task_id": "t-2", "resource": "file:///drafts/brief.md"},
    {"seq": 3, "at": "2026-11-21T10:00:02Z", "kind": "handoff", "resource": "file:///drafts/brief.md", "to": "writer", "payload": {"words": 800}},
    {"seq": 4, "at": "2026-11-21T10:00:03Z", "kind": "claim", "key": "customer/42/tier", "value": "gold"},
    {"seq": 5, "at": "2026-11-21T10:00:04Z", "kind": "api_call", "api": "openai", "status": 429,
     "headers": {"x-ratelimit-remaining-requests": "0"}, "tokens": 0},
    {"seq": 6, "at": "2026-11-21T10:00:05Z", "kind": "needs_approval", "task_id": "t-2", "message": "Publish?"},
    {"seq": 7, "at": "2026-11-21T10:00:06Z", "kind": "read", "resource": "crm://contacts/42#status"},
    {"seq": 8, "at": "2026-11-21T10:00:07Z", "kind": "trigger", "resource": "mail://inbox/invoices/991"}
  ],
  "usage": [{"api": "openai", "window_start": "2026-11-21T10:00:00Z", "window_seconds": 60,
             "requests": 12, "tokens": 3400, "rate_limited": 1}],
  "cursor": "8"
}"#;

#[test]
fn parses_a_full_document_with_every_event_kind() {
    let doc = parse_status(FULL.as_bytes()).unwrap();
    assert_eq!(doc.agent.id, "researcher");
    assert_eq!(doc.agent.state, Some(AgentState::Working));
    assert_eq!(doc.tasks.len(), 2);
    assert_eq!(doc.tasks[1].depends_on, vec!["t-1"]);
    assert_eq!(doc.tasks[1].state, TaskState::Working);
    let kinds: HashSet<_> = doc.events.iter().map(|e| e.kind).collect();
    assert_eq!(kinds.len(), EventKind::ALL.len());
    assert_eq!(doc.usage[0].rate_limited, 1);
    assert_eq!(doc.cursor, "8");
}

#[test]
fn minimal_document_needs_only_protocol_agent_and_cursor() {
    let doc = parse_status(br#"{"protocol":"baton/1","agent":{"id":"a"},"cursor":""}"#).unwrap();
    assert!(doc.tasks.is_empty() && doc.events.is_empty() && doc.usage.is_empty());
}

#[test]
fn junk_is_not_json_with_position() {
    let err = parse_status(b"<html>oops</html>").unwrap_err();
    assert_eq!(err, ProtocolError::NotJson { line: 1, column: 1 });
    assert_eq!(err.to_string(), "not JSON at line 1 col 1");
    let err = parse_status(b"{\"protocol\" x}").unwrap_err();
    assert_eq!(err.to_string(), "not JSON at line 1 col 13");
}

#[test]
fn empty_body_says_so() {
    assert_eq!(parse_status(b"").unwrap_err(), ProtocolError::EmptyBody);
    assert_eq!(parse_status(b"  \n").unwrap_err(), ProtocolError::EmptyBody);
}

#[test]
fn truncated_document_is_reported_as_truncated() {
    let cut = &FULL.as_bytes()[..FULL.len() / 2];
    let err = parse_status(cut).unwrap_err();
    assert!(matches!(err, ProtocolError::Truncated { .. }), "{err:?}");
    assert!(err.to_string().starts_with("truncated JSON at line "));
}

#[test]
fn wrong_types_name_the_problem() {
    let body = br#"{"protocol":"baton/1","agent":{"id":"a"},"events":[{"seq":"one","at":"2026-11-21T10:00:00Z","kind":"write","resource":"x://y"}],"cursor":"1"}"#;
    let err = parse_status(body).unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("wrong shape: invalid type: string \"one\", expected u64 at line 1 col"),
        "{text}"
    );

    let body = br#"{"protocol":"baton/1","agent":{"id":"a"},"tasks":[{"id":"t","title":"x","state":"sleeping"}],"cursor":"1"}"#;
    let text = parse_status(body).unwrap_err().to_string();
    assert!(text.contains("unknown variant `sleeping`"), "{text}");

    let text = parse_status(b"[1,2,3]").unwrap_err().to_string();
    assert!(text.starts_with("wrong shape:"), "{text}");
}

#[test]
fn another_protocol_is_named() {
    let err =
        parse_status(br#"{"protocol":"baton/2","agent":{"id":"a"},"cursor":"1"}"#).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unsupported protocol \"baton/2\" (expected baton/1)"
    );
    let err = parse_status(br#"{"protocol":"a2a","something":"else"}"#).unwrap_err();
    assert_eq!(
        err,
        ProtocolError::UnsupportedProtocol {
            found: "a2a".into()
        }
    );
}

#[test]
fn semantic_rules_are_checked() {
    let cases = [
        (
            r#"{"protocol":"baton/1","agent":{"id":""},"cursor":"1"}"#,
            "agent.id is empty",
        ),
        (
            r#"{"protocol":"baton/1","agent":{"id":"a"},"tasks":[{"id":"t","title":"x","state":"working"},{"id":"t","title":"y","state":"working"}],"cursor":"1"}"#,
            "task id \"t\" appears twice",
        ),
        (
            r#"{"protocol":"baton/1","agent":{"id":"a"},"events":[{"seq":0,"at":"2026-11-21T10:00:00Z","kind":"read","resource":"x://y"}],"cursor":"1"}"#,
            "events[0].seq must be 1 or more",
        ),
        (
            r#"{"protocol":"baton/1","agent":{"id":"a"},"events":[{"seq":1,"at":"2026-11-21T10:00:00Z","kind":"write"}],"cursor":"1"}"#,
            "events[0] (write) needs \"resource\"",
        ),
        (
            r#"{"protocol":"baton/1","agent":{"id":"a"},"events":[{"seq":1,"at":"2026-11-21T10:00:00Z","kind":"handoff","resource":"x://y"}],"cursor":"1"}"#,
            "events[0] (handoff) needs \"to\"",
        ),
        (
            r#"{"protocol":"baton/1","agent":{"id":"a"},"events":[{"seq":1,"at":"2026-11-21T10:00:00Z","kind":"state","task_id":"t"}],"cursor":"1"}"#,
            "events[0] (state) needs \"state\"",
        ),
    ];
    for (body, expected) in cases {
        let err = parse_status(body.as_bytes()).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("invalid document: {expected}"),
            "{body}"
        );
    }
}

#[test]
fn huge_nesting_is_an_error_not_a_crash() {
    let body = "[".repeat(100_000);
    assert!(parse_status(body.as_bytes()).is_err());
}

#[test]
fn a_document_round_trips_through_serde() {
    let doc = parse_status(FULL.as_bytes()).unwrap();
    let again = parse_status(serde_json::to_vec(&doc).unwrap().as_slice()).unwrap();
    assert_eq!(doc, again);
}

proptest::proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
        let _ = parse_status(&bytes);
    }

    #[test]
    fn any_prefix_of_a_valid_document_is_rejected_cleanly(cut in 1usize..200) {
        let end = FULL.len().saturating_sub(cut);
        if let Ok(doc) = parse_status(&FULL.as_bytes()[..end]) {
            // Only whitespace was cut: then it is the whole document.
            proptest::prop_assert_eq!(doc.cursor, "8");
        }
    }
}

const DECLARING: &str = r#"{
  "protocol": "baton/1",
  "agent": {"id": "researcher-1", "declares": {
    "triggers": ["slack://research-requests"],
    "reads": ["api://search", "crm://contacts/*#industry"],
    "writes": ["file:///research/**"],
    "outputs": ["file:///research/**"]
  }},
  "cursor": "0"
}"#;

#[test]
fn agent_declares_is_parsed() {
    let doc = parse_status(DECLARING.as_bytes()).unwrap();
    let declares = doc.agent.declares.clone().unwrap();
    assert_eq!(declares.triggers, ["slack://research-requests"]);
    assert_eq!(
        declares.reads,
        ["api://search", "crm://contacts/*#industry"]
    );
    assert_eq!(declares.writes, ["file:///research/**"]);
    assert_eq!(declares.outputs, ["file:///research/**"]);
    let manifest = declares.to_manifest("Researcher 1");
    assert_eq!(manifest.agent, "Researcher 1");
    assert_eq!(manifest.declares.writes, declares.writes);
    assert!(crate::rules::manifest::validate_manifest(&manifest).is_ok());
    let again = parse_status(serde_json::to_vec(&doc).unwrap().as_slice()).unwrap();
    assert_eq!(doc, again);
}

#[test]
fn agent_declares_is_optional_and_its_lists_default_to_empty() {
    let doc = parse_status(br#"{"protocol":"baton/1","agent":{"id":"a"},"cursor":""}"#).unwrap();
    assert_eq!(doc.agent.declares, None);
    let json = serde_json::to_string(&doc).unwrap();
    assert!(!json.contains("declares"), "{json}");

    let doc = parse_status(
        br#"{"protocol":"baton/1","agent":{"id":"a","declares":{"writes":["crm://contacts/*#score"]}},"cursor":""}"#,
    )
    .unwrap();
    let declares = doc.agent.declares.unwrap();
    assert!(declares.triggers.is_empty() && declares.reads.is_empty());
    assert!(declares.outputs.is_empty());
    assert_eq!(declares.writes, ["crm://contacts/*#score"]);

    let doc =
        parse_status(br#"{"protocol":"baton/1","agent":{"id":"a","declares":{}},"cursor":""}"#)
            .unwrap();
    assert_eq!(doc.agent.declares, Some(Declares::default()));
}

#[test]
fn a_declared_pattern_that_does_not_parse_is_named() {
    let cases = [
        (
            r#"{"writes":["file:///drafts/**","drafts/**"]}"#,
            "agent.declares.writes[1]: bad pattern \"drafts/**\": column 7: expected `scheme://` (no `://` found)",
        ),
        (
            r#"{"triggers":[""]}"#,
            "agent.declares.triggers[0]: bad pattern \"\": the pattern is empty",
        ),
        (
            r#"{"reads":["api://search","crm://contacts/***"]}"#,
            "agent.declares.reads[1]: bad pattern \"crm://contacts/***\": column 16: `***` is not a wildcard; use `*` (one segment) or `**` (any number of segments)",
        ),
        (
            r#"{"outputs":["cms://posts#"]}"#,
            "agent.declares.outputs[0]: bad pattern \"cms://posts#\": column 12: the fragment after `#` is empty",
        ),
    ];
    for (declares, expected) in cases {
        let body = format!(
            r#"{{"protocol":"baton/1","agent":{{"id":"a","declares":{declares}}},"cursor":"1"}}"#
        );
        let err = parse_status(body.as_bytes()).unwrap_err();
        assert!(matches!(err, ProtocolError::Invalid { .. }), "{err:?}");
        assert_eq!(err.to_string(), format!("invalid document: {expected}"));
    }
}

#[test]
fn agent_declares_of_the_wrong_shape_is_refused() {
    let body = br#"{"protocol":"baton/1","agent":{"id":"a","declares":{"writes":"file:///x"}},"cursor":"1"}"#;
    let text = parse_status(body).unwrap_err().to_string();
    assert!(
        text.starts_with("wrong shape: invalid type: string"),
        "{text}"
    );
}
