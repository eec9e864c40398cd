//! Every parser of what comes from outside (agents' status documents, A2A cards and tasks,
//! rate-limit headers, rule patterns, the hook payloads of the five coding agents: Claude Code's,
//! Codex's, Copilot CLI's, Gemini CLI's, OpenCode's plugin calls; the usage records of Gemini CLI
//! and OpenCode) fed arbitrary bytes and
//! arbitrary JSON values: it never panics, and what it refuses it refuses with a typed error
//! that says something. (`baton.toml` is fuzzed in the CLI's tests, where its parser lives.)

use std::collections::{BTreeMap, HashMap};

use baton_core::a2a::{observe, parse_card, parse_task, parse_task_list, A2aCursor};
use baton_core::hooks::{parse_hook_payload, HookClient};
use baton_core::protocol::parse_status;
use baton_core::ratelimit::{parse_retry_after, read_rate_limit_headers};
use baton_core::rules::ResourcePattern;
use baton_core::usage::{parser_for, read_lines};
use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use serde_json::Value;

/// Any JSON value, nested a few levels, with the keys the parsers look for among random ones
/// so that the values reach past the first field check.
fn json_value() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("protocol".to_owned()),
        Just("agent".to_owned()),
        Just("id".to_owned()),
        Just("tasks".to_owned()),
        Just("events".to_owned()),
        Just("seq".to_owned()),
        Just("at".to_owned()),
        Just("kind".to_owned()),
        Just("cursor".to_owned()),
        Just("state".to_owned()),
        Just("status".to_owned()),
        Just("timestamp".to_owned()),
        Just("name".to_owned()),
        Just("url".to_owned()),
        Just("supportedInterfaces".to_owned()),
        Just("protocolVersion".to_owned()),
        Just("history".to_owned()),
        Just("message".to_owned()),
        Just("parts".to_owned()),
        Just("hook_event_name".to_owned()),
        Just("session_id".to_owned()),
        Just("tool_name".to_owned()),
        Just("tool_input".to_owned()),
        Just("toolArgs".to_owned()),
        Just("hook".to_owned()),
        Just("input".to_owned()),
        Just("output".to_owned()),
        Just("args".to_owned()),
        Just("sessionID".to_owned()),
        Just("event".to_owned()),
        Just("properties".to_owned()),
        Just("type".to_owned()),
        "[a-z_]{1,8}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "\\PC{0,24}".prop_map(Value::String),
        Just(Value::String("baton/1".into())),
        Just(Value::String("2026-11-23T09:00:00Z".into())),
        Just(Value::String("TASK_STATE_INPUT_REQUIRED".into())),
        Just(Value::String("PreToolUse".into())),
        Just(Value::String("write".into())),
        Just(Value::String("BeforeTool".into())),
        Just(Value::String("tool.execute.before".into())),
        Just(Value::String("session.idle".into())),
    ];
    leaf.prop_recursive(4, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(key.clone(), inner, 0..8)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// Every JSON pointer inside `value` (its own "" too).
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    out.push(at.clone());
    match value {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                pointers(item, format!("{at}/{i}"), out);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                let key = key.replace('~', "~0").replace('/', "~1");
                pointers(item, format!("{at}/{key}"), out);
            }
        }
        _ => {}
    }
}

/// `valid` with the value at one of its places (chosen by `place`) replaced by `with`: a good
/// document with one wrong part, anywhere in it.
fn one_part_wrong(valid: &str, place: prop::sample::Index, with: Value) -> Value {
    let mut value: Value = serde_json::from_str(valid).unwrap();
    let mut all = Vec::new();
    pointers(&value, String::new(), &mut all);
    let at = &all[place.index(all.len())];
    if let Some(slot) = value.pointer_mut(at) {
        *slot = with;
    }
    value
}

const STATUS: &str = r#"{"protocol": "baton/1",
  "agent": {"id": "w", "name": "Writer", "state": "working", "declares": {"writes": ["crm://contacts/*"]}},
  "tasks": [{"id": "t1", "title": "Draft", "state": "working", "depends_on": ["t0"],
             "writes": ["file:///drafts/**"], "next_stage": "editor", "started_at": "2026-11-23T09:00:00Z"}],
  "events": [{"seq": 1, "at": "2026-11-23T09:00:01Z", "kind": "write", "task_id": "t1", "resource": "crm://contacts/42#status"},
             {"seq": 2, "at": "2026-11-23T09:00:02Z", "kind": "api_call", "api": "openai", "status": 429, "headers": {"retry-after": "3"}, "tokens": 12},
             {"seq": 3, "at": "2026-11-23T09:00:03Z", "kind": "needs_approval", "task_id": "t1", "message": "Send?", "payload": {"options": ["yes", "no"]}},
             {"seq": 4, "at": "2026-11-23T09:00:04Z", "kind": "claim", "key": "k", "value": {"a": 1}}],
  "usage": [{"api": "openai", "window_start": "2026-11-23T09:00:00Z", "window_seconds": 60, "requests": 3, "tokens": 40, "rate_limited": 1}],
  "cursor": "4"}"#;

