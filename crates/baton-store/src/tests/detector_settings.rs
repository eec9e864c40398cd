//! Handoff schemas (checked, audited), the dead-letter list (kept whole, once per handoff), and
//! per-agent detector windows (checked, audited).

use baton_core::detect::handoff::{DeadLetter, SchemaViolation};
use serde_json::json;

use super::support::*;
use crate::decisions::DecisionFilter;
use crate::StoreError;

fn letter(agent_id: i64, seq: u64) -> DeadLetter {
    DeadLetter {
        agent_id,
        seq,
        at: t(seq as i64),
        handoff_type: Some("brief".into()),
        receiver: Some("editor-1".into()),
        payload: Some(json!({"type": "brief", "title": 123, "nested": {"a": [1, 2]}})),
        violations: vec![SchemaViolation {
            path: "/title".into(),
            message: "123 is not of type \"string\"".into(),
        }],
    }
}

#[test]
fn schemas_must_compile_and_every_change_is_logged() {
    let (mut store, _) = store_with_agent();
    let schema = json!({"type": "object", "required": ["title"]});
    store
        .set_handoff_schema("brief", &schema, "ana", t(0))
        .unwrap();
    let replaced = json!({"type": "object", "required": ["title", "summary"]});
    store
        .set_handoff_schema(" brief ", &replaced, "ana", t(1))
        .unwrap();
    assert_eq!(
        store.handoff_schemas().unwrap(),
        [("brief".to_owned(), replaced)]
    );
    assert!(matches!(
        store.set_handoff_schema("brief", &json!({"type": 12}), "ana", t(2)),
        Err(StoreError::InvalidSchema(_))
    ));
    assert!(matches!(
        store.set_handoff_schema("", &schema, "ana", t(2)),
        Err(StoreError::InvalidSchema(_))
    ));
    store.remove_handoff_schema("brief", "ana", t(3)).unwrap();
    assert!(store.handoff_schemas().unwrap().is_empty());
    assert!(matches!(
        store.remove_handoff_schema("brief", "ana", t(4)),
        Err(StoreError::HandoffSchemaNotFound(_))
    ));
    let log = store.decisions(&DecisionFilter::default()).unwrap();
    let actions: Vec<&str> = log.iter().map(|d| d.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "handoff_schema.set",
            "handoff_schema.set",
            "handoff_schema.remove"
        ]
    );
    assert_eq!(log[1].detail.as_ref().unwrap()["before"], schema);
}

#[test]
fn dead_letters_keep_the_whole_payload_once() {
    let (mut store, id) = store_with_agent();
    assert_eq!(
        store
            .record_dead_letters(&[letter(id, 4), letter(id, 5)], t(10))
            .unwrap(),
        2
    );
    assert_eq!(
        store.record_dead_letters(&[letter(id, 4)], t(11)).unwrap(),
        0,
        "kept once"
    );
    // A letter of an agent that is gone is not kept.
    assert_eq!(
        store.record_dead_letters(&[letter(99, 1)], t(11)).unwrap(),
        0
    );
    let letters = store.dead_letters().unwrap();
    assert_eq!(letters.len(), 2);
    assert_eq!(letters[0], letter(id, 5), "newest first, payload whole");
    store.remove_agent(id).unwrap();
    assert!(store.dead_letters().unwrap().is_empty());
}

#[test]
fn detector_windows_are_checked_kept_per_agent_and_logged() {
    use baton_core::detect::windows::WindowOverrides;
    let (mut store, id) = store_with_agent();
    assert!(store.detect_windows(id).unwrap().is_empty());
    let stall = WindowOverrides {
        stall_seconds: Some(3600),
        ..WindowOverrides::default()
    };
    store.set_detect_windows(id, &stall, "ana", t(0)).unwrap();
    assert_eq!(store.detect_windows(id).unwrap(), stall);
    assert_eq!(store.all_detect_windows().unwrap(), [(id, stall.clone())]);
    // The same again changes nothing and logs nothing.
    store.set_detect_windows(id, &stall, "ana", t(1)).unwrap();
    let bad = WindowOverrides {
        unreachable_polls: Some(0),
        ..WindowOverrides::default()
    };
    assert!(matches!(
        store.set_detect_windows(id, &bad, "ana", t(2)),
        Err(StoreError::InvalidWindows {
            field: "unreachable_polls",
            ..
        })
    ));
    assert!(matches!(
        store.set_detect_windows(99, &stall, "ana", t(2)),
        Err(StoreError::AgentNotFound(99))
    ));
    // Empty clears them.
    store
        .set_detect_windows(id, &WindowOverrides::default(), "ana", t(3))
        .unwrap();
    assert!(store.all_detect_windows().unwrap().is_empty());
    let log = store.decisions(&DecisionFilter::default()).unwrap();
    let actions: Vec<&str> = log.iter().map(|d| d.action.as_str()).collect();
    assert_eq!(actions, ["windows.set", "windows.set"]);
    assert_eq!(log[1].subject, format!("agent:{id}"));
}
