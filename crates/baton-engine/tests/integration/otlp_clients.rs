//! The coding clients' own telemetry over real HTTP on 127.0.0.1 (issue 61, point 2): a logs
//! export in the shape Claude Code 2.1.328 sends (its attributes as the real client sent them,
//! prompts redacted by the client and never read) joins the session its hooks reported; a
//! session nobody heard is counted, not made; a coding client's own spans make no agent.

use baton_core::agent::AdapterKind;
use baton_core::hooks::{parse_hook_payload, HookClient, PermitMode};
use baton_store::sessions::PermitSettings;
use serde_json::{json, Value};

use crate::support::hooks::session;
use crate::support::otlp::{post, post_json_ok, receiving};

/// Claude Code's session `id` as its hooks reported it: one prompt.
fn prompted(engine: &baton_engine::Engine, id: &str) {
    let id = id.to_owned();
    engine
        .store()
        .write_blocking(move |s| {
            let prompt = json!({"hook_event_name": "UserPromptSubmit", "prompt": "go"});
            let call =
                parse_hook_payload(HookClient::ClaudeCode, prompt.to_string().as_bytes(), None)
                    .unwrap();
            let settings = PermitSettings::in_mode(PermitMode::Warn);
            s.record_hook(&session(&id), &call, settings, chrono::Utc::now())
        })
        .unwrap();
}

fn attributes(pairs: &[(&str, Value)]) -> Value {
    Value::Array(
        pairs
            .iter()
            .map(|(key, value)| {
                let value = match value {
                    Value::String(s) => json!({"stringValue": s}),
                    Value::Bool(b) => json!({"boolValue": b}),
                    Value::Number(n) if n.is_i64() => json!({"intValue": n}),
                    other => json!({"doubleValue": other}),
                };
                json!({"key": key, "value": value})
            })
            .collect(),
    )
}

/// A record of Claude Code's events scope, as it exports them.
fn claude_record(session: &str, event: &str, sequence: i64, extra: &[(&str, Value)]) -> Value {
    let mut pairs = vec![
        ("user.id", json!("0b89fab02361ab60")),
        ("session.id", json!(session)),
        ("terminal.type", json!("xterm")),
        ("event.name", json!(event)),
        ("event.timestamp", json!("2026-11-30T02:02:42.483Z")),
        ("event.sequence", json!(sequence)),
    ];
    pairs.extend(extra.iter().cloned());
    json!({
        "timeUnixNano": "1796004162483000000",
        "observedTimeUnixNano": "1796004162483000000",
        "body": {"stringValue": format!("claude_code.{event}")},
        "attributes": attributes(&pairs),
    })
}

