//! The usage parsers on lines as the clients write them, bad lines, and the windows' forecast.

mod samples;
mod windows;

use super::types::parse_time;
use super::*;

const CLAUDE_LINE: &str = r#"{"parentUuid":"a","type":"assistant","timestamp":"2026-11-25T16:17:30.431Z","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"I'll write it."}],"usage":{"input_tokens":101,"cache_creation_input_tokens":50,"cache_read_input_tokens":1001,"output_tokens":21,"service_tier":"standard"}}}"#;

fn claude() -> &'static dyn UsageParser {
    parser_for(HookClient::ClaudeCode).unwrap()
}

fn codex() -> &'static dyn UsageParser {
    parser_for(HookClient::Codex).unwrap()
}

#[test]
fn a_claude_code_assistant_line_is_one_response_with_its_cache() {
    let read = read_lines(
        claude(),
        format!("{CLAUDE_LINE}\n").as_bytes(),
        0,
        None,
        false,
    );
    assert_eq!(read.warnings, Vec::<String>::new());
    assert_eq!(read.consumed, CLAUDE_LINE.len() + 1);
    assert_eq!(
        read.records,
        vec![UsageRecord {
            key: "msg_1".into(),
            at: parse_time(Some("2026-11-25T16:17:30.431Z")),
            model: Some("claude-sonnet-4-5".into()),
            tokens: TokenUse {
                input: 101,
                output: 21,
                cache_read: 1001,
                cache_write: 50
            },
        }]
    );
}

#[test]
fn a_claude_code_line_with_its_request_id_is_keyed_by_it_as_the_telemetry_names_it() {
    let line = CLAUDE_LINE.replace(
        r#""parentUuid":"a","#,
        r#""parentUuid":"a","requestId":"req_011","#,
    );
    let read = read_lines(claude(), format!("{line}\n").as_bytes(), 0, None, false);
    assert_eq!(read.records.len(), 1);
    assert_eq!(read.records[0].key, "req_011");
    // An empty one is no key: the message's id is.
    let line = CLAUDE_LINE.replace(
        r#""parentUuid":"a","#,
        r#""parentUuid":"a","requestId":"","#,
    );
    let read = read_lines(claude(), format!("{line}\n").as_bytes(), 0, None, false);
    assert_eq!(read.records[0].key, "msg_1");
}

#[test]
fn lines_without_usage_are_not_parsed_and_junk_is_skipped_with_its_offset() {
    let user = r#"{"type":"user","message":{"role":"user","content":"hi"}}"#;
    let junk = r#"{"type":"assistant","usage": oops"#;
    let text = format!("{user}\n{junk}\n{CLAUDE_LINE}\n");
    let read = read_lines(claude(), text.as_bytes(), 1000, None, false);
    assert_eq!(read.records.len(), 1);
    assert_eq!(read.warnings.len(), 1, "{:?}", read.warnings);
    let at = 1000 + user.len() + 1;
    assert!(
        read.warnings[0].starts_with(&format!("the line at byte {at} is skipped")),
        "{:?}",
        read.warnings
    );
    assert_eq!(read.consumed, text.len());
}

#[test]
fn a_line_not_yet_finished_waits_for_its_newline() {
    let text = format!("{CLAUDE_LINE}\n{}", &CLAUDE_LINE[..40]);
    let read = read_lines(claude(), text.as_bytes(), 0, None, false);
    assert_eq!(read.records.len(), 1);
    assert_eq!(
        read.consumed,
        CLAUDE_LINE.len() + 1,
        "the half line is left"
    );
    assert!(read.warnings.is_empty());
    // At the file's end a whole line without its newline is read; a half one is still left.
    let whole = read_lines(claude(), CLAUDE_LINE.as_bytes(), 0, None, true);
    assert_eq!(
        (whole.records.len(), whole.consumed),
        (1, CLAUDE_LINE.len())
    );
    let half = read_lines(claude(), &CLAUDE_LINE.as_bytes()[..40], 0, None, true);
    assert_eq!((half.records.len(), half.consumed), (0, 0));
}

#[test]
fn a_huge_line_is_skipped_with_a_warning() {
    let huge = format!(
        "{{\"type\":\"assistant\",\"usage\":1,\"pad\":\"{}\"}}",
        "x".repeat(MAX_LINE_BYTES)
    );
    let text = format!("{huge}\n{CLAUDE_LINE}\n");
    let read = read_lines(claude(), text.as_bytes(), 0, None, false);
    assert_eq!(read.records.len(), 1);
    assert_eq!(read.warnings.len(), 1);
    assert!(
        read.warnings[0].contains("longer than"),
        "{:?}",
        read.warnings
    );
}

