//! Payloads of the three families, and the files their tool calls touch.

use serde_json::{json, Value};

use crate::hooks::*;

fn parse(client: HookClient, payload: Value) -> HookCall {
    parse_hook_payload(client, payload.to_string().as_bytes(), None).unwrap()
}

#[test]
fn claude_code_pre_tool_use_as_measured_is_read_whole() {
    // The PreToolUse payload Claude Code 2.1.328 sent on this machine.
    let call = parse(
        HookClient::ClaudeCode,
        json!({
            "session_id": "4f1c2a9e-0b7d-4c55-9a51-2c6f0e1d7b3a",
            "transcript_path": "/tmp/h/.claude/projects/x/4f1c.jsonl",
            "cwd": "/tmp/repo",
            "prompt_id": "p1",
            "permission_mode": "acceptEdits",
            "hook_event_name": "PreToolUse",
            "tool_name": "Write",
            "tool_input": {"file_path": "/tmp/repo/src/app.rs", "content": "fn main() {}\n"},
            "tool_use_id": "toolu_01"
        }),
    );
    assert_eq!(
        call.session_id.as_deref(),
        Some("4f1c2a9e-0b7d-4c55-9a51-2c6f0e1d7b3a")
    );
    assert_eq!(call.cwd.as_deref(), Some("/tmp/repo"));
    let HookEvent::PreToolUse(tool) = &call.event else {
        panic!("{call:?}")
    };
    assert_eq!(tool.name, "Write");
    assert_eq!(
        tool_effect(tool, call.cwd.as_deref()),
        ToolEffect::Writes(vec!["/tmp/repo/src/app.rs".into()])
    );
    assert_eq!(call.event.name(), "PreToolUse");
}

#[test]
fn every_event_of_the_three_families_is_named_alike() {
    let cases = [
        (
            HookClient::ClaudeCode,
            json!({"hook_event_name": "UserPromptSubmit", "prompt": "Fix the login\nand test it"}),
        ),
        (
            HookClient::ClaudeCode,
            json!({"hook_event_name": "Notification", "notification_type": "permission_prompt", "message": "Claude needs your permission"}),
        ),
        (HookClient::ClaudeCode, json!({"hook_event_name": "Stop"})),
        (
            HookClient::ClaudeCode,
            json!({"hook_event_name": "SessionEnd", "reason": "exit"}),
        ),
        (
            HookClient::ClaudeCode,
            json!({"hook_event_name": "PreCompact"}),
        ),
        (
            HookClient::Codex,
            json!({"hook_event_name": "SessionStart", "source": "startup"}),
        ),
        (
            HookClient::Codex,
            json!({"hook_event_name": "PermissionRequest", "tool_name": "Bash", "tool_input": {"command": "rm -rf target"}}),
        ),
        (
            HookClient::Copilot,
            json!({"hookEventName": "userPromptSubmitted", "prompt": "hi"}),
        ),
        (HookClient::Copilot, json!({"hookEventName": "agentStop"})),
        (HookClient::Copilot, json!({"hookEventName": "sessionEnd"})),
    ];
    let names: Vec<String> = cases
        .into_iter()
        .map(|(client, payload)| parse(client, payload).event.name().to_owned())
        .collect();
    assert_eq!(
        names,
        [
            "UserPromptSubmit",
            "Notification",
            "Stop",
            "SessionEnd",
            "PreCompact",
            "SessionStart",
            "PermissionRequest",
            "UserPromptSubmit",
            "Stop",
            "SessionEnd"
        ]
    );
    let prompt = parse(
        HookClient::ClaudeCode,
        json!({"hook_event_name": "UserPromptSubmit", "prompt": "Fix it"}),
    );
    assert_eq!(
        prompt.event,
        HookEvent::UserPromptSubmit {
            prompt: "Fix it".into()
        }
    );
    let note = parse(
        HookClient::ClaudeCode,
        json!({"hook_event_name": "Notification", "notification_type": "idle_prompt"}),
    );
    assert_eq!(
        note.event,
        HookEvent::Notification {
            kind: Some("idle_prompt".into()),
            message: None
        }
    );
}

