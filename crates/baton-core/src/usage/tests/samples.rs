//! The parsers on files the real clients wrote here (`tests/tests/integration/peer_usage.rs` with
//! `BATON_RECORD_USAGE_SAMPLES=1`, `make usage-samples`: Claude Code 2.1.328 and Codex 0.169.0
//! against the stand-ins, whose `n`th answer of a session reports `100 + n` fresh input, `20 + n`
//! output, `1000 + 10n` cache read and `50 + n` cache written tokens (Codex: no cache writes),
//! and whose Codex account's primary window climbs from 60 % by 12 points an answer).

use crate::hooks::HookClient;
use crate::usage::*;

fn sample(path: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/src/usage/tests/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn sum(records: &[UsageRecord]) -> TokenUse {
    let mut total = TokenUse::default();
    for r in records {
        total.add(r.tokens);
    }
    total
}

#[test]
fn claude_codes_transcript_gives_each_answer_once_with_its_model() {
    let bytes = sample("claude-code-2.1.328/transcript.jsonl");
    let read = read_lines(
        parser_for(HookClient::ClaudeCode).unwrap(),
        &bytes,
        0,
        None,
        false,
    );
    assert!(read.warnings.is_empty(), "{:?}", read.warnings);
    assert_eq!(read.consumed, bytes.len());
    assert_eq!(read.records.len(), 2, "{:?}", read.records);
    assert!(read
        .records
        .iter()
        .all(|r| r.model.as_deref() == Some("claude-sonnet-4-5") && r.at.is_some()));
    assert_eq!(
        sum(&read.records),
        TokenUse {
            input: 101 + 102,
            output: 21 + 22,
            cache_read: 1010 + 1020,
            cache_write: 51 + 52
        }
    );
}

#[test]
fn codexs_rollout_gives_each_answer_once_and_the_windows_as_its_headers_said() {
    let bytes = sample("codex-0.169.0/rollout.jsonl");
    let read = read_lines(
        parser_for(HookClient::Codex).unwrap(),
        &bytes,
        0,
        None,
        false,
    );
    assert!(read.warnings.is_empty(), "{:?}", read.warnings);
    // Two runs of one session (the second resumed it): four answers.
    let mut keys: Vec<&str> = read.records.iter().map(|r| r.key.as_str()).collect();
    keys.dedup();
    assert_eq!(keys.len(), 4, "{keys:?}");
    assert!(read
        .records
        .iter()
        .all(|r| r.model.as_deref() == Some("gpt-5.5")));
    assert_eq!(
        sum(&read.records),
        TokenUse {
            input: 101 + 102 + 103 + 104,
            output: 21 + 22 + 23 + 24,
            cache_read: 1010 + 1020 + 1030 + 1040,
            cache_write: 0
        }
    );
    let primary: Vec<f64> = read
        .windows
        .iter()
        .filter(|w| w.window == "primary")
        .map(|w| w.used_percent)
        .collect();
    assert_eq!(primary, vec![72.0, 84.0, 96.0, 108.0]);
    assert!(read
        .windows
        .iter()
        .all(|w| w.resets_at.is_some() && w.window_minutes.is_some()));
}
