//! Costs: tokens counted at ingest per day, model and task, priced when read.

use baton_core::cost::Price;
use baton_core::protocol::{Event, EventKind, UsageReport};
use chrono::Duration;

use super::support::*;

fn call(seq: u64, secs: i64, model: &str, task: &str, input: u64, output: u64) -> Event {
    Event {
        api: Some("openai".into()),
        model: Some(model.into()),
        task_id: Some(task.into()),
        input_tokens: Some(input),
        output_tokens: Some(output),
        tokens: Some(input + output),
        status: Some(200),
        ..Event::new(seq, t(secs), EventKind::ApiCall)
    }
}

fn price(api: &str, model: Option<&str>, input: f64, output: f64) -> Price {
    Price::own(api, model, input, output)
}

#[test]
fn calls_are_priced_per_model_and_task_and_a_new_price_reprices_the_past() {
    let (mut store, a) = store_with_agent();
    let events = vec![
        call(1, 1, "gpt-4o", "t1", 1000, 500),
        call(2, 2, "gpt-4o", "t1", 2000, 500),
        call(3, 3, "mystery-1", "t2", 1000, 0),
    ];
    store
        .ingest(a, &doc(vec![], events.clone(), "c1"), t(4))
        .unwrap();
    // Delivered again: counted once.
    store.ingest(a, &doc(vec![], events, "c1"), t(5)).unwrap();

    let t1 = store.task_cost(a, "t1").unwrap();
    assert_eq!(t1.calls, 2);
    // Baton's default for gpt-4o: $0.0025 in, $0.01 out per 1k.
    assert!(
        (t1.cost.usd - (3.0 * 0.0025 + 1.0 * 0.01)).abs() < 1e-9,
        "{t1:?}"
    );
    assert!(t1.cost.by_model[0].default_price);
    let t2 = store.task_cost(a, "t2").unwrap();
    assert_eq!((t2.cost.usd, t2.cost.unpriced_tokens), (0.0, 1000));

    store
        .set_price(&price("openai", Some("gpt-4o"), 0.01, 0.01), t(6))
        .unwrap();
    store
        .set_price(&price("openai", None, 0.001, 0.001), t(6))
        .unwrap();
    let t1 = store.task_cost(a, "t1").unwrap();
    assert!((t1.cost.usd - 0.04).abs() < 1e-9);
    assert!(!t1.cost.by_model[0].default_price);
    assert!((store.task_cost(a, "t2").unwrap().cost.usd - 0.001).abs() < 1e-9);
    assert!(
        store.prices().unwrap().iter().any(|p| p.default),
        "the other defaults stay"
    );
    assert!(store.remove_price("openai", Some("gpt-4o")).unwrap());
    assert!(!store.remove_price("openai", Some("gpt-4o")).unwrap());
    let err = store
        .set_price(&price("", None, 1.0, 1.0), t(7))
        .unwrap_err();
    assert_eq!((err.code(), err.field()), ("invalid_setting", Some("api")));
}

#[test]
fn each_agent_spends_per_day_and_reports_count_when_they_say_more_than_the_events() {
    let (mut store, a) = store_with_agent();
    store
        .set_price(&price("openai", None, 0.001, 0.002), t(0))
        .unwrap();
    store
        .ingest(
            a,
            &doc(vec![], vec![call(1, 1, "x", "t1", 1000, 1000)], "c1"),
            t(2),
        )
        .unwrap();
    // A report of the same day counting more tokens (unsplit: the dearer rate).
    let mut d = doc(vec![], vec![], "c2");
    d.usage.push(UsageReport {
        tokens: 5000,
        model: Some("x".into()),
        ..usage("openai", 0, 3)
    });
    store.ingest(a, &d, t(3)).unwrap();
    let now = t(3) + Duration::hours(1);
    let costs = store.agent_costs(now).unwrap();
    assert_eq!(costs.len(), 1);
    let today = &costs[0].today;
    assert!((today.usd - 0.01).abs() < 1e-9, "{today:?}");
    assert!(today.upper_bound);
    // The same window reported again with fewer tokens: replaced, not added.
    let mut d = doc(vec![], vec![], "c3");
    d.usage.push(UsageReport {
        tokens: 1000,
        model: Some("x".into()),
        ..usage("openai", 0, 3)
    });
    store.ingest(a, &d, t(4)).unwrap();
    let today = &store.agent_costs(now).unwrap()[0].today;
    assert!(
        (today.usd - 0.003).abs() < 1e-9,
        "events count again: {today:?}"
    );
    assert_eq!(store.agent_costs(now).unwrap()[0].days.len(), 7);

    // Budgets.
    assert!(store.spending_against_budgets(now).unwrap().is_empty());
    store.set_daily_budget(a, Some(0.002), now).unwrap();
    let spending = store.spending_against_budgets(now).unwrap();
    assert_eq!(spending.len(), 1);
    assert!((spending[0].2 - 0.003).abs() < 1e-9);
    assert_eq!(store.daily_budget(a).unwrap(), Some(0.002));
    assert_eq!(
        store
            .set_daily_budget(a, Some(-1.0), now)
            .unwrap_err()
            .code(),
        "invalid_setting"
    );
    assert_eq!(
        store
            .set_daily_budget(999, Some(1.0), now)
            .unwrap_err()
            .code(),
        "not_found"
    );
    store.set_daily_budget(a, None, now).unwrap();
    assert_eq!(store.daily_budget(a).unwrap(), None);
}
