//! Reading the rate-limit headers an agent got back, whatever the provider's dialect:
//!
//! | family | headers |
//! |---|---|
//! | OpenAI | `x-ratelimit-{limit,remaining,reset}-{requests,tokens}` (resets as Go durations) |
//! | Anthropic | `anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-{limit,remaining,reset}` (RFC 3339 resets) |
//! | GitHub | `x-ratelimit-{limit,remaining,used,reset,resource}` (reset in epoch seconds) |
//! | IETF | `RateLimit-Policy` + `RateLimit` structured fields (draft -07 on) |
//! | IETF, older | `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` (delta seconds) |
//!
//! plus `Retry-After` (seconds or an HTTP-date) and `retry-after-ms`. A header that looks like a
//! rate limit but is unknown or malformed is ignored with a reason; nothing here fails.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{parse_go_duration, Metric};

mod ietf;

/// Which dialect a reading came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum HeaderFamily {
    OpenAi,
    Anthropic,
    GitHub,
    Ietf,
    IetfLegacy,
}

/// What the headers said about one limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitReading {
    pub family: HeaderFamily,
    pub metric: Metric,
    /// The provider's name for the quota: a GitHub resource or an IETF policy.
    pub policy: Option<String>,
    pub limit: Option<u64>,
    pub remaining: Option<u64>,
    /// GitHub's `used`.
    pub used: Option<u64>,
    pub reset_at: Option<DateTime<Utc>>,
    /// The window the limit applies to, where the headers say or the provider documents it.
    pub window_seconds: Option<u32>,
}

/// A header that looked like a rate limit but could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoredHeader {
    pub name: String,
    /// Why, in a few words (what the ledger counts by).
    pub reason: String,
    /// The value, quoted and clipped to 80 characters (empty when the reason says it all).
    pub value: String,
}

/// Everything read from one response's headers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeaderReading {
    pub limits: Vec<LimitReading>,
    /// When the provider said to retry (`Retry-After`, `retry-after-ms`).
    pub retry_at: Option<DateTime<Utc>>,
    pub ignored: Vec<IgnoredHeader>,
}

/// OpenAI and Anthropic document per-minute limits; GitHub's are per hour.
const PER_MINUTE: u32 = 60;
const PER_HOUR: u32 = 3600;
/// An `x-ratelimit-reset` below this is a delta in seconds, not an epoch time (some APIs send
/// deltas under GitHub's names).
const EPOCH_THRESHOLD: u64 = 1_000_000_000;

/// Reads the rate-limit headers of one response received at `received_at`. Header names are
/// matched case-insensitively.
pub fn read_rate_limit_headers(
    headers: &BTreeMap<String, String>,
    received_at: DateTime<Utc>,
) -> HeaderReading {
    let headers: BTreeMap<String, &str> = headers
        .iter()
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.as_str()))
        .collect();
    let mut reader = Reader {
        headers: &headers,
        received_at,
        used: Vec::new(),
        out: HeaderReading::default(),
    };
    reader.openai();
    reader.anthropic();
    reader.github();
    reader.ietf();
    reader.ietf_legacy();
    reader.retry_after();
    for name in headers.keys() {
        let looks_like_one = name.contains("ratelimit") || name.contains("rate-limit");
        if looks_like_one && !reader.used.iter().any(|u| u == name) {
            reader.ignore(name, "not a rate-limit header Baton knows", "");
        }
    }
    reader.out
}

struct Reader<'a> {
    headers: &'a BTreeMap<String, &'a str>,
    received_at: DateTime<Utc>,
    /// Headers consumed (read, or ignored with a reason).
    used: Vec<String>,
    out: HeaderReading,
}