const CARD: &str = r#"{"name": "Echo", "description": "d", "version": "1",
  "supportedInterfaces": [{"url": "http://127.0.0.1:9/a2a", "protocolBinding": "JSONRPC", "protocolVersion": "1.0"}],
  "capabilities": {"streaming": false}, "skills": [{"id": "s", "name": "S", "tags": ["t"]}]}"#;

const TASK_LIST: &str = r#"{"tasks": [{"id": "t1", "contextId": "c1",
  "status": {"state": "TASK_STATE_INPUT_REQUIRED", "timestamp": "2026-11-23T09:00:00Z",
             "message": {"role": "ROLE_AGENT", "parts": [{"text": "Which one?"}]}},
  "history": [{"role": "ROLE_USER", "parts": [{"text": "go"}]}]}], "nextPageToken": "", "totalSize": 1}"#;

const HOOK: &str = r#"{"session_id": "abc", "cwd": "/repo", "hook_event_name": "PreToolUse",
  "tool_name": "MultiEdit", "tool_input": {"file_path": "src/a.rs", "edits": [{"old_string": "a", "new_string": "b"}]},
  "toolName": "edit", "toolArgs": "{\"path\": \"a.rs\"}", "prompt": "p", "message": "m"}"#;

/// What Baton's OpenCode plugin hands over: a tool call, and a bus event.
const OPENCODE_HOOK: &str = r#"{"hook": "tool.execute.before", "directory": "/repo",
  "input": {"tool": "write", "sessionID": "ses_dec5457c7ffeAuGOkxVKzgG7bW", "callID": "c1"},
  "output": {"args": {"filePath": "/repo/src/a.rs", "content": "x"}}}"#;

const OPENCODE_EVENT: &str = r#"{"hook": "event", "directory": "/repo",
  "event": {"type": "permission.asked", "properties": {"sessionID": "ses_1",
            "permission": "edit", "patterns": ["src/*"]}}}"#;

/// A response as Gemini CLI's session file and OpenCode's database hold it.
const GEMINI_LINE: &str = r#"{"id": "m1", "timestamp": "2026-11-25T17:53:02.668Z", "type": "gemini",
  "content": "", "tokens": {"input": 1100, "output": 21, "cached": 400, "thoughts": 7, "tool": 3,
  "total": 1131}, "model": "gemini-2.5-flash"}"#;

const OPENCODE_LINE: &str = r#"{"id": "msg_1", "session_id": "ses_1", "time_updated": 1795629203366,
  "data": {"role": "assistant", "modelID": "m", "time": {"created": 1795629199610},
           "tokens": {"input": 700, "output": 16, "reasoning": 5, "cache": {"write": 0, "read": 400}}}}"#;

fn bytes() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..512)
}

