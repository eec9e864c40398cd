//! Header parsing, with values copied from the providers' documentation.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;

use super::{at, headers};
use crate::ratelimit::*;

fn reading(r: &HeaderReading, family: HeaderFamily, metric: Metric) -> LimitReading {
    r.limits
        .iter()
        .find(|l| l.family == family && l.metric == metric)
        .cloned()
        .unwrap_or_else(|| panic!("no {family:?} {metric:?} in {r:?}"))
}

#[test]
fn openai_limits_remaining_and_go_duration_resets() {
    let now = at(10, 0, 0);
    let r = read_rate_limit_headers(
        &headers(&[
            ("x-ratelimit-limit-requests", "60"),
            ("x-ratelimit-limit-tokens", "150000"),
            ("x-ratelimit-remaining-requests", "59"),
            ("x-ratelimit-remaining-tokens", "149984"),
            ("x-ratelimit-reset-requests", "1s"),
            ("x-ratelimit-reset-tokens", "6m0s"),
        ]),
        now,
    );
    let req = reading(&r, HeaderFamily::OpenAi, Metric::Requests);
    assert_eq!((req.limit, req.remaining), (Some(60), Some(59)));
    assert_eq!(req.reset_at, Some(now + Duration::seconds(1)));
    assert_eq!(req.window_seconds, Some(60));
    let tok = reading(&r, HeaderFamily::OpenAi, Metric::Tokens);
    assert_eq!((tok.limit, tok.remaining), (Some(150_000), Some(149_984)));
    assert_eq!(tok.reset_at, Some(now + Duration::minutes(6)));
    assert_eq!(r.limits.len(), 2);
    assert!(r.ignored.is_empty(), "{:?}", r.ignored);
}

#[test]
fn openai_retry_after_ms_wins_over_retry_after() {
    let now = at(10, 0, 0);
    let r = read_rate_limit_headers(
        &headers(&[("retry-after-ms", "1500"), ("retry-after", "2")]),
        now,
    );
    assert_eq!(r.retry_at, Some(now + Duration::milliseconds(1500)));
}

#[test]
fn anthropic_every_metric_with_rfc3339_resets() {
    let now = at(10, 0, 0);
    let r = read_rate_limit_headers(
        &headers(&[
            ("anthropic-ratelimit-requests-limit", "50"),
            ("anthropic-ratelimit-requests-remaining", "49"),
            ("anthropic-ratelimit-requests-reset", "2026-11-21T10:00:01Z"),
            ("anthropic-ratelimit-tokens-limit", "100000"),
            ("anthropic-ratelimit-tokens-remaining", "99000"),
            (
                "anthropic-ratelimit-tokens-reset",
                "2026-11-21T10:00:06+00:00",
            ),
            ("anthropic-ratelimit-input-tokens-limit", "80000"),
            ("anthropic-ratelimit-input-tokens-remaining", "79500"),
            (
                "anthropic-ratelimit-input-tokens-reset",
                "2026-11-21T10:00:02Z",
            ),
            ("anthropic-ratelimit-output-tokens-limit", "16000"),
            ("anthropic-ratelimit-output-tokens-remaining", "15500"),
            (
                "anthropic-ratelimit-output-tokens-reset",
                "2026-11-21T10:00:03Z",
            ),
            ("retry-after", "30"),
        ]),
        now,
    );
    let req = reading(&r, HeaderFamily::Anthropic, Metric::Requests);
    assert_eq!((req.limit, req.remaining), (Some(50), Some(49)));
    assert_eq!(req.reset_at, Some(at(10, 0, 1)));
    let tok = reading(&r, HeaderFamily::Anthropic, Metric::Tokens);
    assert_eq!(tok.reset_at, Some(at(10, 0, 6)));
    assert_eq!(
        reading(&r, HeaderFamily::Anthropic, Metric::InputTokens).limit,
        Some(80_000)
    );
    assert_eq!(
        reading(&r, HeaderFamily::Anthropic, Metric::OutputTokens).remaining,
        Some(15_500)
    );
    assert_eq!(r.retry_at, Some(now + Duration::seconds(30)));
    assert!(r.ignored.is_empty(), "{:?}", r.ignored);
}

