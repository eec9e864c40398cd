//! OpenCode's messages as the real client kept them here (rows of its database, kept by
//! tests/tests/integration/peer_opencode.rs with `BATON_RECORD_SAMPLES=1`), as its `message.updated` event
//! carries them, and bad, cut and huge ones.

use serde_json::{json, Value};

use super::*;
use crate::usage::test_samples::{huge_line_then, read_in_two};
use crate::usage::LinesRead;

fn sample(name: &str) -> Vec<u8> {
    crate::usage::test_samples::sample("opencode-1.18.33", name)
}

fn read_all(bytes: &[u8]) -> LinesRead {
    crate::usage::test_samples::read_all(&OpenCodeMessages, bytes)
}

#[test]
fn a_recorded_session_is_its_assistant_messages_as_billed() {
    // The stand-in reported prompts of 1100 and 1200 tokens (400 cached), completions of 21 and
    // 22 (5 of reasoning each); the person's message costs nothing.
    let read = read_all(&sample("session-one.jsonl"));
    assert_eq!(read.warnings, Vec::<String>::new());
    let figures: Vec<TokenUse> = read.records.iter().map(|r| r.tokens).collect();
    assert_eq!(
        figures,
        [
            TokenUse {
                input: 700,
                output: 21,
                cache_read: 400,
                cache_write: 0
            },
            TokenUse {
                input: 800,
                output: 22,
                cache_read: 400,
                cache_write: 0
            },
        ]
    );
    for record in &read.records {
        assert!(record.key.starts_with("msg_"), "{record:?}");
        assert_eq!(record.model.as_deref(), Some("standin-model"));
        assert!(record.at.is_some(), "{record:?}");
    }
    assert_eq!(read_all(&sample("session-two.jsonl")).records.len(), 2);
}

/// The recorded assistant rows, read as JSON.
fn rows() -> Vec<Value> {
    String::from_utf8(sample("session-one.jsonl"))
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .filter(|row: &Value| row["data"]["role"] == "assistant")
        .collect()
}

#[test]
fn the_event_the_plugin_sees_and_the_columns_text_read_as_the_row() {
    let row = rows().remove(0);
    let from_row = read_all(format!("{row}\n").as_bytes()).records;
    // `message.updated`'s info: the message with its id and session in it.
    let mut info = row["data"].clone();
    info["id"] = row["id"].clone();
    info["sessionID"] = row["session_id"].clone();
    assert_eq!(read_all(format!("{info}\n").as_bytes()).records, from_row);
    // The `data` column as its JSON text, not an object.
    let mut text = row.clone();
    text["data"] = json!(row["data"].to_string());
    assert_eq!(read_all(format!("{text}\n").as_bytes()).records, from_row);
}

#[test]
fn bad_messages_are_skipped_with_a_warning_and_the_rest_read() {
    let good = rows().remove(0).to_string();
    let lines = [
        "assistant tokens, but no JSON".to_owned(),
        json!({"id": "m1", "data": {"role": "assistant", "tokens": {"input": "lots"}}}).to_string(),
        json!({"id": "m2", "data": "{\"role\": \"assistant\", \"tokens\": {"}).to_string(),
        json!({"id": "m3", "role": "assistant", "tokens": {"cache": "x"}}).to_string(),
        json!({"id": "m4", "data": {"role": "assistant", "tokens": {"input": 1}, "time": {"created": "today"}}}).to_string(),
        // Nothing to count: the person's message, no figures, no id, a time from nowhere.
        json!({"id": "u1", "data": {"role": "user", "tokens": {"input": 9}, "agent": "assistant"}}).to_string(),
        json!({"id": "m5", "data": {"role": "assistant", "tokens": {"input": 0, "output": 0}}}).to_string(),
        json!({"data": {"role": "assistant", "tokens": {"input": 9}}}).to_string(),
        json!({"id": "m6", "data": {"role": "assistant", "tokens": {"input": 9}, "time": {"created": 5}}}).to_string(),
        good,
    ];
    let read = read_all(format!("{}\n", lines.join("\n")).as_bytes());
    assert_eq!(read.warnings.len(), 5, "{:?}", read.warnings);
    assert!(
        read.warnings[0].contains("not an OpenCode message"),
        "{:?}",
        read.warnings
    );
    assert_eq!(read.records.len(), 2, "{:?}", read.records);
    assert_eq!(
        (read.records[0].key.as_str(), read.records[0].at),
        ("m6", None)
    );
}

#[test]
fn a_cut_line_waits_and_a_huge_one_is_skipped() {
    let bytes = sample("session-one.jsonl");
    let cut = bytes.len() - 30;
    let (all, stopped) = read_in_two(&OpenCodeMessages, &bytes, cut);
    assert!(stopped < cut);
    assert_eq!(all, read_all(&bytes).records);
    let start = br#"{"id":"big","data":{"role":"assistant","tokens":{"input":1}},"pad":""#;
    let read = read_all(&huge_line_then(start, &bytes));
    assert_eq!(read.warnings.len(), 1, "{:?}", read.warnings);
    assert_eq!(read.records.len(), 2);
}
