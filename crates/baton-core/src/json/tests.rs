//! Same value, whatever the spelling; a real difference always tells. The generators here
//! (values, their spellings, their real changes) serve the detectors' tests too.

use proptest::prelude::*;
use serde_json::{json, Map, Value};

use super::*;

/// A small, seeded choice maker for spellings (xorshift): proptest draws the seed.
pub(crate) struct Dice(u64);

impl Dice {
    pub(crate) fn new(seed: u64) -> Dice {
        Dice(seed | 1)
    }

    pub(crate) fn roll(&mut self, sides: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        usize::try_from(self.0 % sides.max(1) as u64).unwrap_or(0)
    }
}

/// Characters strings and names are drawn from: plain, needing escapes, `/`, accented,
/// outside the BMP, and any.
fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => prop::sample::select(vec![
                'a', 'Z', '0', ' ', '"', '\\', '/', '\n', '\t', '\r', '\u{8}', '\u{c}', '\u{0}',
                '\u{1f}', '\u{7f}', 'é', 'ß', '€', '\u{2028}', '😀', '𝄞',
            ]),
            1 => any::<char>(),
        ],
        0..6,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        (-40i64..40).prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        // Integral floats (16.0), fractions, and any finite float.
        (-1000i32..1000).prop_map(|n| Value::from(f64::from(n))),
        (-1000i32..1000).prop_map(|n| Value::from(f64::from(n) / 8.0)),
        any::<f64>()
            .prop_filter("JSON has no NaN or infinity", |f| f.is_finite())
            .prop_map(Value::from),
    ]
}

/// Any JSON value, a few levels deep.
pub(crate) fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number(),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 40, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((text(), inner), 0..5)
                .prop_map(|members| Value::Object(members.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// `value` written another way: members in another order, other whitespace, numbers and
/// strings spelt otherwise. It reads back as the same value.
pub(crate) fn respell(value: &Value, dice: &mut Dice) -> String {
    let mut out = String::new();
    write_respelt(value, dice, &mut out);
    space(dice, &mut out);
    out
}

fn space(dice: &mut Dice, out: &mut String) {
    out.push_str(["", "", " ", "\n", "\t", "\r\n  "][dice.roll(6)]);
}

fn write_respelt(value: &Value, dice: &mut Dice, out: &mut String) {
    space(dice, out);
    match value {
        Value::Null | Value::Bool(_) => out.push_str(&value.to_string()),
        Value::Number(n) => out.push_str(&respell_number(n, dice)),
        Value::String(s) => respell_string(s, dice, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    space(dice, out);
                    out.push(',');
                }
                write_respelt(item, dice, out);
                space(dice, out);
            }
            space(dice, out);
            out.push(']');
        }
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            for i in (1..members.len()).rev() {
                members.swap(i, dice.roll(i + 1));
            }
            out.push('{');
            for (i, (key, member)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                space(dice, out);
                respell_string(key, dice, out);
                space(dice, out);
                out.push(':');
                write_respelt(member, dice, out);
                space(dice, out);
            }
            space(dice, out);
            out.push('}');
        }
    }
}

/// Floats hold every integer up to 2^53: past it an integer is only written as one.
const EXACT_IN_FLOAT: u64 = 1 << 53;

fn respell_number(n: &serde_json::Number, dice: &mut Dice) -> String {
    let integer = n.as_i64().map(i128::from).or(n.as_u64().map(i128::from));
    if let Some(i) = integer {
        if i.unsigned_abs() > u128::from(EXACT_IN_FLOAT) {
            return [format!("{i}"), format!("{i} ")][dice.roll(2)].clone();
        }
        let mut spellings = vec![
            format!("{i}"),
            format!("{i}.0"),
            format!("{i}e0"),
            format!("{i}.000e+0"),
            format!("{:e}", i as f64),
        ];
        if i == 0 {
            spellings.extend(["-0".into(), "-0.0".into(), "0e5".into()]);
        } else {
            spellings.push(format!("{i}0E-1"));
        }
        let pick = dice.roll(spellings.len());
        return spellings.swap_remove(pick);
    }
    let float = n.as_f64().unwrap_or_default();
    if float.fract() == 0.0 && float.abs() < 1e15 {
        // An integral float: as the integer too.
        let whole = float as i64;
        return [
            format!("{whole}"),
            format!("{float:e}"),
            format!("{float:E}"),
        ][dice.roll(3)]
        .clone();
    }
    // The same digits, the point elsewhere (a float's own text has its shortest digits).
    let mut spellings = vec![n.to_string(), format!("{float:e}"), format!("{float:E}")];
    if float.abs() < 1e15 {
        spellings.push(format!("{float}"));
    }
    let pick = dice.roll(spellings.len());
    spellings.swap_remove(pick)
}

