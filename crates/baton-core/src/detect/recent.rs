//! The recent events, indexed the ways the detectors ask, so that a run costs what is new and
//! not what is kept: writes, reads, triggers and handoffs by (resource, agent), claims by key,
//! completions by agent, state changes by task; and the latest activity of every agent (any
//! event, `api_call`s included). A task's latest activity is kept with the task
//! ([`super::TaskBook`]), for as long as the task can stall.
//!
//! The window keeps a slim copy of each event (no payloads, headers or messages), is bounded by
//! time ([`RecentEvents::forget_before`]) and by count ([`RecentEvents::with_capacity`]): past the
//! cap the oldest events go first, and [`RecentEvents::evicted`] says how many did.

use std::collections::BTreeSet;
use std::sync::Arc;

// The window's maps are looked up several times for every new event and every other agent on
// its resource (the detectors' hot path at fleet scale): foldhash, seeded per process, rather
// than SipHash.
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use chrono::{DateTime, Utc};

pub use event::{Stamp, WindowEvent};
pub use resource::{AgentEvents, OnResource};
use resource::{ByAgent, ResourceIndex};

use super::ObservedEvent;
use crate::protocol::EventKind;
use crate::task::TaskState;

/// Most events kept by default: a few minutes of a 1,000-agent fleet, hours of a small one.
pub const DEFAULT_CAPACITY: usize = 200_000;

/// Whether the window keeps events of `kind` (the others only count as activity).
fn kept(kind: EventKind) -> bool {
    matches!(
        kind,
        EventKind::Write
            | EventKind::Read
            | EventKind::Trigger
            | EventKind::Handoff
            | EventKind::Claim
            | EventKind::State
    )
}

/// The indexed window (see the module docs).
#[derive(Debug, Clone)]
pub struct RecentEvents {
    capacity: usize,
    events: HashMap<(i64, u64), WindowEvent>,
    by_time: BTreeSet<(DateTime<Utc>, i64, u64)>,
    on_resource: HashMap<Arc<str>, ResourceIndex>,
    claims: HashMap<Arc<str>, ByAgent>,
    completions: ByAgent,
    task_states: HashMap<i64, HashMap<Arc<str>, BTreeSet<Stamp>>>,
    agent_activity: HashMap<i64, DateTime<Utc>>,
    strings: HashSet<Arc<str>>,
    covers_from: Option<DateTime<Utc>>,
    evicted: u64,
}

impl Default for RecentEvents {
    fn default() -> Self {
        RecentEvents::with_capacity(DEFAULT_CAPACITY)
    }
}

impl RecentEvents {
    /// An empty window keeping at most `capacity` events (at least 1).
    pub fn with_capacity(capacity: usize) -> RecentEvents {
        RecentEvents {
            capacity: capacity.max(1),
            events: HashMap::new(),
            by_time: BTreeSet::new(),
            on_resource: HashMap::new(),
            claims: HashMap::new(),
            completions: HashMap::new(),
            task_states: HashMap::new(),
            agent_activity: HashMap::new(),
            strings: HashSet::new(),
            covers_from: None,
            evicted: 0,
        }
    }

    /// A window holding `events`, covering from the oldest of them.
    pub fn from_events(events: &[ObservedEvent]) -> RecentEvents {
        let mut window = RecentEvents::default();
        for e in events {
            window.insert(e);
        }
        window.covers_from = events.iter().map(|e| e.event.at).min();
        window
    }

    /// Events kept.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Events dropped because the window was full (not because they grew old).
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    /// Since when every agent's activity is known (None: nothing is).
    pub fn covers_from(&self) -> Option<DateTime<Utc>> {
        self.covers_from
    }

    /// Says that activity is known from `since` on (the window was filled from then).
    pub fn set_covers_from(&mut self, since: DateTime<Utc>) {
        self.covers_from = Some(since);
    }

    fn intern(&mut self, text: &str) -> Arc<str> {
        if let Some(found) = self.strings.get(text) {
            return Arc::clone(found);
        }
        let shared: Arc<str> = Arc::from(text);
        self.strings.insert(Arc::clone(&shared));
        shared
    }

    fn intern_opt(&mut self, text: Option<&str>) -> Option<Arc<str>> {
        text.map(|t| self.intern(t))
    }

    /// Takes in one event (its activity, and the event itself when the detectors look at its
    /// kind). False when it was already there.
    pub fn insert(&mut self, e: &ObservedEvent) -> bool {
        let key = (e.agent_id, e.event.seq);
        if self.events.contains_key(&key) {
            return false;
        }
        let at = e.event.at;
        let activity = self.agent_activity.entry(e.agent_id).or_insert(at);
        *activity = (*activity).max(at);
        if !kept(e.event.kind) {
            return true;
        }
        let slim = WindowEvent {
            agent_id: e.agent_id,
            seq: e.event.seq,
            at,
            kind: e.event.kind,
            task_id: self.intern_opt(e.event.task_id.as_deref()),
            resource: self.intern_opt(e.event.resource.as_deref()),
            to: self.intern_opt(e.event.to.as_deref()),
            key: self.intern_opt(e.event.key.as_deref()),
            value: e
                .event
                .value
                .as_ref()
                .map(|v| Arc::from(crate::json::canonical(v).as_str())),
            state: e.event.state,
        };
        self.index(&slim, true);
        self.by_time.insert((at, e.agent_id, e.event.seq));
        self.events.insert(key, slim);
        while self.events.len() > self.capacity {
            let Some(&(_, agent, seq)) = self.by_time.first() else {
                break;
            };
            self.remove(agent, seq);
            self.evicted += 1;
        }
        true
    }

