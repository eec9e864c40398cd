//! The rate-limit ledger as the app uses it: the Rate limits view, quotas and settings. (The
//! pressure detector's run is the detector loop's: `crate::detector::pressure`.)

use baton_core::ratelimit::view::{
    agent_shares, usage_series, ApiLedger, PressureLimits, UsageHeatmap, UsageSeries,
};
use baton_core::ratelimit::{minute_of, rate_limit_pressure, ApiUsage, Metric, TimeOfDayProfile};
use baton_store::ratelimits::ApiKey;
use baton_store::Store;
use chrono::{DateTime, Utc};

use super::Engine;
use crate::error::EngineError;
use crate::ledger_cache::{LedgerCache, RECENT};

/// One API's part of the Rate limits view at `now`.
fn api_ledger(
    store: &Store,
    api: &ApiKey,
    now: DateTime<Utc>,
    profiles: &mut LedgerCache,
) -> baton_store::Result<ApiLedger> {
    let key = api.key.as_deref();
    let now_minute = minute_of(now);
    let quotas = store.quotas(&api.api, key)?;
    let minutes = store.api_minutes(&api.api, key, now_minute - RECENT, now_minute + 60)?;
    let profile = profiles.profile(store, api, now)?;
    let limits = store.pressure_limits(&api.api)?;
    let budgets = store.budgets(&api.api, key)?;
    let usage = ApiUsage {
        api: &api.api,
        key,
        quotas: &quotas,
        minutes: &minutes,
        profile,
    };
    let (forecasts, _) = rate_limit_pressure(&usage, &limits.settings(), now);
    let (shares, combined_share) = agent_shares(quotas.first(), &minutes, &budgets, now);
    let rate_limited_last_hour = minutes
        .iter()
        .filter(|m| m.minute > now_minute - 3600)
        .map(|m| m.rate_limited)
        .sum();
    Ok(ApiLedger {
        api: api.api.clone(),
        key: api.key.clone(),
        quotas,
        forecasts,
        shares,
        combined_share,
        rate_limited_last_hour,
        limits,
        header_issues: store.header_issues(&api.api)?,
    })
}

impl Engine {
    /// Every API the agents use: quotas, forecasts, each agent's share, 429s, header issues.
    pub async fn rate_limits(&self) -> Result<Vec<ApiLedger>, EngineError> {
        let now = Utc::now();
        let profiles = std::sync::Arc::clone(&self.shared().profiles);
        self.shared()
            .read(move |store| {
                let mut profiles = profiles.lock().unwrap_or_else(|p| p.into_inner());
                store
                    .rate_limited_apis()?
                    .iter()
                    .map(|api| api_ledger(store, api, now, &mut profiles))
                    .collect()
            })
            .await
    }

    /// Each agent's use of one API per minute over the last `hours` (1 hour to 7 days).
    pub async fn usage_series(
        &self,
        api: String,
        key: Option<String>,
        metric: Metric,
        hours: u32,
    ) -> Result<UsageSeries, EngineError> {
        let hours = hours.clamp(1, 7 * 24);
        let now = Utc::now();
        self.shared()
            .read(move |store| {
                let minutes = hours * 60;
                let end = minute_of(now) + 60;
                let start = end - i64::from(minutes) * 60;
                let rows = store.api_minutes(&api, key.as_deref(), start, end)?;
                let quotas = store.quotas(&api, key.as_deref())?;
                let quota = quotas.iter().find(|q| q.metric == metric);
                Ok(usage_series(
                    &api,
                    key.as_deref(),
                    metric,
                    start,
                    minutes,
                    &rows,
                    quota,
                ))
            })
            .await
    }

    /// When each agent usually uses one API, by quarter hour of the day.
    pub async fn usage_heatmap(
        &self,
        api: String,
        key: Option<String>,
        metric: Metric,
    ) -> Result<UsageHeatmap, EngineError> {
        let now = Utc::now();
        self.shared()
            .read(move |store| {
                // Today counts too: the heat map shows the usual day, including this one.
                let (totals, days) =
                    store.slot_totals(&api, key.as_deref(), minute_of(now) + 86_400 - 60)?;
                let profile = TimeOfDayProfile::from_slot_totals(&totals, days.max(1));
                Ok(UsageHeatmap::from_profile(
                    &api,
                    key.as_deref(),
                    metric,
                    &profile,
                ))
            })
            .await
    }

    /// Sets the user's quota for one API (and key) and metric; it wins over the headers.
    pub async fn set_quota(
        &self,
        api: String,
        key: Option<String>,
        metric: Metric,
        limit: u64,
        window_seconds: u32,
    ) -> Result<(), EngineError> {
        let now = Utc::now();
        self.shared()
            .write(move |s| s.set_quota(&api, key.as_deref(), metric, limit, window_seconds, now))
            .await
    }

    pub async fn remove_quota(
        &self,
        api: String,
        key: Option<String>,
        metric: Metric,
    ) -> Result<bool, EngineError> {
        self.shared()
            .write(move |s| s.remove_quota(&api, key.as_deref(), metric))
            .await
    }

    /// When one API's use is pressure.
    pub async fn set_pressure_limits(
        &self,
        api: String,
        limits: PressureLimits,
    ) -> Result<(), EngineError> {
        let now = Utc::now();
        self.shared()
            .write(move |s| s.set_pressure_limits(&api, limits, now))
            .await
    }
}
