//! A poll's new `api_call` events into the rate-limit ledger and the costs, summed per row
//! before anything is written: one row per agent, API, key and minute in `api_minutes`, one
//! per limit in `api_limits`, one per day, API, model and task in `api_costs`, where the
//! events wrote one each. Each kind goes out as a [`RowsSql`] (a group's rows of a kind in one
//! statement on PostgreSQL: `crate::db`'s rows), kind after kind.

use std::collections::BTreeMap;

use baton_core::protocol::Event;

use crate::costs::{call_cost, CostKey};
use crate::db::{Db, Kind, RowsSql, Value};
use crate::error::Result;
use crate::ledger::{call_count, call_limits, CallCount, LimitSeen, MinuteKey};

/// The calls counted in an agent's minute (`api_minutes`, the `ev_` columns).
static CALL_MINUTES: RowsSql = RowsSql {
    before: "INSERT INTO api_minutes (api, key, minute, agent_id, ev_requests, ev_tokens, ev_429,
                                      first_seq, first_429_seq) VALUES",
    columns: 9,
    after: "ON CONFLICT (api, key, minute, agent_id) DO UPDATE SET
            ev_requests = api_minutes.ev_requests + excluded.ev_requests,
            ev_tokens = api_minutes.ev_tokens + excluded.ev_tokens,
            ev_429 = api_minutes.ev_429 + excluded.ev_429,
            first_seq = least(api_minutes.first_seq, excluded.first_seq),
            first_429_seq = least(api_minutes.first_429_seq, excluded.first_429_seq)",
    key: &[0, 1, 2, 3],
    one: None,
    numbered: false,
    anytime: false,
};

/// A limit's reading written over the stored one unless older (what it leaves out kept).
macro_rules! keep_the_later {
    () => {
        "ON CONFLICT (api, key, metric, policy) DO UPDATE SET
            family = excluded.family,
            limit_value = coalesce(excluded.limit_value, api_limits.limit_value),
            remaining = excluded.remaining,
            reset_at = excluded.reset_at,
            window_seconds = excluded.window_seconds,
            agent_id = excluded.agent_id,
            seen_at = excluded.seen_at
         WHERE excluded.seen_at >= api_limits.seen_at"
    };
}

/// The limits last seen (`api_limits`). Agents share a limit (one API key), so a group's rows
/// name one row many times: the statement keeps, of each key's rows, the latest reading (the
/// later one in the statement on a tie) and the latest limit given among the readings that
/// were each the latest when written, as writing them one after another does; the stored
/// row changes only for a reading not older than it.
static LIMITS_SEEN: RowsSql = RowsSql {
    before: "WITH v (n, api, key, metric, policy, family, limit_value, remaining, reset_at,
                     window_seconds, agent_id, seen_at) AS (VALUES",
    columns: 11,
    after: concat!(
        ")
        INSERT INTO api_limits (api, key, metric, policy, family, limit_value, remaining,
                                reset_at, window_seconds, agent_id, seen_at)
        SELECT v.api, v.key, v.metric, v.policy, v.family,
               coalesce(v.limit_value,
                        (SELECT w.limit_value FROM v AS w
                          WHERE w.api = v.api AND w.key = v.key AND w.metric = v.metric
                            AND w.policy = v.policy AND w.limit_value IS NOT NULL
                            AND NOT EXISTS (SELECT 1 FROM v AS x
                                             WHERE x.api = w.api AND x.key = w.key
                                               AND x.metric = w.metric AND x.policy = w.policy
                                               AND x.n < w.n AND x.seen_at > w.seen_at)
                          ORDER BY w.seen_at DESC, w.n DESC LIMIT 1)),
               v.remaining, v.reset_at, v.window_seconds, v.agent_id, v.seen_at
          FROM v
         WHERE NOT EXISTS (SELECT 1 FROM v AS w
                            WHERE w.api = v.api AND w.key = v.key AND w.metric = v.metric
                              AND w.policy = v.policy
                              AND (w.seen_at > v.seen_at OR (w.seen_at = v.seen_at AND w.n > v.n)))
        ",
        keep_the_later!()
    ),
    key: &[],
    one: Some(concat!(
        "INSERT INTO api_limits (api, key, metric, policy, family, limit_value, remaining,
                                 reset_at, window_seconds, agent_id, seen_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ",
        keep_the_later!()
    )),
    numbered: true,
    anytime: false,
};

