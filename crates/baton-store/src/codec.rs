//! How domain values are spelled in the database: timestamps, enums, JSON lists, integers.

use baton_core::agent::{AdapterKind, Reachability};
use baton_core::detect::{FindingKind, Severity};
use baton_core::protocol::{AgentState, EventKind};
use baton_core::task::TaskState;
use chrono::{DateTime, SecondsFormat, Utc};

use crate::error::{Result, StoreError};

/// A timestamp as stored: RFC 3339, UTC, nine fractional digits, `Z`. Fixed width, so the text
/// order of two stored timestamps is their time order.
pub(crate) fn ts(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

pub(crate) fn opt_ts(at: Option<DateTime<Utc>>) -> Option<String> {
    at.map(ts)
}

pub(crate) fn parse_ts(text: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|err| StoreError::Corrupt(format!("bad timestamp {text:?}: {err}")))
}

pub(crate) fn parse_opt_ts(text: Option<String>) -> Result<Option<DateTime<Utc>>> {
    text.as_deref().map(parse_ts).transpose()
}

pub(crate) fn json_list(items: &[String]) -> String {
    serde_json::to_string(items).expect("a list of strings always serialises")
}

pub(crate) fn parse_json_list(text: &str) -> Result<Vec<String>> {
    serde_json::from_str(text)
        .map_err(|err| StoreError::Corrupt(format!("bad JSON list {text:?}: {err}")))
}

/// A value as stored JSON text.
pub(crate) fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("ids, lists and evidence always serialise")
}

pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|_| corrupt(what, text))
}

pub(crate) fn parse_kind(text: &str) -> Result<FindingKind> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|_| corrupt("finding kind", text))
}

pub(crate) fn parse_severity(text: &str) -> Result<Severity> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|_| corrupt("finding severity", text))
}

/// An unsigned number from the outside world, as SQLite's signed 64-bit INTEGER.
pub(crate) fn to_sql_int(value: u64, what: &str) -> Result<i64> {
    i64::try_from(value)
        .map_err(|_| StoreError::InvalidDocument(format!("{what} {value} is beyond 2^63 - 1")))
}

/// A stored INTEGER that must not be negative.
pub(crate) fn from_sql_int(value: i64, what: &str) -> Result<u64> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt(format!("negative {what}: {value}")))
}

pub(crate) fn corrupt(what: &str, text: &str) -> StoreError {
    StoreError::Corrupt(format!("unknown {what} {text:?}"))
}

pub(crate) fn parse_task_state(text: &str) -> Result<TaskState> {
    TaskState::parse(text).ok_or_else(|| corrupt("task state", text))
}

pub(crate) fn parse_event_kind(text: &str) -> Result<EventKind> {
    EventKind::parse(text).ok_or_else(|| corrupt("event kind", text))
}

pub(crate) fn adapter_str(adapter: AdapterKind) -> &'static str {
    match adapter {
        AdapterKind::Baton => "baton",
        AdapterKind::A2a => "a2a",
        AdapterKind::Session => "session",
        AdapterKind::Otlp => "otlp",
    }
}

pub(crate) fn parse_adapter(text: &str) -> Result<AdapterKind> {
    match text {
        "baton" => Ok(AdapterKind::Baton),
        "a2a" => Ok(AdapterKind::A2a),
        "session" => Ok(AdapterKind::Session),
        "otlp" => Ok(AdapterKind::Otlp),
        _ => Err(corrupt("adapter", text)),
    }
}

pub(crate) fn reachability_str(reachability: Reachability) -> &'static str {
    match reachability {
        Reachability::Unknown => "unknown",
        Reachability::Up => "up",
        Reachability::Down => "down",
    }
}

pub(crate) fn parse_reachability(text: &str) -> Result<Reachability> {
    match text {
        "unknown" => Ok(Reachability::Unknown),
        "up" => Ok(Reachability::Up),
        "down" => Ok(Reachability::Down),
        _ => Err(corrupt("reachability", text)),
    }
}

pub(crate) fn agent_state_str(state: AgentState) -> &'static str {
    match state {
        AgentState::Idle => "idle",
        AgentState::Working => "working",
        AgentState::Blocked => "blocked",
        AgentState::Error => "error",
    }
}

pub(crate) fn parse_agent_state(text: &str) -> Result<AgentState> {
    match text {
        "idle" => Ok(AgentState::Idle),
        "working" => Ok(AgentState::Working),
        "blocked" => Ok(AgentState::Blocked),
        "error" => Ok(AgentState::Error),
        _ => Err(corrupt("agent state", text)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn timestamps_are_fixed_width_lossless_and_ordered() {
        let a = Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).unwrap();
        let b = a + chrono::Duration::nanoseconds(1);
        let c = a + chrono::Duration::milliseconds(900);
        assert_eq!(ts(a), "2026-05-01T12:00:00.000000000Z");
        assert_eq!(ts(a).len(), ts(c).len());
        assert!(ts(a) < ts(b) && ts(b) < ts(c));
        for t in [a, b, c] {
            assert_eq!(parse_ts(&ts(t)).unwrap(), t);
        }
        assert!(matches!(parse_ts("yesterday"), Err(StoreError::Corrupt(_))));
    }

    #[test]
    fn enums_round_trip_and_match_serde() {
        for r in [Reachability::Unknown, Reachability::Up, Reachability::Down] {
            assert_eq!(parse_reachability(reachability_str(r)).unwrap(), r);
            let json = serde_json::to_value(r).unwrap();
            assert_eq!(json.as_str(), Some(reachability_str(r)));
        }
        for s in [
            AgentState::Idle,
            AgentState::Working,
            AgentState::Blocked,
            AgentState::Error,
        ] {
            assert_eq!(parse_agent_state(agent_state_str(s)).unwrap(), s);
            let json = serde_json::to_value(s).unwrap();
            assert_eq!(json.as_str(), Some(agent_state_str(s)));
        }
        let json = serde_json::to_value(AdapterKind::Baton).unwrap();
        assert_eq!(json.as_str(), Some(adapter_str(AdapterKind::Baton)));
        assert_eq!(parse_adapter("baton").unwrap(), AdapterKind::Baton);
        assert_eq!(parse_adapter("a2a").unwrap(), AdapterKind::A2a);
        for adapter in [
            AdapterKind::Baton,
            AdapterKind::A2a,
            AdapterKind::Session,
            AdapterKind::Otlp,
        ] {
            assert_eq!(parse_adapter(adapter_str(adapter)).unwrap(), adapter);
            let json = serde_json::to_value(adapter).unwrap();
            assert_eq!(json.as_str(), Some(adapter_str(adapter)));
        }
        assert!(parse_adapter("grpc").is_err());
    }

    #[test]
    fn integers_beyond_i64_are_refused() {
        assert_eq!(to_sql_int(7, "seq").unwrap(), 7);
        assert!(matches!(
            to_sql_int(u64::MAX, "seq"),
            Err(StoreError::InvalidDocument(_))
        ));
        assert!(matches!(from_sql_int(-1, "x"), Err(StoreError::Corrupt(_))));
    }
}
