//! Escalation queue, handoff schema, dead-letter and detector-window commands: unpack, call the engine, return.

use baton_core::detect::handoff::{DeadLetter, HandoffSchema};
use baton_core::detect::windows::WindowOverrides;
use baton_core::escalations::{Escalation, EscalationAction, EscalationTimeline};
use baton_engine::Engine;
use tauri::State;

use crate::error::CommandResult;
use crate::ownership::who;

#[tauri::command]
pub async fn escalations(engine: State<'_, Engine>) -> CommandResult<Vec<Escalation>> {
    Ok(engine.escalations().await?)
}

#[tauri::command]
pub async fn escalation_timeline(
    engine: State<'_, Engine>,
    id: i64,
) -> CommandResult<EscalationTimeline> {
    Ok(engine.escalation_timeline(id).await?)
}

#[tauri::command]
pub async fn decide_escalation(
    engine: State<'_, Engine>,
    id: i64,
    action: EscalationAction,
    note: Option<String>,
) -> CommandResult<Escalation> {
    Ok(engine.decide_escalation(id, action, note, who()).await?)
}

/// Handoffs that failed their schema, newest first, payloads whole.
#[tauri::command]
pub async fn dead_letters(engine: State<'_, Engine>) -> CommandResult<Vec<DeadLetter>> {
    Ok(engine.dead_letters().await?)
}

#[tauri::command]
pub async fn handoff_schemas(engine: State<'_, Engine>) -> CommandResult<Vec<HandoffSchema>> {
    let schemas = engine.handoff_schemas().await?;
    Ok(schemas
        .into_iter()
        .map(|(handoff_type, schema)| HandoffSchema {
            handoff_type,
            schema,
        })
        .collect())
}

#[tauri::command]
pub async fn set_handoff_schema(
    engine: State<'_, Engine>,
    handoff_type: String,
    schema: serde_json::Value,
) -> CommandResult<()> {
    Ok(engine
        .set_handoff_schema(handoff_type, schema, who())
        .await?)
}

#[tauri::command]
pub async fn remove_handoff_schema(
    engine: State<'_, Engine>,
    handoff_type: String,
) -> CommandResult<()> {
    Ok(engine.remove_handoff_schema(handoff_type, who()).await?)
}

/// The agent's overrides of the detectors' windows (`{}`: the defaults).
#[tauri::command]
pub async fn detect_windows(
    engine: State<'_, Engine>,
    agent_id: i64,
) -> CommandResult<WindowOverrides> {
    Ok(engine.detect_windows(agent_id).await?)
}

#[tauri::command]
pub async fn set_detect_windows(
    engine: State<'_, Engine>,
    agent_id: i64,
    windows: Option<WindowOverrides>,
) -> CommandResult<WindowOverrides> {
    Ok(engine.set_detect_windows(agent_id, windows, who()).await?)
}
