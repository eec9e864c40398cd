//! Rate-limit ledger commands: unpack, call the engine, return.

use baton_core::ratelimit::view::{ApiLedger, PressureLimits, UsageHeatmap, UsageSeries};
use baton_core::ratelimit::Metric;

use crate::error::CommandResult;
use crate::Commands;

/// Every API the agents use: quotas, forecasts, shares, 429s, header issues.
pub async fn rate_limits(c: &Commands) -> CommandResult<Vec<ApiLedger>> {
    Ok(c.engine().rate_limits().await?)
}

/// Each agent's use of one API per minute over the last `hours` (1 to 168).
pub async fn usage_series(
    c: &Commands,
    api: String,
    key: Option<String>,
    metric: Metric,
    hours: u32,
) -> CommandResult<UsageSeries> {
    Ok(c.engine().usage_series(api, key, metric, hours).await?)
}

pub async fn usage_heatmap(
    c: &Commands,
    api: String,
    key: Option<String>,
    metric: Metric,
) -> CommandResult<UsageHeatmap> {
    Ok(c.engine().usage_heatmap(api, key, metric).await?)
}

pub async fn set_quota(
    c: &Commands,
    api: String,
    key: Option<String>,
    metric: Metric,
    limit: u64,
    window_seconds: u32,
) -> CommandResult<()> {
    Ok(c.engine()
        .set_quota(api, key, metric, limit, window_seconds)
        .await?)
}

pub async fn remove_quota(
    c: &Commands,
    api: String,
    key: Option<String>,
    metric: Metric,
) -> CommandResult<bool> {
    Ok(c.engine().remove_quota(api, key, metric).await?)
}

pub async fn set_pressure_limits(
    c: &Commands,
    api: String,
    limits: PressureLimits,
) -> CommandResult<()> {
    Ok(c.engine().set_pressure_limits(api, limits).await?)
}
