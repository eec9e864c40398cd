//! A coding client's own telemetry joined to its session (issue 61): a response counted once
//! whichever of the transcript and the telemetry came first, priced as the client said; API
//! errors in the rate-limit ledger, a 429 and a 529 as refusals; tools on the turn's timeline;
//! events of a session nobody heard counted, not kept.

use baton_core::hooks::{parse_hook_payload, HookClient, PermitMode};
use baton_core::otel::{ClientAction, ClientEvent};
use baton_core::usage::{TokenUse, UsageRecord};
use serde_json::json;

use super::support::{fresh_store, t};
use crate::coding_usage::{UsageCursor, UsageFeed, UsageRead};
use crate::sessions::{PermitSettings, SessionRef};
use crate::Store;

const TOKENS: TokenUse = TokenUse {
    input: 101,
    output: 21,
    cache_read: 1010,
    cache_write: 51,
};

/// Hands the store the transcript's records of one read.
struct Transcript(Vec<UsageRecord>);

impl UsageFeed for Transcript {
    fn read(&mut self, _client: HookClient, cursor: Option<&UsageCursor>) -> UsageRead {
        let from = cursor.map_or(0, |c| c.read_to);
        UsageRead {
            cursor: Some(UsageCursor {
                path: "/t.jsonl".into(),
                file_key: "1:2".into(),
                read_to: from + 100,
                model: None,
            }),
            records: std::mem::take(&mut self.0),
            ..UsageRead::default()
        }
    }
}

fn session() -> SessionRef {
    SessionRef {
        account: Some("~/.claude".into()),
        ..super::sessions::session("s1")
    }
}

/// A hook call of session s1 whose transcript read gives `records`; the session's agent id.
fn hook_call(
    store: &mut Store,
    at: i64,
    event: serde_json::Value,
    records: Vec<UsageRecord>,
) -> i64 {
    let call =
        parse_hook_payload(HookClient::ClaudeCode, event.to_string().as_bytes(), None).unwrap();
    let settings = PermitSettings::in_mode(PermitMode::Warn);
    let mut feed = Transcript(records);
    store
        .record_hook_reading(&session(), &call, settings, t(at), Some(&mut feed))
        .unwrap()
        .agent_id
}

fn transcript_line(key: &str) -> UsageRecord {
    UsageRecord {
        key: key.into(),
        at: Some(t(5)),
        model: Some("claude-standin".into()),
        tokens: TOKENS,
    }
}

fn model_call(key: &str, cost: f64) -> ClientEvent {
    ClientEvent {
        client: HookClient::ClaudeCode,
        session_id: "s1".into(),
        at: Some(t(6)),
        what: ClientAction::ModelCall {
            request_id: Some(key.into()),
            model: Some("claude-standin".into()),
            tokens: Some(TOKENS),
            cost_usd: Some(cost),
            status: 200,
            duration_ms: Some(30),
        },
    }
}

fn api_error(status: u16) -> ClientEvent {
    ClientEvent {
        what: ClientAction::ApiError {
            model: Some("claude-standin".into()),
            status: Some(status),
            attempt: Some(1),
            error: Some("rate_limit_error".into()),
        },
        ..model_call("-", 0.0)
    }
}

