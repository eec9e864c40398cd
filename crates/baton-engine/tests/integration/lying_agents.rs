//! Agents that break the protocol's promises about time and numbering, over real HTTP: each
//! poll still stores what it can, the agent's row says what is wrong, and the detectors' window
//! stays bounded.

use crate::support::*;
use baton_core::agent::Reachability;
use chrono::Utc;

/// A `baton/1` document with `count` write events from `first` on, all dated `at`.
fn events_at(first: u64, count: u64, at: &str) -> Vec<u8> {
    let events: Vec<_> = (first..first + count)
        .map(|seq| {
            serde_json::json!({"seq": seq, "at": at, "kind": "write",
                "resource": format!("crm://contacts/{seq}")})
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "protocol": "baton/1",
        "agent": {"id": "liar", "name": "Liar"},
        "tasks": [],
        "events": events,
        "usage": [],
        "cursor": format!("c{}", first + count - 1),
    }))
    .unwrap()
}

#[tokio::test]
async fn events_dated_decades_ahead_leave_the_window_like_any_others_and_the_row_says_why() {
    let fixture = Fixture::start(Mode::Body(events_at(1, 500, "2099-01-01T00:00:00Z"))).await;
    let engine = engine();
    let agent = store_agent(&engine, &draft("liar", &fixture.base_url, 60_000, 2_000));
    let before = Utc::now() - chrono::Duration::seconds(1);
    for poll in 0..4u64 {
        fixture.set(Mode::Body(events_at(
            1 + poll * 500,
            500,
            "2099-01-01T00:00:00Z",
        )));
        engine
            .poll_once(agent.id)
            .await
            .expect("the poll is stored");
    }
    let health = health(&engine, agent.id);
    assert_eq!(health.reachability, Reachability::Up);
    let warning = health.last_error.expect("the row says what is wrong");
    assert!(
        warning.starts_with("the agent's clock is ") && warning.contains("days ahead"),
        "{warning}"
    );
    // Now: all 2,000 events are in the window, at the time they were received.
    engine.detect_once(Utc::now(), before).await.unwrap();
    assert_eq!(engine.stats().detector.window_events, 2_000);
    // A day later the window has let them go, as it would events dated honestly (before, the
    // events of 2099 stayed until the cap, and came back on every start).
    engine
        .detect_once(Utc::now() + chrono::Duration::days(1), before)
        .await
        .unwrap();
    assert_eq!(engine.stats().detector.window_events, 0);
}

#[tokio::test]
async fn a_counter_started_over_is_said_on_the_row_and_the_first_events_stay() {
    let fixture = Fixture::start(Mode::Body(doc("fx-1", &[], 5))).await;
    let engine = engine();
    let agent = store_agent(&engine, &draft("fx", &fixture.base_url, 60_000, 2_000));
    engine.poll_once(agent.id).await.unwrap();
    assert_eq!(health(&engine, agent.id).last_error, None);
    // Restarted without its counter: seq 1..3 again, other events.
    fixture.set(Mode::Body(events_at(1, 3, "2026-01-01T00:01:00Z")));
    engine.poll_once(agent.id).await.unwrap();
    let warning = health(&engine, agent.id).last_error.unwrap();
    assert!(
        warning.contains("3 event(s) came with a seq already used for another event")
            && warning.contains("restart without its counter"),
        "{warning}"
    );
    let count = engine
        .store()
        .read_blocking(move |s| s.event_count(agent.id))
        .unwrap();
    assert_eq!(count, 5, "nothing stored over the first events");
}

#[tokio::test]
async fn an_agent_that_asks_for_a_pause_gets_it_and_the_row_says_so() {
    let fixture = Fixture::start(Mode::RetryAfter(429, "3".into())).await;
    let engine = engine();
    let agent = store_agent(&engine, &draft("busy", &fixture.base_url, 250, 200));
    engine.start_all().await.unwrap();
    let asked = || {
        health(&engine, agent.id)
            .last_error
            .is_some_and(|e| e == "HTTP 429 Too Many Requests (asks to wait 3 s: Retry-After)")
    };
    assert!(
        eventually(std::time::Duration::from_secs(10), asked).await,
        "{:?}",
        health(&engine, agent.id)
    );
    let first = fixture.hits()[0].at;
    // Polled every 250 ms otherwise; the pause holds (a slower machine only polls later).
    assert!(
        eventually(std::time::Duration::from_secs(15), || fixture.hits().len()
            >= 2)
        .await,
        "polled again after the pause"
    );
    let hits = fixture.hits();
    assert!(
        hits[1].at - first >= std::time::Duration::from_millis(2_900),
        "the second poll came {:?} after the first",
        hits[1].at - first
    );
    engine.shutdown().await;
}

