//! What the Rate limits view shows (exported to TypeScript with ts-rs).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::forecast::{slot_of, TimeOfDayProfile, PROFILE_SLOTS, PROFILE_SLOT_MINUTES};
use super::pressure::{current_share, PressureSettings};
use super::{minute_of, Forecast, Metric, MinuteUsage, Quota};

/// When an API's use is pressure, as the user sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PressureLimits {
    /// Combined use over this share of a limit is pressure (1–100).
    pub share_percent: u32,
    /// A forecast of the limit within this many minutes is pressure (1–1440).
    pub horizon_minutes: u32,
}

impl Default for PressureLimits {
    fn default() -> PressureLimits {
        PressureLimits {
            share_percent: 80,
            horizon_minutes: 30,
        }
    }
}

impl PressureLimits {
    pub fn check(&self) -> Result<(), String> {
        if !(1..=100).contains(&self.share_percent) {
            return Err("the pressure share is a percentage from 1 to 100".into());
        }
        if !(1..=1440).contains(&self.horizon_minutes) {
            return Err("the forecast horizon is from 1 minute to 24 hours".into());
        }
        Ok(())
    }

    pub fn settings(&self) -> PressureSettings {
        PressureSettings {
            share: f64::from(self.share_percent) / 100.0,
            horizon: chrono::Duration::minutes(i64::from(self.horizon_minutes)),
        }
    }
}

/// One agent's share of a budget split (a human's decision on a pressure escalation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct BudgetShare {
    pub agent_id: i64,
    /// 0–100; the shares of one split add up to at most 100.
    pub percent: u32,
}

/// One agent's part of an API's current window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct AgentShare {
    pub agent_id: i64,
    /// Requests (or tokens, per the quota's metric) in the current window.
    pub used: u64,
    /// `used` as a share of the limit (0–1, more when over).
    pub share: f64,
    /// Its 429s in the last hour.
    pub rate_limited: u64,
    /// Its budget, when a split was decided.
    pub budget_percent: Option<u32>,
}

/// A header Baton could not use, and how often.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct HeaderIssue {
    pub header: String,
    pub reason: String,
    pub count: u64,
    pub last_value: String,
    pub last_seen: DateTime<Utc>,
}

/// One API (and key) in the Rate limits view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ApiLedger {
    pub api: String,
    pub key: Option<String>,
    pub quotas: Vec<Quota>,
    /// One per quota, in the same order.
    pub forecasts: Vec<Forecast>,
    /// Each agent's part of the first quota's current window, biggest first.
    pub shares: Vec<AgentShare>,
    /// The combined share of the first quota's current window (0 without a quota).
    pub combined_share: f64,
    pub rate_limited_last_hour: u64,
    pub limits: PressureLimits,
    pub header_issues: Vec<HeaderIssue>,
}

/// Each agent's use per minute over a time range, for the stacked chart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct UsageSeries {
    pub api: String,
    pub key: Option<String>,
    pub metric: Metric,
    /// The first minute (seconds since the epoch); one value per minute from there.
    pub start: i64,
    pub minutes: u32,
    pub agents: Vec<AgentSeries>,
    /// The quota's limit per minute (a window's limit spread over its minutes), if known.
    pub limit_per_minute: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct AgentSeries {
    pub agent_id: i64,
    pub values: Vec<u64>,
    /// 429s per minute.
    pub rate_limited: Vec<u64>,
}

/// When each agent usually uses an API: mean use per minute in each quarter hour of the day
/// (UTC) over the last days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct UsageHeatmap {
    pub api: String,
    pub key: Option<String>,
    pub metric: Metric,
    pub slot_minutes: u32,
    /// How many days the means are over.
    pub days: u32,
    pub agents: Vec<AgentSlots>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct AgentSlots {
    pub agent_id: i64,
    pub per_slot: Vec<f64>,
}

