//! Shared API rate limits: what the providers' response headers say ([`headers`]), how a
//! quota's use is projected forward ([`forecast`]), and when the agents' combined use is a
//! coordination problem ([`pressure`]).
//!
//! The ledger itself (per API, key, agent and minute) lives in the store; everything here is pure
//! and works on the readings and minute buckets the store hands over.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

mod duration;
pub mod forecast;
pub mod headers;
pub mod pressure;
pub mod view;

#[cfg(test)]
mod tests;

pub use duration::parse_go_duration;
pub use forecast::{
    forecast, Forecast, ForecastBasis, ForecastShare, SlotTotal, TimeOfDayProfile, PROFILE_SLOTS,
    PROFILE_SLOT_MINUTES,
};
pub use headers::{
    parse_retry_after, read_rate_limit_headers, HeaderFamily, HeaderReading, IgnoredHeader,
    LimitReading,
};
pub use pressure::{
    pressure_finding, rate_limit_pressure, ApiUsage, PressureSettings, FORECAST_LOOK_AHEAD,
};

/// What a quota counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    Requests,
    Tokens,
    InputTokens,
    OutputTokens,
}

impl Metric {
    pub const ALL: [Metric; 4] = [
        Metric::Requests,
        Metric::Tokens,
        Metric::InputTokens,
        Metric::OutputTokens,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Requests => "requests",
            Metric::Tokens => "tokens",
            Metric::InputTokens => "input_tokens",
            Metric::OutputTokens => "output_tokens",
        }
    }

    pub fn parse(s: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// What Baton counts for it per minute: requests, or tokens (input and output tokens are
    /// counted as tokens: `api_call` events report one token figure).
    pub fn counts_tokens(self) -> bool {
        self != Metric::Requests
    }
}

/// Where a quota's limit comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum QuotaSource {
    /// The limit the provider's headers announced (the last one seen).
    Headers,
    /// Set by the user for this API; it wins over the headers.
    User,
}

/// One limit on one API (and key): so many requests or tokens per window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Quota {
    pub metric: Metric,
    /// The provider's name for it, when it gives one (a GitHub resource, an IETF policy).
    pub policy: Option<String>,
    pub limit: u64,
    pub window_seconds: u32,
    pub source: QuotaSource,
    /// The last `remaining` the headers reported, and when it resets.
    pub remaining: Option<u64>,
    pub reset_at: Option<DateTime<Utc>>,
    /// When the headers last said anything about it (None for a quota set by the user and never
    /// seen in headers).
    pub seen_at: Option<DateTime<Utc>>,
}

/// One agent's use of one API (and key) in one minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MinuteUsage {
    /// The minute's start, in seconds since the epoch (a multiple of 60).
    pub minute: i64,
    pub agent_id: i64,
    pub requests: u64,
    pub tokens: u64,
    pub rate_limited: u64,
    /// The `seq` of the agent's first `api_call` event in this minute, if it reported events.
    pub first_seq: Option<u64>,
    /// The `seq` of the agent's first 429 in this minute.
    pub first_429_seq: Option<u64>,
}

impl MinuteUsage {
    pub fn count(&self, metric: Metric) -> u64 {
        if metric.counts_tokens() {
            self.tokens
        } else {
            self.requests
        }
    }
}

/// The minute (seconds since the epoch, a multiple of 60) that contains `at`.
pub fn minute_of(at: DateTime<Utc>) -> i64 {
    let s = at.timestamp();
    s - s.rem_euclid(60)
}
