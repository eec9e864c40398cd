//! The requests for each binding and version, answers read back (recorded from a2a-sdk 1.3.0,
//! and malformed), and what a poll's tasks add up to.

use std::collections::HashMap;

use chrono::{TimeZone, Utc};
use serde_json::json;

use super::reply::ReplyPart;
use super::wire::{read_answer, request, Call, Method};
use super::*;
use crate::protocol::EventKind;
use crate::task::TaskState;

fn iface(binding: Binding, version: ProtocolVersion, url: &str) -> Interface {
    Interface {
        url: url.into(),
        binding,
        version,
    }
}

static RED: std::sync::LazyLock<Vec<ReplyPart>> =
    std::sync::LazyLock::new(|| vec![ReplyPart::Text("red".into())]);

fn answer_red() -> Call<'static> {
    Call::SendMessage {
        task_id: "t-1",
        context_id: Some("c-1"),
        message_id: "baton-7-2",
        parts: &RED,
    }
}

#[test]
fn json_rpc_calls_name_the_method_of_each_version() {
    let v1 = iface(
        Binding::JsonRpc,
        ProtocolVersion::V1,
        "http://h/a2a/jsonrpc",
    );
    let list = request(
        &v1,
        &Call::ListTasks {
            after: Some("2026-11-22T07:13:45.395714Z"),
            page_token: Some("abc"),
        },
        3,
    )
    .unwrap();
    assert_eq!((list.method, list.version), (Method::Post, Some("1.0")));
    let body = list.body.unwrap();
    assert_eq!(body["method"], "ListTasks");
    assert_eq!(body["id"], 3);
    assert_eq!(
        body["params"]["statusTimestampAfter"],
        "2026-11-22T07:13:45.395714Z"
    );
    assert_eq!(body["params"]["pageToken"], "abc");
    assert_eq!(body["params"]["includeArtifacts"], true);

    let send = request(&v1, &answer_red(), 4).unwrap().body.unwrap();
    assert_eq!(send["method"], "SendMessage");
    assert_eq!(
        send["params"]["message"],
        json!({"messageId": "baton-7-2", "role": "ROLE_USER", "parts": [{"text": "red"}],
               "taskId": "t-1", "contextId": "c-1"})
    );

    let v03 = iface(
        Binding::JsonRpc,
        ProtocolVersion::V03,
        "http://h/a2a/jsonrpc",
    );
    let get = request(&v03, &Call::GetTask { id: "t-1" }, 5).unwrap();
    assert_eq!(
        get.version, None,
        "0.3 servers read a missing header as 0.3"
    );
    assert_eq!(get.body.unwrap()["method"], "tasks/get");
    let send = request(&v03, &answer_red(), 6).unwrap().body.unwrap();
    assert_eq!(send["method"], "message/send");
    assert_eq!(send["params"]["message"]["role"], "user");
    assert_eq!(send["params"]["message"]["parts"][0]["kind"], "text");
    assert!(matches!(
        request(
            &v03,
            &Call::ListTasks {
                after: None,
                page_token: None
            },
            7
        ),
        Err(A2aError::Unsupported(_))
    ));
}

#[test]
fn rest_calls_are_paths_under_the_interface_url() {
    let v1 = iface(
        Binding::HttpJson,
        ProtocolVersion::V1,
        "http://h:9/a2a/rest/",
    );
    let list = request(
        &v1,
        &Call::ListTasks {
            after: Some("2026-11-22T07:13:45+00:00"),
            page_token: None,
        },
        1,
    )
    .unwrap();
    assert_eq!(list.method, Method::Get);
    assert_eq!(
        list.url,
        "http://h:9/a2a/rest/tasks?pageSize=100&includeArtifacts=true&statusTimestampAfter=2026-11-22T07%3A13%3A45%2B00%3A00"
    );
    let get = request(&v1, &Call::GetTask { id: "a/b c" }, 1).unwrap();
    assert_eq!(get.url, "http://h:9/a2a/rest/tasks/a%2Fb%20c");
    let send = request(&v1, &answer_red(), 1).unwrap();
    assert_eq!(
        (send.method, send.url.as_str()),
        (Method::Post, "http://h:9/a2a/rest/message:send")
    );
    assert_eq!(send.body.unwrap()["message"]["parts"][0]["text"], "red");

    let v03 = iface(
        Binding::HttpJson,
        ProtocolVersion::V03,
        "http://h:9/a2a/rest",
    );
    assert_eq!(
        request(&v03, &Call::GetTask { id: "t-1" }, 1).unwrap().url,
        "http://h:9/a2a/rest/v1/tasks/t-1"
    );
    let send = request(&v03, &answer_red(), 1).unwrap();
    assert_eq!(send.url, "http://h:9/a2a/rest/v1/message:send");
    let message = &send.body.unwrap()["message"];
    assert_eq!(message["content"][0]["text"], "red");
    assert!(message.get("parts").is_none());
}

