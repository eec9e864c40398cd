//! Events from an agent that breaks the protocol's promises: a clock far ahead, a `seq` used
//! again for another event, a `seq` going back. Each is stored the safe way and said.

use baton_core::protocol::{Event, FUTURE_SKEW};
use chrono::Duration;

use super::support::*;
use crate::Store;

fn write_at(seq: u64, at: chrono::DateTime<chrono::Utc>) -> Event {
    Event {
        at,
        ..write_event(seq, "t1")
    }
}

#[test]
fn events_dated_past_the_skew_are_kept_at_the_time_received_with_the_agents_time_beside() {
    let (mut store, id) = store_with_agent();
    let received = t(100);
    let far = chrono::DateTime::parse_from_rfc3339("2099-01-01T00:00:00Z")
        .unwrap()
        .to_utc();
    let events = vec![
        write_at(1, far),
        // Within the skew: the agent's time stands.
        write_at(2, received + FUTURE_SKEW - Duration::seconds(1)),
        write_at(3, received - Duration::hours(1)),
    ];
    let summary = store
        .ingest(id, &doc(vec![], events.clone(), "c3"), received)
        .unwrap();
    assert_eq!(summary.new_events, 3);
    assert_eq!(summary.clock_ahead, Some(far - received));
    let warning = summary.warning().expect("the row says so");
    assert!(
        warning.starts_with("the agent's clock is ") && warning.contains(" days ahead"),
        "{warning}"
    );
    // What the detectors read (now and after a restart) is at the time received.
    let window = store.detect_window(t(0), 100).unwrap();
    let times: Vec<_> = window.events.iter().map(|e| e.event.at).collect();
    assert!(times.contains(&received), "{times:?}");
    assert!(
        times.iter().all(|at| *at <= received + FUTURE_SKEW),
        "{times:?}"
    );
    let kept = window.events.iter().find(|e| e.event.seq == 1).unwrap();
    assert_eq!(kept.event.claimed_at, Some(far));
    assert_eq!(kept.event.as_sent(), events[0]);
    let near = window.events.iter().find(|e| e.event.seq == 2).unwrap();
    assert_eq!(near.event, events[1]);

    // Delivered again later (a missed poll): the same events, nothing said about them.
    let again = store
        .ingest(id, &doc(vec![], events, "c3"), t(200))
        .unwrap();
    assert_eq!((again.new_events, again.duplicate_events), (0, 3));
    assert_eq!(again.reused_seqs, 0);
    assert_eq!(again.warning(), None);
}

#[test]
fn an_agent_may_not_set_the_time_baton_keeps_for_it() {
    let (mut store, id) = store_with_agent();
    let mut event = write_event(1, "t1");
    event.claimed_at = Some(t(-5000));
    store
        .ingest(id, &doc(vec![], vec![event.clone()], "c1"), t(10))
        .unwrap();
    let window = store.detect_window(t(-10_000), 10).unwrap();
    assert_eq!(window.events[0].event.claimed_at, None);
    assert_eq!(window.events[0].event.at, event.at);
}

#[test]
fn a_seq_used_again_for_another_event_or_going_back_is_said_and_not_stored_over() {
    let (mut store, id) = store_with_agent();
    let first = vec![write_event(5, "t1"), write_event(6, "t1")];
    store
        .ingest(id, &doc(vec![], first.clone(), "c6"), t(10))
        .unwrap();
    // The agent restarted without its counter: 5 and 6 again, other events; and 3, new.
    let restarted = vec![
        Event {
            resource: Some("crm://contacts/other".into()),
            ..write_event(5, "t9")
        },
        first[1].clone(),
        write_event(3, "t9"),
    ];
    let summary = store
        .ingest(id, &doc(vec![], restarted, "c3"), t(20))
        .unwrap();
    assert_eq!(summary.new_events, 1, "only 3 is new");
    assert_eq!(summary.duplicate_events, 2);
    assert_eq!(summary.reused_seqs, 1, "5 came with other content");
    assert_eq!(summary.backward_seqs, 1, "3 is below 6");
    let warning = summary.warning().unwrap();
    assert!(
        warning.contains("1 event(s) came with a seq already used for another event")
            && warning.contains("restart without its counter")
            && warning.contains("1 event(s) came with a seq below one already stored"),
        "{warning}"
    );
    // The first event 5 stays as it was.
    let window = store.detect_window(t(0), 10).unwrap();
    let five = window.events.iter().find(|e| e.event.seq == 5).unwrap();
    assert_eq!(five.event, first[0]);
}