#[test]
fn github_epoch_reset_used_and_resource() {
    let now = at(10, 0, 0);
    let r = read_rate_limit_headers(
        &headers(&[
            ("x-ratelimit-limit", "5000"),
            ("x-ratelimit-remaining", "4999"),
            ("x-ratelimit-used", "1"),
            ("x-ratelimit-reset", "1691591363"),
            ("x-ratelimit-resource", "core"),
        ]),
        now,
    );
    let gh = reading(&r, HeaderFamily::GitHub, Metric::Requests);
    assert_eq!(
        (gh.limit, gh.remaining, gh.used),
        (Some(5000), Some(4999), Some(1))
    );
    assert_eq!(gh.reset_at, DateTime::from_timestamp(1_691_591_363, 0));
    assert_eq!(gh.policy.as_deref(), Some("core"));
    assert_eq!(gh.window_seconds, Some(3600));
}

#[test]
fn ietf_structured_policy_and_current_state() {
    let now = at(10, 0, 0);
    let r = read_rate_limit_headers(
        &headers(&[
            (
                "RateLimit-Policy",
                "\"permin\";q=50;w=60, \"perhr\";q=1000;w=3600",
            ),
            ("RateLimit", "\"permin\";r=3;t=30"),
        ]),
        now,
    );
    let ietf: Vec<&LimitReading> = r
        .limits
        .iter()
        .filter(|l| l.family == HeaderFamily::Ietf)
        .collect();
    assert_eq!(ietf.len(), 2);
    let permin = ietf
        .iter()
        .find(|l| l.policy.as_deref() == Some("permin"))
        .unwrap();
    assert_eq!((permin.limit, permin.remaining), (Some(50), Some(3)));
    assert_eq!(permin.window_seconds, Some(60));
    assert_eq!(permin.reset_at, Some(now + Duration::seconds(30)));
    let perhr = ietf
        .iter()
        .find(|l| l.policy.as_deref() == Some("perhr"))
        .unwrap();
    assert_eq!((perhr.limit, perhr.remaining), (Some(1000), None));
    assert_eq!(perhr.window_seconds, Some(3600));
    assert!(r.ignored.is_empty(), "{:?}", r.ignored);
}

#[test]
fn ietf_a_lone_policy_matches_a_differently_named_state() {
    let now = at(10, 0, 0);
    let r = read_rate_limit_headers(
        &headers(&[
            ("ratelimit-policy", "\"default\";q=100;w=10"),
            ("ratelimit", "\"default\";r=50;t=30"),
        ]),
        now,
    );
    let l = reading(&r, HeaderFamily::Ietf, Metric::Requests);
    assert_eq!(
        (l.limit, l.remaining, l.window_seconds),
        (Some(100), Some(50), Some(10))
    );
}

#[test]
fn ietf_legacy_limit_remaining_reset() {
    let now = at(10, 0, 0);
    let r = read_rate_limit_headers(
        &headers(&[
            ("RateLimit-Limit", "10, 10;w=1, 50;w=60"),
            ("RateLimit-Remaining", "9"),
            ("RateLimit-Reset", "1"),
        ]),
        now,
    );
    let l = reading(&r, HeaderFamily::IetfLegacy, Metric::Requests);
    assert_eq!((l.limit, l.remaining), (Some(10), Some(9)));
    assert_eq!(l.window_seconds, Some(1));
    assert_eq!(l.reset_at, Some(now + Duration::seconds(1)));
}

#[test]
fn retry_after_as_seconds_or_http_date() {
    let now = at(10, 0, 0);
    let r = read_rate_limit_headers(&headers(&[("Retry-After", "120")]), now);
    assert_eq!(r.retry_at, Some(now + Duration::seconds(120)));
    let r = read_rate_limit_headers(
        &headers(&[("retry-after", "Fri, 31 Dec 1999 23:59:59 GMT")]),
        now,
    );
    assert_eq!(
        r.retry_at,
        Some(Utc.with_ymd_and_hms(1999, 12, 31, 23, 59, 59).unwrap())
    );
}

