//! Made-up API usage history, for the demo, the end-to-end test and the benchmarks: each agent's
//! use of each API per window over a span of time, following a working day (busy for some hours
//! from its start hour, bursting in the first half of a set hour), with deterministic noise.

use baton_core::protocol::UsageReport;
use chrono::{DateTime, Timelike, Utc};

/// Who uses an API how much, and when.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UsagePattern {
    /// Requests a minute while busy.
    pub busy_per_minute: u64,
    /// The hour (UTC) the agent starts its day.
    pub start_hour: u32,
    /// How many hours its day lasts (it may run past midnight).
    pub busy_hours: u32,
    /// The hour (UTC) whose first half everyone bursts in (twice the busy rate).
    pub burst_hour: u32,
    /// Tokens per request.
    pub tokens_per_request: u64,
}

impl UsagePattern {
    /// Agent `i` of a fleet: starting at 8, 9 or 10 until 17:00, bursting at 9:00, using 10–25
    /// requests a minute.
    pub fn for_agent(i: usize) -> UsagePattern {
        let start_hour = 8 + (i % 3) as u32;
        UsagePattern {
            busy_per_minute: 10 + (i as u64 * 7) % 16,
            start_hour,
            busy_hours: 17 - start_hour,
            burst_hour: 9,
            tokens_per_request: 300 + (i as u64 * 113) % 500,
        }
    }

    /// Requests in the minute starting at `minute` (seconds since the epoch).
    pub fn requests_at(&self, minute: i64, salt: u64) -> u64 {
        let Some(at) = DateTime::<Utc>::from_timestamp(minute, 0) else {
            return 0;
        };
        let hour = at.hour();
        let noise = splitmix(minute as u64 ^ salt.wrapping_mul(0x9e37_79b9_7f4a_7c15)) % 100;
        let into_day = (hour + 24 - self.start_hour % 24) % 24;
        let base = if hour == self.burst_hour % 24 && at.minute() < 30 {
            // Everyone's run.
            self.busy_per_minute * 2
        } else if into_day < self.busy_hours {
            self.busy_per_minute
        } else {
            self.busy_per_minute / 10
        };
        // ±30 % noise.
        base * (70 + noise * 60 / 100) / 100
    }
}

/// Reports of `step_seconds` windows covering `[from, to)` (seconds since the epoch, whole
/// minutes) for one agent and one API.
pub fn usage_reports(
    api: &str,
    pattern: UsagePattern,
    salt: u64,
    from: i64,
    to: i64,
    step_seconds: u32,
) -> Vec<UsageReport> {
    let step = i64::from(step_seconds.max(60)) / 60 * 60;
    let mut out = Vec::new();
    let mut start = from - from.rem_euclid(60);
    while start < to {
        let requests: u64 = (0..step / 60)
            .map(|k| pattern.requests_at(start + 60 * k, salt))
            .sum();
        if let Some(window_start) = DateTime::from_timestamp(start, 0) {
            out.push(UsageReport {
                api: api.to_owned(),
                key: None,
                window_start,
                window_seconds: step as u32,
                requests,
                tokens: requests * pattern.tokens_per_request,
                rate_limited: 0,
                model: None,
                input_tokens: None,
                output_tokens: None,
            });
        }
        start += step;
    }
    out
}

/// A well-mixed 64-bit hash (SplitMix64's finaliser).
fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn busy_in_the_day_bursting_at_nine_quiet_at_night() {
        let p = UsagePattern::for_agent(1);
        let at = |h: u32, m: u32| {
            Utc.with_ymd_and_hms(2026, 11, 20, h, m, 0)
                .unwrap()
                .timestamp()
        };
        let night = p.requests_at(at(3, 0), 1);
        let nine = p.requests_at(at(9, 5), 1);
        let noon = p.requests_at(at(12, 0), 1);
        assert!(night < noon && noon < nine, "{night} {noon} {nine}");
        assert_eq!(p.requests_at(at(12, 0), 1), noon, "deterministic");
    }

    #[test]
    fn reports_cover_the_span_in_whole_windows() {
        let p = UsagePattern::for_agent(0);
        let from = Utc
            .with_ymd_and_hms(2026, 11, 20, 0, 0, 0)
            .unwrap()
            .timestamp();
        let hourly = usage_reports("openai", p, 7, from, from + 86_400, 3600);
        assert_eq!(hourly.len(), 24);
        let minutes = usage_reports("openai", p, 7, from, from + 3600, 60);
        assert_eq!(minutes.len(), 60);
        let total: u64 = minutes.iter().map(|r| r.requests).sum();
        assert_eq!(hourly[0].requests, total);
    }
}
