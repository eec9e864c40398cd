//! Bad answers from an agent: each poll fails with a clear reason on the agent's stored health,
//! and what a good poll stored before stays exactly as it was.

use std::time::Duration;

use crate::support::*;
use baton_core::agent::Reachability;
use baton_core::views::TaskCard;
use baton_engine::EngineError;

struct Stored {
    cards: Vec<TaskCard>,
    events: u64,
    cursor: Option<String>,
}

fn stored(engine: &baton_engine::Engine, id: i64) -> Stored {
    engine
        .store()
        .read_blocking(move |store| {
            Ok(Stored {
                cards: store.task_cards(Some(id))?,
                events: store.event_count(id)?,
                cursor: store.cursor(id)?,
            })
        })
        .unwrap()
}

/// Polls a good document, switches the fixture to `bad`, polls again; checks the failure is
/// recorded as `expected` (a prefix, or the whole message when `exact`) and nothing else moved.
/// Returns the message and the fixture.
async fn bad_poll(bad: Mode, timeout_ms: u64, expected: &str, exact: bool) -> (String, Fixture) {
    let good = doc("fx-1", &[("t1", "working"), ("t2", "submitted")], 3);
    let fixture = Fixture::start(Mode::Body(good)).await;
    let engine = engine();
    let interval_ms = 2_000.max(timeout_ms + 1_000);
    let agent = store_agent(
        &engine,
        &draft("fx", &fixture.base_url, interval_ms, timeout_ms),
    );
    engine.poll_once(agent.id).await.expect("the good poll");
    let before = stored(&engine, agent.id);
    assert_eq!(before.cards.len(), 2);
    assert_eq!(before.events, 3);
    assert_eq!(before.cursor.as_deref(), Some("c3"));

    fixture.set(bad);
    let err = engine.poll_once(agent.id).await.unwrap_err();
    let EngineError::PollFailed(message) = &err else {
        panic!("expected a failed poll, got {err:?}");
    };
    if exact {
        assert_eq!(message, expected);
    } else {
        assert!(
            message.starts_with(expected),
            "{message:?} should start with {expected:?}"
        );
    }
    let health = health(&engine, agent.id);
    assert_eq!(health.reachability, Reachability::Down);
    assert_eq!(health.consecutive_failures, 1);
    assert_eq!(health.last_error.as_deref(), Some(message.as_str()));
    assert!(
        health.last_success_at.is_some(),
        "the good poll stays on record"
    );

    let after = stored(&engine, agent.id);
    assert_eq!(after.cards, before.cards, "tasks untouched");
    assert_eq!(after.events, before.events, "events untouched");
    assert_eq!(after.cursor, before.cursor, "cursor untouched");
    (message.clone(), fixture)
}

#[tokio::test]
async fn non_json_says_where() {
    bad_poll(
        Mode::Body(b"<html>oops</html>".to_vec()),
        1_500,
        "not JSON at line 1 col 1",
        true,
    )
    .await;
}

#[tokio::test]
async fn wrong_types_say_wrong_shape() {
    let body = br#"{"protocol":"baton/1","agent":{"id":"a"},"tasks":[{"id":7,"title":"x","state":"working"}],"cursor":"c"}"#;
    let (message, _) = bad_poll(Mode::Body(body.to_vec()), 1_500, "wrong shape: ", false).await;
    assert!(message.contains("line 1 col"), "{message}");
}

#[tokio::test]
async fn truncated_json_says_truncated() {
    let mut body = doc("fx-1", &[("t1", "completed")], 5);
    body.truncate(body.len() / 2);
    bad_poll(
        Mode::Body(body),
        1_500,
        "truncated JSON at line 1 col ",
        false,
    )
    .await;
}

#[tokio::test]
async fn empty_body() {
    bad_poll(Mode::Body(Vec::new()), 1_500, "empty response body", true).await;
}

#[tokio::test]
async fn body_that_is_not_utf8() {
    let body = b"{\"protocol\": \"baton/1\", \"agent\": {\"id\": \"\xff\xfe\"}}".to_vec();
    bad_poll(Mode::Body(body), 1_500, "body is not UTF-8 (byte 41)", true).await;
}

#[tokio::test]
async fn another_protocol_is_named() {
    let body = br#"{"protocol":"baton/2","agent":{"id":"a"},"cursor":"c"}"#.to_vec();
    bad_poll(
        Mode::Body(body),
        1_500,
        "unsupported protocol \"baton/2\" (expected baton/1)",
        true,
    )
    .await;
}

#[tokio::test]
async fn http_503() {
    bad_poll(
        Mode::Status(503, b"down for maintenance".to_vec()),
        1_500,
        "HTTP 503",
        false,
    )
    .await;
}

