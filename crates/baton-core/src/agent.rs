//! How Baton reaches an agent (its endpoint configuration) and how that agent is doing (health).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::ConfigError;

pub const DEFAULT_POLL_INTERVAL_MS: u64 = 2_000;
pub const DEFAULT_TIMEOUT_MS: u64 = 1_500;
pub const MIN_POLL_INTERVAL_MS: u64 = 250;
pub const MAX_POLL_INTERVAL_MS: u64 = 3_600_000;
pub const MIN_TIMEOUT_MS: u64 = 100;

/// The timeout of an agent whose configuration gives none: [`DEFAULT_TIMEOUT_MS`], or three
/// quarters of a shorter poll interval (a timeout must stay below the interval).
pub fn default_timeout_ms(poll_interval_ms: u64) -> u64 {
    DEFAULT_TIMEOUT_MS
        .min(poll_interval_ms.saturating_mul(3) / 4)
        .max(MIN_TIMEOUT_MS)
}
pub const MAX_NAME_LEN: usize = 80;
/// Default cap on one status answer's body.
pub const DEFAULT_BODY_CAP_BYTES: u64 = 4 * 1024 * 1024;

/// Which protocol Baton speaks to an agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum AdapterKind {
    /// The native `baton/1` protocol.
    #[default]
    Baton,
    /// Google's Agent2Agent protocol (1.0, or 0.3): read from the agent card and its tasks.
    A2a,
    /// A coding-agent session (Claude Code, Codex, Copilot CLI) heard through its hooks
    /// (`baton hook`): never polled, added by its first hook call, not by hand.
    Session,
    /// An agent whose OpenTelemetry spans (GenAI conventions) arrive at Baton's OTLP receiver:
    /// never polled, added by its first spans (`baton_core::otel`), shown with its source
    /// "OpenTelemetry".
    Otlp,
}

impl AdapterKind {
    /// True for agents Baton polls (and delivers decisions to over HTTP).
    pub fn is_polled(self) -> bool {
        !matches!(self, AdapterKind::Session | AdapterKind::Otlp)
    }
}

/// What the user types in to add or edit an agent. Tokens are never part of it: they live in
/// the OS keyring, keyed by the agent id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AgentDraft {
    pub name: String,
    pub base_url: String,
    pub poll_interval_ms: u64,
    pub timeout_ms: u64,
    #[serde(default)]
    pub adapter: AdapterKind,
}

impl AgentDraft {
    pub fn new(name: impl Into<String>, base_url: impl Into<String>) -> Self {
        AgentDraft {
            name: name.into(),
            base_url: base_url.into(),
            poll_interval_ms: DEFAULT_POLL_INTERVAL_MS,
            timeout_ms: DEFAULT_TIMEOUT_MS,
            adapter: AdapterKind::Baton,
        }
    }

