//! Burn rate, run-out and the window's finding.

use chrono::{DateTime, Duration, TimeZone, Utc};

use crate::detect::{FindingKind, Severity};
use crate::usage::*;

fn t(minute: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap() + Duration::minutes(minute)
}

fn s(minute: i64, used: f64) -> WindowSample {
    WindowSample {
        at: t(minute),
        used_percent: used,
    }
}

#[test]
fn the_burn_rate_is_the_rise_over_the_last_fifteen_minutes() {
    // 40 % at 12:00 (before the cut), 70 % at 12:19: 30 points in the 15 min to 12:20.
    let samples = [s(0, 40.0), s(10, 55.0), s(19, 70.0)];
    let rate = burn_per_minute(&samples, t(20)).unwrap();
    assert!((rate - (70.0 - 40.0) / 15.0).abs() < 1e-9, "{rate}");
    // Readings only within the span: from the first of them.
    let rate = burn_per_minute(&[s(10, 50.0), s(16, 62.0)], t(16)).unwrap();
    assert!((rate - 2.0).abs() < 1e-9, "{rate}");
    // One reading is no rate; nor is none in the last 15 min.
    assert_eq!(burn_per_minute(&[s(10, 50.0)], t(12)), None);
    assert_eq!(burn_per_minute(&[s(0, 50.0), s(1, 60.0)], t(30)), None);
    // A window that reset counts from its fall.
    let rate = burn_per_minute(&[s(0, 90.0), s(10, 2.0), s(15, 12.0)], t(15)).unwrap();
    assert!((rate - 2.0).abs() < 1e-9, "{rate}");
}

#[test]
fn a_window_runs_out_at_its_rate_unless_it_resets_first() {
    assert_eq!(runs_out_at(70.0, Some(1.0), t(0), None), Some(t(30)));
    assert_eq!(runs_out_at(70.0, Some(1.0), t(0), Some(t(20))), None);
    assert_eq!(runs_out_at(70.0, Some(0.0), t(0), None), None);
    assert_eq!(runs_out_at(70.0, None, t(0), None), None);
    assert_eq!(runs_out_at(100.0, None, t(0), None), Some(t(0)));
}

fn window(used: f64, rate: Option<f64>) -> UsageWindow {
    UsageWindow {
        client: "claude-code".into(),
        account: "~/.claude".into(),
        window: "five_hour".into(),
        label: window_label("five_hour", Some(300)),
        used_percent: used,
        window_minutes: Some(300),
        resets_at: Some(t(120)),
        seen_at: t(0),
        burn_per_hour: rate.map(|r| r * 60.0),
        runs_out_at: runs_out_at(used, rate, t(0), Some(t(120))),
        paused_until: None,
        sessions: vec![
            SessionBurn {
                agent_id: 7,
                name: "repo·aaaa1111".into(),
                tokens: 9000,
            },
            SessionBurn {
                agent_id: 3,
                name: "repo·bbbb2222".into(),
                tokens: 4000,
            },
            SessionBurn {
                agent_id: 9,
                name: "repo·idle".into(),
                tokens: 0,
            },
        ],
        samples: Vec::new(),
    }
}

#[test]
fn a_window_forecast_to_run_out_soon_is_a_finding_naming_the_sessions_that_burn_most() {
    let settings = WindowSettings::default();
    let finding = window_finding(&window(70.0, Some(1.5)), "Claude Code", &settings, t(0))
        .expect("runs out in 20 min");
    assert_eq!(finding.kind, FindingKind::UsageWindow);
    assert_eq!(finding.severity, Severity::Warning);
    assert_eq!(finding.agents, vec![3, 7], "the idle session is not named");
    assert_eq!(
        finding.resource.as_deref(),
        Some("usage://claude-code/~/.claude#five_hour")
    );
    assert!(
        finding.summary.starts_with(
            "Claude Code's 5-hour window (~/.claude) is at 70%, burning 90% an hour: it runs out \
             at 12:20 UTC (in 20 min), before it resets at 14:00 UTC. Burning most: repo·aaaa1111"
        ),
        "{}",
        finding.summary
    );
    assert_eq!(
        parse_window_resource(finding.resource.as_deref().unwrap()),
        Some(("claude-code".into(), "~/.claude".into(), "five_hour".into()))
    );
    // The same window and reset: the same cause, whatever the figures.
    let later = window_finding(&window(80.0, Some(2.0)), "Claude Code", &settings, t(0)).unwrap();
    assert_eq!(later.dedupe_key, finding.dedupe_key);
    // Not within the horizon, not burning, or paused: nothing.
    assert!(window_finding(&window(70.0, Some(0.5)), "Claude Code", &settings, t(0)).is_none());
    assert!(window_finding(&window(70.0, None), "Claude Code", &settings, t(0)).is_none());
    let mut paused = window(70.0, Some(1.5));
    paused.paused_until = Some(t(120));
    assert!(window_finding(&paused, "Claude Code", &settings, t(0)).is_none());
    // Run out: critical.
    let out = window_finding(&window(100.0, None), "Claude Code", &settings, t(0)).unwrap();
    assert_eq!(out.severity, Severity::Critical);
}
