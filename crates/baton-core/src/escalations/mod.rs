//! Escalations: findings (or an agent's own request) that need a human, with an SLA, the
//! human's choices, and the delivery of the decision back to the agents. The store keeps them;
//! this module holds what is pure: the types the UI sees, which SLA applies, what an action
//! means on the wire.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub use crate::ratelimit::view::BudgetShare;

use crate::detect::{FindingKind, Severity};
use crate::hooks::ParallelBranches;

/// Longest a snooze may last: a week.
pub const MAX_SNOOZE_MINUTES: u32 = 7 * 24 * 60;
/// Longest reason or note kept with a decision.
pub const MAX_NOTE_LEN: usize = 2000;
/// How long before its SLA lapses an escalation counts as "about to lapse": 15 minutes.
pub const LAPSE_WARNING: Duration = Duration::minutes(15);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum EscalationState {
    Open,
    Resolved,
    /// Past its SLA with no decision: shown as such, no action accepted.
    Expired,
}

impl EscalationState {
    pub fn as_str(self) -> &'static str {
        match self {
            EscalationState::Open => "open",
            EscalationState::Resolved => "resolved",
            EscalationState::Expired => "expired",
        }
    }

    pub fn parse(text: &str) -> Option<EscalationState> {
        match text {
            "open" => Some(EscalationState::Open),
            "resolved" => Some(EscalationState::Resolved),
            "expired" => Some(EscalationState::Expired),
            _ => None,
        }
    }
}

/// What the human chose for an escalation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum EscalationAction {
    Approve,
    Reject,
    /// The rule of the escalation's resource names this agent as owner (added or changed).
    GiveOwnership {
        agent_id: i64,
    },
    /// The agents run the task again.
    Retry,
    /// Not a real problem: a reason is required.
    Dismiss,
    /// Out of the way for a while; the SLA keeps running.
    Snooze {
        minutes: u32,
    },
    /// For rate-limit pressure: each agent's share of the API's quotas (delivered to each).
    SplitBudget {
        shares: Vec<BudgetShare>,
    },
    /// For a coding session refused a file another session holds: the file's lease moves to
    /// this session, whose next try passes (read by its next hook call; nothing is sent).
    GrantLease {
        agent_id: i64,
    },
    /// For a coding session refused a file: the session holding it keeps it (nothing changes;
    /// no reason needed, unlike a dismissal).
    KeepLease,
    /// For a coding session refused a file: every refused session of the item may write it once
    /// more while the holder keeps it.
    AllowBothOnce,
    /// For a deadlock: one task of the knot is cancelled; a `reject` of that task goes to its
    /// agent alone, and the others can go on once it is out of the way.
    CancelTask {
        agent_id: i64,
        task_id: String,
    },
    /// For a deadlock over files: the lease of `resource` moves to `agent_id`, a session of the
    /// knot waiting for it, whose next try passes (read by its next hook call).
    GiveLease {
        agent_id: i64,
        resource: String,
    },
    /// For a parallel edit: session `agent_id` leaves the item's files to the other branch:
    /// its writes of them are refused in every mode, the person's note as the reason (read by
    /// its next hook call; nothing is sent), and the files are the other branch's.
    StopTouching {
        agent_id: i64,
    },
    /// For a parallel edit: both branches go on changing the item's files (noted in the log;
    /// no item again for these files and branches, and `enforce` lets them).
    LetBothGoOn,
    /// For a parallel edit: the item's files are the branch of session `agent_id` (a lease
    /// across branches): `enforce` refuses the other branch's writes of them.
    HandToBranch {
        agent_id: i64,
    },
    /// For a usage window forecast to run out: the sessions of its client and account stop
    /// until the window resets (each one's next tool call is refused with a reason to wait;
    /// read by its hooks, nothing is sent).
    PauseSessions,
    /// For a usage window forecast to run out: the sessions go on (noted in the log).
    LetSessionsGoOn,
}