#[test]
fn copilot_sends_camel_case_arguments_as_json_text_and_may_name_the_event_only_by_its_hook() {
    let payload = json!({
        "timestamp": 1_764_000_000_000u64,
        "cwd": "/home/me/site",
        "toolName": "edit",
        "toolArgs": "{\"path\":\"pages/index.html\",\"old_str\":\"a\",\"new_str\":\"b\"}"
    });
    let call = parse_hook_payload(
        HookClient::Copilot,
        payload.to_string().as_bytes(),
        Some("preToolUse"),
    )
    .unwrap();
    assert_eq!(call.session_id, None);
    let HookEvent::PreToolUse(tool) = &call.event else {
        panic!("{call:?}")
    };
    assert_eq!(
        tool_effect(tool, call.cwd.as_deref()),
        ToolEffect::Writes(vec!["/home/me/site/pages/index.html".into()])
    );
    // Without the hint, a payload naming no event says so.
    assert_eq!(
        parse_hook_payload(HookClient::Copilot, payload.to_string().as_bytes(), None),
        Err(HookPayloadError::NoEvent)
    );
}

#[test]
fn junk_truncated_huge_and_wrongly_typed_payloads_are_refused_with_what_is_wrong() {
    let claude = HookClient::ClaudeCode;
    assert_eq!(
        parse_hook_payload(claude, b"", None),
        Err(HookPayloadError::Empty)
    );
    assert_eq!(
        parse_hook_payload(claude, b" \n", None),
        Err(HookPayloadError::Empty)
    );
    assert!(matches!(
        parse_hook_payload(claude, b"{\"hook_event_name\": \"Stop\"", None),
        Err(HookPayloadError::NotJson { .. })
    ));
    assert!(matches!(
        parse_hook_payload(claude, b"\xff\xfe junk", None),
        Err(HookPayloadError::NotJson { .. })
    ));
    assert_eq!(
        parse_hook_payload(claude, b"[1, 2]", None),
        Err(HookPayloadError::NotAnObject)
    );
    assert_eq!(
        parse_hook_payload(claude, b"{}", None),
        Err(HookPayloadError::NoEvent)
    );
    let huge = vec![b' '; MAX_PAYLOAD_BYTES + 1];
    assert_eq!(
        parse_hook_payload(claude, &huge, None),
        Err(HookPayloadError::TooLarge {
            limit: MAX_PAYLOAD_BYTES
        })
    );
    let wrong = |payload: Value| {
        parse_hook_payload(claude, payload.to_string().as_bytes(), None)
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        wrong(json!({"hook_event_name": 7})),
        "the hook payload's `hook_event_name` should be text"
    );
    assert_eq!(
        wrong(json!({"hook_event_name": "Stop", "session_id": ["a"]})),
        "the hook payload's `session_id` should be text"
    );
    assert_eq!(
        wrong(json!({"hook_event_name": "PreToolUse", "tool_name": "Write", "tool_input": 7})),
        "the hook payload's `tool_input` should be an object"
    );
    // Text that is not JSON is a freeform tool's input (Copilot's apply_patch): kept, and a
    // Write with no path in it names no file.
    let text =
        json!({"hook_event_name": "PreToolUse", "tool_name": "Write", "tool_input": "not json"});
    let call = parse_hook_payload(claude, text.to_string().as_bytes(), None).unwrap();
    let HookEvent::PreToolUse(tool) = &call.event else {
        panic!("{call:?}")
    };
    assert_eq!(tool_effect(tool, None), ToolEffect::Writes(Vec::new()));
    // A large but allowed Write (8 MiB of content) is read.
    let content = "x".repeat(8 * 1024 * 1024);
    let big = json!({"hook_event_name": "PreToolUse", "tool_name": "Write", "tool_input": {"file_path": "/r/big.txt", "content": content}});
    assert!(parse_hook_payload(claude, big.to_string().as_bytes(), None).is_ok());
}

fn tool(name: &str, input: Value) -> ToolCall {
    ToolCall {
        name: name.into(),
        input,
    }
}

