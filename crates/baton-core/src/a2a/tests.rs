//! Answers recorded from the official `a2a-sdk` 1.3.0 echo agent (tests/peers/a2a-sdk-notes.md),
//! and malformed ones.

use chrono::{TimeZone, Utc};
use serde_json::{json, Value};

use super::*;
use crate::task::TaskState;

const CARD_1_0: &str = r#"{"name":"Baton Echo Agent","description":"Echoes text; \"ask...\" asks a question first; \"slow...\" takes a while.","supportedInterfaces":[{"url":"http://127.0.0.1:18200/a2a/jsonrpc","protocolBinding":"JSONRPC","protocolVersion":"1.0"},{"url":"http://127.0.0.1:18200/a2a/rest","protocolBinding":"HTTP+JSON","protocolVersion":"1.0"}],"version":"0.1.0","capabilities":{"streaming":true,"pushNotifications":false},"defaultInputModes":["text/plain"],"defaultOutputModes":["text/plain"],"skills":[{"id":"echo","name":"Echo","description":"Repeats the input text.","tags":["echo","test"],"examples":["hello","ask me something","slow hello"]}]}"#;

const ASK_1_0: &str = r#"{"id":"ed6a59cf-8761-439d-ba53-1a2b14e17dd4","contextId":"6cfd09fd-fc24-4e55-96a3-35bd9c43557e","status":{"state":"TASK_STATE_INPUT_REQUIRED","message":{"messageId":"010c2a66-f7e2-4678-bd32-68e880fde9c0","contextId":"6cfd09fd-fc24-4e55-96a3-35bd9c43557e","taskId":"ed6a59cf-8761-439d-ba53-1a2b14e17dd4","role":"ROLE_AGENT","parts":[{"text":"What is your favourite colour?"}]},"timestamp":"2026-11-22T07:13:45.395714Z"},"history":[{"messageId":"m-2","contextId":"6cfd09fd-fc24-4e55-96a3-35bd9c43557e","taskId":"ed6a59cf-8761-439d-ba53-1a2b14e17dd4","role":"ROLE_USER","parts":[{"text":"ask me"}]}]}"#;

const ASK_0_3: &str = r#"{"contextId":"90d37cc4-0f4f-43cd-a9cf-d1958e609225","history":[{"contextId":"90d37cc4-0f4f-43cd-a9cf-d1958e609225","kind":"message","messageId":"c-1","parts":[{"kind":"text","text":"ask old-style"}],"role":"user","taskId":"ea3604f8-49dd-4efb-9587-d4c43cfdc780"}],"id":"ea3604f8-49dd-4efb-9587-d4c43cfdc780","kind":"task","status":{"message":{"contextId":"90d37cc4-0f4f-43cd-a9cf-d1958e609225","kind":"message","messageId":"229ca7c2-d7f0-4632-9ae2-f8356fa4d7c9","parts":[{"kind":"text","text":"What is your favourite colour?"}],"role":"agent","taskId":"ea3604f8-49dd-4efb-9587-d4c43cfdc780"},"state":"input-required","timestamp":"2026-11-22T07:14:02.769663Z"}}"#;

const ANSWERED: &str = r#"{"task":{"id":"ed6a59cf-8761-439d-ba53-1a2b14e17dd4","contextId":"6cfd09fd-fc24-4e55-96a3-35bd9c43557e","status":{"state":"TASK_STATE_COMPLETED","message":{"messageId":"444dc0ab","role":"ROLE_AGENT","parts":[{"text":"thanks, you said: blue"}]},"timestamp":"2026-11-22T07:13:45.642067Z"},"artifacts":[{"artifactId":"8c40abe8-7448-4e20-ac6f-4baf2b824bd0","name":"answer","parts":[{"text":"answer: blue"}]}]}}"#;

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

#[test]
fn a_1_0_card_prefers_json_rpc_and_keeps_the_skills() {
    let card = parse_card(CARD_1_0.as_bytes()).unwrap();
    assert_eq!(card.name, "Baton Echo Agent");
    assert_eq!(card.version.as_deref(), Some("0.1.0"));
    assert_eq!(card.skills.len(), 1);
    assert_eq!(card.skills[0].name, "Echo");
    assert_eq!(card.interfaces.len(), 2);
    let best = card.preferred().unwrap();
    assert_eq!(best.binding, Binding::JsonRpc);
    assert_eq!(best.version, ProtocolVersion::V1);
    assert_eq!(best.url, "http://127.0.0.1:18200/a2a/jsonrpc");
    assert_eq!(card.interfaces[1].binding, Binding::HttpJson);
}

#[test]
fn a_card_with_0_3_interfaces_too_lists_them_after_the_1_0_ones() {
    let mut card = json(CARD_1_0);
    card["supportedInterfaces"]
        .as_array_mut()
        .unwrap()
        .push(json!({"url": "http://127.0.0.1:18200/a2a/jsonrpc", "protocolBinding": "JSONRPC", "protocolVersion": "0.3"}));
    card["url"] = json!("http://127.0.0.1:18200/a2a/jsonrpc");
    card["protocolVersion"] = json!("0.3");
    card["preferredTransport"] = json!("JSONRPC");
    let card = parse_card(card.to_string().as_bytes()).unwrap();
    let versions: Vec<_> = card
        .interfaces
        .iter()
        .map(|i| (i.binding, i.version))
        .collect();
    assert_eq!(
        versions,
        vec![
            (Binding::JsonRpc, ProtocolVersion::V1),
            (Binding::HttpJson, ProtocolVersion::V1),
            (Binding::JsonRpc, ProtocolVersion::V03),
        ]
    );
}

