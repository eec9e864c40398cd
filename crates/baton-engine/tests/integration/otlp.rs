//! The OTLP receiver over real HTTP on 127.0.0.1 (issue 61): GenAI spans make an agent of their
//! own with a task per run, its tool and model calls as events; both encodings, gzip, partial
//! success, and a span can never write as an agent Baton polls.

use baton_core::agent::AdapterKind;
use baton_core::protocol::EventKind;
use baton_core::task::TaskState;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;
use prost::Message;

use crate::support::otlp::{
    attr, gzip, post, post_json_ok, protobuf, receiving, receiving_at, request, run, span, PROTOBUF,
};
use crate::support::{draft, store_agent};
use baton_engine::Engine;

fn agents_heard(engine: &Engine) -> Vec<baton_core::agent::AgentConfig> {
    let agents = engine.store().read_blocking(|s| s.agents()).unwrap();
    agents
        .into_iter()
        .filter(|a| a.adapter == AdapterKind::Otlp)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_sent_as_protobuf_is_a_task_of_its_agent_with_its_calls_and_tokens() {
    let (engine, at) = receiving().await;
    let answer = post(
        at,
        "/v1/traces",
        &[PROTOBUF],
        protobuf(&request("weather-svc", run(7, "weather_agent", false))),
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.content_type.as_deref(),
        Some("application/x-protobuf")
    );
    let response = ExportTraceServiceResponse::decode(answer.body.as_slice()).unwrap();
    assert_eq!(response.partial_success, None, "nothing refused");

    let heard = agents_heard(&engine);
    assert_eq!(heard.len(), 1);
    assert_eq!(heard[0].name, "weather_agent");
    let id = heard[0].id;
    let cards = engine
        .store()
        .read_blocking(move |s| s.task_cards(Some(id)))
        .unwrap();
    assert_eq!(cards.len(), 1, "one task per run");
    assert_eq!(cards[0].state, TaskState::Completed);
    assert_eq!(cards[0].title, "invoke_agent weather_agent");
    let task = cards[0].task_id.clone();
    let events = engine
        .store()
        .read_blocking(move |s| s.task_events(id, &task, 50))
        .unwrap();
    let call = events
        .iter()
        .find(|e| e.kind == EventKind::ApiCall)
        .expect("the model call");
    assert_eq!(call.raw["tokens"], 150);
    assert_eq!(call.raw["model"], "gemini-2.5-flash");
    assert!(
        events
            .iter()
            .any(|e| e.raw["message"] == "tool get_weather"),
        "the tool call: {events:?}"
    );
    let stats = engine.otlp_stats();
    assert_eq!((stats.requests, stats.spans), (1, 3));
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_with_string_integers_and_empty_values_is_read_and_answered_in_json() {
    let (engine, at) = receiving().await;
    let trace = "5b8efff798038103d269b633813fc60c";
    let body = serde_json::json!({"resourceSpans": [{
        "resource": {"attributes": [
            {"key": "service.name", "value": {"stringValue": "json-svc"}},
            {"key": "empty", "value": {}}
        ]},
        "scopeSpans": [{"scope": {"name": "x"}, "spans": [{
            "traceId": trace, "spanId": "eee19b7ec3c1b174", "name": "chat gpt-4o",
            "kind": 3, "startTimeUnixNano": "1790000000000000000", "endTimeUnixNano": "1790000001000000000",
            "attributes": [
                {"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}},
                {"key": "gen_ai.provider.name", "value": {"stringValue": "openai"}},
                {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "11"}},
                {"key": "gen_ai.usage.output_tokens", "value": {"intValue": 4}},
                {"key": "nothing", "value": {}},
                {"key": "no value at all"}
            ],
            "unknownField": {"ignored": true},
            "status": {}
        }]}]
    }]});
    let answer = post_json_ok(at, "/v1/traces", &body).await;
    assert_eq!(answer.content_type.as_deref(), Some("application/json"));
    let _: serde_json::Value = serde_json::from_slice(&answer.body).unwrap();
    let heard = agents_heard(&engine);
    assert_eq!(heard.len(), 1);
    assert_eq!(heard[0].name, "json-svc", "no agent name: the service's");
    let id = heard[0].id;
    let cards = engine
        .store()
        .read_blocking(move |s| s.task_cards(Some(id)))
        .unwrap();
    assert_eq!(cards[0].task_id, trace);
    assert_eq!(
        cards[0].state,
        TaskState::Working,
        "its run's span has not come yet"
    );
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gzip_body_is_read_and_the_runs_span_settles_the_task_later() {
    let (engine, at) = receiving().await;
    let mut spans = run(9, "zipper", true);
    let invoke = spans.pop().unwrap();
    let zipped = [PROTOBUF, ("content-encoding", "gzip")];
    let answer = post(
        at,
        "/v1/traces",
        &zipped,
        gzip(&protobuf(&request("svc", spans))),
    )
    .await;
    assert_eq!(answer.status, 200);
    let id = agents_heard(&engine)[0].id;
    let state = |engine: &Engine| {
        engine
            .store()
            .read_blocking(move |s| s.task_cards(Some(id)))
            .unwrap()[0]
            .state
    };
    assert_eq!(state(&engine), TaskState::Working);
    let answer = post(
        at,
        "/v1/traces",
        &zipped,
        gzip(&protobuf(&request("svc", vec![invoke]))),
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        state(&engine),
        TaskState::Failed,
        "the run failed with its tool"
    );
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_without_valid_ids_are_refused_as_partial_success_and_the_rest_kept() {
    let (engine, at) = receiving().await;
    let mut spans = run(3, "partial", false);
    let mut bad = span(
        4,
        1,
        None,
        "chat",
        vec![attr("gen_ai.operation.name", "chat")],
    );
    bad.trace_id = vec![1, 2, 3];
    spans.push(bad);
    let answer = post(
        at,
        "/v1/traces",
        &[PROTOBUF],
        protobuf(&request("svc", spans)),
    )
    .await;
    assert_eq!(answer.status, 200);
    let response = ExportTraceServiceResponse::decode(answer.body.as_slice()).unwrap();
    assert_eq!(response.partial_success.map(|p| p.rejected_spans), Some(1));
    assert_eq!(agents_heard(&engine).len(), 1);
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_span_naming_a_polled_agent_makes_an_agent_of_its_own() {
    let (engine, at) = receiving().await;
    let polled = store_agent(&engine, &draft("Billing", "http://127.0.0.1:9", 1000, 500));
    let answer = post(
        at,
        "/v1/traces",
        &[PROTOBUF],
        protobuf(&request("svc", run(5, "billing", false))),
    )
    .await;
    assert_eq!(answer.status, 200);
    let heard = agents_heard(&engine);
    assert_eq!(heard.len(), 1);
    assert_ne!(heard[0].id, polled.id);
    assert_eq!(heard[0].name, "billing·2");
    let polled_id = polled.id;
    let cards = engine
        .store()
        .read_blocking(move |s| s.task_cards(Some(polled_id)))
        .unwrap();
    assert!(cards.is_empty(), "nothing written as the polled agent");
    // The same name later goes to the same agent.
    post(
        at,
        "/v1/traces",
        &[PROTOBUF],
        protobuf(&request("svc", run(6, "billing", false))),
    )
    .await;
    assert_eq!(agents_heard(&engine).len(), 1);
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn off_loopback_the_receiver_asks_for_its_token() {
    let (engine, tokens, at) = receiving_at("0.0.0.0:0").await;
    let local = std::net::SocketAddr::from(([127, 0, 0, 1], at.port()));
    let body = protobuf(&request("svc", run(2, "guarded", false)));
    let refused = post(local, "/v1/traces", &[PROTOBUF], body.clone()).await;
    assert_eq!(refused.status, 401);
    let wrong = post(
        local,
        "/v1/traces",
        &[PROTOBUF, ("authorization", "Bearer nope")],
        body.clone(),
    )
    .await;
    assert_eq!(wrong.status, 401);
    assert!(agents_heard(&engine).is_empty());
    let entry = baton_engine::otlp::otlp_token_entry(baton_engine::DEFAULT_ANSWER_KEY_ENTRY);
    let token = baton_engine::otlp::otlp_token(tokens, &entry).await;
    let bearer = format!("Bearer {token}");
    let taken = post(
        local,
        "/v1/traces",
        &[PROTOBUF, ("authorization", &bearer)],
        body,
    )
    .await;
    assert_eq!(taken.status, 200);
    assert_eq!(agents_heard(&engine).len(), 1);
    assert_eq!(engine.otlp_stats().unauthorized, 2);
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_and_metrics_are_taken_and_counted() {
    use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
    use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
    let (engine, at) = receiving().await;
    let logs = ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            scope_logs: vec![ScopeLogs {
                log_records: vec![LogRecord::default(), LogRecord::default()],
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    let answer = post(at, "/v1/logs", &[PROTOBUF], logs.encode_to_vec()).await;
    assert_eq!(answer.status, 200);
    let metrics = serde_json::json!({"resourceMetrics": [{"scopeMetrics": [{"metrics": [
        {"name": "claude_code.token.usage", "sum": {"dataPoints": [{"asInt": "5"}, {"asDouble": 1.5}]}}
    ]}]}]});
    post_json_ok(at, "/v1/metrics", &metrics).await;
    let stats = engine.otlp_stats();
    assert_eq!((stats.log_records, stats.data_points), (2, 2));
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_sent_at_once_are_each_answered_once_stored() {
    // Eight senders at once: the requests that wait are written together, and each is
    // answered only once its own spans are stored.
    let (engine, at) = receiving().await;
    let sends: Vec<_> = (1..=8u8)
        .map(|n| {
            let body = protobuf(&request("svc", run(n, &format!("agent_{n}"), false)));
            tokio::spawn(async move { post(at, "/v1/traces", &[PROTOBUF], body).await })
        })
        .collect();
    for send in sends {
        assert_eq!(send.await.unwrap().status, 200);
    }
    let heard = agents_heard(&engine);
    assert_eq!(heard.len(), 8, "{heard:?}");
    for agent in heard {
        let id = agent.id;
        let cards = engine
            .store()
            .read_blocking(move |s| s.task_cards(Some(id)))
            .unwrap();
        assert_eq!(cards.len(), 1, "{}: one task", agent.name);
    }
    let stats = engine.otlp_stats();
    assert_eq!((stats.requests, stats.spans), (8, 24));
    engine.shutdown().await;
}