fn claude_logs(records: Vec<Value>) -> Value {
    json!({"resourceLogs": [{
        "resource": {"attributes": attributes(&[
            ("service.name", json!("claude-code")),
            ("service.version", json!("2.1.328")),
        ])},
        "scopeLogs": [{
            "scope": {"name": "com.anthropic.claude_code.events", "version": "2.1.328"},
            "logRecords": records,
        }],
    }]})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claude_codes_log_events_join_the_session_its_hooks_reported() {
    let (engine, at) = receiving().await;
    prompted(&engine, "ac30b025");
    let logs = claude_logs(vec![
        claude_record(
            "ac30b025",
            "user_prompt",
            4,
            &[
                ("prompt", json!("<REDACTED>")),
                ("prompt_length", json!("51")),
            ],
        ),
        claude_record(
            "ac30b025",
            "api_error",
            5,
            &[
                ("model", json!("claude-standin")),
                ("error", json!("rate_limit_error")),
                ("status_code", json!("429")),
                ("attempt", json!(1)),
            ],
        ),
        claude_record(
            "ac30b025",
            "api_request",
            6,
            &[
                ("model", json!("claude-standin")),
                ("input_tokens", json!(101)),
                ("output_tokens", json!(21)),
                ("cache_read_tokens", json!(1010)),
                ("cache_creation_tokens", json!(51)),
                ("cost_usd", json!(0.001281)),
                ("cost_usd_micros", json!(1281)),
                ("duration_ms", json!(30)),
                ("request_id", json!("req_standin_1")),
            ],
        ),
        claude_record(
            "ac30b025",
            "tool_result",
            7,
            &[
                ("tool_name", json!("Write")),
                ("success", json!("true")),
                ("duration_ms", json!("16")),
            ],
        ),
        // A session no hook told Baton of.
        claude_record(
            "someone-else",
            "api_request",
            1,
            &[("request_id", json!("r"))],
        ),
    ]);
    post_json_ok(at, "/v1/logs", &logs).await;

    let stats = engine.otlp_stats();
    assert_eq!(stats.log_records, 5);
    assert_eq!((stats.client_events, stats.client_events_unjoined), (3, 1));
    let (agent_id, usage) = engine
        .store()
        .read_blocking(|s| {
            let agent = s
                .agents()?
                .into_iter()
                .find(|a| a.adapter == AdapterKind::Session)
                .expect("the session");
            let usage = s.session_usage(agent.id, HookClient::ClaudeCode, chrono::Utc::now())?;
            Ok((agent.id, usage))
        })
        .unwrap();
    let usage = usage.expect("the response's usage");
    assert_eq!(usage.models.len(), 1);
    assert_eq!(usage.models[0].tokens.total(), 101 + 21 + 1010 + 51);
    assert_eq!(usage.usd, Some(0.001281));
    assert!(usage.models[0].client_priced);
    // The 429 is a refusal in the account's ledger of Anthropic's API (no account said: "").
    let refused = engine
        .store()
        .read_blocking(move |s| {
            let now = chrono::Utc::now().timestamp();
            Ok(
                s.api_minutes("anthropic", None, now - 3 * 86_400, now + 86_400)?
                    .into_iter()
                    .filter(|m| m.agent_id == agent_id)
                    .map(|m| (m.requests, m.rate_limited))
                    .fold((0, 0), |(r, l), (a, b)| (r + a, l + b)),
            )
        })
        .unwrap();
    assert_eq!(refused, (2, 1));
    // Telemetry joins sessions; it never makes an agent.
    let agents = engine.store().read_blocking(|s| s.agents()).unwrap();
    assert_eq!(agents.len(), 1, "{agents:?}");
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gemini_clis_own_spans_are_taken_and_make_no_agent() {
    let (engine, at) = receiving().await;
    let span = |id: &str, operation: &str| {
        json!({
            "traceId": "0af7651916cd43dd8448eb211c80319c", "spanId": id, "name": operation,
            "startTimeUnixNano": "1796013967400000000", "endTimeUnixNano": "1796013967500000000",
            "attributes": attributes(&[
                ("gen_ai.operation.name", json!(operation)),
                ("gen_ai.agent.name", json!("gemini-cli")),
                ("gen_ai.request.model", json!("gemini-2.5-flash")),
                ("gen_ai.conversation.id", json!("aff9a2c3")),
            ]),
        })
    };
    let traces = json!({"resourceSpans": [{
        "resource": {"attributes": attributes(&[("service.name", json!("gemini-cli"))])},
        "scopeSpans": [{"spans": [span("b7ad6b7169203331", "llm_call"), span("b7ad6b7169203332", "tool_call")]}],
    }]});
    let answer = post(
        at,
        "/v1/traces",
        &[("content-type", "application/json")],
        traces.to_string().into_bytes(),
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(engine.otlp_stats().spans_ignored, 2);
    assert!(engine
        .store()
        .read_blocking(|s| s.agents())
        .unwrap()
        .is_empty());
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_records_and_long_values_are_bounded() {
    let (engine, at) = receiving().await;
    prompted(&engine, "s1");
    // (Bodies past the limits are refused 413 before they are read: `otlp_bad_input`.)
    let mut body = claude_logs(Vec::new());
    // 12,000 records: the first 10,000 read, a 4 KiB value cut.
    let long = claude_record(
        "s1",
        "tool_result",
        1,
        &[
            ("tool_name", json!("x".repeat(4096))),
            ("success", json!("false")),
        ],
    );
    let short = claude_record(
        "s1",
        "tool_result",
        2,
        &[("tool_name", json!("Bash")), ("success", json!("true"))],
    );
    let mut records = vec![long];
    records.extend(std::iter::repeat_n(short, 11_999));
    body["resourceLogs"][0]["scopeLogs"][0]["logRecords"] = Value::Array(records);
    let zipped = crate::support::otlp::gzip(&serde_json::to_vec(&body).unwrap());
    let answer = post(
        at,
        "/v1/logs",
        &[
            ("content-type", "application/json"),
            ("content-encoding", "gzip"),
        ],
        zipped,
    )
    .await;
    assert_eq!(answer.status, 200);
    let stats = engine.otlp_stats();
    assert_eq!(stats.log_records, 12_000);
    assert_eq!(stats.client_events, 10_000);
    let longest = engine
        .store()
        .read_blocking(|s| {
            let agent = s.agents()?.remove(0);
            let events = s.task_events(agent.id, "turn-1", 10)?;
            Ok(events
                .iter()
                .filter_map(|e| e.raw["message"].as_str().map(str::len))
                .max())
        })
        .unwrap()
        .expect("tool lines");
    assert!(longest <= 1100, "a line of {longest} bytes");
    engine.shutdown().await;
}
