//! Where an app stands on its store, for the person in front of it: which store, who they are,
//! whether this app watches the agents or only views what others watch, and which watcher
//! polls which agents.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::views::StoreEngine;

/// A watcher sharing the store (`baton watch`, an app with sharing on), as `baton status
/// --watchers` and the app show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct WatcherView {
    pub id: i64,
    pub name: String,
    pub host: String,
    pub pid: i64,
    pub started_at: String,
    /// The last heartbeat, RFC 3339 (the database's clock).
    pub heartbeat_at: String,
    /// Milliseconds since that heartbeat, in the database's clock.
    pub heartbeat_age_ms: i64,
    pub ttl_ms: i64,
    /// Alive: its heartbeat is within its lease term and it has not left.
    pub live: bool,
    /// When it stopped on its own (it released what it held).
    pub left_at: Option<String>,
    /// The agents it holds now: (id, name).
    pub agents: Vec<(i64, String)>,
    /// It runs the detectors.
    pub detectors: bool,
}

/// What the app says about where it stands (its sidebar, the store dialog).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Presence {
    pub store_engine: StoreEngine,
    /// The store's path, or its URL without a password.
    pub store_location: String,
    /// Who this app's decisions and changes are recorded as (`BATON_USER`, else the OS user).
    pub person: String,
    /// The machine they are recorded from (`BATON_HOST`, else the host name).
    pub host: String,
    /// This app polls the agents, runs the detectors and delivers decisions; false: it only
    /// views the store (others watch) and still decides.
    pub watching: bool,
    /// Why, in words: "the default", "set in this app", "from BATON_WATCH", "--no-watch".
    pub watching_chosen_by: String,
    /// True when the app's own setting decides (false while BATON_WATCH or a flag overrides
    /// it: a choice saved in the app applies once that is gone).
    pub watching_choice_applies: bool,
    /// The choice saved for this data folder (the app's setting, `baton store watching`),
    /// None for the default.
    pub watching_saved: Option<bool>,
    /// The watchers sharing the store, the live first, with what each polls.
    pub watchers: Vec<WatcherView>,
    /// The person's role on a PostgreSQL store ("viewer", "decider", "owner"); None on SQLite
    /// (no roles) or when it is not known.
    pub role: Option<String>,
    /// Why this person may change nothing on the store (decide, grant files, edit the map,
    /// agents or settings), said wherever the app shows those disabled: a viewer role's
    /// reason; None: they may (the database still says so if it refuses).
    pub cannot_change: Option<String>,
    /// Why this app offers no demo fleet and no scenario (their agents answer in this app: in
    /// one that only views, nobody polls them; a viewer may add no agents); None: it offers
    /// them.
    pub cannot_run_fleets: Option<String>,
    /// Where this app's OpenTelemetry (OTLP/HTTP) receiver listens (`127.0.0.1:4318`); None:
    /// it does not run (turned off, its address taken, or the app only views the store).
    pub otlp_listen: Option<String>,
}

/// A store this app cannot open because a newer Baton wrote it (its schema is newer than this
/// app knows): the app shows this in place of its views, and changes nothing in the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct StoreTooNew {
    pub store_engine: StoreEngine,
    /// The store's path, or its URL without a password.
    pub store_location: String,
    /// The store's schema version.
    pub found: i64,
    /// The newest schema version this app knows.
    pub supported: i64,
    /// This app's version.
    pub app_version: String,
}
