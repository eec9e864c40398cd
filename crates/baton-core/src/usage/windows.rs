//! A coding agent's limit windows across its sessions: Claude's 5-hour and 7-day windows,
//! Codex's primary and secondary ones. A window belongs to an account, not to a session: every
//! session of one client and account draws on it, and each reports the window's use as it
//! stands (a percentage). From those readings Baton works out the burn rate over the last
//! [`BURN_MINUTES`] minutes, when the window runs out at that rate (unless it resets first),
//! and a finding when that is within the horizon (30 min by default), naming the sessions that
//! burned most.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::detect::{Finding, FindingKind, Severity};

/// How far back the burn rate looks.
pub const BURN_MINUTES: i64 = 15;
/// Most sessions a finding names.
const NAMED_SESSIONS: usize = 3;

/// One reading of a window's use.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, TS)]
pub struct WindowSample {
    pub at: DateTime<Utc>,
    /// 0–100.
    pub used_percent: f64,
}

/// One session's part in a window's recent use: its tokens over the last [`BURN_MINUTES`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SessionBurn {
    pub agent_id: i64,
    pub name: String,
    pub tokens: u64,
}

/// One limit window of one client and account, as the Rate limits view, `baton usage` and the
/// detector see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct UsageWindow {
    /// `claude-code`, `codex`.
    pub client: String,
    /// The account, from the client's config (its config folder): never a credential.
    pub account: String,
    /// The client's name for the window: `five_hour`, `seven_day`, `primary`, `secondary`.
    pub window: String,
    /// For people: "5-hour", "weekly", "primary (5 h)".
    pub label: String,
    /// The last use reported, 0–100.
    pub used_percent: f64,
    pub window_minutes: Option<u32>,
    pub resets_at: Option<DateTime<Utc>>,
    /// When it was last reported.
    pub seen_at: DateTime<Utc>,
    /// Percentage points an hour over the last [`BURN_MINUTES`] minutes (None: too few
    /// readings).
    pub burn_per_hour: Option<f64>,
    /// When it runs out at that rate, if before it resets.
    pub runs_out_at: Option<DateTime<Utc>>,
    /// The person paused the account's sessions until then (their hooks answer "wait").
    pub paused_until: Option<DateTime<Utc>>,
    /// The account's sessions that used most tokens over the last [`BURN_MINUTES`] minutes,
    /// most first.
    pub sessions: Vec<SessionBurn>,
    /// The readings of the chart, oldest first.
    pub samples: Vec<WindowSample>,
}

/// When a window's forecast is a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowSettings {
    /// A window forecast to run out within this long.
    pub horizon: Duration,
}

impl Default for WindowSettings {
    fn default() -> WindowSettings {
        WindowSettings {
            horizon: Duration::minutes(30),
        }
    }
}

/// "5-hour", "weekly", "primary (5 h)": a window as people call it.
pub fn window_label(window: &str, minutes: Option<u32>) -> String {
    match window {
        "five_hour" => "5-hour".to_owned(),
        "seven_day" => "weekly".to_owned(),
        "seven_day_opus" => "weekly (Opus)".to_owned(),
        "seven_day_sonnet" => "weekly (Sonnet)".to_owned(),
        other => match minutes {
            Some(m) if m % 1440 == 0 => format!("{other} ({} d)", m / 1440),
            Some(m) if m % 60 == 0 => format!("{other} ({} h)", m / 60),
            Some(m) => format!("{other} ({m} min)"),
            None => other.to_owned(),
        },
    }
}

/// The window's use at `at`: the last reading then (a window's use stays as reported until
/// the next report).
fn used_at(samples: &[WindowSample], at: DateTime<Utc>) -> Option<WindowSample> {
    samples.iter().rev().find(|s| s.at <= at).copied()
}

/// Percentage points a minute over the last [`BURN_MINUTES`] minutes before `now`: the use now
/// less the use then, over the time between (since the first reading, or since the window
/// reset, when that is later). None with fewer than two readings in that time. `samples` are
/// oldest first.
pub fn burn_per_minute(samples: &[WindowSample], now: DateTime<Utc>) -> Option<f64> {
    let last = used_at(samples, now)?;
    let cut = now - Duration::minutes(BURN_MINUTES);
    let recent: Vec<WindowSample> = samples
        .iter()
        .filter(|s| s.at > cut && s.at <= now)
        .copied()
        .collect();
    // The baseline: the use at the cut, unless the window reset since (its use fell), then
    // the first reading after the fall.
    let mut base = used_at(samples, cut).map(|s| WindowSample { at: cut, ..s });
    let mut previous = base.map(|s| s.used_percent);
    for s in &recent {
        if previous.is_some_and(|p| s.used_percent < p) {
            base = Some(*s);
        }
        previous = Some(s.used_percent);
    }
    let base = base.or_else(|| recent.first().copied())?;
    let minutes = (now - base.at).num_milliseconds() as f64 / 60_000.0;
    if recent.is_empty() || minutes <= 0.0 || (base.at == last.at && recent.len() < 2) {
        return None;
    }
    Some(((last.used_percent - base.used_percent) / minutes).max(0.0))
}

