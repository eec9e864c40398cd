//! Reading the rate-limit ledger (written at ingest, see `ledger.rs`), and what the user sets:
//! quotas per API, when use is pressure, budget splits.

use crate::db::{params, Db};
use baton_core::ratelimit::view::{BudgetShare, HeaderIssue, PressureLimits};
use baton_core::ratelimit::{Metric, MinuteUsage, Quota, QuotaSource, SlotTotal};
use chrono::{DateTime, Utc};

use crate::codec::{from_sql_int, parse_opt_ts, parse_ts, to_sql_int, ts};
use crate::error::{Result, StoreError};
use crate::Store;

/// The profile looks back at most this many days.
pub const PROFILE_DAYS: u32 = 7;

/// An API (and key) the ledger knows.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ApiKey {
    pub api: String,
    pub key: Option<String>,
}

fn key_text(key: Option<&str>) -> &str {
    key.unwrap_or("")
}

fn opt_key(key: String) -> Option<String> {
    (!key.is_empty()).then_some(key)
}

pub(crate) fn parse_metric(text: &str) -> Result<Metric> {
    Metric::parse(text).ok_or_else(|| StoreError::Corrupt(format!("rate-limit metric {text:?}")))
}

fn invalid(message: impl Into<String>) -> StoreError {
    StoreError::InvalidRateLimit(message.into())
}

