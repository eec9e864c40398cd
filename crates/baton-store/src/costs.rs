//! What the agents' API calls cost: tokens counted at ingest per agent, UTC day, API, model and
//! task (`api_costs`: from `api_call` events, and from usage reports, which name no task), the
//! user's prices (`prices`; Baton's defaults fill in, see `baton_core::cost`), and each agent's
//! daily budget (`agent_budgets`). Dollars are worked out when read, so a price edited today
//! reprices the past too.

use baton_core::cost::{
    check_price, day_of, last_days, price_table, price_usage, AgentCost, DayCost, Price, TaskCost,
    TokenCount, Usage, COST_DAYS,
};
use baton_core::protocol::{Event, UsageReport};
use std::collections::HashMap;

use crate::db::{params, Db, Row, RowsSql};
use chrono::{DateTime, Utc};

use crate::codec::{from_sql_int, to_sql_int, ts};
use crate::error::{Result, StoreError};
use crate::ledger::{api_of, MAX_TOKENS_PER_CALL};
use crate::Store;

/// Most a daily budget may be: a million dollars (a typo guard).
pub const MAX_DAILY_BUDGET: f64 = 1_000_000.0;

fn capped(count: TokenCount) -> TokenCount {
    TokenCount {
        input: count.input.min(MAX_TOKENS_PER_CALL),
        output: count.output.min(MAX_TOKENS_PER_CALL),
        unsplit: count.unsplit.min(MAX_TOKENS_PER_CALL),
    }
}

/// Adds a report's `tokens` (negative to take away) to one row (the calls' tokens:
/// `crate::poll_calls`).
/// A report's change to the tokens of one `api_costs` row (`rp_` columns), kept at zero or
/// more: as [`crate::ledger`]'s minutes, a group's rows in one statement on PostgreSQL, the new
/// value read from the stored row in the statement.
static REPORTED_COST: RowsSql = RowsSql {
    before: "INSERT INTO api_costs (agent_id, day, api, model, task_id, calls, rp_input,
                                    rp_output, rp_unsplit)
             SELECT v.column1, v.column2, v.column3, v.column4, '', 0,
                    greatest(0, coalesce(c.rp_input, 0) + v.column5),
                    greatest(0, coalesce(c.rp_output, 0) + v.column6),
                    greatest(0, coalesce(c.rp_unsplit, 0) + v.column7)
               FROM (VALUES",
    columns: 7,
    after: ") AS v
               LEFT JOIN LATERAL (
                    SELECT s.rp_input, s.rp_output, s.rp_unsplit FROM api_costs s
                     WHERE s.agent_id = v.column1 AND s.day = v.column2 AND s.api = v.column3
                       AND s.model = v.column4 AND s.task_id = '' OFFSET 0) AS c ON true
              WHERE true
             ON CONFLICT (agent_id, day, api, model, task_id) DO UPDATE SET
                rp_input = excluded.rp_input, rp_output = excluded.rp_output,
                rp_unsplit = excluded.rp_unsplit",
    key: &[0, 1, 2, 3],
    one: Some(
        "INSERT INTO api_costs (agent_id, day, api, model, task_id, calls, rp_input, rp_output,
                                rp_unsplit)
         VALUES (?1, ?2, ?3, ?4, '', 0, greatest(0, ?5), greatest(0, ?6), greatest(0, ?7))
         ON CONFLICT (agent_id, day, api, model, task_id) DO UPDATE SET
            rp_input = greatest(0, api_costs.rp_input + ?5),
            rp_output = greatest(0, api_costs.rp_output + ?6),
            rp_unsplit = greatest(0, api_costs.rp_unsplit + ?7)",
    ),
    numbered: false,
    anytime: false,
};

fn add_report_tokens(
    conn: &Db,
    agent_id: i64,
    (day, api, model): (&str, &str, &str),
    [input, output, unsplit]: [i64; 3],
) -> Result<()> {
    conn.write_row(
        &REPORTED_COST,
        params![agent_id, day, api, model, input, output, unsplit],
    )
}

