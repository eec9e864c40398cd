//! The fleet's settings in `baton.toml`: `[[quotas]]` (the user's own limits, which win over the
//! rate-limit headers), `[[pressure]]` (when an API's combined use is pressure) and
//! `[[handoffs]]` (the JSON Schema each handoff type's payload must satisfy, in a file beside
//! `baton.toml` or inline). A part the file leaves out stays as it is in Baton; a part it has is
//! made exactly that by `baton import` (an empty list clears it).
//!
//! ```toml
//! [[quotas]]
//! api = "openai"
//! key = "team-a"            # optional: the API key's label, as agents report it
//! metric = "tokens"         # requests | tokens | input_tokens | output_tokens
//! limit = 90000
//! window_seconds = 60
//!
//! [[pressure]]
//! api = "openai"
//! share_percent = 80        # combined use over this share of a limit is pressure (1–100)
//! horizon_minutes = 30      # a forecast of the limit within this is pressure (1–1440)
//!
//! [[handoffs]]
//! type = "research_brief"
//! schema = "schemas/research_brief.json"   # relative to baton.toml
//! # schema_json = '{"type": "object"}'     # or inline
//!
//! [[prices]]                # dollars per 1,000 tokens; Baton's defaults fill in the rest
//! api = "openai"
//! model = "gpt-4o"          # optional: a model, or a prefix ending in * ("gpt-4o*");
//!                           # left out: every model of the API without a price of its own
//! input_per_1k = 0.0025
//! output_per_1k = 0.01
//!
//! [readiness]               # when an agent is ready for a second agent beside it
//! days = 28                 # consecutive days of stable polling
//! approval_percent = 85     # its requests approved as asked, at least
//! max_failure_percent = 10  # its tasks failed, at most
//! poll_health_percent = 95  # a day's polls answered, for the day to count as stable
//!
//! [retention]
//! days = 30                 # events older than this are compacted into task state changes
//! max_size = "2 GiB"        # past this the oldest events go first ("none": no cap); default
//!                           # 2 GiB on SQLite, none on PostgreSQL
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use baton_core::cost::{check_price, Price};
use baton_core::detect::handoff::compile_schema;
use baton_core::otel::OtlpSettings;
use baton_core::ratelimit::view::PressureLimits;
use baton_core::ratelimit::Metric;
use baton_store::history::retention::MAX_RETENTION_DAYS;
use baton_store::settings::{FleetSettings, UserQuota};
use serde::Deserialize;
use serde_json::Value;

