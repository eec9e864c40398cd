//! Header values are the providers' documented examples.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;

use super::forecast::{SlotTotal, PROFILE_SLOTS};
use super::*;
use crate::detect::{FindingKind, Severity};

fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, h, m, s).unwrap()
}

fn headers(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

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

// --- forecast and pressure ----------------------------------------------------------------

fn quota(limit: u64) -> Quota {
    Quota {
        metric: Metric::Requests,
        policy: None,
        limit,
        window_seconds: 60,
        source: QuotaSource::Headers,
        remaining: None,
        reset_at: None,
        seen_at: None,
    }
}

/// `per_minute` requests from `agent` in each of the minutes `from..=to` (minute starts).
fn steady(agent: i64, per_minute: u64, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<MinuteUsage> {
    let mut out = Vec::new();
    let mut m = minute_of(from);
    let mut seq = agent as u64 * 1000;
    while m <= minute_of(to) {
        seq += per_minute;
        out.push(MinuteUsage {
            minute: m,
            agent_id: agent,
            requests: per_minute,
            tokens: per_minute * 100,
            rate_limited: 0,
            first_seq: Some(seq),
            first_429_seq: None,
        });
        m += 60;
    }
    out
}

fn usage<'a>(
    quotas: &'a [Quota],
    minutes: &'a [MinuteUsage],
    profile: &'a TimeOfDayProfile,
) -> ApiUsage<'a> {
    ApiUsage {
        api: "openai",
        key: None,
        quotas,
        minutes,
        profile,
    }
}

#[test]
fn two_agents_at_forty_percent_each_are_pressure_naming_both() {
    let now = at(9, 20, 30);
    let mut minutes = steady(1, 40, at(9, 5, 0), now);
    minutes.extend(steady(2, 42, at(9, 10, 0), now));
    let quotas = [quota(100)];
    let profile = TimeOfDayProfile::default();
    let (forecasts, finding) = rate_limit_pressure(
        &usage(&quotas, &minutes, &profile),
        &PressureSettings::default(),
        now,
    );
    let f = finding.expect("82% is over 80%");
    assert_eq!(f.kind, FindingKind::RateLimitPressure);
    assert_eq!(f.severity, Severity::Warning);
    assert_eq!(f.agents, vec![1, 2]);
    assert_eq!(f.resource.as_deref(), Some("api:openai"));
    assert!(
        f.summary.contains("82% of 100 requests/min"),
        "{}",
        f.summary
    );
    // The episode began when the second agent joined; its evidence is each one's first call.
    assert_eq!(
        f.dedupe_key,
        "rate_limit_pressure:api:openai:2026-11-21T09:10:00Z"
    );
    assert_eq!(f.evidence.len(), 2);
    assert_eq!(forecasts[0].used_now, 82);

    // A minute later: the same episode, the same finding.
    let later = now + Duration::minutes(1);
    let mut minutes = steady(1, 40, at(9, 5, 0), later);
    minutes.extend(steady(2, 42, at(9, 10, 0), later));
    let (_, again) = rate_limit_pressure(
        &usage(&quotas, &minutes, &profile),
        &PressureSettings::default(),
        later,
    );
    let again = again.unwrap();
    assert_eq!(again.dedupe_key, f.dedupe_key);
    assert_eq!(again.evidence, f.evidence);
}

#[test]
fn one_agent_alone_under_the_share_is_no_finding() {
    let now = at(9, 20, 30);
    let minutes = steady(1, 40, at(9, 5, 0), now);
    let quotas = [quota(100)];
    let profile = TimeOfDayProfile::default();
    let (forecasts, finding) = rate_limit_pressure(
        &usage(&quotas, &minutes, &profile),
        &PressureSettings::default(),
        now,
    );
    assert!(finding.is_none());
    assert_eq!(forecasts[0].reaches_limit_at, None);
    assert!((forecasts[0].peak_share - 0.4).abs() < 1e-9);
    assert_eq!(forecasts[0].basis, ForecastBasis::Pace);
}

#[test]
fn a_429_is_critical_and_is_evidence() {
    let now = at(9, 20, 30);
    let mut minutes = steady(1, 10, at(9, 15, 0), now);
    minutes.push(MinuteUsage {
        minute: minute_of(now),
        agent_id: 2,
        requests: 1,
        tokens: 0,
        rate_limited: 1,
        first_seq: Some(7),
        first_429_seq: Some(7),
    });
    let quotas = [quota(100)];
    let profile = TimeOfDayProfile::default();
    let (_, finding) = rate_limit_pressure(
        &usage(&quotas, &minutes, &profile),
        &PressureSettings::default(),
        now,
    );
    let f = finding.unwrap();
    assert_eq!(f.severity, Severity::Critical);
    assert!(f.summary.contains("1 × 429"), "{}", f.summary);
    assert!(f.evidence.contains(&crate::detect::EvidenceRef {
        agent_id: 2,
        seq: 7
    }));
}

