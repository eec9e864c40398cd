//! Reading a record file past its cursor: only what is new, a rotated or truncated file
//! followed, a huge line skipped, a half-written line left for the next read.

use std::io::Write;

use baton_core::hooks::HookClient;
use baton_core::usage::MAX_LINE_BYTES;
use baton_store::coding_usage::{UsageCursor, UsageFeed};

use super::{account_of, usage_feed_of, PayloadMessage, TranscriptFeed};

fn line(id: &str, output: u64) -> String {
    format!(
        "{{\"type\":\"assistant\",\"timestamp\":\"2026-11-25T16:17:30Z\",\"message\":{{\"id\":\"{id}\",\"model\":\"claude-sonnet-4-5\",\"usage\":{{\"input_tokens\":10,\"output_tokens\":{output},\"cache_read_input_tokens\":100,\"cache_creation_input_tokens\":5}}}}}}\n"
    )
}

fn append(path: &std::path::Path, text: &str) {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    file.write_all(text.as_bytes()).unwrap();
}

fn read(
    path: &std::path::Path,
    cursor: Option<&UsageCursor>,
) -> baton_store::coding_usage::UsageRead {
    TranscriptFeed::for_hook(path).read(HookClient::ClaudeCode, cursor)
}

#[test]
fn only_what_was_appended_is_read_and_nothing_new_reads_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.jsonl");
    assert_eq!(read(&path, None), Default::default(), "no file yet");
    append(&path, &line("m1", 5));
    let first = read(&path, None);
    assert_eq!(first.records.len(), 1);
    let cursor = first.cursor.unwrap();
    assert_eq!(cursor.read_to, line("m1", 5).len() as u64);
    let again = read(&path, Some(&cursor));
    assert!(
        again.records.is_empty() && again.cursor.is_none(),
        "{again:?}"
    );
    // A half-written line waits; once finished it is read.
    let next = line("m2", 7);
    append(&path, &next[..20]);
    let half = read(&path, Some(&cursor));
    assert!(half.records.is_empty());
    let cursor = half.cursor.unwrap_or(cursor);
    append(&path, &next[20..]);
    let whole = read(&path, Some(&cursor));
    assert_eq!(whole.records.len(), 1);
    assert_eq!(whole.records[0].key, "m2");
}

#[test]
fn a_rotated_file_is_read_from_its_start_and_a_truncated_one_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.jsonl");
    append(&path, &line("m1", 5));
    append(&path, &line("m2", 5));
    let cursor = read(&path, None).cursor.unwrap();
    // Rotated: the file moved away and a new one took its name.
    std::fs::rename(&path, dir.path().join("t.jsonl.1")).unwrap();
    append(&path, &line("m3", 5));
    let rotated = read(&path, Some(&cursor));
    assert_eq!(rotated.records.len(), 1);
    assert_eq!(rotated.records[0].key, "m3");
    assert!(
        rotated.warnings[0].contains("rotated"),
        "{:?}",
        rotated.warnings
    );
    let cursor = rotated.cursor.unwrap();
    // Truncated in place: read from the start of what is there now.
    std::fs::write(&path, line("m4", 5)).unwrap();
    let mut shorter = cursor.clone();
    shorter.read_to += 1_000;
    let truncated = read(&path, Some(&shorter));
    assert_eq!(truncated.records[0].key, "m4");
    assert!(
        truncated.warnings[0].contains("truncated"),
        "{:?}",
        truncated.warnings
    );
}

#[test]
fn a_huge_line_is_skipped_with_a_warning_and_the_next_one_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.jsonl");
    let huge = format!(
        "{{\"type\":\"assistant\",\"usage\":\"{}\"}}\n",
        "x".repeat(MAX_LINE_BYTES + 10)
    );
    append(&path, &huge);
    append(&path, &line("after", 3));
    // A hook call reads a bounded part, so several calls may be needed: follow the cursor.
    let mut cursor: Option<UsageCursor> = None;
    let mut records = Vec::new();
    let mut warnings = Vec::new();
    for _ in 0..20 {
        let read = read(&path, cursor.as_ref());
        records.extend(read.records);
        warnings.extend(read.warnings);
        match read.cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(records.len(), 1, "{warnings:?}");
    assert_eq!(records[0].key, "after");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("longer than"), "{warnings:?}");
}