fn signed(count: TokenCount, sign: i64) -> Result<[i64; 3]> {
    Ok([
        sign * to_sql_int(count.input, "input tokens")?,
        sign * to_sql_int(count.output, "output tokens")?,
        sign * to_sql_int(count.unsplit, "tokens")?,
    ])
}

/// Where the tokens of one newly stored `api_call` event count in `api_costs` (its day, API,
/// model and task) and how many (input, output, unsplit); None when it names no API.
pub(crate) fn call_cost(event: &Event) -> Result<Option<(CostKey<'_>, [i64; 3])>> {
    let Some(api) = api_of(event) else {
        return Ok(None);
    };
    let count = capped(TokenCount::of_call(
        event.tokens,
        event.input_tokens,
        event.output_tokens,
    ));
    let key = (
        day_of(event.at),
        api,
        event.model.as_deref().unwrap_or("").trim(),
        event.task_id.as_deref().unwrap_or(""),
    );
    Ok(Some((key, signed(count, 1)?)))
}

/// The row of `api_costs` a call counts in, for an agent: day, API, model, task.
pub(crate) type CostKey<'e> = (String, &'e str, &'e str, &'e str);

fn report_tokens(report: &UsageReport) -> TokenCount {
    capped(TokenCount::of_call(
        Some(report.tokens),
        report.input_tokens,
        report.output_tokens,
    ))
}

/// Moves a report's tokens from what `previous` (the window as stored before) counted to what
/// `report` counts (inside the ingest transaction).
pub(crate) fn record_report_cost(
    conn: &Db,
    agent_id: i64,
    previous: Option<&UsageReport>,
    report: &UsageReport,
) -> Result<()> {
    let api = report.api.trim();
    if api.is_empty() {
        return Ok(());
    }
    // Out with what the window counted before, in with what it counts now: summed per row
    // first (the same day and model, as a window's new report mostly is, is one change).
    let moves = previous.map(|p| (p, -1)).into_iter().chain([(report, 1)]);
    let mut changes: Vec<((String, String), [i64; 3])> = Vec::with_capacity(2);
    for (window, sign) in moves {
        let day = day_of(window.window_start);
        let model = window
            .model
            .as_deref()
            .unwrap_or_default()
            .trim()
            .to_owned();
        let tokens = signed(report_tokens(window), sign)?;
        match changes
            .iter_mut()
            .find(|(key, _)| key.0 == day && key.1 == model)
        {
            Some((_, sum)) => (0..3).for_each(|k| sum[k] += tokens[k]),
            None => changes.push(((day, model), tokens)),
        }
    }
    for ((day, model), tokens) in changes {
        add_report_tokens(conn, agent_id, (&day, api, &model), tokens)?;
    }
    Ok(())
}

/// One `api_costs` row as usage.
fn read_usage(row: &Row<'_>) -> Result<Usage> {
    let model: String = row.get(1)?;
    let n = |i: usize, what: &str| -> Result<u64> { from_sql_int(row.get(i)?, what) };
    Ok(Usage {
        api: row.get(0)?,
        model: (!model.is_empty()).then_some(model),
        calls: n(2, "calls")?,
        events: TokenCount {
            input: n(3, "input tokens")?,
            output: n(4, "output tokens")?,
            unsplit: n(5, "tokens")?,
        },
        reports: TokenCount {
            input: n(6, "input tokens")?,
            output: n(7, "output tokens")?,
            unsplit: n(8, "tokens")?,
        },
    })
}

const USAGE_COLS: &str = "api, model, sum(calls), sum(ev_input), sum(ev_output), \
     sum(ev_unsplit), sum(rp_input), sum(rp_output), sum(rp_unsplit)";

impl Store {
    /// The user's prices, by API and model.
    pub fn user_prices(&self) -> Result<Vec<Price>> {
        let stmt_sql =
            "SELECT api, model, input_per_1k, output_per_1k FROM prices ORDER BY api, model";
        let rows = self.db.query_map(stmt_sql, params![], |row| {
            let model: String = row.get(1)?;
            Ok(Price {
                api: row.get(0)?,
                model: (!model.is_empty()).then_some(model),
                input_per_1k: row.get(2)?,
                output_per_1k: row.get(3)?,
                default: false,
            })
        })?;
        Ok(rows.into_iter().collect())
    }