#[tokio::test]
async fn megabytes_of_text_are_kept_to_the_limits_and_the_row_says_they_were_cut() {
    let huge = "\u{1b}[2J".repeat(60_000); // 240 KB of screen clearing, four times
    let body = serde_json::to_vec(&serde_json::json!({
        "protocol": "baton/1",
        "agent": {"id": "talker", "name": "Talker", "detail": huge},
        "tasks": [{"id": "t1", "title": huge, "state": "working", "detail": huge}],
        "events": [{"seq": 1, "at": "2026-01-01T00:00:00Z", "kind": "needs_approval",
                    "task_id": "t1", "message": huge}],
        "cursor": "1",
    }))
    .unwrap();
    let fixture = Fixture::start(Mode::Body(body)).await;
    let engine = engine();
    let agent = store_agent(&engine, &draft("talker", &fixture.base_url, 60_000, 5_000));
    engine
        .poll_once(agent.id)
        .await
        .expect("the poll is stored");
    let warning = health(&engine, agent.id).last_error.unwrap();
    assert_eq!(
        warning,
        "4 value(s) longer than Baton keeps were cut (docs/protocol.md, Limits)"
    );
    let (row, cards, events) = engine
        .store()
        .read_blocking(move |s| {
            Ok((
                s.agent_row(agent.id)?,
                s.task_cards(Some(agent.id))?,
                s.task_events(agent.id, "t1", 10)?,
            ))
        })
        .unwrap();
    let detail = row.remote_detail.unwrap();
    assert!(detail.len() <= 4096 && detail.ends_with("240000 bytes in all]"));
    assert!(cards[0].title.len() <= 2000);
    assert!(cards[0].detail.as_deref().unwrap().len() <= 4096);
    assert!(events[0].raw["message"].as_str().unwrap().len() <= 4096);
}

#[tokio::test]
async fn a_long_request_repeated_by_task_and_events_is_stored_once_and_quoted_in_the_queue() {
    let request = format!(
        "MARK-LONG-REQUEST: refund order 7731?\n{} MARK-BODY",
        "The customer wrote three times; details follow. ".repeat(60)
    );
    let body = |first: u64| {
        serde_json::to_vec(&serde_json::json!({
            "protocol": "baton/1",
            "agent": {"id": "refunds", "name": "Refunds"},
            "tasks": [{"id": "t1", "title": "Refund 7731", "state": "input_required",
                       "detail": request}],
            "events": [
                {"seq": first, "at": Utc::now(), "kind": "needs_approval", "task_id": "t1",
                 "message": request},
                {"seq": first + 1, "at": Utc::now(), "kind": "needs_approval", "task_id": "t1",
                 "message": request},
            ],
            "cursor": (first + 1).to_string(),
        }))
        .unwrap()
    };
    let fixture = Fixture::start(Mode::Body(body(1))).await;
    let engine = engine();
    let agent = store_agent(&engine, &draft("refunds", &fixture.base_url, 60_000, 5_000));
    let before = Utc::now() - chrono::Duration::seconds(1);
    engine.poll_once(agent.id).await.expect("stored");
    fixture.set(Mode::Body(body(3)));
    engine.poll_once(agent.id).await.expect("stored");
    let (recorded, _) = engine.detect_once(Utc::now(), before).await.unwrap();
    assert_eq!(recorded.opened.len(), 1, "{recorded:?}");

    let (holding, queue, events) = engine
        .store()
        .read_blocking(move |s| {
            Ok((
                (
                    s.rows_holding("MARK-LONG-REQUEST")?,
                    s.rows_holding("MARK-BODY")?,
                ),
                s.escalations(baton_store::escalations::EscalationFilter {
                    open: true,
                    closed: 0,
                })?,
                s.task_events(agent.id, "t1", 10)?,
            ))
        })
        .unwrap();
    // One task, four events, a finding and its escalation: the request is stored once; the
    // finding and the queue item quote its first line only.
    assert_eq!(
        holding.0,
        ["escalations.title", "findings.summary", "texts.body"]
    );
    assert_eq!(holding.1, ["texts.body"]);
    assert_eq!(
        queue[0].title,
        "refunds asks: MARK-LONG-REQUEST: refund order 7731?…"
    );
    assert_eq!(events.len(), 4);
    assert!(events.iter().all(|e| e.raw["message"] == request.as_str()));
}
