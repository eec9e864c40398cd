//! Rate-limit ledger commands: unpack, call the engine, return.

use baton_core::ratelimit::view::{ApiLedger, PressureLimits, UsageHeatmap, UsageSeries};
use baton_core::ratelimit::Metric;
use baton_engine::Engine;
use tauri::State;

use crate::error::CommandResult;

/// Every API the agents use: quotas, forecasts, shares, 429s, header issues.
#[tauri::command]
pub async fn rate_limits(engine: State<'_, Engine>) -> CommandResult<Vec<ApiLedger>> {
    Ok(engine.rate_limits().await?)
}

/// Each agent's use of one API per minute over the last `hours` (1 to 168).
#[tauri::command]
pub async fn usage_series(
    engine: State<'_, Engine>,
    api: String,
    key: Option<String>,
    metric: Metric,
    hours: u32,
) -> CommandResult<UsageSeries> {
    Ok(engine.usage_series(api, key, metric, hours).await?)
}

#[tauri::command]
pub async fn usage_heatmap(
    engine: State<'_, Engine>,
    api: String,
    key: Option<String>,
    metric: Metric,
) -> CommandResult<UsageHeatmap> {
    Ok(engine.usage_heatmap(api, key, metric).await?)
}

#[tauri::command]
pub async fn set_quota(
    engine: State<'_, Engine>,
    api: String,
    key: Option<String>,
    metric: Metric,
    limit: u64,
    window_seconds: u32,
) -> CommandResult<()> {
    Ok(engine
        .set_quota(api, key, metric, limit, window_seconds)
        .await?)
}

#[tauri::command]
pub async fn remove_quota(
    engine: State<'_, Engine>,
    api: String,
    key: Option<String>,
    metric: Metric,
) -> CommandResult<bool> {
    Ok(engine.remove_quota(api, key, metric).await?)
}

#[tauri::command]
pub async fn set_pressure_limits(
    engine: State<'_, Engine>,
    api: String,
    limits: PressureLimits,
) -> CommandResult<()> {
    Ok(engine.set_pressure_limits(api, limits).await?)
}
