//! Findings about tasks: started before their inputs were ready, completed with nobody picking
//! up, stalled, or running past their budget.

use super::book::state_since;
use super::dependencies::{dependencies, Known};
use super::{evidence_in, finding, human, stamp, DetectInput, Finding, FindingKind, Severity};
use crate::task::TaskState;

/// A task that has started (not queued, not abandoned) while a task it depends on, of the same
/// agent or another (`agent-id/task-id`), is not completed: still open, or ended otherwise
/// (failed, canceled, rejected: the finding says which). A dependency Baton has never seen is
/// unknown, not a violation, until the task has been started for the silent-completion window
/// (its agent may not have been polled yet); past it, it counts as not completed.
pub fn sequencing(input: &DetectInput<'_>) -> Vec<Finding> {
    let mut found = Vec::new();
    for t in input.tasks.live().filter(|t| !t.task.depends_on.is_empty()) {
        let started = !matches!(
            t.task.state,
            TaskState::Submitted | TaskState::Canceled | TaskState::Rejected
        );
        if !started {
            continue;
        }
        let waited =
            input.now - state_since(t) >= input.config.for_agent(t.agent_id).silent_completion;
        let mut agents = vec![t.agent_id];
        let mut pending = Vec::new();
        for dep in dependencies(input, t.agent_id, &t.task.depends_on) {
            let why = match dep.known {
                Known::State(TaskState::Completed) | Known::Unknown => continue,
                Known::NeverSeen if !waited => continue,
                Known::NeverSeen => Some("never seen by Baton"),
                Known::State(state) if state.is_terminal() => Some(state.as_str()),
                Known::State(_) => None,
            };
            agents.push(dep.agent_id);
            pending.push(match why {
                Some(why) => format!("{} ({why})", dep.reference),
                None => dep.reference.to_owned(),
            });
        }
        if pending.is_empty() {
            continue;
        }
        let evidence = input
            .recent
            .task_states(t.agent_id, &t.task.id)
            .into_iter()
            .map(evidence_in)
            .collect();
        found.push(finding(
            FindingKind::Sequencing,
            Severity::Warning,
            agents,
            t.task.output.clone(),
            format!(
                "{}'s task {} is {} while {} it depends on {} not completed",
                input.name(t.agent_id),
                t.task.id,
                t.task.state.as_str(),
                pending.join(", "),
                if pending.len() == 1 { "is" } else { "are" }
            ),
            evidence,
            &format!("{}:{}", t.agent_id, t.task.id),
        ));
    }
    found
}

/// A completed task that names a next stage, and that stage has shown nothing since, for
/// longer than the window.
pub fn silent_completions(input: &DetectInput<'_>) -> Vec<Finding> {
    let oldest = input.recent.covers_from();
    let mut found = Vec::new();
    for t in input.tasks.live() {
        let Some(stage) = t.task.next_stage.as_deref() else {
            continue;
        };
        if t.task.state != TaskState::Completed {
            continue;
        }
        let completed_at = state_since(t);
        let window = input.config.for_agent(t.agent_id).silent_completion;
        // Older than what the detectors can see: nothing can be said about it.
        if input.now - completed_at <= window || oldest.is_none_or(|o| completed_at < o) {
            continue;
        }
        // `agent-id/task-id` names the task expected to pick the output up; a bare id, the agent.
        let (next, task) = match stage.split_once('/') {
            Some((agent, task)) if !task.is_empty() => match input.agents.by_remote_id(agent) {
                Some(next) => (Some(next), Some(task)),
                None => (input.agents.by_remote_id(stage), None),
            },
            _ => (input.agents.by_remote_id(stage), None),
        };
        let picked_up = next.is_some_and(|next| {
            let last = match task {
                Some(task) => input
                    .tasks
                    .last_activity(next.id, task)
                    .into_iter()
                    .chain(
                        input
                            .tasks
                            .get(next.id, task)
                            .filter(|t| t.task.state != TaskState::Submitted)
                            .map(state_since),
                    )
                    .max(),
                None => input.recent.last_activity(next.id),
            };
            last.is_some_and(|last| last > completed_at)
        });
        if picked_up {
            continue;
        }
        let who = match (next, task) {
            (Some(next), Some(task)) => {
                format!("{}'s task {task} has not started since", next.name)
            }
            (Some(next), None) => format!("{} has shown nothing since", next.name),
            (None, _) => format!("no agent in Baton reports the id {stage}"),
        };
        found.push(finding(
            FindingKind::SilentCompletion,
            Severity::Warning,
            std::iter::once(t.agent_id)
                .chain(next.map(|n| n.id))
                .collect(),
            t.task.output.clone(),
            format!(
                "{} completed {} {} ago for {stage}, and {who}",
                input.name(t.agent_id),
                t.task.id,
                human(input.now - completed_at),
            ),
            Vec::new(),
            &format!("{}:{}:{}", t.agent_id, t.task.id, stamp(completed_at)),
        ));
    }
    found
}

/// A working task without progress for its stall window, or working past its time budget.
pub fn stalls_and_timeouts(input: &DetectInput<'_>) -> Vec<Finding> {
    let mut found = Vec::new();
    for t in input
        .tasks
        .live()
        .filter(|t| t.task.state == TaskState::Working)
    {
        let windows = input.config.for_agent(t.agent_id);
        let last_event = input.tasks.last_activity(t.agent_id, &t.task.id);
        let progress = [Some(t.updated_at), t.task.updated_at, last_event]
            .into_iter()
            .flatten()
            .max()
            .unwrap_or(t.updated_at);
        let agent = input.name(t.agent_id);
        if input.now - progress > windows.stall {
            found.push(finding(
                FindingKind::Stall,
                Severity::Warning,
                vec![t.agent_id],
                t.task.output.clone(),
                format!(
                    "{agent}'s task {} has made no progress for {}",
                    t.task.id,
                    human(input.now - progress)
                ),
                Vec::new(),
                &format!("{}:{}:{}", t.agent_id, t.task.id, stamp(progress)),
            ));
        }
        let started = t
            .task
            .state_since
            .or(t.task.created_at)
            .unwrap_or(t.updated_at);
        if input.now - started > windows.time_budget {
            found.push(finding(
                FindingKind::Timeout,
                Severity::Warning,
                vec![t.agent_id],
                t.task.output.clone(),
                format!(
                    "{agent}'s task {} has been working for {}, past its budget of {}",
                    t.task.id,
                    human(input.now - started),
                    human(windows.time_budget)
                ),
                Vec::new(),
                &format!("{}:{}:{}", t.agent_id, t.task.id, stamp(started)),
            ));
        }
    }
    found
}
