//! OTLP export requests for the benchmarks (`otlp_bench` here, `fleet_load --otlp-rate` in
//! baton-cli): GenAI spans in runs of 16, as an agent framework sends them. Included by path.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message;

fn attr(key: &str, value: any_value::Value) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(value) }),
        ..Default::default()
    }
}

fn text(key: &str, value: &str) -> KeyValue {
    attr(key, any_value::Value::StringValue(value.into()))
}

/// One request of `batch` spans (protobuf): runs of agents `agent-0..8`, each run a trace.
pub fn request(sender: u64, n: u64, batch: u64) -> Vec<u8> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let mut spans = Vec::with_capacity(batch as usize);
    for i in 0..batch {
        let run = i / 16;
        let mut trace = [0u8; 16];
        trace[..8].copy_from_slice(&(sender << 40 | n << 12 | run).to_be_bytes());
        trace[8] = 1;
        let agent = format!("agent-{}", (sender + run) % 8);
        let mut span_id = [0u8; 8];
        span_id[..].copy_from_slice(&(i + 1).to_be_bytes());
        let attributes = match i % 16 {
            15 => vec![
                text("gen_ai.operation.name", "invoke_agent"),
                text("gen_ai.agent.name", &agent),
            ],
            k if k % 2 == 0 => vec![
                text("gen_ai.operation.name", "chat"),
                text("gen_ai.provider.name", "openai"),
                text("gen_ai.request.model", "gpt-4o"),
                attr("gen_ai.usage.input_tokens", any_value::Value::IntValue(120)),
                attr("gen_ai.usage.output_tokens", any_value::Value::IntValue(30)),
                text("gen_ai.agent.name", &agent),
            ],
            _ => vec![
                text("gen_ai.operation.name", "execute_tool"),
                text("gen_ai.tool.name", "search"),
                text("gen_ai.agent.name", &agent),
            ],
        };
        spans.push(Span {
            trace_id: trace.to_vec(),
            span_id: span_id.to_vec(),
            name: "span".into(),
            start_time_unix_nano: now - 1_000_000,
            end_time_unix_nano: now,
            attributes,
            ..Default::default()
        });
    }
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![text("service.name", "bench")],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
    .encode_to_vec()
}
