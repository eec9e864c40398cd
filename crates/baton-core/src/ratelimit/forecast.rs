//! When will the agents' combined use of a quota reach its limit?
//!
//! Each agent's use per minute is projected forward from two things: its **current pace** (its
//! mean per minute over the last ten minutes) and its **usual time-of-day profile** (its mean per
//! minute in the same quarter-hour of earlier days). A minute `k` minutes ahead is projected at
//! the usual use for that time of day plus today's departure from the usual (pace minus the
//! usual use now), fading as `e^(-k/30)`. So two agents that both start at 9 every morning are
//! forecast to collide at 9 before either has started, and an agent running hot now is expected
//! to keep running hot for a while. Without a day of history the forecast is the pace alone.
//!
//! The projected use of a window is the sum of the agents' projected minutes in it (actual
//! minutes for the part already past); the first minute where it reaches the limit is the
//! forecast, and the agents projected to use the API in that window are named.

use chrono::{DateTime, Duration, Timelike, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{minute_of, Metric, MinuteUsage, Quota};

/// The profile's time-of-day resolution.
pub const PROFILE_SLOT_MINUTES: u32 = 15;
pub const PROFILE_SLOTS: usize = (24 * 60 / PROFILE_SLOT_MINUTES) as usize;
/// How far back the pace looks.
const PACE_MINUTES: i64 = 10;
/// How quickly the profile takes over from the pace.
const PACE_DECAY_MINUTES: f64 = 30.0;

/// Each agent's mean use per minute at each quarter-hour of the day, over earlier days.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TimeOfDayProfile {
    /// How many days of history the means are over (0: no profile yet).
    pub days: u32,
    pub agents: Vec<AgentProfile>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AgentProfile {
    pub agent_id: i64,
    /// Mean requests per minute in each slot.
    pub requests: Vec<f64>,
    /// Mean tokens per minute in each slot.
    pub tokens: Vec<f64>,
}

/// One row of history: an agent's totals in one time-of-day slot over all the days observed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotTotal {
    pub agent_id: i64,
    pub slot: usize,
    pub requests: u64,
    pub tokens: u64,
}

impl TimeOfDayProfile {
    /// The profile from per-slot totals over `days` days of history.
    pub fn from_slot_totals(totals: &[SlotTotal], days: u32) -> TimeOfDayProfile {
        let mut agents: Vec<AgentProfile> = Vec::new();
        if days == 0 {
            return TimeOfDayProfile::default();
        }
        let per_minute = f64::from(days) * f64::from(PROFILE_SLOT_MINUTES);
        for t in totals.iter().filter(|t| t.slot < PROFILE_SLOTS) {
            let at = match agents.iter().position(|a| a.agent_id == t.agent_id) {
                Some(at) => at,
                None => {
                    agents.push(AgentProfile {
                        agent_id: t.agent_id,
                        requests: vec![0.0; PROFILE_SLOTS],
                        tokens: vec![0.0; PROFILE_SLOTS],
                    });
                    agents.len() - 1
                }
            };
            agents[at].requests[t.slot] += t.requests as f64 / per_minute;
            agents[at].tokens[t.slot] += t.tokens as f64 / per_minute;
        }
        agents.sort_by_key(|a| a.agent_id);
        TimeOfDayProfile { days, agents }
    }

    fn rate(&self, agent_id: i64, metric: Metric, slot: usize) -> Option<f64> {
        if self.days == 0 {
            return None;
        }
        let Some(agent) = self.agents.iter().find(|a| a.agent_id == agent_id) else {
            return Some(0.0);
        };
        let series = if metric.counts_tokens() {
            &agent.tokens
        } else {
            &agent.requests
        };
        series.get(slot).copied()
    }
}

/// The time-of-day slot of a minute (seconds since the epoch, UTC).
pub fn slot_of(minute: i64) -> usize {
    let minute_of_day = minute.rem_euclid(86_400) / 60;
    (minute_of_day / i64::from(PROFILE_SLOT_MINUTES)) as usize
}

