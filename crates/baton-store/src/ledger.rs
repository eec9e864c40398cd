//! Writing the rate-limit ledger, inside the ingest transaction: each new `api_call` event counts
//! in its agent's minute and its rate-limit headers update the limits last seen; each changed
//! usage report is spread over the minutes of its window.
//!
//! Nothing here fails an ingest over what an agent reported: malformed headers are counted in
//! `header_issues`, absurd token counts are clamped, reports over a day long stay in
//! `usage_samples` without being spread.

use std::collections::BTreeMap;

use crate::db::{params, Db, ReadAhead, ReadRows, RowsSql};
use baton_core::protocol::{Event, UsageReport};
use baton_core::ratelimit::{minute_of, read_rate_limit_headers};
use chrono::{DateTime, Utc};

use crate::codec::{from_sql_int, to_sql_int, ts};
use crate::error::Result;

/// Tokens one call can count for (more is junk, and would overflow the sums).
pub(crate) const MAX_TOKENS_PER_CALL: u64 = 1_000_000_000;
/// A report whose window is longer is not spread over minutes.
const MAX_SPREAD_SECONDS: u32 = 86_400;
/// Used for limits whose window the headers do not give.
const DEFAULT_WINDOW_SECONDS: u32 = 60;

/// The API an `api_call` event names, trimmed; None when it names none.
pub(crate) fn api_of(event: &Event) -> Option<&str> {
    event
        .api
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
}

/// What one newly stored `api_call` event counts in its agent's minute of the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CallCount {
    pub requests: i64,
    pub tokens: i64,
    pub limited: i64,
    pub first_seq: i64,
    pub first_limited_seq: Option<i64>,
}

impl CallCount {
    /// Two counts of one minute as one (sums; the first seqs, the lower).
    pub(crate) fn add(&mut self, other: CallCount) {
        self.requests += other.requests;
        self.tokens += other.tokens;
        self.limited += other.limited;
        self.first_seq = self.first_seq.min(other.first_seq);
        self.first_limited_seq = match (self.first_limited_seq, other.first_limited_seq) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
}

/// A row of the ledger's minutes, for an agent: API, key, minute.
pub(crate) type MinuteKey<'e> = (&'e str, &'e str, i64);

/// Where a newly stored `api_call` event counts (its API, key and minute) and what; None when
/// it names no API.
pub(crate) fn call_count(event: &Event) -> Result<Option<(MinuteKey<'_>, CallCount)>> {
    let Some(api) = api_of(event) else {
        return Ok(None);
    };
    let key = event.key.as_deref().unwrap_or("");
    let seq = to_sql_int(event.seq, "event seq")?;
    // 429 is every API's "too many"; Anthropic answers 529 ("overloaded") when its capacity,
    // not the key's quota, is short: both hold the agent back and are retried, both count.
    let limited = matches!(event.status, Some(429 | 529));
    let tokens = event.tokens.unwrap_or(0).min(MAX_TOKENS_PER_CALL);
    Ok(Some((
        (api, key, minute_of(event.at)),
        CallCount {
            requests: 1,
            tokens: to_sql_int(tokens, "tokens")?,
            limited: i64::from(limited),
            first_seq: seq,
            first_limited_seq: limited.then_some(seq),
        },
    )))
}

/// One rate limit an `api_call` event's headers say, as `api_limits` keeps it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LimitSeen {
    /// API, key, metric, policy: the row it updates.
    pub key: (String, String, String, String),
    pub family: String,
    pub limit: Option<i64>,
    pub remaining: Option<i64>,
    pub reset_at: Option<String>,
    pub window_seconds: i64,
    pub seen_at: String,
}

impl LimitSeen {
    /// What the row holds after `self` and then `next` are written one after the other: the
    /// later reading (by time; the next one on a tie), keeping a limit the newer one leaves
    /// out.
    pub(crate) fn then(&mut self, next: LimitSeen) {
        if next.seen_at >= self.seen_at {
            let limit = next.limit.or(self.limit);
            *self = LimitSeen { limit, ..next };
        }
    }
}

