//! `baton preview --record DIR`: the answers the UI's tests replay, recorded from the real
//! engine. Beside the demo (its week of usage, its coding sessions) the rate-limit scenario
//! runs, so the ledger has an API under pressure with its headers' quota and 429s; once it does
//! (or after a minute), each command the tests need is called and its answers are written as
//! `DIR/<command>.json`: `[{"args": …, "answer": …}]` (or `"error": {code, message, field}`),
//! with `DIR/recorded.json` saying when. Regenerate with `make recordings`; never edit by hand.

use std::path::Path;
use std::time::{Duration, Instant};

use baton_commands::Commands;
use baton_core::ratelimit::view::ApiLedger;
use baton_core::views::AgentRow;
use chrono::Utc;
use serde_json::{json, Value};

use crate::commands::error::CliError;

/// How long the recording waits for the scenario's pressure and the demo's first incident.
const SETTLE_LIMIT: Duration = Duration::from_secs(60);

/// Files longer than this pretty-printed are written compact.
const PRETTY_LIMIT: usize = 64 * 1024;

/// The commands whose answers take no arguments.
const PLAIN: &[&str] = &[
    "list_agents",
    "rate_limits",
    "escalations",
    "ownership_map",
    "readiness",
    "agent_costs",
    "prices",
    "scenarios",
    "secrets_status",
];

struct Recorder<'a> {
    commands: &'a Commands,
    calls: Vec<(String, Value, Value)>,
    /// The last change made (`{command, args}`): the answers after it say so (`after`), so a
    /// replay answers what the engine answered once that change was made.
    after: Option<Value>,
}

impl Recorder<'_> {
    /// Calls `name` with `args`, keeps the answer (or the error), and returns the answer.
    async fn call(&mut self, name: &str, args: Value) -> Option<Value> {
        let (mut kept, answer) = match self.commands.invoke(name, args.clone()).await {
            Ok(answer) => (json!({"args": args, "answer": answer}), Some(answer)),
            Err(err) => (json!({"args": args, "error": err.payload()}), None),
        };
        if let Some(after) = &self.after {
            kept["after"] = after.clone();
        }
        self.calls.push((name.to_owned(), args, kept));
        answer
    }

    /// Makes a change, records its answer, and marks the answers that follow as after it.
    async fn change(&mut self, name: &str, args: Value) {
        self.after = None;
        self.call(name, args.clone()).await;
        self.after = Some(json!({"command": name, "args": args}));
    }

    /// Writes each command's calls, in the order made, to `DIR/<command>.json`.
    fn write(self, dir: &Path) -> Result<(), CliError> {
        std::fs::create_dir_all(dir)?;
        let mut by_command: Vec<(String, Vec<Value>)> = Vec::new();
        for (name, _, kept) in self.calls {
            match by_command.iter_mut().find(|(n, _)| *n == name) {
                Some((_, list)) => list.push(kept),
                None => by_command.push((name, vec![kept])),
            }
        }
        for (name, list) in by_command {
            // Pretty for reading diffs, unless that makes a file big (a week of minutes).
            let mut text = serde_json::to_string_pretty(&list).map_err(std::io::Error::other)?;
            if text.len() > PRETTY_LIMIT {
                text = serde_json::to_string(&list).map_err(std::io::Error::other)?;
            }
            std::fs::write(dir.join(format!("{name}.json")), text + "\n")?;
        }
        Ok(())
    }
}

/// True once some API is over its pressure line and the demo has escalated something.
async fn settled(commands: &Commands) -> bool {
    let ledgers = commands.invoke("rate_limits", Value::Null).await;
    let escalations = commands.invoke("escalations", Value::Null).await;
    let (Ok(ledgers), Ok(escalations)) = (ledgers, escalations) else {
        return false;
    };
    let ledgers: Vec<ApiLedger> = serde_json::from_value(ledgers).unwrap_or_default();
    let limited = ledgers.iter().any(|l| l.rate_limited_last_hour > 0);
    limited && escalations.as_array().is_some_and(|e| e.len() >= 2) && forecast(commands).await
}

/// True once git has been asked whether the coding sessions' parallel edit conflicts.
async fn forecast(commands: &Commands) -> bool {
    let Ok(Value::Array(items)) = commands.invoke("escalations", Value::Null).await else {
        return false;
    };
    for item in items.iter().filter(|i| i["kind"] == "parallel_edit") {
        let edit = commands
            .invoke("parallel_edit", json!({"id": item["id"]}))
            .await;
        if edit.is_ok_and(|edit| !edit["checked_at"].is_null()) {
            return true;
        }
    }
    false
}

