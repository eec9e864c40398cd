//! What the detectors keep between runs, and how a run takes in what is new.

use chrono::{DateTime, Utc};

use super::dependencies::StoredStates;
use super::{
    book, handoff, AgentStatus, Agents, DetectConfig, DetectInput, ObservedEvent, ObservedTask,
    RecentEvents, TaskBook,
};
use crate::rules::{CompiledRules, Rule};

/// What the detectors keep between runs: the recent events, the tasks that can still matter,
/// the agents and the compiled rules. Each run takes in what is new, runs [`detect`] and then
/// [`DetectState::settle`]s, so a run costs what is new, not what is kept.
#[derive(Debug, Clone, Default)]
pub struct DetectState {
    pub recent: RecentEvents,
    pub tasks: TaskBook,
    pub agents: Agents,
    pub rules: CompiledRules,
    /// Stored states of dependencies the book does not hold (see [`super::dependencies`]).
    pub stored: StoredStates,
    /// Sessions waiting for a file another session holds (read from the store before a run).
    pub lease_waits: Vec<super::deadlock::LeaseWait>,
}

impl DetectState {
    /// A state holding exactly these events, tasks, rules and agents (tests, one-off checks).
    pub fn from_slices(
        recent: &[ObservedEvent],
        tasks: &[ObservedTask],
        rules: &[Rule],
        agents: &[AgentStatus],
    ) -> DetectState {
        let mut state = DetectState {
            recent: RecentEvents::default(),
            tasks: TaskBook::from_tasks(tasks),
            agents: Agents::new(agents.to_vec()),
            rules: CompiledRules::new(rules.to_vec()),
            stored: StoredStates::default(),
            lease_waits: Vec::new(),
        };
        state.take_events(recent);
        if let Some(oldest) = recent.iter().map(|e| e.event.at).min() {
            state.recent.set_covers_from(oldest);
        }
        state
    }

    /// Takes in events (those already held are skipped); true for each that was new, in order.
    /// A task's events count as its progress when the task is held: take tasks in first.
    pub fn take_events(&mut self, events: &[ObservedEvent]) -> Vec<bool> {
        events
            .iter()
            .map(|e| {
                let new = self.recent.insert(e);
                if let Some(task) = e.event.task_id.as_deref() {
                    self.tasks.touch(e.agent_id, task, e.event.at);
                }
                new
            })
            .collect()
    }

    /// Takes in tasks that are new or changed.
    pub fn take_tasks(&mut self, tasks: impl IntoIterator<Item = ObservedTask>) {
        for t in tasks {
            self.tasks.upsert(t);
        }
    }

    /// The agents as they are now; what the detectors kept of agents no longer there goes.
    pub fn set_agents(&mut self, agents: Vec<AgentStatus>) {
        let gone = self
            .agents
            .iter()
            .any(|a| !agents.iter().any(|b| b.id == a.id));
        self.agents = Agents::new(agents);
        if gone {
            let keep: std::collections::HashSet<i64> = self.agents.iter().map(|a| a.id).collect();
            self.recent.retain_agents(&keep);
            self.tasks.retain_agents(|id| keep.contains(&id));
        }
    }

    /// The rules as they are now; compiled again only when they changed. True when they did.
    pub fn set_rules(&mut self, rules: Vec<Rule>) -> bool {
        if self.rules.same_as(&rules) {
            return false;
        }
        self.rules = CompiledRules::new(rules);
        true
    }

    /// What the detectors look at now.
    pub fn input<'a>(
        &'a self,
        now: DateTime<Utc>,
        new_events: &'a [ObservedEvent],
        config: &'a DetectConfig,
        handoff_schemas: &'a handoff::HandoffSchemas,
    ) -> DetectInput<'a> {
        DetectInput {
            now,
            new_events,
            recent: &self.recent,
            tasks: &self.tasks,
            rules: &self.rules,
            agents: &self.agents,
            config,
            handoff_schemas,
            stored: &self.stored,
            lease_waits: &self.lease_waits,
        }
    }

    /// After a run: forgets events older than `since` and tasks that can no longer matter.
    pub fn settle(&mut self, since: DateTime<Utc>) {
        self.recent.forget_before(since);
        self.settle_stored();
        let (recent, agents) = (&self.recent, &self.agents);
        self.tasks.settle(since, |t| {
            let completed = book::state_since(t);
            t.task
                .next_stage
                .as_deref()
                .and_then(|stage| agents.by_remote_id(stage))
                .and_then(|next| recent.last_activity(next.id))
                .is_some_and(|last| last > completed)
        });
    }
}
