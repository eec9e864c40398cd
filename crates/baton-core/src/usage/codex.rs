//! Codex's rollout file (`$CODEX_HOME/sessions/YYYY/MM/DD/rollout-*.jsonl`, the hook payload's
//! `transcript_path`): JSON Lines `{timestamp, type, payload}`. An `event_msg` of payload type
//! `token_count` follows each model response: `info.last_token_usage` is that response's usage
//! (`input_tokens` counts the cached ones too: `cached_input_tokens` of them were read from the
//! cache), `info.total_token_usage` the session's running total, and `rate_limits.primary` /
//! `.secondary` the windows (`used_percent`, `window_minutes`, `resets_at` in epoch seconds)
//! as the API's `x-codex-*` headers said. The model is named per turn (`turn_context`).
//!
//! Codex may write a `token_count` again with the same figures (a rate-limit update): the
//! running total is the record's key, so the same response counts once.

use serde::Deserialize;

use super::types::{
    epoch_seconds, parse_time, LineItem, TokenUse, UsageParser, UsageRecord, WindowReading,
};
use crate::hooks::HookClient;

/// Reads Codex's rollout files.
pub struct CodexRollout;

#[derive(Deserialize)]
struct Line<'a> {
    #[serde(borrow)]
    timestamp: Option<&'a str>,
    #[serde(rename = "type", borrow)]
    kind: Option<&'a str>,
    payload: Option<Payload>,
}

#[derive(Deserialize)]
struct Payload {
    #[serde(rename = "type")]
    kind: Option<String>,
    /// `turn_context`'s model.
    model: Option<String>,
    info: Option<Info>,
    rate_limits: Option<RateLimits>,
}

#[derive(Deserialize)]
struct Info {
    total_token_usage: Option<Usage>,
    last_token_usage: Option<Usage>,
}

#[derive(Deserialize, Clone, Copy)]
struct Usage {
    #[serde(default)]
    input_tokens: u64,
    #[serde(default)]
    cached_input_tokens: u64,
    #[serde(default)]
    cache_write_input_tokens: u64,
    #[serde(default)]
    output_tokens: u64,
    #[serde(default)]
    total_tokens: u64,
}

#[derive(Deserialize)]
struct RateLimits {
    primary: Option<Window>,
    secondary: Option<Window>,
}

#[derive(Deserialize)]
struct Window {
    used_percent: Option<f64>,
    window_minutes: Option<u32>,
    resets_at: Option<f64>,
}

impl UsageParser for CodexRollout {
    fn client(&self) -> HookClient {
        HookClient::Codex
    }

    fn wants(&self, line: &[u8]) -> bool {
        memchr::memmem::find(line, b"\"token_count\"").is_some()
            || memchr::memmem::find(line, b"\"turn_context\"").is_some()
    }

    fn parse(&self, line: &[u8], model: Option<&str>) -> Result<Vec<LineItem>, String> {
        let line: Line<'_> =
            serde_json::from_slice(line).map_err(|err| format!("not a rollout line ({err})"))?;
        let Some(payload) = line.payload else {
            return Ok(Vec::new());
        };
        let at = parse_time(line.timestamp);
        if line.kind == Some("turn_context") {
            return Ok(payload.model.map(LineItem::Model).into_iter().collect());
        }
        if line.kind != Some("event_msg") || payload.kind.as_deref() != Some("token_count") {
            return Ok(Vec::new());
        }
        let mut items = Vec::new();
        if let Some(info) = payload.info {
            if let (Some(last), Some(total)) = (info.last_token_usage, info.total_token_usage) {
                let cached = last.cached_input_tokens.min(last.input_tokens);
                let tokens = TokenUse {
                    input: last.input_tokens - cached,
                    output: last.output_tokens,
                    cache_read: cached,
                    cache_write: last.cache_write_input_tokens,
                };
                if tokens.total() > 0 {
                    items.push(LineItem::Usage(UsageRecord {
                        key: format!("total:{}", total.total_tokens),
                        at,
                        model: model.map(str::to_owned),
                        tokens,
                    }));
                }
            }
        }
        if let Some(limits) = payload.rate_limits {
            for (name, window) in [("primary", limits.primary), ("secondary", limits.secondary)] {
                let Some(window) = window else { continue };
                let Some(used) = window.used_percent.filter(|u| u.is_finite()) else {
                    continue;
                };
                items.push(LineItem::Window(WindowReading {
                    window: name.to_owned(),
                    used_percent: used.clamp(0.0, 1000.0),
                    window_minutes: window.window_minutes,
                    resets_at: window.resets_at.and_then(epoch_seconds),
                    at,
                }));
            }
        }
        Ok(items)
    }
}
