//! Escalations: findings (or an agent's own request) that need a human, with an SLA, the
//! human's choices, and the delivery of the decision back to the agents. The store keeps them;
//! this module holds what is pure: the types the UI sees, which SLA applies, what an action
//! means on the wire.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::detect::{FindingKind, Severity};
use crate::rules::{ResourcePattern, Rule, RuleKind, DEFAULT_EXCEPTION_SLA_SECONDS};

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
}

/// Which SLA applies to an escalation about `resource`, and who handles it: the `exception` rule
/// whose pattern matches the resource (the most specific one: the longest pattern text), else
/// the default 24 h and nobody in particular.
pub fn sla_for(resource: Option<&str>, rules: &[Rule]) -> (Duration, Option<String>) {
    let matching = resource.and_then(|uri| {
        rules
            .iter()
            .filter(|r| r.kind == RuleKind::Exception)
            .filter(|r| ResourcePattern::parse(&r.pattern).is_ok_and(|p| p.matches(uri)))
            .max_by_key(|r| r.pattern.len())
    });
    let seconds = matching
        .and_then(Rule::effective_sla_seconds)
        .unwrap_or(DEFAULT_EXCEPTION_SLA_SECONDS);
    let seconds = i64::try_from(seconds).unwrap_or(i64::MAX / 1000);
    (
        Duration::try_seconds(seconds).unwrap_or(Duration::days(365)),
        matching.map(|r| r.owner.clone()),
    )
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct EscalationDecision {
    /// Its entry in the decision log.
    pub seq: i64,
    pub action: String,
    pub who: String,
    pub reason: Option<String>,
    #[ts(type = "string")]
    pub at: DateTime<Utc>,
}

/// An escalation as the queue shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
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
    /// The last decision taken on it (a snooze, or what resolved it).
    pub decision: Option<EscalationDecision>,
    /// The decision's delivery to each agent concerned.
    pub deliveries: Vec<Delivery>,
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

/// A desktop notification to show for an escalation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub escalation_id: i64,
    pub summary: String,
    pub body: String,
}

