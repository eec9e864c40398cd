//! `--otlp-rate`: spans sent to the watch's OTLP receiver while it polls the fleet (issue 61's
//! benchmark: 20,000 spans a second into SQLite, the answers' p99, the polls on time meanwhile
//! and the watch's memory over ten minutes). Senders post protobuf export requests of `batch`
//! GenAI spans (the requests `otlp_bench` sends), each at its share of the rate, paced: a
//! sender whose answers come late sends its next request at once, never in a burst.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::support::{mib, percentile, table, Sample};

#[path = "../../../baton-engine/examples/otlp_support/spans.rs"]
mod spans;

/// How the spans are sent.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    /// Spans a second, all senders together.
    pub rate: u64,
    pub senders: u64,
    /// Spans a request.
    pub batch: u64,
}

/// What one sender saw.
#[derive(Debug, Default)]
pub struct Sent {
    pub taken: u64,
    pub throttled: u64,
    pub failed: u64,
    /// Each request's answer time, in µs.
    pub times_us: Vec<u32>,
}

/// A free port on loopback for the receiver (`[otlp] listen`).
pub fn free_address() -> Result<SocketAddr, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| format!("cannot find a free port: {e}"))?;
    listener
        .local_addr()
        .map_err(|e| format!("cannot find a free port: {e}"))
}

/// The `baton.toml` lines that put the receiver at `at`.
pub fn config(at: SocketAddr) -> String {
    format!("\n[otlp]\nenabled = true\nlisten = \"{at}\"\n")
}

/// Starts sending `load` to the receiver at `at` until `until`, on the runtime `rt`; the task
/// ends with what each sender saw. It waits first (up to 30 s) for the receiver to answer.
pub fn start(
    rt: &tokio::runtime::Runtime,
    at: SocketAddr,
    load: Load,
    until: Instant,
) -> tokio::task::JoinHandle<Vec<Sent>> {
    let url = format!("http://{at}/v1/traces");
    rt.spawn(async move {
        let client = reqwest::Client::new();
        let ready = Instant::now() + Duration::from_secs(30);
        while Instant::now() < ready {
            let answer = client
                .post(&url)
                .header("content-type", "application/x-protobuf")
                .body(Vec::new())
                .send()
                .await;
            if answer.is_ok_and(|a| a.status().is_success()) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let every =
            Duration::from_secs_f64(load.senders as f64 * load.batch as f64 / load.rate as f64);
        let tasks: Vec<_> = (0..load.senders)
            .map(|sender| {
                let (url, client) = (url.clone(), client.clone());
                tokio::spawn(async move {
                    let mut sent = Sent::default();
                    let mut tick = tokio::time::interval(every);
                    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                    let mut n = 0;
                    while Instant::now() < until {
                        tick.tick().await;
                        let body = spans::request(sender, n, load.batch);
                        n += 1;
                        let asked = Instant::now();
                        let answer = client
                            .post(&url)
                            .header("content-type", "application/x-protobuf")
                            .body(body)
                            .send()
                            .await;
                        let took = u32::try_from(asked.elapsed().as_micros()).unwrap_or(u32::MAX);
                        sent.times_us.push(took);
                        match answer.map(|a| a.status().as_u16()) {
                            Ok(200) => sent.taken += load.batch,
                            Ok(429) => sent.throttled += 1,
                            _ => sent.failed += 1,
                        }
                    }
                    sent
                })
            })
            .collect();
        let mut all = Vec::new();
        for task in tasks {
            all.push(task.await.unwrap_or_default());
        }
        all
    })
}

/// The report's table of the spans sent, and the watch's memory minute by minute.
pub fn report(load: Load, sent: &[Sent], seconds: f64, samples: &[Sample]) -> String {
    let taken: u64 = sent.iter().map(|s| s.taken).sum();
    let throttled: u64 = sent.iter().map(|s| s.throttled).sum();
    let failed: u64 = sent.iter().map(|s| s.failed).sum();
    let mut times: Vec<u32> = sent
        .iter()
        .flat_map(|s| s.times_us.iter().copied())
        .collect();
    times.sort_unstable();
    let ms = |p: f64| {
        percentile(&times, p).map_or("n/a".to_owned(), |us| {
            format!("{:.1} ms", f64::from(us) / 1000.0)
        })
    };
    if let Some(p99) = percentile(&times, 0.99) {
        println!(
            "guard otlp_with_fleet_p99_ms {:.1}",
            f64::from(p99) / 1000.0
        );
    }
    let mut rows = vec![
        vec![
            "spans asked / stored a second".into(),
            format!("{} / {:.0}", load.rate, taken as f64 / seconds.max(1.0)),
        ],
        vec![
            "requests (senders × batch)".into(),
            format!("{} ({} × {})", times.len(), load.senders, load.batch),
        ],
        vec![
            "answers p50 / p99 / max".into(),
            format!("{} / {} / {}", ms(0.5), ms(0.99), ms(1.0)),
        ],
        vec![
            "throttled (429) / failed".into(),
            format!("{throttled} / {failed}"),
        ],
    ];
    // The watch's RSS, a row a minute (samples are a second apart).
    for (i, minute) in samples.chunks(60).enumerate() {
        let mean = minute.iter().map(|s| s.rss_kib).sum::<u64>() / minute.len().max(1) as u64;
        let max = minute.iter().map(|s| s.rss_kib).max().unwrap_or(0);
        rows.push(vec![
            format!("watch RSS, minute {}", i + 1),
            format!("mean {}, max {}", mib(mean), mib(max)),
        ]);
    }
    table(&["OTLP spans to the watch meanwhile", ""], &rows)
}
