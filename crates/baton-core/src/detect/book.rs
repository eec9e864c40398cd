//! What the detectors know of tasks and agents between runs, indexed by id.
//!
//! [`TaskBook`] keeps only the tasks that can still matter to a detector: every unfinished task,
//! a completed task that names a next stage until that stage shows activity (or the lookback
//! passes), and of a failed, canceled or rejected task just its state, for the tasks that depend
//! on it. A completed task with no next stage is forgotten at once: a dependency that is
//! completed and one that is unknown mean the same to the sequencing detector.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::{AgentStatus, ObservedTask};
use crate::agent::name_key;
use crate::agent::same_name;
use crate::task::TaskState;

/// A task that ended without completing: its state and since when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Ended {
    state: TaskState,
    since: DateTime<Utc>,
}

/// The tasks the detectors look at (see the module docs).
#[derive(Debug, Clone, Default)]
pub struct TaskBook {
    live: HashMap<i64, HashMap<String, ObservedTask>>,
    ended: HashMap<i64, HashMap<String, Ended>>,
    /// The latest event of each live task (any kind): its progress, for the stall detector.
    activity: HashMap<i64, HashMap<String, DateTime<Utc>>>,
}

/// When a task entered its current state, as Baton knows it.
pub fn state_since(t: &ObservedTask) -> DateTime<Utc> {
    t.task.state_since.unwrap_or(t.updated_at)
}

impl TaskBook {
    pub fn from_tasks(tasks: &[ObservedTask]) -> TaskBook {
        let mut book = TaskBook::default();
        for t in tasks {
            book.upsert(t.clone());
        }
        book
    }

    /// Takes in a task as Baton holds it now.
    pub fn upsert(&mut self, t: ObservedTask) {
        if let Some(ended) = self.ended.get_mut(&t.agent_id) {
            ended.remove(&t.task.id);
        }
        self.live
            .entry(t.agent_id)
            .or_default()
            .insert(t.task.id.clone(), t);
    }

    /// An event of task `task_id` happened at `at` (kept while the task is live: events of
    /// tasks not taken in yet, or finished, are not progress of anything that can stall).
    pub fn touch(&mut self, agent_id: i64, task_id: &str, at: DateTime<Utc>) {
        if self.get(agent_id, task_id).is_none() {
            return;
        }
        let tasks = self.activity.entry(agent_id).or_default();
        match tasks.get_mut(task_id) {
            Some(last) => *last = (*last).max(at),
            None => {
                tasks.insert(task_id.to_owned(), at);
            }
        }
    }

    /// When a live task last showed activity (any event of it), if it did since it was taken in.
    pub fn last_activity(&self, agent_id: i64, task_id: &str) -> Option<DateTime<Utc>> {
        self.activity.get(&agent_id)?.get(task_id).copied()
    }

    /// The tasks kept whole: unfinished ones, and completed ones awaiting their next stage.
    pub fn live(&self) -> impl Iterator<Item = &ObservedTask> {
        self.live.values().flat_map(HashMap::values)
    }

    /// How many tasks are kept (whole, or as a state).
    pub fn len(&self) -> usize {
        self.live.values().map(HashMap::len).sum::<usize>()
            + self.ended.values().map(HashMap::len).sum::<usize>()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, agent_id: i64, task_id: &str) -> Option<&ObservedTask> {
        self.live.get(&agent_id)?.get(task_id)
    }

    /// The state of a task, when it is kept.
    pub fn state(&self, agent_id: i64, task_id: &str) -> Option<TaskState> {
        self.get(agent_id, task_id)
            .map(|t| t.task.state)
            .or_else(|| {
                self.ended
                    .get(&agent_id)
                    .and_then(|ended| ended.get(task_id))
                    .map(|e| e.state)
            })
    }

    /// Whether the task is known and not finished.
    pub fn is_open(&self, agent_id: i64, task_id: &str) -> bool {
        self.get(agent_id, task_id)
            .is_some_and(|t| !t.task.state.is_terminal())
    }

    /// Forgets what can no longer matter at the end of a run: completed tasks with no next
    /// stage, or whose next stage `picked_up` (or that completed before `since`); finished
    /// tasks' whole records (their state is kept until `since` passes it).
    pub fn settle(&mut self, since: DateTime<Utc>, picked_up: impl Fn(&ObservedTask) -> bool) {
        for (agent_id, tasks) in &mut self.live {
            tasks.retain(|id, t| match t.task.state {
                s if !s.is_terminal() => true,
                TaskState::Completed => {
                    t.task.next_stage.is_some() && state_since(t) >= since && !picked_up(t)
                }
                state => {
                    let ended = Ended {
                        state,
                        since: state_since(t),
                    };
                    if ended.since >= since {
                        self.ended
                            .entry(*agent_id)
                            .or_default()
                            .insert(id.clone(), ended);
                    }
                    false
                }
            });
        }
        self.live.retain(|_, tasks| !tasks.is_empty());
        let live = &self.live;
        self.activity.retain(|agent_id, tasks| {
            let Some(kept) = live.get(agent_id) else {
                return false;
            };
            tasks.retain(|id, at| kept.contains_key(id) && *at >= since);
            !tasks.is_empty()
        });
        self.ended.retain(|_, tasks| {
            tasks.retain(|_, e| e.since >= since);
            !tasks.is_empty()
        });
    }