#[test]
fn a_0_3_card_is_read_from_its_url_and_transports() {
    let card = json!({
        "name": "Old agent",
        "url": "http://127.0.0.1:9000/rpc",
        "protocolVersion": "0.3.0",
        "additionalInterfaces": [{"transport": "HTTP+JSON", "url": "http://127.0.0.1:9000/rest"}],
        "skills": [{"id": "x"}]
    });
    let card = parse_card(card.to_string().as_bytes()).unwrap();
    assert_eq!(card.interfaces.len(), 2);
    assert!(card
        .interfaces
        .iter()
        .all(|i| i.version == ProtocolVersion::V03));
    assert_eq!(card.preferred().unwrap().binding, Binding::JsonRpc);
    assert_eq!(card.skills[0].name, "x");
}

#[test]
fn a_card_that_offers_nothing_usable_says_so() {
    for (body, expected) in [
        (&b"not json"[..], "not JSON"),
        (b"[1, 2]", "is not a JSON object"),
        (br#"{"supportedInterfaces": []}"#, "has no name"),
        (
            br#"{"name": "g", "supportedInterfaces": [{"url": "http://h/", "protocolBinding": "GRPC", "protocolVersion": "1.0"}]}"#,
            "no interface",
        ),
        (
            br#"{"name": "v9", "supportedInterfaces": [{"url": "http://h/", "protocolBinding": "JSONRPC", "protocolVersion": "9.0"}]}"#,
            "no interface",
        ),
        (
            br#"{"name": "relative", "supportedInterfaces": [{"url": "/rpc", "protocolBinding": "JSONRPC", "protocolVersion": "1.0"}]}"#,
            "no interface",
        ),
    ] {
        let err = parse_card(body).unwrap_err().to_string();
        assert!(err.contains(expected), "{err}");
    }
}

#[test]
fn an_input_required_task_in_either_version_carries_its_question() {
    for (text, id) in [
        (ASK_1_0, "ed6a59cf-8761-439d-ba53-1a2b14e17dd4"),
        (ASK_0_3, "ea3604f8-49dd-4efb-9587-d4c43cfdc780"),
    ] {
        let task = parse_task(&json(text)).unwrap();
        assert_eq!(task.id, id);
        assert_eq!(task.state, TaskState::InputRequired);
        assert_eq!(
            task.message.as_deref(),
            Some("What is your favourite colour?")
        );
        assert!(task.context_id.is_some());
        assert!(task.request.as_deref().unwrap().starts_with("ask"));
        assert!(task.timestamp.is_some());
    }
}

#[test]
fn a_send_message_result_wraps_the_task_and_its_artifacts() {
    let task = parse_task(&json(ANSWERED)).unwrap();
    assert_eq!(task.state, TaskState::Completed);
    assert_eq!(task.artifacts, vec!["answer".to_owned()]);
    assert_eq!(
        task.timestamp,
        Some(
            Utc.with_ymd_and_hms(2026, 11, 22, 7, 13, 45).unwrap()
                + chrono::Duration::microseconds(642_067)
        )
    );
}

#[test]
fn states_in_both_spellings() {
    for (text, state) in [
        ("TASK_STATE_WORKING", TaskState::Working),
        ("working", TaskState::Working),
        ("input-required", TaskState::InputRequired),
        ("TASK_STATE_AUTH_REQUIRED", TaskState::AuthRequired),
        ("auth_required", TaskState::AuthRequired),
        ("cancelled", TaskState::Canceled),
        ("TASK_STATE_CANCELED", TaskState::Canceled),
        ("Completed", TaskState::Completed),
    ] {
        assert_eq!(parse_task_state(text), Ok(state), "{text}");
    }
    for junk in ["TASK_STATE_UNSPECIFIED", "unknown", "done", ""] {
        assert!(parse_task_state(junk).is_err(), "{junk}");
    }
}

#[test]
fn timestamps_with_z_an_offset_or_no_zone() {
    let at = Utc.with_ymd_and_hms(2026, 11, 22, 7, 0, 0).unwrap();
    for text in [
        "2026-11-22T07:00:00Z",
        "2026-11-22T07:00:00+00:00",
        "2026-11-22T08:00:00+01:00",
        "2026-11-22T07:00:00",
        "2026-11-22T07:00:00.000",
    ] {
        assert_eq!(task::parse_timestamp(text), Some(at), "{text}");
    }
    assert_eq!(task::parse_timestamp("yesterday"), None);
}

#[test]
fn a_list_page_keeps_what_it_can_read_and_says_what_it_skipped() {
    let list = json!({
        "tasks": [
            json(ASK_1_0),
            {"id": "no-status"},
            {"id": "odd", "status": {"state": "TASK_STATE_DREAMING"}},
            {"status": {"state": "working"}},
            "not a task"
        ],
        "nextPageToken": "",
        "pageSize": 50,
        "totalSize": 5
    });
    let page = parse_task_list(&list).unwrap();
    assert_eq!(page.tasks.len(), 1);
    assert_eq!(page.skipped.len(), 4);
    assert_eq!(
        page.next_page_token, None,
        "an empty token is the last page"
    );
    assert!(page
        .skipped
        .iter()
        .any(|e| matches!(e, A2aError::UnknownState(s) if s == "TASK_STATE_DREAMING")));
    let next = parse_task_list(&json!({"tasks": [], "nextPageToken": "abc"})).unwrap();
    assert_eq!(next.next_page_token.as_deref(), Some("abc"));
    assert!(parse_task_list(&json!({"items": []})).is_err());
}
