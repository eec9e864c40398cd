//! A person's decision as the message parts an A2A agent reads, in the form the agent asked:
//!
//! - asked in words: one text part, the person's answer (with no note: `approved`, or
//!   `rejected`);
//! - asked through a function call (Google ADK's long-running calls): one data part, a
//!   `function_response` for that call (same `id` and `name`, metadata `adk_type:
//!   function_response`), whose `response` is `{"response": <the answer>}`, the fields of the
//!   call's small form (`city: Lisbon` lines, when its arguments name `fields`), or for an
//!   approval or a rejection without words `{"approved": true|false, "note": …}`. ADK reads
//!   nothing else as the answer: a text part leaves its task waiting.

use serde_json::{json, Map, Value};

use super::ask::{Ask, AskCall};

/// One part of the message that answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyPart {
    Text(String),
    Data { data: Value, metadata: Value },
}

/// The message that answers, and how it was shaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub parts: Vec<ReplyPart>,
    /// `text` or `function_response`.
    pub form: &'static str,
    /// Words for the decision log and the delivery: "as text", "as a function_response to
    /// ask_human (call-1)".
    pub described: String,
    /// The function call it answers, if any.
    pub call: Option<AskCall>,
}

impl Reply {
    /// What was sent, for the decision log: `{"form": "text"}`, or `{"form":
    /// "function_response", "call": {"id": …, "name": …}}`.
    pub fn sent(&self) -> Value {
        match &self.call {
            Some(call) => json!({"form": self.form,
                                 "call": {"id": call.id, "name": call.name}}),
            None => json!({ "form": self.form }),
        }
    }
}

/// The reply to what `ask` asked (None: nothing known of it; answered in words), for the
/// decision `action` (`approve`, `reject`, …) with the person's `note`.
pub fn shape_reply(ask: Option<&Ask>, action: &str, note: Option<&str>) -> Reply {
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    match ask.and_then(|a| a.call.as_ref()) {
        Some(call) => function_response(call, action, note),
        None => Reply {
            parts: vec![ReplyPart::Text(answer_text(action, note))],
            form: "text",
            described: "as text".into(),
            call: None,
        },
    }
}

/// What the agent is told in words: the person's note (their answer), else what they decided.
fn answer_text(action: &str, note: Option<&str>) -> String {
    match (action, note) {
        ("approve", Some(note)) => note.to_owned(),
        ("approve", None) => "approved".to_owned(),
        ("reject", Some(note)) => format!("rejected: {note}"),
        ("reject", None) => "rejected".to_owned(),
        (action, Some(note)) => format!("{action}: {note}"),
        (action, None) => action.to_owned(),
    }
}

fn function_response(call: &AskCall, action: &str, note: Option<&str>) -> Reply {
    let response = match (action, note) {
        ("approve", Some(answer)) => {
            form_answer(&call.form, answer).unwrap_or_else(|| json!({ "response": answer }))
        }
        ("approve", None) => json!({ "approved": true }),
        ("reject", note) => json!({ "approved": false, "note": note }),
        (action, note) => json!({ "action": action, "note": note }),
    };
    let mut data = Map::new();
    if let Some(id) = &call.id {
        data.insert("id".into(), json!(id));
    }
    data.insert("name".into(), json!(call.name));
    data.insert("response".into(), response);
    let id = call
        .id
        .as_deref()
        .map(|id| format!(" ({id})"))
        .unwrap_or_default();
    Reply {
        parts: vec![ReplyPart::Data {
            data: Value::Object(data),
            metadata: json!({ "adk_type": "function_response" }),
        }],
        form: "function_response",
        described: format!("as a function_response to {}{id}", call.name),
        call: Some(call.clone()),
    }
}

/// The fields of a small form from `name: value` (or `name = value`) lines or `;`-separated
/// pairs, for the names the form has; None when the answer names none of them.
fn form_answer(form: &[String], answer: &str) -> Option<Value> {
    if form.is_empty() {
        return None;
    }
    let mut fields = Map::new();
    for pair in answer.split(['\n', ';']) {
        let Some((name, value)) = pair.split_once(':').or_else(|| pair.split_once('=')) else {
            continue;
        };
        let name = name.trim();
        if let Some(field) = form.iter().find(|f| f.eq_ignore_ascii_case(name)) {
            fields.insert(field.clone(), json!(value.trim()));
        }
    }
    (!fields.is_empty()).then_some(Value::Object(fields))
}
