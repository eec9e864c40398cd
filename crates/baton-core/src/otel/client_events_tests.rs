//! The clients' log events as the real clients sent them (attributes copied from Claude Code
//! 2.1.328, Codex 0.169.0 and Gemini CLI 0.61.0 run against the stand-in models).

use std::collections::BTreeMap;

use super::client_events::{client_event, is_client_span, ClientAction, LogFacts};
use crate::hooks::HookClient;
use crate::usage::TokenUse;

fn log(service: &str, body: &str, attributes: &[(&str, &str)]) -> LogFacts {
    LogFacts {
        service: Some(service.to_owned()),
        at: chrono::DateTime::from_timestamp(1_796_004_162, 0),
        body: Some(body.to_owned()),
        attributes: attributes
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect::<BTreeMap<_, _>>(),
    }
}

#[test]
fn claude_codes_api_request_is_a_model_call_keyed_by_its_request_id_with_its_own_price() {
    let event = client_event(&log(
        "claude-code",
        "claude_code.api_request",
        &[
            ("session.id", "ac30b025-3f78-4526-be1e-c850a0f1daf7"),
            ("event.name", "api_request"),
            ("model", "claude-standin"),
            ("input_tokens", "101"),
            ("output_tokens", "21"),
            ("cache_read_tokens", "1010"),
            ("cache_creation_tokens", "51"),
            ("cost_usd", "0.001281"),
            ("duration_ms", "30"),
            ("request_id", "req_standin_14197_1"),
        ],
    ))
    .expect("a client event");
    assert_eq!(event.client, HookClient::ClaudeCode);
    assert_eq!(event.session_id, "ac30b025-3f78-4526-be1e-c850a0f1daf7");
    assert_eq!(
        event.what,
        ClientAction::ModelCall {
            request_id: Some("req_standin_14197_1".into()),
            model: Some("claude-standin".into()),
            tokens: Some(TokenUse {
                input: 101,
                output: 21,
                cache_read: 1010,
                cache_write: 51
            }),
            cost_usd: Some(0.001281),
            status: 200,
            duration_ms: Some(30),
        }
    );
    assert_eq!(
        event.what.line(),
        "model claude-standin: 101 in, 21 out, 1061 from cache, $0.0013 in 30 ms"
    );
}

#[test]
fn an_api_error_keeps_its_status_and_attempt_from_each_client() {
    let claude = client_event(&log(
        "claude-code",
        "claude_code.api_error",
        &[
            ("session.id", "s1"),
            ("event.name", "api_error"),
            ("model", "claude-standin"),
            ("error", "rate_limit_error"),
            ("status_code", "429"),
            ("attempt", "1"),
        ],
    ))
    .unwrap();
    assert_eq!(
        claude.what,
        ClientAction::ApiError {
            model: Some("claude-standin".into()),
            status: Some(429),
            attempt: Some(1),
            error: Some("rate_limit_error".into()),
        }
    );
    assert_eq!(
        claude.what.line(),
        "API error 429 (attempt 1): rate_limit_error"
    );
    let codex = client_event(&log(
        "codex_exec",
        "",
        &[
            ("event.name", "codex.api_request"),
            ("conversation.id", "01a22ac5-cd91"),
            ("http.response.status_code", "429"),
            ("attempt", "0"),
            ("error.message", "Too Many Requests"),
        ],
    ))
    .unwrap();
    assert_eq!(codex.client, HookClient::Codex);
    assert_eq!(codex.session_id, "01a22ac5-cd91");
    assert!(matches!(
        codex.what,
        ClientAction::ApiError {
            status: Some(429),
            ..
        }
    ));
    // A request that never reached the API: an error without a status.
    let unreachable = client_event(&log(
        "codex_exec",
        "",
        &[
            ("event.name", "codex.api_request"),
            ("conversation.id", "c"),
            ("error.message", "error sending request"),
        ],
    ))
    .unwrap();
    assert_eq!(
        unreachable.what.line(),
        "API unreachable: error sending request"
    );
    let gemini = client_event(&log(
        "gemini-cli",
        "API error",
        &[
            ("event.name", "gemini_cli.api_error"),
            ("session.id", "g"),
            ("status_code", "429"),
            ("error", "Resource exhausted"),
        ],
    ))
    .unwrap();
    assert_eq!(gemini.client, HookClient::Gemini);
    assert!(matches!(
        gemini.what,
        ClientAction::ApiError {
            status: Some(429),
            ..
        }
    ));
}

