//! How much of an agent's free text Baton keeps. A value longer than its limit is cut at a
//! character boundary and ends with a marker saying how long it was; the poll says how many
//! were cut. Ids and resource URIs are not cut (a cut id would name something else): an id
//! over [`super::MAX_ID_LEN`] refuses the document, as before.

use serde_json::Value;

use super::StatusDocument;

/// Names and versions (`agent.name`, `agent.version`, an API call's `model`).
pub const MAX_NAME_BYTES: usize = 256;
/// A task's title.
pub const MAX_TITLE_BYTES: usize = super::MAX_TITLE_LEN;
/// Longer words: `agent.detail`, a task's `detail`, an event's `message`.
pub const MAX_TEXT_BYTES: usize = 4 * 1024;
/// A JSON value an event carries (`payload`, a claim's `value`), as JSON text.
pub const MAX_VALUE_BYTES: usize = 64 * 1024;

/// Agent text quoted in a sentence of Baton's (a finding's summary, an escalation's title, an
/// event's one-line summary): the whole text stays with the event it came from.
pub const MAX_HEADLINE_BYTES: usize = 200;

/// The first line of `text`, at most [`MAX_HEADLINE_BYTES`], ending with `…` when it was cut:
/// how a sentence of Baton's quotes an agent's words without copying them whole.
pub fn headline(text: &str) -> std::borrow::Cow<'_, str> {
    let first = text
        .trim_start()
        .lines()
        .next()
        .unwrap_or_default()
        .trim_end();
    let more = first.len() < text.trim().len();
    if first.len() <= MAX_HEADLINE_BYTES && !more {
        return std::borrow::Cow::Borrowed(first);
    }
    let mut end = first.len().min(MAX_HEADLINE_BYTES - '…'.len_utf8());
    while !first.is_char_boundary(end) {
        end -= 1;
    }
    std::borrow::Cow::Owned(format!("{}…", first[..end].trim_end()))
}

/// All of `text` on one line (its lines joined by ` · `, blank ones left out), at most
/// [`MAX_HEADLINE_BYTES`], ending with `…` when it was cut: a question and the fields that
/// came with it, where one line is all there is room for.
pub fn one_line(text: &str) -> String {
    let joined = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" · ");
    if joined.len() <= MAX_HEADLINE_BYTES {
        return joined;
    }
    let mut end = MAX_HEADLINE_BYTES - '…'.len_utf8();
    while !joined.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", joined[..end].trim_end())
}

/// Cuts every value of `doc` over its limit; returns how many were cut.
pub fn cut_long_values(doc: &mut StatusDocument) -> u32 {
    let mut cut = 0;
    let agent = &mut doc.agent;
    cut += cut_opt(&mut agent.name, MAX_NAME_BYTES);
    cut += cut_opt(&mut agent.version, MAX_NAME_BYTES);
    cut += cut_opt(&mut agent.detail, MAX_TEXT_BYTES);
    for task in &mut doc.tasks {
        cut += u32::from(cut_text(&mut task.title, MAX_TITLE_BYTES));
        cut += cut_opt(&mut task.detail, MAX_TEXT_BYTES);
    }
    for event in &mut doc.events {
        cut += cut_opt(&mut event.message, MAX_TEXT_BYTES);
        cut += cut_opt(&mut event.model, MAX_NAME_BYTES);
        cut += cut_value(&mut event.payload);
        cut += cut_value(&mut event.value);
    }
    for report in &mut doc.usage {
        cut += cut_opt(&mut report.model, MAX_NAME_BYTES);
    }
    cut
}

