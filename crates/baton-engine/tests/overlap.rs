//! A poller's polls overlap their writes (`baton_engine`'s `poll` module): while the store
//! holds a poll's write, the next poll still goes out on time, from where that write leaves
//! off; one poll ahead, not more; and once the store moves again, every event is stored once.

mod support;

use std::time::Duration;

use baton_core::views::ChangeEvent;
use support::*;

/// Waits until the fixture has had no request for `quiet` (at most 20 s): how many it had.
async fn hits_once_quiet(fixture: &Fixture, quiet: Duration) -> usize {
    let mut seen = fixture.hit_count();
    for _ in 0..(20_000 / quiet.as_millis().max(1)) {
        tokio::time::sleep(quiet).await;
        let now = fixture.hit_count();
        if now == seen {
            return now;
        }
        seen = now;
    }
    panic!("the agent is still polled with the store's writer held");
}

#[tokio::test]
async fn the_next_poll_goes_out_while_the_store_holds_the_last_ones_write() {
    let fixture = Fixture::start(Mode::Growing("busy".into())).await;
    let engine = engine_with(test_config());
    let mut rx = engine.subscribe();
    let agent = engine
        .add_agent(draft("busy", &fixture.base_url, 300, 250), None)
        .await
        .unwrap();
    // Right after a poll is stored (its health goes out once it has committed), the next poll
    // is most of an interval away: the store's writer is held from now on.
    for _ in 0..2 {
        next_event(&mut rx, Duration::from_secs(10), |e| match e {
            ChangeEvent::Health { agent_id, .. } if *agent_id == agent.id => Some(()),
            _ => None,
        })
        .await;
    }
    let (holding, held) = tokio::sync::oneshot::channel();
    let (release, released) = std::sync::mpsc::channel::<()>();
    let store = engine.store();
    let writer_held = tokio::spawn(async move {
        store
            .write(move |_| {
                let _ = holding.send(());
                let _ = released.recv();
                Ok(())
            })
            .await
    });
    held.await.unwrap();
    let before = fixture.hit_count();

    let after = hits_once_quiet(&fixture, Duration::from_millis(1_500)).await;
    let hits = fixture.hits();
    let ahead = &hits[before..after];
    assert_eq!(
        ahead.len(),
        2,
        "the poll whose write waits, and the next one fetched meanwhile: {ahead:?}"
    );
    assert_eq!(
        ahead[1].query.as_deref(),
        Some(format!("since=c{}", before + 1).as_str()),
        "fetched from where the waiting write leaves off"
    );
    let gap = ahead[1].at - ahead[0].at;
    assert!(
        gap < Duration::from_millis(1_200),
        "the poll ahead went out on its schedule, not after the store: {gap:?}"
    );

    release.send(()).unwrap();
    writer_held.await.unwrap().unwrap();
    assert!(eventually(Duration::from_secs(10), || fixture.hit_count() >= after + 3).await);
    engine.shutdown().await;
    let (cursor, events) = engine
        .store()
        .read_blocking(move |s| Ok((s.cursor(agent.id)?, s.event_count(agent.id)?)))
        .unwrap();
    let stored_through: u64 = cursor.unwrap().trim_start_matches('c').parse().unwrap();
    assert!(
        stored_through + 1 >= fixture.hit_count() as u64,
        "every answer but one cut short at shutdown was stored: through {stored_through} of {}",
        fixture.hit_count()
    );
    assert_eq!(
        events, stored_through,
        "each event stored once, none missing"
    );
}
