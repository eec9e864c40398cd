//! The window's indexes and bounds.

use chrono::{Duration, TimeZone};

use super::*;
use crate::protocol::Event;

fn t(secs: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap() + Duration::seconds(secs)
}

fn write(agent_id: i64, seq: u64, at: i64, resource: &str) -> ObservedEvent {
    let mut event = Event::new(seq, t(at), EventKind::Write);
    event.resource = Some(resource.into());
    event.task_id = Some(format!("task-{agent_id}"));
    ObservedEvent { agent_id, event }
}

#[test]
fn finds_the_neighbours_of_a_moment_and_forgets_what_grew_old() {
    let mut w = RecentEvents::default();
    for (seq, at) in [(1, 10), (2, 20), (3, 30)] {
        assert!(w.insert(&write(1, seq, at, "file:///a")));
    }
    assert!(!w.insert(&write(1, 2, 20, "file:///a")), "seen once");
    let writes = w.resource("file:///a").agent(EventKind::Write, 1).unwrap();
    assert_eq!(writes.latest_at(t(20)).map(|e| e.seq), Some(2));
    assert_eq!(writes.earliest_after(t(20)).map(|e| e.seq), Some(3));
    assert_eq!(writes.earliest_after(t(30)), None);
    assert_eq!(w.last_activity(1), Some(t(30)));
    w.forget_before(t(25));
    assert_eq!(w.len(), 1);
    let writes = w.resource("file:///a").agent(EventKind::Write, 1).unwrap();
    assert_eq!(writes.latest_at(t(20)), None);
    assert_eq!(w.covers_from(), Some(t(25)));
    w.forget_before(t(40));
    assert!(w.is_empty());
    assert_eq!(w.last_activity(1), None);
    assert!(w.strings.is_empty(), "unused text is released");
    assert!(w.on_resource.is_empty() && w.task_states.is_empty());
}

#[test]
fn past_its_capacity_the_oldest_events_go_first() {
    let mut w = RecentEvents::with_capacity(3);
    for seq in 1..=5 {
        w.insert(&write(1, seq, seq as i64, "file:///a"));
    }
    assert_eq!(w.len(), 3);
    assert_eq!(w.evicted(), 2);
    assert!(w.get(1, 2).is_none() && w.get(1, 3).is_some());
    let kept: Vec<u64> = w
        .resource("file:///a")
        .agent(EventKind::Write, 1)
        .unwrap()
        .latest_until(t(10))
        .map(|e| e.seq)
        .collect();
    assert_eq!(kept, [5, 4, 3]);
}

#[test]
fn activity_counts_every_kind_but_only_some_kinds_are_kept() {
    let mut w = RecentEvents::default();
    let mut call = Event::new(1, t(5), EventKind::ApiCall);
    call.task_id = Some("t".into());
    w.insert(&ObservedEvent {
        agent_id: 7,
        event: call,
    });
    assert!(w.is_empty());
    assert_eq!(w.last_activity(7), Some(t(5)));
    let mut handoff = Event::new(2, t(6), EventKind::Handoff);
    handoff.resource = Some("file:///a".into());
    w.insert(&ObservedEvent {
        agent_id: 7,
        event: handoff,
    });
    let on = w.resource("file:///a");
    assert!(on.handed_off(7, t(6), t(6)));
    assert!(!on.handed_off(7, t(7), t(9)));
    assert!(!on.handed_off(7, t(6), t(5)), "an empty span");
    assert!(!on.handed_off(8, t(0), t(9)));
    assert!(!w.resource("file:///b").handed_off(7, t(0), t(9)));
    let mut agents = HashSet::new();
    agents.insert(8);
    w.retain_agents(&agents);
    assert!(w.is_empty() && w.last_activity(7).is_none());
}
