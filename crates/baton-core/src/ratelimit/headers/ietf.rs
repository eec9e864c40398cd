//! The IETF draft's headers: the structured `RateLimit-Policy` / `RateLimit` fields (draft -07
//! on, parsed with `sfv`) and the older `RateLimit-Limit` / `-Remaining` / `-Reset`.

use chrono::Duration;
use sfv::{BareItem, ListEntry, Parser};

use super::{parse_count, HeaderFamily, LimitReading, Reader};
use crate::ratelimit::Metric;

impl Reader<'_> {
    /// `RateLimit-Policy: "permin";q=50;w=60` and `RateLimit: "permin";r=3;t=30`.
    pub(super) fn ietf(&mut self) {
        let policies = self.structured_list("ratelimit-policy");
        let current = self.structured_list("ratelimit");
        let mut readings: Vec<LimitReading> = Vec::new();
        for (name, params) in &policies {
            let unit = param_text(params, "qu").unwrap_or_else(|| "requests".to_owned());
            let Some(metric) = quota_unit(&unit) else {
                self.ignore("ratelimit-policy", "quota unit not tracked", &unit);
                continue;
            };
            readings.push(LimitReading {
                family: HeaderFamily::Ietf,
                metric,
                policy: Some(name.clone()),
                limit: param_count(params, "q"),
                remaining: None,
                used: None,
                reset_at: None,
                window_seconds: param_count(params, "w").and_then(|w| u32::try_from(w).ok()),
            });
        }
        for (name, params) in &current {
            let remaining = param_count(params, "r");
            let reset_at = param_count(params, "t")
                .and_then(|t| i64::try_from(t).ok())
                .map(|t| self.received_at + Duration::seconds(t));
            // A `RateLimit` names its policy; a lone policy matches whatever name it has.
            let at = readings
                .iter()
                .position(|r| r.policy.as_deref() == Some(name));
            let at = at.or((readings.len() == 1).then_some(0));
            match at {
                Some(i) => {
                    readings[i].remaining = remaining;
                    readings[i].reset_at = reset_at;
                }
                None => readings.push(LimitReading {
                    family: HeaderFamily::Ietf,
                    metric: Metric::Requests,
                    policy: Some(name.clone()),
                    limit: None,
                    remaining,
                    used: None,
                    reset_at,
                    window_seconds: None,
                }),
            }
        }
        for reading in readings {
            self.push(reading);
        }
    }

    /// The members of a structured-field list: each item's name (string or token) and params.
    fn structured_list(&mut self, name: &str) -> Vec<(String, Vec<(String, BareItem)>)> {
        let Some(value) = self.get(name) else {
            return Vec::new();
        };
        let parsed = Parser::new(value).parse::<sfv::List>();
        let list = match parsed {
            Ok(list) => list,
            Err(_) => {
                self.ignore(name, "not a structured list", value);
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        for entry in list {
            let ListEntry::Item(item) = entry else {
                self.ignore(name, "an inner list where a policy was expected", "");
                continue;
            };
            let label = match &item.bare_item {
                BareItem::String(s) => s.as_str().to_owned(),
                BareItem::Token(t) => t.as_str().to_owned(),
                _ => {
                    self.ignore(name, "a member that is not a string or token", "");
                    continue;
                }
            };
            let params = item
                .params
                .iter()
                .map(|(k, v)| (k.as_str().to_owned(), v.clone()))
                .collect();
            out.push((label, params));
        }
        out
    }

    /// Drafts up to -06: `RateLimit-Limit: 100` (or `100, 100;w=60`), `RateLimit-Remaining`,
    /// `RateLimit-Reset` in delta seconds.
    pub(super) fn ietf_legacy(&mut self) {
        let mut window_seconds = None;
        let limit = match self.get("ratelimit-limit") {
            None => None,
            Some(value) => {
                let (first, policy) = value.split_once(',').unwrap_or((value, ""));
                window_seconds = policy
                    .split([';', ','])
                    .filter_map(|p| p.trim().strip_prefix("w="))
                    .find_map(|w| w.trim().parse::<u32>().ok());
                match parse_count(first) {
                    Some(n) => Some(n),
                    None => {
                        self.ignore("ratelimit-limit", "not a count", value);
                        None
                    }
                }
            }
        };
        let remaining = self.count("ratelimit-remaining");
        let reset_at = self
            .count("ratelimit-reset")
            .and_then(|n| i64::try_from(n).ok())
            .map(|n| self.received_at + Duration::seconds(n));
        self.push(LimitReading {
            family: HeaderFamily::IetfLegacy,
            metric: Metric::Requests,
            policy: None,
            limit,
            remaining,
            used: None,
            reset_at,
            window_seconds,
        });
    }
}

fn param<'a>(params: &'a [(String, BareItem)], key: &str) -> Option<&'a BareItem> {
    params.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

fn param_count(params: &[(String, BareItem)], key: &str) -> Option<u64> {
    param(params, key)?
        .as_integer()
        .and_then(|n| u64::try_from(i64::from(n)).ok())
}

fn param_text(params: &[(String, BareItem)], key: &str) -> Option<String> {
    match param(params, key)? {
        BareItem::String(s) => Some(s.as_str().to_owned()),
        BareItem::Token(t) => Some(t.as_str().to_owned()),
        _ => None,
    }
}

/// The IETF draft's quota units Baton tracks.
fn quota_unit(unit: &str) -> Option<Metric> {
    match unit {
        "requests" => Some(Metric::Requests),
        "tokens" => Some(Metric::Tokens),
        _ => None,
    }
}