impl<'a> Reader<'a> {
    fn get(&mut self, name: &str) -> Option<&'a str> {
        let value = self.headers.get(name).copied()?;
        self.used.push(name.to_owned());
        Some(value)
    }

    fn ignore(&mut self, name: &str, reason: &str, value: &str) {
        self.out.ignored.push(IgnoredHeader {
            name: name.to_owned(),
            reason: reason.to_owned(),
            value: if value.is_empty() {
                String::new()
            } else {
                clip(value)
            },
        });
    }

    fn count(&mut self, name: &str) -> Option<u64> {
        let value = self.get(name)?;
        match parse_count(value) {
            Some(n) => Some(n),
            None => {
                self.ignore(name, "not a count", value);
                None
            }
        }
    }

    fn push(&mut self, reading: LimitReading) {
        if reading.limit.is_some() || reading.remaining.is_some() || reading.reset_at.is_some() {
            self.out.limits.push(reading);
        }
    }

    /// A per-minute reading of a provider's own headers (no policy, no count of used).
    fn push_per_minute(
        &mut self,
        family: HeaderFamily,
        metric: Metric,
        limit: Option<u64>,
        remaining: Option<u64>,
        reset_at: Option<DateTime<Utc>>,
    ) {
        self.push(LimitReading {
            family,
            metric,
            policy: None,
            limit,
            remaining,
            used: None,
            reset_at,
            window_seconds: Some(PER_MINUTE),
        });
    }

    fn openai(&mut self) {
        for metric in [Metric::Requests, Metric::Tokens] {
            let m = metric.as_str();
            let limit = self.count(&format!("x-ratelimit-limit-{m}"));
            let remaining = self.count(&format!("x-ratelimit-remaining-{m}"));
            let reset_name = format!("x-ratelimit-reset-{m}");
            let reset_at = match self.get(&reset_name) {
                None => None,
                Some(value) => match parse_go_duration(value) {
                    Some(d) => Some(self.received_at + d),
                    None => {
                        self.ignore(&reset_name, "not a Go duration", value);
                        None
                    }
                },
            };
            self.push_per_minute(HeaderFamily::OpenAi, metric, limit, remaining, reset_at);
        }
    }

    fn anthropic(&mut self) {
        for (metric, m) in [
            (Metric::Requests, "requests"),
            (Metric::Tokens, "tokens"),
            (Metric::InputTokens, "input-tokens"),
            (Metric::OutputTokens, "output-tokens"),
        ] {
            let limit = self.count(&format!("anthropic-ratelimit-{m}-limit"));
            let remaining = self.count(&format!("anthropic-ratelimit-{m}-remaining"));
            let reset_name = format!("anthropic-ratelimit-{m}-reset");
            let reset_at = match self.get(&reset_name) {
                None => None,
                Some(value) => match DateTime::parse_from_rfc3339(value.trim()) {
                    Ok(at) => Some(at.with_timezone(&Utc)),
                    Err(_) => {
                        self.ignore(&reset_name, "not an RFC 3339 time", value);
                        None
                    }
                },
            };
            self.push_per_minute(HeaderFamily::Anthropic, metric, limit, remaining, reset_at);
        }
    }

    fn github(&mut self) {
        let limit = self.count("x-ratelimit-limit");
        let remaining = self.count("x-ratelimit-remaining");
        let used = self.count("x-ratelimit-used");
        let reset_at = self.count("x-ratelimit-reset").and_then(|n| {
            if n >= EPOCH_THRESHOLD {
                i64::try_from(n)
                    .ok()
                    .and_then(|s| DateTime::from_timestamp(s, 0))
            } else {
                Some(self.received_at + Duration::seconds(n as i64))
            }
        });
        let policy = self
            .get("x-ratelimit-resource")
            .map(|r| r.trim().to_owned())
            .filter(|r| !r.is_empty());
        self.push(LimitReading {
            family: HeaderFamily::GitHub,
            metric: Metric::Requests,
            policy,
            limit,
            remaining,
            used,
            reset_at,
            window_seconds: Some(PER_HOUR),
        });
    }

    fn retry_after(&mut self) {
        if let Some(value) = self.get("retry-after-ms") {
            match value.trim().parse::<f64>() {
                Ok(ms) if ms.is_finite() && (0.0..=1e11).contains(&ms) => {
                    self.out.retry_at =
                        Some(self.received_at + Duration::milliseconds(ms.round() as i64));
                }
                _ => self.ignore("retry-after-ms", "not milliseconds", value),
            }
        }
        if let Some(value) = self.get("retry-after") {
            let value = value.trim();
            match parse_retry_after(value, self.received_at) {
                // `retry-after-ms` is the more precise of the two.
                Some(at) => {
                    self.out.retry_at.get_or_insert(at);
                }
                None => self.ignore("retry-after", "neither seconds nor an HTTP-date", value),
            }
        }
    }
}

/// A non-negative integer, allowing surrounding spaces.
/// When a `Retry-After` value received at `received_at` says to try again: seconds, or an
/// HTTP-date; `None` for anything else (or more than ten years ahead).
pub fn parse_retry_after(value: &str, received_at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let value = value.trim();
    if let Some(seconds) = parse_count(value) {
        return i64::try_from(seconds)
            .ok()
            .filter(|s| *s <= 10 * 365 * 24 * 3600)
            .map(|s| received_at + Duration::seconds(s));
    }
    httpdate::parse_http_date(value)
        .ok()
        .map(DateTime::<Utc>::from)
}

pub(super) fn parse_count(text: &str) -> Option<u64> {
    let t = text.trim();
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse().ok()
}

/// A header value as quoted in a reason: at most 80 characters.
pub(super) fn clip(value: &str) -> String {
    let trimmed = value.trim();
    match trimmed.char_indices().nth(80) {
        Some((cut, _)) => format!("{:?}…", &trimmed[..cut]),
        None => format!("{trimmed:?}"),
    }
}
