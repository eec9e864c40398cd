//! What a decision changes besides the queue: an ownership rule, a budget split, a file lease.

use crate::db::{params, Db};
use baton_core::agent::same_name;
use baton_core::detect::FindingKind;
use baton_core::escalations::{BudgetShare, Escalation, Knot};
use baton_core::protocol::{Allowance, BudgetGrant};
use baton_core::rules::{validate_rule, ResourcePattern, Rule, RuleKind};
use chrono::{DateTime, Utc};

use crate::error::{Result, StoreError};
use crate::rules::{audit_in, insert_in, rules_in, update_in, validate};
use crate::sessions::permits::{holds_lease, is_session, take_lease};

fn invalid(message: impl Into<String>) -> StoreError {
    StoreError::InvalidDecision(message.into())
}

pub(super) fn agent_name(tx: &Db, id: i64) -> Result<String> {
    tx.query_opt(
        "SELECT name FROM agents WHERE id = ?1",
        params![id],
        |row| row.get(0),
    )?
    .ok_or(StoreError::AgentNotFound(id))
}

/// Makes `agent_id` the owner of the escalation's resource: the most specific rule (not an
/// exception) covering it changes owner; without one, a rule is added for exactly that resource
/// or, when the escalation stands for a group of resources, for the group's scope
/// (`file:///drafts/*`). Audited like any rule change. Returns a sentence for the decision's
/// note.
pub(super) fn give_ownership_in(
    tx: &Db,
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
            rule.readers.retain(|r| !same_name(r, &name));
            rule.sequence.retain(|a| !same_name(a, &name));
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
            let pattern = match escalation.scope.as_deref() {
                Some(scope) if escalation.resource_count > 1 => scope,
                _ => resource,
            };
            let rule = Rule {
                note: Some(format!("given to {name} on escalation {}", escalation.id)),
                ..Rule::new(kind, pattern, name.clone())
            };
            validate_rule(&rule)
                .map_err(|err| invalid(format!("cannot make a rule for {pattern}: {err}")))?;
            validate(&rule)?;
            let id = insert_in(tx, &rule, now)?;
            audit_in(tx, who, "rule.add", id, (None, Some(&rule)), now)?;
            return Ok(format!("{name} owns {pattern}"));
        }
    }
    Ok(format!("{name} owns {resource}"))
}

/// The grants of a budget split on a rate-limit pressure escalation (resource `api:<api>` or
/// `api:<api>/<key>`): each agent's share of each quota the API has now.
pub(super) fn split_budget_in(
    tx: &Db,
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

/// Moves the lease of the escalation's file on the branch of coding session `agent_id` to it
/// (its next write of the file passes). Returns a sentence for the decision's detail.
pub(super) fn grant_lease_in(
    tx: &Db,
    escalation: &Escalation,
    agent_id: i64,
    now: DateTime<Utc>,
) -> Result<String> {
    let resource = file_of(escalation)?;
    let name = agent_name(tx, agent_id)?;
    if !is_session(tx, agent_id)? {
        return Err(invalid(format!(
            "{name} is not a coding session: give it ownership instead"
        )));
    }
    take_lease(tx, resource, agent_id, now)?;
    Ok(format!("{name} holds {resource}"))
}

/// The file (`file://…`, or a repository's `repo://…`) an escalation about a lease is about.
pub(super) fn file_of(escalation: &Escalation) -> Result<&str> {
    if escalation.kind == FindingKind::ParallelEdit {
        return Err(invalid(
            "a parallel edit is two branches, each in its own checkout: no lease is shared; \
             stop one session, hand the files to one branch, or let both go on",
        ));
    }
    escalation
        .resource
        .as_deref()
        .filter(|r| r.starts_with("file://") || r.starts_with("repo://"))
        .ok_or_else(|| {
            invalid("this decision is about a file's lease, and this item names no file")
        })
}

/// Lets every coding session of the escalation that does not hold its file's lease write it
/// once more. Returns their names.
pub(super) fn allow_once_in(
    tx: &Db,
    escalation: &Escalation,
    now: DateTime<Utc>,
) -> Result<Vec<String>> {
    let resource = file_of(escalation)?;
    let mut allowed = Vec::new();
    for &agent_id in &escalation.agents {
        if !is_session(tx, agent_id)? || holds_lease(tx, resource, agent_id)? {
            continue;
        }
        tx.execute(
            "INSERT INTO lease_exemptions (resource, agent_id, granted_at)
             VALUES (?1, ?2, ?3)
             ON CONFLICT (resource, agent_id) DO UPDATE SET granted_at = excluded.granted_at",
            params![resource, agent_id, crate::codec::ts(now)],
        )?;
        allowed.push(agent_name(tx, agent_id)?);
    }
    if allowed.is_empty() {
        return Err(invalid("no refused coding session to allow"));
    }
    Ok(allowed)
}

/// The knot of a deadlock escalation, or why the action does not apply.
fn knot_of<'a>(escalation: &'a Escalation, action: &str) -> Result<&'a Knot> {
    if escalation.kind != FindingKind::Deadlock {
        return Err(invalid(format!("{action} answers a deadlock")));
    }
    escalation
        .knot
        .as_ref()
        .ok_or_else(|| invalid("this deadlock names no tasks: dismiss it, or retry"))
}

/// Checks that `task_id` of `agent_id` is a task of the deadlock that can be told to stop (a
/// polled agent's task: a coding session is given a file instead). Returns a sentence.
pub(super) fn cancel_task_in(
    tx: &Db,
    escalation: &Escalation,
    agent_id: i64,
    task_id: &str,
) -> Result<String> {
    let knot = knot_of(escalation, "cancelling a task")?;
    let name = agent_name(tx, agent_id)?;
    if task_id.is_empty()
        || !knot
            .tasks
            .iter()
            .any(|t| t.agent_id == agent_id && t.task_id == task_id)
    {
        return Err(invalid(format!(
            "{name}'s task {task_id:?} is not one of this deadlock's"
        )));
    }
    if is_session(tx, agent_id)? {
        return Err(invalid(format!(
            "{name} is a coding session, which Baton cannot tell to stop: give a file it waits for instead"
        )));
    }
    Ok(format!(
        "{name}'s task {task_id} is cancelled to break the deadlock"
    ))
}

/// Moves the lease of `resource` on the branch of `agent_id`, a session of the deadlock waiting
/// for it, to it.
pub(super) fn give_lease_in(
    tx: &Db,
    escalation: &Escalation,
    agent_id: i64,
    resource: &str,
    now: DateTime<Utc>,
) -> Result<String> {
    let knot = knot_of(escalation, "giving a file away")?;
    let name = agent_name(tx, agent_id)?;
    if !knot
        .leases
        .iter()
        .any(|l| l.waiter == agent_id && l.resource == resource)
    {
        return Err(invalid(format!(
            "{name} does not wait for {resource} in this deadlock"
        )));
    }
    take_lease(tx, resource, agent_id, now)?;
    Ok(format!("{name} holds {resource}"))
}
