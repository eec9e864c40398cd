//! Escalation queue, handoff schema, dead-letter and detector-window commands: unpack, call the engine, return.

use baton_core::detect::handoff::{DeadLetter, HandoffSchema};
use baton_core::detect::windows::WindowOverrides;
use baton_core::escalations::{Escalation, EscalationAction, EscalationTimeline};
use baton_core::hooks::ParallelEditView;

use crate::error::CommandResult;
use crate::who;
use crate::Commands;

pub async fn escalations(c: &Commands) -> CommandResult<Vec<Escalation>> {
    Ok(c.engine().escalations().await?)
}

pub async fn escalation_timeline(c: &Commands, id: i64) -> CommandResult<EscalationTimeline> {
    Ok(c.engine().escalation_timeline(id).await?)
}

/// The parallel edit of a queue item (branches, checkouts, files, git's forecast, the lines
/// that meet), or null when the item is no parallel edit.
pub async fn parallel_edit(c: &Commands, id: i64) -> CommandResult<Option<ParallelEditView>> {
    Ok(c.engine().parallel_edit(id).await?)
}

pub async fn decide_escalation(
    c: &Commands,
    id: i64,
    action: EscalationAction,
    note: Option<String>,
) -> CommandResult<Escalation> {
    Ok(c.engine()
        .decide_escalation(id, action, note, who())
        .await?)
}

/// Handoffs that failed their schema, newest first, payloads whole.
pub async fn dead_letters(c: &Commands) -> CommandResult<Vec<DeadLetter>> {
    Ok(c.engine().dead_letters().await?)
}

pub async fn handoff_schemas(c: &Commands) -> CommandResult<Vec<HandoffSchema>> {
    let schemas = c.engine().handoff_schemas().await?;
    Ok(schemas
        .into_iter()
        .map(|(handoff_type, schema)| HandoffSchema {
            handoff_type,
            schema,
        })
        .collect())
}

pub async fn set_handoff_schema(
    c: &Commands,
    handoff_type: String,
    schema: serde_json::Value,
) -> CommandResult<()> {
    Ok(c.engine()
        .set_handoff_schema(handoff_type, schema, who())
        .await?)
}

pub async fn remove_handoff_schema(c: &Commands, handoff_type: String) -> CommandResult<()> {
    Ok(c.engine()
        .remove_handoff_schema(handoff_type, who())
        .await?)
}

/// The agent's overrides of the detectors' windows (`{}`: the defaults).
pub async fn detect_windows(c: &Commands, agent_id: i64) -> CommandResult<WindowOverrides> {
    Ok(c.engine().detect_windows(agent_id).await?)
}

pub async fn set_detect_windows(
    c: &Commands,
    agent_id: i64,
    windows: Option<WindowOverrides>,
) -> CommandResult<WindowOverrides> {
    Ok(c.engine()
        .set_detect_windows(agent_id, windows, who())
        .await?)
}