/// The rate limits a newly stored `api_call` event's headers say (the ones that give a limit
/// or what remains of it); headers that could not be read are counted in `header_issues`
/// (rare: written at once, one row each).
pub(crate) fn call_limits(conn: &Db, event: &Event) -> Result<Vec<LimitSeen>> {
    let Some(api) = api_of(event) else {
        return Ok(Vec::new());
    };
    let key = event.key.as_deref().unwrap_or("");
    let Some(headers) = &event.headers else {
        return Ok(Vec::new());
    };
    let reading = read_rate_limit_headers(headers, event.at);
    let mut seen = Vec::new();
    for limit in &reading.limits {
        if limit.limit.is_none() && limit.remaining.is_none() {
            continue;
        }
        seen.push(LimitSeen {
            key: (
                api.to_owned(),
                key.to_owned(),
                limit.metric.as_str().to_owned(),
                limit.policy.clone().unwrap_or_default(),
            ),
            family: serde_json::to_value(limit.family)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            limit: limit.limit.map(|n| to_sql_int(n, "limit")).transpose()?,
            remaining: limit
                .remaining
                .map(|n| to_sql_int(n, "remaining"))
                .transpose()?,
            reset_at: limit.reset_at.map(ts),
            window_seconds: i64::from(
                limit
                    .window_seconds
                    .unwrap_or(DEFAULT_WINDOW_SECONDS)
                    .max(1),
            ),
            seen_at: ts(event.at),
        });
    }
    for ignored in &reading.ignored {
        conn.execute_later(
            "INSERT INTO header_issues (api, header, reason, count, last_value, last_seen)
             VALUES (?1, ?2, ?3, 1, ?4, ?5)
             ON CONFLICT (api, header, reason) DO UPDATE SET
                count = header_issues.count + 1, last_value = excluded.last_value,
                last_seen = greatest(header_issues.last_seen, excluded.last_seen)",
            params![
                api,
                clip_name(&ignored.name),
                ignored.reason,
                ignored.value,
                ts(event.at),
            ],
        )?;
    }
    Ok(seen)
}

/// Header names are the agent's: keep the stored one short.
fn clip_name(name: &str) -> String {
    name.chars().take(100).collect()
}

/// The minutes a report counts in: from the minute of its start, one per started minute of its
/// window (a report shorter than a minute counts in the minute it starts in).
fn report_minutes(start: DateTime<Utc>, window_seconds: u32) -> (i64, i64) {
    let first = minute_of(start);
    let n = (i64::from(window_seconds.max(1)) + 59) / 60;
    (first, n)
}

/// Lists the read of the report stored for the same (agent, api, key, window start) as
/// `report` before this ingest.
/// A usage window as stored (a group's windows in one statement on PostgreSQL).
pub(crate) static REPORT_READ: RowsSql = RowsSql {
    before: "SELECT v.column1, x.* FROM (VALUES",
    columns: 4,
    after: ") AS v, LATERAL (
                SELECT u.window_seconds, u.requests, u.tokens, u.rate_limited, u.model,
                       u.input_tokens, u.output_tokens
                  FROM usage_samples u
                 WHERE u.agent_id = v.column2 AND u.api = v.column3 AND u.key = v.column4
                   AND u.window_start = v.column5 OFFSET 0) AS x",
    key: &[],
    one: Some(
        "SELECT window_seconds, requests, tokens, rate_limited, model, input_tokens,
                output_tokens FROM usage_samples
          WHERE agent_id = ?1 AND api = ?2 AND key = ?3 AND window_start = ?4",
    ),
    numbered: true,
    anytime: false,
};

pub(crate) fn stored_report_read(agent_id: i64, report: &UsageReport, ahead: &mut ReadAhead) {
    ahead.read_keyed(
        &REPORT_READ,
        params![
            agent_id,
            report.api,
            report.key.as_deref().unwrap_or(""),
            ts(report.window_start)
        ],
    );
}

/// The report [`stored_report_read`] read, if there was one.
pub(crate) fn stored_report(
    rows: &mut ReadRows,
    report: &UsageReport,
) -> Result<Option<UsageReport>> {
    let found = match rows.take()?.first() {
        None => None,
        Some(row) => Some((
            (
                row.get::<i64>(0)?,
                row.get::<i64>(1)?,
                row.get::<i64>(2)?,
                row.get::<i64>(3)?,
            ),
            (
                row.get::<Option<String>>(4)?,
                row.get::<Option<i64>>(5)?,
                row.get::<Option<i64>>(6)?,
            ),
        )),
    };
    let Some(((window, requests, tokens, limited), (model, input, output))) = found else {
        return Ok(None);
    };
    Ok(Some(UsageReport {
        window_seconds: u32::try_from(window).unwrap_or(u32::MAX),
        requests: from_sql_int(requests, "requests")?,
        tokens: from_sql_int(tokens, "tokens")?,
        rate_limited: from_sql_int(limited, "rate_limited")?,
        model,
        input_tokens: input.map(|t| from_sql_int(t, "input_tokens")).transpose()?,
        output_tokens: output
            .map(|t| from_sql_int(t, "output_tokens"))
            .transpose()?,
        ..report.clone()
    }))
}

