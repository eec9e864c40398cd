//! API usage: per-minute windows and the rate-limit headers an `api_call` event carries.

use std::collections::BTreeMap;

use baton_core::protocol::UsageReport;
use chrono::{DateTime, Utc};

use super::{AgentScript, USAGE_WINDOWS_KEPT};

impl AgentScript {
    pub(super) fn record_usage(
        &mut self,
        api: &str,
        now: DateTime<Utc>,
        tokens: u64,
        limited: bool,
    ) {
        let start = now.timestamp() - now.timestamp().rem_euclid(60);
        let window_start = DateTime::from_timestamp(start, 0).unwrap_or(now);
        let found = self
            .usage
            .iter()
            .position(|u| u.api == api && u.window_start == window_start);
        let at = match found {
            Some(at) => at,
            None => {
                let same_api = self.usage.iter().filter(|u| u.api == api).count();
                if same_api >= USAGE_WINDOWS_KEPT {
                    if let Some(oldest) = self.usage.iter().position(|u| u.api == api) {
                        self.usage.remove(oldest);
                    }
                }
                self.usage.push(UsageReport {
                    api: api.to_owned(),
                    key: None,
                    window_start,
                    window_seconds: 60,
                    requests: 0,
                    tokens: 0,
                    rate_limited: 0,
                    model: None,
                    input_tokens: None,
                    output_tokens: None,
                });
                self.usage.len() - 1
            }
        };
        let report = &mut self.usage[at];
        report.requests += 1;
        report.tokens += tokens;
        report.rate_limited += u64::from(limited);
    }
}

/// Rate-limit headers as the provider sends them (OpenAI or Anthropic style).
pub(super) fn rate_limit_headers(
    api: &str,
    remaining: u32,
    limited: bool,
    now: DateTime<Utc>,
) -> BTreeMap<String, String> {
    let mut headers = BTreeMap::new();
    let mut put = |k: &str, v: String| {
        headers.insert(k.to_owned(), v);
    };
    if api == "openai" {
        put("x-ratelimit-limit-requests", "500".into());
        put("x-ratelimit-remaining-requests", remaining.to_string());
        put("x-ratelimit-reset-requests", "12s".into());
        if limited {
            put("retry-after-ms", "12000".into());
        }
    } else {
        let reset = now + chrono::Duration::seconds(30);
        put("anthropic-ratelimit-requests-limit", "500".into());
        put(
            "anthropic-ratelimit-requests-remaining",
            remaining.to_string(),
        );
        put(
            "anthropic-ratelimit-requests-reset",
            reset.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        );
        if limited {
            put("retry-after", "30".into());
        }
    }
    headers
}
