//! The rate-limit pressure detector: the agents' combined use of one API (and key) is over a set
//! share of a limit, a 429 came back, or the forecast reaches the limit within a set horizon.
//!
//! One finding per API and episode. An episode of pressure starts at the first minute of the
//! current run of pressured minutes (gaps of up to five minutes allowed), so the finding is updated
//! while the run lasts and a dismissed one stays closed; its evidence is each agent's first call
//! (and first 429) of the episode. A forecast alone names the hour it expects the limit in, and
//! carries no events (the chart is its evidence); an open forecast finding is carried on by the
//! pressure it foresaw (or a forecast for another hour) rather than a second finding opening.

use chrono::{DateTime, Duration, SecondsFormat, Utc};

use super::forecast::{forecast, limit_per_window, window_minutes, Forecast, Ledger};
use super::{minute_of, MinuteUsage, Quota, TimeOfDayProfile};
use crate::detect::{EvidenceRef, Finding, FindingKind, Severity};

/// When pressure is a finding.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PressureSettings {
    /// Combined use over this share of a limit (0–1) is pressure.
    pub share: f64,
    /// A forecast of the limit within this long is pressure.
    pub horizon: Duration,
}

impl Default for PressureSettings {
    fn default() -> PressureSettings {
        PressureSettings {
            share: 0.8,
            horizon: Duration::minutes(30),
        }
    }
}

/// How far ahead the forecasts look (the view shows when the limit is next reached today).
pub const FORECAST_LOOK_AHEAD: Duration = Duration::hours(24);
/// Minutes without pressure that still belong to the same episode.
const EPISODE_GAP_MINUTES: i64 = 5;
/// 429s within this many minutes are "now".
const RECENT_429_MINUTES: i64 = 5;

/// One API (and key) as the detector sees it.
#[derive(Debug, Clone, Copy)]
pub struct ApiUsage<'a> {
    pub api: &'a str,
    pub key: Option<&'a str>,
    pub quotas: &'a [Quota],
    /// The agents' minutes of the recent past (a couple of hours at least), any order.
    pub minutes: &'a [MinuteUsage],
    pub profile: &'a TimeOfDayProfile,
}

impl ApiUsage<'_> {
    /// `api:openai` or `api:openai/<key>`: the resource an escalation names.
    pub fn resource(&self) -> String {
        match self.key {
            Some(key) => format!("api:{}/{key}", self.api),
            None => format!("api:{}", self.api),
        }
    }
}

/// The forecast of each quota, and the finding if the API is under pressure.
pub fn rate_limit_pressure(
    usage: &ApiUsage<'_>,
    settings: &PressureSettings,
    now: DateTime<Utc>,
) -> (Vec<Forecast>, Option<Finding>) {
    assess(usage, settings, now, FORECAST_LOOK_AHEAD)
}

/// The finding alone, as [`rate_limit_pressure`] gives it, with forecasts that look only as far
/// ahead as the horizon (all the finding needs; the detector runs it often, over many agents).
pub fn pressure_finding(
    usage: &ApiUsage<'_>,
    settings: &PressureSettings,
    now: DateTime<Utc>,
) -> Option<Finding> {
    assess(usage, settings, now, settings.horizon).1
}

fn assess(
    usage: &ApiUsage<'_>,
    settings: &PressureSettings,
    now: DateTime<Utc>,
    look_ahead: Duration,
) -> (Vec<Forecast>, Option<Finding>) {
    let forecasts: Vec<Forecast> = usage
        .quotas
        .iter()
        .map(|q| forecast(q, usage.minutes, usage.profile, now, look_ahead))
        .collect();
    let now_minute = minute_of(now);
    let recent_429: u64 = usage
        .minutes
        .iter()
        .filter(|m| m.minute > now_minute - 60 * RECENT_429_MINUTES)
        .map(|m| m.rate_limited)
        .sum();

    // The quota under the most pressure now: the larger of the counted share and what the
    // provider's `remaining` says.
    let mut worst: Option<(f64, &Quota)> = None;
    for quota in usage.quotas {
        let share = current_share(quota, usage.minutes, now);
        if worst.is_none_or(|(s, _)| share > s) {
            worst = Some((share, quota));
        }
    }
    let over_share = worst.filter(|(share, _)| *share >= settings.share);
    let soon = forecasts
        .iter()
        .filter_map(|f| f.reaches_limit_at.map(|at| (at, f)))
        .filter(|(at, _)| *at <= now + settings.horizon)
        .min_by_key(|(at, _)| *at);
    if recent_429 == 0 && over_share.is_none() && soon.is_none() {
        return (forecasts, None);
    }

    let resource = usage.resource();
    let mut reasons: Vec<String> = Vec::new();
    if recent_429 > 0 {
        reasons.push(format!(
            "{recent_429} × 429 in the last {RECENT_429_MINUTES} min"
        ));
    }
    if let Some((share, quota)) = over_share {
        reasons.push(format!(
            "combined use at {:.0}% of {}",
            share * 100.0,
            describe(quota)
        ));
    }
    let pressured_now = recent_429 > 0 || over_share.is_some();
    if let Some((at, f)) = soon.filter(|_| !pressured_now) {
        let minutes = (at - now).num_minutes().max(0);
        reasons.push(format!(
            "at this pace combined use reaches {} {}/{} in {minutes} min ({})",
            f.limit,
            f.metric.as_str().replace('_', " "),
            per(f.window_seconds),
            at.format("%H:%M UTC"),
        ));
    }

    let (agents, evidence, episode) = if pressured_now {
        let (start, agents, evidence) = episode(usage, settings, now_minute);
        let start = DateTime::from_timestamp(start, 0)
            .unwrap_or(now)
            .to_rfc3339_opts(SecondsFormat::Secs, true);
        (agents, evidence, start)
    } else {
        let (at, f) = soon.expect("a forecast when nothing is pressured now");
        let agents = f.agents.iter().map(|s| s.agent_id).collect();
        let hour = at.format("%Y-%m-%dT%H").to_string();
        (agents, Vec::new(), format!("forecast@{hour}"))
    };
    let mut agents: Vec<i64> = agents;
    agents.sort_unstable();
    agents.dedup();
    let severity = if recent_429 > 0 || over_share.is_some_and(|(s, _)| s >= 1.0) {
        Severity::Critical
    } else {
        Severity::Warning
    };
    let finding = Finding {
        kind: FindingKind::RateLimitPressure,
        severity,
        agents,
        summary: format!("{}: {}", label(usage), reasons.join("; ")),
        resource: Some(resource.clone()),
        evidence,
        dedupe_key: format!("rate_limit_pressure:{resource}:{episode}"),
        // Pressure that was forecast and then came (or was forecast for another hour) is the
        // same escalation.
        continues: Some(format!("rate_limit_pressure:{resource}:forecast@")),
    };
    (forecasts, Some(finding))
}

