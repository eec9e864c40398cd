//! An engine with its OTLP receiver on 127.0.0.1 (any free port), and export requests to send
//! it: spans as Google ADK shapes them, in protobuf or JSON, zipped or not.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;

use baton_engine::otlp::OtlpPlace;
use baton_engine::{Engine, EngineConfig, MemoryTokens};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};
use prost::Message;

use super::{test_config, test_store};

/// A watching engine whose receiver listens on `address` (port 0: any); where it listens.
pub async fn receiving_at(address: &str) -> (Engine, Arc<MemoryTokens>, SocketAddr) {
    let tokens = Arc::new(MemoryTokens::new(None));
    let config = EngineConfig {
        otlp: OtlpPlace::At(address.parse().unwrap()),
        ..test_config()
    };
    let engine = Engine::new(test_store(), tokens.clone(), config);
    engine.start_all().await.unwrap();
    let at = engine.otlp_address().await.expect("the receiver listens");
    (engine, tokens, at)
}

pub async fn receiving() -> (Engine, SocketAddr) {
    let (engine, _, at) = receiving_at("127.0.0.1:0").await;
    (engine, at)
}

pub fn attr(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.into())),
        }),
        ..Default::default()
    }
}

pub fn int_attr(key: &str, value: i64) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::IntValue(value)),
        }),
        ..Default::default()
    }
}

pub fn span(trace: u8, id: u8, parent: Option<u8>, name: &str, attributes: Vec<KeyValue>) -> Span {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    Span {
        trace_id: vec![trace; 16],
        span_id: vec![id; 8],
        parent_span_id: parent.map(|p| vec![p; 8]).unwrap_or_default(),
        name: name.into(),
        start_time_unix_nano: now - 2_000_000_000,
        end_time_unix_nano: now,
        attributes,
        ..Default::default()
    }
}

pub fn failed(mut span: Span, message: &str) -> Span {
    span.status = Some(Status {
        message: message.into(),
        code: StatusCode::Error as i32,
    });
    span
}

/// One run of agent `agent` in trace `trace`: a model call, a tool call, the run's own span.
pub fn run(trace: u8, agent: &str, tool_fails: bool) -> Vec<Span> {
    let tool = span(
        trace,
        3,
        Some(2),
        "execute_tool get_weather",
        vec![
            attr("gen_ai.operation.name", "execute_tool"),
            attr("gen_ai.tool.name", "get_weather"),
            attr("gen_ai.agent.name", agent),
        ],
    );
    let invoke = span(
        trace,
        1,
        None,
        &format!("invoke_agent {agent}"),
        vec![
            attr("gen_ai.operation.name", "invoke_agent"),
            attr("gen_ai.agent.name", agent),
            attr("gen_ai.conversation.id", "session-1"),
        ],
    );
    let (tool, invoke) = if tool_fails {
        (
            failed(tool, "ValueError"),
            failed(invoke, "ValueError: no such city"),
        )
    } else {
        (tool, invoke)
    };
    vec![
        span(
            trace,
            2,
            Some(1),
            "call_llm",
            vec![
                attr("gen_ai.system", "gcp.vertex.agent"),
                attr("gen_ai.request.model", "gemini-2.5-flash"),
                int_attr("gen_ai.usage.input_tokens", 120),
                int_attr("gen_ai.usage.output_tokens", 30),
            ],
        ),
        tool,
        invoke,
    ]
}

pub fn request(service: &str, spans: Vec<Span>) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![attr("service.name", service)],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

pub fn protobuf(request: &ExportTraceServiceRequest) -> Vec<u8> {
    request.encode_to_vec()
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut zipped = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    zipped.write_all(bytes).unwrap();
    zipped.finish().unwrap()
}

/// What the receiver answered: status, `Retry-After`, content type, body.
pub struct Answer {
    pub status: u16,
    pub retry_after: Option<String>,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

pub async fn post(at: SocketAddr, path: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Answer {
    let client = reqwest::Client::new();
    let mut request = client.post(format!("http://{at}{path}")).body(body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let (retry_after, content_type) = (header("retry-after"), header("content-type"));
    Answer {
        status: response.status().as_u16(),
        retry_after,
        content_type,
        body: response.bytes().await.unwrap().to_vec(),
    }
}

/// Posts `body` as OTLP JSON to `path`; the answer, once it is a 200 (else the test fails
/// with what the receiver said).
pub async fn post_json_ok(at: SocketAddr, path: &str, body: &serde_json::Value) -> Answer {
    let answer = post(at, path, &[JSON], serde_json::to_vec(body).unwrap()).await;
    assert_eq!(
        answer.status,
        200,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    answer
}

pub const PROTOBUF: (&str, &str) = ("content-type", "application/x-protobuf");
pub const JSON: (&str, &str) = ("content-type", "application/json");