/// When a window at `used` percent, burning `per_minute` points a minute, runs out: None when
/// it does not burn, or resets first.
pub fn runs_out_at(
    used: f64,
    per_minute: Option<f64>,
    now: DateTime<Utc>,
    resets_at: Option<DateTime<Utc>>,
) -> Option<DateTime<Utc>> {
    if used >= 100.0 {
        return Some(now);
    }
    let rate = per_minute.filter(|r| *r > 0.0)?;
    let minutes = (100.0 - used) / rate;
    let at = now + Duration::milliseconds((minutes * 60_000.0).min(1e13) as i64);
    match resets_at {
        Some(reset) if reset <= at => None,
        _ => Some(at),
    }
}

/// The finding when `window` runs out within the horizon and its sessions are not paused:
/// one per window and reset (a window that resets starts a new one), naming the sessions that
/// burned most.
pub fn window_finding(
    window: &UsageWindow,
    client_label: &str,
    settings: &WindowSettings,
    now: DateTime<Utc>,
) -> Option<Finding> {
    let runs_out = window.runs_out_at?;
    if runs_out > now + settings.horizon || window.paused_until.is_some_and(|p| p > now) {
        return None;
    }
    let named: Vec<&SessionBurn> = window
        .sessions
        .iter()
        .filter(|s| s.tokens > 0)
        .take(NAMED_SESSIONS)
        .collect();
    let mut agents: Vec<i64> = named.iter().map(|s| s.agent_id).collect();
    agents.sort_unstable();
    let minutes = (runs_out - now).num_minutes().max(0);
    let mut summary = format!(
        "{client_label}'s {} window ({}) is at {:.0}%",
        window.label, window.account, window.used_percent
    );
    if window.used_percent >= 100.0 {
        summary.push_str(": it has run out");
    } else {
        summary.push_str(&format!(
            ", burning {:.0}% an hour: it runs out at {} (in {minutes} min)",
            window.burn_per_hour.unwrap_or(0.0),
            runs_out.format("%H:%M UTC")
        ));
    }
    if let Some(reset) = window.resets_at {
        let when = if reset - now > Duration::hours(20) {
            reset.format("%b %-d, %H:%M UTC")
        } else {
            reset.format("%H:%M UTC")
        };
        summary.push_str(&format!(", before it resets at {when}"));
    }
    if !named.is_empty() {
        let names: Vec<String> = named
            .iter()
            .map(|s| format!("{} ({} tokens in {BURN_MINUTES} min)", s.name, s.tokens))
            .collect();
        summary.push_str(&format!(". Burning most: {}", names.join(", ")));
    }
    let reset = window.resets_at.map_or_else(
        || "unknown".to_owned(),
        |r| r.format("%Y-%m-%dT%H:%M").to_string(),
    );
    let resource = window_resource(&window.client, &window.account, &window.window);
    Some(Finding {
        kind: FindingKind::UsageWindow,
        severity: if window.used_percent >= 100.0 {
            Severity::Critical
        } else {
            Severity::Warning
        },
        agents,
        dedupe_key: format!("{}:{resource}:{reset}", FindingKind::UsageWindow.as_str()),
        resource: Some(resource),
        summary,
        evidence: Vec::new(),
        continues: None,
    })
}

/// The resource a window's finding names: `usage://<client>/<account>#<window>` (the account
/// as it is: `~/.claude`, `/srv/codex-home`).
pub fn window_resource(client: &str, account: &str, window: &str) -> String {
    format!("usage://{client}/{account}#{window}")
}

/// The client, account and window a finding's resource names.
pub fn parse_window_resource(resource: &str) -> Option<(String, String, String)> {
    let rest = resource.strip_prefix("usage://")?;
    let (path, window) = rest.rsplit_once('#')?;
    let (client, account) = path.split_once('/')?;
    Some((client.to_owned(), account.to_owned(), window.to_owned()))
}