#[test]
fn a_response_counts_once_whichever_source_came_first_priced_as_the_client_said() {
    let mut store = fresh_store();
    let prompt = json!({"hook_event_name": "UserPromptSubmit", "prompt": "go"});
    // req_1: the transcript first, then the telemetry.
    let id = hook_call(&mut store, 0, prompt, vec![transcript_line("req_1")]);
    let stored = store
        .record_client_events(&[model_call("req_1", 0.25)], t(10))
        .unwrap();
    assert_eq!(stored.sessions, vec![(id, 1, 1)]);
    assert_eq!(stored.unjoined, 0);
    // req_2: the telemetry first, then the transcript.
    store
        .record_client_events(&[model_call("req_2", 0.5)], t(11))
        .unwrap();
    let tool = json!({"hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_input": {"command": "ls"}});
    hook_call(&mut store, 12, tool, vec![transcript_line("req_2")]);
    // req_3: the transcript only (a response the telemetry has not sent yet): Baton's price.
    let stop = json!({"hook_event_name": "Stop"});
    hook_call(&mut store, 13, stop, vec![transcript_line("req_3")]);

    let usage = store
        .session_usage(id, HookClient::ClaudeCode, t(20))
        .unwrap()
        .unwrap();
    let mut three = TokenUse::default();
    (0..3).for_each(|_| three.add(TOKENS));
    assert_eq!(usage.today, three, "each response once");
    assert_eq!(usage.models.len(), 1, "{:?}", usage.models);
    // claude-standin has no price in Baton's table: the two the client priced are its figures.
    assert_eq!(usage.usd, Some(0.75));
    assert_eq!(usage.unpriced_tokens, TOKENS.total());
    assert!(
        !usage.models[0].client_priced,
        "one response was not the client's"
    );
}

#[test]
fn api_errors_count_in_the_ledger_and_tools_show_on_the_turn() {
    let mut store = fresh_store();
    let prompt = json!({"hook_event_name": "UserPromptSubmit", "prompt": "go"});
    let id = hook_call(&mut store, 0, prompt, Vec::new());
    let tool = |what: ClientAction| ClientEvent {
        what,
        ..model_call("-", 0.0)
    };
    let events = [
        api_error(429),
        api_error(529),
        model_call("req_1", 0.1),
        tool(ClientAction::ToolDecision {
            tool: "Write".into(),
            decision: "accept".into(),
            source: Some("config".into()),
        }),
        tool(ClientAction::ToolResult {
            tool: "Write".into(),
            success: false,
            duration_ms: Some(16),
            error: Some("permission denied".into()),
        }),
    ];
    let stored = store.record_client_events(&events, t(10)).unwrap();
    assert_eq!(stored.sessions, vec![(id, 5, 1)]);
    // The ledger: three calls of the account's quota, two refused.
    let minutes = store
        .api_minutes(
            "anthropic",
            Some("~/.claude"),
            t(0).timestamp(),
            t(3600).timestamp(),
        )
        .unwrap();
    assert_eq!(minutes.len(), 1, "{minutes:?}");
    assert_eq!(
        (
            minutes[0].agent_id,
            minutes[0].requests,
            minutes[0].rate_limited
        ),
        (id, 3, 2)
    );
    // The turn's timeline says each, in the words of its line.
    let lines: Vec<String> = store
        .task_events(id, "turn-1", 50)
        .unwrap()
        .into_iter()
        .filter_map(|e| e.raw["message"].as_str().map(str::to_owned))
        .collect();
    for line in [
        "API error 429 (attempt 1): rate_limit_error",
        "API error 529 (attempt 1): rate_limit_error",
        "tool Write accept (config)",
        "tool Write failed: permission denied",
    ] {
        assert!(lines.iter().any(|l| l == line), "{line} in {lines:?}");
    }
    // The same export again (an exporter's retry after an answer it did not get) never counts
    // a response twice: a response is its request id's row.
    store.record_client_events(&events, t(11)).unwrap();
    let usage = store
        .session_usage(id, HookClient::ClaudeCode, t(20))
        .unwrap()
        .unwrap();
    assert_eq!(usage.today, TOKENS);
    assert_eq!(usage.usd, Some(0.1));
}

#[test]
fn a_session_nobody_heard_is_counted_not_made() {
    let mut store = fresh_store();
    let mut stray = model_call("req_9", 1.0);
    stray.session_id = "never-called".into();
    let stored = store.record_client_events(&[stray], t(10)).unwrap();
    assert_eq!(stored.unjoined, 1);
    assert!(stored.sessions.is_empty());
    assert!(store.agents().unwrap().is_empty());
}
