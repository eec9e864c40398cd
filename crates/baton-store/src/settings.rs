//! The fleet's settings as a whole, for `baton.toml`: the quotas the user set, when each API's
//! use is pressure, and the handoff schemas. [`Store::fleet_settings`] reads them all;
//! [`Store::replace_fleet_settings`] makes each part the file says exactly what it says, in one
//! transaction (a part the file leaves out stays as it is). Schema changes are audited as when
//! set one by one.

use std::collections::BTreeMap;

use crate::db::params;
use baton_core::ratelimit::view::PressureLimits;
use baton_core::ratelimit::Metric;
use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::codec::{from_sql_int, to_sql_int, ts};
use crate::costs::set_price_in;
use crate::error::{Result, StoreError};
use crate::handoffs::{remove_handoff_schema_in, set_handoff_schema_in};
use crate::history::retention::check_retention;
use crate::named_settings;
use crate::ratelimits::parse_metric;
use crate::rules::check_who;
use crate::Store;
use baton_core::cost::{check_price, Price};
use baton_core::readiness::ReadinessThresholds;

/// A quota the user set for one API (and key) and metric; it wins over the headers.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct UserQuota {
    pub api: String,
    pub key: Option<String>,
    pub metric: Metric,
    pub limit: u64,
    pub window_seconds: u32,
}

impl UserQuota {
    /// Why the store would refuse it, if it would.
    pub fn check(&self) -> std::result::Result<(), String> {
        if self.api.trim().is_empty() {
            return Err("name the API".into());
        }
        if self.limit == 0 {
            return Err("a quota's limit is 1 or more".into());
        }
        if self.window_seconds == 0 || self.window_seconds > 31 * 86_400 {
            return Err("a quota's window is from 1 second to 31 days".into());
        }
        Ok(())
    }
}

/// Everything [`Store::replace_fleet_settings`] sets; None: that part stays as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FleetSettings {
    pub quotas: Option<Vec<UserQuota>>,
    /// By API.
    pub pressure: Option<BTreeMap<String, PressureLimits>>,
    /// By handoff type.
    pub handoff_schemas: Option<BTreeMap<String, Value>>,
    /// The user's prices (Baton's defaults are not settings: they fill in where these say nothing).
    pub prices: Option<Vec<Price>>,
    /// When an agent is ready for a second one beside it.
    pub readiness: Option<ReadinessThresholds>,
    /// Days events are kept before they are compacted.
    pub retention_days: Option<u32>,
    /// The store's size cap set by the user: `Some(None)` no cap, `Some(Some(bytes))`; None: not
    /// set (the engine's default: 2 GiB on SQLite, none on PostgreSQL).
    pub retention_max_bytes: Option<Option<u64>>,
    /// Where the OTLP receiver listens, and whether it runs (`[otlp]`, issue 61).
    pub otlp: Option<baton_core::otel::OtlpSettings>,
}

/// What a replace changed: counts per part.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SettingsChanged {
    pub quotas: usize,
    pub pressure: usize,
    pub handoff_schemas: usize,
    pub prices: usize,
    /// 1 when the readiness thresholds changed.
    pub readiness: usize,
    /// 1 when the retention changed.
    pub retention: usize,
    /// 1 when the OTLP receiver's settings changed.
    pub otlp: usize,
}

impl Store {
    /// The settings as stored (every part Some).
    pub fn fleet_settings(&self) -> Result<FleetSettings> {
        let stmt_sql = "SELECT api, key, metric, limit_value, window_seconds FROM api_quotas";
        let mut quotas = Vec::new();
        self.db.query_each(stmt_sql, params![], |row| {
            let metric: String = row.get(2)?;
            let key: String = row.get(1)?;
            quotas.push(UserQuota {
                api: row.get(0)?,
                key: (!key.is_empty()).then_some(key),
                metric: parse_metric(&metric)?,
                limit: from_sql_int(row.get(3)?, "limit")?,
                window_seconds: u32::try_from(row.get::<i64>(4)?)
                    .map_err(|_| StoreError::Corrupt("quota window".into()))?,
            });
            Ok(())
        })?;
        quotas.sort();
        let stmt_sql =
            "SELECT api, pressure_percent, horizon_minutes FROM api_settings ORDER BY api";
        let mut pressure = BTreeMap::new();
        self.db.query_each(stmt_sql, params![], |row| {
            let limits = PressureLimits {
                share_percent: u32::try_from(row.get::<i64>(1)?).unwrap_or(80),
                horizon_minutes: u32::try_from(row.get::<i64>(2)?).unwrap_or(30),
            };
            pressure.insert(row.get(0)?, limits);
            Ok(())
        })?;
        Ok(FleetSettings {
            quotas: Some(quotas),
            pressure: Some(pressure),
            handoff_schemas: Some(self.handoff_schemas()?.into_iter().collect()),
            prices: Some(self.user_prices()?),
            readiness: Some(self.readiness_thresholds()?),
            retention_days: Some(self.retention_days()?),
            retention_max_bytes: named_settings::get(
                &self.db,
                named_settings::RETENTION_MAX_BYTES,
            )?,
            otlp: Some(self.otlp_settings()?),
        })
    }

