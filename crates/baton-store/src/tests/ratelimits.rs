//! The rate-limit ledger: counted at ingest from `api_call` events and usage reports, the
//! limits the headers reported, quotas, settings, and bad input that never fails an ingest.

use std::collections::BTreeMap;

use baton_core::protocol::{Event, EventKind};
use baton_core::ratelimit::view::PressureLimits;
use baton_core::ratelimit::{minute_of, Metric, QuotaSource};

use super::support::{doc, draft, fresh_store, pair_finding, rows, store_with_agent, t, usage};
use crate::Store;

pub(super) fn api_call(
    seq: u64,
    at_secs: i64,
    api: &str,
    status: u16,
    headers: &[(&str, &str)],
) -> Event {
    Event {
        api: Some(api.into()),
        status: Some(status),
        tokens: Some(250),
        headers: Some(
            headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<BTreeMap<_, _>>(),
        ),
        ..Event::new(seq, t(at_secs), EventKind::ApiCall)
    }
}

pub(super) fn openai_headers(remaining: &str) -> Vec<(&'static str, String)> {
    vec![
        ("x-ratelimit-limit-requests", "500".into()),
        ("x-ratelimit-remaining-requests", remaining.into()),
        ("x-ratelimit-reset-requests", "12s".into()),
        ("x-ratelimit-limit-tokens", "30000".into()),
        ("x-ratelimit-remaining-tokens", "29000".into()),
        ("x-ratelimit-reset-tokens", "6m0s".into()),
    ]
}

pub(super) fn with<'a>(headers: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    headers.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[test]
fn api_calls_count_per_minute_with_429s_and_the_last_limits() {
    let (mut store, a) = store_with_agent();
    let h1 = openai_headers("499");
    let h2 = openai_headers("497");
    let events = vec![
        api_call(1, 0, "openai", 200, &with(&h1)),
        api_call(2, 10, "openai", 200, &with(&h2)),
        api_call(3, 20, "openai", 429, &[("retry-after-ms", "1200")]),
        api_call(4, 70, "openai", 200, &[]),
    ];
    let summary = store.ingest(a, &doc(vec![], events, "c1"), t(80)).unwrap();
    assert_eq!(summary.new_api_calls, 4);
    let minutes = store
        .api_minutes("openai", None, minute_of(t(0)), minute_of(t(0)) + 3600)
        .unwrap();
    assert_eq!(minutes.len(), 2);
    assert_eq!(
        (
            minutes[0].requests,
            minutes[0].tokens,
            minutes[0].rate_limited
        ),
        (3, 750, 1)
    );
    assert_eq!(
        (minutes[0].first_seq, minutes[0].first_429_seq),
        (Some(1), Some(3))
    );
    assert_eq!(minutes[1].requests, 1);

    let quotas = store.quotas("openai", None).unwrap();
    assert_eq!(quotas.len(), 2);
    let req = &quotas[0];
    assert_eq!(req.metric, Metric::Requests);
    assert_eq!(
        (req.limit, req.remaining, req.window_seconds),
        (500, Some(497), 60)
    );
    assert_eq!(req.source, QuotaSource::Headers);
    assert_eq!(req.reset_at, Some(t(10) + chrono::Duration::seconds(12)));
    assert_eq!(quotas[1].metric, Metric::Tokens);

    // Re-delivered events count once.
    let again = vec![api_call(2, 10, "openai", 200, &[])];
    store.ingest(a, &doc(vec![], again, "c1"), t(90)).unwrap();
    let minutes = store.api_minutes("openai", None, 0, i64::MAX).unwrap();
    assert_eq!(minutes[0].requests, 3);
}

#[test]
fn an_older_reading_does_not_replace_a_newer_one() {
    let mut store = fresh_store();
    let a = store.add_agent(&draft("A")).unwrap().id;
    let b = store.add_agent(&draft("B")).unwrap().id;
    let newer = openai_headers("10");
    let older = openai_headers("400");
    store
        .ingest(
            a,
            &doc(
                vec![],
                vec![api_call(1, 50, "openai", 200, &with(&newer))],
                "1",
            ),
            t(51),
        )
        .unwrap();
    store
        .ingest(
            b,
            &doc(
                vec![],
                vec![api_call(1, 20, "openai", 200, &with(&older))],
                "1",
            ),
            t(52),
        )
        .unwrap();
    assert_eq!(store.quotas("openai", None).unwrap()[0].remaining, Some(10));
}

