//! Gemini CLI's session files as the real client wrote them here (kept by
//! tests/tests/integration/peer_gemini.rs with `BATON_RECORD_SAMPLES=1`), and bad, cut, huge and rewritten
//! ones.

use std::collections::BTreeMap;

use super::*;
use crate::usage::test_samples::{huge_line_then, read_in_two};
use crate::usage::{read_lines, LinesRead, UsageRecord};

fn sample(name: &str) -> Vec<u8> {
    crate::usage::test_samples::sample("gemini-0.61.0", name)
}

fn read_all(bytes: &[u8]) -> LinesRead {
    crate::usage::test_samples::read_all(&GeminiTranscript, bytes)
}

/// Each response once (its largest figures), by key.
fn by_response(records: &[UsageRecord]) -> BTreeMap<String, TokenUse> {
    let mut out: BTreeMap<String, TokenUse> = BTreeMap::new();
    for record in records {
        let seen = out.entry(record.key.clone()).or_default();
        *seen = seen.max(record.tokens);
    }
    out
}

#[test]
fn a_recorded_session_is_two_responses_as_billed() {
    // Session one: a write_file call, then "done"; the stand-in reported prompts of 1100 and
    // 1200 tokens (400 cached, 3 for the tools), 21 and 22 out, 7 of thinking each.
    let read = read_all(&sample("session-one.jsonl"));
    assert_eq!(read.warnings, Vec::<String>::new());
    assert_eq!(read.consumed, sample("session-one.jsonl").len());
    // The first response is written twice (once more with its tool call): one key.
    assert_eq!(read.records.len(), 3, "{:?}", read.records);
    let responses = by_response(&read.records);
    let figures: Vec<TokenUse> = responses.values().copied().collect();
    let mut expected = vec![
        TokenUse {
            input: 703,
            output: 28,
            cache_read: 400,
            cache_write: 0,
        },
        TokenUse {
            input: 803,
            output: 29,
            cache_read: 400,
            cache_write: 0,
        },
    ];
    let mut got = figures.clone();
    got.sort_by_key(|t| t.input);
    expected.sort_by_key(|t| t.input);
    assert_eq!(got, expected);
    for record in &read.records {
        assert_eq!(record.model.as_deref(), Some("gemini-2.5-flash"));
        assert!(record.at.is_some(), "{record:?}");
    }
    // The other session's file reads alike.
    let two = read_all(&sample("session-two.jsonl"));
    assert_eq!(two.warnings, Vec::<String>::new());
    assert_eq!(by_response(&two.records).len(), 2);
}

#[test]
fn bad_lines_are_skipped_with_a_warning_and_the_rest_read() {
    let good = r#"{"id":"m1","timestamp":"2026-11-25T17:53:02.668Z","type":"gemini","content":"","tokens":{"input":1100,"output":21,"cached":400,"thoughts":7,"tool":3,"total":1131},"model":"gemini-2.5-flash"}"#;
    let lines = [
        "not json at all \"gemini\" \"tokens\"",
        r#"{"id":"m2","type":"gemini","tokens":{"input":"many","output":1}}"#,
        r#"{"id":"m3","type":"gemini","tokens":"lots"}"#,
        r#"{"id":7,"type":"gemini","tokens":{"input":1}}"#,
        r#"{"id":"m4","type":"gemini","tokens":{"input":-5,"output":1}}"#,
        // Nothing to count: a user line, a response without figures or without its id.
        r#"{"id":"u1","type":"user","content":"gemini","tokens":{"input":9}}"#,
        r#"{"id":"m5","type":"gemini","tokens":{"input":0,"output":0}}"#,
        r#"{"type":"gemini","tokens":{"input":9,"output":9}}"#,
        // More cached than the prompt (never seen): no negative input.
        r#"{"id":"m6","type":"gemini","tokens":{"input":10,"cached":50,"output":1}}"#,
        good,
    ];
    let read = read_all(format!("{}\n", lines.join("\n")).as_bytes());
    assert_eq!(read.warnings.len(), 5, "{:?}", read.warnings);
    assert!(
        read.warnings[0].contains("not a Gemini CLI session line"),
        "{:?}",
        read.warnings
    );
    let keys: Vec<&str> = read.records.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys, ["m6", "m1"]);
    assert_eq!(
        read.records[0].tokens,
        TokenUse {
            input: 0,
            output: 1,
            cache_read: 10,
            cache_write: 0
        }
    );
}

#[test]
fn a_cut_line_waits_for_its_end_and_a_huge_one_is_skipped() {
    let bytes = sample("session-one.jsonl");
    // Cut inside the last response's line: it is left for the next read.
    let last = bytes[..bytes.len() - 1]
        .iter()
        .rposition(|b| *b == b'\n')
        .unwrap();
    let response_line = bytes[..last].iter().rposition(|b| *b == b'\n').unwrap() + 1;
    let cut = response_line + 40;
    let (all, stopped) = read_in_two(&GeminiTranscript, &bytes, cut);
    assert_eq!(stopped, response_line);
    assert_eq!(all, read_all(&bytes).records);
    // Cut at the end of the file and never finished: read only if whole.
    let half = read_lines(&GeminiTranscript, &bytes[response_line..cut], 0, None, true);
    assert!(half.records.is_empty() && half.consumed == 0, "{half:?}");
    // A line over the limit (a huge tool result written whole) is skipped, the next one read.
    let start = br#"{"id":"big","type":"gemini","tokens":{"input":1},"content":""#;
    let read = read_all(&huge_line_then(start, &bytes));
    assert_eq!(read.warnings.len(), 1, "{:?}", read.warnings);
    assert!(
        read.warnings[0].contains("longer than"),
        "{:?}",
        read.warnings
    );
    assert_eq!(by_response(&read.records).len(), 2);
}

#[test]
fn a_file_written_again_whole_counts_each_response_once() {
    // Gemini CLI writes the whole session again when it rewinds or repairs it: the same ids.
    let bytes = sample("session-one.jsonl");
    let mut twice = bytes.clone();
    twice.extend_from_slice(&bytes);
    assert_eq!(
        by_response(&read_all(&twice).records),
        by_response(&read_all(&bytes).records)
    );
}