    /// Checks every field; returns all problems, in form order, so a form can show them together.
    pub fn problems(&self) -> Vec<ConfigError> {
        let mut problems = Vec::new();
        let name = self.name.trim();
        if name.is_empty() {
            problems.push(ConfigError::EmptyName);
        } else if name.chars().count() > MAX_NAME_LEN {
            problems.push(ConfigError::NameTooLong { max: MAX_NAME_LEN });
        } else if name.chars().any(char::is_control) {
            problems.push(ConfigError::NameControlChars);
        }
        match url::Url::parse(self.base_url.trim()) {
            Err(err) => problems.push(ConfigError::BadUrl {
                reason: err.to_string(),
            }),
            Ok(url) if url.scheme() != "http" && url.scheme() != "https" => {
                problems.push(ConfigError::BadScheme {
                    scheme: url.scheme().to_owned(),
                })
            }
            // `http:///x` parses with host `x`: the text itself has no host.
            Ok(url)
                if url.host_str().is_none_or(str::is_empty)
                    || self
                        .base_url
                        .trim()
                        .get(url.scheme().len()..)
                        .is_some_and(|rest| rest.starts_with(":///")) =>
            {
                problems.push(ConfigError::BadUrl {
                    reason: "no host".into(),
                })
            }
            Ok(url) if !url.username().is_empty() || url.password().is_some() => {
                problems.push(ConfigError::UserInfoInUrl)
            }
            Ok(url) if url.query().is_some() || url.fragment().is_some() => {
                problems.push(ConfigError::QueryInUrl)
            }
            Ok(_) => {}
        }
        if self.adapter == AdapterKind::Session {
            problems.push(ConfigError::SessionByHand);
        }
        if self.adapter == AdapterKind::Otlp {
            problems.push(ConfigError::OtlpByHand);
        }
        if !(MIN_POLL_INTERVAL_MS..=MAX_POLL_INTERVAL_MS).contains(&self.poll_interval_ms) {
            problems.push(ConfigError::IntervalOutOfRange {
                min_ms: MIN_POLL_INTERVAL_MS,
                max_ms: MAX_POLL_INTERVAL_MS,
            });
        }
        if self.timeout_ms < MIN_TIMEOUT_MS {
            problems.push(ConfigError::TimeoutTooShort {
                min_ms: MIN_TIMEOUT_MS,
            });
        } else if self.timeout_ms >= self.poll_interval_ms {
            problems.push(ConfigError::TimeoutNotBelowInterval {
                timeout_ms: self.timeout_ms,
                interval_ms: self.poll_interval_ms,
            });
        }
        problems
    }

    /// The first problem, if any.
    pub fn validate(&self) -> Result<(), ConfigError> {
        match self.problems().into_iter().next() {
            Some(problem) => Err(problem),
            None => Ok(()),
        }
    }

    /// The base URL trimmed and without a trailing slash, the form stored. A pasted URL of the
    /// agent card or the status endpoint itself stands for the agent's base URL.
    pub fn normalised_base_url(&self) -> String {
        let mut url = self.base_url.trim().trim_end_matches('/');
        for endpoint in ENDPOINT_PATHS {
            if let Some(base) = url.strip_suffix(endpoint) {
                if base.ends_with('/') {
                    url = base.trim_end_matches('/');
                    break;
                }
            }
        }
        url.to_owned()
    }
}

/// Paths under an agent's base URL that people paste in its place: the A2A agent card (and its
/// pre-0.3 name) and the `baton/1` status endpoint.
const ENDPOINT_PATHS: [&str; 3] = [
    ".well-known/agent-card.json",
    ".well-known/agent.json",
    crate::protocol::STATUS_PATH,
];

/// An agent Baton knows: the stored configuration plus its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AgentConfig {
    /// Baton's own id for the agent (stable, assigned when added).
    pub id: i64,
    pub name: String,
    pub base_url: String,
    pub poll_interval_ms: u64,
    pub timeout_ms: u64,
    pub adapter: AdapterKind,
    /// True when a bearer token is stored for this agent (the token itself never leaves the keyring).
    pub has_token: bool,
}

impl AgentConfig {
    /// Full URL of the status endpoint, with the cursor when there is one.
    pub fn status_url(&self, since: Option<&str>) -> String {
        let base = self.base_url.trim_end_matches('/');
        match since {
            Some(cursor) if !cursor.is_empty() => {
                let encoded: String =
                    url::form_urlencoded::byte_serialize(cursor.as_bytes()).collect();
                format!("{base}/{}?since={encoded}", crate::protocol::STATUS_PATH)
            }
            _ => format!("{base}/{}", crate::protocol::STATUS_PATH),
        }
    }

    /// Full URL of the decisions endpoint.
    pub fn decisions_url(&self) -> String {
        format!(
            "{}/{}",
            self.base_url.trim_end_matches('/'),
            crate::protocol::DECISIONS_PATH
        )
    }

    /// A stable offset in `0..poll_interval_ms` for this agent's first poll, so a fleet's polls
    /// spread over the interval instead of landing together. Same agent, same offset, every run.
    pub fn start_offset_ms(&self) -> u64 {
        start_offset_ms(self.id, &self.base_url, self.poll_interval_ms)
    }
}