#[test]
fn answers_and_errors_as_a2a_sdk_gives_them() {
    let rpc = iface(Binding::JsonRpc, ProtocolVersion::V1, "http://h/");
    let ok = br#"{"result":{"tasks":[],"pageSize":50,"totalSize":0,"nextPageToken":""},"id":8,"jsonrpc":"2.0"}"#;
    assert_eq!(read_answer(&rpc, 200, ok).unwrap()["totalSize"], 0);
    let unsupported = br#"{"error":{"code":-32004,"message":"ListTasks is not supported by this agent","data":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"UNSUPPORTED_OPERATION","domain":"a2a-protocol.org","metadata":{}}]},"id":1,"jsonrpc":"2.0"}"#;
    assert!(matches!(
        read_answer(&rpc, 200, unsupported),
        Err(A2aError::Unsupported(m)) if m.contains("ListTasks")
    ));
    let no_method =
        br#"{"error":{"code":-32601,"message":"Method not found"},"id":5,"jsonrpc":"2.0"}"#;
    assert!(matches!(
        read_answer(&rpc, 200, no_method),
        Err(A2aError::Unsupported(_))
    ));
    let not_found = br#"{"jsonrpc":"2.0","id":7,"error":{"code":-32001,"data":null,"message":"Task not found"}}"#;
    assert!(matches!(
        read_answer(&rpc, 200, not_found),
        Err(A2aError::TaskNotFound(_))
    ));
    let version = br#"{"error":{"code":-32009,"message":"A2A version '0.3' is not supported by this handler. Expected version '1.0'."},"id":1,"jsonrpc":"2.0"}"#;
    assert_eq!(
        read_answer(&rpc, 200, version).unwrap_err().to_string(),
        "JSON-RPC error -32009: A2A version '0.3' is not supported by this handler. Expected version '1.0'."
    );
    for junk in [
        &b"<html>"[..],
        b"",
        b"[]",
        br#"{"id":1}"#,
        br#"{"result":null}"#,
    ] {
        assert!(read_answer(&rpc, 200, junk).is_err(), "{junk:?}");
    }
    assert_eq!(
        read_answer(&rpc, 404, br#"{"detail":"Not Found"}"#),
        Err(A2aError::Http {
            status: 404,
            message: r#"{"detail":"Not Found"}"#.into()
        })
    );
    assert!(matches!(
        read_answer(&rpc, 502, b"Bad Gateway"),
        Err(A2aError::Http { status: 502, .. })
    ));

    let rest = iface(Binding::HttpJson, ProtocolVersion::V1, "http://h/");
    let unsupported = br#"{"error":{"code":400,"status":"FAILED_PRECONDITION","message":"ListTasks is not supported by this agent","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"UNSUPPORTED_OPERATION","domain":"a2a-protocol.org","metadata":{}}]}}"#;
    assert!(matches!(
        read_answer(&rest, 400, unsupported),
        Err(A2aError::Unsupported(_))
    ));
    assert_eq!(
        read_answer(&rest, 404, br#"{"detail":"Not Found"}"#),
        Err(A2aError::Http {
            status: 404,
            message: r#"{"detail":"Not Found"}"#.into()
        })
    );
    let gone = br#"{"error":{"code":404,"status":"NOT_FOUND","message":"Task not found","details":[{"reason":"TASK_NOT_FOUND"}]}}"#;
    assert!(matches!(
        read_answer(&rest, 404, gone),
        Err(A2aError::TaskNotFound(_))
    ));
    assert!(matches!(
        read_answer(&rest, 200, b"{"),
        Err(A2aError::NotJson(_))
    ));
    let huge_error = format!(r#"{{"error":{{"message":"{}"}}}}"#, "x".repeat(10_000));
    match read_answer(&rest, 500, huge_error.as_bytes()) {
        Err(A2aError::Http {
            status: 500,
            message,
        }) => assert_eq!(message.len(), 200),
        other => panic!("{other:?}"),
    }
}

fn a2a_task(id: &str, state: TaskState, secs: i64, message: Option<&str>) -> A2aTask {
    A2aTask {
        id: id.into(),
        context_id: Some("ctx".into()),
        state,
        message: message.map(str::to_owned),
        ask: None,
        timestamp: Some(Utc.timestamp_opt(1_800_000_000 + secs, 0).unwrap()),
        zoneless: false,
        request: Some(format!("ask   about\n{id}")),
        artifacts: vec![],
        message_ids: vec![],
    }
}

fn card() -> AgentCard {
    AgentCard {
        name: "Echo".into(),
        description: Some("Echoes".into()),
        version: Some("0.1.0".into()),
        skills: vec![],
        interfaces: vec![iface(Binding::JsonRpc, ProtocolVersion::V1, "http://h/")],
    }
}

#[test]
fn a_poll_makes_state_events_for_what_changed_and_asks_for_input_required() {
    let now = Utc.timestamp_opt(1_800_000_100, 0).unwrap();
    let tasks = vec![
        a2a_task("t-1", TaskState::Completed, 5, None),
        a2a_task(
            "t-2",
            TaskState::InputRequired,
            9,
            Some("What is your favourite colour?"),
        ),
        a2a_task("t-3", TaskState::Working, 7, None),
    ];
    let known = HashMap::from([("t-1".to_owned(), TaskState::Completed)]);
    let cursor = A2aCursor::read(None);
    let doc = observe(&card(), &tasks, &known, &cursor, now);
    assert_eq!(doc.tasks.len(), 3);
    assert_eq!(doc.tasks[1].title, "ask about t-2");
    assert_eq!(doc.agent.id, "Echo");
    assert_eq!(doc.agent.state, Some(crate::protocol::AgentState::Blocked));
    let kinds: Vec<_> = doc
        .events
        .iter()
        .map(|e| (e.seq, e.kind, e.task_id.as_deref().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (1, EventKind::State, "t-2"),
            (2, EventKind::NeedsApproval, "t-2"),
            (3, EventKind::State, "t-3"),
        ]
    );
    assert_eq!(
        doc.events[1].message.as_deref(),
        Some("What is your favourite colour? — “ask about t-2”")
    );
    crate::protocol::validate(&doc).unwrap();

    // The next poll starts after the newest status and numbers on; nothing new, no events.
    let next = A2aCursor::read(Some(&doc.cursor));
    assert_eq!(next.next_seq, 4);
    assert_eq!(
        next.after_param().as_deref(),
        Some("2027-01-15T08:00:09.000000Z")
    );
    let known: HashMap<_, _> = doc.tasks.iter().map(|t| (t.id.clone(), t.state)).collect();
    let again = observe(&card(), &tasks, &known, &next, now);
    assert!(again.events.is_empty());
    assert_eq!(A2aCursor::read(Some(&again.cursor)), next);
}

#[test]
fn a_cursor_from_elsewhere_starts_afresh_and_odd_tasks_are_kept_in_bounds() {
    assert_eq!(A2aCursor::read(Some("17")), A2aCursor::read(None));
    assert_eq!(A2aCursor::read(Some("{\"next_seq\":\"x\"}")).next_seq, 1);
    let now = Utc.timestamp_opt(1_800_000_100, 0).unwrap();
    let mut long = a2a_task(&"x".repeat(300), TaskState::Working, 1, None);
    long.request = None;
    let mut untitled = a2a_task("t-9", TaskState::AuthRequired, 2, None);
    untitled.request = Some("y".repeat(500));
    untitled.artifacts = vec!["answer".into(), "log".into()];
    let mut twice = untitled.clone();
    twice.state = TaskState::Completed;
    let doc = observe(
        &card(),
        &[long, untitled, twice],
        &HashMap::new(),
        &A2aCursor::default(),
        now,
    );
    assert_eq!(doc.tasks.len(), 1, "the over-long id is left out, t-9 once");
    assert_eq!(
        doc.tasks[0].state,
        TaskState::Completed,
        "the later listing wins"
    );
    assert_eq!(doc.tasks[0].title.chars().count(), 80);
    assert_eq!(doc.tasks[0].output.as_deref(), Some("answer, log"));
    crate::protocol::validate(&doc).unwrap();
    let auth = a2a_task("t-4", TaskState::AuthRequired, 2, None);
    let doc = observe(
        &card(),
        &[auth],
        &HashMap::new(),
        &A2aCursor::default(),
        now,
    );
    assert_eq!(
        doc.events[1].message.as_deref(),
        Some("the agent needs authorization — “ask about t-4”")
    );
}
