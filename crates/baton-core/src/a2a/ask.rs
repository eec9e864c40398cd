//! What an agent asks a person, read from the parts of its message, whatever they are: text,
//! a function call (how Google ADK asks: a data part `{id, name, args}` with metadata
//! `adk_type: function_call`, `adk_is_long_running: true`, and no text), or any other data.
//!
//! - text parts: their text is the question;
//! - a function call: a `question` / `prompt` / `message` argument is the question (else the
//!   call's name), the call's name and its other arguments are fields;
//! - any other data part: its `question` / `prompt` / `message` / `title` / `text` value is the
//!   question (else its first field), its keys and values are fields.
//!
//! Everything taken from data is bounded (parts, fields, lengths, depth) and escaped (control
//! and bidirectional characters written as `\u{…}`): an agent's junk never floods or garbles
//! the queue, and never stops Baton.

use serde_json::Value;

/// Most parts of one message read.
const MAX_PARTS: usize = 32;
/// Most fields kept.
pub const MAX_FIELDS: usize = 12;
/// Longest field name, in characters.
const KEY_CHARS: usize = 60;
/// Longest field value, in characters.
const VALUE_CHARS: usize = 200;
/// Longest question, in characters.
const QUESTION_CHARS: usize = 500;
/// How deep a nested value is written before `…`.
const MAX_DEPTH: usize = 3;
/// Argument (or data) names that hold the question.
const QUESTION_KEYS: [&str; 3] = ["question", "prompt", "message"];
/// An argument naming the fields of a small form (`fields: ["city", "date"]`).
const FORM_KEY: &str = "fields";

/// What an agent asks.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ask {
    /// The question in the agent's words (None when its message says nothing readable).
    pub question: Option<String>,
    /// Further facts, as (name, value), at most [`MAX_FIELDS`].
    pub fields: Vec<(String, String)>,
    /// When the agent asks through a function call: the call an answer must respond to.
    pub call: Option<AskCall>,
}

/// A function call that asks: answered with a `function_response` for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AskCall {
    /// The call's id (`call-…`), when it has one.
    pub id: Option<String>,
    pub name: String,
    /// The fields of a small form its arguments name (`fields: [...]`), in order.
    pub form: Vec<String>,
}

impl Ask {
    /// The question and its fields as text: the question on the first line, then `name: value`
    /// lines. None when there is nothing to say.
    pub fn text(&self) -> Option<String> {
        let mut lines: Vec<String> = self.question.iter().cloned().collect();
        lines.extend(self.fields.iter().map(|(k, v)| format!("{k}: {v}")));
        (!lines.is_empty()).then(|| lines.join("\n"))
    }
}

/// What `message` (an A2A message: 1.0 `parts`, 0.3 REST `content`) asks; None when it has no
/// readable part.
pub fn read_ask(message: &Value) -> Option<Ask> {
    let parts = message
        .get("parts")
        .or_else(|| message.get("content"))
        .and_then(Value::as_array)?;
    let mut texts: Vec<&str> = Vec::new();
    let mut ask = Ask::default();
    let mut data_question: Option<String> = None;
    for part in parts.iter().take(MAX_PARTS) {
        if let Some(text) = part.get("text").and_then(Value::as_str) {
            texts.push(text);
            continue;
        }
        let Some(data) = part.get("data") else {
            continue;
        };
        if let Some(call) = function_call(part, data) {
            if ask.call.is_none() {
                let (question, call, fields) = call;
                data_question = data_question.or(question);
                ask.call = Some(call);
                push_fields(&mut ask.fields, fields);
            }
            continue;
        }
        let question_key = QUESTION_KEYS
            .iter()
            .chain(&["title", "text"])
            .find(|k| data.get(**k).is_some_and(Value::is_string))
            .copied();
        let fields = object_fields(data, &question_key.into_iter().collect::<Vec<_>>());
        let question = question_key
            .and_then(|k| data.get(k))
            .and_then(Value::as_str)
            .map(|q| escape(q, QUESTION_CHARS));
        data_question = data_question.or(question);
        push_fields(&mut ask.fields, fields);
    }
    let texts: Vec<&str> = texts
        .into_iter()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect();
    ask.question = if texts.is_empty() {
        data_question.or_else(|| {
            ask.call
                .as_ref()
                .map(|c| format!("the agent calls {}", c.name))
        })
    } else {
        Some(clip(&texts.join(" "), QUESTION_CHARS * 8))
    };
    if ask.question.is_none() && !ask.fields.is_empty() {
        let (k, v) = ask.fields.remove(0);
        ask.question = Some(format!("{k}: {v}"));
    }
    (ask.question.is_some() || !ask.fields.is_empty()).then_some(ask)
}

