//! The limit windows of each client and account: the last reading, the readings kept for the
//! burn rate and the chart, and the pause the person decided for the account's sessions.

use baton_core::escalations::Escalation;
use baton_core::hooks::HookClient;
use baton_core::usage::{parse_window_resource, window_label, WindowReading};
use chrono::{DateTime, Duration, Utc};

use crate::codec::{parse_opt_ts, ts};
use crate::db::{params, Db};
use crate::error::{Result, StoreError};

/// How long a window's readings are kept.
pub(super) const SAMPLE_DAYS: i64 = 8;

/// One reading of a window (inside the caller's write): the window's row takes it unless it
/// holds a later one, and it joins the readings unless the last one, under a minute old, said
/// the same.
pub(super) fn record_window(
    tx: &Db,
    client: HookClient,
    account: &str,
    reading: &WindowReading,
    now: DateTime<Utc>,
) -> Result<()> {
    let at = ts(reading.at.unwrap_or(now));
    let client = client.as_str();
    tx.execute_later(
        "INSERT INTO usage_windows (client, account, window_name, used_percent, window_minutes,
                                    resets_at, seen_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (client, account, window_name) DO UPDATE SET
            used_percent = excluded.used_percent, window_minutes = excluded.window_minutes,
            resets_at = excluded.resets_at, seen_at = excluded.seen_at
          WHERE excluded.seen_at >= usage_windows.seen_at",
        params![
            client,
            account,
            reading.window,
            reading.used_percent,
            reading.window_minutes.map(i64::from),
            reading.resets_at.map(ts),
            at
        ],
    )?;
    let minute_ago = ts(reading.at.unwrap_or(now) - Duration::minutes(1));
    tx.execute_later(
        "INSERT INTO usage_window_samples (client, account, window_name, at, used_percent)
         SELECT ?1, ?2, ?3, ?4, ?5
          WHERE NOT EXISTS (SELECT 1 FROM usage_window_samples
                             WHERE client = ?1 AND account = ?2 AND window_name = ?3
                               AND at > ?6 AND at <= ?4 AND used_percent = ?5)
         ON CONFLICT (client, account, window_name, at) DO NOTHING",
        params![
            client,
            account,
            reading.window,
            at,
            reading.used_percent,
            minute_ago
        ],
    )?;
    tx.execute_later(
        "DELETE FROM usage_window_samples WHERE at < ?1",
        params![ts(now - Duration::days(SAMPLE_DAYS))],
    )?;
    Ok(())
}

/// Pauses the sessions of the window an escalation names, until the window resets (an hour
/// from now when it does not say): their hooks answer each tool call with a reason to stop and
/// wait (inside the decision's write). The sentence for the decision's log.
pub(crate) fn pause_sessions_in(
    tx: &Db,
    escalation: &Escalation,
    who: &str,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<String> {
    let (client, account, window) = escalation
        .resource
        .as_deref()
        .and_then(parse_window_resource)
        .ok_or_else(|| {
            StoreError::InvalidDecision("only a usage window's item pauses sessions".into())
        })?;
    let found = tx.query_opt(
        "SELECT window_minutes, resets_at FROM usage_windows
          WHERE client = ?1 AND account = ?2 AND window_name = ?3",
        params![client, account, window],
        |row| Ok((row.get::<Option<i64>>(0)?, parse_opt_ts(row.get(1)?)?)),
    )?;
    let Some((minutes, resets_at)) = found else {
        return Err(StoreError::InvalidDecision(format!(
            "no {window} window of {client} ({account}) is known"
        )));
    };
    let until = resets_at
        .filter(|r| *r > now)
        .unwrap_or(now + Duration::hours(1));
    let label = HookClient::parse(&client).map_or(client.as_str(), |c| c.label());
    let window_name = window_label(&window, minutes.and_then(|m| u32::try_from(m).ok()));
    let why = note.map_or(String::new(), |note| format!(" ({note})"));
    let reason = format!(
        "Baton paused this session: {who} decided in Baton that the sessions on {label}'s \
         {window_name} window ({account}) wait until it resets at {}{why}, because it was \
         about to run out. Stop here: make no more tool calls now, tell the person you are \
         waiting for the {window_name} window to reset at {}, and carry on after that.",
        until.format("%H:%M UTC"),
        until.format("%H:%M UTC"),
    );
    tx.execute(
        "UPDATE usage_windows SET paused_until = ?4, pause_reason = ?5
          WHERE client = ?1 AND account = ?2 AND window_name = ?3",
        params![client, account, window, ts(until), reason],
    )?;
    Ok(format!(
        "the sessions on {label}'s {window_name} window ({account}) wait until {}",
        until.format("%H:%M UTC")
    ))
}

/// The latest pause of a session's account (`s`), and its reason: its hooks refuse tool calls
/// while it lasts.
pub(crate) const PAUSE_OF_SESSION: &str = "(SELECT w.paused_until FROM usage_windows w
          WHERE w.client = s.client AND w.account = s.account AND w.paused_until IS NOT NULL
          ORDER BY w.paused_until DESC LIMIT 1),
       (SELECT w.pause_reason FROM usage_windows w
          WHERE w.client = s.client AND w.account = s.account AND w.paused_until IS NOT NULL
          ORDER BY w.paused_until DESC LIMIT 1)";
