//! API usage the agents report: one row per (agent, api, key, window), latest report wins.

use crate::db::{as_params, params, Db, RowsSql, Value};
use baton_core::protocol::UsageReport;
use chrono::{DateTime, Utc};

use crate::codec::{from_sql_int, parse_ts, to_sql_int, ts};
use crate::error::{Result, StoreError};
use crate::Store;

/// One stored usage window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageSample {
    pub agent_id: i64,
    pub api: String,
    pub key: Option<String>,
    pub window_start: DateTime<Utc>,
    pub window_seconds: u32,
    pub requests: u64,
    pub tokens: u64,
    pub rate_limited: u64,
    /// When Baton last stored new numbers for this window.
    pub reported_at: DateTime<Utc>,
}

/// A usage window's numbers, stored when they changed (a group's windows in one statement on
/// PostgreSQL).
static USAGE_SAMPLE: RowsSql = RowsSql {
    before: "INSERT INTO usage_samples (agent_id, api, key, window_start, window_seconds,
                                        requests, tokens, rate_limited, reported_at, model,
                                        input_tokens, output_tokens) VALUES",
    columns: 12,
    after: "ON CONFLICT (agent_id, api, key, window_start) DO UPDATE SET
                window_seconds = excluded.window_seconds, requests = excluded.requests,
                tokens = excluded.tokens, rate_limited = excluded.rate_limited,
                reported_at = excluded.reported_at, model = excluded.model,
                input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens
             WHERE (usage_samples.window_seconds, usage_samples.requests, usage_samples.tokens,
                    usage_samples.rate_limited, usage_samples.model, usage_samples.input_tokens,
                    usage_samples.output_tokens)
                   IS DISTINCT FROM (excluded.window_seconds, excluded.requests, excluded.tokens,
                           excluded.rate_limited, excluded.model, excluded.input_tokens,
                           excluded.output_tokens)",
    key: &[0, 1, 2, 3],
    one: None,
    numbered: false,
    anytime: false,
};

/// Upserts one report inside the ingest transaction, given the window as stored before
/// (`previous`, read ahead). Returns `true` when a row was inserted or its numbers changed,
/// `false` when the report repeats what is stored.
pub(crate) fn upsert_usage(
    conn: &Db,
    agent_id: i64,
    report: &UsageReport,
    previous: Option<&UsageReport>,
    seen_at: DateTime<Utc>,
) -> Result<bool> {
    let numbers = |r: &UsageReport| {
        (
            r.window_seconds,
            r.requests,
            r.tokens,
            r.rate_limited,
            r.model.clone(),
            r.input_tokens,
            r.output_tokens,
        )
    };
    if previous.is_some_and(|p| numbers(p) == numbers(report)) {
        return Ok(false);
    }
    conn.write_row(
        &USAGE_SAMPLE,
        params![
            agent_id,
            report.api,
            report.key.as_deref().unwrap_or(""),
            ts(report.window_start),
            i64::from(report.window_seconds),
            to_sql_int(report.requests, "usage requests")?,
            to_sql_int(report.tokens, "usage tokens")?,
            to_sql_int(report.rate_limited, "usage rate_limited")?,
            ts(seen_at),
            report.model,
            report
                .input_tokens
                .map(|t| to_sql_int(t, "usage input_tokens"))
                .transpose()?,
            report
                .output_tokens
                .map(|t| to_sql_int(t, "usage output_tokens"))
                .transpose()?,
        ],
    )?;
    Ok(true)
}

impl Store {
    /// Stored usage windows (one agent's, or everyone's), ordered by window start, api, agent.
    pub fn usage_samples(&self, agent: Option<i64>) -> Result<Vec<UsageSample>> {
        let sql = format!(
            "SELECT agent_id, api, key, window_start, window_seconds, requests, tokens,
                    rate_limited, reported_at
               FROM usage_samples {}
              ORDER BY window_start, api, agent_id, key",
            if agent.is_some() {
                "WHERE agent_id = ?1"
            } else {
                ""
            }
        );
        let bound: Vec<Value> = agent.into_iter().map(Value::Int).collect();
        let mut out = Vec::new();
        self.db.query_each(&sql, &as_params(&bound), |row| {
            let key: String = row.get(2)?;
            let window_seconds: i64 = row.get(4)?;
            out.push(UsageSample {
                agent_id: row.get(0)?,
                api: row.get(1)?,
                key: (!key.is_empty()).then_some(key),
                window_start: parse_ts(&row.get::<String>(3)?)?,
                window_seconds: u32::try_from(window_seconds)
                    .map_err(|_| StoreError::Corrupt(format!("window_seconds {window_seconds}")))?,
                requests: from_sql_int(row.get(5)?, "requests")?,
                tokens: from_sql_int(row.get(6)?, "tokens")?,
                rate_limited: from_sql_int(row.get(7)?, "rate_limited")?,
                reported_at: parse_ts(&row.get::<String>(8)?)?,
            });
            Ok(())
        })?;
        Ok(out)
    }
}