fn kind_label(kind: FindingKind) -> String {
    let text = kind.as_str().replace('_', " ");
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// What to tell the person: each newly opened **critical** escalation, and each open one whose
/// SLA is about to lapse (`lapsing`), in that order; one alert per escalation. Snoozed ones stay
/// quiet until their snooze ends, except when their SLA is about to lapse.
pub fn alerts(
    escalations: &[Escalation],
    opened: &[i64],
    lapsing: &[i64],
    now: DateTime<Utc>,
) -> Vec<Alert> {
    let mut told = Vec::new();
    let mut alerts = Vec::new();
    for e in escalations.iter().filter(|e| opened.contains(&e.id)) {
        if e.severity == Severity::Critical && e.is_awake(now) && !told.contains(&e.id) {
            told.push(e.id);
            alerts.push(Alert {
                escalation_id: e.id,
                summary: format!("{}: needs you", kind_label(e.kind)),
                body: e.title.clone(),
            });
        }
    }
    for e in escalations.iter().filter(|e| lapsing.contains(&e.id)) {
        if e.state == EscalationState::Open && !told.contains(&e.id) {
            told.push(e.id);
            let minutes = (e.due_at - now).num_minutes().max(0);
            alerts.push(Alert {
                escalation_id: e.id,
                summary: format!("SLA lapses in {minutes} min"),
                body: e.title.clone(),
            });
        }
    }
    alerts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exception(pattern: &str, owner: &str, sla: Option<u64>) -> Rule {
        Rule {
            sla_seconds: sla,
            ..Rule::new(RuleKind::Exception, pattern, owner)
        }
    }

    #[test]
    fn the_most_specific_exception_rule_sets_the_sla() {
        let rules = [
            exception("crm://invoices/**", "ana", Some(3600)),
            exception("crm://invoices/overdue/*", "ben", Some(600)),
            Rule::new(RuleKind::Data, "crm://invoices/**", "billing"),
        ];
        let (sla, who) = sla_for(Some("crm://invoices/overdue/7#status"), &rules);
        assert_eq!((sla, who.as_deref()), (Duration::seconds(600), Some("ben")));
        let (sla, who) = sla_for(Some("crm://invoices/7"), &rules);
        assert_eq!((sla, who.as_deref()), (Duration::hours(1), Some("ana")));
    }

    #[test]
    fn without_a_matching_rule_the_sla_is_a_day() {
        let rules = [exception("crm://contacts/**", "ana", None)];
        assert_eq!(
            sla_for(Some("mail://inbox/1"), &rules),
            (Duration::hours(24), None)
        );
        assert_eq!(sla_for(None, &rules), (Duration::hours(24), None));
        // A rule without its own SLA gives the default, and its owner.
        let (sla, who) = sla_for(Some("crm://contacts/x"), &rules);
        assert_eq!((sla, who.as_deref()), (Duration::hours(24), Some("ana")));
    }

    #[test]
    fn actions_check_their_notes() {
        assert_eq!(
            EscalationAction::Dismiss.check(Some("  ")),
            Err(DecideError::ReasonRequired)
        );
        assert_eq!(
            EscalationAction::Dismiss.check(Some(" test data ")),
            Ok(Some("test data".into()))
        );
        assert_eq!(EscalationAction::Approve.check(None), Ok(None));
        let long = "x".repeat(MAX_NOTE_LEN + 1);
        assert_eq!(
            EscalationAction::Approve.check(Some(&long)),
            Err(DecideError::NoteTooLong)
        );
        for minutes in [0, MAX_SNOOZE_MINUTES + 1] {
            assert_eq!(
                EscalationAction::Snooze { minutes }.check(None),
                Err(DecideError::SnoozeOutOfRange)
            );
        }
        assert!(EscalationAction::Snooze { minutes: 60 }.check(None).is_ok());
    }

    #[test]
    fn a_snooze_is_not_sent_and_does_not_resolve() {
        let snooze = EscalationAction::Snooze { minutes: 5 };
        assert_eq!(snooze.wire_action(), None);
        assert!(!snooze.resolves());
        let give = EscalationAction::GiveOwnership { agent_id: 3 };
        assert_eq!(give.wire_action(), Some("reassign"));
        assert!(give.resolves());
    }

    fn escalation(id: i64, severity: Severity, due_in_min: i64) -> Escalation {
        let now = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 5, 1, 12, 0, 0).unwrap();
        Escalation {
            id,
            finding_id: Some(id),
            kind: FindingKind::WriteCollision,
            severity,
            agents: vec![1, 2],
            resource: None,
            title: format!("escalation {id}"),
            agent_id: None,
            task_id: None,
            state: EscalationState::Open,
            opened_at: now,
            due_at: now + Duration::minutes(due_in_min),
            assignee: None,
            snoozed_until: None,
            closed_at: None,
            decision: None,
            deliveries: vec![],
        }
    }

    #[test]
    fn new_critical_escalations_and_lapsing_slas_alert_once_each() {
        let now = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 5, 1, 12, 0, 0).unwrap();
        let mut snoozed = escalation(4, Severity::Critical, 600);
        snoozed.snoozed_until = Some(now + Duration::minutes(5));
        let all = [
            escalation(1, Severity::Critical, 600),
            escalation(2, Severity::Warning, 600),
            escalation(3, Severity::Critical, 10),
            snoozed,
        ];
        let told = alerts(&all, &[1, 2, 3, 4], &[3], now);
        let ids: Vec<i64> = told.iter().map(|a| a.escalation_id).collect();
        assert_eq!(
            ids,
            [1, 3],
            "warnings and snoozed ones stay quiet; 3 is told once"
        );
        assert_eq!(told[0].summary, "Write collision: needs you");
        assert_eq!(told[0].body, "escalation 1");
        let lapsing = alerts(&all, &[], &[2, 4], now);
        assert_eq!(lapsing.len(), 2);
        assert_eq!(lapsing[0].summary, "SLA lapses in 600 min");
    }

    #[test]
    fn actions_cross_to_the_ui_tagged() {
        let json = serde_json::to_string(&EscalationAction::GiveOwnership { agent_id: 2 }).unwrap();
        assert_eq!(json, r#"{"action":"give_ownership","agent_id":2}"#);
        let back: EscalationAction =
            serde_json::from_str(r#"{"action":"snooze","minutes":30}"#).unwrap();
        assert_eq!(back, EscalationAction::Snooze { minutes: 30 });
    }
}