    /// Forgets the tasks of agents no longer in Baton.
    pub fn retain_agents(&mut self, keep: impl Fn(i64) -> bool) {
        self.live.retain(|id, _| keep(*id));
        self.ended.retain(|id, _| keep(*id));
        self.activity.retain(|id, _| keep(*id));
    }
}

/// The agents, by Baton's id, by the id they report and by name.
#[derive(Debug, Clone, Default)]
pub struct Agents {
    list: Vec<AgentStatus>,
    by_id: HashMap<i64, usize>,
    by_remote: HashMap<String, usize>,
    by_name: HashMap<String, usize>,
}

impl Agents {
    pub fn new(list: Vec<AgentStatus>) -> Agents {
        let mut agents = Agents {
            list,
            ..Agents::default()
        };
        for (i, a) in agents.list.iter().enumerate() {
            agents.by_id.insert(a.id, i);
            if let Some(remote) = &a.remote_id {
                agents.by_remote.entry(remote.clone()).or_insert(i);
            }
            agents.by_name.entry(name_key(&a.name)).or_insert(i);
        }
        agents
    }

    pub fn iter(&self) -> impl Iterator<Item = &AgentStatus> {
        self.list.iter()
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub fn get(&self, id: i64) -> Option<&AgentStatus> {
        self.by_id.get(&id).map(|&i| &self.list[i])
    }

    pub fn contains(&self, id: i64) -> bool {
        self.by_id.contains_key(&id)
    }

    /// The agent's name in Baton ("agent 7" when it is not known).
    pub fn name(&self, id: i64) -> String {
        self.get(id)
            .map_or_else(|| format!("agent {id}"), |a| a.name.clone())
    }

    /// The agent named so in Baton (names are compared as rules compare them).
    pub fn by_name(&self, name: &str) -> Option<&AgentStatus> {
        self.by_name.get(&name_key(name)).map(|&i| &self.list[i])
    }

    /// The agent that reports `remote` as its own id (or, failing that, is named so in Baton).
    pub fn by_remote_id(&self, remote: &str) -> Option<&AgentStatus> {
        self.by_remote
            .get(remote)
            .map(|&i| &self.list[i])
            .or_else(|| self.by_name(remote))
    }

    /// Whether both agents are sessions on two different branches (of one repository, when
    /// they share a file): their writes are parallel edits, not a collision.
    pub fn on_other_branches(&self, a: i64, b: i64) -> bool {
        let branch = |id| self.get(id).and_then(|agent| agent.branch.as_deref());
        matches!((branch(a), branch(b)), (Some(x), Some(y)) if x != y)
    }

    /// Whether `name` names this agent.
    pub fn is_named(&self, id: i64, name: &str) -> bool {
        self.get(id).is_some_and(|a| same_name(&a.name, name))
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;
    use crate::protocol::Task;

    fn t(secs: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap() + Duration::seconds(secs)
    }

    fn task(id: &str, state: TaskState, next: Option<&str>) -> ObservedTask {
        ObservedTask {
            agent_id: 1,
            task: Task {
                state_since: Some(t(10)),
                next_stage: next.map(str::to_owned),
                ..Task::new(id, id, state)
            },
            updated_at: t(10),
        }
    }

    #[test]
    fn a_settled_book_keeps_only_what_can_still_matter() {
        let mut book = TaskBook::from_tasks(&[
            task("working", TaskState::Working, None),
            task("done", TaskState::Completed, None),
            task("handed", TaskState::Completed, Some("editor-1")),
            task("picked", TaskState::Completed, Some("publisher-1")),
            task("failed", TaskState::Failed, None),
        ]);
        book.settle(t(0), |t| t.task.id == "picked");
        assert!(book.is_open(1, "working"));
        assert_eq!(book.state(1, "done"), None, "completed: forgotten");
        assert!(book.get(1, "handed").is_some(), "awaits its next stage");
        assert_eq!(book.state(1, "picked"), None);
        assert!(book.get(1, "failed").is_none());
        assert_eq!(book.state(1, "failed"), Some(TaskState::Failed));
        assert_eq!(book.len(), 3);
        // Past the lookback, only unfinished tasks stay.
        book.settle(t(60), |_| false);
        assert_eq!(book.len(), 1);
        // A task seen again comes back whole.
        book.upsert(task("failed", TaskState::Working, None));
        assert!(book.is_open(1, "failed"));
    }

    #[test]
    fn agents_are_found_by_id_reported_id_and_name() {
        let agents = Agents::new(vec![AgentStatus {
            id: 4,
            name: "Editor".into(),
            remote_id: Some("editor-1".into()),
            consecutive_failures: 0,
            last_error: None,
            last_success: None,
            counter: None,
            branch: None,
        }]);
        assert_eq!(agents.by_remote_id("editor-1").map(|a| a.id), Some(4));
        assert_eq!(agents.by_remote_id(" editor ").map(|a| a.id), Some(4));
        assert_eq!(agents.by_name("EDITOR").map(|a| a.id), Some(4));
        assert_eq!(agents.name(9), "agent 9");
        assert!(agents.is_named(4, "editor"));
    }
}
