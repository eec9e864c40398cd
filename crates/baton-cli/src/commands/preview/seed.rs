//! The demo's past and its coding sessions, for the preview: a week of API usage for each demo
//! agent (so the rate-limit chart, the heat map and the costs have history), ingested as the
//! agents' own usage reports; and two coding sessions of a made-up repository, recorded by the
//! hooks' own call (`baton_hooks::hook`) with the payloads Claude Code sends.

use std::path::Path;

use baton_commands::Commands;
use baton_core::hooks::{HookClient, PermitMode};
use baton_core::protocol::{AgentInfo, StatusDocument, UsageReport};
use baton_core::ratelimit::minute_of;
use baton_hooks::HookOptions;
use baton_sim::history::{usage_reports, UsagePattern};
use baton_sim::scenario::model_of;
use baton_sim::story::CAST;
use chrono::Utc;
use serde_json::json;

use crate::commands::error::CliError;

/// Days of hourly usage before the last hours.
const HISTORY_DAYS: i64 = 7;
/// The last hours come minute by minute (the chart's hour view).
const RECENT_HOURS: i64 = 3;

/// The API and model each of the story's agents calls (as the story's `api_call`s do).
fn api_of(cast_id: &str) -> (&'static str, &'static str) {
    let api = match cast_id {
        "researcher" | "publisher" => "openai",
        _ => "anthropic",
    };
    (api, model_of(api).unwrap_or_default())
}

/// One agent's week: hourly windows, then minutes for the last hours; tokens split 3:1 between
/// input and output so the costs price them.
fn week_of(i: usize, cast_id: &str) -> Vec<UsageReport> {
    let (api, model) = api_of(cast_id);
    let pattern = UsagePattern::for_agent(i);
    let now = minute_of(Utc::now());
    let recent = now - RECENT_HOURS * 3600;
    let mut reports = usage_reports(
        api,
        pattern,
        i as u64,
        now - HISTORY_DAYS * 86_400,
        recent,
        3600,
    );
    reports.extend(usage_reports(api, pattern, i as u64, recent, now, 60));
    for report in &mut reports {
        report.model = Some(model.to_owned());
        report.input_tokens = Some(report.tokens * 3 / 4);
        report.output_tokens = Some(report.tokens - report.tokens * 3 / 4);
    }
    reports
}

/// Ingests a week of usage for each demo agent, as a status document carrying only usage (the
/// agent's cursor and what it said of itself are kept).
pub async fn usage_history(commands: &Commands) -> Result<(), CliError> {
    let agents = commands.engine().read(|s| s.agents()).await?;
    for (i, cast) in CAST.iter().enumerate() {
        let name = format!("{} (demo)", cast.name);
        let Some(agent) = agents.iter().find(|a| a.name == name) else {
            continue;
        };
        let (id, remote, usage) = (agent.id, cast.id.to_owned(), week_of(i, cast.id));
        commands
            .engine()
            .write(move |s| {
                let row = s.agent_row(id)?;
                let mut agent = AgentInfo::new(row.remote_id.unwrap_or(remote));
                agent.name = row.remote_name;
                agent.version = row.remote_version;
                agent.detail = row.remote_detail;
                let mut doc = StatusDocument::new(agent);
                doc.usage = usage;
                doc.cursor = s.cursor(id)?.unwrap_or_default();
                s.ingest(id, &doc, Utc::now())
            })
            .await?;
    }
    Ok(())
}

/// What a session of Claude Code says to its hooks: (session, event, extra fields).
fn payload(session: &str, cwd: &Path, event: &str, extra: serde_json::Value) -> Vec<u8> {
    let mut payload = json!({
        "session_id": session,
        "transcript_path": cwd.join(format!(".transcripts/{session}.jsonl")),
        "cwd": cwd,
        "permission_mode": "acceptEdits",
        "hook_event_name": event,
    });
    if let (Some(into), Some(extra)) = (payload.as_object_mut(), extra.as_object()) {
        into.extend(extra.clone());
    }
    payload.to_string().into_bytes()
}

