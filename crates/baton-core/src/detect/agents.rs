//! Findings about agents: unreachable endpoints, counters started over, agents that state
//! different values for one key, and an agent's own request for approval.

use super::{
    evidence_in, evidence_of, finding, stamp, DetectInput, Finding, FindingKind, Severity,
};
use crate::protocol::limits::headline;
use crate::protocol::EventKind;

pub fn unreachable(input: &DetectInput<'_>) -> Vec<Finding> {
    input
        .agents
        .iter()
        .filter(|a| a.consecutive_failures >= input.config.for_agent(a.id).unreachable_polls)
        .map(|a| {
            finding(
                FindingKind::Unreachable,
                Severity::Warning,
                vec![a.id],
                None,
                format!(
                    "{} failed {} polls in a row{}",
                    a.name,
                    a.consecutive_failures,
                    a.last_error
                        .as_deref()
                        .map(|e| format!(": {e}"))
                        .unwrap_or_default()
                ),
                Vec::new(),
                &format!(
                    "{}:{}",
                    a.id,
                    a.last_success
                        .map_or_else(|| "never".to_owned(), |at| stamp(at).to_string())
                ),
            )
        })
        .collect()
}

/// How long after its last poll an episode that is over is still told (a detector run may come
/// after the poll that ended it).
const COUNTER_TOLD_FOR: chrono::Duration = chrono::Duration::hours(1);

/// An agent that numbered events again from a lower `seq` (restarted without its counter): one
/// warning per episode, named by its first poll, counting what was not stored.
pub fn counter_restart(input: &DetectInput<'_>) -> Vec<Finding> {
    input
        .agents
        .iter()
        .filter_map(|a| a.counter.map(|c| (a, c)))
        .filter(|(_, c)| !c.over || input.now - c.last_at < COUNTER_TOLD_FOR)
        .map(|(a, c)| {
            let mut said = Vec::new();
            if c.reused > 0 {
                said.push(format!(
                    "{} event(s) came with a seq it had used for another event and were not stored",
                    c.reused
                ));
            }
            if c.backward > 0 {
                said.push(format!(
                    "{} event(s) came numbered below ones stored before",
                    c.backward
                ));
            }
            finding(
                FindingKind::CounterRestart,
                Severity::Warning,
                vec![a.id],
                None,
                format!(
                    "{} restarted without its event counter: {}. Its seq must keep growing \
                     across restarts (docs/protocol.md), or its events are lost",
                    a.name,
                    said.join("; ")
                ),
                Vec::new(),
                &format!("{}:{}", a.id, stamp(c.since)),
            )
        })
        .collect()
}

/// Two agents whose latest claims for one key (within the recent events) state different values.
/// Only keys with a new claim are looked at. Values are compared as values, never as the text
/// an agent spelt them in: the window keeps each as its canonical text ([`crate::json`]).
pub fn divergent_claims(input: &DetectInput<'_>) -> Vec<Finding> {
    let keys: Vec<&str> = input
        .new_events
        .iter()
        .filter(|e| e.event.kind == EventKind::Claim)
        .filter_map(|e| e.event.key.as_deref())
        .collect();
    let mut found = Vec::new();
    for key in keys
        .iter()
        .copied()
        .collect::<std::collections::BTreeSet<_>>()
    {
        // The latest claim of each agent for this key.
        let latest = input.recent.latest_claims(key);
        let values: std::collections::BTreeSet<&str> = latest
            .iter()
            .map(|e| e.value.as_deref().unwrap_or_default())
            .collect();
        if latest.len() < 2 || values.len() < 2 {
            continue;
        }
        let stated: Vec<String> = latest
            .iter()
            .map(|e| {
                format!(
                    "{} says {}",
                    input.name(e.agent_id),
                    e.value.as_deref().map_or("nothing".into(), headline)
                )
            })
            .collect();
        found.push(finding(
            FindingKind::DivergentClaims,
            Severity::Warning,
            latest.iter().map(|e| e.agent_id).collect(),
            Some(key.to_owned()),
            format!("Agents disagree on {key}: {}", stated.join("; ")),
            latest.iter().map(|e| evidence_in(e)).collect(),
            key,
        ));
    }
    found
}

/// The agent asks a person (`needs_approval`): one finding per task (or per event without one).
pub fn needs_approval(input: &DetectInput<'_>) -> Vec<Finding> {
    input
        .new_events
        .iter()
        .filter(|e| e.event.kind == EventKind::NeedsApproval)
        .map(|e| {
            let cause = match e.event.task_id.as_deref() {
                Some(task) => format!("{}:{task}", e.agent_id),
                None => format!("{}:seq-{}", e.agent_id, e.event.seq),
            };
            finding(
                FindingKind::NeedsApproval,
                Severity::Critical,
                vec![e.agent_id],
                e.event.resource.clone(),
                format!(
                    "{} asks: {}",
                    input.name(e.agent_id),
                    e.event
                        .message
                        .as_deref()
                        .map_or("approval needed".into(), headline)
                ),
                vec![evidence_of(e)],
                &cause,
            )
        })
        .collect()
}