#[test]
fn malformed_and_unknown_headers_are_ignored_with_a_reason() {
    let now = at(10, 0, 0);
    let r = read_rate_limit_headers(
        &headers(&[
            ("x-ratelimit-limit-requests", "sixty"),
            ("x-ratelimit-remaining-requests", "59"),
            ("x-ratelimit-reset-requests", "soon"),
            ("anthropic-ratelimit-tokens-reset", "tomorrow"),
            ("x-ratelimit-remaining", "-3"),
            ("ratelimit-policy", "((("),
            ("retry-after", "later"),
            ("x-ratelimit-limit-tokens_usage_based", "1000"),
            ("content-type", "application/json"),
        ]),
        now,
    );
    let reasons: BTreeMap<&str, &str> = r
        .ignored
        .iter()
        .map(|i| (i.name.as_str(), i.reason.as_str()))
        .collect();
    assert!(reasons["x-ratelimit-limit-requests"].starts_with("not a count"));
    assert!(reasons["x-ratelimit-reset-requests"].starts_with("not a Go duration"));
    assert!(reasons["anthropic-ratelimit-tokens-reset"].starts_with("not an RFC 3339"));
    assert!(reasons["x-ratelimit-remaining"].starts_with("not a count"));
    assert!(reasons["ratelimit-policy"].starts_with("not a structured list"));
    assert!(reasons["retry-after"].starts_with("neither seconds"));
    assert!(reasons["x-ratelimit-limit-tokens_usage_based"].starts_with("not a rate-limit header"));
    assert!(!reasons.contains_key("content-type"));
    assert_eq!(r.ignored.len(), 7);
    // What could be read still is.
    let req = reading(&r, HeaderFamily::OpenAi, Metric::Requests);
    assert_eq!((req.limit, req.remaining), (None, Some(59)));
    assert_eq!(r.retry_at, None);
}

#[test]
fn a_huge_value_is_clipped_in_its_reason() {
    let huge = "9".repeat(100_000);
    let r = read_rate_limit_headers(&headers(&[("x-ratelimit-limit", &huge)]), at(10, 0, 0));
    assert_eq!(r.ignored.len(), 1);
    assert_eq!(r.ignored[0].reason, "not a count");
    assert!(r.ignored[0].value.len() < 100);
}

const NAMES: &[&str] = &[
    "x-ratelimit-limit-requests",
    "x-ratelimit-remaining-tokens",
    "x-ratelimit-reset-requests",
    "x-ratelimit-reset-tokens",
    "retry-after-ms",
    "retry-after",
    "anthropic-ratelimit-requests-limit",
    "anthropic-ratelimit-output-tokens-reset",
    "x-ratelimit-limit",
    "x-ratelimit-reset",
    "x-ratelimit-resource",
    "ratelimit-policy",
    "ratelimit",
    "ratelimit-limit",
    "ratelimit-reset",
];

proptest! {
    #[test]
    fn no_header_value_panics(values in prop::collection::vec("\\PC{0,40}", NAMES.len())) {
        let h: BTreeMap<String, String> = NAMES
            .iter()
            .zip(values)
            .map(|(k, v)| ((*k).to_owned(), v))
            .collect();
        let _ = read_rate_limit_headers(&h, at(10, 0, 0));
    }

    #[test]
    fn no_structured_field_panics(policy in "[\"a-z0-9;=, ()?*:@%.-]{0,60}", state in "[\"a-z0-9;=, ()?*:@%.-]{0,60}") {
        let h = headers(&[("ratelimit-policy", &policy), ("ratelimit", &state)]);
        let _ = read_rate_limit_headers(&h, at(10, 0, 0));
    }

    #[test]
    fn no_duration_panics(text in "[0-9.hmsuµn+-]{0,24}") {
        let _ = parse_go_duration(&text);
    }

    #[test]
    fn no_header_name_panics(name in "\\PC{0,30}", value in "\\PC{0,30}") {
        let _ = read_rate_limit_headers(&headers(&[(&name, &value)]), at(10, 0, 0));
    }
}
