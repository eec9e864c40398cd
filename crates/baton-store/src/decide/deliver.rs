//! The outbox rows of a decision: one per agent concerned, each with what the decision covers
//! for that agent (its tasks, the group's scope and resources, the new owner).

use crate::db::{params, Db};
use baton_core::decisions::DecisionEntry;
use baton_core::escalations::Escalation;
use baton_core::protocol::{BudgetGrant, DecisionDelivery, MAX_DECISION_RESOURCES};
use chrono::{DateTime, Utc};

use super::idempotency_key;
use crate::codec::ts;
use crate::error::{Result, StoreError};
use crate::evidence::{evidence_events, task_of};
use crate::groups::item_evidence;

/// What every agent is told.
pub(super) struct Message<'a> {
    pub decision: &'a DecisionEntry,
    /// The wire action (`approve`, `reassign`, …).
    pub action: &'a str,
    pub note: Option<&'a str>,
    pub who: &'a str,
    /// With a reassign: the new owner as agents know it.
    pub owner: Option<&'a str>,
    pub grants: &'a [(i64, BudgetGrant)],
    /// The decision goes to this agent alone, about this task (a cancelled task of a deadlock).
    pub only: Option<(i64, &'a str)>,
    pub now: DateTime<Utc>,
}

/// How agents know `agent_id`: the id it reports for itself, else its name in Baton.
pub(super) fn owner_name(tx: &Db, agent_id: i64) -> Result<String> {
    let found: Option<(String, Option<String>)> = tx.query_opt(
        "SELECT name, remote_id FROM agents WHERE id = ?1",
        params![agent_id],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    let (name, remote) = found.ok_or(StoreError::AgentNotFound(agent_id))?;
    Ok(remote.unwrap_or(name))
}

/// Writes one outbox row per agent the decision goes to (the escalation's agents, and those a
/// budget split names); returns their ids.
pub(super) fn queue(tx: &Db, escalation: &Escalation, m: &Message<'_>) -> Result<Vec<i64>> {
    let evidence = item_evidence(tx, escalation.id)?;
    let events = evidence_events(tx, &evidence)?;
    let mut recipients = match m.only {
        Some((agent_id, _)) => vec![agent_id],
        None => escalation.agents.clone(),
    };
    for (agent_id, _) in m.grants {
        if !recipients.contains(agent_id) {
            recipients.push(*agent_id);
        }
    }
    let grouped = escalation.occurrences > 1 || escalation.resource_count > 1;
    let mut outbox = Vec::new();
    for &agent_id in &recipients {
        let exists: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM agents WHERE id = ?1)",
            params![agent_id],
            |row| row.get(0),
        )?;
        if !exists {
            continue;
        }
        let key = idempotency_key(m.decision, agent_id);
        let task_id = if let Some((_, task)) = m.only {
            Some(task.to_owned())
        } else if escalation.agent_id == Some(agent_id) {
            escalation.task_id.clone()
        } else {
            task_of(&events, agent_id)
        };
        let mut tasks: Vec<String> = task_id.iter().cloned().collect();
        let evidence_tasks = events
            .iter()
            .filter(|(agent, _)| *agent == agent_id && m.only.is_none());
        for (_, event) in evidence_tasks {
            if let Some(task) = &event.task_id {
                if !tasks.contains(task) && tasks.len() < MAX_DECISION_RESOURCES {
                    tasks.push(task.clone());
                }
            }
        }
        let body = DecisionDelivery {
            decision_id: key.clone(),
            escalation_id: Some(format!("esc-{}", escalation.id)),
            task_id,
            action: m.action.to_owned(),
            note: m.note.map(str::to_owned),
            decided_by: m.who.to_owned(),
            decided_at: m.now,
            budget: m
                .grants
                .iter()
                .find(|(id, _)| *id == agent_id)
                .map(|(_, grant)| grant.clone()),
            scope: escalation.scope.clone().filter(|_| grouped),
            resources: escalation
                .resources
                .iter()
                .take(MAX_DECISION_RESOURCES)
                .cloned()
                .collect(),
            tasks: if tasks.len() > 1 { tasks } else { Vec::new() },
            owner: m.owner.map(str::to_owned),
        };
        let body = serde_json::to_string(&body).expect("a decision always serialises");
        outbox.push(tx.query_row(
            "INSERT INTO outbox (decision_id, agent_id, idempotency_key, body,
                                 next_attempt_at, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5) RETURNING id",
            params![m.decision.seq, agent_id, key, body, ts(m.now)],
            |row| row.get(0),
        )?);
    }
    Ok(outbox)
}
