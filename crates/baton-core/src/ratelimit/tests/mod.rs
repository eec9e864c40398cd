//! The rate-limit module's tests: header parsing (`headers.rs`, with the providers' documented
//! values, `parsing.rs`) and the forecast and pressure detector (here).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};

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

mod parsing;

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
    // The detector's own call (forecasts only as far as the horizon) finds the same.
    assert_eq!(
        pressure_finding(
            &usage(&quotas, &[], &profile),
            &PressureSettings::default(),
            now
        ),
        finding
    );
    assert_eq!(
        pressure_finding(
            &usage(&quotas, &[], &profile),
            &PressureSettings::default(),
            at(7, 40, 0)
        ),
        None
    );
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
