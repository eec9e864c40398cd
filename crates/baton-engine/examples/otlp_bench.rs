//! Benchmark (`make bench`): the OTLP receiver's ingest into a SQLite store (issue 61).
//! `--senders` clients post export requests of `--batch` GenAI spans each (protobuf; runs of 16
//! spans: a model call, a tool call and their run, repeated) for `--seconds`, as fast as they
//! are answered. Prints the spans stored a second, the answers' p50 / p99 / max, and how many
//! were throttled (429). Nothing is asserted.
//!
//! `cargo run --release --locked -p baton-engine --example otlp_bench -- --seconds 30`

use std::sync::Arc;
use std::time::{Duration, Instant};

use baton_engine::otlp::OtlpPlace;
use baton_engine::{Engine, EngineConfig, MemoryTokens, StoreHandle};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message;

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

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

/// One request of `batch` spans: runs of agents `agent-0..8`, each run a trace.
fn request(sender: u64, n: u64, batch: u64) -> Vec<u8> {
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

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let (senders, batch, seconds) = (
        arg("--senders", 4),
        arg("--batch", 512),
        arg("--seconds", 20),
    );
    let dir = tempfile::tempdir().unwrap();
    let store = StoreHandle::open(&dir.path().join("baton.sqlite3"), 2).unwrap();
    let config = EngineConfig {
        otlp: OtlpPlace::At("127.0.0.1:0".parse().unwrap()),
        ..EngineConfig::default()
    };
    let engine = Engine::new(store, Arc::new(MemoryTokens::new(None)), config);
    engine.start_all().await.unwrap();
    let at = engine.otlp_address().await.unwrap();
    let url = format!("http://{at}/v1/traces");
    let until = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let tasks: Vec<_> = (0..senders)
        .map(|sender| {
            let url = url.clone();
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                let (mut taken, mut throttled, mut times) = (0u64, 0u64, Vec::new());
                let mut n = 0;
                while Instant::now() < until {
                    let body = request(sender, n, batch);
                    n += 1;
                    let sent = Instant::now();
                    let answer = client
                        .post(&url)
                        .header("content-type", "application/x-protobuf")
                        .body(body)
                        .send()
                        .await
                        .unwrap();
                    times.push(sent.elapsed().as_secs_f64() * 1000.0);
                    match answer.status().as_u16() {
                        200 => taken += batch,
                        429 => {
                            throttled += 1;
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                        other => panic!("answered {other}"),
                    }
                }
                (taken, throttled, times)
            })
        })
        .collect();
    let (mut taken, mut throttled, mut times) = (0, 0, Vec::new());
    for task in tasks {
        let (t, th, ms) = task.await.unwrap();
        taken += t;
        throttled += th;
        times.extend(ms);
    }
    let elapsed = started.elapsed().as_secs_f64();
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() as f64 - 1.0) * q) as usize];
    println!(
        "{senders} senders, batches of {batch}, {seconds} s: {:.0} spans/s stored ({taken} spans), \
         answers p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms, {throttled} throttled (429)",
        taken as f64 / elapsed,
        at(0.5),
        at(0.99),
        at(1.0)
    );
    println!("guard otlp_p99_ms {:.1}", at(0.99));
    engine.shutdown().await;
}
