use chrono::TimeZone;

use super::*;

fn price(api: &str, model: Option<&str>, input: f64, output: f64) -> Price {
    Price::own(api, model, input, output)
}

#[test]
fn a_models_own_price_wins_then_the_longest_prefix_then_the_apis() {
    let table = vec![
        price("anthropic", None, 1.0, 1.0),
        price("anthropic", Some("claude-*"), 2.0, 2.0),
        price("anthropic", Some("claude-sonnet-4*"), 3.0, 3.0),
        price("anthropic", Some("claude-sonnet-4-5"), 4.0, 4.0),
    ];
    let of = |model: Option<&str>| price_for(&table, "Anthropic", model).map(|p| p.input_per_1k);
    assert_eq!(of(Some("claude-sonnet-4-5")), Some(4.0));
    assert_eq!(of(Some("claude-sonnet-4-20250514")), Some(3.0));
    assert_eq!(of(Some("claude-3-opus")), Some(2.0));
    assert_eq!(of(Some("other")), Some(1.0));
    assert_eq!(of(None), Some(1.0));
    assert_eq!(price_for(&table, "openai", Some("gpt-4o")), None);
}

#[test]
fn the_users_price_replaces_the_default_for_the_same_model_and_defaults_are_marked() {
    let user = vec![price("openai", Some("gpt-4o"), 0.005, 0.02)];
    let table = price_table(&user);
    let gpt4o: Vec<&Price> = table
        .iter()
        .filter(|p| p.api == "openai" && p.model.as_deref() == Some("gpt-4o"))
        .collect();
    assert_eq!(gpt4o.len(), 1);
    assert!(!gpt4o[0].default);
    assert_eq!(gpt4o[0].input_per_1k, 0.005);
    assert!(table.iter().filter(|p| p.default).count() >= 5);
    assert!(table.iter().all(|p| check_price(p).is_ok()), "{table:?}");
}

#[test]
fn split_tokens_are_priced_at_each_rate_and_unsplit_ones_at_the_dearer() {
    let p = price("openai", None, 0.001, 0.004);
    let split = TokenCount::of_call(Some(3000), Some(2000), Some(1000));
    assert_eq!(
        split,
        TokenCount {
            input: 2000,
            output: 1000,
            unsplit: 0
        }
    );
    assert!((split.cost(&p) - 0.006).abs() < 1e-12);
    let unsplit = TokenCount::of_call(Some(3000), None, None);
    assert!((unsplit.cost(&p) - 0.012).abs() < 1e-12);
    // A total above the split: the rest counted as unsplit.
    assert_eq!(
        TokenCount::of_call(Some(3500), Some(2000), Some(1000)).unsplit,
        500
    );
    assert_eq!(TokenCount::of_call(None, None, None).total(), 0);
}

#[test]
fn events_and_reports_of_the_same_calls_count_once_and_unpriced_tokens_are_said() {
    let table = vec![price("openai", None, 0.001, 0.002)];
    let usage = vec![
        Usage {
            api: "openai".into(),
            model: Some("gpt-x".into()),
            calls: 3,
            events: TokenCount {
                input: 1000,
                output: 1000,
                unsplit: 0,
            },
            reports: TokenCount {
                input: 0,
                output: 0,
                unsplit: 1500,
            },
        },
        Usage {
            api: "mystery".into(),
            model: None,
            calls: 1,
            events: TokenCount {
                input: 0,
                output: 0,
                unsplit: 700,
            },
            reports: TokenCount::default(),
        },
    ];
    let cost = price_usage(&usage, &table);
    assert!((cost.usd - 0.003).abs() < 1e-12, "{cost:?}");
    assert_eq!(cost.tokens, 2700);
    assert_eq!(cost.unpriced_tokens, 700);
    assert!(!cost.upper_bound);
    assert_eq!(cost.by_model.len(), 2);
    assert_eq!(cost.by_model[0].usd, None);
}

#[test]
fn prices_are_checked() {
    let field = |p: Price| check_price(&p).unwrap_err().0;
    assert_eq!(field(price("", None, 1.0, 1.0)), "api");
    assert_eq!(field(price("a", Some("*"), 1.0, 1.0)), "model");
    assert_eq!(field(price("a", Some("**"), 1.0, 1.0)), "model");
    assert_eq!(field(price("a", Some("gp*t*"), 1.0, 1.0)), "model");
    assert_eq!(field(price("a", None, -1.0, 1.0)), "input_per_1k");
    assert_eq!(field(price("a", None, f64::NAN, 1.0)), "input_per_1k");
    assert_eq!(field(price("a", None, 1.0, 5000.0)), "output_per_1k");
    assert!(check_price(&price("a", Some("gpt*"), 0.0, 0.0)).is_ok());
}

#[test]
fn a_budget_passed_is_one_finding_per_agent_and_day() {
    let now = Utc.with_ymd_and_hms(2026, 11, 24, 15, 0, 0).unwrap();
    assert!(over_budget(3, "Writer", 4.99, 5.0, now).is_none());
    let f = over_budget(3, "Writer", 5.42, 5.0, now).unwrap();
    assert_eq!(f.kind, FindingKind::OverBudget);
    assert_eq!(f.dedupe_key, "over_budget:3:2026-11-24");
    assert_eq!(
        f.summary,
        "Writer has spent $5.42 today (2026-11-24, UTC), past its daily budget of $5.00"
    );
    let later = over_budget(3, "Writer", 9.0, 5.0, now).unwrap();
    assert_eq!(later.dedupe_key, f.dedupe_key);
}

#[test]
fn days_and_dollars_read_well() {
    let now = Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 0).unwrap();
    assert_eq!(
        last_days(now, 3),
        ["2026-02-28", "2026-03-01", "2026-03-02"]
    );
    assert_eq!(dollars(0.0), "$0");
    assert_eq!(dollars(0.00421), "$0.0042");
    assert_eq!(dollars(1.266), "$1.27");
    assert_eq!(dollars(1204.4), "$1,204");
    assert_eq!(dollars(1_234_567.0), "$1,234,567");
}