/// FNV-1a of the agent id and URL, reduced to `0..interval_ms`.
pub fn start_offset_ms(id: i64, base_url: &str, interval_ms: u64) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in id.to_le_bytes().iter().chain(base_url.as_bytes()) {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    if interval_ms == 0 {
        0
    } else {
        hash % interval_ms
    }
}

/// Whether Baton can currently reach an agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Reachability {
    /// Not polled yet.
    Unknown,
    /// The last poll succeeded.
    Up,
    /// The last poll failed.
    Down,
}

/// How an agent's endpoint is doing, as the poller sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AgentHealth {
    pub reachability: Reachability,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// Round-trip time of the last successful poll.
    pub latency_ms: Option<u64>,
    pub consecutive_failures: u32,
    /// The last failure, in words a person understands ("timed out after 1.5 s", "HTTP 503").
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
}

impl Default for AgentHealth {
    fn default() -> Self {
        AgentHealth {
            reachability: Reachability::Unknown,
            last_success_at: None,
            last_attempt_at: None,
            latency_ms: None,
            consecutive_failures: 0,
            last_error: None,
            last_error_at: None,
        }
    }
}

impl AgentHealth {
    /// The health after a successful poll.
    pub fn succeeded(&self, at: DateTime<Utc>, latency_ms: u64) -> AgentHealth {
        AgentHealth {
            reachability: Reachability::Up,
            last_success_at: Some(at),
            last_attempt_at: Some(at),
            latency_ms: Some(latency_ms),
            consecutive_failures: 0,
            last_error: self.last_error.clone(),
            last_error_at: self.last_error_at,
        }
    }

    /// The health after a failed poll.
    pub fn failed(&self, at: DateTime<Utc>, error: impl Into<String>) -> AgentHealth {
        AgentHealth {
            reachability: Reachability::Down,
            last_success_at: self.last_success_at,
            last_attempt_at: Some(at),
            latency_ms: self.latency_ms,
            consecutive_failures: self.consecutive_failures.saturating_add(1),
            last_error: Some(error.into()),
            last_error_at: Some(at),
        }
    }
}

/// The key agent names are compared and kept unique under, everywhere (the store, the
/// detectors, rules' owners, `baton.toml`): trimmed and lower-cased by Unicode's rules, so
/// "Émile" and "émile " are one agent.
pub fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// Whether two names name one agent (or person): their [`name_key`]s are equal. Every lookup of
/// an agent by name goes through this or through `name_key`, never an ASCII-only comparison.
pub fn same_name(a: &str, b: &str) -> bool {
    name_key(a) == name_key(b)
}

/// Formats a duration the way Baton's messages do: "1.5 s", "2 s", "250 ms".
pub fn human_duration_ms(ms: u64) -> String {
    if ms < 1_000 {
        format!("{ms} ms")
    } else if ms.is_multiple_of(1_000) {
        format!("{} s", ms / 1_000)
    } else {
        let tenths = (ms + 50) / 100;
        if tenths.is_multiple_of(10) {
            format!("{} s", tenths / 10)
        } else {
            format!("{}.{} s", tenths / 10, tenths % 10)
        }
    }
}

/// Formats a longer span for a sentence: "40 s", "12 min", "3 h 05 min", "2 days 4 h",
/// "27,000 days" (sign dropped).
pub fn human_span(span: chrono::Duration) -> String {
    let secs = span.num_seconds().unsigned_abs();
    let days = secs / 86_400;
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min", secs / 60),
        3600..86_400 => format!("{} h {:02} min", secs / 3600, secs % 3600 / 60),
        86_400..172_800 => format!("1 day {} h", secs % 86_400 / 3600),
        _ if days < 100 => format!("{days} days {} h", secs % 86_400 / 3600),
        _ => format!("{} days", thousands(days)),
    }
}

/// 27000 → "27,000".
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Formats a byte count: "4 MiB", "512 KiB", "900 bytes".
pub fn human_bytes(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= MIB {
        format!("{:.1} MiB", bytes as f64 / MIB as f64)
    } else if bytes >= KIB && bytes.is_multiple_of(KIB) {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests;
