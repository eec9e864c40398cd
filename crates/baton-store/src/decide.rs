//! A human's decision on an escalation, in ONE transaction: the decision-log entry, the
//! escalation's new state, the finding closed, a rule change when ownership is given, a budget
//! split when one is decided, and one outbox row per agent concerned (what the relay delivers). Either all of it is stored or none.
//!
//! An escalation past its SLA takes no decision: deciding on it expires it (logged) and answers
//! [`StoreError::EscalationExpired`].

use baton_core::decisions::DecisionEntry;
use baton_core::detect::{EvidenceRef, FindingKind};
use baton_core::escalations::BudgetShare;
use baton_core::escalations::{Escalation, EscalationAction, EscalationState};
use baton_core::protocol::{Allowance, BudgetGrant, DecisionDelivery};
use baton_core::rules::lint::same_owner;
use baton_core::rules::{validate_rule, ResourcePattern, Rule, RuleKind};
use chrono::{DateTime, Duration, Utc};
use rusqlite::{params, OptionalExtension, Transaction, TransactionBehavior};
use serde_json::json;

use crate::codec::ts;
use crate::decisions::{append_decision_in, NewDecision};
use crate::error::{Result, StoreError};
use crate::escalations::{escalation_in, expire_in, task_of};
use crate::findings::parse_json;
use crate::rules::{audit_in, check_who, insert_in, rules_in, update_in, validate};
use crate::Store;

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

fn invalid(message: impl Into<String>) -> StoreError {
    StoreError::InvalidDecision(message.into())
}

fn agent_name(tx: &Transaction<'_>, id: i64) -> Result<String> {
    tx.query_row("SELECT name FROM agents WHERE id = ?1", [id], |row| {
        row.get(0)
    })
    .optional()?
    .ok_or(StoreError::AgentNotFound(id))
}

/// Makes `agent_id` the owner of the escalation's resource: the most specific rule (not an
/// exception) covering it changes owner; without one, a rule for exactly that resource is added.
/// Audited like any rule change. Returns a sentence for the decision's note.
fn give_ownership_in(
    tx: &Transaction<'_>,
    escalation: &Escalation,
    agent_id: i64,
    who: &str,
    now: DateTime<Utc>,
) -> Result<String> {
    if escalation.kind == FindingKind::RateLimitPressure {
        return Err(invalid(
            "an API is shared, not owned: split its budget instead",
        ));
    }
    let resource = escalation
        .resource
        .as_deref()
        .ok_or_else(|| invalid("this escalation names no resource to give"))?;
    let name = agent_name(tx, agent_id)?;
    let covering = rules_in(tx)?
        .into_iter()
        .filter(|r| r.rule.kind != RuleKind::Exception)
        .filter(|r| ResourcePattern::parse(&r.rule.pattern).is_ok_and(|p| p.matches(resource)))
        .max_by_key(|r| r.rule.pattern.len());
    match covering {
        Some(stored) => {
            let mut rule = stored.rule.clone();
            rule.owner = name.clone();
            rule.readers.retain(|r| !same_owner(r, &name));
            rule.sequence.retain(|a| !same_owner(a, &name));
            if rule != stored.rule {
                validate(&rule)?;
                update_in(tx, stored.id, &rule, now)?;
                audit_in(
                    tx,
                    who,
                    "rule.update",
                    stored.id,
                    (Some(&stored.rule), Some(&rule)),
                    now,
                )?;
            }
        }
        None => {
            let kind = if escalation.kind == FindingKind::TriggerCollision {
                RuleKind::Trigger
            } else {
                RuleKind::Data
            };
            let rule = Rule {
                note: Some(format!("given to {name} on escalation {}", escalation.id)),
                ..Rule::new(kind, resource, name.clone())
            };
            validate_rule(&rule)
                .map_err(|err| invalid(format!("cannot make a rule for {resource}: {err}")))?;
            validate(&rule)?;
            let id = insert_in(tx, &rule, now)?;
            audit_in(tx, who, "rule.add", id, (None, Some(&rule)), now)?;
        }
    }
    Ok(format!("{name} owns {resource}"))
}

