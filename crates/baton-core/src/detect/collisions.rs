//! Two agents on one resource: writers within a window, two agents acting on one trigger, and a
//! read of a resource another agent is still writing.
//!
//! Each new event looks only at the events on its own resource, and of each other agent only at
//! the two nearest in time: if the nearest earlier event of an agent is excused by a handoff
//! (the earlier writer handed the resource off before the later write), every earlier one is
//! too, and likewise for the nearest later one. So a run costs O(new events × agents on the same
//! resource × log n), whatever the window holds.

use chrono::Duration;

use super::recent::OnResource;
use super::{
    evidence_in, evidence_of, finding, human, DetectInput, Finding, FindingKind, ObservedEvent,
    Severity, WindowEvent,
};
use crate::protocol::EventKind;
use crate::rules::RuleKind;

/// Most earlier writes of one agent a read looks through for one still being written.
const READ_LOOKS_BACK: usize = 16;

/// Whether one rule of `kinds` covering `resource` lets both agents act (owner and sequence):
/// an overlap accepted on purpose.
fn accepted(input: &DetectInput<'_>, kinds: &[RuleKind], resource: &str, a: i64, b: i64) -> bool {
    let (a, b) = (input.name(a), input.name(b));
    input
        .rules
        .covering(kinds, resource)
        .any(|rule| rule.allows(&a) && rule.allows(&b))
}

/// Another agent's event of `kind` on the same resource within `window` of `mine` and not
/// excused by a handoff between the two, one per other agent (the nearest).
fn colliding<'a>(
    on: &OnResource<'a>,
    mine: &ObservedEvent,
    kind: EventKind,
    window: Duration,
) -> Vec<&'a WindowEvent> {
    let at = mine.event.at;
    let mut found = Vec::new();
    for other in on.agents(kind) {
        if other.agent_id == mine.agent_id {
            continue;
        }
        // The other wrote first: excused when it handed the resource off before mine.
        let earlier = other
            .latest_at(at)
            .filter(|o| at - o.at <= window && !on.handed_off(o.agent_id, o.at, at));
        // Mine came first: excused when this agent handed it off before the other's.
        let later = || {
            other
                .earliest_after(at)
                .filter(|o| o.at - at <= window && !on.handed_off(mine.agent_id, at, o.at))
        };
        if let Some(other) = earlier.or_else(later) {
            found.push(other);
        }
    }
    found
}

fn collisions(
    input: &DetectInput<'_>,
    kind: EventKind,
    finding_kind: FindingKind,
    rule_kinds: &[RuleKind],
    window: impl Fn(i64) -> Duration,
    verb: &str,
) -> Vec<Finding> {
    let mut found = Vec::new();
    for mine in input.new_events.iter().filter(|e| e.event.kind == kind) {
        let Some(resource) = mine.event.resource.as_deref() else {
            continue;
        };
        let window = window(mine.agent_id);
        let on = input.recent.resource(resource);
        let others: Vec<&WindowEvent> = colliding(&on, mine, kind, window)
            .into_iter()
            .filter(|o| !accepted(input, rule_kinds, resource, mine.agent_id, o.agent_id))
            // Two branches each change their own checkout: a parallel edit (its own finding,
            // filed by the hook), not a collision.
            .filter(|o| {
                kind != EventKind::Write
                    || !input.agents.on_other_branches(mine.agent_id, o.agent_id)
            })
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
            .chain(others.iter().map(|o| evidence_in(o)))
            .collect();
        found.push(finding(
            finding_kind,
            Severity::Critical,
            agents,
            Some(resource.to_owned()),
            format!(
                "{} {} {verb} {resource} within {}",
                names.join(" and "),
                if names.len() == 2 { "both" } else { "all" },
                human(window)
            ),
            evidence,
            // One cause per resource: more writers on it join the finding (its agents grow)
            // rather than each new pair opening another.
            resource,
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
        let on = input.recent.resource(resource);
        for writes in on.agents(EventKind::Write) {
            let writer = writes.agent_id;
            if writer == read.agent_id {
                continue;
            }
            let still_writing = writes
                .latest_until(read.event.at)
                .take(READ_LOOKS_BACK)
                .find(|write| {
                    write.task_id.as_deref().is_some_and(|task| {
                        input.tasks.is_open(writer, task)
                            && !on.handed_off(writer, write.at, read.event.at)
                    })
                });
            let Some(write) = still_writing else {
                continue;
            };
            let task_id = write.task_id.as_deref().unwrap_or_default();
            found.push(finding(
                FindingKind::ReadDuringWrite,
                Severity::Warning,
                vec![read.agent_id, writer],
                Some(resource.to_owned()),
                format!(
                    "{} read {resource} while {} is still writing it (task {task_id})",
                    input.name(read.agent_id),
                    input.name(writer)
                ),
                vec![evidence_of(read), evidence_in(write)],
                // One cause per resource (readers and writers join it).
                resource,
            ));
        }
    }
    found
}