/// The share of the quota used in the current window: counted from the minutes, or from the
/// provider's last `remaining` while its window lasts, whichever is larger.
pub fn current_share(quota: &Quota, minutes: &[MinuteUsage], now: DateTime<Utc>) -> f64 {
    if quota.limit == 0 {
        return 0.0;
    }
    let ledger = Ledger::new(minutes, quota.metric);
    let w = window_minutes(quota.window_seconds);
    let counted = ledger.window_total(minute_of(now), w) as f64 / limit_per_window(quota);
    let reported = match (quota.remaining, quota.reset_at) {
        (Some(remaining), Some(reset)) if reset > now => {
            quota.limit.saturating_sub(remaining) as f64 / quota.limit as f64
        }
        _ => 0.0,
    };
    counted.max(reported)
}

/// The start of the current pressure episode (a minute), its agents and its evidence.
fn episode(
    usage: &ApiUsage<'_>,
    settings: &PressureSettings,
    now_minute: i64,
) -> (i64, Vec<i64>, Vec<EvidenceRef>) {
    let ledgers: Vec<(Ledger, i64, f64)> = usage
        .quotas
        .iter()
        .map(|q| {
            (
                Ledger::new(usage.minutes, q.metric),
                window_minutes(q.window_seconds),
                limit_per_window(q),
            )
        })
        .collect();
    let pressured = |minute: i64| -> bool {
        let limited = usage
            .minutes
            .iter()
            .any(|m| m.minute == minute && m.rate_limited > 0);
        limited
            || ledgers.iter().any(|(ledger, w, limit)| {
                *limit > 0.0 && ledger.window_total(minute, *w) as f64 >= settings.share * limit
            })
    };
    let earliest = usage
        .minutes
        .iter()
        .map(|m| m.minute)
        .min()
        .unwrap_or(now_minute);
    let mut start = now_minute;
    let mut gap = 0;
    let mut minute = now_minute;
    while minute >= earliest {
        if pressured(minute) {
            start = minute;
            gap = 0;
        } else {
            gap += 1;
            if gap > EPISODE_GAP_MINUTES {
                break;
            }
        }
        minute -= 60;
    }
    // Each agent's first call, and first 429, of the episode.
    let mut in_episode: Vec<&MinuteUsage> = usage
        .minutes
        .iter()
        .filter(|m| m.minute >= start && m.minute <= now_minute)
        .collect();
    in_episode.sort_by_key(|m| (m.minute, m.agent_id));
    let mut agents = Vec::new();
    let mut evidence = Vec::new();
    let mut with_429 = Vec::new();
    for m in &in_episode {
        if !agents.contains(&m.agent_id) {
            agents.push(m.agent_id);
            if let Some(seq) = m.first_seq {
                evidence.push(EvidenceRef {
                    agent_id: m.agent_id,
                    seq,
                });
            }
        }
        if let (Some(seq), false) = (m.first_429_seq, with_429.contains(&m.agent_id)) {
            with_429.push(m.agent_id);
            evidence.push(EvidenceRef {
                agent_id: m.agent_id,
                seq,
            });
        }
    }
    evidence.sort_unstable();
    evidence.dedup();
    (start, agents, evidence)
}

fn label(usage: &ApiUsage<'_>) -> String {
    match usage.key {
        Some(key) => format!("{} (key {key})", usage.api),
        None => usage.api.to_owned(),
    }
}

fn describe(quota: &Quota) -> String {
    format!(
        "{} {}/{}",
        quota.limit,
        quota.metric.as_str().replace('_', " "),
        per(quota.window_seconds)
    )
}

/// `min`, `h`, `30 s`, …: a window as a rate's denominator.
pub fn per(window_seconds: u32) -> String {
    match window_seconds {
        60 => "min".to_owned(),
        3600 => "h".to_owned(),
        86_400 => "day".to_owned(),
        s if s % 3600 == 0 => format!("{} h", s / 3600),
        s if s % 60 == 0 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}
