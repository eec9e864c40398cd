//! Scripted scenarios: one per coordination detector, each a small cast of agents (2 or 3, with
//! fixed ids such as `editor` and `publisher`) whose tasks and events unfold over a few ticks and
//! then stay quiet, so that the detector fires for real when Baton polls them over HTTP.
//!
//! ```
//! use baton_sim::scenario::Scenario;
//! let scenario: Scenario = "write-collision".parse().unwrap();
//! assert_eq!(scenario.expected().kind, "write_collision");
//! assert!(Scenario::ALL.iter().all(|s| s.name().parse::<Scenario>() == Ok(*s)));
//! ```
//!
//! Run one with [`crate::SimFleet::start_scenario`] (or `baton sim --scenario NAME`).

use std::fmt;
use std::str::FromStr;

use baton_core::rules::{Rule, RuleKind};

mod agent;
mod beside;
mod catalog;
pub mod timeline;

#[cfg(test)]
mod tests;

pub use agent::calls::model_of;
pub use agent::ScenarioAgent;
pub use catalog::timeout_head_start;
pub use timeline::Cast;

/// One scripted scenario per detector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scenario {
    WriteCollision,
    OwnershipViolation,
    ReadDuringWrite,
    Sequencing,
    SilentCompletion,
    Stall,
    Timeout,
    TriggerCollision,
    Unreachable,
    DivergentClaims,
    NeedsApproval,
    InvalidHandoff,
    RateLimitPressure,
    CounterRestart,
    CrossAgentSequencing,
    Deadlock,
    OverBudget,
}

/// The finding a scenario produces: what to watch for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expected {
    /// The finding's kind as Baton names it, e.g. `write_collision`.
    pub kind: &'static str,
    /// The ids (as the agents report them) of the agents the finding names.
    pub agents: &'static [&'static str],
    /// The resource the finding is about, if any.
    pub resource: Option<&'static str>,
    /// When it shows up, with Baton's default windows.
    pub when: &'static str,
}

impl Scenario {
    pub const ALL: [Scenario; 17] = [
        Scenario::WriteCollision,
        Scenario::OwnershipViolation,
        Scenario::ReadDuringWrite,
        Scenario::Sequencing,
        Scenario::SilentCompletion,
        Scenario::Stall,
        Scenario::Timeout,
        Scenario::TriggerCollision,
        Scenario::Unreachable,
        Scenario::DivergentClaims,
        Scenario::NeedsApproval,
        Scenario::InvalidHandoff,
        Scenario::RateLimitPressure,
        Scenario::CounterRestart,
        Scenario::CrossAgentSequencing,
        Scenario::Deadlock,
        Scenario::OverBudget,
    ];

