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

#[path = "otlp_support/spans.rs"]
mod spans;
use spans::request;

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
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