/// The calls' tokens (`api_costs`, the `ev_` columns).
static CALL_COSTS: RowsSql = RowsSql {
    before: "INSERT INTO api_costs (agent_id, day, api, model, task_id, calls, ev_input,
                                    ev_output, ev_unsplit) VALUES",
    columns: 9,
    after: "ON CONFLICT (agent_id, day, api, model, task_id) DO UPDATE SET
            calls = api_costs.calls + excluded.calls,
            ev_input = api_costs.ev_input + excluded.ev_input,
            ev_output = api_costs.ev_output + excluded.ev_output,
            ev_unsplit = api_costs.ev_unsplit + excluded.ev_unsplit",
    key: &[0, 1, 2, 3, 4],
    one: None,
    numbered: false,
    anytime: false,
};

/// A poll's new calls, summed per row (see the module docs).
#[derive(Debug, Default)]
pub(crate) struct PollCalls<'e> {
    minutes: BTreeMap<MinuteKey<'e>, CallCount>,
    limits: BTreeMap<(String, String, String, String), LimitSeen>,
    costs: BTreeMap<CostKey<'e>, (i64, [i64; 3])>,
}

impl<'e> PollCalls<'e> {
    /// Counts one newly stored `api_call` event (the caller makes sure it is new). Headers that
    /// could not be read are counted in `header_issues` at once.
    pub(crate) fn add(&mut self, db: &Db, event: &'e Event) -> Result<()> {
        if let Some((key, count)) = call_count(event)? {
            self.minutes
                .entry(key)
                .and_modify(|c| c.add(count))
                .or_insert(count);
        }
        for seen in call_limits(db, event)? {
            match self.limits.get_mut(&seen.key) {
                Some(kept) => kept.then(seen),
                None => {
                    self.limits.insert(seen.key.clone(), seen);
                }
            }
        }
        if let Some((key, tokens)) = call_cost(event)? {
            let row = self.costs.entry(key).or_default();
            row.0 += 1;
            (0..3).for_each(|k| row.1[k] += tokens[k]);
        }
        Ok(())
    }

    /// Writes the sums: the minutes, then the limits, then the costs.
    pub(crate) fn write(&self, db: &Db, agent_id: i64) -> Result<()> {
        let mut values: Vec<Value<'_>> = Vec::new();
        for ((api, key, minute), c) in &self.minutes {
            values.extend([
                Value::Text(api),
                Value::Text(key),
                Value::Int(*minute),
                Value::Int(agent_id),
                Value::Int(c.requests),
                Value::Int(c.tokens),
                Value::Int(c.limited),
                Value::Int(c.first_seq),
                c.first_limited_seq
                    .map_or(Value::Null(Kind::Int), Value::Int),
            ]);
        }
        db.write_rows(&CALL_MINUTES, &values)?;
        values.clear();
        for seen in self.limits.values() {
            let (api, key, metric, policy) = &seen.key;
            values.extend([
                Value::Text(api),
                Value::Text(key),
                Value::Text(metric),
                Value::Text(policy),
                Value::Text(&seen.family),
                seen.limit.map_or(Value::Null(Kind::Int), Value::Int),
                seen.remaining.map_or(Value::Null(Kind::Int), Value::Int),
                seen.reset_at
                    .as_deref()
                    .map_or(Value::Null(Kind::Text), Value::Text),
                Value::Int(seen.window_seconds),
                Value::Int(agent_id),
                Value::Text(&seen.seen_at),
            ]);
        }
        db.write_rows(&LIMITS_SEEN, &values)?;
        values.clear();
        for ((day, api, model, task), (calls, tokens)) in &self.costs {
            values.extend([
                Value::Int(agent_id),
                Value::Text(day),
                Value::Text(api),
                Value::Text(model),
                Value::Text(task),
                Value::Int(*calls),
            ]);
            values.extend(tokens.iter().map(|t| Value::Int((*t).max(0))));
        }
        db.write_rows(&CALL_COSTS, &values)
    }
}
