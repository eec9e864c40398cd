//! What is shown of coding usage: a session's tokens and cost (the Agents view, `baton
//! usage`), and each limit window with its burn rate and forecast (the Rate limits view,
//! `baton status`, `baton usage`, the detector).

use baton_core::cost::day_of;
use baton_core::hooks::HookClient;
use baton_core::usage::{
    burn_per_minute, runs_out_at, usage_api, window_label, ModelTokens, SessionBurn, SessionUsage,
    TokenUse, UsageWindow, WindowSample, BURN_MINUTES,
};
use chrono::{DateTime, Duration, Utc};

use crate::codec::{parse_opt_ts, parse_ts, ts};
use crate::db::{params, Row};
use crate::error::Result;
use crate::Store;

/// How far back a window's chart goes.
const CHART_HOURS: i64 = 6;

fn tokens_at(row: &Row<'_>, at: usize) -> Result<TokenUse> {
    let count = |i: usize| -> Result<u64> {
        Ok(u64::try_from(row.get::<Option<i64>>(at + i)?.unwrap_or(0)).unwrap_or(0))
    };
    Ok(TokenUse {
        input: count(0)?,
        output: count(1)?,
        cache_read: count(2)?,
        cache_write: count(3)?,
    })
}

const SUMS: &str = "sum(input), sum(output), sum(cache_read), sum(cache_write)";

impl Store {
    /// Session `agent_id`'s tokens per model, in all and today (UTC), priced; None before any
    /// usage was read.
    pub fn session_usage(
        &self,
        agent_id: i64,
        client: HookClient,
        now: DateTime<Utc>,
    ) -> Result<Option<SessionUsage>> {
        // Per model, the tokens the client priced (its telemetry's figures) apart from the rest.
        let per_model = |since: Option<String>| -> Result<Vec<ModelTokens>> {
            let sql = format!(
                "SELECT model, {SUMS}, sum(cost_usd) FROM session_usage
                  WHERE agent_id = ?1 AND at >= ?2
                  GROUP BY model, cost_usd IS NULL ORDER BY model, cost_usd IS NULL"
            );
            self.db
                .query_map(&sql, params![agent_id, since.unwrap_or_default()], |row| {
                    let model: String = row.get(0)?;
                    Ok(ModelTokens {
                        model: (!model.is_empty()).then_some(model),
                        tokens: tokens_at(row, 1)?,
                        client_usd: row.get(5)?,
                    })
                })
        };
        let all = per_model(None)?;
        if all.is_empty() {
            return Ok(None);
        }
        let today = per_model(Some(format!("{}T", day_of(now))))?;
        let table = self.prices()?;
        let mut usage = SessionUsage::priced(&table, usage_api(client), &all, &today);
        usage.client_usd = self
            .db
            .query_opt(
                "SELECT reported_cost_usd FROM sessions WHERE agent_id = ?1",
                params![agent_id],
                |row| row.get::<Option<f64>>(0),
            )?
            .flatten();
        Ok(Some(usage))
    }

    /// Session `agent_id`'s tokens per turn (the turn they were read in), oldest first.
    pub fn turn_usage(&self, agent_id: i64) -> Result<Vec<(i64, TokenUse)>> {
        let sql = format!(
            "SELECT turn, {SUMS} FROM session_usage WHERE agent_id = ?1 GROUP BY turn ORDER BY turn"
        );
        self.db.query_map(&sql, params![agent_id], |row| {
            Ok((row.get(0)?, tokens_at(row, 1)?))
        })
    }

    /// Every limit window known, with its burn rate over the last [`BURN_MINUTES`] minutes,
    /// when it runs out at that rate, and the sessions of its account that burned most.
    pub fn usage_windows(&self, now: DateTime<Utc>) -> Result<Vec<UsageWindow>> {
        let mut windows = self.db.query_map(
            "SELECT client, account, window_name, used_percent, window_minutes, resets_at,
                    seen_at, paused_until
               FROM usage_windows ORDER BY client, account, window_name",
            params![],
            |row| {
                let window: String = row.get(2)?;
                let minutes = row
                    .get::<Option<i64>>(4)?
                    .and_then(|m| u32::try_from(m).ok());
                Ok(UsageWindow {
                    client: row.get(0)?,
                    account: row.get(1)?,
                    label: window_label(&window, minutes),
                    window,
                    used_percent: row.get(3)?,
                    window_minutes: minutes,
                    resets_at: parse_opt_ts(row.get(5)?)?,
                    seen_at: parse_ts(&row.get::<String>(6)?)?,
                    burn_per_hour: None,
                    runs_out_at: None,
                    paused_until: parse_opt_ts(row.get(7)?)?.filter(|p| *p > now),
                    sessions: Vec::new(),
                    samples: Vec::new(),
                })
            },
        )?;
        let since = now - Duration::hours(CHART_HOURS);
        let burn_since = ts(now - Duration::minutes(BURN_MINUTES));
        for w in &mut windows {
            w.samples = self.db.query_map(
                "SELECT at, used_percent FROM usage_window_samples
                  WHERE client = ?1 AND account = ?2 AND window_name = ?3 AND at >= ?4
                  ORDER BY at",
                params![w.client, w.account, w.window, ts(since)],
                |row| {
                    Ok(WindowSample {
                        at: parse_ts(&row.get::<String>(0)?)?,
                        used_percent: row.get(1)?,
                    })
                },
            )?;
            // A reading older than the chart is the chart's start.
            if w.samples.is_empty() || w.samples[0].at > w.seen_at {
                w.samples.insert(
                    0,
                    WindowSample {
                        at: w.seen_at,
                        used_percent: w.used_percent,
                    },
                );
            }
            let rate = burn_per_minute(&w.samples, now);
            w.burn_per_hour = rate.map(|r| r * 60.0);
            w.runs_out_at = runs_out_at(w.used_percent, rate, now, w.resets_at);
            w.sessions = self.db.query_map(
                "SELECT s.agent_id, a.name,
                        sum(u.input + u.output + u.cache_read + u.cache_write) AS burned
                   FROM session_usage u JOIN sessions s ON s.agent_id = u.agent_id
                   JOIN agents a ON a.id = s.agent_id
                  WHERE s.client = ?1 AND s.account = ?2 AND u.at >= ?3
                  GROUP BY s.agent_id, a.name ORDER BY burned DESC, s.agent_id",
                params![w.client, w.account, burn_since],
                |row| {
                    Ok(SessionBurn {
                        agent_id: row.get(0)?,
                        name: row.get(1)?,
                        tokens: u64::try_from(row.get::<i64>(2)?).unwrap_or(0),
                    })
                },
            )?;
        }
        Ok(windows)
    }
}