#[tokio::test]
async fn http_401_points_at_the_token() {
    bad_poll(
        Mode::Status(401, Vec::new()),
        1_500,
        "HTTP 401: check the agent's token",
        true,
    )
    .await;
}

/// 50 MiB streamed without a length: the poll stops at the 4 MiB cap instead of buffering it.
#[tokio::test]
async fn huge_streamed_body_is_cut_at_the_cap() {
    let total = 50 * MIB;
    let (_, fixture) = bad_poll(
        Mode::Huge {
            total,
            announce: false,
        },
        5_000,
        "body over 4 MiB",
        true,
    )
    .await;
    // Let the server notice the closed connection, then see how far it got.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let produced = fixture.produced();
    eprintln!("streamed 50 MiB: the server produced {produced} bytes before the client let go");
    assert!(
        produced < total / 2,
        "the client should stop reading near 4 MiB, yet the server produced {produced} bytes"
    );
}

/// 50 MiB announced by Content-Length: rejected before reading the body.
#[tokio::test]
async fn huge_announced_body_is_rejected_early() {
    let total = 50 * MIB;
    let (_, fixture) = bad_poll(
        Mode::Huge {
            total,
            announce: true,
        },
        5_000,
        "body over 4 MiB",
        true,
    )
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    eprintln!(
        "announced 50 MiB: the server produced {} bytes",
        fixture.produced()
    );
    assert!(fixture.produced() < total / 2, "{}", fixture.produced());
}

/// Headers at once, then silence: the agent's timeout covers the body too (the poll fails
/// saying so; how long the test took is not its business, on a busy machine).
#[tokio::test]
async fn stalled_body_times_out() {
    bad_poll(Mode::Stall, 300, "timed out after 300 ms", true).await;
}

/// A byte every 20 ms keeps each read short, but the whole request still has one deadline.
#[tokio::test]
async fn trickling_body_times_out() {
    bad_poll(Mode::Trickle, 400, "timed out after 400 ms", true).await;
}

#[tokio::test]
async fn connection_cut_mid_body() {
    let prefix = doc("fx-1", &[("t1", "working")], 2);
    bad_poll(
        Mode::CutOff(prefix[..40].to_vec()),
        1_500,
        "connection closed mid-body",
        false,
    )
    .await;
}

#[tokio::test]
async fn redirect_loop_gives_up() {
    let (_, fixture) = bad_poll(
        Mode::RedirectLoop,
        1_500,
        "too many redirects (over 5)",
        true,
    )
    .await;
    let hits = fixture.hits();
    // The good poll, then the first request and 5 redirects followed.
    assert_eq!(hits.len(), 1 + 6, "{hits:?}");
    assert!(hits.iter().any(|h| h.path == "/elsewhere"));
}

#[tokio::test]
async fn a_redirect_to_another_origin_is_not_followed() {
    let elsewhere = Fixture::start(Mode::Body(doc("other", &[("x", "working")], 9))).await;
    let target = format!("{}/baton/v1/status", elsewhere.base_url);
    let port = elsewhere.base_url.rsplit(':').next().unwrap().to_owned();
    let (_, fixture) = bad_poll(
        Mode::RedirectTo(target),
        1_500,
        &format!(
            "redirected to another origin (http://127.0.0.1:{port}): Baton follows redirects only on the agent's own scheme, host and port"
        ),
        true,
    )
    .await;
    assert_eq!(fixture.hit_count(), 2, "the good poll, then the redirect");
    assert_eq!(elsewhere.hit_count(), 0, "nothing sent to the other origin");
}

#[tokio::test]
async fn refused_connection() {
    let good = doc("fx-1", &[("t1", "working")], 1);
    let fixture = Fixture::start(Mode::Body(good)).await;
    let engine = engine();
    let agent = store_agent(&engine, &draft("fx", &fixture.base_url, 2_000, 1_500));
    engine.poll_once(agent.id).await.unwrap();
    fixture.stop();
    tokio::time::sleep(Duration::from_millis(50)).await;
    for failures in 1..=2 {
        let err = engine.poll_once(agent.id).await.unwrap_err();
        assert_eq!(err.to_string(), "poll failed: connection refused");
        let health = health(&engine, agent.id);
        assert_eq!(health.consecutive_failures, failures);
        assert_eq!(health.last_error.as_deref(), Some("connection refused"));
    }
    let kept = stored(&engine, agent.id);
    assert_eq!(kept.cards.len(), 1);
    assert_eq!(kept.events, 1);
}

#[tokio::test]
async fn unknown_host() {
    let engine = engine();
    let agent = store_agent(
        &engine,
        &draft("nowhere", "http://baton-nowhere.invalid:7700", 2_000, 1_500),
    );
    let err = engine.poll_once(agent.id).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "poll failed: could not resolve host baton-nowhere.invalid"
    );
}