impl EscalationAction {
    /// The decision log's `action`.
    pub fn log_action(&self) -> &'static str {
        match self {
            EscalationAction::Approve => "approve",
            EscalationAction::Reject => "reject",
            EscalationAction::GiveOwnership { .. } => "give_ownership",
            EscalationAction::Retry => "retry",
            EscalationAction::Dismiss => "dismiss",
            EscalationAction::Snooze { .. } => "snooze",
            EscalationAction::SplitBudget { .. } => "split_budget",
            EscalationAction::GrantLease { .. } => "grant_lease",
            EscalationAction::KeepLease => "keep_lease",
            EscalationAction::AllowBothOnce => "allow_both_once",
            EscalationAction::CancelTask { .. } => "cancel_task",
            EscalationAction::GiveLease { .. } => "give_lease",
            EscalationAction::StopTouching { .. } => "stop_touching",
            EscalationAction::LetBothGoOn => "let_both_go_on",
            EscalationAction::HandToBranch { .. } => "hand_to_branch",
            EscalationAction::PauseSessions => "pause_sessions",
            EscalationAction::LetSessionsGoOn => "let_sessions_go_on",
        }
    }

    /// The `action` delivered to the agents (baton/1 decisions), or None when nothing is sent
    /// (a snooze concerns only the queue).
    pub fn wire_action(&self) -> Option<&'static str> {
        match self {
            EscalationAction::Approve => Some("approve"),
            EscalationAction::Reject => Some("reject"),
            EscalationAction::GiveOwnership { .. } => Some("reassign"),
            EscalationAction::Retry => Some("retry"),
            EscalationAction::Dismiss => Some("dismiss"),
            EscalationAction::Snooze { .. } => None,
            EscalationAction::SplitBudget { .. } => Some("budget"),
            EscalationAction::CancelTask { .. } => Some("reject"),
            EscalationAction::GrantLease { .. }
            | EscalationAction::KeepLease
            | EscalationAction::AllowBothOnce
            | EscalationAction::GiveLease { .. }
            | EscalationAction::StopTouching { .. }
            | EscalationAction::LetBothGoOn
            | EscalationAction::HandToBranch { .. }
            | EscalationAction::PauseSessions
            | EscalationAction::LetSessionsGoOn => None,
        }
    }

    /// True when the action settles the escalation (all but a snooze).
    pub fn resolves(&self) -> bool {
        !matches!(self, EscalationAction::Snooze { .. })
    }

    /// Checks the action and its note; returns the note trimmed (None when empty).
    pub fn check(&self, note: Option<&str>) -> Result<Option<String>, DecideError> {
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        if let Some(note) = note {
            if note.chars().count() > MAX_NOTE_LEN {
                return Err(DecideError::NoteTooLong);
            }
        }
        match self {
            EscalationAction::Dismiss if note.is_none() => Err(DecideError::ReasonRequired),
            EscalationAction::Snooze { minutes }
                if *minutes == 0 || *minutes > MAX_SNOOZE_MINUTES =>
            {
                Err(DecideError::SnoozeOutOfRange)
            }
            EscalationAction::SplitBudget { shares } => {
                let mut agents: Vec<i64> = shares.iter().map(|s| s.agent_id).collect();
                agents.sort_unstable();
                agents.dedup();
                let total: u32 = shares.iter().map(|s| s.percent.min(101)).sum();
                if shares.is_empty() || agents.len() != shares.len() {
                    Err(DecideError::BudgetAgents)
                } else if shares.iter().any(|s| s.percent > 100) || total > 100 {
                    Err(DecideError::BudgetOver)
                } else {
                    Ok(note.map(str::to_owned))
                }
            }
            _ => Ok(note.map(str::to_owned)),
        }
    }
}

/// Why a decision was refused before anything was stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecideError {
    #[error("dismissing needs a reason: say why this is not a real problem")]
    ReasonRequired,
    #[error("a note is at most {MAX_NOTE_LEN} characters")]
    NoteTooLong,
    #[error("a snooze lasts from 1 minute to 7 days")]
    SnoozeOutOfRange,
    #[error("a budget split names each agent once, and at least one")]
    BudgetAgents,
    #[error("a budget split's shares add up to at most 100%")]
    BudgetOver,
}

/// Where the delivery of a decision to one agent stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Not tried yet.
    Pending,
    /// Tried and failed; tried again later.
    Retrying,
    /// The agent acknowledged it and took it in.
    Delivered,
    /// The agent acknowledged it and said it will not act on it (`accepted: false`).
    Declined,
}

/// The delivery of one decision to one agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Delivery {
    pub agent_id: i64,
    pub state: DeliveryState,
    pub attempts: u32,
    pub last_error: Option<String>,
    #[ts(type = "string")]
    pub next_attempt_at: DateTime<Utc>,
    #[ts(type = "string | null")]
    pub delivered_at: Option<DateTime<Utc>>,
}

/// The decision that settled (or snoozed) an escalation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct EscalationDecision {
    /// Its entry in the decision log.
    pub seq: i64,
    pub action: String,
    pub who: String,
    /// The machine it was made on (None before Baton recorded it).
    #[serde(default)]
    #[ts(optional = nullable)]
    pub host: Option<String>,
    pub reason: Option<String>,
    #[ts(type = "string")]
    pub at: DateTime<Utc>,
}