/// What the forecast was built from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ForecastBasis {
    /// The current pace only (less than a day of history).
    Pace,
    /// The current pace, then the usual time-of-day profile.
    PaceAndProfile,
}

/// An agent's projected part of the window the forecast is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ForecastShare {
    pub agent_id: i64,
    /// Its projected use in that window, as a share of the limit.
    pub share: f64,
}

/// The forecast for one quota.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Forecast {
    pub metric: Metric,
    pub limit: u64,
    pub window_seconds: u32,
    /// The combined use in the current window so far.
    pub used_now: u64,
    /// When the projected combined use first reaches the limit (None: not in the look-ahead).
    pub reaches_limit_at: Option<DateTime<Utc>>,
    /// The highest projected share of the limit in the look-ahead, and when.
    pub peak_share: f64,
    pub peak_at: DateTime<Utc>,
    /// The agents projected to use the API in that window (the limit's, else the peak's),
    /// biggest first.
    pub agents: Vec<ForecastShare>,
    pub basis: ForecastBasis,
}

/// Minutes a window spans (at least one).
pub(super) fn window_minutes(window_seconds: u32) -> i64 {
    (i64::from(window_seconds.max(1)) + 59) / 60
}

/// The limit per window of whole minutes: a window shorter than a minute allows proportionally
/// more per minute.
pub(super) fn limit_per_window(quota: &Quota) -> f64 {
    let seconds = f64::from(quota.window_seconds.max(1));
    let minutes = window_minutes(quota.window_seconds) as f64;
    quota.limit as f64 * (minutes * 60.0 / seconds).max(1.0)
}

/// Each agent's use of `metric` per minute, keyed by minute.
pub(super) struct Ledger {
    pub agents: Vec<i64>,
    /// (minute, agent index) → count.
    counts: std::collections::HashMap<(i64, usize), u64>,
}

impl Ledger {
    pub fn new(minutes: &[MinuteUsage], metric: Metric) -> Ledger {
        let mut agents: Vec<i64> = minutes.iter().map(|m| m.agent_id).collect();
        agents.sort_unstable();
        agents.dedup();
        let mut counts = std::collections::HashMap::new();
        for m in minutes {
            let i = agents.binary_search(&m.agent_id).unwrap_or_default();
            *counts.entry((m.minute, i)).or_insert(0) += m.count(metric);
        }
        Ledger { agents, counts }
    }

    pub fn get(&self, minute: i64, agent: usize) -> u64 {
        self.counts.get(&(minute, agent)).copied().unwrap_or(0)
    }

    /// The combined use in the window of `w` minutes ending with `minute`.
    pub fn window_total(&self, minute: i64, w: i64) -> u64 {
        (0..w)
            .map(|k| minute - 60 * k)
            .map(|m| (0..self.agents.len()).map(|a| self.get(m, a)).sum::<u64>())
            .sum()
    }
}