fn respell_string(s: &str, dice: &mut Dice, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        let short = match c {
            '"' => Some("\\\""),
            '\\' => Some("\\\\"),
            '/' => Some("\\/"),
            '\n' => Some("\\n"),
            '\r' => Some("\\r"),
            '\t' => Some("\\t"),
            '\u{8}' => Some("\\b"),
            '\u{c}' => Some("\\f"),
            _ => None,
        };
        let must = c == '"' || c == '\\' || u32::from(c) < 0x20;
        match dice.roll(3) {
            0 if !must => out.push(c),
            1 if short.is_some() => out.push_str(short.unwrap_or_default()),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    if dice.roll(2) == 0 {
                        out.push_str(&format!("\\u{unit:04x}"));
                    } else {
                        out.push_str(&format!("\\u{unit:04X}"));
                    }
                }
            }
        }
    }
    out.push('"');
}

/// `value` really changed at one place (`at` picks the node): a leaf changed, a member or an
/// item added or taken away, or a node of another type.
pub(crate) fn change(value: &Value, at: usize, how: usize) -> Value {
    let mut changed = value.clone();
    let count = nodes(value);
    let mut left = at % count;
    change_in(&mut changed, &mut left, how);
    changed
}

fn nodes(value: &Value) -> usize {
    1 + match value {
        Value::Array(items) => items.iter().map(nodes).sum(),
        Value::Object(map) => map.values().map(nodes).sum(),
        _ => 0,
    }
}

/// Changes the node `left` counts down to (pre-order); true once done.
fn change_in(value: &mut Value, left: &mut usize, how: usize) -> bool {
    if *left == 0 {
        change_here(value, how);
        return true;
    }
    *left -= 1;
    match value {
        Value::Array(items) => items.iter_mut().any(|item| change_in(item, left, how)),
        Value::Object(map) => map.values_mut().any(|member| change_in(member, left, how)),
        _ => false,
    }
}

fn change_here(value: &mut Value, how: usize) {
    // One in four: another type altogether.
    if how.is_multiple_of(4) {
        *value = match value {
            Value::Array(items) => Value::Object(
                items
                    .drain(..)
                    .enumerate()
                    .map(|(i, v)| (i.to_string(), v))
                    .collect(),
            ),
            Value::Object(map) => {
                Value::Array(std::mem::take(map).into_iter().map(|(_, v)| v).collect())
            }
            Value::String(s) if s.is_empty() => Value::Null,
            Value::String(s) => Value::Array(vec![Value::String(std::mem::take(s))]),
            Value::Number(n) => Value::String(n.to_string()),
            Value::Bool(b) => Value::from(u8::from(*b)),
            Value::Null => Value::Bool(false),
        };
        return;
    }
    match value {
        Value::Null => *value = json!(false),
        Value::Bool(b) => *b = !*b,
        Value::Number(n) => {
            let zero = n.as_f64().unwrap_or_default() == 0.0;
            *value = if zero { json!(1) } else { json!(0) };
        }
        Value::String(s) => s.push('x'),
        Value::Array(items) if how % 2 == 1 || items.is_empty() => items.push(Value::Null),
        Value::Array(items) => {
            items.pop();
        }
        Value::Object(map) if how % 2 == 1 || map.is_empty() => {
            let mut name = String::from("added");
            while map.contains_key(&name) {
                name.push('+');
            }
            map.insert(name, Value::Null);
        }
        Value::Object(map) => {
            let first = map.keys().next().cloned().unwrap_or_default();
            map.remove(&first);
        }
    }
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|err| panic!("{text:?}: {err}"))
}

