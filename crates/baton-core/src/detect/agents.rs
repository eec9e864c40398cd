//! Findings about agents: unreachable endpoints, agents that state different values for one key,
//! and an agent's own request for approval.

use super::{
    evidence_in, evidence_of, finding, stamp, DetectInput, Finding, FindingKind, Severity,
};
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

/// Two agents whose latest claims for one key (within the recent events) state different values.
/// Only keys with a new claim are looked at.
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
                    e.value.as_deref().unwrap_or("nothing")
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
                    e.event.message.as_deref().unwrap_or("approval needed")
                ),
                vec![evidence_of(e)],
                &cause,
            )
        })
        .collect()
}