#[test]
fn reports_spread_over_their_minutes_and_do_not_double_count_events() {
    let (mut store, a) = store_with_agent();
    let mut d = doc(vec![], vec![api_call(1, 5, "openai", 200, &[])], "c1");
    // An hour's report: 125 requests over 60 minutes.
    let mut hourly = usage("openai", 0, 125);
    hourly.window_seconds = 3600;
    d.usage = vec![hourly];
    store.ingest(a, &d, t(10)).unwrap();
    let minutes = store.api_minutes("openai", None, 0, i64::MAX).unwrap();
    assert_eq!(minutes.len(), 60);
    assert_eq!(minutes.iter().map(|m| m.requests).sum::<u64>(), 125);
    // The first minute has both an event (1) and its share of the report (3): counted once.
    assert_eq!(minutes[0].requests, 3);
    assert_eq!(minutes[59].requests, 2);

    // A report sent again with new numbers replaces the old ones.
    let mut d = doc(vec![], vec![], "c2");
    let mut hourly = usage("openai", 0, 60);
    hourly.window_seconds = 3600;
    d.usage = vec![hourly];
    store.ingest(a, &d, t(20)).unwrap();
    let minutes = store.api_minutes("openai", None, 0, i64::MAX).unwrap();
    assert_eq!(minutes.iter().map(|m| m.requests).sum::<u64>(), 60);
}

#[test]
fn a_user_quota_wins_over_the_headers_for_its_metric() {
    let (mut store, a) = store_with_agent();
    let h = openai_headers("450");
    store
        .ingest(
            a,
            &doc(vec![], vec![api_call(1, 0, "openai", 200, &with(&h))], "1"),
            t(1),
        )
        .unwrap();
    store
        .set_quota("openai", None, Metric::Requests, 300, 60, t(2))
        .unwrap();
    let quotas = store.quotas("openai", None).unwrap();
    assert_eq!(quotas.len(), 2);
    assert_eq!(
        (quotas[0].limit, quotas[0].source),
        (300, QuotaSource::User)
    );
    assert_eq!(quotas[0].remaining, Some(450));
    assert!(store
        .remove_quota("openai", None, Metric::Requests)
        .unwrap());
    assert_eq!(store.quotas("openai", None).unwrap()[0].limit, 500);
    // A quota for an API nobody called yet still lists it.
    store
        .set_quota("github", Some("ci"), Metric::Requests, 5000, 3600, t(3))
        .unwrap();
    let apis = store.rate_limited_apis().unwrap();
    assert_eq!(apis.len(), 2);
    assert_eq!(apis[0].api, "github");
    assert_eq!(apis[0].key.as_deref(), Some("ci"));
    for (limit, window) in [(0, 60), (10, 0), (10, 32 * 86_400)] {
        let err = store
            .set_quota("openai", None, Metric::Requests, limit, window, t(4))
            .unwrap_err();
        assert_eq!(err.code(), "invalid_rate_limit");
    }
}

#[test]
fn pressure_limits_default_and_are_checked() {
    let (mut store, _) = store_with_agent();
    assert_eq!(
        store.pressure_limits("openai").unwrap(),
        PressureLimits::default()
    );
    let set = PressureLimits {
        share_percent: 60,
        horizon_minutes: 90,
    };
    store.set_pressure_limits("openai", set, t(0)).unwrap();
    assert_eq!(store.pressure_limits("openai").unwrap(), set);
    for bad in [(0, 30), (101, 30), (80, 0), (80, 1441)] {
        let limits = PressureLimits {
            share_percent: bad.0,
            horizon_minutes: bad.1,
        };
        assert!(store.set_pressure_limits("openai", limits, t(1)).is_err());
    }
}

#[test]
fn junk_headers_and_absurd_numbers_never_fail_the_ingest() {
    let (mut store, a) = store_with_agent();
    let huge = "9".repeat(10_000);
    let mut absurd = api_call(
        1,
        0,
        "openai",
        429,
        &[
            ("x-ratelimit-limit-requests", "lots"),
            ("x-ratelimit-reset-requests", "soon"),
            ("x-ratelimit-remaining-requests", huge.as_str()),
            ("ratelimit-policy", "((("),
            ("x-ratelimit-bogus", "1"),
        ],
    );
    absurd.tokens = Some(u64::MAX);
    let mut second = api_call(
        2,
        1,
        "openai",
        200,
        &[("x-ratelimit-limit-requests", "lots")],
    );
    second.tokens = Some(u64::MAX);
    store
        .ingest(a, &doc(vec![], vec![absurd, second], "1"), t(2))
        .unwrap();
    let minutes = store.api_minutes("openai", None, 0, i64::MAX).unwrap();
    assert_eq!((minutes[0].requests, minutes[0].rate_limited), (2, 1));
    let issues = store.header_issues("openai").unwrap();
    assert_eq!(issues[0].header, "x-ratelimit-limit-requests");
    assert_eq!(issues[0].count, 2);
    assert_eq!(issues.len(), 5);
    assert!(issues.iter().all(|i| i.last_value.len() < 100));
    assert_eq!(rows(&store, "api_limits"), 0);
}