/// Forecasts one quota `look_ahead` ahead of `now`, from the agents' recent minutes (at least the
/// last ten minutes and the current window) and their time-of-day profile.
pub fn forecast(
    quota: &Quota,
    minutes: &[MinuteUsage],
    profile: &TimeOfDayProfile,
    now: DateTime<Utc>,
    look_ahead: Duration,
) -> Forecast {
    let metric = quota.metric;
    let ledger = Ledger::new(minutes, metric);
    let mut agents = ledger.agents.clone();
    for a in &profile.agents {
        if !agents.contains(&a.agent_id) {
            agents.push(a.agent_id);
        }
    }
    let now_minute = minute_of(now);
    let w = window_minutes(quota.window_seconds);
    let limit = limit_per_window(quota);
    let used_now = ledger.window_total(now_minute, w);

    // Each agent's pace per minute over the last ten minutes, or since it started within them.
    let pace: Vec<f64> = agents
        .iter()
        .map(|id| {
            let Some(i) = ledger.agents.iter().position(|a| a == id) else {
                return 0.0;
            };
            let counts: Vec<u64> = (1..=PACE_MINUTES)
                .map(|k| ledger.get(now_minute - 60 * k, i))
                .collect();
            let active = counts.iter().rposition(|c| *c > 0).map_or(0, |p| p + 1);
            let total: u64 = counts.iter().sum();
            let current = ledger.get(now_minute, i) as f64;
            let elapsed = (f64::from(now.second()) / 60.0).max(1.0 / 60.0);
            if active == 0 {
                // Only this minute so far: its rate, scaled to a whole minute once it is well
                // under way (a fresh minute's first call is not a rate).
                if elapsed >= 0.25 {
                    current / elapsed
                } else {
                    current
                }
            } else {
                total as f64 / active as f64
            }
        })
        .collect();
    let basis = if profile.days > 0 {
        ForecastBasis::PaceAndProfile
    } else {
        ForecastBasis::Pace
    };

    // Per-agent projected use of each minute from the current one on, then rolling windows.
    let steps = (look_ahead.num_minutes().max(1)) + 1;
    let projected = |agent: usize, k: i64| -> f64 {
        let minute = now_minute + 60 * k;
        let id = agents[agent];
        let actual = ledger
            .agents
            .iter()
            .position(|a| *a == id)
            .map_or(0, |i| ledger.get(minute, i)) as f64;
        let usual = profile.rate(id, metric, slot_of(minute));
        let usual_now = profile.rate(id, metric, slot_of(now_minute)).unwrap_or(0.0);
        let estimate = match usual {
            // The usual use then, plus today's departure from the usual, fading.
            Some(usual) => {
                let weight = (-(k as f64) / PACE_DECAY_MINUTES).exp();
                (usual + weight * (pace[agent] - usual_now)).max(0.0)
            }
            None => pace[agent],
        };
        if k == 0 {
            actual.max(estimate)
        } else {
            estimate
        }
    };
    // The part of each window already past (before the current minute), per agent.
    let past = |agent: usize, minute: i64| -> f64 {
        let id = agents[agent];
        ledger
            .agents
            .iter()
            .position(|a| *a == id)
            .map_or(0.0, |i| ledger.get(minute, i) as f64)
    };
    let mut per_minute: Vec<Vec<f64>> = Vec::with_capacity(agents.len());
    for a in 0..agents.len() {
        per_minute.push((0..steps).map(|k| projected(a, k)).collect());
    }
    let window_use = |a: usize, k: i64| -> f64 {
        (0..w)
            .map(|back| k - back)
            .map(|j| {
                if j >= 0 {
                    per_minute[a][j as usize]
                } else {
                    past(a, now_minute + 60 * j)
                }
            })
            .sum()
    };
    let mut reaches = None;
    let mut peak = (0.0f64, 0i64);
    for k in 0..steps {
        let total: f64 = (0..agents.len()).map(|a| window_use(a, k)).sum();
        let share = if limit > 0.0 { total / limit } else { 0.0 };
        if share > peak.0 {
            peak = (share, k);
        }
        if reaches.is_none() && share >= 1.0 {
            reaches = Some(k);
            break;
        }
    }
    let focus = reaches.unwrap_or(peak.1);
    let mut shares: Vec<ForecastShare> = (0..agents.len())
        .map(|a| ForecastShare {
            agent_id: agents[a],
            share: if limit > 0.0 {
                window_use(a, focus) / limit
            } else {
                0.0
            },
        })
        .filter(|s| s.share > 0.0005)
        .collect();
    shares.sort_by(|x, y| {
        y.share
            .total_cmp(&x.share)
            .then(x.agent_id.cmp(&y.agent_id))
    });
    let at = |k: i64| -> DateTime<Utc> {
        if k == 0 {
            now
        } else {
            DateTime::from_timestamp(now_minute + 60 * k, 0).unwrap_or(now)
        }
    };
    Forecast {
        metric,
        limit: quota.limit,
        window_seconds: quota.window_seconds,
        used_now,
        reaches_limit_at: reaches.map(at),
        peak_share: peak.0,
        peak_at: at(peak.1),
        agents: shares,
        basis,
    }
}
