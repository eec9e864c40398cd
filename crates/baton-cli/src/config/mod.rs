//! `baton.toml`: the agents `baton watch` polls, the ownership rules, and the fleet's settings. Secrets are only ever references (an environment
//! variable or a keyring entry), never written inline.
//!
//! ```toml
//! [[agents]]
//! name = "Researcher"
//! url = "http://127.0.0.1:7700"
//! poll_interval_ms = 2000          # optional, default 2000 (left out: as it is)
//! timeout_ms = 1500                # optional, default 1500, must be below the interval
//! protocol = "auto"                # baton | a2a | auto (asked of the agent; left out: as it
//!                                  # is for a known agent, auto for a new one)
//! windows = { stall_seconds = 600 } # the detectors' windows for it (left out: as they are)
//! daily_budget_usd = 5.0           # optional: a warning escalation once it spends more in a
//!                                  # UTC day (0: no budget; left out: as it is)
//! token = { env = "RESEARCHER_TOKEN" }            # optional
//! # token = { keyring = "my-service/researcher" } # service/user in the OS keyring
//! # What the agent says it will do (optional; checked by `baton check`):
//! declares = { triggers = ["slack://billing"], reads = ["crm://contacts/**"], writes = [], outputs = [] }
//!
//! [store]                          # optional: where `watch` and `import` keep it (else
//! url = "postgres://ana@db.example.org/baton"  # --store, BATON_STORE, the data folder's);
//!                                  # the password comes from PGPASSWORD, ~/.pgpass or the keyring
//!
//! [[rules]]                        # ownership rules (`baton watch` ignores them)
//! kind = "data"                    # trigger | data | output | exception
//! pattern = "crm://contacts/*#status"
//! owner = "Researcher"
//! readers = ["Writer"]             # data only
//! # sla_seconds = 3600             # exception only (default by severity: 4 h critical, 24 h warning, 72 h info)
//! note = "status is the researcher's call"
//! ```
//!
//! Routes to a person outside the app (`[[notify]]`): see [`notify`]. The OTLP receiver
//! (`[otlp]`): see [`settings`].
//!
//! Quotas, pressure settings, handoff schemas, prices, readiness and retention: see [`settings`]. The format is described in
//! `docs/rules.md`.

use baton_core::notify::RouteDraft;
use serde::Deserialize;

mod agents;
#[cfg(test)]
mod fuzz;
mod load;
mod notify;
mod rules;
mod settings;
#[cfg(test)]
mod tests;
mod token_ref;

pub use agents::{AgentEntry, Protocol};
pub use load::{line_column, load, parse, read};
pub use notify::NotifyEntry;
pub use rules::{parse_manifest, validate_rules};
pub use settings::read_settings;

use rules::RuleEntry;
use settings::{HandoffEntry, OtlpEntry, PressureEntry, PriceEntry, QuotaEntry, RetentionEntry};

