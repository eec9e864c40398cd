//! The fleet over time and what it costs: timeline, replay, readiness, prices, budgets and
//! retention. Each command unpacks, calls the store through the engine, and returns.

use baton_core::cost::{AgentCost, Price, TaskCost};
use baton_core::readiness::{Readiness, ReadinessThresholds};
use baton_core::timeline::{FleetTimeline, ReplayFrame};
use chrono::{DateTime, Utc};

use crate::error::CommandResult;
use crate::Commands;

/// The lanes of `agent_ids` from `from` to `to` in `buckets` buckets (at most a week, at least
/// a minute), with the range's escalations and decisions.
pub async fn fleet_timeline(
    c: &Commands,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    buckets: u32,
    agent_ids: Vec<i64>,
) -> CommandResult<FleetTimeline> {
    Ok(c.engine()
        .read(move |s| s.fleet_timeline(from, to, buckets, &agent_ids))
        .await?)
}

/// The board, the agents and the open escalations as they were at `at`.
pub async fn replay_at(c: &Commands, at: DateTime<Utc>) -> CommandResult<ReplayFrame> {
    Ok(c.engine().read(move |s| s.replay_at(at)).await?)
}

/// Each agent's readiness for a second agent beside it.
pub async fn readiness(c: &Commands) -> CommandResult<Vec<Readiness>> {
    Ok(c.engine().read(|s| s.readiness(Utc::now())).await?)
}

pub async fn set_readiness_thresholds(
    c: &Commands,
    thresholds: ReadinessThresholds,
) -> CommandResult<Vec<Readiness>> {
    Ok(c.engine()
        .write(move |s| {
            let now = Utc::now();
            s.set_readiness_thresholds(&thresholds, now)?;
            s.readiness(now)
        })
        .await?)
}

/// What each agent's calls cost today and on each of the last 7 days.
pub async fn agent_costs(c: &Commands) -> CommandResult<Vec<AgentCost>> {
    Ok(c.engine().read(|s| s.agent_costs(Utc::now())).await?)
}

pub async fn task_cost(c: &Commands, agent_id: i64, task_id: String) -> CommandResult<TaskCost> {
    Ok(c.engine()
        .read(move |s| s.task_cost(agent_id, &task_id))
        .await?)
}

/// The prices in force: the user's, and Baton's defaults (marked) where the user has none.
pub async fn prices(c: &Commands) -> CommandResult<Vec<Price>> {
    Ok(c.engine().read(|s| s.prices()).await?)
}

/// Sets the user's price for an API and model; answers with the prices in force.
pub async fn set_price(c: &Commands, price: Price) -> CommandResult<Vec<Price>> {
    Ok(c.engine()
        .write(move |s| {
            s.set_price(&price, Utc::now())?;
            s.prices()
        })
        .await?)
}

/// Removes the user's price for an API and model; answers with the prices in force.
pub async fn remove_price(
    c: &Commands,
    api: String,
    model: Option<String>,
) -> CommandResult<Vec<Price>> {
    Ok(c.engine()
        .write(move |s| {
            s.remove_price(&api, model.as_deref())?;
            s.prices()
        })
        .await?)
}

/// Sets (or with null removes) an agent's daily budget; answers with every agent's costs.
pub async fn set_daily_budget(
    c: &Commands,
    agent_id: i64,
    usd: Option<f64>,
) -> CommandResult<Vec<AgentCost>> {
    Ok(c.engine()
        .write(move |s| {
            let now = Utc::now();
            s.set_daily_budget(agent_id, usd, now)?;
            s.agent_costs(now)
        })
        .await?)
}

/// Days events are kept before they are compacted.
pub async fn retention_days(c: &Commands) -> CommandResult<u32> {
    Ok(c.engine().read(|s| s.retention_days()).await?)
}

pub async fn set_retention_days(c: &Commands, days: u32) -> CommandResult<u32> {
    Ok(c.engine()
        .write(move |s| {
            s.set_retention_days(days, Utc::now())?;
            s.retention_days()
        })
        .await?)
}