/// A refusal says something a person can read.
fn said(message: String) -> Result<(), TestCaseError> {
    prop_assert!(!message.trim().is_empty(), "an empty error message");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn status_documents_of_any_shape_are_taken_or_refused_with_a_reason(value in json_value()) {
        let body = serde_json::to_vec(&value).unwrap();
        if let Err(err) = parse_status(&body) {
            said(err.to_string())?;
        }
    }

    #[test]
    fn good_documents_with_one_part_wrong_are_taken_or_refused_with_a_reason(
        place in any::<prop::sample::Index>(),
        with in json_value(),
        event in prop::option::of(prop_oneof![Just("preToolUse".to_owned()), Just("Stop".to_owned())]),
    ) {
        let status = one_part_wrong(STATUS, place, with.clone());
        if let Err(err) = parse_status(&serde_json::to_vec(&status).unwrap()) {
            said(err.to_string())?;
        }
        let card = one_part_wrong(CARD, place, with.clone());
        if let Err(err) = parse_card(&serde_json::to_vec(&card).unwrap()) {
            said(err.to_string())?;
        }
        let list = one_part_wrong(TASK_LIST, place, with.clone());
        match parse_task_list(&list) {
            Ok(page) => {
                let card = parse_card(CARD.as_bytes()).unwrap();
                let _ = observe(&card, &page.tasks, &HashMap::new(), &A2aCursor::default(), Utc::now());
            }
            Err(err) => said(err.to_string())?,
        }
        for good in [HOOK, OPENCODE_HOOK, OPENCODE_EVENT] {
            let hook = serde_json::to_vec(&one_part_wrong(good, place, with.clone())).unwrap();
            for client in HookClient::ALL {
                if let Err(err) = parse_hook_payload(client, &hook, event.as_deref()) {
                    said(err.to_string())?;
                }
            }
        }
    }

    #[test]
    fn a2a_cards_of_any_bytes_or_shape_are_refused_with_a_reason(value in json_value(), raw in bytes()) {
        for body in [serde_json::to_vec(&value).unwrap(), raw] {
            match parse_card(&body) {
                Ok(card) => {
                    // A card taken is one Baton can use: observing it with no tasks works.
                    let _ = observe(&card, &[], &HashMap::new(), &A2aCursor::default(), Utc::now());
                }
                Err(err) => said(err.to_string())?,
            }
        }
    }

    #[test]
    fn a2a_tasks_and_task_lists_of_any_shape_are_refused_with_a_reason(value in json_value()) {
        if let Err(err) = parse_task(&value) {
            said(err.to_string())?;
        }
        if let Err(err) = parse_task_list(&value) {
            said(err.to_string())?;
        }
        let wrapped = serde_json::json!({"tasks": [value.clone()], "task": value});
        if let Err(err) = parse_task_list(&wrapped) {
            said(err.to_string())?;
        }
    }

    #[test]
    fn hook_payloads_of_any_bytes_or_shape_are_refused_with_a_reason(
        value in json_value(),
        raw in bytes(),
        event in prop::option::of("[a-zA-Z]{0,20}"),
    ) {
        for client in HookClient::ALL {
            for body in [serde_json::to_vec(&value).unwrap(), raw.clone()] {
                if let Err(err) = parse_hook_payload(client, &body, event.as_deref()) {
                    said(err.to_string())?;
                }
            }
        }
    }

    #[test]
    fn usage_records_of_any_bytes_or_shape_are_skipped_with_a_reason(
        value in json_value(),
        raw in bytes(),
        place in any::<prop::sample::Index>(),
    ) {
        for client in HookClient::ALL {
            let Some(parser) = parser_for(client) else { continue };
            let good = match client {
                HookClient::Gemini => GEMINI_LINE,
                _ => OPENCODE_LINE,
            };
            let wrong = serde_json::to_vec(&one_part_wrong(good, place, value.clone())).unwrap();
            for line in [serde_json::to_vec(&value).unwrap(), raw.clone(), wrong] {
                if let Err(err) = parser.parse(&line, None) {
                    said(err)?;
                }
                let mut chunk = line.clone();
                chunk.push(b'\n');
                let read = read_lines(parser, &chunk, 0, None, false);
                prop_assert!(read.consumed <= chunk.len());
                for warning in read.warnings {
                    said(warning)?;
                }
            }
        }
    }

    #[test]
    fn rule_patterns_of_any_text_are_refused_with_a_reason(text in "\\PC{0,80}", raw in "[a-z:/*#.@?%\\[\\]{}\\\\ -]{0,40}") {
        for text in [text, raw] {
            match ResourcePattern::parse(&text) {
                // A pattern taken matches and prints without panicking.
                Ok(pattern) => {
                    let _ = pattern.matches(&text);
                    let _ = pattern.to_string();
                }
                Err(err) => said(err.to_string())?,
            }
        }
    }

    #[test]
    fn rate_limit_headers_of_any_name_and_value_never_panic(
        headers in prop::collection::btree_map("[a-zA-Z-]{1,30}", "\\PC{0,60}", 0..12),
        retry in "\\PC{0,40}",
    ) {
        let at = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
        let reading = read_rate_limit_headers(&headers, at);
        let mut with_known: BTreeMap<String, String> = headers;
        with_known.insert("retry-after".into(), retry.clone());
        with_known.insert("x-ratelimit-remaining-requests".into(), retry.clone());
        let _ = (reading, read_rate_limit_headers(&with_known, at));
        let _ = parse_retry_after(&retry, at);
    }
}

#[test]
fn the_documents_the_fuzzing_starts_from_are_good() {
    let status = parse_status(STATUS.as_bytes()).expect("a good status document");
    assert_eq!((status.tasks.len(), status.events.len()), (1, 4));
    let card = parse_card(CARD.as_bytes()).expect("a good card");
    let page = parse_task_list(&serde_json::from_str(TASK_LIST).unwrap()).expect("a good list");
    assert_eq!(page.tasks.len(), 1);
    let doc = observe(
        &card,
        &page.tasks,
        &HashMap::new(),
        &A2aCursor::default(),
        Utc::now(),
    );
    assert_eq!(doc.tasks.len(), 1);
    for (client, line) in [
        (HookClient::Gemini, GEMINI_LINE),
        (HookClient::OpenCode, OPENCODE_LINE),
    ] {
        let items = parser_for(client)
            .unwrap()
            .parse(line.as_bytes(), None)
            .unwrap();
        assert_eq!(items.len(), 1, "{client:?}: {items:?}");
    }
    for client in HookClient::ALL {
        let goods: &[&str] = match client {
            HookClient::OpenCode => &[OPENCODE_HOOK, OPENCODE_EVENT],
            _ => &[HOOK],
        };
        for good in goods {
            parse_hook_payload(client, good.as_bytes(), Some("preToolUse"))
                .expect("a good payload");
        }
    }
}