#[derive(Debug, thiserror::Error)]
pub enum ConfigFileError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: String, message: String },
    #[error("{path}: line {line}, column {column}: {what}: {message}")]
    Rule {
        path: String,
        line: usize,
        column: usize,
        /// `rule 3 (data)`, `agent "Writer" writes[0]`.
        what: String,
        message: String,
    },
    #[error("{path}: agent \"{agent}\": {message}")]
    Agent {
        path: String,
        agent: String,
        message: String,
    },
    #[error("{path}: {what}: {message}")]
    Setting {
        path: String,
        /// `quotas[0] (openai)`, `handoffs[1] (brief)`.
        what: String,
        message: String,
    },
    #[error("agent \"{agent}\": environment variable {var} is not set")]
    MissingEnv { agent: String, var: String },
    #[error("agent \"{agent}\": keyring entry {service}/{user}: {message}")]
    Keyring {
        agent: String,
        service: String,
        user: String,
        message: String,
    },
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    #[serde(default)]
    pub agents: Vec<AgentEntry>,
    /// Ownership rules; `baton watch` ignores them, `baton check` lints them.
    #[serde(default)]
    pub rules: Vec<RuleEntry>,
    /// The user's quotas; left out: as they are in Baton.
    #[serde(default)]
    pub quotas: Option<Vec<QuotaEntry>>,
    /// When each API's use is pressure; left out: as it is.
    #[serde(default)]
    pub pressure: Option<Vec<PressureEntry>>,
    /// Handoff schemas by type; left out: as they are.
    #[serde(default)]
    pub handoffs: Option<Vec<HandoffEntry>>,
    /// The user's prices per API and model; left out: as they are.
    #[serde(default)]
    pub prices: Option<Vec<PriceEntry>>,
    /// When an agent is ready for a second one beside it; left out: as it is.
    #[serde(default)]
    pub readiness: Option<baton_core::readiness::ReadinessThresholds>,
    /// How long events are kept; left out: as it is.
    #[serde(default)]
    pub retention: Option<RetentionEntry>,
    /// The store `baton watch` and `baton import` use with this file, unless `--store` or
    /// `BATON_STORE` name one; its password is never in the file.
    #[serde(default)]
    pub store: Option<StoreEntry>,
    /// How `baton watch` shares the store with other watchers; left out: the defaults.
    #[serde(default)]
    pub watch: Option<WatchEntry>,
    /// Where Baton reaches a person outside the app (`[[notify]]`); left out: as they are.
    #[serde(default)]
    pub notify: Option<Vec<NotifyEntry>>,
    /// Where the OTLP receiver listens (`[otlp]`); left out: as it is.
    #[serde(default)]
    pub otlp: Option<OtlpEntry>,
}

/// `[watch] failover_ms = 10000`, `name = "build-box"`: another watcher polls this one's agents
/// within `failover_ms` of its death; `name` is how `baton status` shows it. `app = false`:
/// the app of the data folder `baton import` runs in only views the store (others watch it).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct WatchEntry {
    #[serde(default)]
    pub failover_ms: Option<u64>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub app: Option<bool>,
}

/// `[store] url = "postgres://ana@db.example.org/baton"` (or a path).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreEntry {
    pub url: String,
}

impl ConfigFile {
    /// `place` with the file's store in it, when nothing on the command line or in the
    /// environment named one.
    pub fn place(
        &self,
        place: &baton_store::StorePlace,
    ) -> Result<baton_store::StorePlace, ConfigFileError> {
        let mut place = place.clone();
        if let Some(store) = &self.store {
            if place.source.yields_to_a_file() {
                place.location = baton_engine::KeyringTokens::new().with_store_password(
                    baton_store::StoreLocation::parse(&store.url).map_err(|err| {
                        ConfigFileError::Setting {
                            path: "baton.toml".into(),
                            what: "store".into(),
                            message: err.to_string(),
                        }
                    })?,
                );
                place.source = baton_store::PlaceSource::Given;
            }
        }
        Ok(place)
    }
}

/// The file's routes, checked (None: the file leaves them as they are). `person` answers on
/// the routes that name nobody.
pub fn notify_routes(
    path: &str,
    file: &ConfigFile,
    person: &str,
) -> Result<Option<Vec<RouteDraft>>, ConfigFileError> {
    let Some(entries) = &file.notify else {
        return Ok(None);
    };
    let mut drafts: Vec<RouteDraft> = Vec::with_capacity(entries.len());
    for (index, entry) in entries.iter().enumerate() {
        let problem = |message: String| ConfigFileError::Setting {
            path: path.to_owned(),
            what: format!("notify[{index}] ({})", entry.name),
            message,
        };
        let draft = entry.draft(person).map_err(problem)?;
        if drafts.iter().any(|d| d.name == draft.name) {
            return Err(problem("the name is used twice".into()));
        }
        drafts.push(draft);
    }
    Ok(Some(drafts))
}