#[test]
fn member_order_whitespace_numbers_and_escapes_are_spelling() {
    let a = parse(r#"{"engine":"postgres","version":16}"#);
    for same in [
        r#"{"version":16,"engine":"postgres"}"#,
        "{ \"version\" : 16.0 ,\n\t\"engine\": \"postgr\\u0065s\" }",
        r#"{"engine":"postgres","version":1.6e1}"#,
        r#"{"engine":"post\u0067res","version":160E-1}"#,
    ] {
        let b = parse(same);
        assert!(same_value(&a, &b), "{same}");
        assert_eq!(canonical(&a), canonical(&b), "{same}");
    }
    assert_eq!(canonical(&a), r#"{"engine":"postgres","version":16}"#);
    assert!(same_value(&parse(r#""\u0041\/""#), &json!("A/")));
    assert!(same_value(&parse("-0"), &json!(0)));
    assert!(same_value(&parse("[1, 2.5]"), &parse("[1.0,25e-1]")));
    for other in [
        r#"{"engine":"postgres","version":17}"#,
        r#"{"engine":"postgres","version":"16"}"#,
        r#"{"engine":"postgres"}"#,
        r#"{"engine":"postgres","version":16,"x":null}"#,
        r#"["postgres",16]"#,
    ] {
        let b = parse(other);
        assert!(!same_value(&a, &b), "{other}");
        assert_ne!(canonical(&a), canonical(&b), "{other}");
    }
    // Arrays keep their order.
    assert!(!same_value(&json!([1, 2]), &json!([2, 1])));
}

#[test]
fn large_integers_are_read_exactly_and_floats_as_floats() {
    // Written as integers: exact, however large a 64-bit integer is.
    assert!(!same_value(
        &parse("9007199254740993"),
        &parse("9007199254740992")
    ));
    assert!(!same_value(
        &parse("18446744073709551615"),
        &parse("18446744073709551614")
    ));
    // A float spelling past 2^53 is the nearest float: 9007199254740992, not ...993.
    assert!(same_value(
        &parse("9007199254740992"),
        &parse("9007199254740993.0")
    ));
    assert!(!same_value(
        &parse("9007199254740993"),
        &parse("9007199254740993.0")
    ));
    // Past u64::MAX only floats are left: 2^64 and 2^64 + 1 read alike.
    assert!(same_value(
        &parse("18446744073709551616"),
        &parse("18446744073709551617")
    ));
    assert_eq!(
        canonical(&parse("18446744073709551616.0")),
        "18446744073709551616"
    );
    assert_eq!(canonical(&parse("1e300")), "1e+300");
    assert_eq!(canonical(&parse("-2.50")), "-2.5");
    assert_eq!(canonical(&parse("-7")), "-7");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn a_value_spelt_otherwise_is_the_same_value(v in value(), seed in any::<u64>()) {
        let text = respell(&v, &mut Dice::new(seed));
        let read: Value = serde_json::from_str(&text)
            .map_err(|err| TestCaseError::fail(format!("{text:?}: {err}")))?;
        prop_assert!(same_value(&v, &read), "{} vs {}", v, text);
        prop_assert!(same_value(&read, &v));
        prop_assert_eq!(canonical(&v), canonical(&read));
        // The canonical text reads back as the same value, and is its own canonical text.
        let back: Value = serde_json::from_str(&canonical(&v))
            .map_err(|err| TestCaseError::fail(err.to_string()))?;
        prop_assert!(same_value(&v, &back));
        prop_assert_eq!(canonical(&back), canonical(&v));
    }

    #[test]
    fn a_value_really_changed_is_another_value(
        v in value(),
        at in any::<usize>(),
        how in any::<usize>(),
        seed in any::<u64>(),
    ) {
        let changed = change(&v, at, how);
        let text = respell(&changed, &mut Dice::new(seed));
        let read: Value = serde_json::from_str(&text)
            .map_err(|err| TestCaseError::fail(format!("{text:?}: {err}")))?;
        prop_assert!(!same_value(&v, &read), "{} vs {}", v, text);
        prop_assert!(!same_value(&read, &v));
        prop_assert_ne!(canonical(&v), canonical(&read));
    }

    #[test]
    fn same_value_and_canonical_text_agree(a in value(), b in value()) {
        prop_assert_eq!(same_value(&a, &b), canonical(&a) == canonical(&b));
    }
}
