//! Coordination detectors: pure functions over what the agents reported (the events not looked
//! at yet, and the recent events indexed by resource, agent, claim key and task:
//! [`RecentEvents`]), the tasks that can still matter ([`TaskBook`]), the ownership rules
//! (compiled once per change), the agents' health and the clock. What they keep between runs is
//! a [`DetectState`]: a run takes in what is new, detects, and settles, so it costs what is new
//! and not what is kept.
//!
//! Each produces [`Finding`]s with the evidence events and a `dedupe_key` naming the cause, so
//! that a finding already open for the same cause is updated rather than duplicated. Findings
//! about a lasting condition (a stall, an unreachable agent, a silent next stage) name the
//! episode in their key (since when), so a closed one is not reopened while the same episode
//! lasts, and a later episode is a new finding.
//!
//! Rate-limit pressure reads the usage ledger rather than events: see [`crate::ratelimit`].

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::protocol::{Event, Task};
use crate::rules::CompiledRules;

mod agents;
pub mod book;
mod collisions;
pub mod deadlock;
pub mod dependencies;
pub mod handoff;
mod ownership;
pub mod recent;
mod state;
mod tasks;
pub mod windows;

pub use book::{Agents, TaskBook};
pub use recent::{RecentEvents, WindowEvent};
pub use state::DetectState;

#[cfg(test)]
mod tests;

/// What a detector saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    OwnershipViolation,
    WriteCollision,
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
    Deadlock,
    OverBudget,
    /// Two branches of one repository change the same file.
    ParallelEdit,
    /// A coding agent's usage window (Claude's 5-hour, Codex's primary, …) is forecast to run
    /// out before it resets.
    UsageWindow,
}

impl FindingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::OwnershipViolation => "ownership_violation",
            FindingKind::WriteCollision => "write_collision",
            FindingKind::ReadDuringWrite => "read_during_write",
            FindingKind::Sequencing => "sequencing",
            FindingKind::SilentCompletion => "silent_completion",
            FindingKind::Stall => "stall",
            FindingKind::Timeout => "timeout",
            FindingKind::TriggerCollision => "trigger_collision",
            FindingKind::Unreachable => "unreachable",
            FindingKind::DivergentClaims => "divergent_claims",
            FindingKind::NeedsApproval => "needs_approval",
            FindingKind::InvalidHandoff => "invalid_handoff",
            FindingKind::RateLimitPressure => "rate_limit_pressure",
            FindingKind::CounterRestart => "counter_restart",
            FindingKind::Deadlock => "deadlock",
            FindingKind::OverBudget => "over_budget",
            FindingKind::ParallelEdit => "parallel_edit",
            FindingKind::UsageWindow => "usage_window",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// One event that is evidence of a finding: the agent (Baton's id) and the event's `seq`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
pub struct EvidenceRef {
    pub agent_id: i64,
    pub seq: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Finding {
    pub kind: FindingKind,
    pub severity: Severity,
    /// Baton's ids of the agents involved, sorted.
    pub agents: Vec<i64>,
    pub resource: Option<String>,
    /// A sentence for a person.
    pub summary: String,
    pub evidence: Vec<EvidenceRef>,
    /// The cause: the same key means the same finding (updated, not duplicated).
    pub dedupe_key: String,
    /// The key prefix of an earlier finding this one carries on (a forecast of pressure that
    /// came true, or moved to another hour): an open finding whose key starts with it is
    /// updated and takes this finding's key, rather than a second one opening.
    #[serde(skip)]
    #[ts(skip)]
    pub continues: Option<String>,
}

impl Finding {
    /// A finding of `kind` about `agents` under the key `dedupe_key`, with no resource and no
    /// evidence yet (add them with struct update syntax): what tests and callers outside the
    /// detectors file.
    pub fn about(
        kind: FindingKind,
        severity: Severity,
        agents: Vec<i64>,
        summary: impl Into<String>,
        dedupe_key: impl Into<String>,
    ) -> Finding {
        Finding {
            kind,
            severity,
            agents,
            resource: None,
            summary: summary.into(),
            evidence: Vec::new(),
            dedupe_key: dedupe_key.into(),
            continues: None,
        }
    }
}

/// An event as Baton stored it: which agent reported it.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservedEvent {
    pub agent_id: i64,
    pub event: Event,
}

/// A task as Baton holds it now.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservedTask {
    pub agent_id: i64,
    pub task: Task,
    /// When Baton last saw this task change (or its first sighting).
    pub updated_at: DateTime<Utc>,
}

