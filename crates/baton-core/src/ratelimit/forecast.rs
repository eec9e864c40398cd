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
        let mut index: std::collections::HashMap<i64, usize> = std::collections::HashMap::new();
        for t in totals.iter().filter(|t| t.slot < PROFILE_SLOTS) {
            let at = *index.entry(t.agent_id).or_insert_with(|| {
                agents.push(AgentProfile {
                    agent_id: t.agent_id,
                    requests: vec![0.0; PROFILE_SLOTS],
                    tokens: vec![0.0; PROFILE_SLOTS],
                });
                agents.len() - 1
            });
            agents[at].requests[t.slot] += t.requests as f64 / per_minute;
            agents[at].tokens[t.slot] += t.tokens as f64 / per_minute;
        }
        agents.sort_by_key(|a| a.agent_id);
        TimeOfDayProfile { days, agents }
    }

    /// The agent's usual use per minute of `metric` in each slot; None without a profile (and
    /// all zeros for an agent the profile has not seen).
    fn series(&self, agent_id: i64, metric: Metric) -> Option<&[f64]> {
        if self.days == 0 {
            return None;
        }
        const NEVER: [f64; PROFILE_SLOTS] = [0.0; PROFILE_SLOTS];
        let Ok(at) = self.agents.binary_search_by_key(&agent_id, |a| a.agent_id) else {
            return Some(&NEVER);
        };
        let agent = &self.agents[at];
        Some(if metric.counts_tokens() {
            &agent.tokens
        } else {
            &agent.requests
        })
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

    // Where each agent is in the ledger and in the profile, looked up once.
    let in_ledger: Vec<Option<usize>> = agents
        .iter()
        .map(|id| ledger.agents.binary_search(id).ok())
        .collect();
    let usual: Vec<Option<&[f64]>> = agents
        .iter()
        .map(|id| profile.series(*id, metric))
        .collect();
    let counted =
        |a: usize, minute: i64| -> u64 { in_ledger[a].map_or(0, |i| ledger.get(minute, i)) };

    // Each agent's pace per minute over the last ten minutes, or since it started within them.
    let elapsed = (f64::from(now.second()) / 60.0).max(1.0 / 60.0);
    let pace: Vec<f64> = (0..agents.len())
        .map(|a| {
            let counts: Vec<u64> = (1..=PACE_MINUTES)
                .map(|k| counted(a, now_minute - 60 * k))
                .collect();
            let active = counts.iter().rposition(|c| *c > 0).map_or(0, |p| p + 1);
            let total: u64 = counts.iter().sum();
            let current = counted(a, now_minute) as f64;
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

    // Per agent, its use of every minute a window can need: the `w - 1` minutes already past
    // (actual), then the current one and the ones ahead (projected), as running sums so that
    // any window's use is one subtraction.
    let steps = (look_ahead.num_minutes().max(1)) + 1;
    let span = (w - 1 + steps) as usize;
    let running: Vec<Vec<f64>> = (0..agents.len())
        .map(|a| {
            let usual_now =
                usual[a].map_or(0.0, |s| s.get(slot_of(now_minute)).copied().unwrap_or(0.0));
            let mut sums = Vec::with_capacity(span + 1);
            sums.push(0.0);
            for i in 0..span {
                let k = i as i64 - (w - 1);
                let minute = now_minute + 60 * k;
                let value = if k < 0 {
                    counted(a, minute) as f64
                } else {
                    let actual = counted(a, minute) as f64;
                    let estimate = match usual[a].and_then(|s| s.get(slot_of(minute)).copied()) {
                        // The usual use then, plus today's departure from the usual, fading.
                        Some(usual) => {
                            let weight = (-(k as f64) / PACE_DECAY_MINUTES).exp();
                            (usual + weight * (pace[a] - usual_now)).max(0.0)
                        }
                        None => pace[a],
                    };
                    if k == 0 {
                        actual.max(estimate)
                    } else {
                        estimate
                    }
                };
                let last = sums[sums.len() - 1];
                sums.push(last + value);
            }
            sums
        })
        .collect();
    // The use of the window ending with minute `k` (0: the current one).
    let window_use = |a: usize, k: i64| -> f64 {
        let end = (k + w) as usize;
        running[a][end] - running[a][end - w as usize]
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
