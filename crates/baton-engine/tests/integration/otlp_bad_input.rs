//! Every bad body the OTLP receiver can be sent (issue 61): each refused with the status the
//! specification asks for, counted, and nothing stored; a flood answered 429 with
//! `Retry-After` while the store's writer is behind.

use std::time::Duration;

use baton_core::agent::AdapterKind;
use futures_util::{stream, StreamExt};

use crate::support::otlp::{gzip, post, protobuf, receiving, request, run, Answer, JSON, PROTOBUF};
use baton_engine::otlp::{MAX_BODY, MAX_UNZIPPED, QUEUE};
use baton_engine::Engine;

/// A request's headers.
type Headers = Vec<(&'static str, &'static str)>;

fn nothing_stored(engine: &Engine) {
    let agents = engine.store().read_blocking(|s| s.agents()).unwrap();
    assert!(
        !agents.iter().any(|a| a.adapter == AdapterKind::Otlp),
        "{agents:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreadable_bodies_are_refused_400_and_counted() {
    let (engine, at) = receiving().await;
    let valid = protobuf(&request("svc", run(1, "a", false)));
    let bodies: Vec<(&str, Headers, Vec<u8>)> = vec![
        (
            "junk protobuf",
            vec![PROTOBUF],
            b"\xff\xff\xff\xff garbage".to_vec(),
        ),
        (
            "truncated protobuf",
            vec![PROTOBUF],
            valid[..valid.len() / 2].to_vec(),
        ),
        ("junk JSON", vec![JSON], b"{\"resourceSpans\": [".to_vec()),
        (
            "wrong types in JSON",
            vec![JSON],
            br#"{"resourceSpans": 5}"#.to_vec(),
        ),
        (
            "a trace id that is not hex",
            vec![JSON],
            br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz","spanId":"00"}]}]}]}"#
                .to_vec(),
        ),
        (
            "a string where a number goes",
            vec![JSON],
            br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":"soon"}]}]}]}"#
                .to_vec(),
        ),
        (
            "not gzip",
            vec![PROTOBUF, ("content-encoding", "gzip")],
            b"not zipped at all".to_vec(),
        ),
    ];
    let count = bodies.len() as u64;
    for (what, headers, body) in bodies {
        let answer = post(at, "/v1/traces", &headers, body).await;
        assert_eq!(
            answer.status,
            400,
            "{what}: {}",
            String::from_utf8_lossy(&answer.body)
        );
        assert_eq!(answer.retry_after, None, "{what}: not to be sent again");
    }
    assert_eq!(engine.otlp_stats().unreadable, count);
    nothing_stored(&engine);
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_of_another_type_or_encoding_is_refused_415() {
    let (engine, at) = receiving().await;
    let body = protobuf(&request("svc", run(1, "a", false)));
    let plain = post(
        at,
        "/v1/traces",
        &[("content-type", "text/plain")],
        body.clone(),
    )
    .await;
    assert_eq!(plain.status, 415);
    let brotli = post(
        at,
        "/v1/traces",
        &[PROTOBUF, ("content-encoding", "br")],
        body,
    )
    .await;
    assert_eq!(brotli.status, 415);
    nothing_stored(&engine);
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_body_is_refused_413_whether_announced_or_not() {
    let (engine, at) = receiving().await;
    let client = reqwest::Client::new();
    let send = |body: reqwest::Body| {
        client
            .post(format!("http://{at}/v1/traces"))
            .header("content-type", "application/x-protobuf")
            .body(body)
            .send()
    };
    // The receiver answers before it read the body: the sender sees 413, or the connection
    // closed under it while it still sent.
    let refused = |sent: Result<reqwest::Response, reqwest::Error>| match sent {
        Ok(response) => assert_eq!(response.status().as_u16(), 413),
        Err(err) => assert!(err.is_request(), "{err}"),
    };
    refused(send(vec![0u8; MAX_BODY + 1].into()).await);
    // Chunked, no length said: refused once past the limit.
    let chunks = (0..(MAX_BODY / 65_536 + 2)).map(|_| Ok::<_, std::io::Error>(vec![0u8; 65_536]));
    refused(send(reqwest::Body::wrap_stream(stream::iter(chunks))).await);
    let counted = crate::support::eventually(Duration::from_secs(5), || {
        engine.otlp_stats().too_large == 2
    });
    assert!(counted.await, "{:?}", engine.otlp_stats());
    nothing_stored(&engine);
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gzip_bomb_is_refused_413() {
    let (engine, at) = receiving().await;
    let bomb = gzip(&vec![0u8; MAX_UNZIPPED + 1024]);
    assert!(
        bomb.len() < MAX_BODY / 100,
        "small when sent: {} bytes",
        bomb.len()
    );
    let answer = post(
        at,
        "/v1/traces",
        &[PROTOBUF, ("content-encoding", "gzip")],
        bomb,
    )
    .await;
    assert_eq!(
        answer.status,
        413,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    assert_eq!(engine.otlp_stats().too_large, 1);
    nothing_stored(&engine);
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_never_ends_is_refused_after_its_time() {
    let (engine, at) = receiving().await;
    let slow = stream::once(async { Ok::<_, std::io::Error>(vec![0x0a_u8, 0x10]) })
        .chain(stream::pending());
    let response = reqwest::Client::new()
        .post(format!("http://{at}/v1/traces"))
        .header("content-type", "application/x-protobuf")
        .body(reqwest::Body::wrap_stream(slow))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 408);
    nothing_stored(&engine);
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_while_the_writer_is_behind_is_answered_429_with_retry_after() {
    let (engine, at) = receiving().await;
    // The store's writer is busy with a long write: the queue fills.
    let store = engine.store();
    let (held, release) = std::sync::mpsc::channel::<()>();
    let (started, busy) = std::sync::mpsc::channel::<()>();
    let holder = std::thread::spawn(move || {
        store
            .write_blocking(move |_| {
                started.send(()).unwrap();
                let _ = release.recv_timeout(Duration::from_secs(60));
                Ok(())
            })
            .unwrap();
    });
    busy.recv().unwrap();
    let sends = (0..(QUEUE as u8 + 4)).map(|i| {
        let body = protobuf(&request("svc", run(100 + i, "flood", false)));
        tokio::spawn(async move { post(at, "/v1/traces", &[PROTOBUF], body).await })
    });
    let sends: Vec<_> = sends.collect();
    // Every request the queue cannot take is answered at once.
    let throttled = crate::support::eventually(Duration::from_secs(20), || {
        engine.otlp_stats().throttled > 0
    })
    .await;
    assert!(throttled, "some request was throttled");
    held.send(()).unwrap();
    holder.join().unwrap();
    let answers: Vec<Answer> = futures_util::future::join_all(sends)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let refused: Vec<&Answer> = answers.iter().filter(|a| a.status == 429).collect();
    assert!(!refused.is_empty());
    assert!(refused
        .iter()
        .all(|a| a.retry_after.as_deref() == Some("1")));
    assert!(answers.iter().all(|a| a.status == 200 || a.status == 429));
    let taken = answers.iter().filter(|a| a.status == 200).count();
    assert!(taken >= QUEUE, "the queue's worth was taken: {taken}");
    engine.shutdown().await;
}
