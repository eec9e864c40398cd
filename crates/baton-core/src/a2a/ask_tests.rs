//! What an agent asks, read from recorded answers of real peers (Google ADK 2.13's `to_a2a`,
//! a2a-sdk 1.3 underneath: `tests/peers/adk-notes.md`) and from malformed data parts; and the
//! reply shaped in the form it asked.

use std::collections::HashMap;

use serde_json::{json, Value};

use super::ask::MAX_FIELDS;
use super::*;
use crate::protocol::EventKind;
use crate::task::TaskState;

/// ADK's `ListTasks` entry for a task whose agent asked through a long-running function call
/// (recorded; the history trimmed to the user's request).
const ADK_ASK: &str = r#"{"id":"e9c6a144-3613-4754-86f6-ef392909c449","contextId":"f12d5eb7-6fd2-4d69-9ca4-3a694465293f","status":{"state":"TASK_STATE_INPUT_REQUIRED","message":{"messageId":"12510a78-e420-44d7-bc39-fa431972ab97","role":"ROLE_AGENT","parts":[{"data":{"args":{"question":"Which city?","reason":"to book the trip"},"name":"ask_human","id":"call-7a8625b963a6"},"metadata":{"adk_is_long_running":true,"adk_type":"function_call"},"filename":"","mediaType":""}],"contextId":"","taskId":"","extensions":[],"referenceTaskIds":[]},"timestamp":"2026-11-25T06:15:15.818169Z"},"history":[{"messageId":"m1","contextId":"f12d5eb7-6fd2-4d69-9ca4-3a694465293f","taskId":"e9c6a144-3613-4754-86f6-ef392909c449","role":"ROLE_USER","parts":[{"text":"ask me where to go","filename":"","mediaType":""}],"extensions":[],"referenceTaskIds":[]}],"metadata":{"adk_app_name":"adk_peer"},"artifacts":[]}"#;

/// ADK's answer to a text reply: the task still waits, saying why (recorded).
const ADK_NO_RESPONSE: &str = r#"{"id":"t-2","contextId":"c-2","status":{"state":"TASK_STATE_INPUT_REQUIRED","message":{"messageId":"x","role":"ROLE_AGENT","parts":[{"text":"It was not provided a function response for the function call."}]},"timestamp":"2026-11-25T06:16:00Z"}}"#;

/// @a2a-js/sdk 1.3.0's `ListTasks` entry for a task that asks in words, its options as a data
/// part (recorded: `tests/peers/a2a_js_agent.mjs`).
const JS_ASK: &str = r#"{"id":"d548a359-137a-4672-919b-00d58328620a","contextId":"3a9b2f13-aea5-4093-b070-87fe00abac2d","status":{"state":"TASK_STATE_INPUT_REQUIRED","message":{"messageId":"fc5b19f6-df4b-40b5-8a16-63136a3742f9","contextId":"3a9b2f13-aea5-4093-b070-87fe00abac2d","taskId":"d548a359-137a-4672-919b-00d58328620a","role":"ROLE_AGENT","parts":[{"text":"What is your favourite colour?"},{"data":{"options":["red","green","blue"]}}]},"timestamp":"2026-11-25T06:46:42.714Z"},"history":[{"messageId":"m1","contextId":"3a9b2f13-aea5-4093-b070-87fe00abac2d","taskId":"d548a359-137a-4672-919b-00d58328620a","role":"ROLE_USER","parts":[{"text":"ask me a colour"}]}],"metadata":{},"artifacts":[]}"#;

fn parsed(text: &str) -> A2aTask {
    parse_task(&serde_json::from_str::<Value>(text).unwrap()).unwrap()
}

fn message(parts: Value) -> Value {
    json!({ "role": "ROLE_AGENT", "parts": parts })
}

