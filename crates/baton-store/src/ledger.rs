//! Writing the rate-limit ledger, inside the ingest transaction: each new `api_call` event counts
//! in its agent's minute and its rate-limit headers update the limits last seen; each changed
//! usage report is spread over the minutes of its window.
//!
//! Nothing here fails an ingest over what an agent reported: malformed headers are counted in
//! `header_issues`, absurd token counts are clamped, reports over a day long stay in
//! `usage_samples` without being spread.

use std::collections::BTreeMap;

use crate::db::{params, Db, ReadAhead, ReadRows};
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

/// Counts one newly stored `api_call` event (the caller makes sure it is new).
pub(crate) fn record_api_call(conn: &Db, agent_id: i64, event: &Event) -> Result<()> {
    let Some(api) = api_of(event) else {
        return Ok(());
    };
    let key = event.key.as_deref().unwrap_or("");
    let seq = to_sql_int(event.seq, "event seq")?;
    let limited = event.status == Some(429);
    let tokens = event.tokens.unwrap_or(0).min(MAX_TOKENS_PER_CALL);
    conn.execute_later(
        "INSERT INTO api_minutes (api, key, minute, agent_id, ev_requests, ev_tokens, ev_429,
                                  first_seq, first_429_seq)
         VALUES (?1, ?2, ?3, ?4, 1, ?5, ?6, ?7, ?8)
         ON CONFLICT (api, key, minute, agent_id) DO UPDATE SET
            ev_requests = api_minutes.ev_requests + 1,
            ev_tokens = api_minutes.ev_tokens + excluded.ev_tokens,
            ev_429 = api_minutes.ev_429 + excluded.ev_429,
            first_seq = least(api_minutes.first_seq, excluded.first_seq),
            first_429_seq = least(api_minutes.first_429_seq, excluded.first_429_seq)",
        params![
            api,
            key,
            minute_of(event.at),
            agent_id,
            to_sql_int(tokens, "tokens")?,
            i64::from(limited),
            seq,
            limited.then_some(seq),
        ],
    )?;

    let Some(headers) = &event.headers else {
        return Ok(());
    };
    let reading = read_rate_limit_headers(headers, event.at);
    for limit in &reading.limits {
        if limit.limit.is_none() && limit.remaining.is_none() {
            continue;
        }
        conn.execute_later(
            "INSERT INTO api_limits (api, key, metric, policy, family, limit_value, remaining,
                                     reset_at, window_seconds, agent_id, seen_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
             ON CONFLICT (api, key, metric, policy) DO UPDATE SET
                family = excluded.family,
                limit_value = coalesce(excluded.limit_value, api_limits.limit_value),
                remaining = excluded.remaining,
                reset_at = excluded.reset_at,
                window_seconds = excluded.window_seconds,
                agent_id = excluded.agent_id,
                seen_at = excluded.seen_at
             WHERE excluded.seen_at >= api_limits.seen_at",
            params![
                api,
                key,
                limit.metric.as_str(),
                limit.policy.as_deref().unwrap_or(""),
                serde_json::to_value(limit.family)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                limit.limit.map(|n| to_sql_int(n, "limit")).transpose()?,
                limit
                    .remaining
                    .map(|n| to_sql_int(n, "remaining"))
                    .transpose()?,
                limit.reset_at.map(ts),
                i64::from(
                    limit
                        .window_seconds
                        .unwrap_or(DEFAULT_WINDOW_SECONDS)
                        .max(1)
                ),
                agent_id,
                ts(event.at),
            ],
        )?;
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
    Ok(())
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
pub(crate) fn stored_report_read(agent_id: i64, report: &UsageReport, ahead: &mut ReadAhead) {
    ahead.read(
        "SELECT window_seconds, requests, tokens, rate_limited, model, input_tokens,
                    output_tokens FROM usage_samples
              WHERE agent_id = ?1 AND api = ?2 AND key = ?3 AND window_start = ?4",
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
        conn.execute_later(
            "INSERT INTO api_minutes (api, key, minute, agent_id, rp_requests, rp_tokens, rp_429)
             VALUES (?1, ?2, ?3, ?4, greatest(0, ?5), greatest(0, ?6), greatest(0, ?7))
             ON CONFLICT (api, key, minute, agent_id) DO UPDATE SET
                rp_requests = greatest(0, api_minutes.rp_requests + ?5),
                rp_tokens = greatest(0, api_minutes.rp_tokens + ?6),
                rp_429 = greatest(0, api_minutes.rp_429 + ?7)",
            params![report.api, key, minute, agent_id, requests, tokens, limited],
        )?;
    }
    Ok(())
}