    /// The prices in force: the user's, and Baton's defaults where the user has none.
    pub fn prices(&self) -> Result<Vec<Price>> {
        Ok(price_table(&self.user_prices()?))
    }

    /// Sets the user's price for an API and model (it replaces a default for the same ones).
    pub fn set_price(&mut self, price: &Price, now: DateTime<Utc>) -> Result<()> {
        set_price_in(&self.db, price, now)
    }

    /// Removes the user's price for an API and model (a default for them applies again); false
    /// when there was none.
    pub fn remove_price(&mut self, api: &str, model: Option<&str>) -> Result<bool> {
        Ok(self.db.execute(
            "DELETE FROM prices WHERE api = ?1 AND model = ?2",
            params![api.trim(), model.map(str::trim).unwrap_or("")],
        )? > 0)
    }

    /// Replaces every user price with `prices` (a `baton.toml`'s `[[prices]]`), in one
    /// transaction; how many there are now.
    pub fn replace_prices(&mut self, prices: &[Price], now: DateTime<Utc>) -> Result<usize> {
        let tx = self.write_tx()?;
        tx.execute("DELETE FROM prices", params![])?;
        for price in prices {
            set_price_in(&tx, price, now)?;
        }
        tx.commit()?;
        Ok(prices.len())
    }

    /// The agent's daily budget, in dollars.
    pub fn daily_budget(&self, agent_id: i64) -> Result<Option<f64>> {
        self.db.query_opt(
            "SELECT daily_usd FROM agent_budgets WHERE agent_id = ?1",
            params![agent_id],
            |row| row.get(0),
        )
    }

    /// Sets (or with None removes) the agent's daily budget.
    pub fn set_daily_budget(
        &mut self,
        agent_id: i64,
        usd: Option<f64>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        set_budget_in(&self.db, agent_id, usd, now)
    }