#[test]
fn tool_calls_name_the_files_they_write_and_read_and_shell_writes_are_not_seen() {
    let cwd = Some("/repo");
    let writes = |paths: &[&str]| ToolEffect::Writes(paths.iter().map(|p| p.to_string()).collect());
    assert_eq!(
        tool_effect(
            &tool("Edit", json!({"file_path": "src/../src/./lib.rs"})),
            cwd
        ),
        writes(&["/repo/src/lib.rs"])
    );
    assert_eq!(
        tool_effect(
            &tool(
                "MultiEdit",
                json!({"file_path": "/repo//a.rs", "edits": []})
            ),
            cwd
        ),
        writes(&["/repo/a.rs"])
    );
    assert_eq!(
        tool_effect(
            &tool("NotebookEdit", json!({"notebook_path": "/repo/n.ipynb"})),
            cwd
        ),
        writes(&["/repo/n.ipynb"])
    );
    assert_eq!(
        tool_effect(&tool("Read", json!({"file_path": "/repo/README.md"})), cwd),
        ToolEffect::Reads(vec!["/repo/README.md".into()])
    );
    assert_eq!(tool_effect(&tool("Write", json!({})), cwd), writes(&[]));
    assert_eq!(
        tool_effect(
            &tool("Bash", json!({"command": "cargo test > out.txt"})),
            cwd
        ),
        ToolEffect::Shell("cargo test > out.txt".into())
    );
    assert_eq!(
        tool_effect(&tool("WebFetch", json!({"url": "https://x"})), cwd),
        ToolEffect::Other
    );
    // Codex edits through apply_patch envelopes, as a tool or inside a shell command.
    let patch = "*** Begin Patch\n*** Add File: hello.txt\n+hi\n*** Update File: src/app.rs\n*** Move to: src/main.rs\n@@\n-a\n+b\n*** Delete File: old.rs\n*** End Patch\n";
    assert_eq!(
        tool_effect(
            &tool(
                "exec_command",
                json!({"cmd": format!("apply_patch <<'EOF'\n{patch}EOF\n")})
            ),
            cwd
        ),
        writes(&[
            "/repo/hello.txt",
            "/repo/src/app.rs",
            "/repo/src/main.rs",
            "/repo/old.rs"
        ])
    );
    assert_eq!(
        tool_effect(
            &tool("apply_patch", json!({"command": ["apply_patch", patch]})),
            cwd
        ),
        writes(&[
            "/repo/hello.txt",
            "/repo/src/app.rs",
            "/repo/src/main.rs",
            "/repo/old.rs"
        ])
    );
    // Header lines outside an envelope are text, not files.
    assert_eq!(patch_paths("*** Add File: nope.txt\n"), Vec::<&str>::new());
    assert_eq!(
        absolute("../../../etc/passwd", Some("/repo")),
        "/etc/passwd"
    );
    assert_eq!(absolute("rel/x", None), "rel/x");
    assert_eq!(file_resource("/repo/src/app.rs"), "file:///repo/src/app.rs");
}

