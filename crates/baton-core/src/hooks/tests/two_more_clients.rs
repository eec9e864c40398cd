//! Gemini CLI's payloads and OpenCode's plugin calls: as recorded from the real clients here
//! (tests/tests/integration/peer_gemini.rs and peer_opencode.rs keep them, `BATON_RECORD_SAMPLES=1`), and
//! junk, truncated and wrongly typed ones; and the replies each reads.

use serde_json::{json, Value};

use crate::hooks::*;

/// A payload the client sent on this machine, as recorded.
fn recorded(client: HookClient, folder: &str, name: &str) -> HookCall {
    let path = format!(
        "{}/src/hooks/tests/{folder}/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes = std::fs::read(&path).unwrap_or_else(|err| panic!("{path}: {err}"));
    parse_hook_payload(client, &bytes, None).unwrap_or_else(|err| panic!("{path}: {err}"))
}

fn gemini(name: &str) -> HookCall {
    recorded(HookClient::Gemini, "gemini-0.61.0", name)
}

fn opencode(name: &str) -> HookCall {
    recorded(HookClient::OpenCode, "opencode-1.18.33", name)
}

fn parse(client: HookClient, payload: &Value) -> Result<HookCall, HookPayloadError> {
    parse_hook_payload(client, payload.to_string().as_bytes(), None)
}

/// The recorded write of `src/app.rs` by session `id` in `cwd`, before (`before`: a
/// PreToolUse) and after (`after`: a PostToolUse), as `recorded` reads them.
fn writes_app(recorded: impl Fn(&str) -> HookCall, before: &str, after: &str, id: &str, cwd: &str) {
    for (name, pre) in [(before, true), (after, false)] {
        let call = recorded(name);
        assert_eq!(call.session_id.as_deref(), Some(id), "{name}");
        assert_eq!(
            effect(&call),
            ToolEffect::Writes(vec![format!("{cwd}/src/app.rs")]),
            "{name}"
        );
        let is_pre = matches!(call.event, HookEvent::PreToolUse(_));
        assert_eq!(is_pre, pre, "{name}: {call:?}");
    }
}

/// The file a tool call writes (or reads), as Baton places it.
fn effect(call: &HookCall) -> ToolEffect {
    let (HookEvent::PreToolUse(tool) | HookEvent::PostToolUse(tool)) = &call.event else {
        panic!("no tool call: {call:?}")
    };
    tool_effect(tool, call.cwd.as_deref())
}

#[test]
fn gemini_cli_payloads_as_recorded_are_read_whole() {
    let start = gemini("SessionStart");
    assert!(matches!(start.event, HookEvent::SessionStart), "{start:?}");
    let cwd = start.cwd.clone().unwrap();
    let id = start.session_id.clone().unwrap();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    assert!(matches!(
        &gemini("BeforeAgent").event,
        HookEvent::UserPromptSubmit { prompt } if prompt.starts_with("[session one] Write src/app.rs")
    ));
    writes_app(
        gemini,
        "BeforeTool.write_file",
        "AfterTool.write_file",
        &id,
        &cwd,
    );
    // The turn's final answer ends the turn; the session ends.
    assert!(matches!(gemini("AfterAgent").event, HookEvent::Stop));
    assert!(matches!(gemini("SessionEnd").event, HookEvent::SessionEnd));
}

#[test]
fn gemini_cli_tools_and_notifications_are_read_as_measured() {
    let tool = |name: &str, input: Value| {
        parse(
            HookClient::Gemini,
            &json!({"session_id": "s", "cwd": "/repo", "hook_event_name": "BeforeTool",
                    "tool_name": name, "tool_input": input}),
        )
        .unwrap()
    };
    // `replace` edits a file named relative to the folder; `read_file` reads one.
    let replace = tool(
        "replace",
        json!({"file_path": "src/a.rs", "old_string": "x", "new_string": "y"}),
    );
    assert_eq!(
        effect(&replace),
        ToolEffect::Writes(vec!["/repo/src/a.rs".into()])
    );
    let read = tool("read_file", json!({"file_path": "/repo/b.rs"}));
    assert_eq!(effect(&read), ToolEffect::Reads(vec!["/repo/b.rs".into()]));
    let shell = tool("run_shell_command", json!({"command": "cargo fmt"}));
    assert_eq!(effect(&shell), ToolEffect::Shell("cargo fmt".into()));
    // Its confirmation dialog is open: the turn waits for the person.
    let asks = parse(
        HookClient::Gemini,
        &json!({"session_id": "s", "hook_event_name": "Notification",
                "notification_type": "ToolPermission", "message": "Allow write_file?",
                "details": {"tool": "write_file"}}),
    )
    .unwrap();
    assert_eq!(
        asks.event,
        HookEvent::Notification {
            kind: Some("permission_prompt".into()),
            message: Some("Allow write_file?".into())
        }
    );
    // Events Baton does not act on are recorded by name.
    let model = parse(
        HookClient::Gemini,
        &json!({"session_id": "s", "hook_event_name": "BeforeModel", "llm_request": {}}),
    )
    .unwrap();
    assert_eq!(model.event, HookEvent::Other("BeforeModel".into()));
}

#[test]
fn opencode_plugin_calls_as_recorded_are_read_whole() {
    let start = opencode("event.session.created");
    assert!(matches!(start.event, HookEvent::SessionStart), "{start:?}");
    let id = start.session_id.clone().unwrap();
    assert!(id.starts_with("ses_"), "{id}");
    let cwd = start.cwd.clone().unwrap();
    let prompt = opencode("chat.message");
    assert_eq!(prompt.session_id.as_deref(), Some(id.as_str()));
    assert!(matches!(
        &prompt.event,
        HookEvent::UserPromptSubmit { prompt } if prompt.contains("[session one] Write src/app.rs")
    ));
    writes_app(
        opencode,
        "tool.execute.before.write",
        "tool.execute.after.write",
        &id,
        &cwd,
    );
    assert!(matches!(
        opencode("event.session.idle").event,
        HookEvent::Stop
    ));
}

#[test]
fn opencode_tools_permissions_and_other_events_are_read_as_measured() {
    let before = |tool: &str, args: Value| {
        parse(
            HookClient::OpenCode,
            &json!({"hook": "tool.execute.before", "directory": "/repo",
                    "input": {"tool": tool, "sessionID": "ses_1", "callID": "c"},
                    "output": {"args": args}}),
        )
        .unwrap()
    };
    let edit = before(
        "edit",
        json!({"filePath": "/repo/src/a.rs", "oldString": "x", "newString": "y"}),
    );
    assert_eq!(
        effect(&edit),
        ToolEffect::Writes(vec!["/repo/src/a.rs".into()])
    );
    let patch = before(
        "apply_patch",
        json!({"patchText": "*** Begin Patch\n*** Update File: src/b.rs\n@@\n-x\n+y\n*** End Patch"}),
    );
    assert_eq!(
        effect(&patch),
        ToolEffect::Writes(vec!["/repo/src/b.rs".into()])
    );
    let read = before("read", json!({"filePath": "/repo/c.rs"}));
    assert_eq!(effect(&read), ToolEffect::Reads(vec!["/repo/c.rs".into()]));
    let shell = before("bash", json!({"command": "ls", "description": "list"}));
    assert_eq!(effect(&shell), ToolEffect::Shell("ls".into()));

    let event = |kind: &str, properties: Value| {
        parse(
            HookClient::OpenCode,
            &json!({"hook": "event", "directory": "/repo",
                    "event": {"type": kind, "properties": properties}}),
        )
        .unwrap()
    };
    // Its own question to the person (measured: an edit outside the project).
    let asked = event(
        "permission.asked",
        json!({"id": "per_1", "sessionID": "ses_1", "permission": "external_directory",
               "patterns": ["/elsewhere/*"]}),
    );
    assert_eq!(asked.session_id.as_deref(), Some("ses_1"));
    assert_eq!(
        asked.event,
        HookEvent::Notification {
            kind: Some("permission_prompt".into()),
            message: Some("external_directory /elsewhere/*".into())
        }
    );
    let gone = event("session.deleted", json!({"info": {"id": "ses_2"}}));
    assert_eq!(
        (gone.session_id.as_deref(), &gone.event),
        (Some("ses_2"), &HookEvent::SessionEnd)
    );
    assert_eq!(
        event("session.error", json!({"sessionID": "ses_1"})).event,
        HookEvent::Other("session.error".into())
    );
    // The person's words only: the parts OpenCode adds itself are not the prompt.
    let prompt = parse(
        HookClient::OpenCode,
        &json!({"hook": "chat.message", "input": {"sessionID": "ses_1"}, "output": {"parts": [
            {"type": "text", "text": "Fix the cart"},
            {"type": "file", "url": "file:///repo/a.rs"},
            {"type": "text", "text": "(file attached)", "synthetic": true},
            {"type": "text", "text": "and test it"}]}}),
    )
    .unwrap();
    assert_eq!(
        prompt.event,
        HookEvent::UserPromptSubmit {
            prompt: "Fix the cart\nand test it".into()
        }
    );
}

#[test]
fn bad_plugin_calls_are_refused_naming_the_field() {
    let wrong = |payload: Value| parse(HookClient::OpenCode, &payload).unwrap_err();
    assert_eq!(
        wrong(json!({"directory": "/repo"})),
        HookPayloadError::NoEvent
    );
    assert_eq!(
        wrong(json!({"hook": "event", "event": {"properties": {}}})),
        HookPayloadError::NoEvent
    );
    for (payload, field) in [
        (json!({"hook": 7}), "hook"),
        (
            json!({"hook": "chat.message", "directory": ["/repo"]}),
            "directory",
        ),
        (json!({"hook": "chat.message", "input": "ses_1"}), "input"),
        (
            json!({"hook": "chat.message", "input": {"sessionID": 1}}),
            "sessionID",
        ),
        (
            json!({"hook": "chat.message", "output": {"parts": "hi"}}),
            "parts",
        ),
        (
            json!({"hook": "tool.execute.before", "input": {"tool": 3}}),
            "tool",
        ),
        (
            json!({"hook": "tool.execute.before", "output": {"args": "x"}}),
            "args",
        ),
        (json!({"hook": "event", "event": "session.idle"}), "event"),
        (
            json!({"hook": "event", "event": {"type": "x", "properties": []}}),
            "properties",
        ),
        (
            json!({"hook": "event", "event": {"type": false}}),
            "event.type",
        ),
    ] {
        assert_eq!(
            wrong(payload.clone()),
            HookPayloadError::WrongType {
                field,
                expected: match field {
                    "hook" | "directory" | "sessionID" | "tool" | "event.type" => "text",
                    "parts" => "a list",
                    _ => "an object",
                }
            },
            "{payload}"
        );
    }
    // Not JSON, cut short, empty, not an object: said as for every client.
    let text = std::fs::read_to_string(format!(
        "{}/src/hooks/tests/opencode-1.18.33/tool.execute.before.write.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    for client in [HookClient::OpenCode, HookClient::Gemini] {
        let half = &text.as_bytes()[..text.len() / 2];
        assert!(matches!(
            parse_hook_payload(client, half, None),
            Err(HookPayloadError::NotJson { .. })
        ));
        assert_eq!(
            parse_hook_payload(client, b"  ", None),
            Err(HookPayloadError::Empty)
        );
        assert_eq!(
            parse_hook_payload(client, b"[1]", None),
            Err(HookPayloadError::NotAnObject)
        );
    }
    // Gemini CLI's fields are Claude Code's: a wrong type is named the same way.
    assert_eq!(
        parse(
            HookClient::Gemini,
            &json!({"hook_event_name": "BeforeTool", "tool_input": [1]})
        )
        .unwrap_err(),
        HookPayloadError::WrongType {
            field: "tool_input",
            expected: "an object"
        }
    );
}

#[test]
fn each_client_reads_its_refusal_in_its_own_format() {
    let reason = "Baton refused this write: …".to_owned();
    // Gemini CLI: JSON on stdout, exit 0 (exit 2 would count as a failed hook).
    let deny = hook_reply(
        HookClient::Gemini,
        "PreToolUse",
        &HookAnswer::Deny(reason.clone()),
    );
    assert_eq!(deny.exit_code, 0);
    let said: Value = serde_json::from_str(&deny.stdout).unwrap();
    assert_eq!(said, json!({"decision": "deny", "reason": reason}));
    let ask = hook_reply(
        HookClient::Gemini,
        "PreToolUse",
        &HookAnswer::Ask("why".into()),
    );
    assert_eq!(
        serde_json::from_str::<Value>(&ask.stdout).unwrap(),
        json!({"decision": "ask", "reason": "why"})
    );
    // A failure lets the call go ahead as allowed: exit 0, nothing on stdout (exit 1 would be
    // a warning of a failed hook; any code past 2 would block it).
    let failed = hook_reply(
        HookClient::Gemini,
        "PreToolUse",
        &HookAnswer::Failed("x".into()),
    );
    assert_eq!((failed.exit_code, failed.stdout.as_str()), (0, ""));
    // OpenCode: Baton's plugin throws the reason on exit 2; it cannot ask.
    let deny = hook_reply(
        HookClient::OpenCode,
        "PreToolUse",
        &HookAnswer::Deny(reason.clone()),
    );
    assert_eq!((deny.exit_code, deny.stderr.trim()), (2, reason.as_str()));
    let ask = hook_reply(
        HookClient::OpenCode,
        "PreToolUse",
        &HookAnswer::Ask("why".into()),
    );
    assert_eq!(
        (ask.exit_code, ask.stdout.as_str(), ask.stderr.as_str()),
        (0, "", "")
    );
    // Neither has a permission request of its own: a refusal there is a refusal of the call.
    for client in [HookClient::Gemini, HookClient::OpenCode] {
        let allowed = hook_reply(client, "PreToolUse", &HookAnswer::Permission(Ok(())));
        assert_eq!(allowed, hook_reply(client, "PreToolUse", &HookAnswer::GoOn));
        let refused = HookAnswer::Permission(Err("no".into()));
        assert_eq!(
            hook_reply(client, "PreToolUse", &refused),
            hook_reply(client, "PreToolUse", &HookAnswer::Deny("no".into()))
        );
    }
}

#[test]
fn an_opencode_session_is_told_apart_by_the_random_end_of_its_id() {
    // Two sessions started together: the same time in front.
    assert_eq!(
        short_session_id("ses_dec5457c7ffeAuGOkxVKzgG7bW"),
        "VKzgG7bW"
    );
    assert_eq!(
        short_session_id("ses_dec53fba5ffe9wnxHc17KLYPeS"),
        "17KLYPeS"
    );
    // Gemini CLI's are random UUIDs.
    assert_eq!(
        short_session_id("e45937cc-efbf-46e1-95b7-9664a1126474"),
        "a1126474"
    );
    // Not quite OpenCode's shape: as before.
    assert_eq!(short_session_id("ses_short"), "ses_short");
    assert_eq!(short_session_id("ses_dec5457c7ffe-AuGOk"), "ses_dec5");
}

#[test]
fn an_opencode_call_carries_its_sessions_finished_responses_as_usage() {
    let session = "ses_dec5457c7ffeAuGOkxVKzgG7bW";
    let info = json!({"id": "msg_2", "sessionID": session, "role": "assistant",
        "modelID": "standin-model", "providerID": "standin",
        "time": {"created": 1795629199610_u64, "completed": 1795629203350_u64},
        "tokens": {"input": 700, "output": 16, "reasoning": 5, "cache": {"read": 400, "write": 0}}});
    let other = json!({"id": "msg_9", "sessionID": "ses_other", "role": "assistant", "tokens": {}});
    let person = json!({"id": "msg_1", "sessionID": session, "role": "user"});
    let payload = json!({"hook": "event", "directory": "/repo",
        "event": {"type": "session.idle", "properties": {"sessionID": session}},
        "responses": [info, other, person, "junk", 7]});
    let call = parse(HookClient::OpenCode, &payload).unwrap();
    assert_eq!(call.session_id.as_deref(), Some(session));
    assert_eq!(call.event, HookEvent::Stop);
    // Only the session's own assistant responses, one JSON line each.
    let lines = call.usage_message.unwrap();
    assert_eq!(lines.lines().count(), 1, "{lines}");
    let carried: Value = serde_json::from_str(lines.trim_end()).unwrap();
    assert_eq!(carried, info);

    // Responses that are not a list are no reason to refuse the call: read without usage.
    for junk in [json!("not a list"), json!({"a": 1}), json!(null), json!([])] {
        let payload = json!({"hook": "event",
            "event": {"type": "session.idle", "properties": {"sessionID": session}},
            "responses": junk});
        let call = parse(HookClient::OpenCode, &payload).unwrap();
        assert_eq!(call.usage_message, None, "{payload}");
    }
    // As the real OpenCode's plugin sent one (recorded by peer_opencode).
    let recorded = opencode("event.session.idle");
    assert!(recorded.usage_message.unwrap().contains("\"tokens\""));
    // Other clients' payloads never carry one.
    let claude = json!({"session_id": "s", "hook_event_name": "Stop"});
    assert_eq!(
        parse(HookClient::ClaudeCode, &claude)
            .unwrap()
            .usage_message,
        None
    );
}