    /// Every agent's daily budget: (agent id, dollars).
    pub fn daily_budgets(&self) -> Result<Vec<(i64, f64)>> {
        let rows = self.db.query_map(
            "SELECT agent_id, daily_usd FROM agent_budgets ORDER BY agent_id",
            params![],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        Ok(rows.into_iter().collect())
    }

    /// The usage of one agent on one day (`day`: `YYYY-MM-DD`), per API and model.
    fn day_usage(&self, agent_id: i64, day: &str) -> Result<Vec<Usage>> {
        let stmt_sql = &format!(
            "SELECT {USAGE_COLS} FROM api_costs WHERE agent_id = ?1 AND day = ?2
              GROUP BY api, model"
        );
        let mut out = Vec::new();
        self.db
            .query_each(stmt_sql, params![agent_id, day], |row| {
                out.push(read_usage(row)?);
                Ok(())
            })?;
        Ok(out)
    }

    /// What each agent's calls cost today and on each of the last days, with its budget (one
    /// read of the days' rows for every agent).
    pub fn agent_costs(&self, now: DateTime<Utc>) -> Result<Vec<AgentCost>> {
        let table = self.prices()?;
        let budgets: HashMap<i64, f64> = self.daily_budgets()?.into_iter().collect();
        let days = last_days(now, COST_DAYS);
        let mut usage: HashMap<(i64, String), Vec<Usage>> = HashMap::new();
        let stmt_sql = &format!(
            "SELECT {USAGE_COLS}, agent_id, day FROM api_costs WHERE day >= ?1
              GROUP BY agent_id, day, api, model"
        );
        self.db.query_each(
            stmt_sql,
            params![days.first().map(String::as_str).unwrap_or("")],
            |row| {
                usage
                    .entry((row.get(9)?, row.get(10)?))
                    .or_default()
                    .push(read_usage(row)?);
                Ok(())
            },
        )?;
        let ids: Vec<i64> =
            self.db
                .query_map("SELECT id FROM agents ORDER BY id", params![], |row| {
                    row.get(0)
                })?;
        let mut out = Vec::new();
        for id in ids {
            let mut spent = Vec::new();
            let mut today = None;
            for day in &days {
                let cost = usage
                    .get(&(id, day.clone()))
                    .map(|u| price_usage(u, &table))
                    .unwrap_or_default();
                spent.push(DayCost {
                    day: day.clone(),
                    usd: cost.usd,
                    tokens: cost.tokens,
                });
                today = Some(cost);
            }
            out.push(AgentCost {
                agent_id: id,
                today: today.unwrap_or_default(),
                days: spent,
                daily_budget_usd: budgets.get(&id).copied(),
            });
        }
        Ok(out)
    }

    /// What one task's calls cost (every day of it).
    pub fn task_cost(&self, agent_id: i64, task_id: &str) -> Result<TaskCost> {
        let stmt_sql = &format!(
            "SELECT {USAGE_COLS} FROM api_costs WHERE agent_id = ?1 AND task_id = ?2
              GROUP BY api, model"
        );
        let mut usage = Vec::new();
        self.db
            .query_each(stmt_sql, params![agent_id, task_id], |row| {
                usage.push(read_usage(row)?);
                Ok(())
            })?;
        Ok(TaskCost {
            agent_id,
            task_id: task_id.to_owned(),
            calls: usage.iter().map(|u| u.calls).sum(),
            cost: price_usage(&usage, &self.prices()?),
        })
    }

    /// Today's spending of each agent with a budget: (agent id, name, spent, budget).
    pub fn spending_against_budgets(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<(i64, String, f64, f64)>> {
        let budgets = self.daily_budgets()?;
        if budgets.is_empty() {
            return Ok(Vec::new());
        }
        let table = self.prices()?;
        let day = day_of(now);
        let mut out = Vec::new();
        for (id, budget) in budgets {
            let name: String = self.db.query_row(
                "SELECT name FROM agents WHERE id = ?1",
                params![id],
                |row| row.get(0),
            )?;
            let spent = price_usage(&self.day_usage(id, &day)?, &table).usd;
            out.push((id, name, spent, budget));
        }
        Ok(out)
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> StoreError {
    StoreError::InvalidSetting {
        field,
        message: message.into(),
    }
}

pub(crate) fn set_price_in(conn: &Db, price: &Price, now: DateTime<Utc>) -> Result<()> {
    check_price(price).map_err(|(field, message)| invalid(field, message))?;
    conn.execute(
        "INSERT INTO prices (api, model, input_per_1k, output_per_1k, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (api, model) DO UPDATE SET input_per_1k = excluded.input_per_1k,
            output_per_1k = excluded.output_per_1k, updated_at = excluded.updated_at",
        params![
            price.api.trim(),
            price.model.as_deref().map(str::trim).unwrap_or(""),
            price.input_per_1k,
            price.output_per_1k,
            ts(now)
        ],
    )?;
    Ok(())
}

pub(crate) fn set_budget_in(
    conn: &Db,
    agent_id: i64,
    usd: Option<f64>,
    now: DateTime<Utc>,
) -> Result<()> {
    let exists: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM agents WHERE id = ?1)",
        params![agent_id],
        |row| row.get(0),
    )?;
    if !exists {
        return Err(StoreError::AgentNotFound(agent_id));
    }
    match usd {
        Some(usd) if !usd.is_finite() || usd <= 0.0 || usd > MAX_DAILY_BUDGET => Err(invalid(
            "daily_budget_usd",
            format!("a daily budget is a number of dollars above 0, at most {MAX_DAILY_BUDGET}"),
        )),
        Some(usd) => {
            conn.execute(
                "INSERT INTO agent_budgets (agent_id, daily_usd, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (agent_id) DO UPDATE SET daily_usd = excluded.daily_usd,
                    updated_at = excluded.updated_at",
                params![agent_id, usd, ts(now)],
            )?;
            Ok(())
        }
        None => {
            conn.execute(
                "DELETE FROM agent_budgets WHERE agent_id = ?1",
                params![agent_id],
            )?;
            Ok(())
        }
    }
}