/// An agent as the detectors need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentStatus {
    pub id: i64,
    /// Its name in Baton (what rules name).
    pub name: String,
    /// The id it reports for itself (`agent.id`; what `handoff.to` and `next_stage` name).
    pub remote_id: Option<String>,
    pub consecutive_failures: u32,
    pub last_error: Option<String>,
    /// The last successful poll (None: never), which dates an unreachable episode.
    pub last_success: Option<DateTime<Utc>>,
    /// Its latest run of events numbered against the protocol (a counter started over).
    pub counter: Option<CounterRestart>,
    /// A coding session's branch (git HEAD's branch, or its commit when detached): sessions on
    /// two branches changing one file edit in parallel, they do not collide.
    pub branch: Option<String>,
}

/// An agent's events came with a `seq` used before for another event (not stored), or below
/// one stored: it restarted without its counter. One episode lasts from the first poll that
/// had them until a poll whose new events were all in order (`over`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CounterRestart {
    /// The first poll of the episode (names the finding).
    pub since: DateTime<Utc>,
    /// Its latest poll with such events.
    pub last_at: DateTime<Utc>,
    /// Events not stored because their `seq` was used before for another event.
    pub reused: u32,
    /// Events stored whose `seq` was below one stored before.
    pub backward: u32,
    /// A later poll brought new events in order.
    pub over: bool,
}

/// Windows and budgets. The defaults suit agents that work in minutes; each can be set per agent
/// (see [`DetectConfig::for_agent`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Windows {
    /// Two writers of one resource within this long collide.
    pub write_collision: Duration,
    /// Two agents acting on one trigger within this long collide.
    pub trigger_collision: Duration,
    /// A next stage that shows nothing for this long after a completion is silent.
    pub silent_completion: Duration,
    /// A working task without progress for this long has stalled.
    pub stall: Duration,
    /// A task working longer than this has run past its budget.
    pub time_budget: Duration,
    /// This many failed polls in a row make an agent unreachable.
    pub unreachable_polls: u32,
}

impl Default for Windows {
    fn default() -> Windows {
        Windows {
            write_collision: Duration::seconds(60),
            trigger_collision: Duration::seconds(60),
            silent_completion: Duration::minutes(10),
            stall: Duration::minutes(15),
            time_budget: Duration::hours(2),
            unreachable_polls: 5,
        }
    }
}

/// The windows in force: the defaults, and any set for one agent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DetectConfig {
    pub defaults: Windows,
    pub per_agent: Vec<(i64, Windows)>,
}

impl DetectConfig {
    pub fn for_agent(&self, agent_id: i64) -> &Windows {
        self.per_agent
            .iter()
            .find(|(id, _)| *id == agent_id)
            .map_or(&self.defaults, |(_, windows)| windows)
    }
}

/// Everything the detectors look at: the clock, the events not looked at yet, and what the
/// detectors keep between runs ([`DetectState`]).
#[derive(Debug, Clone, Copy)]
pub struct DetectInput<'a> {
    pub now: DateTime<Utc>,
    /// Events stored since the last run (already taken into `recent`).
    pub new_events: &'a [ObservedEvent],
    /// The recent events, indexed (the new ones included).
    pub recent: &'a RecentEvents,
    pub tasks: &'a TaskBook,
    pub rules: &'a CompiledRules,
    pub agents: &'a Agents,
    pub config: &'a DetectConfig,
    /// The JSON Schema of each handoff type.
    pub handoff_schemas: &'a handoff::HandoffSchemas,
    /// Stored states of dependencies the task book does not hold.
    pub stored: &'a dependencies::StoredStates,
    /// Sessions refused a file another holds, still waiting for it (from the store).
    pub lease_waits: &'a [deadlock::LeaseWait],
}

impl<'a> DetectInput<'a> {
    fn name(&self, id: i64) -> String {
        self.agents.name(id)
    }
}

/// What one run of the detectors found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Detected {
    pub findings: Vec<Finding>,
    /// Handoffs that failed their schema, kept whole.
    pub dead_letters: Vec<handoff::DeadLetter>,
}

/// Every detector, in a stable order. Findings with the same `dedupe_key` are merged (evidence
/// and agents united), so one cause is one finding.
pub fn detect(input: &DetectInput<'_>) -> Detected {
    let (invalid, dead_letters) = handoff::invalid_handoffs(input);
    let mut findings = detect_all(input);
    findings.extend(invalid);
    Detected {
        findings: merge(findings),
        dead_letters,
    }
}

