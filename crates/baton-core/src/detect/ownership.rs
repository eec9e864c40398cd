//! Ownership violations: an agent writes to or fires on a resource whose rule names another
//! owner, or that is leased to another agent by a handoff.

use chrono::{DateTime, Utc};

use super::{evidence_of, finding, DetectInput, Finding, FindingKind, ObservedEvent, Severity};
use crate::protocol::EventKind;
use crate::rules::{ResourcePattern, RuleKind};
use crate::task::TaskState;

/// A handoff's lease: `holder` may write `resource` from `since` until it completes a task.
#[derive(Debug, Clone, PartialEq)]
pub struct Lease<'a> {
    pub resource: &'a str,
    pub from: i64,
    pub holder: i64,
    pub since: DateTime<Utc>,
    pub until: Option<DateTime<Utc>>,
    pub handoff: &'a ObservedEvent,
}

/// The leases the recent handoffs grant: a `handoff` of a resource to an agent makes it the only
/// writer of that resource until the receiver reports a completed task.
pub fn leases<'a>(input: &DetectInput<'a>) -> Vec<Lease<'a>> {
    input
        .recent
        .iter()
        .filter(|e| e.event.kind == EventKind::Handoff)
        .filter_map(|handoff| {
            let resource = handoff.event.resource.as_deref()?;
            let holder = input.by_remote_id(handoff.event.to.as_deref()?)?.id;
            let since = handoff.event.at;
            let until = input
                .recent
                .iter()
                .filter(|e| {
                    e.agent_id == holder
                        && e.event.kind == EventKind::State
                        && e.event.state == Some(TaskState::Completed)
                        && e.event.at > since
                })
                .map(|e| e.event.at)
                .min();
            Some(Lease {
                resource,
                from: handoff.agent_id,
                holder,
                since,
                until,
                handoff,
            })
        })
        .collect()
}

fn rule_kinds(kind: EventKind) -> &'static [RuleKind] {
    match kind {
        EventKind::Write => &[RuleKind::Data, RuleKind::Output],
        EventKind::Trigger => &[RuleKind::Trigger],
        _ => &[],
    }
}

pub fn violations(input: &DetectInput<'_>) -> Vec<Finding> {
    let leases = leases(input);
    let patterns: Vec<Option<ResourcePattern>> = input
        .rules
        .iter()
        .map(|r| ResourcePattern::parse(&r.pattern).ok())
        .collect();
    let mut found = Vec::new();
    for event in input.new_events {
        let kinds = rule_kinds(event.event.kind);
        let Some(resource) = event.event.resource.as_deref() else {
            continue;
        };
        if kinds.is_empty() {
            continue;
        }
        let at = event.event.at;
        let agent = input.name(event.agent_id);
        let lease = leases.iter().rev().find(|l| {
            l.resource == resource && l.since <= at && l.until.is_none_or(|until| at <= until)
        });
        if let Some(lease) = lease {
            if lease.holder != event.agent_id && event.event.kind == EventKind::Write {
                found.push(finding(
                    FindingKind::OwnershipViolation,
                    Severity::Critical,
                    vec![event.agent_id, lease.holder],
                    Some(resource.to_owned()),
                    format!(
                        "{agent} wrote {resource} while {} held it (handed off by {})",
                        input.name(lease.holder),
                        input.name(lease.from)
                    ),
                    vec![evidence_of(event), evidence_of(lease.handoff)],
                    &format!("{}:{resource}", event.agent_id),
                ));
            }
            continue;
        }
        let governing: Vec<usize> = input
            .rules
            .iter()
            .enumerate()
            .filter(|(i, rule)| {
                kinds.contains(&rule.kind)
                    && patterns[*i].as_ref().is_some_and(|p| p.matches(resource))
            })
            .map(|(i, _)| i)
            .collect();
        if governing.is_empty() || governing.iter().any(|&i| input.rules[i].allows(&agent)) {
            continue;
        }
        let rule = &input.rules[governing[0]];
        let owner = input
            .agents
            .iter()
            .find(|a| crate::rules::lint::same_owner(&a.name, &rule.owner))
            .map(|a| a.id);
        let verb = if event.event.kind == EventKind::Trigger {
            "acted on"
        } else {
            "wrote"
        };
        found.push(finding(
            FindingKind::OwnershipViolation,
            Severity::Critical,
            std::iter::once(event.agent_id).chain(owner).collect(),
            Some(resource.to_owned()),
            format!(
                "{agent} {verb} {resource}, which the {} rule {} gives to {}",
                rule.kind.as_str(),
                rule.pattern,
                rule.owner
            ),
            vec![evidence_of(event)],
            &format!("{}:{resource}", event.agent_id),
        ));
    }
    found
}
