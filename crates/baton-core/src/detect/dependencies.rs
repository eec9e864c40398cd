//! What a task depends on, across agents. `depends_on` names a task of the same agent
//! (`draft-3`) or, as `agent-id/task-id`, a task of another agent by the id that agent reports
//! (`researcher/notes-1`); a prefix that is no agent's id is part of a same-agent task id, as
//! before. What the task book does not hold (finished before the window, or never seen) is
//! looked up in the store before a run: [`StoredStates`].

use std::collections::HashMap;

use super::{Agents, DetectState};
use crate::task::TaskState;

/// The agent (Baton's id) and task id a dependency of agent `own` names.
pub fn resolve<'a>(agents: &Agents, own: i64, reference: &'a str) -> (i64, &'a str) {
    if let Some((agent, task)) = reference.split_once('/') {
        if let Some(other) = agents.by_remote_id(agent) {
            if !task.is_empty() {
                return (other.id, task);
            }
        }
    }
    (own, reference)
}

/// The stored state of tasks the book does not hold: `None` for a task the store has never
/// seen. Filled before each run for the dependencies that need it ([`DetectState::missing_dependencies`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredStates {
    states: HashMap<(i64, String), Option<TaskState>>,
}

impl StoredStates {
    pub fn insert(&mut self, agent_id: i64, task_id: &str, state: Option<TaskState>) {
        self.states.insert((agent_id, task_id.to_owned()), state);
    }

    /// `Some(None)`: looked up, never seen; `None`: not looked up.
    pub fn get(&self, agent_id: i64, task_id: &str) -> Option<Option<TaskState>> {
        self.states.get(&(agent_id, task_id.to_owned())).copied()
    }

    pub fn len(&self) -> usize {
        self.states.len()
    }

    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
    }
}

/// What Baton knows of a dependency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Known {
    State(TaskState),
    /// The store has no such task.
    NeverSeen,
    /// Not held and not looked up (yet): nothing can be said.
    Unknown,
}

/// One dependency of a task, resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dependency<'a> {
    /// As the task names it.
    pub reference: &'a str,
    pub agent_id: i64,
    pub task_id: &'a str,
    pub known: Known,
}

impl DetectState {
    /// Dependencies of live tasks that the book does not hold and whose stored state is not
    /// known yet (or was "never seen"): the store is asked for them before the run.
    pub fn missing_dependencies(&self) -> Vec<(i64, String)> {
        let mut missing: Vec<(i64, String)> = self
            .tasks
            .live()
            .flat_map(|t| {
                t.task
                    .depends_on
                    .iter()
                    .map(|dep| resolve(&self.agents, t.agent_id, dep))
                    .filter(|(agent, task)| {
                        self.tasks.state(*agent, task).is_none()
                            && !matches!(self.stored.get(*agent, task), Some(Some(_)))
                    })
                    .map(|(agent, task)| (agent, task.to_owned()))
                    .collect::<Vec<_>>()
            })
            .collect();
        missing.sort_unstable();
        missing.dedup();
        missing
    }

    /// Keeps the stored states that live tasks still depend on.
    pub(super) fn settle_stored(&mut self) {
        if self.stored.is_empty() {
            return;
        }
        let mut referenced = std::collections::HashSet::new();
        for t in self.tasks.live() {
            for dep in &t.task.depends_on {
                let (agent, task) = resolve(&self.agents, t.agent_id, dep);
                referenced.insert((agent, task.to_owned()));
            }
        }
        self.stored.states.retain(|key, _| referenced.contains(key));
    }
}

/// The dependencies of task `task_id` of agent `own`, as `depends_on` lists them.
pub fn dependencies<'a>(
    input: &super::DetectInput<'_>,
    own: i64,
    depends_on: &'a [String],
) -> Vec<Dependency<'a>> {
    depends_on
        .iter()
        .map(|reference| {
            let (agent_id, task_id) = resolve(input.agents, own, reference);
            let known = match input.tasks.state(agent_id, task_id) {
                Some(state) => Known::State(state),
                None => match input.stored.get(agent_id, task_id) {
                    Some(Some(state)) => Known::State(state),
                    Some(None) => Known::NeverSeen,
                    None => Known::Unknown,
                },
            };
            Dependency {
                reference,
                agent_id,
                task_id,
                known,
            }
        })
        .collect()
}
