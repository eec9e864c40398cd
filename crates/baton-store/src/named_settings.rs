//! Baton's own settings kept by name as JSON (`baton_settings`): how long events are kept, the
//! readiness thresholds, and what the retention has compacted so far.

use crate::db::{params, Db};
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::codec::{json, parse_json, ts};
use crate::error::Result;

/// Days events are kept before they are compacted.
pub(crate) const RETENTION_DAYS: &str = "retention_days";
/// The store's size cap in bytes (`null`: none); absent, the engine's default.
pub(crate) const RETENTION_MAX_BYTES: &str = "retention_max_bytes";
/// Events before this moment are compacted away.
pub(crate) const COMPACTED_BEFORE: &str = "compacted_before";
/// The readiness thresholds.
pub(crate) const READINESS: &str = "readiness";
/// How soon a coding agent's usage window must be forecast to run out to be a finding
/// (minutes).
pub(crate) const USAGE_WINDOW_MINUTES: &str = "usage_window_minutes";
/// Where the OTLP receiver listens, and whether it runs (issue 61).
pub(crate) const OTLP: &str = "otlp";

/// The setting `name`, None when it was never set.
pub(crate) fn get<T: DeserializeOwned>(conn: &Db, name: &str) -> Result<Option<T>> {
    let text: Option<String> = conn.query_opt(
        "SELECT value FROM baton_settings WHERE name = ?1",
        params![name],
        |row| row.get(0),
    )?;
    text.map(|text| parse_json(&text, name)).transpose()
}

/// Sets `name` to `value`; true when it changed.
pub(crate) fn set<T: Serialize>(
    conn: &Db,
    name: &str,
    value: &T,
    now: DateTime<Utc>,
) -> Result<bool> {
    let text = json(value);
    let changed = conn.execute(
        "INSERT INTO baton_settings (name, value, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (name) DO UPDATE SET value = excluded.value,
                 updated_at = excluded.updated_at
              WHERE baton_settings.value IS DISTINCT FROM excluded.value",
        params![name, text, ts(now)],
    )?;
    Ok(changed > 0)
}

/// Refuses a listening address that is not an IP address and a port.
pub(crate) fn check_otlp_settings(settings: &baton_core::otel::OtlpSettings) -> Result<()> {
    settings
        .address()
        .map(|_| ())
        .map_err(|message| crate::error::StoreError::InvalidSetting {
            field: "otlp.listen",
            message,
        })
}
