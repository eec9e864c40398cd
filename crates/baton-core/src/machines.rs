//! Each machine's link to a shared store, as its coding agents' hooks see it: the app's store
//! panel and `baton status`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// One machine's link to the store, as its hooks measured it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct MachineLink {
    pub host: String,
    /// A hook call's work on the store, smoothed over its last calls, in milliseconds (None:
    /// no call measured).
    pub call_ms: Option<u64>,
    pub measured_at: Option<DateTime<Utc>>,
    /// Its hook calls that went ahead unchecked since the start of the day (UTC), delivered
    /// to the store from its spool.
    pub unchecked_today: u64,
}
