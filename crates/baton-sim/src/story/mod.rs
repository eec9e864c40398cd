//! The demo's story: five agents (Researcher, Writer, Editor, Publisher, Support) that run a
//! content pipeline calmly and, once a minute, hit one scripted coordination failure, rotating
//! through the detectors: the first [`INCIDENT_OFFSET`] ticks in, then every [`CYCLE_TICKS`].
//! They obey decisions (see `ScenarioAgent`): after "Give ownership to Editor", Publisher stops
//! writing those files; a rejected task is cancelled; a retried one finishes.
//!
//! The windows are the story's own ([`windows`]), so that a stall or a silent completion shows
//! within a minute; the rule and the handoff schema it relies on come with it ([`rules`],
//! [`handoff_schemas`]).
//!
//! ```
//! use baton_sim::story::{Incident, CYCLE_TICKS};
//! assert_eq!(Incident::of_cycle(0), Incident::WriteCollision);
//! assert_eq!(Incident::of_cycle(Incident::ALL.len() as u64), Incident::WriteCollision);
//! assert_eq!(CYCLE_TICKS, 60);
//! ```

use std::time::Duration;

use baton_core::detect::windows::WindowOverrides;
use baton_core::protocol::{DecisionDelivery, Declares, StatusDocument};
use baton_core::rules::{Rule, RuleKind};
use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::held::{DecisionLog, Obeys};
use crate::scenario::timeline::{Action, Cast};
use crate::scenario::ScenarioAgent;

mod incidents;
mod plan;
#[cfg(test)]
mod tests;

pub use incidents::{launch_files, price_key};
pub use plan::ANNOUNCEMENTS;

/// Ticks (seconds in the demo) from one incident to the next.
pub const CYCLE_TICKS: u64 = 60;
/// The tick of a cycle at which its incident happens: the first one 20 s in.
pub const INCIDENT_OFFSET: u64 = 20;
/// A finished task is forgotten (no longer in the agent's status) this many ticks after it ended.
const FORGET_AFTER_TICKS: u64 = 180;

/// Who plays the story, in fleet order.
pub const CAST: [Cast; 5] = [
    Cast {
        id: "researcher",
        name: "Researcher",
    },
    Cast {
        id: "writer",
        name: "Writer",
    },
    Cast {
        id: "editor",
        name: "Editor",
    },
    Cast {
        id: "publisher",
        name: "Publisher",
    },
    Cast {
        id: "support",
        name: "Support",
    },
];

/// The coordination failures of the story, in the order they happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Incident {
    WriteCollision,
    NeedsApproval,
    OwnershipViolation,
    ReadDuringWrite,
    Sequencing,
    DivergentClaims,
    TriggerCollision,
    InvalidHandoff,
    RateLimitPressure,
    Stall,
    SilentCompletion,
    Unreachable,
}

impl Incident {
    pub const ALL: [Incident; 12] = [
        Incident::WriteCollision,
        Incident::NeedsApproval,
        Incident::OwnershipViolation,
        Incident::ReadDuringWrite,
        Incident::Sequencing,
        Incident::DivergentClaims,
        Incident::TriggerCollision,
        Incident::InvalidHandoff,
        Incident::RateLimitPressure,
        Incident::Stall,
        Incident::SilentCompletion,
        Incident::Unreachable,
    ];

    /// The incident of cycle `k` (the first cycle is 0).
    pub fn of_cycle(k: u64) -> Incident {
        let len = Incident::ALL.len() as u64;
        Incident::ALL[usize::try_from(k % len).unwrap_or(0)]
    }

    /// The kind of the finding it causes, as Baton names it.
    pub fn kind(self) -> &'static str {
        match self {
            Incident::WriteCollision => "write_collision",
            Incident::NeedsApproval => "needs_approval",
            Incident::OwnershipViolation => "ownership_violation",
            Incident::ReadDuringWrite => "read_during_write",
            Incident::Sequencing => "sequencing",
            Incident::DivergentClaims => "divergent_claims",
            Incident::TriggerCollision => "trigger_collision",
            Incident::InvalidHandoff => "invalid_handoff",
            Incident::RateLimitPressure => "rate_limit_pressure",
            Incident::Stall => "stall",
            Incident::SilentCompletion => "silent_completion",
            Incident::Unreachable => "unreachable",
        }
    }

    /// What happens, in one sentence.
    pub fn description(self) -> &'static str {
        match self {
            Incident::WriteCollision => {
                "Editor writes the launch FAQ and pricing copy; Publisher rewrites both two seconds later."
            }
            Incident::NeedsApproval => {
                "Publisher asks before posting a launch post that quotes an unannounced price."
            }
            Incident::OwnershipViolation => {
                "Writer posts a teaser to #announcements, which a rule gives to Publisher."
            }
            Incident::ReadDuringWrite => {
                "Editor reviews the whitepaper while Writer is still writing it."
            }
            Incident::Sequencing => {
                "Publisher starts the launch announcement before its images are rendered."
            }
            Incident::DivergentClaims => {
                "Researcher says the launch costs $49; Support tells a customer $39."
            }
            Incident::TriggerCollision => "Researcher and Support both act on one press request.",
            Incident::InvalidHandoff => {
                "Researcher hands Writer a brief whose title is a number and whose summary is missing."
            }
            Incident::RateLimitPressure => {
                "Writer and Editor burst on one OpenAI quota until 429s come back."
            }
            Incident::Stall => "A refund ticket of Support stops making progress.",
            Incident::SilentCompletion => {
                "Researcher completes a glossary for a translator agent nobody added."
            }
            Incident::Unreachable => "Support's endpoint stops answering for 20 seconds.",
        }
    }
}

