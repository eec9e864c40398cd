//! Readiness: is an agent stable enough that a second agent may join it? The rollout rule many
//! agent teams follow, from what Baton already holds: so many consecutive days of stable running
//! (polled, and answering at least the poll-health bar that day), no unresolved trigger or data
//! conflict it is part of, the owner approving its requests as asked (without edits) often
//! enough, and few failed tasks. Days are UTC days. The thresholds are the user's
//! (`baton.toml [readiness]`); the facts come from the store.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// When an agent counts as ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default, deny_unknown_fields)]
pub struct ReadinessThresholds {
    /// Consecutive days of stable running (default 28: four weeks).
    pub days: u32,
    /// Of its requests decided, the share approved as asked, at least (default 85).
    pub approval_percent: u32,
    /// Of its tasks ended, the share failed, at most (default 10).
    pub max_failure_percent: u32,
    /// Of a day's polls, the share answered, for the day to count as stable (default 95).
    pub poll_health_percent: u32,
}

impl Default for ReadinessThresholds {
    fn default() -> Self {
        ReadinessThresholds {
            days: 28,
            approval_percent: 85,
            max_failure_percent: 10,
            poll_health_percent: 95,
        }
    }
}

/// Most days the rule may ask for: a year (and a day).
pub const MAX_READINESS_DAYS: u32 = 366;

impl ReadinessThresholds {
    /// Why the thresholds are refused, naming the field.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        if self.days == 0 || self.days > MAX_READINESS_DAYS {
            return Err((
                "days",
                format!("days of stable running: 1 to {MAX_READINESS_DAYS}"),
            ));
        }
        for (field, what, value) in [
            (
                "approval_percent",
                "the approval share",
                self.approval_percent,
            ),
            (
                "max_failure_percent",
                "the failure share",
                self.max_failure_percent,
            ),
            (
                "poll_health_percent",
                "the poll health",
                self.poll_health_percent,
            ),
        ] {
            if value > 100 {
                return Err((field, format!("{what} is a percentage: 0 to 100")));
            }
        }
        Ok(())
    }
}

/// An agent's polls on one UTC day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollDay {
    pub day: NaiveDate,
    pub ok: u64,
    pub failed: u64,
}

/// What the store knows of an agent over the rule's period (the last `days` days).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadinessFacts {
    /// Days with polls, any order.
    pub days: Vec<PollDay>,
    /// Open escalations of a trigger or data conflict (ownership, write or trigger collision,
    /// read during write, divergent claims) the agent is part of.
    pub open_conflicts: u32,
    /// Its own requests (needs approval) decided in the period …
    pub decided: u32,
    /// … and of those, approved as asked: an approval without a note or answer changing it.
    pub approved_as_asked: u32,
    /// Its tasks that ended in the period, completed or failed.
    pub completed: u32,
    pub failed: u32,
}

/// An agent's readiness, as the Agents view's card shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Readiness {
    pub agent_id: i64,
    pub ready: bool,
    /// Consecutive stable days up to today (today counts once it has a poll), counted up to
    /// the days needed.
    pub stable_days: u32,
    pub days_needed: u32,
    /// None: nothing decided in the period.
    pub approval_percent: Option<f64>,
    pub decided: u32,
    pub open_conflicts: u32,
    /// None: no task ended in the period.
    pub failure_percent: Option<f64>,
    /// Polls answered over the period; None: never polled in it.
    pub poll_health_percent: Option<f64>,
    /// What is missing, a short phrase each ("19 of 28 days", "approval 81 %").
    pub missing: Vec<String>,
    /// One line: "ready" or the missing phrases joined.
    pub summary: String,
    pub thresholds: ReadinessThresholds,
}

fn percent(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 * 100.0 / whole as f64)
}

/// A percentage as the card says it, in whole numbers ("81 %").
fn said(value: f64) -> String {
    format!("{} %", value.floor())
}

/// Evaluates `facts` of agent `agent_id` against `thresholds` on the day of `now`.
pub fn evaluate(
    agent_id: i64,
    facts: &ReadinessFacts,
    thresholds: &ReadinessThresholds,
    now: DateTime<Utc>,
) -> Readiness {
    let today = now.date_naive();
    let stable = |d: &PollDay| {
        percent(d.ok, d.ok + d.failed)
            .is_some_and(|p| p >= f64::from(thresholds.poll_health_percent))
    };
    let by_day: std::collections::HashMap<NaiveDate, &PollDay> =
        facts.days.iter().map(|d| (d.day, d)).collect();
    // Today counts once it has polls; until then the streak is read up to yesterday.
    let mut day = if by_day.contains_key(&today) {
        Some(today)
    } else {
        today.pred_opt()
    };
    let mut stable_days = 0u32;
    while let Some(d) = day {
        match by_day.get(&d) {
            Some(polls) if stable(polls) => stable_days += 1,
            _ => break,
        }
        if stable_days >= thresholds.days {
            break;
        }
        day = d.pred_opt();
    }
    let (ok, failed) = facts.days.iter().fold((0u64, 0u64), |(ok, failed), d| {
        (ok + d.ok, failed + d.failed)
    });
    let poll_health_percent = percent(ok, ok + failed);
    let approval_percent = percent(u64::from(facts.approved_as_asked), u64::from(facts.decided));
    let failure_percent = percent(
        u64::from(facts.failed),
        u64::from(facts.completed) + u64::from(facts.failed),
    );

    let mut missing = Vec::new();
    if stable_days < thresholds.days {
        missing.push(format!("{stable_days} of {} days", thresholds.days));
    }
    if facts.open_conflicts > 0 {
        missing.push(format!(
            "{} unresolved conflict{}",
            facts.open_conflicts,
            if facts.open_conflicts == 1 { "" } else { "s" }
        ));
    }
    if let Some(approval) = approval_percent {
        if approval < f64::from(thresholds.approval_percent) {
            missing.push(format!("approval {}", said(approval)));
        }
    }
    if let Some(failure) = failure_percent {
        if failure > f64::from(thresholds.max_failure_percent) {
            missing.push(format!("{} of tasks failed", said(failure.ceil())));
        }
    }
    let ready = missing.is_empty();
    let summary = if ready {
        "ready".to_owned()
    } else {
        missing.join("; ")
    };
    Readiness {
        agent_id,
        ready,
        stable_days,
        days_needed: thresholds.days,
        approval_percent,
        decided: facts.decided,
        open_conflicts: facts.open_conflicts,
        failure_percent,
        poll_health_percent,
        missing,
        summary,
        thresholds: *thresholds,
    }
}

#[cfg(test)]
mod tests;
