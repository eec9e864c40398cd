//! `baton.toml` and manifests fed arbitrary text, and a good file with one value replaced by
//! anything TOML can say: parsing and checking never panic, and a refusal says something.

use proptest::prelude::*;
use toml::Value;

use super::*;

const GOOD: &str = r#"
[[agents]]
name = "Researcher"
url = "http://127.0.0.1:7700"
protocol = "baton"
poll_interval_ms = 2000
timeout_ms = 1500
token = { env = "RESEARCHER_TOKEN" }
windows = { write_collision_seconds = 90, stall_seconds = 600 }
declares = { triggers = ["slack://research"], reads = ["crm://contacts/*"], writes = ["file:///research/**"] }

[[rules]]
kind = "data"
pattern = "crm://contacts/*#status"
owner = "Researcher"
readers = ["Writer"]

[[rules]]
kind = "exception"
pattern = "crm://contacts/*#status"
owner = "robin"
sla_seconds = 900

[[quotas]]
api = "openai"
metric = "requests"
limit = 500
window_seconds = 60

[[pressure]]
api = "openai"
share_percent = 80
horizon_minutes = 15

[[handoffs]]
type = "brief"
schema_json = '{"type": "object", "required": ["title"]}'
"#;

/// Any TOML value, nested a little.
fn toml_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        "\\PC{0,30}".prop_map(Value::String),
        any::<i64>().prop_map(Value::Integer),
        any::<f64>().prop_map(Value::Float),
        any::<bool>().prop_map(Value::Boolean),
        Just(Value::String("**".into())),
        Just(Value::String("crm://contacts/*#status".into())),
        Just(Value::String("0s".into())),
    ];
    leaf.prop_recursive(2, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,10}", inner, 0..4)
                .prop_map(|map| Value::Table(map.into_iter().collect())),
        ]
    })
}

/// Every place in a TOML value, as the keys and indexes to it.
fn places(value: &Value, at: Vec<String>, out: &mut Vec<Vec<String>>) {
    out.push(at.clone());
    match value {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let mut next = at.clone();
                next.push(i.to_string());
                places(item, next, out);
            }
        }
        Value::Table(table) => {
            for (key, item) in table {
                let mut next = at.clone();
                next.push(key.clone());
                places(item, next, out);
            }
        }
        _ => {}
    }
}

fn slot<'v>(value: &'v mut Value, at: &[String]) -> Option<&'v mut Value> {
    let Some((first, rest)) = at.split_first() else {
        return Some(value);
    };
    let next = match value {
        Value::Array(items) => items.get_mut(first.parse::<usize>().ok()?)?,
        Value::Table(table) => table.get_mut(first)?,
        _ => return None,
    };
    slot(next, rest)
}

/// Runs everything `baton check` and `import` run on a file's text.
fn check_text(text: &str) -> Result<(), TestCaseError> {
    let refused = |message: String| {
        prop_assert!(!message.trim().is_empty(), "an empty error");
        Ok(())
    };
    let file = match parse("baton.toml", text) {
        Ok(file) => file,
        Err(err) => return refused(err.to_string()),
    };
    if let Err(err) = validate_rules("baton.toml", text, &file) {
        refused(err.to_string())?;
    }
    if let Err(err) = read_settings("baton.toml", std::path::Path::new("baton.toml"), &file) {
        refused(err.to_string())?;
    }
    if let Err(err) = parse_manifest("agent.toml", text) {
        refused(err.to_string())?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_text_is_read_or_refused_with_a_reason(text in "\\PC{0,200}") {
        check_text(&text)?;
    }

    #[test]
    fn a_good_file_with_one_value_wrong_is_read_or_refused_with_a_reason(
        place in any::<prop::sample::Index>(),
        with in toml_value(),
    ) {
        let mut file: Value = toml::from_str(GOOD).unwrap();
        let mut all = Vec::new();
        places(&file, Vec::new(), &mut all);
        let at = &all[place.index(all.len())];
        if let Some(target) = slot(&mut file, at) {
            *target = with;
        }
        if let Ok(text) = toml::to_string(&file) {
            check_text(&text)?;
        }
    }
}

#[test]
fn the_file_the_fuzzing_starts_from_is_good() {
    let file = parse("baton.toml", GOOD).unwrap();
    assert_eq!(validate_rules("baton.toml", GOOD, &file).unwrap().len(), 2);
    read_settings("baton.toml", std::path::Path::new("baton.toml"), &file).unwrap();
}