impl Store {
    /// Every API (and key) with usage, limits or a quota, by name.
    pub fn rate_limited_apis(&self) -> Result<Vec<ApiKey>> {
        let stmt_sql = "SELECT api, key FROM api_minutes
             UNION SELECT api, key FROM api_limits
             UNION SELECT api, key FROM api_quotas
             ORDER BY 1, 2";
        let rows = self.db.query_map(stmt_sql, params![], |row| {
            Ok((row.get::<String>(0)?, row.get(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (api, key) = row;
            out.push(ApiKey {
                api,
                key: opt_key(key),
            });
        }
        Ok(out)
    }

    /// The agents' minutes of one API (and key) in `[from, to)` (seconds since the epoch), events
    /// and reports merged (the larger of the two per agent and minute).
    pub fn api_minutes(
        &self,
        api: &str,
        key: Option<&str>,
        from: i64,
        to: i64,
    ) -> Result<Vec<MinuteUsage>> {
        let stmt_sql = "SELECT minute, agent_id, greatest(ev_requests, rp_requests), greatest(ev_tokens, rp_tokens),
                    greatest(ev_429, rp_429), first_seq, first_429_seq
               FROM api_minutes
              WHERE api = ?1 AND key = ?2 AND minute >= ?3 AND minute < ?4
              ORDER BY minute, agent_id";
        let mut out = Vec::new();
        self.db
            .query_each(stmt_sql, params![api, key_text(key), from, to], |row| {
                let seq = |v: Option<i64>| v.map(|s| from_sql_int(s, "seq")).transpose();
                out.push(MinuteUsage {
                    minute: row.get(0)?,
                    agent_id: row.get(1)?,
                    requests: from_sql_int(row.get(2)?, "requests")?,
                    tokens: from_sql_int(row.get(3)?, "tokens")?,
                    rate_limited: from_sql_int(row.get(4)?, "rate_limited")?,
                    first_seq: seq(row.get(5)?)?,
                    first_429_seq: seq(row.get(6)?)?,
                });
                Ok(())
            })?;
        Ok(out)
    }

    /// The quotas of one API (and key): the ones the user set, then the ones the headers
    /// reported for other metrics (a user quota wins over the headers for its metric).
    pub fn quotas(&self, api: &str, key: Option<&str>) -> Result<Vec<Quota>> {
        quotas_in(&self.db, api, key)
    }

    /// Sets (or replaces) the user's quota for one API, key and metric.
    pub fn set_quota(
        &mut self,
        api: &str,
        key: Option<&str>,
        metric: Metric,
        limit: u64,
        window_seconds: u32,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let api = api.trim();
        crate::settings::UserQuota {
            api: api.to_owned(),
            key: key.map(str::to_owned),
            metric,
            limit,
            window_seconds,
        }
        .check()
        .map_err(invalid)?;
        self.db.execute(
            "INSERT INTO api_quotas (api, key, metric, limit_value, window_seconds, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (api, key, metric) DO UPDATE SET limit_value = excluded.limit_value,
                window_seconds = excluded.window_seconds, updated_at = excluded.updated_at",
            params![
                api,
                key_text(key),
                metric.as_str(),
                to_sql_int(limit, "limit")?,
                i64::from(window_seconds),
                ts(now)
            ],
        )?;
        Ok(())
    }

    /// Removes the user's quota (the headers' limit, if any, applies again). False when there
    /// was none.
    pub fn remove_quota(&mut self, api: &str, key: Option<&str>, metric: Metric) -> Result<bool> {
        let n = self.db.execute(
            "DELETE FROM api_quotas WHERE api = ?1 AND key = ?2 AND metric = ?3",
            params![api, key_text(key), metric.as_str()],
        )?;
        Ok(n > 0)
    }

    /// When one API's use is pressure (the defaults unless set).
    pub fn pressure_limits(&self, api: &str) -> Result<PressureLimits> {
        let found = self.db.query_opt(
            "SELECT pressure_percent, horizon_minutes FROM api_settings WHERE api = ?1",
            params![api],
            |row| Ok((row.get::<i64>(0)?, row.get::<i64>(1)?)),
        )?;
        Ok(match found {
            Some((share, horizon)) => PressureLimits {
                share_percent: u32::try_from(share).unwrap_or(80),
                horizon_minutes: u32::try_from(horizon).unwrap_or(30),
            },
            None => PressureLimits::default(),
        })
    }

    pub fn set_pressure_limits(
        &mut self,
        api: &str,
        limits: PressureLimits,
        now: DateTime<Utc>,
    ) -> Result<()> {
        limits.check().map_err(invalid)?;
        self.db.execute(
            "INSERT INTO api_settings (api, pressure_percent, horizon_minutes, updated_at)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (api) DO UPDATE SET pressure_percent = excluded.pressure_percent,
                horizon_minutes = excluded.horizon_minutes, updated_at = excluded.updated_at",
            params![
                api,
                i64::from(limits.share_percent),
                i64::from(limits.horizon_minutes),
                ts(now)
            ],
        )?;
        Ok(())
    }

    /// Per agent and quarter hour of the day, the totals over the whole days of history before
    /// `before` (at most [`PROFILE_DAYS`]), and how many days that is (0: under a day).
    pub fn slot_totals(
        &self,
        api: &str,
        key: Option<&str>,
        before: i64,
    ) -> Result<(Vec<SlotTotal>, u32)> {
        let earliest: Option<i64> = self.db.query_row(
            "SELECT min(minute) FROM api_minutes WHERE api = ?1 AND key = ?2",
            params![api, key_text(key)],
            |row| row.get(0),
        )?;
        let Some(earliest) = earliest else {
            return Ok((Vec::new(), 0));
        };
        let days = u32::try_from(((before - earliest) / 86_400).clamp(0, PROFILE_DAYS.into()))
            .unwrap_or(0);
        if days == 0 {
            return Ok((Vec::new(), 0));
        }
        let from = before - i64::from(days) * 86_400;
        let stmt_sql = "SELECT agent_id, (minute % 86400) / 900 AS slot,
                    sum(greatest(ev_requests, rp_requests)), sum(greatest(ev_tokens, rp_tokens))
               FROM api_minutes
              WHERE api = ?1 AND key = ?2 AND minute >= ?3 AND minute < ?4
              GROUP BY agent_id, slot";
        let mut out = Vec::new();
        self.db
            .query_each(stmt_sql, params![api, key_text(key), from, before], |row| {
                out.push(SlotTotal {
                    agent_id: row.get(0)?,
                    slot: usize::try_from(row.get::<i64>(1)?).unwrap_or(usize::MAX),
                    requests: from_sql_int(row.get(2)?, "requests")?,
                    tokens: from_sql_int(row.get(3)?, "tokens")?,
                });
                Ok(())
            })?;
        Ok((out, days))
    }

    /// The headers of one API Baton could not use, most frequent first.
    pub fn header_issues(&self, api: &str) -> Result<Vec<HeaderIssue>> {
        let stmt_sql = "SELECT header, reason, count, last_value, last_seen FROM header_issues
              WHERE api = ?1 ORDER BY count DESC, header";
        let mut out = Vec::new();
        self.db.query_each(stmt_sql, params![api], |row| {
            out.push(HeaderIssue {
                header: row.get(0)?,
                reason: row.get(1)?,
                count: from_sql_int(row.get(2)?, "count")?,
                last_value: row.get(3)?,
                last_seen: parse_ts(&row.get::<String>(4)?)?,
            });
            Ok(())
        })?;
        Ok(out)
    }

    /// The budget split last decided for one API (and key).
    pub fn budgets(&self, api: &str, key: Option<&str>) -> Result<Vec<BudgetShare>> {
        let stmt_sql = "SELECT agent_id, percent FROM api_budgets WHERE api = ?1 AND key = ?2
              ORDER BY agent_id";
        self.db
            .query_map(stmt_sql, params![api, key_text(key)], |row| {
                Ok(BudgetShare {
                    agent_id: row.get(0)?,
                    percent: row.get(1)?,
                })
            })
    }

    /// Drops ledger minutes older than `before` (seconds since the epoch). Returns how many.
    pub fn prune_api_minutes(&mut self, before: i64) -> Result<usize> {
        self.db
            .execute("DELETE FROM api_minutes WHERE minute < ?1", params![before])
    }
}

fn window(seconds: i64) -> Result<u32> {
    u32::try_from(seconds)
        .ok()
        .filter(|s| *s > 0)
        .ok_or_else(|| StoreError::Corrupt(format!("window_seconds {seconds}")))
}

/// See [`Store::quotas`] (also read inside a decision's transaction).
pub(crate) fn quotas_in(conn: &Db, api: &str, key: Option<&str>) -> Result<Vec<Quota>> {
    let mut quotas: Vec<Quota> = Vec::new();
    let stmt_sql = "SELECT metric, limit_value, window_seconds FROM api_quotas
              WHERE api = ?1 AND key = ?2 ORDER BY metric";
    conn.query_each(stmt_sql, params![api, key_text(key)], |row| {
        quotas.push(Quota {
            metric: parse_metric(&row.get::<String>(0)?)?,
            policy: None,
            limit: from_sql_int(row.get(1)?, "limit")?,
            window_seconds: window(row.get(2)?)?,
            source: QuotaSource::User,
            remaining: None,
            reset_at: None,
            seen_at: None,
        });
        Ok(())
    })?;
    let stmt_sql =
        "SELECT metric, policy, limit_value, remaining, reset_at, window_seconds, seen_at
               FROM api_limits
              WHERE api = ?1 AND key = ?2 AND limit_value IS NOT NULL
              ORDER BY metric, window_seconds, policy";
    conn.query_each(stmt_sql, params![api, key_text(key)], |row| {
        let metric = parse_metric(&row.get::<String>(0)?)?;
        let remaining: Option<i64> = row.get(3)?;
        let from_headers = Quota {
            metric,
            policy: opt_key(row.get(1)?),
            limit: from_sql_int(row.get(2)?, "limit")?,
            window_seconds: window(row.get(5)?)?,
            source: QuotaSource::Headers,
            remaining: remaining
                .map(|r| from_sql_int(r, "remaining"))
                .transpose()?,
            reset_at: parse_opt_ts(row.get(4)?)?,
            seen_at: Some(parse_ts(&row.get::<String>(6)?)?),
        };
        match quotas
            .iter_mut()
            .find(|q| q.source == QuotaSource::User && q.metric == metric)
        {
            // The user's limit stands; the provider's remaining still tells.
            Some(user) => {
                if user.seen_at.is_none() {
                    user.remaining = from_headers.remaining;
                    user.reset_at = from_headers.reset_at;
                    user.seen_at = from_headers.seen_at;
                }
            }
            None => quotas.push(from_headers),
        }
        Ok(())
    })?;
    // Requests first: the view's headline quota.
    quotas.sort_by_key(|q| (q.metric, q.window_seconds));
    Ok(quotas)
}
