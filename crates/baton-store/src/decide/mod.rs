//! A human's decision on an escalation, in ONE transaction: the decision-log entry, the
//! escalation's new state, its findings closed (every one of its group), a rule change when ownership is given, a budget
//! split when one is decided, and one outbox row per agent concerned (what the relay delivers).
//! Either all of it is stored or none.
//!
//! An escalation past its SLA takes no decision: deciding on it expires it (logged) and answers
//! [`StoreError::EscalationExpired`].

use crate::db::{params, Db, RowsSql};
use baton_core::decisions::DecisionEntry;
use baton_core::escalations::{Escalation, EscalationAction, EscalationState};
use baton_core::protocol::BudgetGrant;
use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use crate::changes::{self, ChangeKind};
use crate::codec::ts;
use crate::coding_usage::pause_sessions_in;
use crate::decisions::{append_decision_in, NewDecision};
use crate::error::{Result, StoreError};
use crate::escalations::{escalation_in, expire_in};
use crate::rules::check_who;
use crate::sessions::choices::parallel_choice_in;
use crate::sessions::stop_subagent_in;
use crate::Store;
use baton_core::detect::FindingKind;

/// What [`Store::decide_escalation`] stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Decided {
    /// The escalation as it is now.
    pub escalation: Escalation,
    pub decision: DecisionEntry,
    /// The outbox rows written (one per agent the decision goes to).
    pub outbox: Vec<i64>,
    /// True when a rule was added or changed (ownership given).
    pub rules_changed: bool,
}

/// The idempotency key of a decision for one agent: unique per decision (its hash makes it
/// unique across databases too) and per agent.
pub fn idempotency_key(decision: &DecisionEntry, agent_id: i64) -> String {
    let short = decision.hash.get(..12).unwrap_or(&decision.hash);
    format!("dec-{}-{short}-a{agent_id}", decision.seq)
}

mod actions;
mod deliver;
mod via;

pub use via::{AnswerVia, DecidedIn};

use actions::{
    allow_once_in, cancel_task_in, file_of, give_lease_in, give_ownership_in, grant_lease_in,
    split_budget_in,
};
impl Store {
    /// Records `who`'s decision on escalation `id` (see the module docs).
    pub fn decide_escalation(
        &mut self,
        id: i64,
        action: &EscalationAction,
        note: Option<&str>,
        who: &str,
        now: DateTime<Utc>,
    ) -> Result<Decided> {
        self.decide_escalation_via(id, action, note, who, None, now)
    }

    /// [`Store::decide_escalation`] made `place` (the log says where).
    pub fn decide_escalation_in(
        &mut self,
        id: i64,
        action: &EscalationAction,
        note: Option<&str>,
        who: &str,
        place: DecidedIn,
        now: DateTime<Utc>,
    ) -> Result<Decided> {
        self.decide_in(id, action, note, who, None, place, now)
    }

    /// [`Store::decide_escalation`] for an answer that came back on a route (`via`): the log
    /// says so, and its nonce is recorded with the decision, in the same transaction; a nonce
    /// taken before answers [`StoreError::AnswerUsed`] and nothing is decided.
    pub fn decide_escalation_via(
        &mut self,
        id: i64,
        action: &EscalationAction,
        note: Option<&str>,
        who: &str,
        via: Option<&AnswerVia>,
        now: DateTime<Utc>,
    ) -> Result<Decided> {
        self.decide_in(id, action, note, who, via, DecidedIn::Unsaid, now)
    }

