//! The demo's past and its coding sessions, for the preview: a week of API usage for each demo
//! agent (so the rate-limit chart, the heat map and the costs have history), ingested as the
//! agents' own usage reports. The coding sessions are `coding.rs`.

use baton_commands::Commands;
use baton_core::protocol::{AgentInfo, StatusDocument, UsageReport};
use baton_core::ratelimit::minute_of;
use baton_sim::history::{usage_reports, UsagePattern};
use baton_sim::scenario::model_of;
use baton_sim::story::CAST;
use chrono::Utc;

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
