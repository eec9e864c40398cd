//! What every simulated agent keeps for its poller, whatever drives it: the events not yet
//! acknowledged (numbered by `seq`, paged by `since`), and the decisions it received (each
//! idempotency key once).

use std::collections::{HashSet, VecDeque};

use baton_core::protocol::{DecisionDelivery, Event};
use chrono::{DateTime, Utc};

/// Events an agent holds for a poller; beyond this the oldest are dropped (a poller that stays
/// away this long sees a gap in `seq`).
pub const MAX_HELD_EVENTS: usize = 20_000;

/// The events an agent still holds, and the next `seq` to give.
#[derive(Debug, Clone)]
pub struct HeldEvents {
    events: VecDeque<Event>,
    next_seq: u64,
}

impl Default for HeldEvents {
    fn default() -> Self {
        HeldEvents {
            events: VecDeque::new(),
            next_seq: 1,
        }
    }
}

impl HeldEvents {
    /// Gives the event the next `seq` and holds it.
    pub fn push(&mut self, mut event: Event) {
        event.seq = self.next_seq;
        self.next_seq += 1;
        self.events.push_back(event);
        if self.events.len() > MAX_HELD_EVENTS {
            self.events.pop_front();
        }
    }

    /// The last `seq` issued, 0 before the first event.
    pub fn last_seq(&self) -> u64 {
        self.next_seq - 1
    }

    /// The events still held, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &Event> {
        self.events.iter()
    }

    /// One page of a status answer. `since` is the cursor of an earlier answer: events up to it
    /// are forgotten and the page starts after it. An absent, unparsable or future cursor pages
    /// from the oldest event still held. At most `max_events` events (at least 1); the cursor is
    /// the last one's seq, or the position the poller is already at.
    pub fn page(&mut self, since: Option<&str>, max_events: usize) -> (Vec<Event>, String) {
        let last = self.last_seq();
        let since = since
            .and_then(|s| s.trim().parse::<u64>().ok())
            .filter(|&s| s <= last);
        if let Some(since) = since {
            while self.events.front().is_some_and(|e| e.seq <= since) {
                self.events.pop_front();
            }
        }
        let events: Vec<Event> = self
            .events
            .iter()
            .take(max_events.max(1))
            .cloned()
            .collect();
        let cursor = match (events.last(), since) {
            (Some(e), _) => e.seq,
            (None, Some(since)) => since,
            (None, None) => last,
        };
        (events, cursor.to_string())
    }
}

/// The decisions an agent applied, in arrival order, each idempotency key once.
#[derive(Debug, Clone, Default)]
pub struct DecisionLog {
    keys: HashSet<String>,
    decisions: Vec<DecisionDelivery>,
}

impl DecisionLog {
    /// Records `key`; false when it was seen before (the decision must not be applied again).
    pub fn first_time(&mut self, key: &str) -> bool {
        self.keys.insert(key.to_owned())
    }

    pub fn push(&mut self, decision: DecisionDelivery) {
        self.decisions.push(decision);
    }

    pub fn all(&self) -> &[DecisionDelivery] {
        &self.decisions
    }
}

/// A simulated agent that acts on people's decisions, each idempotency key once.
pub trait Obeys {
    /// The decisions it applied so far.
    fn decision_log(&mut self) -> &mut DecisionLog;

    /// What `decision` makes the agent do (called once per key).
    fn obey(&mut self, decision: &DecisionDelivery, now: DateTime<Utc>);

    /// Applies a decision once per `key`; true when the key was seen before (nothing done).
    fn apply_decision(
        &mut self,
        key: &str,
        decision: DecisionDelivery,
        now: DateTime<Utc>,
    ) -> bool {
        if !self.decision_log().first_time(key) {
            return true;
        }
        self.obey(&decision, now);
        self.decision_log().push(decision);
        false
    }
}

/// What the sim's tests deliver: `action` on `task`, decided by "ana" at a fixed time.
#[cfg(test)]
pub(crate) fn decision_by_ana(id: &str, task: &str, action: &str) -> DecisionDelivery {
    use chrono::TimeZone;
    DecisionDelivery {
        decision_id: id.into(),
        task_id: Some(task.into()),
        action: action.into(),
        decided_by: "ana".into(),
        decided_at: Utc.with_ymd_and_hms(2026, 11, 21, 10, 0, 0).unwrap(),
        ..Default::default()
    }
}
