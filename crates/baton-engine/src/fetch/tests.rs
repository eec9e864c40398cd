//! The words of a failed fetch, and what a body must be.

use super::*;
use baton_core::ProtocolError;

#[test]
fn a_pause_asked_with_retry_after_is_read_and_capped() {
    let pause = |value: &str| {
        let answer = axum::http::Response::builder()
            .status(503)
            .header("retry-after", value)
            .body("")
            .unwrap();
        FetchError::of_status(&reqwest::Response::from(answer)).retry_after_ms()
    };
    assert_eq!(pause("120"), Some(120_000));
    assert_eq!(
        pause("86400"),
        Some(RETRY_AFTER_CAP_MS),
        "five minutes at most"
    );
    assert_eq!(
        pause("Wed, 21 Oct 2015 07:28:00 GMT"),
        Some(0),
        "a date past"
    );
    assert_eq!(pause("soon"), None);
    assert_eq!(pause("-5"), None);
    let wrapped = FetchError::A2aCall {
        call: "ListTasks",
        url: "http://127.0.0.1:1/".into(),
        error: Box::new(FetchError::Status {
            status: 429,
            reason: None,
            retry_after_ms: Some(9),
        }),
    };
    assert_eq!(wrapped.retry_after_ms(), Some(9));
}

#[test]
fn messages_read_as_the_agent_row_shows_them() {
    let cases = [
        (
            FetchError::TimedOut { after_ms: 1_500 },
            "timed out after 1.5 s",
        ),
        (
            FetchError::BodyTooLarge {
                cap_bytes: 4 * 1024 * 1024,
            },
            "body over 4 MiB",
        ),
        (
            FetchError::Unauthorized,
            "HTTP 401: check the agent's token",
        ),
        (
            FetchError::Status {
                status: 503,
                reason: Some("Service Unavailable".into()),
                retry_after_ms: None,
            },
            "HTTP 503 Service Unavailable",
        ),
        (
            FetchError::Status {
                status: 429,
                reason: Some("Too Many Requests".into()),
                retry_after_ms: Some(30_000),
            },
            "HTTP 429 Too Many Requests (asks to wait 30 s: Retry-After)",
        ),
        (
            FetchError::Status {
                status: 599,
                reason: None,
                retry_after_ms: None,
            },
            "HTTP 599",
        ),
        (FetchError::ConnectionRefused, "connection refused"),
        (
            FetchError::TooManyRedirects { max: 5 },
            "too many redirects (over 5)",
        ),
        (
            FetchError::UnresolvedHost {
                host: "x.invalid".into(),
            },
            "could not resolve host x.invalid",
        ),
        (
            FetchError::Protocol(ProtocolError::NotJson { line: 1, column: 1 }),
            "not JSON at line 1 col 1",
        ),
    ];
    for (err, text) in cases {
        assert_eq!(err.to_string(), text);
    }
}

#[test]
fn bodies_must_be_utf8_json() {
    assert_eq!(
        parse_body(b"{\"a\": \"\xff\"}"),
        Err(FetchError::NotUtf8 { at: 7 })
    );
    assert_eq!(
        parse_body(b"").unwrap_err().to_string(),
        "empty response body"
    );
    assert_eq!(
        parse_body(b"<html>").unwrap_err().to_string(),
        "not JSON at line 1 col 1"
    );
    let doc = br#"{"protocol":"baton/1","agent":{"id":"a"},"cursor":"1"}"#;
    let mut with_bom = b"\xEF\xBB\xBF".to_vec();
    with_bom.extend_from_slice(doc);
    assert_eq!(parse_body(&with_bom).unwrap().agent.id, "a");
}

#[test]
fn an_answers_digest_tells_the_same_bytes_from_any_change() {
    use super::AnswerDigest;
    let doc = br#"{"protocol":"baton/1","agent":{"id":"a"},"cursor":"7"}"#;
    let copy = doc.to_vec();
    assert_eq!(AnswerDigest::of(doc), AnswerDigest::of(&copy));
    let mut changed = doc.to_vec();
    changed[doc.len() - 3] = b'8';
    assert_ne!(AnswerDigest::of(doc), AnswerDigest::of(&changed));
    assert_ne!(
        AnswerDigest::of(doc),
        AnswerDigest::of(&doc[..doc.len() - 1])
    );
    assert_ne!(AnswerDigest::of(b""), AnswerDigest::of(b" "));
}

#[test]
fn a_status_url_is_parsed_once_and_a_bad_one_is_left_to_reqwest() {
    let fetcher = super::Fetcher::new(1 << 20, 3);
    let url = "http://127.0.0.1:9/baton/v1/status?since=7";
    let first = fetcher.parsed(url).expect("parses");
    assert_eq!(first.as_str(), url);
    assert_eq!(fetcher.parsed(url), Some(first));
    assert_eq!(fetcher.parsed_urls.lock().unwrap().len(), 1);
    assert_eq!(fetcher.parsed("http://[not a host/x"), None);
    for n in 0..super::PARSED_URLS_KEPT + 1 {
        fetcher.parsed(&format!("http://127.0.0.1:9/baton/v1/status?since={n}"));
    }
    assert!(fetcher.parsed_urls.lock().unwrap().len() <= super::PARSED_URLS_KEPT);
}
