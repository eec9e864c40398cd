//! How a scenario agent obeys decisions, as a well-behaved agent would:
//!
//! * `approve` / `retry`: a task waiting on the question resumes (it writes what it asked to
//!   write and completes on the next tick); any other open task named finishes on the next tick.
//! * `reject`: every open task named is cancelled, and nothing more is played for it.
//! * `reassign` to another agent: the agent stops writing what the decision covers (its
//!   `scope` pattern, else its resources).
//! * `budget`: its bursts on that API stop short of a 429.

use baton_core::protocol::DecisionDelivery;
use baton_core::rules::ResourcePattern;
use baton_core::task::TaskState;
use chrono::{DateTime, Utc};

use super::{ScenarioAgent, OBEYED_KEPT};
use crate::scenario::timeline::Action;

/// The task an action is about (none for `GoDark`, `Relight` and `ForgetCounter`).
fn task_of(action: &Action) -> Option<&str> {
    match action {
        Action::Start(_) | Action::GoDark | Action::Relight | Action::ForgetCounter => None,
        Action::State { task, .. }
        | Action::Write { task, .. }
        | Action::Read { task, .. }
        | Action::ApiCall { task, .. }
        | Action::ApiBurst { task, .. }
        | Action::Spend { task, .. }
        | Action::Claim { task, .. }
        | Action::Ask { task, .. }
        | Action::Handoff { task, .. } => Some(task),
    }
}

impl ScenarioAgent {
    /// False for what a decision ruled out: anything more on a task that ended (cancelled by a
    /// rejection, or finished early by an approval), and a write of what was given to another
    /// agent (noted in [`ScenarioAgent::obeyed`]).
    pub(super) fn may_play(&mut self, action: &Action) -> bool {
        if let Some(task) = task_of(action) {
            let ended = self
                .tasks
                .iter()
                .any(|t| t.id == task && t.state.is_terminal());
            if ended {
                return false;
            }
        }
        if let Action::Write { resource, .. } = action {
            if let Some(pattern) = self.forbidden.iter().find(|p| p.matches(resource)) {
                let note = format!("did not write {resource}: {pattern} is not mine any more");
                self.note_obeyed(note);
                return false;
            }
        }
        true
    }

    fn note_obeyed(&mut self, note: String) {
        if self.obeyed.len() == OBEYED_KEPT {
            self.obeyed.remove(0);
        }
        self.obeyed.push(note);
    }

    /// The open tasks of this agent the decision names (`task_id`, then `tasks`).
    fn open_tasks_named(&self, decision: &DecisionDelivery) -> Vec<String> {
        let mut named: Vec<String> = Vec::new();
        for id in decision.task_id.iter().chain(&decision.tasks) {
            let open = self
                .tasks
                .iter()
                .any(|t| &t.id == id && !t.state.is_terminal());
            if open && !named.contains(id) {
                named.push(id.clone());
            }
        }
        named
    }

    pub(super) fn act_on(&mut self, decision: &DecisionDelivery, now: DateTime<Utc>) {
        let by = &decision.decided_by;
        match decision.action.as_str() {
            "approve" | "retry" => {
                for task in self.open_tasks_named(decision) {
                    let resource = self
                        .asked
                        .iter()
                        .position(|(asked, _)| *asked == task)
                        .map(|i| self.asked.remove(i).1);
                    let detail = format!("{} by {by}", past_tense(&decision.action));
                    self.set_state(&task, TaskState::Working, Some(detail), now);
                    if !self.approved.iter().any(|(t, _)| *t == task) {
                        self.approved.push((task, resource));
                    }
                }
            }
            "reject" => {
                for task in self.open_tasks_named(decision) {
                    self.asked.retain(|(asked, _)| *asked != task);
                    self.approved.retain(|(approved, _)| *approved != task);
                    let detail = format!("rejected by {by}");
                    self.set_state(&task, TaskState::Canceled, Some(detail), now);
                }
            }
            "reassign" => {
                let mine = decision
                    .owner
                    .as_deref()
                    .is_some_and(|owner| owner == self.cast.id || owner == self.cast.name);
                if !mine {
                    let covered: Vec<&String> = match &decision.scope {
                        Some(scope) => vec![scope],
                        None => decision.resources.iter().collect(),
                    };
                    let patterns: Vec<ResourcePattern> = covered
                        .into_iter()
                        .filter_map(|text| ResourcePattern::parse(text).ok())
                        .collect();
                    for pattern in patterns {
                        if !self.forbidden.contains(&pattern) {
                            self.forbidden.push(pattern);
                        }
                    }
                }
            }
            "budget" => {
                if let Some(api) = decision.budget.as_ref().map(|b| b.api.clone()) {
                    if !self.budgets.contains(&api) {
                        self.budgets.push(api);
                    }
                }
            }
            _ => {}
        }
    }
}

fn past_tense(action: &str) -> &'static str {
    match action {
        "retry" => "retried",
        _ => "approved",
    }
}