/// Payloads Codex 0.169.0 sent on this machine (recorded verbatim, against a stand-in model).
fn codex_recorded(name: &str) -> HookCall {
    let path = format!(
        "{}/src/hooks/tests/codex-0.169.0/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes = std::fs::read(&path).unwrap();
    parse_hook_payload(HookClient::Codex, &bytes, None).unwrap()
}

#[test]
fn codex_payloads_as_recorded_are_read_whole() {
    let app = vec!["/tmp/codex-probe/repo/src/app.rs".to_owned()];
    let start = codex_recorded("SessionStart");
    assert!(matches!(start.event, HookEvent::SessionStart), "{start:?}");
    assert_eq!(
        start.session_id.as_deref(),
        Some("01a208f4-7088-79b3-b07e-abe6d18f2b47")
    );
    assert_eq!(start.cwd.as_deref(), Some("/tmp/codex-probe/repo"));
    let prompt = codex_recorded("UserPromptSubmit");
    assert!(
        matches!(&prompt.event, HookEvent::UserPromptSubmit { prompt } if prompt == "create src/app.rs"),
        "{prompt:?}"
    );
    assert!(matches!(codex_recorded("Stop").event, HookEvent::Stop));
    // Its own apply_patch tool (catalog models), before and after; and the same patch inside
    // a shell command (other models).
    for (name, pre) in [
        ("PreToolUse", true),
        ("PostToolUse", false),
        ("PreToolUse.bash-heredoc-apply_patch", true),
    ] {
        let call = codex_recorded(name);
        let tool = match &call.event {
            HookEvent::PreToolUse(tool) if pre => tool,
            HookEvent::PostToolUse(tool) if !pre => tool,
            other => panic!("{name}: {other:?}"),
        };
        assert_eq!(
            tool_effect(tool, call.cwd.as_deref()),
            ToolEffect::Writes(app.clone()),
            "{name}"
        );
    }
    // A plain shell command writes nothing Baton can see.
    for name in ["PreToolUse.bash", "PostToolUse.bash"] {
        let call = codex_recorded(name);
        let (HookEvent::PreToolUse(tool) | HookEvent::PostToolUse(tool)) = &call.event else {
            panic!("{name}: {call:?}")
        };
        assert_eq!(tool.name, "Bash");
        assert!(
            !matches!(
                tool_effect(tool, call.cwd.as_deref()),
                ToolEffect::Writes(_)
            ),
            "{name}"
        );
    }
    let asks = codex_recorded("PermissionRequest");
    assert!(
        matches!(&asks.event, HookEvent::PermissionRequest(tool) if tool.name == "Bash"),
        "{asks:?}"
    );
}

/// Payloads Copilot CLI 1.0.102 sent on this machine (recorded verbatim against a stand-in
/// model; its payloads do not name the event: the installed command does, with --event).
fn copilot_recorded(name: &str) -> HookCall {
    let path = format!(
        "{}/src/hooks/tests/copilot-1.0.102/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes = std::fs::read(&path).unwrap();
    let event = name.split('.').next().unwrap();
    parse_hook_payload(HookClient::Copilot, &bytes, Some(event)).unwrap()
}

#[test]
fn copilot_payloads_as_recorded_are_read_whole() {
    let ws = "/tmp/copilot-probe/ws1";
    let start = copilot_recorded("sessionStart");
    assert!(matches!(start.event, HookEvent::SessionStart), "{start:?}");
    assert_eq!(
        start.session_id.as_deref(),
        Some("75dd4c9e-1ce2-40f1-867c-4034687eaffb")
    );
    assert_eq!(start.cwd.as_deref(), Some(ws));
    assert!(matches!(
        &copilot_recorded("userPromptSubmitted").event,
        HookEvent::UserPromptSubmit { prompt } if prompt == "create hello.txt"
    ));
    assert!(matches!(
        copilot_recorded("agentStop").event,
        HookEvent::Stop
    ));
    assert!(matches!(
        copilot_recorded("sessionEnd").event,
        HookEvent::SessionEnd
    ));
    assert!(matches!(
        &copilot_recorded("notification").event,
        HookEvent::Notification { kind: Some(kind), .. } if kind == "permission_prompt"
    ));
    // Its tools: create, edit (arguments as an object), view, bash, and for gpt-5 models
    // apply_patch, whose arguments are the patch itself, not JSON.
    let effect = |name: &str| {
        let call = copilot_recorded(name);
        let (HookEvent::PreToolUse(tool)
        | HookEvent::PostToolUse(tool)
        | HookEvent::PermissionRequest(tool)) = &call.event
        else {
            panic!("{name}: {call:?}")
        };
        tool_effect(tool, call.cwd.as_deref())
    };
    for (name, file) in [
        ("preToolUse", "hello.txt"),
        ("postToolUse", "hello.txt"),
        ("permissionRequest", "hello.txt"),
        ("preToolUse.edit", "existing.txt"),
        ("postToolUse.edit", "existing.txt"),
        ("permissionRequest.edit", "existing.txt"),
        ("preToolUse.apply_patch", "patched.txt"),
        ("postToolUse.apply_patch", "patched.txt"),
        ("permissionRequest.apply_patch", "patched.txt"),
    ] {
        assert_eq!(
            effect(name),
            ToolEffect::Writes(vec![format!("{ws}/{file}")]),
            "{name}"
        );
    }
    assert!(matches!(effect("preToolUse.view"), ToolEffect::Reads(files) if files.len() == 1));
    assert!(
        matches!(effect("preToolUse.bash"), ToolEffect::Shell(command) if command.contains("echo hi"))
    );
}

#[test]
fn a_tool_input_in_plain_text_is_kept_as_text() {
    // Neither an object nor the JSON text of one: a freeform tool's raw input.
    let payload = json!({"sessionId": "s", "toolName": "apply_patch", "toolArgs": "*** Begin Patch\n*** Update File: a.rs\n@@\n-x\n+y\n*** End Patch"});
    let call = parse_hook_payload(
        HookClient::Copilot,
        payload.to_string().as_bytes(),
        Some("preToolUse"),
    )
    .unwrap();
    let HookEvent::PreToolUse(tool) = &call.event else {
        panic!("{call:?}")
    };
    assert_eq!(
        tool_effect(tool, Some("/repo")),
        ToolEffect::Writes(vec!["/repo/a.rs".to_owned()])
    );
    // A number is still the wrong type.
    let payload = json!({"sessionId": "s", "toolName": "edit", "toolArgs": 42});
    assert!(matches!(
        parse_hook_payload(
            HookClient::Copilot,
            payload.to_string().as_bytes(),
            Some("preToolUse")
        ),
        Err(HookPayloadError::WrongType {
            field: "tool_input",
            ..
        })
    ));
}

#[test]
fn a_short_session_id_is_the_random_part_of_a_uuid() {
    // Two Codex sessions started in the same second (UUIDv7: the time comes first).
    assert_eq!(
        short_session_id("01a208f4-7088-79b3-b07e-abe6d18f2b47"),
        "d18f2b47"
    );
    assert_eq!(
        short_session_id("01a208f4-7273-79d1-9530-569b5d95b72a"),
        "5d95b72a"
    );
    assert_eq!(short_session_id("4f1c2a9e-0b7d-4c55"), "4f1c2a9e");
    assert_eq!(short_session_id("copilot-4242"), "copilot-4242");
    assert_eq!(short_session_id("é"), "é");
}