#[test]
fn a_codex_token_count_is_split_into_cached_and_fresh_input_with_its_windows() {
    let turn = r#"{"timestamp":"2026-11-25T16:18:53.899Z","type":"turn_context","payload":{"turn_id":"t","model":"gpt-5.5","cwd":"/r"}}"#;
    let count = r#"{"timestamp":"2026-11-25T16:18:54.003Z","ordinal":13,"type":"event_msg","payload":{"type":"token_count","info":{"total_token_usage":{"input_tokens":207,"cached_input_tokens":150,"cache_write_input_tokens":0,"output_tokens":37,"reasoning_output_tokens":7,"total_tokens":244},"last_token_usage":{"input_tokens":207,"cached_input_tokens":150,"cache_write_input_tokens":0,"output_tokens":37,"reasoning_output_tokens":7,"total_tokens":244},"model_context_window":258400},"rate_limits":{"limit_id":"codex","primary":{"used_percent":70.0,"window_minutes":300,"resets_at":1795627133},"secondary":{"used_percent":16.0,"window_minutes":10080,"resets_at":1795709934},"credits":null}}}"#;
    // The same figures again (a rate-limit update): the same key.
    let text = format!("{turn}\n{count}\n{count}\n");
    let read = read_lines(codex(), text.as_bytes(), 0, None, false);
    assert!(read.warnings.is_empty(), "{:?}", read.warnings);
    assert_eq!(read.model.as_deref(), Some("gpt-5.5"));
    assert_eq!(read.records.len(), 2);
    assert_eq!(read.records[0].key, read.records[1].key);
    assert_eq!(read.records[0].model.as_deref(), Some("gpt-5.5"));
    assert_eq!(
        read.records[0].tokens,
        TokenUse {
            input: 57,
            output: 37,
            cache_read: 150,
            cache_write: 0
        }
    );
    assert_eq!(read.windows.len(), 4);
    let primary = &read.windows[0];
    assert_eq!(
        (
            primary.window.as_str(),
            primary.used_percent,
            primary.window_minutes
        ),
        ("primary", 70.0, Some(300))
    );
    assert_eq!(primary.resets_at.unwrap().timestamp(), 1_795_627_133);
    // The model carries over to the next chunk.
    let next = read_lines(
        codex(),
        format!("{count}\n").as_bytes(),
        0,
        read.model,
        false,
    );
    assert_eq!(next.records[0].model.as_deref(), Some("gpt-5.5"));
}

#[test]
fn wrong_types_in_a_wanted_line_are_a_warning_not_a_panic() {
    for line in [
        r#"{"type":"event_msg","payload":{"type":"token_count","info":{"last_token_usage":{"input_tokens":"many"}}}}"#,
        r#"{"type":"event_msg","payload":{"type":"token_count","rate_limits":{"primary":{"used_percent":"x"}}}}"#,
        r#"[1,2,"token_count"]"#,
    ] {
        let read = read_lines(codex(), format!("{line}\n").as_bytes(), 0, None, false);
        assert!(read.records.is_empty() && read.windows.is_empty(), "{line}");
        assert_eq!(read.warnings.len(), 1, "{line}");
    }
}

#[test]
fn the_status_line_data_gives_the_windows_and_the_cost() {
    let data = br#"{"session_id":"s1","transcript_path":"/t.jsonl","cwd":"/r","model":{"id":"claude-opus-5-5"},"cost":{"total_cost_usd":0.0027},"rate_limits":{"five_hour":{"used_percentage":60,"resets_at":1795627107},"seven_day":{"used_percentage":12,"resets_at":1795882707}}}"#;
    let status = parse_status_line(data).unwrap();
    assert_eq!(status.session_id.as_deref(), Some("s1"));
    assert_eq!(status.cost_usd, Some(0.0027));
    assert_eq!(status.windows.len(), 2);
    assert_eq!(status.windows[0].window, "five_hour");
    assert_eq!(status.windows[0].used_percent, 60.0);
    assert_eq!(status.windows[0].window_minutes, Some(300));
    // An API-key session has no windows; junk is an error.
    let bare = parse_status_line(br#"{"session_id":"s1","rate_limits":null}"#).unwrap();
    assert!(bare.windows.is_empty());
    assert!(parse_status_line(b"not json").is_err());
}

#[test]
fn tokens_are_priced_with_the_cache_as_each_provider_bills_it() {
    let table = crate::cost::price_table(&[crate::cost::Price::own(
        "anthropic",
        Some("claude-x"),
        0.003,
        0.015,
    )]);
    let tokens = TokenUse {
        input: 1000,
        output: 1000,
        cache_read: 10_000,
        cache_write: 1000,
    };
    let cost = price_tokens(&table, "anthropic", Some("claude-x"), tokens);
    // 0.003 + 0.015 + 10 × 0.0003 + 1.25 × 0.003
    assert!((cost.usd.unwrap() - 0.02475).abs() < 1e-9, "{cost:?}");
    assert!(!cost.default_price);
    assert_eq!(
        price_tokens(&table, "anthropic", Some("nobody"), tokens).usd,
        None
    );
}