/// Each minute's even share of a report: (minute, [requests, tokens, 429s]), the remainder going
/// to the first minutes. Empty for a report too long to spread.
fn shares(report: &UsageReport) -> Vec<(i64, [i64; 3])> {
    if report.window_seconds > MAX_SPREAD_SECONDS {
        return Vec::new();
    }
    let (first, n) = report_minutes(report.window_start, report.window_seconds);
    let values = [report.requests, report.tokens, report.rate_limited];
    (0..n)
        .map(|i| {
            let count = n as u64;
            let share = values.map(|v| {
                let part = v / count + u64::from((i as u64) < v % count);
                i64::try_from(part).unwrap_or(i64::MAX / 4)
            });
            (first + 60 * i, share)
        })
        .collect()
}

/// Moves the ledger's report counts from what `previous` spread (if anything) to what `report`
/// spreads: each minute of either window gets the difference.
/// A report's change to one minute of the ledger (`rp_` columns), kept at zero or more. A
/// group's rows in one statement on PostgreSQL: the new value is read from the stored row in
/// the statement (a change may be negative, which the inserted row cannot carry to `DO
/// UPDATE`); a row's key never comes twice in one statement.
static REPORTED_MINUTE: RowsSql = RowsSql {
    before: "INSERT INTO api_minutes (api, key, minute, agent_id, rp_requests, rp_tokens, rp_429)
             SELECT v.column1, v.column2, v.column3, v.column4,
                    greatest(0, coalesce(m.rp_requests, 0) + v.column5),
                    greatest(0, coalesce(m.rp_tokens, 0) + v.column6),
                    greatest(0, coalesce(m.rp_429, 0) + v.column7)
               FROM (VALUES",
    columns: 7,
    after: ") AS v
               LEFT JOIN LATERAL (
                    SELECT s.rp_requests, s.rp_tokens, s.rp_429 FROM api_minutes s
                     WHERE s.api = v.column1 AND s.key = v.column2 AND s.minute = v.column3
                       AND s.agent_id = v.column4 OFFSET 0) AS m ON true
              WHERE true
             ON CONFLICT (api, key, minute, agent_id) DO UPDATE SET
                rp_requests = excluded.rp_requests, rp_tokens = excluded.rp_tokens,
                rp_429 = excluded.rp_429",
    key: &[0, 1, 2, 3],
    one: Some(
        "INSERT INTO api_minutes (api, key, minute, agent_id, rp_requests, rp_tokens, rp_429)
         VALUES (?1, ?2, ?3, ?4, greatest(0, ?5), greatest(0, ?6), greatest(0, ?7))
         ON CONFLICT (api, key, minute, agent_id) DO UPDATE SET
            rp_requests = greatest(0, api_minutes.rp_requests + ?5),
            rp_tokens = greatest(0, api_minutes.rp_tokens + ?6),
            rp_429 = greatest(0, api_minutes.rp_429 + ?7)",
    ),
    numbered: false,
    anytime: false,
};

pub(crate) fn spread_report(
    conn: &Db,
    agent_id: i64,
    previous: Option<&UsageReport>,
    report: &UsageReport,
) -> Result<()> {
    let mut delta: BTreeMap<i64, [i64; 3]> = BTreeMap::new();
    for (minute, share) in previous.map(shares).unwrap_or_default() {
        let d = delta.entry(minute).or_default();
        (0..3).for_each(|k| d[k] -= share[k]);
    }
    for (minute, share) in shares(report) {
        let d = delta.entry(minute).or_default();
        (0..3).for_each(|k| d[k] += share[k]);
    }
    let key = report.key.as_deref().unwrap_or("");
    for (minute, [requests, tokens, limited]) in delta {
        if requests == 0 && tokens == 0 && limited == 0 {
            continue;
        }
        conn.write_row(
            &REPORTED_MINUTE,
            params![report.api, key, minute, agent_id, requests, tokens, limited],
        )?;
    }
    Ok(())
}
