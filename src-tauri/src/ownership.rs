//! Ownership map and decision log commands: unpack, call the engine or the store, return.

use baton_core::decisions::{ChainCheck, DecisionEntry};
use baton_core::rules::{
    Declares, Dispute, DraftCheck, OwnershipMap, PredeployConflict, Resolution, Resolved, Rule,
};
use baton_engine::Engine;
use baton_store::DecisionFilter;
use tauri::State;

use crate::error::CommandResult;

/// Most decision-log entries one call returns (the newest).
const DECISION_LIMIT: usize = 2_000;

/// Who changes made in the app are recorded as: the OS user, else "desktop user".
pub(crate) fn who() -> String {
    ["USER", "USERNAME"]
        .iter()
        .filter_map(|key| std::env::var(key).ok())
        .find(|name| !name.trim().is_empty())
        .unwrap_or_else(|| "desktop user".into())
}

#[tauri::command]
pub async fn ownership_map(engine: State<'_, Engine>) -> CommandResult<OwnershipMap> {
    Ok(engine.ownership_map().await?)
}

#[tauri::command]
pub async fn add_rule(engine: State<'_, Engine>, rule: Rule) -> CommandResult<OwnershipMap> {
    Ok(engine.add_rule(rule, who()).await?)
}

#[tauri::command]
pub async fn update_rule(
    engine: State<'_, Engine>,
    id: i64,
    rule: Rule,
) -> CommandResult<OwnershipMap> {
    Ok(engine.update_rule(id, rule, who()).await?)
}

#[tauri::command]
pub async fn remove_rule(engine: State<'_, Engine>, id: i64) -> CommandResult<OwnershipMap> {
    Ok(engine.remove_rule(id, who()).await?)
}

#[tauri::command]
pub async fn check_rule(
    engine: State<'_, Engine>,
    rule: Rule,
    editing: Option<i64>,
) -> CommandResult<DraftCheck> {
    Ok(engine.check_rule(rule, editing).await?)
}

#[tauri::command]
pub async fn set_declaration(
    engine: State<'_, Engine>,
    agent_id: i64,
    declares: Option<Declares>,
) -> CommandResult<OwnershipMap> {
    Ok(engine.set_declaration(agent_id, declares, who()).await?)
}

#[tauri::command]
pub async fn predeploy_check(
    engine: State<'_, Engine>,
    agent: String,
    declares: Declares,
) -> CommandResult<Vec<PredeployConflict>> {
    Ok(engine.predeploy_check(agent, declares).await?)
}

#[tauri::command]
pub async fn resolve_conflict(
    engine: State<'_, Engine>,
    dispute: Dispute,
    resolution: Resolution,
) -> CommandResult<Resolved> {
    Ok(engine.resolve_conflict(dispute, resolution, who()).await?)
}

#[tauri::command]
pub async fn decision_log(
    engine: State<'_, Engine>,
    subject_prefix: Option<String>,
) -> CommandResult<Vec<DecisionEntry>> {
    let filter = DecisionFilter {
        subject_prefix: subject_prefix.filter(|p| !p.is_empty()),
        limit: Some(DECISION_LIMIT),
        ..DecisionFilter::default()
    };
    Ok(engine.read(move |store| store.decisions(&filter)).await?)
}

#[tauri::command]
pub async fn verify_decisions(engine: State<'_, Engine>) -> CommandResult<ChainCheck> {
    Ok(engine.read(|store| store.verify_decisions()).await?)
}
