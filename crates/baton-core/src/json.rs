//! Whether two JSON values an agent sent are the same value, whatever their spelling.
//!
//! Agents' JSON (a claim's value, a handoff's payload) is compared by its value, never by its
//! text: the order of an object's members, whitespace, how a number is written and how a
//! string is escaped say nothing. `{"engine":"postgres","version":16}` and
//! `{ "version": 16.0, "engine": "postgr\u0065s" }` are the same value. (serde_json keeps an
//! object's members in the order they came, `preserve_order`, so a `Value`'s text is not a
//! canonical form.)
//!
//! Numbers are the same when they are the same number as Baton reads them (serde_json without
//! `arbitrary_precision`): a number written without a fraction or exponent is read exactly
//! when it fits a 64-bit integer (`i64` or `u64`); any other (`16.0`, `1.6e1`, or an integer
//! past `u64::MAX`) is read as a 64-bit float. An integer and a float are the same when the
//! float is that very integer: `16`, `16.0`, `1.6e1` and `160e-1` are one value, `-0` is `0`.
//! Past 2^53 a float cannot hold every integer: `9007199254740993` (read exactly) and
//! `9007199254740993.0` (read as the float 9007199254740992) differ, and two integers past
//! `u64::MAX` closer than a float's precision read as the same. Equality stays an equivalence
//! (what [`canonical`] needs), and an integer written as one is never rounded.

use std::fmt::Write as _;

use serde_json::{Number, Value};

/// Whether `a` and `b` are the same JSON value (see the module docs): what decides whether an
/// agent's JSON changed, or whether two agents state the same thing.
pub fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(a), Value::Bool(b)) => a == b,
        (Value::Number(a), Value::Number(b)) => read(a) == read(b),
        (Value::String(a), Value::String(b)) => a == b,
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same_value(a, b))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(key, a)| b.get(key).is_some_and(|b| same_value(a, b)))
        }
        _ => false,
    }
}

/// [`same_value`] of two optional values (absent is the same only as absent).
pub fn same_opt(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => same_value(a, b),
        (None, None) => true,
        _ => false,
    }
}

/// The canonical text of `value`: two values have the same canonical text exactly when they
/// are the [`same_value`]. Compact, an object's members ordered by their names (as UTF-8
/// bytes), strings escaped as serde_json writes them (only `"`, `\` and control characters),
/// a number as an integer when it is one (`16.0` is `16`), else the shortest float that reads
/// back the same. A text to keep or show where values are compared by text.
pub fn canonical(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match read(n) {
            Read::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Read::Float(bits) => {
                let float = f64::from_bits(bits);
                match Number::from_f64(float) {
                    Some(number) => out.push_str(&number.to_string()),
                    None => out.push_str("null"),
                }
            }
        },
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            members.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (key, member)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(key, out);
                out.push(':');
                write_canonical(member, out);
            }
            out.push('}');
        }
    }
}

/// `s` as a JSON string, as serde_json writes it.
fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A number as Baton reads it: an integer (exactly), or a float that is not one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Read {
    Int(i128),
    /// The float's bits (never an integral float within `i128`, never -0.0).
    Float(u64),
}

/// Floats below this (in magnitude) that are integral are read as the integer they are; every
/// one of them fits an `i128` exactly.
const INTEGRAL_BELOW: f64 = 1e38;

fn read(n: &Number) -> Read {
    if let Some(u) = n.as_u64() {
        return Read::Int(i128::from(u));
    }
    if let Some(i) = n.as_i64() {
        return Read::Int(i128::from(i));
    }
    // Without `arbitrary_precision` every other number is a finite f64.
    let float = n.as_f64().unwrap_or_default();
    if float.fract() == 0.0 && float.abs() < INTEGRAL_BELOW {
        // Exact: an integral float under 1e38 converts to i128 without rounding.
        return Read::Int(float as i128);
    }
    Read::Float(float.to_bits())
}

#[cfg(test)]
pub(crate) mod tests;