/// The rule the story relies on: #announcements is Publisher's output.
pub fn rules() -> Vec<Rule> {
    vec![Rule {
        note: Some("Announcements go out through Publisher".into()),
        ..Rule::new(RuleKind::Output, ANNOUNCEMENTS, "Publisher")
    }]
}

/// The schema briefs are checked against (the invalid handoff breaks it): the invalid-handoff
/// scenario's.
pub fn handoff_schemas() -> Vec<(String, Value)> {
    crate::Scenario::InvalidHandoff.handoff_schemas()
}

/// The detector windows of every story agent when a tick lasts `tick`: collisions within 60
/// ticks, a stall after 45 ticks without progress, a silent completion after 40, unreachable
/// after 3 failed polls. The calm pipeline stays clear of each.
pub fn windows(tick: Duration) -> WindowOverrides {
    let seconds = |ticks: u64| {
        let ms = u64::try_from(tick.as_millis()).unwrap_or(u64::MAX);
        Some(ticks.saturating_mul(ms).div_ceil(1_000).max(1))
    };
    WindowOverrides {
        write_collision_seconds: seconds(60),
        trigger_collision_seconds: seconds(60),
        silent_completion_seconds: seconds(40),
        stall_seconds: seconds(45),
        time_budget_seconds: None,
        unreachable_polls: Some(3),
    }
}

/// What each agent declares: patterns for what its role touches.
fn declares(index: usize) -> Declares {
    let list = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect();
    let (triggers, reads, writes, outputs): (&[&str], &[&str], &[&str], &[&str]) = match index {
        plan::RESEARCHER => (
            &["mail://inbox/press-*"],
            &["api://search"],
            &["file:///research/*"],
            &["file:///research/*"],
        ),
        plan::WRITER => (
            &[],
            &["file:///research/*"],
            &["file:///drafts/*"],
            &["file:///drafts/*"],
        ),
        plan::EDITOR => (
            &[],
            &["file:///drafts/*"],
            &["file:///edits/*", "file:///site/*", "file:///reviews/*"],
            &["file:///edits/*", "file:///site/*"],
        ),
        plan::PUBLISHER => (
            &[],
            &["file:///edits/*", "file:///site/*", "cms://analytics/*"],
            &[
                "cms://posts/*",
                "cms://pages/*",
                "file:///site/*",
                "file:///assets/*",
                "file:///reports/*",
            ],
            &[
                "cms://posts/*",
                "cms://pages/*",
                ANNOUNCEMENTS,
                "file:///reports/*",
            ],
        ),
        _ => (
            &["mail://inbox/*"],
            &["crm://contacts/*", "crm://orders/*"],
            &["mail://outbox/*"],
            &["mail://outbox/*"],
        ),
    };
    Declares {
        triggers: list(triggers),
        reads: list(reads),
        writes: list(writes),
        outputs: list(outputs),
    }
}

/// One agent of the story: a scenario agent fed one cycle of beats at a time.
#[derive(Debug, Clone)]
pub struct StoryAgent {
    index: usize,
    /// How long a tick lasts: finished tasks are forgotten [`FORGET_AFTER_TICKS`] ticks after
    /// they ended.
    tick_length: Duration,
    agent: ScenarioAgent,
    /// Beats of this agent not played yet: (tick, action).
    pending: Vec<(u64, Action)>,
}

impl StoryAgent {
    /// Agent `index` of [`CAST`] (panics past it), ticking every `tick_length`.
    pub fn new(index: usize, tick_length: Duration) -> StoryAgent {
        StoryAgent {
            index,
            tick_length,
            agent: ScenarioAgent::new(CAST[index], Vec::new()).with_declares(declares(index)),
            pending: Vec::new(),
        }
    }

    /// Every agent of the story, in fleet order.
    pub fn cast(tick_length: Duration) -> Vec<StoryAgent> {
        (0..CAST.len())
            .map(|index| StoryAgent::new(index, tick_length))
            .collect()
    }

    pub fn agent(&self) -> &ScenarioAgent {
        &self.agent
    }

    pub fn agent_mut(&mut self) -> &mut ScenarioAgent {
        &mut self.agent
    }

    /// Plays the next tick at `now`: the cycle's beats are scheduled at its first tick.
    pub fn tick(&mut self, now: DateTime<Utc>) {
        let tick = self.agent.ticks() + 1;
        if (tick - 1).is_multiple_of(CYCLE_TICKS) {
            let index = self.index;
            self.pending.extend(
                plan::cycle((tick - 1) / CYCLE_TICKS)
                    .into_iter()
                    .filter(|beat| beat.agent == index)
                    .map(|beat| (beat.tick, beat.action)),
            );
        }
        let (due, later): (Vec<_>, Vec<_>) = std::mem::take(&mut self.pending)
            .into_iter()
            .partition(|(at, _)| *at <= tick);
        self.pending = later;
        self.agent
            .tick_with(now, due.into_iter().map(|(_, action)| action).collect());
        let keep = chrono::Duration::from_std(self.tick_length * FORGET_AFTER_TICKS as u32)
            .unwrap_or(chrono::Duration::minutes(3));
        self.agent.forget_finished(now - keep);
    }

    pub fn poll(&mut self, since: Option<&str>, max_events: usize) -> StatusDocument {
        self.agent.poll(since, max_events)
    }
}

/// A story's agent acts on decisions as its scenario agent does.
impl Obeys for StoryAgent {
    fn decision_log(&mut self) -> &mut DecisionLog {
        self.agent.decision_log()
    }

    fn obey(&mut self, decision: &DecisionDelivery, now: DateTime<Utc>) {
        self.agent.obey(decision, now);
    }
}
