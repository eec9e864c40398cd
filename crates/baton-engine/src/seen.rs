//! What an agent's last stored poll held, as a digest per task and per usage window, so that a
//! poll sends the store only what changed. An agent that reports its 200 recent tasks and its
//! usage windows on every poll costs the store its few changed tasks, not 200 comparisons.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use baton_core::protocol::{AgentInfo, Event, Task, UsageReport};

/// Task id digest → task digest (and usage window → report digest), as of the last poll that
/// was stored.
#[derive(Debug, Default)]
pub(crate) struct SeenPoll {
    digests: HashMap<u64, u64>,
    usage: HashMap<u64, u64>,
    /// What the agent said of itself, and the digest of the events it sent, in the last
    /// stored poll; with the highest seq among them.
    agent: Option<AgentInfo>,
    events: Option<u64>,
    max_seq: Option<u64>,
}

fn digest(value: &impl Hash) -> u64 {
    let mut hasher = DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

/// The digests of one poll's tasks (and usage, self-description and events), to remember once
/// the poll is stored.
#[derive(Debug, Default)]
pub(crate) struct Digests {
    tasks: HashMap<u64, u64>,
    usage: HashMap<u64, u64>,
    agent: Option<AgentInfo>,
    events: Option<u64>,
    max_seq: Option<u64>,
}

/// The digest of a list of events (their JSON: events carry free-form payloads).
fn events_digest(events: &[Event]) -> u64 {
    digest(&serde_json::to_vec(events).unwrap_or_default())
}

impl SeenPoll {
    /// The tasks that are new or differ from the last stored poll (in their order), and the
    /// digests of all of them.
    pub fn changed(&self, tasks: Vec<Task>) -> (Vec<Task>, Digests) {
        let mut all = HashMap::with_capacity(tasks.len());
        let mut changed = Vec::new();
        for task in tasks {
            let id = digest(&task.id);
            let whole = digest(&task);
            all.insert(id, whole);
            if self.digests.get(&id) != Some(&whole) {
                changed.push(task);
            }
        }
        (
            changed,
            Digests {
                tasks: all,
                ..Digests::default()
            },
        )
    }

    /// True when the agent describes itself as in the last stored poll and sends no event
    /// that poll did not (none, or the same ones again: a server that ignores `since`).
    pub fn repeats(&self, agent: &AgentInfo, events: &[Event], digests: &mut Digests) -> bool {
        digests.agent = Some(agent.clone());
        let max_seq = events.iter().map(|e| e.seq).max();
        digests.max_seq = max_seq.max(self.max_seq);
        let same_agent = self.agent.as_ref() == Some(agent);
        let Some(first) = events.first() else {
            digests.events = self.events;
            return same_agent;
        };
        // New events (the usual case) are told apart without hashing them.
        if self.max_seq.is_none_or(|seen| first.seq > seen) {
            return false;
        }
        let whole = events_digest(events);
        digests.events = Some(whole);
        same_agent && self.events == Some(whole)
    }

    /// The usage reports that are new or differ from the last stored poll; their digests go
    /// into `digests`.
    pub fn changed_usage(
        &self,
        reports: Vec<UsageReport>,
        digests: &mut Digests,
    ) -> Vec<UsageReport> {
        let mut changed = Vec::new();
        for report in reports {
            let id = digest(&(&report.api, &report.key, report.window_start));
            let whole = digest(&report);
            digests.usage.insert(id, whole);
            if self.usage.get(&id) != Some(&whole) {
                changed.push(report);
            }
        }
        changed
    }

    /// The poll these digests came from is stored.
    pub fn remember(&mut self, digests: Digests) {
        self.digests = digests.tasks;
        self.usage = digests.usage;
        self.agent = digests.agent;
        self.events = digests.events;
        self.max_seq = digests.max_seq;
    }

    /// Forget everything (the store may differ from what was seen).
    pub fn forget(&mut self) {
        *self = SeenPoll::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use baton_core::task::TaskState;

    #[test]
    fn only_new_or_changed_tasks_go_to_the_store_once_a_poll_is_stored() {
        let mut seen = SeenPoll::default();
        let tasks = vec![
            Task::new("a", "A", TaskState::Working),
            Task::new("b", "B", TaskState::Submitted),
        ];
        let (changed, digests) = seen.changed(tasks.clone());
        assert_eq!(changed.len(), 2, "nothing stored yet");
        // Not remembered (the store failed): still all of them.
        assert_eq!(seen.changed(tasks.clone()).0.len(), 2);
        seen.remember(digests);
        let mut next = tasks.clone();
        next[1].state = TaskState::Working;
        next.push(Task::new("c", "C", TaskState::Submitted));
        let (changed, digests) = seen.changed(next);
        let ids: Vec<&str> = changed.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["b", "c"]);
        seen.remember(digests);
        seen.forget();
        assert_eq!(seen.changed(tasks).0.len(), 2);
    }

    #[test]
    fn only_new_or_changed_usage_windows_go_to_the_store() {
        let at = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let report = |requests| UsageReport {
            api: "openai".into(),
            key: None,
            window_start: at,
            window_seconds: 60,
            requests,
            tokens: 0,
            rate_limited: 0,
        };
        let mut seen = SeenPoll::default();
        let (_, mut digests) = seen.changed(vec![]);
        assert_eq!(seen.changed_usage(vec![report(3)], &mut digests).len(), 1);
        seen.remember(digests);
        let (_, mut digests) = seen.changed(vec![]);
        assert!(seen.changed_usage(vec![report(3)], &mut digests).is_empty());
        assert_eq!(seen.changed_usage(vec![report(4)], &mut digests).len(), 1);
    }
}
