//! Ownership violations: an agent writes to or fires on a resource whose rule names another
//! owner, or that is leased to another agent by a handoff.

use chrono::{DateTime, Utc};

use super::{
    evidence_in, evidence_of, finding, DetectInput, Finding, FindingKind, Severity, WindowEvent,
};
use crate::protocol::EventKind;
use crate::rules::RuleKind;

/// A handoff's lease: `holder` may write `resource` from `since` until it completes a task.
#[derive(Debug, Clone, PartialEq)]
pub struct Lease<'a> {
    pub from: i64,
    pub holder: i64,
    pub since: DateTime<Utc>,
    pub until: Option<DateTime<Utc>>,
    pub handoff: &'a WindowEvent,
}

/// The lease on `resource` in force at `at`: of the handoffs of that resource up to `at`, the
/// latest whose receiver is known and had not completed a task since, by `at`.
pub fn lease_at<'a>(
    input: &DetectInput<'a>,
    resource: &str,
    at: DateTime<Utc>,
) -> Option<Lease<'a>> {
    input
        .recent
        .handoffs_of(resource)
        .into_iter()
        .filter(|h| h.at <= at)
        .find_map(|handoff| {
            let holder = input.agents.by_remote_id(handoff.to.as_deref()?)?.id;
            let until = input.recent.completed_after(holder, handoff.at);
            until.is_none_or(|until| at <= until).then_some(Lease {
                from: handoff.agent_id,
                holder,
                since: handoff.at,
                until,
                handoff,
            })
        })
}

fn rule_kinds(kind: EventKind) -> &'static [RuleKind] {
    match kind {
        EventKind::Write => &[RuleKind::Data, RuleKind::Output],
        EventKind::Trigger => &[RuleKind::Trigger],
        _ => &[],
    }
}

pub fn violations(input: &DetectInput<'_>) -> Vec<Finding> {
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
        if let Some(lease) = lease_at(input, resource, at) {
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
                    vec![evidence_of(event), evidence_in(lease.handoff)],
                    resource,
                ));
            }
            continue;
        }
        let mut governing = input.rules.covering(kinds, resource).peekable();
        let Some(&rule) = governing.peek() else {
            continue;
        };
        if governing.any(|r| r.allows(&agent)) {
            continue;
        }
        let owner = input.agents.by_name(&rule.owner).map(|a| a.id);
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
            // One cause per resource: more agents writing it join the finding.
            resource,
        ));
    }
    found
}
