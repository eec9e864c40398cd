//! What an agent's last stored poll held: its tasks (by the digest of their JSON text), a digest
//! per usage window, its self-description and events, so that a poll sends the store only what
//! changed. An agent that reports its 200 recent tasks and its usage windows on every poll costs
//! the store its few changed tasks, not 200 comparisons; and for a `baton/1` agent the
//! unchanged tasks are not even parsed (`baton_core::protocol::parse_status_after`).

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

use baton_core::protocol::{AgentInfo, Event, KnownTasks, Task, UsageReport};

/// Usage window → report digest (and the tasks, self-description and events), as of the last
/// poll that was stored.
#[derive(Debug, Default)]
pub(crate) struct SeenPoll {
    tasks: Arc<KnownTasks>,
    usage: HashMap<u64, u64>,
    /// What the agent said of itself, and the digest of the events it sent, in the last
    /// stored poll; with the highest seq among them.
    agent: Option<AgentInfo>,
    events: Option<u64>,
    max_seq: Option<u64>,
    /// A poll was stored since the poller started (or last forgot): the digests above are
    /// what the store holds.
    stored: bool,
}

fn digest(value: &impl Hash) -> u64 {
    let mut hasher = DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

/// The digests of one poll's tasks (and usage, self-description and events), to remember once
/// the poll is stored; the store keeps each task's with it ([`Digests::of_tasks`]).
#[derive(Debug, Default)]
pub(crate) struct Digests {
    tasks: KnownTasks,
    usage: HashMap<u64, u64>,
    agent: Option<AgentInfo>,
    events: Option<u64>,
    max_seq: Option<u64>,
}

impl Digests {
    /// The digest of the text each of `tasks` was read from, by task id, for the store to keep
    /// with the task (`tasks.reported_digest`).
    pub fn of_tasks(&self, tasks: &[Task]) -> HashMap<String, u64> {
        self.tasks.text_digests(tasks)
    }
}

/// The digest of a list of events (their JSON: events carry free-form payloads).
fn events_digest(events: &[Event]) -> u64 {
    digest(&serde_json::to_vec(events).unwrap_or_default())
}

impl SeenPoll {
    /// The tasks of the last stored poll, to read the next answer against.
    pub fn known_tasks(&self) -> Arc<KnownTasks> {
        Arc::clone(&self.tasks)
    }

    /// The tasks of an answer that are new or differ from the last stored poll (in their
    /// order), and the digests to remember. `known` is every task of the answer when reading it
    /// already left out the unchanged ones (`tasks` are then the changed ones, against the
    /// tasks known when it was read: a poll fetched while the one before was being stored
    /// knew those of the poll before that); without it `tasks` are all of them (an A2A
    /// agent's, converted).
    pub fn changed(&self, tasks: Vec<Task>, known: Option<KnownTasks>) -> (Vec<Task>, Digests) {
        let (changed, all) = match known {
            Some(all) => (all.changed_since(tasks, &self.tasks), all),
            None => self.tasks.split(tasks),
        };
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

    /// Leaves out of `events` those at or below the highest `seq` stored: an answer to a poll
    /// that asked from the cursor before the last stored poll carries that poll's events again
    /// (the store keeps the first event under a `seq` in any case).
    pub fn leave_out_stored_events(&self, events: &mut Vec<Event>) {
        if let Some(stored) = self.max_seq {
            events.retain(|event| event.seq > stored);
        }
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

    /// True until a poll is stored: every task of an answer is then "changed", and what the
    /// store holds is unknown (the poller just started, took the agent over, or forgot).
    pub fn knows_nothing_stored(&self) -> bool {
        !self.stored
    }

    /// The poll these digests came from is stored.
    pub fn remember(&mut self, digests: Digests) {
        self.stored = true;
        self.tasks = Arc::new(digests.tasks);
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
        assert!(seen.knows_nothing_stored());
        let (changed, digests) = seen.changed(tasks.clone(), None);
        assert_eq!(changed.len(), 2, "nothing stored yet");
        // Not remembered (the store failed): still all of them.
        assert_eq!(seen.changed(tasks.clone(), None).0.len(), 2);
        seen.remember(digests);
        let mut next = tasks.clone();
        next[1].state = TaskState::Working;
        next.push(Task::new("c", "C", TaskState::Submitted));
        let (changed, digests) = seen.changed(next, None);
        let ids: Vec<&str> = changed.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["b", "c"]);
        seen.remember(digests);
        assert!(!seen.knows_nothing_stored());
        seen.forget();
        assert!(seen.knows_nothing_stored());
        assert_eq!(seen.changed(tasks, None).0.len(), 2);
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
            model: None,
            input_tokens: None,
            output_tokens: None,
        };
        let mut seen = SeenPoll::default();
        let (_, mut digests) = seen.changed(vec![], None);
        assert_eq!(seen.changed_usage(vec![report(3)], &mut digests).len(), 1);
        seen.remember(digests);
        let (_, mut digests) = seen.changed(vec![], None);
        assert!(seen.changed_usage(vec![report(3)], &mut digests).is_empty());
        assert_eq!(seen.changed_usage(vec![report(4)], &mut digests).len(), 1);
    }
}