use super::{ConfigFile, ConfigFileError};

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaEntry {
    pub api: String,
    #[serde(default)]
    pub key: Option<String>,
    pub metric: Metric,
    pub limit: u64,
    pub window_seconds: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PressureEntry {
    pub api: String,
    pub share_percent: u32,
    pub horizon_minutes: u32,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceEntry {
    pub api: String,
    #[serde(default)]
    pub model: Option<String>,
    pub input_per_1k: f64,
    pub output_per_1k: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionEntry {
    #[serde(default)]
    pub days: Option<u32>,
    /// The store's size cap: "2 GiB", "500 MiB", "none" (left out: as it is; Baton's default
    /// is 2 GiB for a SQLite store, none for PostgreSQL).
    #[serde(default)]
    pub max_size: Option<String>,
}

/// `[otlp]`: where the OTLP receiver listens, and whether it runs (issue 61).
///
/// ```toml
/// [otlp]
/// enabled = true              # false: no receiver
/// listen = "127.0.0.1:4318"   # off loopback senders need `baton otlp token`
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OtlpEntry {
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub listen: Option<String>,
}

/// The file's `[otlp]`, checked (None: left out, as it is); what it leaves out is the default.
fn otlp(shown: &str, file: &ConfigFile) -> Result<Option<OtlpSettings>, ConfigFileError> {
    let Some(entry) = &file.otlp else {
        return Ok(None);
    };
    let defaults = OtlpSettings::default();
    let settings = OtlpSettings {
        enabled: entry.enabled.unwrap_or(defaults.enabled),
        listen: entry.listen.clone().unwrap_or(defaults.listen),
    };
    settings
        .address()
        .map_err(|message| problem(shown, "otlp".into(), message))?;
    Ok(Some(settings))
}

/// "2 GiB", "500 MiB", "750MB", "none": bytes (None: no cap).
pub fn parse_size(text: &str) -> Result<Option<u64>, String> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a size such as \"2 GiB\" or \"none\""))?;
    let unit = unit.trim().to_ascii_lowercase();
    let scale: f64 = match unit.as_str() {
        "" | "b" => 1.0,
        "kb" => 1e3,
        "kib" => 1024.0,
        "mb" => 1e6,
        "mib" => 1024.0 * 1024.0,
        "gb" => 1e9,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        "tb" => 1e12,
        "tib" => 1024f64.powi(4),
        _ => {
            return Err(format!(
                "{text:?}: the unit is one of B, KiB, MiB, GiB, TiB (or KB, MB, GB, TB)"
            ))
        }
    };
    Ok(Some((number * scale) as u64))
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandoffEntry {
    #[serde(rename = "type")]
    pub handoff_type: String,
    /// A file holding the schema, relative to the config file.
    #[serde(default)]
    pub schema: Option<String>,
    /// The schema itself, as JSON text.
    #[serde(default)]
    pub schema_json: Option<String>,
}

fn problem(path: &str, what: String, message: impl Into<String>) -> ConfigFileError {
    ConfigFileError::Setting {
        path: path.to_owned(),
        what,
        message: message.into(),
    }
}

/// The settings a parsed file says, checked; schema files are read relative to `config_path`'s
/// directory. `shown` names the file in messages.
pub fn read_settings(
    shown: &str,
    config_path: &Path,
    file: &ConfigFile,
) -> Result<FleetSettings, ConfigFileError> {
    let quotas = match &file.quotas {
        None => None,
        Some(entries) => {
            let mut quotas: Vec<UserQuota> = Vec::new();
            for (i, q) in entries.iter().enumerate() {
                let what = format!("quotas[{i}] ({})", q.api.trim());
                let quota = UserQuota {
                    api: q.api.trim().to_owned(),
                    key: q
                        .key
                        .as_deref()
                        .map(str::trim)
                        .filter(|k| !k.is_empty())
                        .map(str::to_owned),
                    metric: q.metric,
                    limit: q.limit,
                    window_seconds: q.window_seconds,
                };
                quota.check().map_err(|m| problem(shown, what.clone(), m))?;
                if quotas
                    .iter()
                    .any(|o| (&o.api, &o.key, o.metric) == (&quota.api, &quota.key, quota.metric))
                {
                    return Err(problem(
                        shown,
                        what,
                        format!(
                            "a second {} quota for this API and key",
                            quota.metric.as_str()
                        ),
                    ));
                }
                quotas.push(quota);
            }
            Some(quotas)
        }
    };
    let pressure = match &file.pressure {
        None => None,
        Some(entries) => {
            let mut pressure = BTreeMap::new();
            for (i, p) in entries.iter().enumerate() {
                let what = format!("pressure[{i}] ({})", p.api.trim());
                if p.api.trim().is_empty() {
                    return Err(problem(shown, what, "name the API"));
                }
                let limits = PressureLimits {
                    share_percent: p.share_percent,
                    horizon_minutes: p.horizon_minutes,
                };
                limits
                    .check()
                    .map_err(|m| problem(shown, what.clone(), m))?;
                if pressure.insert(p.api.trim().to_owned(), limits).is_some() {
                    return Err(problem(shown, what, "this API is named twice"));
                }
            }
            Some(pressure)
        }
    };
    let handoff_schemas = match &file.handoffs {
        None => None,
        Some(entries) => {
            let dir = config_path.parent().unwrap_or(Path::new(""));
            let mut schemas = BTreeMap::new();
            for (i, h) in entries.iter().enumerate() {
                let name = h.handoff_type.trim();
                let what = format!("handoffs[{i}] ({name})");
                if name.is_empty() {
                    return Err(problem(shown, what, "name the handoff type"));
                }
                let text = match (&h.schema, &h.schema_json) {
                    (Some(file), None) => {
                        let at = dir.join(file);
                        std::fs::read_to_string(&at).map_err(|err| {
                            problem(
                                shown,
                                what.clone(),
                                format!("cannot read the schema file {}: {err}", at.display()),
                            )
                        })?
                    }
                    (None, Some(inline)) => inline.clone(),
                    _ => return Err(problem(
                        shown,
                        what,
                        "give the schema as schema = \"FILE\" or schema_json = '…' (exactly one)",
                    )),
                };
                let schema: Value = serde_json::from_str(&text).map_err(|err| {
                    problem(
                        shown,
                        what.clone(),
                        format!("the schema is not JSON: {err}"),
                    )
                })?;
                compile_schema(name, &schema)
                    .map_err(|err| problem(shown, what.clone(), err.to_string()))?;
                if schemas.insert(name.to_owned(), schema).is_some() {
                    return Err(problem(shown, what, "this handoff type is named twice"));
                }
            }
            Some(schemas)
        }
    };
    let prices = match &file.prices {
        None => None,
        Some(entries) => {
            let mut prices: Vec<Price> = Vec::new();
            for (i, p) in entries.iter().enumerate() {
                let price = Price {
                    api: p.api.trim().to_owned(),
                    model: p
                        .model
                        .as_deref()
                        .map(str::trim)
                        .filter(|m| !m.is_empty())
                        .map(str::to_owned),
                    input_per_1k: p.input_per_1k,
                    output_per_1k: p.output_per_1k,
                    default: false,
                };
                let what = format!(
                    "prices[{i}] ({} {})",
                    price.api,
                    price.model.as_deref().unwrap_or("every model")
                );
                check_price(&price).map_err(|(_, m)| problem(shown, what.clone(), m))?;
                if prices
                    .iter()
                    .any(|o| o.api == price.api && o.model == price.model)
                {
                    return Err(problem(
                        shown,
                        what,
                        "a second price for this API and model",
                    ));
                }
                prices.push(price);
            }
            Some(prices)
        }
    };
    if let Some(readiness) = &file.readiness {
        readiness
            .check()
            .map_err(|(_, m)| problem(shown, "readiness".into(), m))?;
    }
    let mut max_bytes = None;
    if let Some(retention) = &file.retention {
        if retention
            .days
            .is_some_and(|days| days == 0 || days > MAX_RETENTION_DAYS)
        {
            return Err(problem(
                shown,
                "retention".into(),
                format!("days: events are kept from 1 to {MAX_RETENTION_DAYS} days"),
            ));
        }
        if let Some(size) = &retention.max_size {
            let cap = parse_size(size)
                .map_err(|m| problem(shown, "retention".into(), format!("max_size: {m}")))?;
            if cap.is_some_and(|cap| cap < baton_store::history::size::MIN_MAX_BYTES) {
                return Err(problem(
                    shown,
                    "retention".into(),
                    "max_size: the store's size cap is at least 1 MiB".to_owned(),
                ));
            }
            max_bytes = Some(cap);
        }
    }
    Ok(FleetSettings {
        quotas,
        pressure,
        handoff_schemas,
        prices,
        readiness: file.readiness,
        retention_days: file.retention.as_ref().and_then(|r| r.days),
        retention_max_bytes: max_bytes,
        otlp: otlp(shown, file)?,
    })
}