#[test]
fn adk_asks_through_a_long_running_function_call() {
    let task = parsed(ADK_ASK);
    let ask = task.ask.clone().unwrap();
    assert_eq!(ask.question.as_deref(), Some("Which city?"));
    assert_eq!(
        ask.fields,
        vec![
            ("function".to_owned(), "ask_human".to_owned()),
            ("reason".to_owned(), "to book the trip".to_owned()),
        ]
    );
    assert_eq!(
        ask.call,
        Some(AskCall {
            id: Some("call-7a8625b963a6".into()),
            name: "ask_human".into(),
            form: vec![],
        })
    );
    assert_eq!(
        task.message.as_deref(),
        Some("Which city?\nfunction: ask_human\nreason: to book the trip")
    );
}

#[test]
fn the_request_names_the_question_and_the_task() {
    let card = parse_card(br#"{"name":"adk_peer","url":"http://h/","version":"1"}"#).unwrap();
    let task = parsed(ADK_ASK);
    let doc = observe(
        &card,
        &[task],
        &HashMap::new(),
        &A2aCursor::default(),
        chrono::Utc::now(),
    );
    let ask = doc
        .events
        .iter()
        .find(|e| e.kind == EventKind::NeedsApproval)
        .unwrap();
    assert_eq!(
        ask.message.as_deref(),
        Some("Which city? — “ask me where to go”\nfunction: ask_human\nreason: to book the trip")
    );
    // Without a readable question: the state's words, and still the task's title.
    let mut bare = parsed(ADK_ASK);
    bare.ask = None;
    bare.message = None;
    bare.state = TaskState::AuthRequired;
    let doc = observe(
        &card,
        &[bare],
        &HashMap::new(),
        &A2aCursor::default(),
        chrono::Utc::now(),
    );
    let asked = doc.events.last().unwrap().message.clone().unwrap();
    assert_eq!(
        asked,
        "the agent needs authorization — “ask me where to go”"
    );
}

#[test]
fn a_function_call_is_answered_with_its_function_response() {
    let ask = parsed(ADK_ASK).ask.unwrap();
    let reply = shape_reply(Some(&ask), "approve", Some("  Lisbon "));
    assert_eq!(reply.form, "function_response");
    assert_eq!(
        reply.described,
        "as a function_response to ask_human (call-7a8625b963a6)"
    );
    assert_eq!(
        reply.parts,
        vec![ReplyPart::Data {
            data: json!({"id": "call-7a8625b963a6", "name": "ask_human",
                         "response": {"response": "Lisbon"}}),
            metadata: json!({"adk_type": "function_response"}),
        }]
    );
    let response =
        |action: &str, note: Option<&str>| match &shape_reply(Some(&ask), action, note).parts[0] {
            ReplyPart::Data { data, .. } => data["response"].clone(),
            other => panic!("{other:?}"),
        };
    assert_eq!(response("approve", None), json!({"approved": true}));
    assert_eq!(response("approve", Some("  ")), json!({"approved": true}));
    assert_eq!(
        response("reject", Some("too far")),
        json!({"approved": false, "note": "too far"})
    );
    assert_eq!(
        response("reject", None),
        json!({"approved": false, "note": null})
    );
    assert_eq!(
        response("retry", Some("again")),
        json!({"action": "retry", "note": "again"})
    );
}

#[test]
fn a_small_form_is_answered_field_by_field() {
    let ask = read_ask(&message(json!([{
        "data": {"id": "call-9", "name": "ask_human",
                 "args": {"question": "Where and when?", "fields": ["city", "date"]}},
        "metadata": {"adk_type": "function_call", "adk_is_long_running": true}
    }])))
    .unwrap();
    assert_eq!(ask.call.as_ref().unwrap().form, vec!["city", "date"]);
    let reply = shape_reply(
        Some(&ask),
        "approve",
        Some("City: Lisbon\ndate = 2026-12-01"),
    );
    let ReplyPart::Data { data, .. } = &reply.parts[0] else {
        panic!("{reply:?}");
    };
    assert_eq!(
        data["response"],
        json!({"city": "Lisbon", "date": "2026-12-01"})
    );
    // Words that name no field of the form are the answer as they are.
    let reply = shape_reply(Some(&ask), "approve", Some("Lisbon, next week"));
    let ReplyPart::Data { data, .. } = &reply.parts[0] else {
        panic!("{reply:?}");
    };
    assert_eq!(data["response"], json!({"response": "Lisbon, next week"}));
}

#[test]
fn the_js_sdk_asks_in_words_with_its_options_as_data() {
    let task = parsed(JS_ASK);
    assert_eq!(
        task.message.as_deref(),
        Some("What is your favourite colour?\noptions: [\"red\",\"green\",\"blue\"]")
    );
    let reply = shape_reply(task.ask.as_ref(), "approve", Some("blue"));
    assert_eq!(reply.parts, vec![ReplyPart::Text("blue".into())]);
}

#[test]
fn a_question_in_words_is_answered_in_words() {
    let task = parsed(ADK_NO_RESPONSE);
    assert!(task.ask.as_ref().unwrap().call.is_none());
    assert_eq!(
        task.message.as_deref(),
        Some("It was not provided a function response for the function call.")
    );
    for (action, note, said) in [
        ("approve", Some("blue"), "blue"),
        ("approve", None, "approved"),
        ("reject", Some("no"), "rejected: no"),
        ("reject", None, "rejected"),
        ("dismiss", Some("later"), "dismiss: later"),
    ] {
        let reply = shape_reply(task.ask.as_ref(), action, note);
        assert_eq!(reply.form, "text");
        assert_eq!(reply.parts, vec![ReplyPart::Text(said.into())]);
    }
    assert_eq!(shape_reply(None, "approve", None).described, "as text");
}

#[test]
fn other_data_reads_as_key_values() {
    let ask = read_ask(&message(json!([
        {"kind": "data", "data": {"prompt": "Approve the refund?", "amount": 120.5,
                                  "order": {"id": 7731, "lines": [1, 2]}}}
    ])))
    .unwrap();
    assert_eq!(ask.question.as_deref(), Some("Approve the refund?"));
    assert!(ask.call.is_none());
    assert!(ask.fields.contains(&("amount".into(), "120.5".into())));
    assert!(ask
        .fields
        .contains(&("order".into(), r#"{"id":7731,"lines":[1,2]}"#.into())));
    // No question key: the first field is the question.
    let ask = read_ask(&message(json!([{"data": {"city": "Lisbon"}}]))).unwrap();
    assert_eq!(ask.question.as_deref(), Some("city: Lisbon"));
    // Text and data together: the text is the question, the data its fields.
    let ask = read_ask(&message(json!([
        {"text": "Which one?"}, {"data": {"options": ["a", "b"]}}
    ])))
    .unwrap();
    assert_eq!(ask.question.as_deref(), Some("Which one?"));
    assert_eq!(ask.fields, vec![("options".into(), r#"["a","b"]"#.into())]);
    // A call with no question argument: named by its function.
    let ask = read_ask(&message(
        json!([{"data": {"name": "confirm_payment", "args": {"amount": 5}}}]),
    ))
    .unwrap();
    assert_eq!(
        ask.question.as_deref(),
        Some("the agent calls confirm_payment")
    );
    assert_eq!(ask.call.unwrap().id, None);
}

#[test]
fn malformed_data_parts_are_bounded_and_never_a_crash() {
    // Huge: a long string, many keys, a long array.
    let many: serde_json::Map<String, Value> = (0..10_000)
        .map(|i| (format!("k{i}"), json!("v".repeat(10_000))))
        .collect();
    let ask = read_ask(&message(json!([
        {"data": {"question": "q".repeat(100_000)}},
        {"data": Value::Object(many)},
        {"data": {"list": vec![1; 100_000]}}
    ])))
    .unwrap();
    assert!(ask.question.as_ref().unwrap().chars().count() <= 500);
    assert_eq!(ask.fields.len(), MAX_FIELDS);
    assert!(ask
        .fields
        .iter()
        .all(|(k, v)| k.len() <= 60 && v.chars().count() <= 200));
    assert!(ask.text().unwrap().len() < 8_000);

    // Nested as deep as serde_json reads (128 levels).
    let mut deep = json!("bottom");
    for _ in 0..120 {
        deep = json!({ "a": [deep] });
    }
    let ask = read_ask(&message(
        json!([{"data": {"question": "Deep?", "deep": deep}}]),
    ))
    .unwrap();
    assert_eq!(ask.fields[0].0, "deep");
    assert!(ask.fields[0].1.contains('…'), "{:?}", ask.fields);

    // Wrong types: args not an object, name not a string, data a scalar or null, parts junk.
    for parts in [
        json!([{"data": {"name": 7, "args": "x"}, "metadata": {"adk_type": "function_call"}}]),
        json!([{"data": {"name": "f", "args": [1, 2]}}]),
        json!([{"data": "just a string"}]),
        json!([{"data": 42}]),
        json!([{"data": null}, {"text": 5}, 7, "x", null]),
        json!([{"data": {"id": 3, "name": "f", "args": {"question": ["not", "text"]}},
                "metadata": {"adk_type": "function_call"}}]),
    ] {
        let _ = read_ask(&message(parts.clone()));
        let task = json!({"id": "t", "status": {"state": "input-required",
                          "message": message(parts)}});
        let task = parse_task(&task).unwrap();
        let _ = shape_reply(task.ask.as_ref(), "approve", Some("x"));
    }
    let ask = read_ask(&message(json!([{"data": 42}]))).unwrap();
    assert_eq!(ask.question.as_deref(), Some("data: 42"));
    let ask = read_ask(&message(
        json!([{"data": {"name": 7, "args": "x"}, "metadata": {"adk_type": "function_call"}}]),
    ))
    .unwrap();
    assert_eq!(ask.call.unwrap().name, "function");
    assert_eq!(read_ask(&message(json!([{"data": null}, 7]))), None);
    assert_eq!(read_ask(&json!({"parts": "nope"})), None);

    // Escaped: no line breaks, control or bidirectional characters from data.
    let ask = read_ask(&message(json!([{"data": {
        "question": "Pay\nnow?\u{202e}", "note\r": "a\u{0}b"
    }}])))
    .unwrap();
    let text = ask.text().unwrap();
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(
        !text.contains('\u{202e}') && !text.contains('\u{0}'),
        "{text}"
    );
    assert!(text.contains("\\u{a}"), "{text}");
}

#[test]
fn a_function_response_goes_out_in_each_binding_and_version() {
    use super::wire::{request, Call};
    let ask = parsed(ADK_ASK).ask.unwrap();
    let reply = shape_reply(Some(&ask), "approve", Some("Lisbon"));
    let send = Call::SendMessage {
        task_id: "t-1",
        context_id: Some("c-1"),
        message_id: "baton-7-2",
        parts: &reply.parts,
    };
    let data = json!({"id": "call-7a8625b963a6", "name": "ask_human",
                      "response": {"response": "Lisbon"}});
    let meta = json!({"adk_type": "function_response"});
    let at = |binding, version| Interface {
        url: "http://h/a2a".into(),
        binding,
        version,
    };
    let body = |binding, version| {
        request(&at(binding, version), &send, 1)
            .unwrap()
            .body
            .unwrap()
    };
    let v1 = body(Binding::JsonRpc, ProtocolVersion::V1);
    assert_eq!(
        v1["params"]["message"]["parts"],
        json!([{"data": data, "metadata": meta}])
    );
    assert_eq!(v1["params"]["message"]["taskId"], "t-1");
    let v03 = body(Binding::JsonRpc, ProtocolVersion::V03);
    assert_eq!(
        v03["params"]["message"]["parts"],
        json!([{"kind": "data", "data": data, "metadata": meta}])
    );
    let rest1 = body(Binding::HttpJson, ProtocolVersion::V1);
    assert_eq!(
        rest1["message"]["parts"],
        json!([{"data": data, "metadata": meta}])
    );
    let rest03 = body(Binding::HttpJson, ProtocolVersion::V03);
    assert_eq!(
        rest03["message"]["content"],
        json!([{"data": {"data": data}, "metadata": meta}])
    );
}