/// An escalation as the queue shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Escalation {
    pub id: i64,
    pub finding_id: Option<i64>,
    pub kind: FindingKind,
    pub severity: Severity,
    /// Baton's ids of the agents involved, sorted.
    pub agents: Vec<i64>,
    pub resource: Option<String>,
    /// A sentence for a person.
    pub title: String,
    /// The agent's task it concerns, when there is one.
    pub agent_id: Option<i64>,
    pub task_id: Option<String>,
    pub state: EscalationState,
    #[ts(type = "string")]
    pub opened_at: DateTime<Utc>,
    /// When the SLA lapses.
    #[ts(type = "string")]
    pub due_at: DateTime<Utc>,
    /// Who handles it (the matching `exception` rule's owner), if a rule says.
    pub assignee: Option<String>,
    #[ts(type = "string | null")]
    pub snoozed_until: Option<DateTime<Utc>>,
    /// When it was resolved or expired.
    #[ts(type = "string | null")]
    pub closed_at: Option<DateTime<Utc>>,
    /// How many findings it stands for: 1, or more when findings of one cause were grouped.
    pub occurrences: u32,
    /// Findings of the same cause that came after it was decided: the item was updated
    /// rather than a new one opened (the agent may not have done what it was told).
    pub since_decision: u32,
    /// What a group covers: the rule pattern, or the pattern of its resources' common prefix.
    pub scope: Option<String>,
    /// The resources its findings name (at most [`MAX_GROUP_RESOURCES`]) …
    pub resources: Vec<String>,
    /// … and how many there are in all.
    pub resource_count: u32,
    /// When a finding last joined it.
    #[ts(type = "string")]
    pub last_seen_at: DateTime<Utc>,
    /// The last decision taken on it (a snooze, or what resolved it).
    pub decision: Option<EscalationDecision>,
    /// The decision's delivery to each agent concerned.
    pub deliveries: Vec<Delivery>,
    /// For a deadlock: the tasks and leases of the knot (what may be cancelled or given).
    pub knot: Option<Knot>,
    /// For a parallel edit: its two branches and the files both change.
    pub parallel: Option<ParallelBranches>,
}

/// A deadlock's tasks waiting on each other, and the leases waited for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Knot {
    pub tasks: Vec<KnotTask>,
    pub leases: Vec<KnotLease>,
}

/// A task of a knot (`task_id` empty: a session between turns, waiting as itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct KnotTask {
    pub agent_id: i64,
    pub task_id: String,
}

/// A file of a knot: who holds it is asked to give it to `waiter`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct KnotLease {
    pub resource: String,
    pub waiter: i64,
}

impl Knot {
    /// The knot a deadlock finding's key names.
    pub fn of_key(dedupe_key: &str) -> Option<Knot> {
        let key = crate::detect::deadlock::DeadlockKey::parse(dedupe_key)?;
        Some(Knot {
            tasks: key
                .tasks
                .into_iter()
                .map(|(agent_id, task_id)| KnotTask { agent_id, task_id })
                .collect(),
            leases: key
                .leases
                .into_iter()
                .map(|(resource, waiter)| KnotLease { resource, waiter })
                .collect(),
        })
    }
}

impl Escalation {
    /// Open and not snoozed at `now`.
    pub fn is_awake(&self, now: DateTime<Utc>) -> bool {
        self.state == EscalationState::Open && self.snoozed_until.is_none_or(|until| until <= now)
    }
}

/// One event on an escalation's time axis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct TimelineEvent {
    pub agent_id: i64,
    pub seq: u64,
    #[ts(type = "string")]
    pub at: DateTime<Utc>,
    pub kind: String,
    pub task_id: Option<String>,
    pub resource: Option<String>,
    /// A short line: "write crm://contacts/42#status", "state → completed", …
    pub text: String,
    /// True for the events the finding names as evidence (the rest are context).
    pub evidence: bool,
}

/// The evidence of an escalation: the involved agents' events around it, on one time axis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct EscalationTimeline {
    pub escalation_id: i64,
    pub agents: Vec<i64>,
    /// Oldest first.
    pub events: Vec<TimelineEvent>,
}

mod alerts;
pub mod group;
mod sla;
pub use alerts::{alerts, alerts_by, urgent, Alert, AlertFor};
pub use group::{
    group_of, group_title, scope_of, Group, GROUP_WINDOW, MAX_GROUP_RESOURCES, MAX_OPEN_PER_SCOPE,
};
pub use sla::{default_sla, sla_for};

#[cfg(test)]
mod tests;