type CallRead = (Option<String>, AskCall, Vec<(String, String)>);

/// A function call part: ADK's metadata says so, or the data has a string `name` and an
/// object `args`. Its question, the call, and its fields (the name, the other arguments).
fn function_call(part: &Value, data: &Value) -> Option<CallRead> {
    let adk_type = part
        .get("metadata")
        .and_then(|m| m.get("adk_type"))
        .and_then(Value::as_str);
    let name = data.get("name").and_then(Value::as_str);
    let args = data.get("args");
    let is_call = match adk_type {
        Some(t) => t == "function_call",
        None => name.is_some() && args.is_some_and(Value::is_object),
    };
    if !is_call {
        return None;
    }
    let name = escape(name.unwrap_or("function"), KEY_CHARS);
    let args = args.filter(|a| a.is_object());
    let question_key = QUESTION_KEYS
        .into_iter()
        .find(|k| args.and_then(|a| a.get(*k)).is_some_and(Value::is_string));
    let question = question_key
        .and_then(|k| args.and_then(|a| a.get(k)).and_then(Value::as_str))
        .map(|q| escape(q, QUESTION_CHARS));
    let form: Vec<String> = args
        .and_then(|a| a.get(FORM_KEY))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::trim)
        .filter(|f| !f.is_empty() && f.chars().count() <= KEY_CHARS)
        .take(MAX_FIELDS)
        .map(str::to_owned)
        .collect();
    let mut fields = vec![("function".to_owned(), name.clone())];
    let skip: Vec<&str> = question_key.into_iter().collect();
    fields.extend(args.map(|a| object_fields(a, &skip)).unwrap_or_default());
    let id = data
        .get("id")
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty() && id.len() <= 200)
        .map(str::to_owned);
    Some((question, AskCall { id, name, form }, fields))
}

fn push_fields(into: &mut Vec<(String, String)>, fields: Vec<(String, String)>) {
    let room = MAX_FIELDS.saturating_sub(into.len());
    into.extend(fields.into_iter().take(room));
}

/// An object's keys and values (all but `skip`), bounded; a value that is not an object is
/// one field, `data`.
fn object_fields(value: &Value, skip: &[&str]) -> Vec<(String, String)> {
    match value {
        Value::Object(map) => map
            .iter()
            .filter(|(k, _)| !skip.contains(&k.as_str()))
            .take(MAX_FIELDS)
            .map(|(k, v)| (escape(k, KEY_CHARS), render(v)))
            .collect(),
        Value::Null => Vec::new(),
        other => vec![("data".to_owned(), render(other))],
    }
}

/// A value as a person reads it: a string as it is, anything else as compact JSON; bounded
/// and escaped.
fn render(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::String(s) => out.push_str(s),
        other => write_json(other, 0, &mut out),
    }
    escape(&out, VALUE_CHARS)
}

/// Compact JSON, stopping once it is past [`VALUE_CHARS`] or [`MAX_DEPTH`] deep.
fn write_json(value: &Value, depth: usize, out: &mut String) {
    if out.len() > VALUE_CHARS * 4 {
        return;
    }
    match value {
        Value::Array(items) if depth >= MAX_DEPTH && !items.is_empty() => out.push_str("[…]"),
        Value::Object(map) if depth >= MAX_DEPTH && !map.is_empty() => out.push_str("{…}"),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if out.len() > VALUE_CHARS * 4 {
                    break;
                }
                if i > 0 {
                    out.push(',');
                }
                write_json(item, depth + 1, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if out.len() > VALUE_CHARS * 4 {
                    break;
                }
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(clip(k, KEY_CHARS)).to_string());
                out.push(':');
                write_json(v, depth + 1, out);
            }
            out.push('}');
        }
        Value::String(s) => out.push_str(&Value::String(clip(s, VALUE_CHARS)).to_string()),
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// At most `chars` characters, `…` when cut.
fn clip(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        return text.to_owned();
    }
    let mut clipped: String = text.chars().take(chars - 1).collect();
    clipped.push('…');
    clipped
}

/// One line, bounded: control and bidirectional-override characters written as `\u{…}`.
fn escape(text: &str, chars: usize) -> String {
    let mut out = String::new();
    let mut count = 0;
    for c in text.trim().chars() {
        if count > chars {
            break;
        }
        if c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}') {
            let escaped: String = c.escape_unicode().collect();
            count += escaped.chars().count();
            out.push_str(&escaped);
        } else {
            count += 1;
            out.push(c);
        }
    }
    clip(&out, chars)
}
