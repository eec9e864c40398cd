//! Two agents on one resource: writers within a window, two agents acting on one trigger, and a
//! read of a resource another agent is still writing.

use chrono::Duration;

use super::{
    evidence_of, finding, human, DetectInput, Finding, FindingKind, ObservedEvent, Severity,
};
use crate::protocol::EventKind;
use crate::rules::{ResourcePattern, RuleKind};

/// Whether a handoff of `resource` from `from` happened between `earlier` and `later`.
fn handed_off(input: &DetectInput<'_>, earlier: &ObservedEvent, later: &ObservedEvent) -> bool {
    input.recent.iter().any(|e| {
        e.event.kind == EventKind::Handoff
            && e.agent_id == earlier.agent_id
            && e.event.resource == earlier.event.resource
            && e.event.at >= earlier.event.at
            && e.event.at <= later.event.at
    })
}

/// Whether one rule of `kinds` covering `resource` lets both agents act (owner and sequence):
/// an overlap accepted on purpose.
fn accepted(input: &DetectInput<'_>, kinds: &[RuleKind], resource: &str, a: i64, b: i64) -> bool {
    let (a, b) = (input.name(a), input.name(b));
    input.rules.iter().any(|rule| {
        kinds.contains(&rule.kind)
            && rule.allows(&a)
            && rule.allows(&b)
            && ResourcePattern::parse(&rule.pattern).is_ok_and(|p| p.matches(resource))
    })
}

type Pair<'a> = (&'a ObservedEvent, Vec<&'a ObservedEvent>);

fn pairs<'a>(
    input: &DetectInput<'a>,
    kind: EventKind,
    window: impl Fn(i64) -> Duration,
) -> Vec<Pair<'a>> {
    input
        .new_events
        .iter()
        .filter(|e| e.event.kind == kind && e.event.resource.is_some())
        .map(|mine| {
            let window = window(mine.agent_id);
            let others: Vec<&ObservedEvent> = input
                .recent
                .iter()
                .filter(|other| {
                    other.event.kind == kind
                        && other.agent_id != mine.agent_id
                        && other.event.resource == mine.event.resource
                        && (other.event.at - mine.event.at).abs() <= window
                })
                .filter(|other| {
                    let (first, second) = if other.event.at <= mine.event.at {
                        (*other, mine)
                    } else {
                        (mine, *other)
                    };
                    !handed_off(input, first, second)
                })
                .collect();
            (mine, others)
        })
        .filter(|(_, others)| !others.is_empty())
        .collect()
}

fn collisions(
    input: &DetectInput<'_>,
    kind: EventKind,
    finding_kind: FindingKind,
    rule_kinds: &[RuleKind],
    window: impl Fn(i64) -> Duration + Copy,
    verb: &str,
) -> Vec<Finding> {
    let mut found = Vec::new();
    for (mine, others) in pairs(input, kind, window) {
        let resource = mine.event.resource.clone().unwrap_or_default();
        let others: Vec<&ObservedEvent> = others
            .into_iter()
            .filter(|o| !accepted(input, rule_kinds, &resource, mine.agent_id, o.agent_id))
            .collect();
        if others.is_empty() {
            continue;
        }
        let mut agents: Vec<i64> = others.iter().map(|o| o.agent_id).collect();
        agents.push(mine.agent_id);
        agents.sort_unstable();
        agents.dedup();
        let names: Vec<String> = agents.iter().map(|&id| input.name(id)).collect();
        let evidence = std::iter::once(evidence_of(mine))
            .chain(others.iter().map(|o| evidence_of(o)))
            .collect();
        let ids: Vec<String> = agents.iter().map(|id| id.to_string()).collect();
        found.push(finding(
            finding_kind,
            Severity::Critical,
            agents,
            Some(resource.clone()),
            format!(
                "{} {} {verb} {resource} within {}",
                names.join(" and "),
                if names.len() == 2 { "both" } else { "all" },
                human(window(mine.agent_id))
            ),
            evidence,
            &format!("{resource}:{}", ids.join(",")),
        ));
    }
    found
}

pub fn write_collisions(input: &DetectInput<'_>) -> Vec<Finding> {
    collisions(
        input,
        EventKind::Write,
        FindingKind::WriteCollision,
        &[RuleKind::Data, RuleKind::Output],
        |id| input.config.for_agent(id).write_collision,
        "wrote",
    )
}

pub fn trigger_collisions(input: &DetectInput<'_>) -> Vec<Finding> {
    collisions(
        input,
        EventKind::Trigger,
        FindingKind::TriggerCollision,
        &[RuleKind::Trigger],
        |id| input.config.for_agent(id).trigger_collision,
        "acted on",
    )
}

/// A read of a resource that another agent wrote from a task that is still open and has not
/// handed the resource off.
pub fn reads_during_writes(input: &DetectInput<'_>) -> Vec<Finding> {
    let mut found = Vec::new();
    for read in input
        .new_events
        .iter()
        .filter(|e| e.event.kind == EventKind::Read)
    {
        let Some(resource) = read.event.resource.as_deref() else {
            continue;
        };
        for write in input.recent.iter().filter(|w| {
            w.event.kind == EventKind::Write
                && w.agent_id != read.agent_id
                && w.event.resource.as_deref() == Some(resource)
                && w.event.at <= read.event.at
        }) {
            let Some(task_id) = write.event.task_id.as_deref() else {
                continue;
            };
            let still_writing = input.tasks.iter().any(|t| {
                t.agent_id == write.agent_id && t.task.id == task_id && !t.task.state.is_terminal()
            });
            if !still_writing || handed_off(input, write, read) {
                continue;
            }
            found.push(finding(
                FindingKind::ReadDuringWrite,
                Severity::Warning,
                vec![read.agent_id, write.agent_id],
                Some(resource.to_owned()),
                format!(
                    "{} read {resource} while {} is still writing it (task {task_id})",
                    input.name(read.agent_id),
                    input.name(write.agent_id)
                ),
                vec![evidence_of(read), evidence_of(write)],
                &format!("{resource}:{}:{}", read.agent_id, write.agent_id),
            ));
        }
    }
    found
}