    /// The kebab-case name, e.g. `write-collision`.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::WriteCollision => "write-collision",
            Scenario::OwnershipViolation => "ownership-violation",
            Scenario::ReadDuringWrite => "read-during-write",
            Scenario::Sequencing => "sequencing",
            Scenario::SilentCompletion => "silent-completion",
            Scenario::Stall => "stall",
            Scenario::Timeout => "timeout",
            Scenario::TriggerCollision => "trigger-collision",
            Scenario::Unreachable => "unreachable",
            Scenario::DivergentClaims => "divergent-claims",
            Scenario::NeedsApproval => "needs-approval",
            Scenario::InvalidHandoff => "invalid-handoff",
            Scenario::RateLimitPressure => "rate-limit-pressure",
            Scenario::CounterRestart => "counter-restart",
            Scenario::CrossAgentSequencing => "cross-agent-sequencing",
            Scenario::Deadlock => "deadlock",
            Scenario::OverBudget => "over-budget",
        }
    }

    /// What happens, in one sentence.
    pub fn description(self) -> &'static str {
        match self {
            Scenario::WriteCollision => {
                "An editor and a publisher write the same launch draft two seconds apart."
            }
            Scenario::OwnershipViolation => {
                "Support marks an invoice status that a rule gives to Billing."
            }
            Scenario::ReadDuringWrite => {
                "An editor reads the Q3 draft while the writer's task is still writing it."
            }
            Scenario::Sequencing => {
                "A publisher starts publishing while the images task it depends on is still working."
            }
            Scenario::SilentCompletion => {
                "A researcher completes its notes for the writer, and the writer never picks them up."
            }
            Scenario::Stall => "An analyst's scoring task stops making progress and stays working.",
            Scenario::Timeout => {
                "An indexer's re-index, started almost two hours earlier, keeps working past its budget."
            }
            Scenario::TriggerCollision => {
                "Billing and Support both act on the same invoice mail."
            }
            Scenario::Unreachable => "A scraper's endpoint stops answering after two ticks.",
            Scenario::DivergentClaims => {
                "An analyst says contact 42 is gold while Support says silver."
            }
            Scenario::NeedsApproval => {
                "A publisher asks a person before publishing a post that quotes an unannounced price."
            }
            Scenario::InvalidHandoff => {
                "A researcher hands the writer a brief whose title is a number and whose summary is missing."
            }
            Scenario::RateLimitPressure => {
                "A writer and an editor burst against the same OpenAI quota (100 requests/min) until 429s come back."
            }
            Scenario::CounterRestart => {
                "An importer restarts without its event counter and numbers its events from 1 again."
            }
            Scenario::CrossAgentSequencing => {
                "A writer starts the launch post before the researcher's brief it depends on is done."
            }
            Scenario::Deadlock => {
                "A writer's draft waits for an editor's style guide, which waits for the draft."
            }
            Scenario::OverBudget => {
                "A researcher's calls to gpt-4o pass its daily budget of $1."
            }
        }
    }

    /// Who plays it, in fleet order.
    pub fn cast(self) -> Vec<Cast> {
        catalog::script(self).0
    }

    /// The ownership rules the scenario needs (owners by the agents' display names).
    pub fn rules(self) -> Vec<Rule> {
        match self {
            Scenario::OwnershipViolation => vec![Rule {
                note: Some("Invoice status is Billing's call".into()),
                ..Rule::new(RuleKind::Data, catalog::INVOICE_STATUS_RULE, "Billing")
            }],
            _ => Vec::new(),
        }
    }

    /// The daily budgets (in dollars) the scenario sets, by the id the agent reports.
    pub fn budgets(self) -> Vec<(&'static str, f64)> {
        match self {
            Scenario::OverBudget => vec![("researcher", 1.0)],
            _ => Vec::new(),
        }
    }

    /// The JSON Schemas the scenario's handoffs are checked against, by handoff type.
    pub fn handoff_schemas(self) -> Vec<(String, serde_json::Value)> {
        match self {
            Scenario::InvalidHandoff => vec![(
                "brief".to_owned(),
                serde_json::json!({
                    "$schema": "https://json-schema.org/draft/2020-12/schema",
                    "type": "object",
                    "required": ["type", "title", "summary"],
                    "properties": {
                        "type": { "const": "brief" },
                        "title": { "type": "string", "minLength": 1 },
                        "summary": { "type": "string" }
                    }
                }),
            )],
            _ => Vec::new(),
        }
    }

    /// The finding to watch for.
    pub fn expected(self) -> Expected {
        use catalog::*;
        let (kind, agents, resource, when): (_, &'static [&'static str], _, _) = match self {
            Scenario::WriteCollision => (
                "write_collision",
                &["editor", "publisher"],
                Some(LAUNCH_DRAFT),
                "as soon as both writes are polled (tick 4; the window is 60 s)",
            ),
            Scenario::OwnershipViolation => (
                "ownership_violation",
                &["support", "billing"],
                Some(INVOICE_STATUS),
                "once Support's write is polled (tick 4), if the rule was there before",
            ),
            Scenario::ReadDuringWrite => (
                "read_during_write",
                &["writer", "editor"],
                Some(Q3_DRAFT),
                "once the editor's read is polled (tick 5)",
            ),
            Scenario::Sequencing => (
                "sequencing",
                &["publisher"],
                Some(LAUNCH_POST),
                "once the publish task is working (tick 3)",
            ),
            Scenario::SilentCompletion => (
                "silent_completion",
                &["researcher", "writer"],
                Some(PRICING_NOTES),
                "after the silent-completion window (10 min by default) past tick 3",
            ),
            Scenario::Stall => (
                "stall",
                &["analyst"],
                Some(CHURN_SEGMENT),
                "after the stall window (15 min by default) without progress past tick 3",
            ),
            Scenario::Timeout => (
                "timeout",
                &["indexer"],
                Some(KB_INDEX),
                "about 2 min in: the task began 1 h 58 min before tick 1 and the budget is 2 h",
            ),
            Scenario::TriggerCollision => (
                "trigger_collision",
                &["billing", "support"],
                Some(INVOICE_MAIL),
                "as soon as both triggers are polled (tick 2; the window is 60 s)",
            ),
            Scenario::Unreachable => (
                "unreachable",
                &["scraper"],
                None,
                "after 5 failed polls in a row (the endpoint closes at tick 3)",
            ),
            Scenario::DivergentClaims => (
                "divergent_claims",
                &["analyst", "support"],
                Some(TIER_KEY),
                "once Support's claim is polled (tick 3)",
            ),
            Scenario::NeedsApproval => (
                "needs_approval",
                &["publisher"],
                Some(LAUNCH_POST),
                "once the question is polled (tick 3); approving lets the post go out",
            ),
            Scenario::InvalidHandoff => (
                "invalid_handoff",
                &["researcher", "writer"],
                Some(LAUNCH_BRIEF),
                "once the handoff is polled (tick 3)",
            ),
            Scenario::RateLimitPressure => (
                "rate_limit_pressure",
                &["writer", "editor"],
                Some(OPENAI_API),
                "once both bursts are polled (tick 2: 90 of 100 requests in a minute); 429s at tick 3",
            ),
            Scenario::CounterRestart => (
                "counter_restart",
                &["importer"],
                None,
                "once the events after the restart are polled (tick 3)",
            ),
            Scenario::CrossAgentSequencing => (
                "sequencing",
                &["writer", "researcher"],
                Some(LAUNCH_POST),
                "once the writer's post is working (tick 3)",
            ),
            Scenario::Deadlock => (
                "deadlock",
                &["writer", "editor"],
                None,
                "as soon as both tasks are polled (tick 1: each depends on the other)",
            ),
            Scenario::OverBudget => (
                "over_budget",
                &["researcher"],
                None,
                "once $1.60 of calls are polled (tick 3)",
            ),
        };
        Expected {
            kind,
            agents,
            resource,
            when,
        }
    }

    /// Fresh agents for a run, in fleet order.
    pub fn agents(self) -> Vec<ScenarioAgent> {
        let (cast, beats) = catalog::script(self);
        cast.into_iter()
            .enumerate()
            .map(|(i, cast)| {
                let mine = beats
                    .iter()
                    .filter(|b| b.agent == i)
                    .map(|b| (b.tick, b.action.clone()))
                    .collect();
                ScenarioAgent::new(cast, mine)
            })
            .collect()
    }

    /// The tick of the last beat: from the next one on, nothing new happens.
    pub fn last_tick(self) -> u64 {
        catalog::script(self)
            .1
            .iter()
            .map(|b| b.tick)
            .max()
            .unwrap_or(0)
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not a scenario; its message lists the valid ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownScenario(pub String);

impl fmt::Display for UnknownScenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = Scenario::ALL.iter().map(|s| s.name()).collect();
        write!(
            f,
            "unknown scenario \"{}\"; the scenarios are: {}",
            self.0,
            names.join(", ")
        )
    }
}

impl std::error::Error for UnknownScenario {}

impl FromStr for Scenario {
    type Err = UnknownScenario;

    /// The kebab-case name; case and `_` for `-` are forgiven.
    fn from_str(s: &str) -> Result<Scenario, UnknownScenario> {
        let wanted = s.trim().to_lowercase().replace('_', "-");
        Scenario::ALL
            .into_iter()
            .find(|scenario| scenario.name() == wanted)
            .ok_or_else(|| UnknownScenario(s.to_owned()))
    }
}