#[test]
fn slot_totals_cover_whole_days_of_history() {
    let (mut store, a) = store_with_agent();
    // One call every day at 12:00 for three days, and one now.
    let day = 86_400;
    let events = (0..4)
        .map(|d| api_call(d as u64 + 1, -3 * day + d * day, "openai", 200, &[]))
        .collect();
    store.ingest(a, &doc(vec![], events, "1"), t(10)).unwrap();
    let (totals, days) = store
        .slot_totals("openai", None, minute_of(t(0)) - 3600)
        .unwrap();
    assert_eq!(days, 2);
    assert_eq!(totals.len(), 1);
    assert_eq!(totals[0].requests, 2);
    assert_eq!(totals[0].slot, 12 * 4);
    let (_, none) = store.slot_totals("anthropic", None, 0).unwrap();
    assert_eq!(none, 0);
}

#[test]
fn a_budget_split_is_stored_and_each_agent_is_told_its_allowance() {
    use baton_core::detect::{Finding, FindingKind, Severity};
    use baton_core::escalations::{BudgetShare, EscalationAction};
    use baton_core::protocol::DecisionDelivery;

    let mut store = fresh_store();
    let a = store.add_agent(&draft("Writer")).unwrap().id;
    let b = store.add_agent(&draft("Editor")).unwrap().id;
    let h = openai_headers("20");
    for agent in [a, b] {
        let call = api_call(1, 0, "openai", 200, &with(&h));
        store
            .ingest(agent, &doc(vec![], vec![call], "1"), t(1))
            .unwrap();
    }
    let finding = Finding {
        severity: Severity::Warning,
        summary: "openai: combined use at 96% of 500 requests/min".into(),
        dedupe_key: "rate_limit_pressure:api:openai:2026-05-01T12:00:00Z".into(),
        ..pair_finding(FindingKind::RateLimitPressure, a, b, "api:openai")
    };
    let escalation = store.record_findings(&[finding], t(2)).unwrap().escalations[0];

    let over = EscalationAction::SplitBudget {
        shares: vec![
            BudgetShare {
                agent_id: a,
                percent: 70,
            },
            BudgetShare {
                agent_id: b,
                percent: 40,
            },
        ],
    };
    let err = store
        .decide_escalation(escalation, &over, None, "ana", t(3))
        .unwrap_err();
    assert_eq!(err.code(), "invalid_decision");
    let twice = EscalationAction::SplitBudget {
        shares: vec![
            BudgetShare {
                agent_id: a,
                percent: 10,
            },
            BudgetShare {
                agent_id: a,
                percent: 10,
            },
        ],
    };
    assert!(store
        .decide_escalation(escalation, &twice, None, "ana", t(3))
        .is_err());

    let split = EscalationAction::SplitBudget {
        shares: vec![
            BudgetShare {
                agent_id: a,
                percent: 60,
            },
            BudgetShare {
                agent_id: b,
                percent: 40,
            },
        ],
    };
    let decided = store
        .decide_escalation(escalation, &split, Some("writer first"), "ana", t(3))
        .unwrap();
    assert_eq!(decided.outbox.len(), 2);
    let budgets = store.budgets("openai", None).unwrap();
    assert_eq!(
        budgets,
        vec![
            BudgetShare {
                agent_id: a,
                percent: 60
            },
            BudgetShare {
                agent_id: b,
                percent: 40
            }
        ]
    );
    let rows = store.outbox_rows().unwrap();
    let to_a: DecisionDelivery = serde_json::from_str(
        &rows
            .iter()
            .find(|r| r.item.agent_id == a)
            .unwrap()
            .item
            .body,
    )
    .unwrap();
    assert_eq!(to_a.action, "budget");
    let grant = to_a.budget.unwrap();
    assert_eq!((grant.api.as_str(), grant.share_percent), ("openai", 60));
    let requests = grant
        .allowances
        .iter()
        .find(|l| l.metric == "requests")
        .unwrap();
    assert_eq!((requests.limit, requests.window_seconds), (300, 60));
}

