//! Subagents as Claude Code 2.1.328 sends them (`claude-code-2.1.328/`, recorded on this
//! machine with the real client): each call of a subagent carries its parent's `session_id`,
//! its `agent_id` and `agent_type`; `SubagentStart` / `SubagentStop` bracket it. And the bad
//! payloads: a start or stop naming no subagent, a type of the wrong kind, junk.

use serde_json::{json, Value};

use crate::hooks::*;

fn recorded(name: &str) -> HookCall {
    let text = match name {
        "SubagentStart" => include_str!("claude-code-2.1.328/SubagentStart.json"),
        "SubagentStop" => include_str!("claude-code-2.1.328/SubagentStop.json"),
        "PreToolUse" => include_str!("claude-code-2.1.328/PreToolUse.subagent.json"),
        "PostToolUse" => include_str!("claude-code-2.1.328/PostToolUse.subagent.json"),
        "PostToolUse.Agent" => include_str!("claude-code-2.1.328/PostToolUse.Agent.json"),
        "Stop" => include_str!("claude-code-2.1.328/Stop.subagents_running.json"),
        "TaskNotification" => {
            include_str!("claude-code-2.1.328/UserPromptSubmit.task_notification.json")
        }
        _ => unreachable!("no sample {name}"),
    };
    parse_hook_payload(HookClient::ClaudeCode, text.as_bytes(), None).unwrap()
}

fn parse(payload: Value) -> Result<HookCall, HookPayloadError> {
    parse_hook_payload(HookClient::ClaudeCode, payload.to_string().as_bytes(), None)
}

const SESSION: &str = "6a3491b8-98a8-4da7-945d-ae0d7c2549d5";

#[test]
fn a_subagents_calls_name_it_under_its_session() {
    let start = recorded("SubagentStart");
    assert_eq!(start.event, HookEvent::SubagentStart);
    assert_eq!(start.session_id.as_deref(), Some(SESSION));
    let me = SubagentRef {
        id: "ad6ac2b2575a83aec".to_owned(),
        agent_type: Some("general-purpose".to_owned()),
    };
    assert_eq!(start.subagent.as_ref(), Some(&me));

    let write = recorded("PreToolUse");
    assert_eq!(write.session_id.as_deref(), Some(SESSION));
    assert_eq!(write.subagent.as_ref(), Some(&me));
    let HookEvent::PreToolUse(tool) = &write.event else {
        panic!("{:?}", write.event)
    };
    assert_eq!(
        tool_effect(tool, write.cwd.as_deref()),
        ToolEffect::Writes(vec!["/tmp/subexp/proj/src/app.rs".to_owned()])
    );
    assert_eq!(recorded("PostToolUse").subagent.as_ref(), Some(&me));

    let stop = recorded("SubagentStop");
    assert_eq!(stop.event, HookEvent::SubagentStop);
    assert_eq!(stop.subagent.as_ref(), Some(&me));
    assert_eq!(stop.event.name(), "SubagentStop");
}

#[test]
fn the_main_threads_calls_name_no_subagent() {
    // The Agent tool's call, and the Stop that came while both subagents ran.
    assert_eq!(recorded("PostToolUse.Agent").subagent, None);
    let stop = recorded("Stop");
    assert_eq!(stop.event, HookEvent::Stop);
    assert_eq!(stop.subagent, None);
    // The Stop names the subagents still running.
    let running: Vec<&str> = stop
        .running_subagents
        .iter()
        .map(|s| s.id.as_str())
        .collect();
    assert_eq!(running, ["ad6ac2b2575a83aec", "a8d6f44564130b309"]);
    assert_eq!(
        stop.running_subagents[0].agent_type.as_deref(),
        Some("general-purpose")
    );
    // A background subagent's end reaches the main thread as a prompt that is no person's.
    let notified = recorded("TaskNotification");
    let HookEvent::UserPromptSubmit { prompt } = &notified.event else {
        panic!("{:?}", notified.event)
    };
    assert!(is_task_notification(prompt));
    // `agent_type` alone (a session started with `--agent`) is the main thread too, and so is
    // a blank `agent_id`.
    for payload in [
        json!({"session_id": "s", "hook_event_name": "Stop", "agent_type": "reviewer"}),
        json!({"session_id": "s", "hook_event_name": "Stop", "agent_id": "  "}),
        json!({"session_id": "s", "hook_event_name": "Stop", "agent_id": null}),
    ] {
        assert_eq!(parse(payload).unwrap().subagent, None);
    }
}

#[test]
fn a_subagent_without_a_type_is_still_a_subagent() {
    let call = parse(
        json!({"session_id": "s", "hook_event_name": "SubagentStart",
                            "agent_id": "a1"}),
    )
    .unwrap();
    assert_eq!(
        call.subagent,
        Some(SubagentRef {
            id: "a1".to_owned(),
            agent_type: None
        })
    );
    let blank = parse(json!({"session_id": "s", "hook_event_name": "SubagentStop",
                             "agent_id": "a1", "agent_type": ""}))
    .unwrap();
    assert_eq!(blank.subagent.unwrap().agent_type, None);
}

#[test]
fn a_start_or_stop_naming_no_subagent_is_refused_with_the_reason() {
    for event in ["SubagentStart", "SubagentStop"] {
        for payload in [
            json!({"session_id": "s", "hook_event_name": event}),
            json!({"session_id": "s", "hook_event_name": event, "agent_id": ""}),
            json!({"session_id": "s", "hook_event_name": event, "agent_type": "Explore"}),
        ] {
            let err = parse(payload).unwrap_err();
            assert!(
                matches!(err, HookPayloadError::NoSubagent { .. }),
                "{err:?}"
            );
            assert_eq!(
                err.to_string(),
                format!("the hook payload's {event} names no subagent (agent_id)")
            );
        }
    }
}

#[test]
fn a_subagent_of_the_wrong_kind_is_refused_naming_the_field() {
    let id = parse(json!({"session_id": "s", "hook_event_name": "PreToolUse",
                          "agent_id": 42, "tool_name": "Write"}))
    .unwrap_err();
    assert_eq!(
        id,
        HookPayloadError::WrongType {
            field: "agent_id",
            expected: "text"
        }
    );
    let kind = parse(json!({"session_id": "s", "hook_event_name": "SubagentStop",
                            "agent_id": "a1", "agent_type": ["x"]}))
    .unwrap_err();
    assert_eq!(
        kind,
        HookPayloadError::WrongType {
            field: "agent_type",
            expected: "text"
        }
    );
}

#[test]
fn background_tasks_other_than_running_subagents_are_passed_by_and_junk_is_refused() {
    let call = parse(
        json!({"session_id": "s", "hook_event_name": "Stop", "background_tasks": [
            {"id": "a1", "type": "subagent", "status": "running", "agent_type": "Explore"},
            {"id": "a2", "type": "subagent", "status": "completed"},
            {"id": "b1", "type": "shell", "status": "running"},
            {"type": "subagent", "status": "running"},
            {"id": 3, "type": "subagent", "status": "running"},
            "junk", 42, null
        ]}),
    )
    .unwrap();
    assert_eq!(
        call.running_subagents,
        [SubagentRef {
            id: "a1".to_owned(),
            agent_type: Some("Explore".to_owned())
        }]
    );
    let junk = parse(json!({"session_id": "s", "hook_event_name": "Stop",
                            "background_tasks": "a1"}))
    .unwrap_err();
    assert_eq!(
        junk,
        HookPayloadError::WrongType {
            field: "background_tasks",
            expected: "a list"
        }
    );
}
