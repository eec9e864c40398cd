//! The fleet over time and what it costs: timeline, replay, readiness, prices, budgets and
//! retention. Each command unpacks, calls the store through the engine, and returns.

use baton_core::cost::{AgentCost, Price, TaskCost};
use baton_core::readiness::{Readiness, ReadinessThresholds};
use baton_core::timeline::{FleetTimeline, ReplayFrame};
use baton_engine::Engine;
use chrono::{DateTime, Utc};
use tauri::State;

use crate::error::CommandResult;

/// The lanes of `agent_ids` from `from` to `to` in `buckets` buckets (at most a week, at least
/// a minute), with the range's escalations and decisions.
#[tauri::command]
pub async fn fleet_timeline(
    engine: State<'_, Engine>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    buckets: u32,
    agent_ids: Vec<i64>,
) -> CommandResult<FleetTimeline> {
    Ok(engine
        .read(move |s| s.fleet_timeline(from, to, buckets, &agent_ids))
        .await?)
}

/// The board, the agents and the open escalations as they were at `at`.
#[tauri::command]
pub async fn replay_at(engine: State<'_, Engine>, at: DateTime<Utc>) -> CommandResult<ReplayFrame> {
    Ok(engine.read(move |s| s.replay_at(at)).await?)
}

/// Each agent's readiness for a second agent beside it.
#[tauri::command]
pub async fn readiness(engine: State<'_, Engine>) -> CommandResult<Vec<Readiness>> {
    Ok(engine.read(|s| s.readiness(Utc::now())).await?)
}

#[tauri::command]
pub async fn set_readiness_thresholds(
    engine: State<'_, Engine>,
    thresholds: ReadinessThresholds,
) -> CommandResult<Vec<Readiness>> {
    Ok(engine
        .write(move |s| {
            let now = Utc::now();
            s.set_readiness_thresholds(&thresholds, now)?;
            s.readiness(now)
        })
        .await?)
}

/// What each agent's calls cost today and on each of the last 7 days.
#[tauri::command]
pub async fn agent_costs(engine: State<'_, Engine>) -> CommandResult<Vec<AgentCost>> {
    Ok(engine.read(|s| s.agent_costs(Utc::now())).await?)
}

#[tauri::command]
pub async fn task_cost(
    engine: State<'_, Engine>,
    agent_id: i64,
    task_id: String,
) -> CommandResult<TaskCost> {
    Ok(engine
        .read(move |s| s.task_cost(agent_id, &task_id))
        .await?)
}

/// The prices in force: the user's, and Baton's defaults (marked) where the user has none.
#[tauri::command]
pub async fn prices(engine: State<'_, Engine>) -> CommandResult<Vec<Price>> {
    Ok(engine.read(|s| s.prices()).await?)
}

/// Sets the user's price for an API and model; answers with the prices in force.
#[tauri::command]
pub async fn set_price(engine: State<'_, Engine>, price: Price) -> CommandResult<Vec<Price>> {
    Ok(engine
        .write(move |s| {
            s.set_price(&price, Utc::now())?;
            s.prices()
        })
        .await?)
}

/// Removes the user's price for an API and model; answers with the prices in force.
#[tauri::command]
pub async fn remove_price(
    engine: State<'_, Engine>,
    api: String,
    model: Option<String>,
) -> CommandResult<Vec<Price>> {
    Ok(engine
        .write(move |s| {
            s.remove_price(&api, model.as_deref())?;
            s.prices()
        })
        .await?)
}

/// Sets (or with null removes) an agent's daily budget; answers with every agent's costs.
#[tauri::command]
pub async fn set_daily_budget(
    engine: State<'_, Engine>,
    agent_id: i64,
    usd: Option<f64>,
) -> CommandResult<Vec<AgentCost>> {
    Ok(engine
        .write(move |s| {
            let now = Utc::now();
            s.set_daily_budget(agent_id, usd, now)?;
            s.agent_costs(now)
        })
        .await?)
}

/// Days events are kept before they are compacted.
#[tauri::command]
pub async fn retention_days(engine: State<'_, Engine>) -> CommandResult<u32> {
    Ok(engine.read(|s| s.retention_days()).await?)
}

#[tauri::command]
pub async fn set_retention_days(engine: State<'_, Engine>, days: u32) -> CommandResult<u32> {
    Ok(engine
        .write(move |s| {
            s.set_retention_days(days, Utc::now())?;
            s.retention_days()
        })
        .await?)
}