impl UsageHeatmap {
    pub fn from_profile(
        api: &str,
        key: Option<&str>,
        metric: Metric,
        profile: &TimeOfDayProfile,
    ) -> UsageHeatmap {
        UsageHeatmap {
            api: api.to_owned(),
            key: key.map(str::to_owned),
            metric,
            slot_minutes: PROFILE_SLOT_MINUTES,
            days: profile.days,
            agents: profile
                .agents
                .iter()
                .map(|a| AgentSlots {
                    agent_id: a.agent_id,
                    per_slot: if metric.counts_tokens() {
                        a.tokens.clone()
                    } else {
                        a.requests.clone()
                    },
                })
                .collect(),
        }
    }
}

/// Builds the series of `metric` for the minutes `[start, start + 60·minutes)`.
pub fn usage_series(
    api: &str,
    key: Option<&str>,
    metric: Metric,
    start: i64,
    minutes: u32,
    rows: &[MinuteUsage],
    quota: Option<&Quota>,
) -> UsageSeries {
    let mut agents: Vec<AgentSeries> = Vec::new();
    let n = minutes as usize;
    for row in rows {
        let offset = (row.minute - start) / 60;
        let Ok(i) = usize::try_from(offset) else {
            continue;
        };
        if i >= n {
            continue;
        }
        let at = match agents.iter().position(|a| a.agent_id == row.agent_id) {
            Some(at) => at,
            None => {
                agents.push(AgentSeries {
                    agent_id: row.agent_id,
                    values: vec![0; n],
                    rate_limited: vec![0; n],
                });
                agents.len() - 1
            }
        };
        agents[at].values[i] += row.count(metric);
        agents[at].rate_limited[i] += row.rate_limited;
    }
    agents.sort_by_key(|a| a.agent_id);
    UsageSeries {
        api: api.to_owned(),
        key: key.map(str::to_owned),
        metric,
        start,
        minutes,
        agents,
        limit_per_minute: quota.map(|q| q.limit as f64 * 60.0 / f64::from(q.window_seconds.max(1))),
    }
}

/// The shares of the first quota's current window, and the 429s of the last hour.
pub fn agent_shares(
    quota: Option<&Quota>,
    minutes: &[MinuteUsage],
    budgets: &[BudgetShare],
    now: DateTime<Utc>,
) -> (Vec<AgentShare>, f64) {
    let now_minute = minute_of(now);
    let mut agents: Vec<i64> = minutes.iter().map(|m| m.agent_id).collect();
    agents.extend(budgets.iter().map(|b| b.agent_id));
    agents.sort_unstable();
    agents.dedup();
    let window = quota.map_or(1, |q| super::forecast::window_minutes(q.window_seconds));
    let metric = quota.map_or(Metric::Requests, |q| q.metric);
    let mut shares: Vec<AgentShare> = agents
        .into_iter()
        .map(|id| {
            let mine = minutes.iter().filter(|m| m.agent_id == id);
            let used: u64 = mine
                .clone()
                .filter(|m| m.minute > now_minute - 60 * window)
                .map(|m| m.count(metric))
                .sum();
            let rate_limited = mine
                .filter(|m| m.minute > now_minute - 3600)
                .map(|m| m.rate_limited)
                .sum();
            let share = quota.map_or(0.0, |q| {
                used as f64 / super::forecast::limit_per_window(q).max(1.0)
            });
            AgentShare {
                agent_id: id,
                used,
                share,
                rate_limited,
                budget_percent: budgets.iter().find(|b| b.agent_id == id).map(|b| b.percent),
            }
        })
        .collect();
    shares.sort_by(|a, b| b.used.cmp(&a.used).then(a.agent_id.cmp(&b.agent_id)));
    let combined = quota.map_or(0.0, |q| current_share(q, minutes, now));
    (shares, combined)
}

/// The time-of-day slot (index into a heat map row) a moment falls in.
pub fn heatmap_slot(at: DateTime<Utc>) -> usize {
    slot_of(minute_of(at)).min(PROFILE_SLOTS - 1)
}
