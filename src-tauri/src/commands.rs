//! `#[tauri::command]`s: each one unpacks its arguments, calls the engine or the store, and
//! returns. No domain logic lives here.

use baton_core::agent::{AgentConfig, AgentDraft};
use baton_core::views::{AgentRow, ConnectionReport, EventRow, SecretsStatus, TaskCard};
use baton_engine::{Engine, TokenUpdate};
use tauri::State;

use crate::demo::DemoFleet;
use crate::error::CommandResult;

/// Most events a task drawer shows.
const DRAWER_EVENT_LIMIT: u32 = 500;

#[tauri::command]
pub async fn list_agents(engine: State<'_, Engine>) -> CommandResult<Vec<AgentRow>> {
    Ok(engine.read(|store| store.agent_rows()).await?)
}

#[tauri::command]
pub async fn add_agent(
    engine: State<'_, Engine>,
    draft: AgentDraft,
    token: Option<String>,
) -> CommandResult<AgentConfig> {
    let token = token.filter(|t| !t.trim().is_empty());
    Ok(engine.add_agent(draft, token).await?)
}

#[tauri::command]
pub async fn update_agent(
    engine: State<'_, Engine>,
    id: i64,
    draft: AgentDraft,
    token: Option<String>,
    clear_token: bool,
) -> CommandResult<AgentConfig> {
    let update = match token.filter(|t| !t.trim().is_empty()) {
        Some(token) => TokenUpdate::Set(token),
        None if clear_token => TokenUpdate::Clear,
        None => TokenUpdate::Keep,
    };
    Ok(engine.update_agent(id, draft, update).await?)
}

#[tauri::command]
pub async fn remove_agent(engine: State<'_, Engine>, id: i64) -> CommandResult<()> {
    Ok(engine.remove_agent(id).await?)
}

#[tauri::command]
pub async fn test_connection(
    engine: State<'_, Engine>,
    draft: AgentDraft,
    token: Option<String>,
    agent_id: Option<i64>,
) -> CommandResult<ConnectionReport> {
    // A stored token goes only to its agent's stored URL (the engine sees to it).
    Ok(match agent_id {
        Some(id) => engine.test_connection_of(id, &draft, token).await?,
        None => engine.test_connection(&draft, token).await,
    })
}

/// Follows a task of an A2A agent that cannot list its tasks: Baton reads it on every poll.
/// False when it was followed already.
#[tauri::command]
pub async fn follow_task(
    engine: State<'_, Engine>,
    agent_id: i64,
    task_id: String,
) -> CommandResult<bool> {
    Ok(engine.follow_task(agent_id, task_id).await?)
}

#[tauri::command]
pub async fn list_tasks(
    engine: State<'_, Engine>,
    agent_id: Option<i64>,
) -> CommandResult<Vec<TaskCard>> {
    Ok(engine.read(move |store| store.task_cards(agent_id)).await?)
}

#[tauri::command]
pub async fn task_events(
    engine: State<'_, Engine>,
    agent_id: i64,
    task_id: String,
) -> CommandResult<Vec<EventRow>> {
    Ok(engine
        .read(move |store| store.task_events(agent_id, &task_id, DRAWER_EVENT_LIMIT))
        .await?)
}

#[tauri::command]
pub async fn start_demo_fleet(
    engine: State<'_, Engine>,
    demo: State<'_, DemoFleet>,
) -> CommandResult<Vec<AgentConfig>> {
    demo.start(&engine).await
}

/// Every scripted scenario (one per detector) the app can run.
#[tauri::command]
pub fn scenarios() -> Vec<baton_core::views::ScenarioInfo> {
    crate::demo::scenarios()
}

/// Runs one scenario on loopback and adds its agents (with its rules and handoff schemas).
#[tauri::command]
pub async fn start_scenario(
    engine: State<'_, Engine>,
    demo: State<'_, DemoFleet>,
    name: String,
) -> CommandResult<Vec<AgentConfig>> {
    demo.start_scenario(&engine, &name, crate::ownership::who())
        .await
}

#[tauri::command]
pub fn secrets_status(engine: State<'_, Engine>) -> SecretsStatus {
    engine.secrets_status()
}