    /// Makes each part `settings` names exactly that, in one transaction: all of it or none
    /// (a quota out of range, a pressure share over 100 %, a schema that does not compile).
    pub fn replace_fleet_settings(
        &mut self,
        settings: &FleetSettings,
        who: &str,
        now: DateTime<Utc>,
    ) -> Result<SettingsChanged> {
        check_who(who)?;
        let before = self.fleet_settings()?;
        let mut changed = SettingsChanged::default();
        let tx = self.write_tx()?;
        if let Some(quotas) = &settings.quotas {
            let mut wanted = quotas.clone();
            wanted.sort();
            for quota in &wanted {
                quota.check().map_err(StoreError::InvalidRateLimit)?;
            }
            let had = before.quotas.unwrap_or_default();
            changed.quotas = wanted.iter().filter(|q| !had.contains(q)).count()
                + had
                    .iter()
                    .filter(|q| !wanted.iter().any(|w| same_quota(w, q)))
                    .count();
            tx.execute("DELETE FROM api_quotas", params![])?;
            for q in &wanted {
                tx.execute(
                    "INSERT INTO api_quotas (api, key, metric, limit_value, window_seconds, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT (api, key, metric) DO UPDATE SET limit_value = excluded.limit_value,
                        window_seconds = excluded.window_seconds",
                    params![
                        q.api.trim(),
                        q.key.as_deref().unwrap_or(""),
                        q.metric.as_str(),
                        to_sql_int(q.limit, "limit")?,
                        i64::from(q.window_seconds),
                        ts(now)
                    ],
                )?;
            }
        }
        if let Some(pressure) = &settings.pressure {
            let had = before.pressure.unwrap_or_default();
            for (api, limits) in pressure {
                limits.check().map_err(StoreError::InvalidRateLimit)?;
                if had.get(api) != Some(limits) {
                    changed.pressure += 1;
                }
            }
            changed.pressure += had
                .keys()
                .filter(|api| !pressure.contains_key(*api))
                .count();
            tx.execute("DELETE FROM api_settings", params![])?;
            for (api, limits) in pressure {
                tx.execute(
                    "INSERT INTO api_settings (api, pressure_percent, horizon_minutes, updated_at)
                     VALUES (?1, ?2, ?3, ?4)",
                    params![
                        api.trim(),
                        i64::from(limits.share_percent),
                        i64::from(limits.horizon_minutes),
                        ts(now)
                    ],
                )?;
            }
        }
        if let Some(schemas) = &settings.handoff_schemas {
            let had = before.handoff_schemas.unwrap_or_default();
            for handoff_type in had.keys().filter(|t| !schemas.contains_key(*t)) {
                if remove_handoff_schema_in(&tx, handoff_type, who, now)? {
                    changed.handoff_schemas += 1;
                }
            }
            for (handoff_type, schema) in schemas {
                if set_handoff_schema_in(&tx, handoff_type, schema, who, now)? {
                    changed.handoff_schemas += 1;
                }
            }
        }
        if let Some(prices) = &settings.prices {
            let had = before.prices.unwrap_or_default();
            for price in prices {
                check_price(price).map_err(|(field, message)| StoreError::InvalidSetting {
                    field,
                    message: format!(
                        "{} {}: {message}",
                        price.api,
                        price.model.as_deref().unwrap_or("(every model)")
                    ),
                })?;
            }
            changed.prices = prices.iter().filter(|p| !had.contains(p)).count()
                + had.iter().filter(|p| !prices.contains(p)).count();
            tx.execute("DELETE FROM prices", params![])?;
            for price in prices {
                set_price_in(&tx, price, now)?;
            }
        }
        if let Some(readiness) = &settings.readiness {
            readiness
                .check()
                .map_err(|(field, message)| StoreError::InvalidSetting { field, message })?;
            if named_settings::set(&tx, named_settings::READINESS, readiness, now)? {
                changed.readiness = 1;
            }
        }
        if let Some(days) = settings.retention_days {
            check_retention(days)?;
            if named_settings::set(&tx, named_settings::RETENTION_DAYS, &days, now)? {
                changed.retention = 1;
            }
        }
        if let Some(cap) = settings.retention_max_bytes {
            crate::history::size::check_max_bytes(cap)?;
            if named_settings::set(&tx, named_settings::RETENTION_MAX_BYTES, &cap, now)? {
                changed.retention = 1;
            }
        }
        if let Some(otlp) = &settings.otlp {
            named_settings::check_otlp_settings(otlp)?;
            if named_settings::set(&tx, named_settings::OTLP, otlp, now)? {
                changed.otlp = 1;
            }
        }
        tx.commit()?;
        Ok(changed)
    }
}

