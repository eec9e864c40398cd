//! One resource's events in the window, looked up once for every question a detector asks
//! about it. A new write on a busy resource asks about each other agent on it (its nearest
//! writes, whether it handed the resource off): with the resource found once, each of those is
//! a lookup by agent and a walk of that agent's events by time, not another lookup by name.

use std::collections::BTreeSet;
use std::ops::Bound;

use chrono::{DateTime, Utc};
use foldhash::HashMap;

use super::event::{Stamp, WindowEvent};
use crate::protocol::EventKind;

/// The window's events by (agent, `seq`).
pub(super) type Events = HashMap<(i64, u64), WindowEvent>;

/// Each agent's events of one kind, by time.
pub(super) type ByAgent = HashMap<i64, BTreeSet<Stamp>>;

/// The kinds indexed by resource, in [`ResourceIndex`] order.
const ON_RESOURCE: [EventKind; 4] = [
    EventKind::Write,
    EventKind::Read,
    EventKind::Trigger,
    EventKind::Handoff,
];

/// One resource's writes, reads, triggers and handoffs, by agent.
#[derive(Debug, Clone, Default)]
pub(super) struct ResourceIndex(pub(super) [ByAgent; 4]);

impl ResourceIndex {
    pub(super) fn slot(kind: EventKind) -> Option<usize> {
        ON_RESOURCE.iter().position(|k| *k == kind)
    }

    pub(super) fn get(&self, kind: EventKind) -> Option<&ByAgent> {
        Self::slot(kind).map(|i| &self.0[i])
    }

    pub(super) fn is_empty(&self) -> bool {
        self.0.iter().all(HashMap::is_empty)
    }
}

/// One resource's writes, reads, triggers and handoffs in the window
/// (`RecentEvents::resource`); empty when the window holds none.
#[derive(Debug, Clone, Copy)]
pub struct OnResource<'a> {
    events: &'a Events,
    index: Option<&'a ResourceIndex>,
}

/// One agent's events of one kind on one resource, by time.
#[derive(Debug, Clone, Copy)]
pub struct AgentEvents<'a> {
    events: &'a Events,
    pub agent_id: i64,
    stamps: &'a BTreeSet<Stamp>,
}

impl<'a> OnResource<'a> {
    pub(super) fn new(events: &'a Events, index: Option<&'a ResourceIndex>) -> OnResource<'a> {
        OnResource { events, index }
    }

    fn by_agent(&self, kind: EventKind) -> Option<&'a ByAgent> {
        self.index?.get(kind)
    }

    /// The agents with events of `kind` here, each with its events.
    pub fn agents(&self, kind: EventKind) -> impl Iterator<Item = AgentEvents<'a>> + 'a {
        let events = self.events;
        self.by_agent(kind).into_iter().flat_map(move |agents| {
            agents.iter().map(move |(agent_id, stamps)| AgentEvents {
                events,
                agent_id: *agent_id,
                stamps,
            })
        })
    }

    /// `agent_id`'s events of `kind` here (None: it has none).
    pub fn agent(&self, kind: EventKind, agent_id: i64) -> Option<AgentEvents<'a>> {
        let stamps = self.by_agent(kind)?.get(&agent_id)?;
        Some(AgentEvents {
            events: self.events,
            agent_id,
            stamps,
        })
    }

    /// Whether `agent_id` handed the resource off between `from` and `to` (both included).
    pub fn handed_off(&self, agent_id: i64, from: DateTime<Utc>, to: DateTime<Utc>) -> bool {
        to >= from
            && self
                .agent(EventKind::Handoff, agent_id)
                .is_some_and(|h| h.stamps.range((from, 0)..=(to, u64::MAX)).next().is_some())
    }
}

impl<'a> AgentEvents<'a> {
    fn event(&self, stamp: &Stamp) -> Option<&'a WindowEvent> {
        self.events.get(&(self.agent_id, stamp.1))
    }

    /// Its latest event at or before `at`.
    pub fn latest_at(&self, at: DateTime<Utc>) -> Option<&'a WindowEvent> {
        self.latest_until(at).next()
    }

    /// Its earliest event after `at`.
    pub fn earliest_after(&self, at: DateTime<Utc>) -> Option<&'a WindowEvent> {
        self.stamps
            .range((Bound::Excluded((at, u64::MAX)), Bound::Unbounded))
            .next()
            .and_then(|s| self.event(s))
    }

    /// All its events, oldest first.
    pub fn all(&self) -> impl Iterator<Item = &'a WindowEvent> + 'a {
        let this = *self;
        self.stamps.iter().filter_map(move |s| this.event(s))
    }

    /// Its events at or before `at`, latest first.
    pub fn latest_until(&self, at: DateTime<Utc>) -> impl Iterator<Item = &'a WindowEvent> + 'a {
        let this = *self;
        self.stamps
            .range(..=(at, u64::MAX))
            .rev()
            .filter_map(move |s| this.event(s))
    }
}