#[test]
fn codex_and_gemini_model_calls_name_no_response_so_their_tokens_stay_with_the_record_file() {
    let codex = client_event(&log(
        "codex_exec",
        "",
        &[
            ("event.name", "codex.api_request"),
            ("conversation.id", "c"),
            ("http.response.status_code", "200"),
            ("duration_ms", "11"),
            ("model", "gpt-5.5"),
        ],
    ))
    .unwrap();
    assert!(matches!(
        codex.what,
        ClientAction::ModelCall {
            request_id: None,
            tokens: None,
            status: 200,
            ..
        }
    ));
    let gemini = client_event(&log(
        "gemini-cli",
        "API response from gemini-2.5-flash.",
        &[
            ("event.name", "gemini_cli.api_response"),
            ("session.id", "g"),
            ("model", "gemini-2.5-flash"),
            ("status_code", "200"),
            ("input_token_count", "1100"),
        ],
    ))
    .unwrap();
    assert!(matches!(
        gemini.what,
        ClientAction::ModelCall {
            request_id: None,
            tokens: None,
            ..
        }
    ));
    // Codex's streaming events (its usage among them) are not read.
    assert!(client_event(&log(
        "codex_exec",
        "",
        &[
            ("event.name", "codex.sse_event"),
            ("conversation.id", "c"),
            ("event.kind", "response.completed"),
            ("input_token_count", "1111"),
        ],
    ))
    .is_none());
}

#[test]
fn tool_decisions_and_results_read_as_lines() {
    let decision = client_event(&log(
        "claude-code",
        "claude_code.tool_decision",
        &[
            ("session.id", "s"),
            ("event.name", "tool_decision"),
            ("decision", "accept"),
            ("source", "config"),
            ("tool_name", "Write"),
        ],
    ))
    .unwrap();
    assert_eq!(decision.what.line(), "tool Write accept (config)");
    let result = client_event(&log(
        "codex_exec",
        "",
        &[
            ("event.name", "codex.tool_result"),
            ("conversation.id", "c"),
            ("tool_name", "apply_patch"),
            ("duration_ms", "1"),
            ("success", "true"),
        ],
    ))
    .unwrap();
    assert_eq!(result.what.line(), "tool apply_patch done in 1 ms");
    let failed = client_event(&log(
        "gemini-cli",
        "Tool call",
        &[
            ("event.name", "gemini_cli.tool_call"),
            ("session.id", "g"),
            ("function_name", "write_file"),
            ("success", "False"),
            ("error", "permission denied"),
        ],
    ))
    .unwrap();
    assert_eq!(
        failed.what.line(),
        "tool write_file failed: permission denied"
    );
}

#[test]
fn prompts_configuration_junk_and_other_services_are_not_client_events() {
    for (service, body, attributes) in [
        // A prompt: never read.
        (
            "claude-code",
            "claude_code.user_prompt",
            vec![("session.id", "s"), ("event.name", "user_prompt")],
        ),
        // No session named.
        (
            "claude-code",
            "claude_code.api_request",
            vec![("event.name", "api_request")],
        ),
        // Another service's events.
        (
            "my-agent",
            "api_request",
            vec![("session.id", "s"), ("event.name", "api_request")],
        ),
        // A tool result without its tool.
        (
            "claude-code",
            "claude_code.tool_result",
            vec![("session.id", "s"), ("event.name", "tool_result")],
        ),
        (
            "gemini-cli",
            "Startup",
            vec![
                ("session.id", "g"),
                ("event.name", "gemini_cli.startup_stats"),
            ],
        ),
    ] {
        assert_eq!(
            client_event(&log(service, body, &attributes)),
            None,
            "{body}"
        );
    }
    // Junk numbers are no figures: a negative or non-numeric cost and token count.
    let event = client_event(&log(
        "claude-code",
        "claude_code.api_request",
        &[
            ("session.id", "s"),
            ("event.name", "api_request"),
            ("input_tokens", "lots"),
            ("cost_usd", "-3"),
        ],
    ))
    .unwrap();
    assert!(matches!(
        event.what,
        ClientAction::ModelCall {
            cost_usd: None,
            tokens: Some(TokenUse { input: 0, .. }),
            ..
        }
    ));
}

#[test]
fn a_coding_clients_spans_are_its_sessions_not_an_agent() {
    assert!(is_client_span(Some("gemini-cli"), Some("gemini-cli")));
    assert!(is_client_span(None, Some("gemini-cli")));
    assert!(is_client_span(Some("claude-code"), None));
    assert!(!is_client_span(Some("weather-agents"), Some("weather")));
}

#[test]
fn gemini_clis_own_spans_make_no_agent() {
    use super::{read_spans, SpanFacts, TraceAgents};
    let span = |id: &str, operation: &str| SpanFacts {
        trace_id: "0af7651916cd43dd8448eb211c80319c".into(),
        span_id: id.into(),
        name: operation.into(),
        service: Some("gemini-cli".into()),
        attributes: [
            ("gen_ai.operation.name", operation),
            ("gen_ai.agent.name", "gemini-cli"),
            ("gen_ai.request.model", "gemini-2.5-flash"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect(),
        ..SpanFacts::default()
    };
    let spans = [
        span("b7ad6b7169203331", "llm_call"),
        span("b7ad6b7169203332", "tool_call"),
    ];
    let (agents, ignored) = read_spans(&spans, &mut TraceAgents::default(), chrono::Utc::now());
    assert!(agents.is_empty(), "{agents:?}");
    assert_eq!(ignored, 2);
}