#[test]
fn the_detectors_read_one_counter_episode_until_events_come_in_order_again() {
    let (mut store, id) = store_with_agent();
    let counter = |store: &Store| {
        let read = store.detect_window(t(0), 10).unwrap();
        read.agents.iter().find(|a| a.id == id).unwrap().counter
    };
    store
        .ingest(
            id,
            &doc(
                vec![],
                vec![write_event(5, "t1"), write_event(6, "t1")],
                "c6",
            ),
            t(10),
        )
        .unwrap();
    assert_eq!(counter(&store), None, "in order: nothing to say");
    let other = |seq| Event {
        resource: Some("crm://contacts/other".into()),
        ..write_event(seq, "t9")
    };
    // Restarted: 5 again (other content), then 6 again and 2 (below) in the next poll.
    store
        .ingest(id, &doc(vec![], vec![other(5)], "c5"), t(20))
        .unwrap();
    store
        .ingest(
            id,
            &doc(vec![], vec![other(6), write_event(2, "t9")], "c6"),
            t(30),
        )
        .unwrap();
    let episode = counter(&store).expect("an episode");
    assert_eq!(
        (
            episode.since,
            episode.last_at,
            episode.reused,
            episode.backward,
            episode.over
        ),
        (t(20), t(30), 2, 1, false)
    );
    // A poll with nothing new says nothing either way; new events in order end the episode.
    store.ingest(id, &doc(vec![], vec![], "c6"), t(40)).unwrap();
    assert!(!counter(&store).unwrap().over);
    store
        .ingest(id, &doc(vec![], vec![write_event(7, "t9")], "c7"), t(50))
        .unwrap();
    let ended = counter(&store).unwrap();
    assert!(ended.over && ended.since == t(20) && ended.reused == 2);
    // The next restart is another episode, counted from nothing.
    store
        .ingest(id, &doc(vec![], vec![other(7)], "c7"), t(60))
        .unwrap();
    let next = counter(&store).unwrap();
    assert_eq!(
        (next.since, next.reused, next.backward, next.over),
        (t(60), 1, 0, false)
    );
}

#[test]
fn an_event_delivered_again_with_its_json_spelt_otherwise_is_the_same_event() {
    let (mut store, id) = store_with_agent();
    let read = |text: &str| serde_json::from_str::<serde_json::Value>(text).unwrap();
    let claim = |seq: u64, value: &str| Event {
        key: Some("db/primary".into()),
        value: Some(read(value)),
        ..Event::new(seq, t(seq as i64), baton_core::protocol::EventKind::Claim)
    };
    let handoff = |seq: u64, payload: &str| Event {
        resource: Some("crm://contacts/42".into()),
        to: Some("editor-1".into()),
        payload: Some(read(payload)),
        ..Event::new(seq, t(seq as i64), baton_core::protocol::EventKind::Handoff)
    };
    let first = vec![
        claim(1, r#"{"engine":"postgres","version":16}"#),
        handoff(2, r#"{"type":"brief","items":[1,2.5],"note":"A/B"}"#),
    ];
    store.ingest(id, &doc(vec![], first, "c2"), t(10)).unwrap();
    // Delivered again (a missed poll), spelt otherwise: members in another order, numbers
    // and escapes written another way; and once more within the same poll.
    let again = vec![
        claim(1, r#"{ "version": 16.0, "engine": "postgr\u0065s" }"#),
        handoff(
            2,
            r#"{"note":"\u0041\/B","items":[1e0,25e-1],"type":"brief"}"#,
        ),
        claim(3, r#"{"engine":"postgres","version":17}"#),
        claim(3, r#"{"version":1.7e1,"engine":"postgres"}"#),
    ];
    let summary = store.ingest(id, &doc(vec![], again, "c3"), t(20)).unwrap();
    assert_eq!((summary.new_events, summary.duplicate_events), (1, 3));
    assert_eq!(summary.reused_seqs, 0, "spelling is not another event");
    assert_eq!(summary.warning(), None);
    // Another value under a seq used is another event, as before.
    let other = vec![claim(1, r#"{"engine":"postgres","version":17}"#)];
    let summary = store.ingest(id, &doc(vec![], other, "c3"), t(30)).unwrap();
    assert_eq!(summary.reused_seqs, 1);
}
