//! The decision log as the UI and exports see it: entries and the result of verifying the chain.
//! The store (`baton-store`) appends, hashes and verifies them.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Serialize, Serializer};
use serde_json::Value;
use ts_rs::TS;

/// One entry of the decision log.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct DecisionEntry {
    pub seq: i64,
    #[ts(type = "string")]
    pub at: LogTime,
    /// The person (or `rule:<id>` for an automatic decision).
    pub who: String,
    /// The machine it was made on (`BATON_HOST`, else the host name); None for entries from
    /// before Baton recorded it. Exported and hashed only when present.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub host: Option<String>,
    /// `approve`, `reject`, `rule.add`, `rule.update`, `rule.remove`, …
    pub action: String,
    /// What was decided about, e.g. `escalation:7` or `rule:3`.
    pub subject: String,
    pub reason: Option<String>,
    pub escalation_id: Option<i64>,
    /// What changed, e.g. `{"before": …, "after": …}` for a rule.
    #[ts(type = "unknown")]
    pub detail: Option<Value>,
    pub prev_hash: String,
    pub hash: String,
    /// Where it was decided, in words ("via ntfy", "in the app", "with baton decide"), as
    /// [`crate::notify::message::where_decided`] reads `detail`; None when the entry does not
    /// say. Derived for the views: neither hashed nor exported.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub place: Option<String>,
}

/// How the log writes an instant, both where it is stored and hashed and in exports:
/// RFC 3339 in UTC with nanoseconds, e.g. `2026-05-01T12:00:00.000000000Z`.
pub fn decision_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

/// An entry's instant; it serialises as [`decision_time`] writes it, so an exported entry holds
/// exactly the text that was hashed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LogTime(pub DateTime<Utc>);

impl Serialize for LogTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&decision_time(self.0))
    }
}

/// The outcome of verifying the decision log's hash chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ChainCheck {
    /// Every entry fits the chain.
    Ok { entries: u64 },
    /// `seq` is the first entry that does not fit (or, for missing entries at the end, the
    /// first missing one).
    Broken { seq: i64, reason: String },
}