/// `text` cut to at most `max` bytes, ending with a marker, when longer; whether it was.
pub fn cut_text(text: &mut String, max: usize) -> bool {
    if text.len() <= max {
        return false;
    }
    let marker = format!("… [cut by Baton: {} bytes in all]", text.len());
    let mut end = max.saturating_sub(marker.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    text.push_str(&marker);
    true
}

fn cut_opt(text: &mut Option<String>, max: usize) -> u32 {
    text.as_mut()
        .map_or(0, |text| u32::from(cut_text(text, max)))
}

/// A JSON value too big to keep becomes a note saying so (a handoff's payload then fails its
/// schema, and goes to the dead letters with the reason).
fn cut_value(value: &mut Option<Value>) -> u32 {
    let Some(inner) = value else {
        return 0;
    };
    let bytes = serde_json::to_string(inner).map_or(0, |text| text.len());
    if bytes <= MAX_VALUE_BYTES {
        return 0;
    }
    *value = Some(Value::String(format!(
        "[cut by Baton: a value of {bytes} bytes, over the {MAX_VALUE_BYTES} kept]"
    )));
    1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_headline_is_the_first_line_at_most_200_bytes() {
        assert_eq!(headline("Refund $420?"), "Refund $420?");
        assert_eq!(
            headline("  Refund $420?\nCustomer 42 asked twice."),
            "Refund $420?…"
        );
        assert_eq!(headline(""), "");
        let long = "é".repeat(500);
        let cut = headline(&long);
        assert!(
            cut.len() <= MAX_HEADLINE_BYTES && cut.ends_with('…'),
            "{cut}"
        );
        assert!(cut.starts_with("éé"));
    }

    #[test]
    fn one_line_keeps_every_line_joined_at_most_a_headline_long() {
        assert_eq!(
            one_line("Which city?\n\n  function: ask_human\nreason: to book the trip\n"),
            "Which city? · function: ask_human · reason: to book the trip"
        );
        assert_eq!(one_line(""), "");
        let long = format!("Which?\n{}", "é".repeat(1000));
        let cut = one_line(&long);
        assert!(
            cut.len() <= MAX_HEADLINE_BYTES && cut.ends_with('…'),
            "{cut}"
        );
        assert!(cut.starts_with("Which? · éé"));
    }

    #[test]
    fn long_text_is_cut_at_a_character_boundary_with_its_length_said() {
        let mut short = "Writer".to_owned();
        assert!(!cut_text(&mut short, 10));
        assert_eq!(short, "Writer");
        let mut long = "é".repeat(3000);
        assert!(cut_text(&mut long, MAX_TEXT_BYTES));
        assert!(long.len() <= MAX_TEXT_BYTES, "{}", long.len());
        assert!(
            long.ends_with("… [cut by Baton: 6000 bytes in all]"),
            "{long}"
        );
        assert!(long.starts_with("éé"));
    }

    #[test]
    fn every_free_text_of_a_document_is_kept_to_its_limit() {
        let huge = "x".repeat(2 * 1024 * 1024);
        let mut doc: StatusDocument = serde_json::from_value(serde_json::json!({
            "protocol": "baton/1",
            "agent": {"id": "a", "name": huge, "version": huge, "detail": huge},
            "tasks": [{"id": "t", "title": huge, "state": "working", "detail": huge}],
            "events": [{"seq": 1, "at": "2026-11-23T09:00:00Z", "kind": "handoff", "resource": "r://x",
                        "message": huge, "payload": {"text": huge}},
                       {"seq": 2, "at": "2026-11-23T09:00:00Z", "kind": "claim", "key": "k", "value": [huge]}],
            "cursor": "2"
        }))
        .unwrap();
        assert_eq!(cut_long_values(&mut doc), 8);
        let kept = serde_json::to_string(&doc).unwrap();
        assert!(kept.len() < 64 * 1024, "{} bytes kept", kept.len());
        assert_eq!(cut_long_values(&mut doc), 0, "cut once");
        assert!(doc.agent.detail.unwrap().ends_with("2097152 bytes in all]"));
        assert_eq!(
            doc.events[0].payload,
            Some(Value::String(
                "[cut by Baton: a value of 2097163 bytes, over the 65536 kept]".into()
            ))
        );
    }
}
