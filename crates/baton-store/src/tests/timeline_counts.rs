//! The timeline's counts per minute (`event_minutes`): kept as events arrive, read for buckets
//! of whole minutes, the same figures as counting the events one by one.

use baton_core::protocol::{Event, EventKind};
use baton_core::timeline::FleetTimeline;
use chrono::Duration;

use super::support::*;

fn event(seq: u64, secs: i64, kind: EventKind) -> Event {
    Event {
        task_id: Some("t1".into()),
        ..Event::new(seq, t(secs), kind)
    }
}

/// (bucket index, total, writes) of a lane, in order.
fn figures(timeline: &FleetTimeline, lane: usize) -> Vec<(u32, u32, u32)> {
    timeline.lanes[lane]
        .buckets
        .iter()
        .map(|b| {
            let writes = b.counts.get(&EventKind::Write).copied().unwrap_or(0);
            (b.index, b.total, writes)
        })
        .collect()
}

#[test]
fn buckets_of_whole_minutes_read_the_counts_and_agree_with_the_events() {
    let (mut store, a) = store_with_agent();
    // An hour of events, one every 7 s, every third a write; then the same poll again (a
    // duplicate counts nothing) and a few seconds into the minute after the hour.
    let events: Vec<Event> = (0..520u64)
        .map(|i| {
            let kind = if i % 3 == 0 {
                EventKind::Write
            } else {
                EventKind::Read
            };
            event(i + 1, i as i64 * 7, kind)
        })
        .collect();
    store
        .ingest(a, &doc(vec![], events.clone(), "c1"), t(3_700))
        .unwrap();
    store
        .ingest(a, &doc(vec![], events, "c1"), t(3_701))
        .unwrap();

    // Five-minute buckets from a minute: t(0) is 12:00:00. The range ends 5 ms before the
    // hour: its last minute is not whole and is read event by event.
    let end = t(3_600) - Duration::milliseconds(5);
    let minutes = store.fleet_timeline(t(0), end, 12, &[a]).unwrap();
    assert_eq!(minutes.bucket_ms, 300_000);
    // The same range on a grid a second off the minute: every event read one by one.
    let events_read = store
        .fleet_timeline(t(1), end + Duration::seconds(1), 12, &[a])
        .unwrap();
    assert_eq!(events_read.bucket_ms, 300_000);

    let expected = |from: i64, to: i64| {
        let mut buckets = std::collections::BTreeMap::<u32, (u32, u32)>::new();
        for i in 0..520i64 {
            let at = i * 7;
            if at >= from && at < to {
                let slot = buckets.entry(((at - from) / 300) as u32).or_default();
                slot.0 += 1;
                slot.1 += u32::from(i % 3 == 0);
            }
        }
        buckets
            .into_iter()
            .map(|(i, (total, writes))| (i, total, writes))
            .collect::<Vec<_>>()
    };
    assert_eq!(figures(&minutes, 0), expected(0, 3_600));
    assert_eq!(figures(&events_read, 0), expected(1, 3_601));
    assert_eq!(minutes.lanes[0].total, 515, "t(0) … t(3_598), once each");

    // The whole minutes were read from the counts: with the events gone (as the size limit
    // takes them), they are still counted, and only the last minute's are not.
    store
        .db()
        .execute("DELETE FROM events", crate::params![])
        .unwrap();
    let counted = store.fleet_timeline(t(0), end, 12, &[a]).unwrap();
    assert_eq!(counted.lanes[0].total, 506, "t(0) … t(3_535)");
    let read = store
        .fleet_timeline(t(1), end + Duration::seconds(1), 12, &[a])
        .unwrap();
    assert_eq!(read.lanes[0].total, 0);
}

#[test]
fn the_counts_go_with_the_age_limit() {
    let (mut store, a) = store_with_agent();
    let old: Vec<Event> = (1..=30u64)
        .map(|i| event(i, i as i64 * 60, EventKind::Read))
        .collect();
    store.ingest(a, &doc(vec![], old, "c1"), t(1_900)).unwrap();
    let later = t(0) + Duration::days(40);
    let new = vec![event(31, 40 * 86_400, EventKind::Read)];
    store.ingest(a, &doc(vec![], new, "c2"), later).unwrap();
    while store.compact(later).unwrap().more {}
    let old_range = store.fleet_timeline(t(0), t(3_600), 60, &[a]).unwrap();
    assert_eq!(old_range.lanes[0].total, 0, "{:?}", old_range.lanes[0]);
    let new_range = store
        .fleet_timeline(
            later - Duration::minutes(59),
            later + Duration::minutes(1),
            60,
            &[a],
        )
        .unwrap();
    assert_eq!(new_range.bucket_ms, 60_000);
    assert_eq!(new_range.lanes[0].total, 1);
}