#[test]
fn the_providers_remaining_counts_when_calls_are_not_reported() {
    let now = at(9, 20, 30);
    let mut q = quota(100);
    q.remaining = Some(5);
    q.reset_at = Some(now + Duration::seconds(20));
    let minutes = steady(1, 1, at(9, 20, 0), now);
    let profile = TimeOfDayProfile::default();
    let quotas = [q.clone()];
    let (_, finding) = rate_limit_pressure(
        &usage(&quotas, &minutes, &profile),
        &PressureSettings::default(),
        now,
    );
    assert!(finding.unwrap().summary.contains("95%"));
    // Once its window has reset, the old `remaining` says nothing.
    q.reset_at = Some(now - Duration::seconds(1));
    let quotas = [q];
    let (_, finding) = rate_limit_pressure(
        &usage(&quotas, &minutes, &profile),
        &PressureSettings::default(),
        now,
    );
    assert!(finding.is_none());
}

/// Both agents use 55 requests a minute from 9:00 to 9:30 every day; it is 8:40 and both idle.
fn nine_oclock_profile() -> TimeOfDayProfile {
    let nine = (9 * 60 / PROFILE_SLOT_MINUTES) as usize;
    let days = 3;
    let per_slot = 55 * u64::from(PROFILE_SLOT_MINUTES) * u64::from(days);
    let totals: Vec<SlotTotal> = [1, 2]
        .into_iter()
        .flat_map(|agent| {
            [nine, nine + 1].map(|slot| SlotTotal {
                agent_id: agent,
                slot,
                requests: per_slot,
                tokens: 0,
            })
        })
        .collect();
    TimeOfDayProfile::from_slot_totals(&totals, days)
}

#[test]
fn the_profile_forecasts_the_nine_oclock_collision_before_it_happens() {
    let profile = nine_oclock_profile();
    assert_eq!(profile.agents[0].requests.len(), PROFILE_SLOTS);
    let quotas = [quota(100)];
    let now = at(8, 40, 0);
    let (forecasts, finding) = rate_limit_pressure(
        &usage(&quotas, &[], &profile),
        &PressureSettings::default(),
        now,
    );
    let f = &forecasts[0];
    assert_eq!(f.basis, ForecastBasis::PaceAndProfile);
    let reaches = f
        .reaches_limit_at
        .expect("110/min from 9:00 is over 100/min");
    assert!(
        reaches >= at(9, 0, 0) && reaches <= at(9, 30, 0),
        "{reaches}"
    );
    assert_eq!(
        f.agents.iter().map(|s| s.agent_id).collect::<Vec<_>>(),
        vec![1, 2]
    );
    // 9:00 is within 30 minutes of 8:40 only if the limit is reached by 9:10.
    let within = reaches <= now + Duration::minutes(30);
    assert_eq!(finding.is_some(), within);
    if let Some(finding) = finding {
        assert_eq!(finding.agents, vec![1, 2]);
        assert!(finding.dedupe_key.ends_with("forecast@2026-11-21T09"));
        assert!(finding.evidence.is_empty());
    }
    // An hour earlier, the limit is too far off to be a finding, but the forecast still says it.
    let (forecasts, finding) = rate_limit_pressure(
        &usage(&quotas, &[], &profile),
        &PressureSettings::default(),
        at(7, 40, 0),
    );
    assert!(finding.is_none());
    assert!(forecasts[0].reaches_limit_at.is_some());
}

#[test]
fn the_pace_forecasts_a_climb_to_the_limit() {
    // 95 requests a minute against a 100 per 2 minutes window: over the limit within the window.
    let now = at(9, 20, 30);
    let minutes = steady(1, 95, at(9, 15, 0), at(9, 19, 0));
    let mut q = quota(100);
    q.window_seconds = 120;
    let profile = TimeOfDayProfile::default();
    let f = forecast(&q, &minutes, &profile, now, Duration::hours(1));
    assert!(f.reaches_limit_at.is_some());
    assert!(f.reaches_limit_at.unwrap() <= now + Duration::minutes(1));
}