/// The grants of a budget split on a rate-limit pressure escalation (resource `api:<api>` or
/// `api:<api>/<key>`): each agent's share of each quota the API has now.
fn split_budget_in(
    tx: &Transaction<'_>,
    escalation: &Escalation,
    shares: &[BudgetShare],
) -> Result<Vec<(i64, BudgetGrant)>> {
    if escalation.kind != FindingKind::RateLimitPressure {
        return Err(invalid(
            "a budget split answers a rate-limit pressure escalation",
        ));
    }
    let resource = escalation.resource.as_deref().unwrap_or_default();
    let Some(named) = resource.strip_prefix("api:") else {
        return Err(invalid(format!("{resource:?} names no API")));
    };
    let (api, key) = match named.split_once('/') {
        Some((api, key)) => (api, Some(key)),
        None => (named, None),
    };
    let quotas = crate::ratelimits::quotas_in(tx, api, key)?;
    let mut grants = Vec::new();
    for share in shares {
        agent_name(tx, share.agent_id)?;
        let allowances = quotas
            .iter()
            .map(|q| Allowance {
                metric: q.metric.as_str().to_owned(),
                limit: q.limit * u64::from(share.percent) / 100,
                window_seconds: q.window_seconds,
            })
            .collect();
        grants.push((
            share.agent_id,
            BudgetGrant {
                api: api.to_owned(),
                key: key.map(str::to_owned),
                share_percent: share.percent,
                allowances,
            },
        ));
    }
    Ok(grants)
}

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
        check_who(who)?;
        let note = action
            .check(note)
            .map_err(|err| StoreError::InvalidDecision(err.to_string()))?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let escalation = escalation_in(&tx, id)?;
        if escalation.state != EscalationState::Open {
            return Err(StoreError::EscalationClosed {
                id,
                state: escalation.state.as_str(),
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
        if let EscalationAction::GiveOwnership { agent_id } = action {
            let sentence = give_ownership_in(&tx, &escalation, *agent_id, who, now)?;
            rules_changed = true;
            wire_note = Some(match note.as_deref() {
                Some(note) => format!("{sentence}. {note}"),
                None => sentence,
            });
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
        }

        let mut outbox = Vec::new();
        if let Some(wire_action) = action.wire_action() {
            let evidence_text: String = tx.query_row(
                "SELECT evidence FROM findings WHERE id = ?1",
                [escalation.finding_id],
                |row| row.get(0),
            )?;
            let evidence: Vec<EvidenceRef> = parse_json(&evidence_text, "finding evidence")?;
            let events = crate::escalations::evidence_events(&tx, &evidence)?;
            let mut recipients = escalation.agents.clone();
            for (agent_id, _) in &grants {
                if !recipients.contains(agent_id) {
                    recipients.push(*agent_id);
                }
            }
            for &agent_id in &recipients {
                let exists: bool = tx.query_row(
                    "SELECT EXISTS (SELECT 1 FROM agents WHERE id = ?1)",
                    [agent_id],
                    |row| row.get(0),
                )?;
                if !exists {
                    continue;
                }
                let key = idempotency_key(&decision, agent_id);
                let task_id = if escalation.agent_id == Some(agent_id) {
                    escalation.task_id.clone()
                } else {
                    task_of(&events, agent_id)
                };
                let body = DecisionDelivery {
                    decision_id: key.clone(),
                    escalation_id: Some(format!("esc-{id}")),
                    task_id,
                    action: wire_action.to_owned(),
                    note: wire_note.clone(),
                    decided_by: who.to_owned(),
                    decided_at: now,
                    budget: grants
                        .iter()
                        .find(|(id, _)| *id == agent_id)
                        .map(|(_, grant)| grant.clone()),
                    ..Default::default()
                };
                let body = serde_json::to_string(&body).expect("a decision always serialises");
                tx.execute(
                    "INSERT INTO outbox (decision_id, agent_id, idempotency_key, body,
                                         next_attempt_at, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                    params![decision.seq, agent_id, key, body, ts(now)],
                )?;
                outbox.push(tx.last_insert_rowid());
            }
        }
        tx.commit()?;
        Ok(Decided {
            escalation: escalation_in(&self.conn, id)?,
            decision,
            outbox,
            rules_changed,
        })
    }
}

/// Marks escalation `id` resolved by decision `decision_seq` and closes its finding.
pub(crate) fn resolve_in(
    tx: &Transaction<'_>,
    id: i64,
    finding_id: Option<i64>,
    decision_seq: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    tx.execute(
        "UPDATE escalations SET state = 'resolved', resolved_at = ?2, decision_id = ?3,
                snoozed_until = NULL
         WHERE id = ?1",
        params![id, ts(now), decision_seq],
    )?;
    tx.execute(
        "UPDATE findings SET closed_at = ?2 WHERE id = ?1 AND closed_at IS NULL",
        params![finding_id, ts(now)],
    )?;
    Ok(())
}