fn write_tool(event: &str, file: &Path, content: &str) -> serde_json::Value {
    json!({
        "hook_event_name": event,
        "tool_name": "Write",
        "tool_input": {"file_path": file, "content": content},
        "tool_use_id": format!("toolu_{}", file.file_name().and_then(|f| f.to_str()).unwrap_or("f")),
    })
}

/// Two coding sessions in a made-up repository `shop` under `scratch`: "checkout" is mid-turn,
/// writing the cart; "docs" finished a turn on the README and then wrote the cart too, which
/// the permit flags (the cart is checkout's lease) as an escalation.
pub async fn coding_sessions(store: &Path, scratch: &Path) -> Result<(), CliError> {
    let shop = scratch.join("shop");
    std::fs::create_dir_all(shop.join("src"))?;
    let cart = shop.join("src/cart.ts");
    let readme = shop.join("README.md");
    let calls: Vec<(&str, Vec<u8>)> = vec![
        (
            "checkout",
            payload(
                "3f6c1a2e-checkout",
                &shop,
                "SessionStart",
                json!({"source": "startup"}),
            ),
        ),
        (
            "checkout",
            payload(
                "3f6c1a2e-checkout",
                &shop,
                "UserPromptSubmit",
                json!({"prompt": "Add a discount code field to the cart"}),
            ),
        ),
        (
            "checkout",
            payload(
                "3f6c1a2e-checkout",
                &shop,
                "PreToolUse",
                write_tool("PreToolUse", &cart, "export const cart = {};\n"),
            ),
        ),
        (
            "checkout",
            payload(
                "3f6c1a2e-checkout",
                &shop,
                "PostToolUse",
                write_tool("PostToolUse", &cart, "export const cart = {};\n"),
            ),
        ),
        (
            "docs",
            payload(
                "9b2d7e41-docs",
                &shop,
                "SessionStart",
                json!({"source": "startup"}),
            ),
        ),
        (
            "docs",
            payload(
                "9b2d7e41-docs",
                &shop,
                "UserPromptSubmit",
                json!({"prompt": "Document the checkout flow in the README"}),
            ),
        ),
        (
            "docs",
            payload(
                "9b2d7e41-docs",
                &shop,
                "PreToolUse",
                write_tool("PreToolUse", &readme, "# Shop\n"),
            ),
        ),
        (
            "docs",
            payload(
                "9b2d7e41-docs",
                &shop,
                "PostToolUse",
                write_tool("PostToolUse", &readme, "# Shop\n"),
            ),
        ),
        (
            "docs",
            payload(
                "9b2d7e41-docs",
                &shop,
                "Stop",
                json!({"stop_hook_active": false}),
            ),
        ),
        (
            "docs",
            payload(
                "9b2d7e41-docs",
                &shop,
                "UserPromptSubmit",
                json!({"prompt": "Fix the cart's import while you are there"}),
            ),
        ),
        (
            "docs",
            payload(
                "9b2d7e41-docs",
                &shop,
                "PreToolUse",
                write_tool("PreToolUse", &cart, "import { cart } from './cart';\n"),
            ),
        ),
    ];
    let db = store.to_path_buf();
    tokio::task::spawn_blocking(move || {
        for (name, bytes) in calls {
            let options = HookOptions {
                client: HookClient::ClaudeCode,
                event: None,
                mode: PermitMode::Warn,
                lease_minutes: 10,
                // Nobody answers in a preview's queue at start: never wait for a person.
                ask_seconds: 0,
                name: Some(format!("shop·{name}")),
                parallel: baton_core::hooks::ParallelMode::default(),
            };
            let reply = baton_hooks::hook(db.clone(), &options, &mut bytes.as_slice());
            if reply.exit_code != 0 && !reply.stderr.is_empty() {
                tracing::info!(session = name, reply = %reply.stderr.trim(), "hook answered");
            }
        }
    })
    .await
    .map_err(|err| CliError::Invalid(format!("recording the coding sessions: {err}")))?;
    Ok(())
}