    #[allow(clippy::too_many_arguments)]
    fn decide_in(
        &mut self,
        id: i64,
        action: &EscalationAction,
        note: Option<&str>,
        who: &str,
        via: Option<&AnswerVia>,
        place: DecidedIn,
        now: DateTime<Utc>,
    ) -> Result<Decided> {
        check_who(who)?;
        let note = action
            .check(note)
            .map_err(|err| StoreError::InvalidDecision(err.to_string()))?;
        let tx = self.write_tx()?;
        if let Some(via) = via {
            via.check_unused(&tx)?;
        }
        let escalation = escalation_in(&tx, id)?;
        if escalation.state != EscalationState::Open {
            // Two people deciding at once: the second is told who was first, and with what.
            let decided = escalation
                .decision
                .as_ref()
                .map(|d| {
                    let on = d
                        .host
                        .as_deref()
                        .map_or(String::new(), |host| format!(" on {host}"));
                    format!(
                        " by {}{on} at {}: {}",
                        d.who,
                        d.at.format("%H:%M UTC"),
                        d.action
                    )
                })
                .unwrap_or_default();
            return Err(StoreError::EscalationClosed {
                id,
                state: escalation.state.as_str(),
                decided,
            });
        }
        if escalation.due_at <= now {
            expire_in(&tx, &escalation, now)?;
            tx.commit()?;
            return Err(StoreError::EscalationExpired(id));
        }

        let mut rules_changed = false;
        let mut wire_note = note.clone();
        let mut detail = json!({ "action": action });
        if let Some(via) = via {
            detail["via"] = via.detail();
        }
        if let Some(word) = place.word() {
            detail["in"] = json!(word);
        }
        if let EscalationAction::GiveOwnership { agent_id } = action {
            let sentence = give_ownership_in(&tx, &escalation, *agent_id, who, now)?;
            rules_changed = true;
            wire_note = Some(match note.as_deref() {
                Some(note) => format!("{sentence}. {note}"),
                None => sentence,
            });
        }
        if let EscalationAction::GrantLease { agent_id } = action {
            let sentence = grant_lease_in(&tx, &escalation, *agent_id, now)?;
            detail["lease"] = json!(sentence);
        }
        if matches!(action, EscalationAction::KeepLease) {
            file_of(&escalation)?;
        }
        // Only the agent of the cancelled task is told (a reject of that task).
        let mut only = None;
        if let EscalationAction::CancelTask { agent_id, task_id } = action {
            let sentence = cancel_task_in(&tx, &escalation, *agent_id, task_id)?;
            detail["task"] = json!({ "agent_id": agent_id, "task_id": task_id });
            wire_note = Some(match note.as_deref() {
                Some(note) => format!("{sentence}. {note}"),
                None => sentence,
            });
            only = Some((*agent_id, task_id.as_str()));
        }
        if let EscalationAction::GiveLease { agent_id, resource } = action {
            let sentence = give_lease_in(&tx, &escalation, *agent_id, resource, now)?;
            detail["lease"] = json!(sentence);
        }
        // One subagent told to stop (an item other than a parallel edit): its siblings go on.
        let stops_subagent = matches!(action, EscalationAction::StopTouching { .. })
            && escalation.kind != FindingKind::ParallelEdit;
        if let (true, EscalationAction::StopTouching { agent_id }) = (stops_subagent, action) {
            let sentence = stop_subagent_in(&tx, &escalation, *agent_id, who, note.as_deref())?;
            detail["stopped"] = json!(sentence);
        }
        // A parallel edit: the files' choice, kept once the decision has its number.
        let parallel = match stops_subagent {
            true => None,
            false => parallel_choice_in(&tx, &escalation, action)?,
        };
        if let Some(choice) = &parallel {
            detail["parallel"] = json!(choice.sentence);
        }
        if matches!(action, EscalationAction::PauseSessions) {
            let sentence = pause_sessions_in(&tx, &escalation, who, note.as_deref(), now)?;
            detail["paused"] = json!(sentence);
        }
        if matches!(action, EscalationAction::AllowBothOnce) {
            let allowed = allow_once_in(&tx, &escalation, now)?;
            detail["allowed_once"] = json!(allowed);
        }
        // A budget split: the API's quotas shared out, stored, and each agent told its part.
        let mut grants: Vec<(i64, BudgetGrant)> = Vec::new();
        if let EscalationAction::SplitBudget { shares } = action {
            grants = split_budget_in(&tx, &escalation, shares)?;
            if let Some((_, grant)) = grants.first() {
                detail["api"] = json!(grant.api);
                detail["key"] = json!(grant.key);
            }
        }
        let snoozed_until = match action {
            EscalationAction::Snooze { minutes } => {
                let until = now + Duration::minutes(i64::from(*minutes));
                detail["snoozed_until"] = json!(ts(until));
                Some(until)
            }
            _ => None,
        };
        let mut draft = NewDecision::new(who, action.log_action(), &format!("escalation:{id}"))
            .at(now)
            .escalation(id)
            .detail(detail);
        if let Some(note) = &note {
            draft = draft.reason(note);
        }
        let decision = append_decision_in(&tx, draft)?;
        if let Some(via) = via {
            via.record(&tx, id, action, decision.seq, now)?;
        }
        if let Some(choice) = &parallel {
            choice.store(&tx, decision.seq, who, note.as_deref(), now)?;
        }
        for (agent_id, grant) in &grants {
            tx.execute(
                "INSERT INTO api_budgets (api, key, agent_id, percent, decision_id, decided_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (api, key, agent_id) DO UPDATE SET percent = excluded.percent,
                    decision_id = excluded.decision_id, decided_at = excluded.decided_at",
                params![
                    grant.api,
                    grant.key.as_deref().unwrap_or(""),
                    agent_id,
                    grant.share_percent,
                    decision.seq,
                    ts(now)
                ],
            )?;
        }

        if action.resolves() {
            resolve_in(&tx, id, escalation.finding_id, decision.seq, now)?;
        } else {
            tx.execute(
                "UPDATE escalations SET snoozed_until = ?2, decision_id = ?3 WHERE id = ?1",
                params![id, snoozed_until.map(ts), decision.seq],
            )?;
            changes::record(&tx, ChangeKind::EscalationChanged, id, "")?;
        }

        let outbox = match action.wire_action() {
            Some(wire_action) => {
                let owner = match action {
                    EscalationAction::GiveOwnership { agent_id } => {
                        Some(deliver::owner_name(&tx, *agent_id)?)
                    }
                    _ => None,
                };
                let message = deliver::Message {
                    decision: &decision,
                    action: wire_action,
                    note: wire_note.as_deref(),
                    who,
                    owner: owner.as_deref(),
                    grants: &grants,
                    only,
                    now,
                };
                deliver::queue(&tx, &escalation, &message)?
            }
            None => Vec::new(),
        };
        tx.commit()?;
        Ok(Decided {
            escalation: escalation_in(&self.db, id)?,
            decision,
            outbox,
            rules_changed,
        })
    }
}