    /// Adds the event to (or removes it from) every index it belongs to.
    fn index(&mut self, e: &WindowEvent, add: bool) {
        let stamp = (e.at, e.seq);
        fn put(set: &mut BTreeSet<Stamp>, stamp: Stamp, add: bool) {
            if add {
                set.insert(stamp);
            } else {
                set.remove(&stamp);
            }
        }
        if let (Some(resource), Some(slot)) = (&e.resource, ResourceIndex::slot(e.kind)) {
            let index = self.on_resource.entry(Arc::clone(resource)).or_default();
            let agents = &mut index.0[slot];
            put(agents.entry(e.agent_id).or_default(), stamp, add);
            if !add {
                prune_agent(agents, e.agent_id);
                if index.is_empty() {
                    self.on_resource.remove(resource);
                }
            }
        }
        if e.kind == EventKind::Claim {
            if let Some(key) = &e.key {
                let agents = self.claims.entry(Arc::clone(key)).or_default();
                put(agents.entry(e.agent_id).or_default(), stamp, add);
                if !add {
                    prune_agent(agents, e.agent_id);
                    if agents.is_empty() {
                        self.claims.remove(key);
                    }
                }
            }
        }
        if e.kind == EventKind::State {
            if e.state == Some(TaskState::Completed) {
                put(self.completions.entry(e.agent_id).or_default(), stamp, add);
                if !add {
                    prune_agent(&mut self.completions, e.agent_id);
                }
            }
            if let Some(task) = &e.task_id {
                let tasks = self.task_states.entry(e.agent_id).or_default();
                let set = tasks.entry(Arc::clone(task)).or_default();
                put(set, stamp, add);
                if !add && set.is_empty() {
                    tasks.remove(task);
                    if tasks.is_empty() {
                        self.task_states.remove(&e.agent_id);
                    }
                }
            }
        }
    }

    fn remove(&mut self, agent_id: i64, seq: u64) {
        if let Some(e) = self.events.remove(&(agent_id, seq)) {
            self.by_time.remove(&(e.at, agent_id, seq));
            self.index(&e, false);
        }
    }

    /// Forgets events and activity older than `since`; from then on, activity is known from
    /// `since`. Interned text nobody uses any more is released.
    pub fn forget_before(&mut self, since: DateTime<Utc>) {
        while let Some(&(at, agent, seq)) = self.by_time.first() {
            if at >= since {
                break;
            }
            self.remove(agent, seq);
        }
        self.agent_activity.retain(|_, at| *at >= since);
        self.strings.retain(|s| Arc::strong_count(s) > 1);
        self.covers_from = Some(self.covers_from.map_or(since, |from| from.max(since)));
    }

    /// Forgets everything of agents not in `keep` (removed from Baton).
    pub fn retain_agents<S: std::hash::BuildHasher>(
        &mut self,
        keep: &std::collections::HashSet<i64, S>,
    ) {
        let gone: Vec<(i64, u64)> = self
            .events
            .keys()
            .filter(|(agent, _)| !keep.contains(agent))
            .copied()
            .collect();
        for (agent, seq) in gone {
            self.remove(agent, seq);
        }
        self.agent_activity.retain(|id, _| keep.contains(id));
    }

    /// The kept event of `agent_id` numbered `seq`.
    pub fn get(&self, agent_id: i64, seq: u64) -> Option<&WindowEvent> {
        self.events.get(&(agent_id, seq))
    }

    fn event_at(&self, agent_id: i64, stamp: &Stamp) -> Option<&WindowEvent> {
        self.events.get(&(agent_id, stamp.1))
    }

    /// The events on `resource`, looked up once for all the questions about it.
    pub fn resource(&self, resource: &str) -> OnResource<'_> {
        OnResource::new(&self.events, self.on_resource.get(resource))
    }

    /// Every handoff of `resource`, latest first.
    pub fn handoffs_of(&self, resource: &str) -> Vec<&WindowEvent> {
        let mut all: Vec<&WindowEvent> = self
            .resource(resource)
            .agents(EventKind::Handoff)
            .flat_map(|agent| agent.all())
            .collect();
        all.sort_by_key(|e| std::cmp::Reverse((e.at, e.agent_id, e.seq)));
        all
    }

    /// When `agent_id` first reported a completed task after `since`.
    pub fn completed_after(&self, agent_id: i64, since: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.completions
            .get(&agent_id)?
            .range((since, u64::MAX)..)
            .find(|s| s.0 > since)
            .map(|s| s.0)
    }

    /// Each agent's latest claim on `key`.
    pub fn latest_claims(&self, key: &str) -> Vec<&WindowEvent> {
        let Some(agents) = self.claims.get(key) else {
            return Vec::new();
        };
        let mut latest: Vec<&WindowEvent> = agents
            .iter()
            .filter_map(|(agent, set)| set.last().and_then(|s| self.event_at(*agent, s)))
            .collect();
        latest.sort_by_key(|e| e.agent_id);
        latest
    }

    /// The `state` events of one task, by time.
    pub fn task_states(&self, agent_id: i64, task_id: &str) -> Vec<&WindowEvent> {
        self.task_states
            .get(&agent_id)
            .and_then(|tasks| tasks.get(task_id))
            .into_iter()
            .flat_map(|set| set.iter().filter_map(|s| self.event_at(agent_id, s)))
            .collect()
    }

    /// The time of the agent's latest event, of any kind.
    pub fn last_activity(&self, agent_id: i64) -> Option<DateTime<Utc>> {
        self.agent_activity.get(&agent_id).copied()
    }
}

fn prune_agent(agents: &mut ByAgent, agent_id: i64) {
    if agents.get(&agent_id).is_some_and(BTreeSet::is_empty) {
        agents.remove(&agent_id);
    }
}

mod event;
mod resource;
#[cfg(test)]
mod tests;
