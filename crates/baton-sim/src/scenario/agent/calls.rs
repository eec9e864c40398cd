//! An agent's plain API calls as a real client reports them: the model the call used, its
//! tokens split between input and output, and the provider's own rate-limit headers (the
//! minute's request quota and what is left of it), so Baton prices the demo's calls and its
//! rate-limit view has a limit from the first call.

use std::collections::BTreeMap;

use chrono::{DateTime, Timelike, Utc};

/// Requests a minute each simulated API allows one agent (the quota its headers report).
pub const REQUESTS_PER_MINUTE: u32 = 60;
/// Tokens of one call: input, output.
pub const CALL_TOKENS: (u64, u64) = (600, 200);

/// The model a simulated API's calls use: one Baton ships a price for (None for other APIs).
pub fn model_of(api: &str) -> Option<&'static str> {
    match api {
        "openai" => Some("gpt-4o"),
        "anthropic" => Some("claude-sonnet-4"),
        _ => None,
    }
}

/// Calls per API in the current minute.
#[derive(Debug, Clone, Default)]
pub struct MinuteCalls {
    counts: BTreeMap<String, (i64, u32)>,
}

impl MinuteCalls {
    /// One more call to `api` at `now`: how many its minute has had, this one included.
    pub fn count(&mut self, api: &str, now: DateTime<Utc>) -> u32 {
        let minute = now.timestamp().div_euclid(60);
        let entry = self.counts.entry(api.to_owned()).or_insert((minute, 0));
        if entry.0 != minute {
            *entry = (minute, 0);
        }
        entry.1 += 1;
        entry.1
    }
}

/// The rate-limit headers of the `nth` call of the minute, as the provider names them
/// (Anthropic's `anthropic-ratelimit-*` with an RFC 3339 reset, else OpenAI's
/// `x-ratelimit-*` with a reset in seconds).
pub fn limit_headers(api: &str, nth: u32, now: DateTime<Utc>) -> BTreeMap<String, String> {
    let limit = REQUESTS_PER_MINUTE;
    let remaining = limit.saturating_sub(nth);
    let left_in_minute = 60 - i64::from(now.second());
    let mut headers = BTreeMap::new();
    if api == "anthropic" {
        let reset =
            now.with_nanosecond(0).unwrap_or(now) + chrono::Duration::seconds(left_in_minute);
        headers.insert(
            "anthropic-ratelimit-requests-limit".into(),
            limit.to_string(),
        );
        headers.insert(
            "anthropic-ratelimit-requests-remaining".into(),
            remaining.to_string(),
        );
        headers.insert(
            "anthropic-ratelimit-requests-reset".into(),
            reset.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        );
    } else {
        headers.insert("x-ratelimit-limit-requests".into(), limit.to_string());
        headers.insert(
            "x-ratelimit-remaining-requests".into(),
            remaining.to_string(),
        );
        headers.insert(
            "x-ratelimit-reset-requests".into(),
            format!("{left_in_minute}s"),
        );
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;
    use baton_core::ratelimit::headers::read_rate_limit_headers;
    use chrono::TimeZone;

    #[test]
    fn calls_are_counted_per_minute_and_their_headers_read_as_the_providers() {
        let at = Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 45).unwrap();
        let mut calls = MinuteCalls::default();
        assert_eq!(calls.count("openai", at), 1);
        assert_eq!(calls.count("openai", at), 2);
        assert_eq!(calls.count("anthropic", at), 1);
        assert_eq!(calls.count("openai", at + chrono::Duration::seconds(20)), 1);
        for api in ["openai", "anthropic"] {
            let read = read_rate_limit_headers(&limit_headers(api, 2, at), at);
            assert!(read.ignored.is_empty(), "{api}: {read:?}");
            assert_eq!(read.limits.len(), 1, "{api}: {read:?}");
            let limit = &read.limits[0];
            assert_eq!(limit.limit, Some(u64::from(REQUESTS_PER_MINUTE)));
            assert_eq!(limit.remaining, Some(u64::from(REQUESTS_PER_MINUTE - 2)));
            assert_eq!(
                limit.reset_at,
                Some(Utc.with_ymd_and_hms(2026, 5, 1, 12, 1, 0).unwrap()),
                "{api}"
            );
        }
        assert_eq!(model_of("openai"), Some("gpt-4o"));
        assert_eq!(model_of("stripe"), None);
    }
}
