//! What reading coding sessions' usage costs (issue 34's budget, `make bench`):
//!
//! 1. the first reading of a 100 MB Claude Code transcript (assistant lines with their usage
//!    among prompts, tool results and the client's request records, as 2.1.328 writes them):
//!    parsing alone, and into a fresh store; the goal is at least 100 MB/s;
//! 2. afterwards, what a hook call adds for usage: the same PreToolUse call recorded on a SQLite
//!    store with and without reading the transcript past its cursor, a new response appended
//!    before each call; the goal is under 2 ms at p99.
//!
//! `cargo run --release -p baton-hooks --example usage_bench [-- --mb 100 --calls 400]`

use std::io::Write;
use std::time::{Duration, Instant};

use baton_core::hooks::{parse_hook_payload, HookClient, PermitMode};
use baton_hooks::usage::TranscriptFeed;
use baton_store::coding_usage::UsageFeed;
use baton_store::sessions::{PermitSettings, SessionRef};
use baton_store::Store;
use chrono::Utc;

/// usage_bench: what reading coding sessions' usage costs.
#[derive(clap::Parser)]
struct Flags {
    /// The transcript's size, in MB
    #[arg(long, default_value_t = 100)]
    mb: usize,
    /// Hook calls measured (each with and without reading usage)
    #[arg(long, default_value_t = 400)]
    calls: usize,
}

fn assistant(n: usize) -> String {
    let text = "Let me look at the file and change the function it names. ".repeat(8);
    format!(
        "{{\"parentUuid\":\"p{n}\",\"isSidechain\":false,\"type\":\"assistant\",\"uuid\":\"u{n}\",\"timestamp\":\"2026-11-25T16:17:30.431Z\",\"message\":{{\"id\":\"msg_{n}\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5\",\"content\":[{{\"type\":\"text\",\"text\":\"{text}\"}}],\"usage\":{{\"input_tokens\":{},\"cache_creation_input_tokens\":50,\"cache_read_input_tokens\":12000,\"output_tokens\":300,\"service_tier\":\"standard\"}}}}}}\n",
        100 + n % 50
    )
}

fn other(n: usize) -> String {
    let result = "fn main() {\\n    println!(\\\"hello\\\");\\n}\\n".repeat(60);
    format!(
        "{{\"parentUuid\":\"u{n}\",\"type\":\"user\",\"uuid\":\"r{n}\",\"timestamp\":\"2026-11-25T16:17:31Z\",\"message\":{{\"role\":\"user\",\"content\":[{{\"type\":\"tool_result\",\"tool_use_id\":\"t{n}\",\"content\":\"{result}\"}}]}}}}\n{{\"type\":\"api-request\",\"sessionId\":\"s\",\"id\":\"q{n}\",\"params\":{{\"max_tokens\":32000,\"system\":\"{}\"}}}}\n",
        "You are a coding agent. ".repeat(120)
    )
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let Flags { mb, calls } = <Flags as clap::Parser>::parse();
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("transcript.jsonl");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let (mut bytes, mut n) = (0usize, 0usize);
    while bytes < mb * 1_000_000 {
        let lines = assistant(n) + &other(n);
        bytes += lines.len();
        file.write_all(lines.as_bytes()).unwrap();
        n += 1;
    }
    file.flush().unwrap();
    drop(file);
    let size = std::fs::metadata(&path).unwrap().len() as f64 / 1e6;

    // 1. The first reading: parsing alone, then into a store.
    let started = Instant::now();
    let read = TranscriptFeed::whole(&path).read(HookClient::ClaudeCode, None);
    let parse = started.elapsed();
    assert_eq!(read.records.len(), n, "{:?}", read.warnings);
    println!(
        "first read of a {size:.0} MB transcript ({n} responses): parsing {:.0} ms, {:.0} MB/s",
        parse.as_secs_f64() * 1e3,
        size / parse.as_secs_f64()
    );
    let mut store = Store::open(&dir.path().join("baton.sqlite3")).unwrap();
    let session = SessionRef {
        client: HookClient::ClaudeCode,
        session_id: "bench-session".into(),
        cwd: Some("/work/repo".into()),
        repo_root: None,
        repository: None,
        repository_name: None,
        branch: None,
        name: None,
        host: None,
        account: Some("~/.claude".into()),
    };
    let settings = PermitSettings::in_mode(PermitMode::Warn);
    let payload = serde_json::json!({
        "session_id": "bench-session", "cwd": "/work/repo", "hook_event_name": "PreToolUse",
        "transcript_path": path, "tool_name": "Bash", "tool_input": {"command": "ls"}
    });
    let call =
        parse_hook_payload(HookClient::ClaudeCode, payload.to_string().as_bytes(), None).unwrap();
    store
        .record_hook(&session, &call, settings.clone(), Utc::now())
        .unwrap();
    let started = Instant::now();
    let agent = store.agents().unwrap()[0].id;
    let mut feed = TranscriptFeed::whole(&path);
    store.catch_up_usage(agent, &mut feed, Utc::now()).unwrap();
    let stored = started.elapsed();
    println!(
        "first read into the store (SQLite): {:.0} ms, {:.0} MB/s",
        stored.as_secs_f64() * 1e3,
        size / stored.as_secs_f64()
    );

    // 2. Each hook call afterwards: with and without the usage reading, one new response
    // appended before each.
    let mut with = Vec::with_capacity(calls);
    let mut without = Vec::with_capacity(calls);
    let mut append = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    for i in 0..calls {
        append
            .write_all((assistant(n + i) + &other(n + i)).as_bytes())
            .unwrap();
        let started = Instant::now();
        store
            .record_hook(&session, &call, settings.clone(), Utc::now())
            .unwrap();
        without.push(started.elapsed());
        let mut feed = TranscriptFeed::for_hook(&path);
        let started = Instant::now();
        store
            .record_hook_reading(
                &session,
                &call,
                settings.clone(),
                Utc::now(),
                Some(&mut feed as &mut dyn UsageFeed),
            )
            .unwrap();
        with.push(started.elapsed());
    }
    with.sort();
    without.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "a hook call, {calls} calls: without usage p50 {:.2} ms p99 {:.2} ms; with usage p50 {:.2} ms p99 {:.2} ms; added at p99 {:.2} ms",
        ms(percentile(&without, 0.5)),
        ms(percentile(&without, 0.99)),
        ms(percentile(&with, 0.5)),
        ms(percentile(&with, 0.99)),
        ms(percentile(&with, 0.99)) - ms(percentile(&without, 0.99)),
    );
    let usage = store
        .session_usage(agent, HookClient::ClaudeCode, Utc::now())
        .unwrap()
        .unwrap();
    assert_eq!(
        usage.models[0].tokens.output,
        300 * (n + calls) as u64,
        "every response counted once"
    );
}