#[test]
fn a_budget_split_answers_only_rate_limit_pressure() {
    use baton_core::detect::{Finding, FindingKind, Severity};
    use baton_core::escalations::{BudgetShare, EscalationAction};

    let (mut store, a) = store_with_agent();
    let finding = Finding {
        kind: FindingKind::WriteCollision,
        severity: Severity::Warning,
        agents: vec![a],
        resource: Some("crm://contacts/1".into()),
        summary: "x".into(),
        evidence: vec![],
        dedupe_key: "k".into(),
        continues: None,
    };
    let escalation = store.record_findings(&[finding], t(2)).unwrap().escalations[0];
    let split = EscalationAction::SplitBudget {
        shares: vec![BudgetShare {
            agent_id: a,
            percent: 50,
        }],
    };
    let err = store
        .decide_escalation(escalation, &split, None, "ana", t(3))
        .unwrap_err();
    assert!(err.to_string().contains("rate-limit pressure"), "{err}");
}

#[test]
fn a_report_resent_with_another_window_moves_its_counts() {
    let (mut store, a) = store_with_agent();
    let mut d = doc(vec![], vec![], "1");
    let mut two_minutes = usage("openai", 0, 10);
    two_minutes.window_seconds = 120;
    d.usage = vec![two_minutes, usage("openai", 600, 7)];
    store.ingest(a, &d, t(1)).unwrap();
    let counts = |store: &Store| -> Vec<(i64, u64)> {
        store
            .api_minutes("openai", None, 0, i64::MAX)
            .unwrap()
            .iter()
            .filter(|m| m.requests > 0)
            .map(|m| ((m.minute - minute_of(t(0))) / 60, m.requests))
            .collect()
    };
    assert_eq!(counts(&store), vec![(0, 5), (1, 5), (10, 7)]);
    // The same window start, now one minute long and bigger.
    let mut d = doc(vec![], vec![], "2");
    d.usage = vec![usage("openai", 0, 12)];
    store.ingest(a, &d, t(2)).unwrap();
    assert_eq!(counts(&store), vec![(0, 12), (10, 7)]);
}

#[test]
fn pressure_that_was_forecast_carries_on_the_forecast_escalation() {
    use crate::escalations::EscalationFilter;
    use baton_core::detect::{EvidenceRef, Finding, FindingKind, Severity};

    let mut store = fresh_store();
    let a = store.add_agent(&draft("Writer")).unwrap().id;
    let b = store.add_agent(&draft("Editor")).unwrap().id;
    let prefix = "rate_limit_pressure:api:openai:forecast@";
    let pressure = |agents: Vec<i64>, key: &str, summary: &str| Finding {
        kind: FindingKind::RateLimitPressure,
        severity: Severity::Warning,
        evidence: agents
            .iter()
            .map(|&agent_id| EvidenceRef { agent_id, seq: 1 })
            .collect(),
        agents,
        resource: Some("api:openai".into()),
        summary: summary.into(),
        dedupe_key: key.into(),
        continues: Some(prefix.into()),
    };
    let open = |store: &Store| {
        store
            .escalations(EscalationFilter {
                open: true,
                closed: 0,
            })
            .unwrap()
    };
    let forecast = pressure(vec![a], &format!("{prefix}2026-05-01T12"), "forecast");
    let first = store.record_findings(&[forecast], t(1)).unwrap();
    assert_eq!(first.escalations.len(), 1);
    assert_eq!(open(&store)[0].agent_id, Some(a));

    // The forecast moves an hour on, then comes true with the editor calling too: still one
    // escalation, now naming both, in the realised pressure's words.
    let later = pressure(
        vec![a],
        &format!("{prefix}2026-05-01T13"),
        "forecast, later",
    );
    let moved = store.record_findings(&[later], t(2)).unwrap();
    assert!(moved.opened.is_empty(), "{moved:?}");
    let realised = pressure(vec![a, b], "rate_limit_pressure:api:openai:t0", "3 × 429");
    let came = store
        .record_findings(std::slice::from_ref(&realised), t(3))
        .unwrap();
    assert!(came.opened.is_empty(), "{came:?}");
    let escalations = open(&store);
    assert_eq!(escalations.len(), 1, "{escalations:#?}");
    let one = &escalations[0];
    assert_eq!((one.id, one.agent_id), (first.escalations[0], None));
    assert_eq!(
        (one.agents.clone(), one.title.as_str()),
        (vec![a, b], "3 × 429")
    );

    // Dismissed, it stays closed; and a forecast seen after that is a new escalation, since
    // nothing open is left to carry on.
    let finding = store.open_findings().unwrap()[0].id;
    store.close_finding(finding, t(4)).unwrap();
    let again = store.record_findings(&[realised], t(5)).unwrap();
    assert!(again.opened.is_empty(), "{again:?}");
    let next = pressure(vec![b], &format!("{prefix}2026-05-01T15"), "forecast");
    assert_eq!(
        store.record_findings(&[next], t(6)).unwrap().opened.len(),
        1
    );
}