/// Marks escalation `id` resolved by decision `decision_seq` and closes its findings (every
/// finding of its group).
pub(crate) fn resolve_in(
    tx: &Db,
    id: i64,
    finding_id: Option<i64>,
    decision_seq: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    tx.write_row(&RESOLVED, params![id, ts(now), decision_seq])?;
    changes::record(tx, ChangeKind::EscalationChanged, id, "")?;
    tx.write_row(&FINDINGS_CLOSED, params![finding_id, ts(now), id])?;
    Ok(())
}

/// An item resolved by a decision (the items a group of polls settles in one statement on
/// PostgreSQL).
static RESOLVED: RowsSql = RowsSql {
    before: "UPDATE escalations
                SET state = 'resolved', resolved_at = v.column2, decision_id = v.column3,
                    snoozed_until = NULL
               FROM (VALUES",
    columns: 3,
    after: ") AS v WHERE escalations.id = v.column1",
    key: &[0],
    one: Some(
        "UPDATE escalations SET state = 'resolved', resolved_at = ?2, decision_id = ?3,
                snoozed_until = NULL
          WHERE id = ?1",
    ),
    numbered: false,
    anytime: false,
};

/// The findings of a resolved item, closed with it: its lead (`column1`, none for an item
/// without one) and those of its group (`column3`).
static FINDINGS_CLOSED: RowsSql = RowsSql {
    before: "UPDATE findings SET closed_at = v.column2 FROM (VALUES",
    columns: 3,
    after: ") AS v WHERE (findings.id = v.column1 OR findings.escalation_id = v.column3)
               AND findings.closed_at IS NULL",
    key: &[2],
    one: Some(
        "UPDATE findings SET closed_at = ?2
          WHERE (id = ?1 OR escalation_id = ?3) AND closed_at IS NULL",
    ),
    numbered: false,
    anytime: false,
};