/// Every detector but the invalid handoffs (see [`detect`]), merged by `dedupe_key`.
pub fn detect_all(input: &DetectInput<'_>) -> Vec<Finding> {
    let mut found = Vec::new();
    found.extend(ownership::violations(input));
    found.extend(collisions::write_collisions(input));
    found.extend(collisions::trigger_collisions(input));
    found.extend(collisions::reads_during_writes(input));
    // Tasks waiting on each other around a cycle: one deadlock, not a sequencing finding each.
    let (deadlocks, knotted): (Vec<Finding>, Vec<_>) =
        deadlock::deadlocks(input).into_iter().unzip();
    let knotted: std::collections::HashSet<String> = knotted
        .into_iter()
        .flatten()
        .map(|(agent, task)| format!("{}:{agent}:{task}", FindingKind::Sequencing.as_str()))
        .collect();
    found.extend(
        tasks::sequencing(input)
            .into_iter()
            .filter(|f| !knotted.contains(&f.dedupe_key)),
    );
    found.extend(deadlocks);
    found.extend(tasks::silent_completions(input));
    found.extend(tasks::stalls_and_timeouts(input));
    found.extend(agents::unreachable(input));
    found.extend(agents::counter_restart(input));
    found.extend(agents::divergent_claims(input));
    found.extend(agents::needs_approval(input));
    merge(found)
}

fn merge(found: Vec<Finding>) -> Vec<Finding> {
    let mut merged: Vec<Finding> = Vec::with_capacity(found.len());
    let mut by_key: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for finding in found {
        match by_key.get(&finding.dedupe_key) {
            Some(&i) => {
                let existing = &mut merged[i];
                existing.agents.extend(finding.agents);
                existing.agents.sort_unstable();
                existing.agents.dedup();
                existing.evidence.extend(finding.evidence);
                existing.evidence = cap_evidence(std::mem::take(&mut existing.evidence));
            }
            None => {
                by_key.insert(finding.dedupe_key.clone(), merged.len());
                merged.push(finding);
            }
        }
    }
    merged
}

/// Most evidence events a finding keeps per agent: the latest ones.
pub const MAX_EVIDENCE_PER_AGENT: usize = 20;
/// Most evidence events a finding keeps in all.
pub const MAX_EVIDENCE: usize = 100;

/// Evidence sorted, without repeats, and bounded: at most [`MAX_EVIDENCE_PER_AGENT`] (the
/// latest) of each agent and [`MAX_EVIDENCE`] in all, fewer per agent when many agents take
/// part. A cause that fires ten thousand times among hundreds of agents is not ten thousand
/// rows of evidence.
pub fn cap_evidence(mut evidence: Vec<EvidenceRef>) -> Vec<EvidenceRef> {
    evidence.sort_unstable();
    evidence.dedup();
    let agents = evidence.chunk_by(|a, b| a.agent_id == b.agent_id).count();
    let per_agent = MAX_EVIDENCE_PER_AGENT.min((MAX_EVIDENCE / agents.max(1)).max(1));
    let mut kept = Vec::with_capacity(evidence.len().min(MAX_EVIDENCE));
    for same_agent in evidence.chunk_by(|a, b| a.agent_id == b.agent_id) {
        let from = same_agent.len().saturating_sub(per_agent);
        kept.extend_from_slice(&same_agent[from..]);
    }
    kept.truncate(MAX_EVIDENCE);
    kept
}

/// A finding with sorted, deduplicated agents and evidence.
fn finding(
    kind: FindingKind,
    severity: Severity,
    mut agents: Vec<i64>,
    resource: Option<String>,
    summary: String,
    evidence: Vec<EvidenceRef>,
    cause: &str,
) -> Finding {
    agents.sort_unstable();
    agents.dedup();
    let evidence = cap_evidence(evidence);
    Finding {
        kind,
        severity,
        agents,
        resource,
        summary,
        evidence,
        dedupe_key: format!("{}:{cause}", kind.as_str()),
        continues: None,
    }
}

fn evidence_of(event: &ObservedEvent) -> EvidenceRef {
    EvidenceRef {
        agent_id: event.agent_id,
        seq: event.event.seq,
    }
}

fn evidence_in(event: &WindowEvent) -> EvidenceRef {
    EvidenceRef {
        agent_id: event.agent_id,
        seq: event.seq,
    }
}

/// "1 min 30 s" for a window in a sentence.
fn human(duration: Duration) -> String {
    crate::agent::human_duration_ms(duration.num_milliseconds().max(0) as u64)
}

/// An instant in a dedupe key (seconds since the epoch).
fn stamp(at: DateTime<Utc>) -> i64 {
    at.timestamp()
}