#[test]
fn a_big_file_is_read_in_bounded_steps_by_hook_calls_and_whole_by_the_catch_up() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.jsonl");
    let mut text = String::new();
    let mut n = 0;
    while text.len() < 5 * 1024 * 1024 {
        text.push_str(&line(&format!("m{n}"), 1));
        n += 1;
    }
    std::fs::write(&path, &text).unwrap();
    let first = read(&path, None);
    assert!(first.records.len() < n, "a hook call reads a part");
    assert!(first.cursor.as_ref().unwrap().read_to <= super::HOOK_READ_BYTES);
    let whole = TranscriptFeed::whole(&path).read(HookClient::ClaudeCode, None);
    assert_eq!(whole.records.len(), n);
    assert_eq!(whole.cursor.unwrap().read_to, text.len() as u64);
}

#[test]
fn the_account_is_the_clients_config_folder() {
    // One test changes the environment (tests run in threads of one process).
    std::env::set_var("HOME", "/home/ana");
    std::env::remove_var("CLAUDE_CONFIG_DIR");
    assert_eq!(
        account_of(HookClient::ClaudeCode).as_deref(),
        Some("~/.claude")
    );
    std::env::set_var("CODEX_HOME", "/srv/codex-work");
    assert_eq!(
        account_of(HookClient::Codex).as_deref(),
        Some("/srv/codex-work")
    );
    std::env::remove_var("CODEX_HOME");
}

#[test]
fn the_status_line_is_chained_never_replaced_and_given_back() {
    use crate::{status_line_install, status_line_uninstall, HooksScope, HooksTarget};
    let dir = tempfile::tempdir().unwrap();
    let settings = dir.path().join(".claude/settings.json");
    std::fs::create_dir_all(settings.parent().unwrap()).unwrap();
    let theirs = "~/bin/my-line --color 'two words'";
    std::fs::write(
        &settings,
        serde_json::json!({"statusLine": {"type": "command", "command": theirs, "padding": 1},
                           "model": "opus"})
        .to_string(),
    )
    .unwrap();
    let target = HooksTarget {
        client: "claude-code".into(),
        scope: HooksScope::Project(dir.path().to_owned()),
        command: "'/opt/baton-hook'".into(),
        mode: "warn".into(),
        parallel: None,
        telemetry: None,
    };
    let read = || -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(&settings).unwrap()).unwrap()
    };
    let report = status_line_install(&target).unwrap();
    assert!(report.changed);
    assert!(report.notes[0].contains(theirs), "{:?}", report.notes);
    let installed = read();
    let command = installed["statusLine"]["command"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(command.starts_with("'/opt/baton-hook' claude-code --statusline --then "));
    assert_eq!(
        installed["statusLine"]["padding"], 1,
        "their other keys are kept"
    );
    assert_eq!(installed["model"], "opus");
    // Again: the same (theirs still chained once).
    assert!(!status_line_install(&target).unwrap().changed);
    // The command line gives their command back whole to the shell.
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "printf '%s\\n' {}",
            &command[command.find("--then ").unwrap() + 7..]
        ))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), theirs);
    let removed = status_line_uninstall(&target).unwrap();
    assert!(removed.changed);
    assert_eq!(read()["statusLine"]["command"], theirs);
}

#[test]
fn a_response_the_payload_carries_is_read_as_its_clients_record() {
    let message = r#"{"id":"msg_2","sessionID":"ses_1","role":"assistant","modelID":"m","time":{"created":1795629199610},"tokens":{"input":700,"output":16,"reasoning":5,"cache":{"read":400,"write":3}}}"#;
    let read = PayloadMessage(message.to_owned()).read(HookClient::OpenCode, None);
    assert_eq!(read.cursor, None, "nothing to move");
    assert_eq!(read.records.len(), 1, "{read:?}");
    assert_eq!(read.records[0].key, "msg_2");
    assert_eq!(
        read.records[0].tokens,
        baton_core::usage::TokenUse {
            input: 700,
            output: 21,
            cache_read: 400,
            cache_write: 3
        }
    );
    // Junk is nothing, not a failure of the call.
    let junk = PayloadMessage("{\"tokens\": \"assistant\"".into()).read(HookClient::OpenCode, None);
    assert!(junk.records.is_empty(), "{junk:?}");

    // A call's file comes first; a call with neither has no feed.
    let mut call = baton_core::hooks::parse_hook_payload(
        HookClient::ClaudeCode,
        br#"{"session_id":"s","hook_event_name":"Stop"}"#,
        None,
    )
    .unwrap();
    assert!(usage_feed_of(&call).is_none());
    call.usage_message = Some(message.to_owned());
    let mut feed = usage_feed_of(&call).unwrap();
    assert_eq!(feed.read(HookClient::OpenCode, None).records.len(), 1);
}