fn same_quota(a: &UserQuota, b: &UserQuota) -> bool {
    (&a.api, &a.key, a.metric) == (&b.api, &b.key, b.metric)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn t() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap()
    }

    fn quota(api: &str, metric: Metric, limit: u64) -> UserQuota {
        UserQuota {
            api: api.into(),
            key: None,
            metric,
            limit,
            window_seconds: 60,
        }
    }

    fn settings() -> FleetSettings {
        FleetSettings {
            quotas: Some(vec![
                quota("openai", Metric::Tokens, 90_000),
                UserQuota {
                    key: Some("team".into()),
                    ..quota("openai", Metric::Requests, 500)
                },
            ]),
            pressure: Some(BTreeMap::from([(
                "openai".to_owned(),
                PressureLimits {
                    share_percent: 70,
                    horizon_minutes: 15,
                },
            )])),
            handoff_schemas: Some(BTreeMap::from([(
                "brief".to_owned(),
                json!({"type": "object", "required": ["topic"]}),
            )])),
            prices: Some(vec![Price {
                api: "openai".into(),
                model: Some("gpt-4o".into()),
                input_per_1k: 0.005,
                output_per_1k: 0.02,
                default: false,
            }]),
            readiness: Some(ReadinessThresholds {
                days: 14,
                ..ReadinessThresholds::default()
            }),
            retention_days: Some(90),
            retention_max_bytes: None,
            otlp: Some(baton_core::otel::OtlpSettings {
                enabled: false,
                listen: "0.0.0.0:14318".into(),
            }),
        }
    }

    #[test]
    fn settings_replaced_read_back_the_same_and_again_change_nothing() {
        let mut store = Store::open_in_memory().unwrap();
        let changed = store
            .replace_fleet_settings(&settings(), "ana", t())
            .unwrap();
        assert_eq!(
            changed,
            SettingsChanged {
                quotas: 2,
                pressure: 1,
                handoff_schemas: 1,
                prices: 1,
                readiness: 1,
                retention: 1,
                otlp: 1,
            }
        );
        let mut wanted = settings();
        wanted.quotas.as_mut().unwrap().sort();
        assert_eq!(store.fleet_settings().unwrap(), wanted);
        assert_eq!(
            store
                .replace_fleet_settings(&settings(), "ana", t())
                .unwrap(),
            SettingsChanged::default()
        );
        assert_eq!(store.quotas("openai", Some("team")).unwrap()[0].limit, 500);
        assert_eq!(store.pressure_limits("openai").unwrap().share_percent, 70);
    }

    #[test]
    fn a_part_left_out_stays_and_a_part_given_is_exactly_that() {
        let mut store = Store::open_in_memory().unwrap();
        store
            .replace_fleet_settings(&settings(), "ana", t())
            .unwrap();
        let only_quotas = FleetSettings {
            quotas: Some(vec![quota("anthropic", Metric::Requests, 50)]),
            ..FleetSettings::default()
        };
        let changed = store
            .replace_fleet_settings(&only_quotas, "ana", t())
            .unwrap();
        assert_eq!(changed.quotas, 3, "one added, two removed");
        let now = store.fleet_settings().unwrap();
        assert_eq!(now.quotas, only_quotas.quotas);
        assert_eq!(now.pressure, settings().pressure);
        assert_eq!(now.handoff_schemas, settings().handoff_schemas);
        assert_eq!(now.prices, settings().prices);
        assert_eq!(store.retention_days().unwrap(), 90);
        let none = FleetSettings {
            quotas: Some(vec![]),
            pressure: Some(BTreeMap::new()),
            handoff_schemas: Some(BTreeMap::new()),
            prices: Some(vec![]),
            readiness: Some(ReadinessThresholds::default()),
            retention_days: Some(30),
            retention_max_bytes: None,
            otlp: Some(baton_core::otel::OtlpSettings::default()),
        };
        store.replace_fleet_settings(&none, "ana", t()).unwrap();
        assert_eq!(store.fleet_settings().unwrap(), none);
    }

    #[test]
    fn one_bad_part_changes_nothing() {
        let mut store = Store::open_in_memory().unwrap();
        store
            .replace_fleet_settings(&settings(), "ana", t())
            .unwrap();
        let mut bad = FleetSettings {
            quotas: Some(vec![quota("x", Metric::Requests, 1)]),
            handoff_schemas: Some(BTreeMap::from([(
                "brief".to_owned(),
                json!({"type": "no such type"}),
            )])),
            ..FleetSettings::default()
        };
        assert!(matches!(
            store.replace_fleet_settings(&bad, "ana", t()),
            Err(StoreError::InvalidSchema(_))
        ));
        bad.handoff_schemas = None;
        bad.pressure = Some(BTreeMap::from([(
            "x".to_owned(),
            PressureLimits {
                share_percent: 101,
                horizon_minutes: 5,
            },
        )]));
        assert!(matches!(
            store.replace_fleet_settings(&bad, "ana", t()),
            Err(StoreError::InvalidRateLimit(_))
        ));
        let mut wanted = settings();
        wanted.quotas.as_mut().unwrap().sort();
        assert_eq!(store.fleet_settings().unwrap(), wanted);
    }
}