/// Runs the recording (the demo is already running) and writes the files.
pub async fn record(commands: &Commands, dir: &Path) -> Result<(), CliError> {
    commands
        .invoke("start_scenario", json!({"name": "rate-limit-pressure"}))
        .await
        .map_err(|err| CliError::Invalid(format!("start_scenario: {err}")))?;
    let started = Instant::now();
    while !settled(commands).await {
        if started.elapsed() > SETTLE_LIMIT {
            eprintln!("baton preview: recording what there is after {SETTLE_LIMIT:?}");
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let recorded_at = Utc::now();
    let mut recorder = Recorder {
        commands,
        calls: Vec::new(),
        after: None,
    };
    for name in PLAIN {
        recorder.call(name, json!({})).await;
    }
    recorder.call("list_tasks", json!({"agentId": null})).await;

    // Each item's parallel edit (null for the other kinds), as the queue's detail asks.
    let items: Vec<Value> = recorder
        .calls
        .iter()
        .find(|(name, _, _)| name == "escalations")
        .and_then(|(_, _, kept)| kept["answer"].as_array().cloned())
        .unwrap_or_default();
    for item in &items {
        recorder
            .call("parallel_edit", json!({"id": item["id"]}))
            .await;
    }

    // The chart and the heat map of each API, as the Rate limits view asks for them.
    let ledgers: Vec<ApiLedger> = recorder
        .calls
        .iter()
        .find(|(name, _, _)| name == "rate_limits")
        .and_then(|(_, _, kept)| serde_json::from_value(kept["answer"].clone()).ok())
        .unwrap_or_default();
    for ledger in &ledgers {
        let (api, key) = (&ledger.api, &ledger.key);
        for (metric, hours) in [("requests", 1), ("requests", 168), ("tokens", 1)] {
            let args = json!({"api": api, "key": key, "metric": metric, "hours": hours});
            recorder.call("usage_series", args).await;
        }
        for metric in ["requests", "tokens"] {
            let args = json!({"api": api, "key": key, "metric": metric});
            recorder.call("usage_heatmap", args).await;
        }
    }

    // Test connection: a baton/1 agent of the demo, and a port nobody listens on.
    let agents: Vec<AgentRow> = recorder
        .calls
        .iter()
        .find(|(name, _, _)| name == "list_agents")
        .and_then(|(_, _, kept)| serde_json::from_value(kept["answer"].clone()).ok())
        .unwrap_or_default();
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.local_addr()?.port()
    };
    let polled = agents.iter().find(|a| a.session.is_none());
    let urls = polled
        .map(|a| a.config.base_url.clone())
        .into_iter()
        .chain([format!("http://127.0.0.1:{closed}")]);
    for url in urls {
        let draft = json!({"name": "researcher", "base_url": url, "poll_interval_ms": 2000,
                           "timeout_ms": 1500, "adapter": "baton"});
        let args = json!({"draft": draft, "token": null, "agentId": null});
        recorder.call("test_connection", args).await;
    }

    // A quota set by the person on the API under pressure (the scenario's: its headers' quota
    // and its 429s), and taken away again: the ledger as the engine answers it after each.
    if let Some(ledger) = ledgers
        .iter()
        .find(|l| !l.quotas.is_empty() && l.rate_limited_last_hour > 0)
    {
        let (api, key) = (&ledger.api, &ledger.key);
        let quota = json!({"api": api, "key": key, "metric": "requests", "limit": 450, "windowSeconds": 3600});
        recorder.change("set_quota", quota).await;
        recorder.call("rate_limits", json!({})).await;
        let quota = json!({"api": api, "key": key, "metric": "requests"});
        recorder.change("remove_quota", quota).await;
        recorder.call("rate_limits", json!({})).await;
    }

    recorder.write(dir)?;
    let about = json!({
        "recorded_at": recorded_at,
        "by": "baton preview --record (make recordings)",
        "fleet": "the demo (with a week of usage and three coding sessions in two worktrees of one repository) and the rate-limit-pressure scenario",
    });
    std::fs::write(
        dir.join("recorded.json"),
        serde_json::to_string_pretty(&about).map_err(std::io::Error::other)? + "\n",
    )?;
    println!("baton preview: recorded the answers in {}", dir.display());
    Ok(())
}
