//! Messages that stand for several items (issue 60): the digest (what waited: warnings, and
//! what quiet hours held) and the storm ("14 new items in 10 min", replaced as it grows).
//! Neither carries buttons: their items are decided in the app.

use std::collections::BTreeMap;

use super::message::{clean_text, NtfyMessage, MAX_LINE, MAX_TITLE};
use crate::detect::Severity;
use crate::escalations::Escalation;

/// Most items a digest names one by one (the rest are counted).
pub const DIGEST_LINES: usize = 8;

/// What a batch message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchKind {
    Digest,
    Storm,
}

impl BatchKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BatchKind::Digest => "digest",
            BatchKind::Storm => "storm",
        }
    }

    pub fn parse(text: &str) -> Option<BatchKind> {
        match text {
            "digest" => Some(BatchKind::Digest),
            "storm" => Some(BatchKind::Storm),
            _ => None,
        }
    }
}

/// The sequence id of a route's batch message `key` (each digest its own; a storm's sends
/// all one, so the phone's message is replaced as it grows).
pub fn batch_sequence_id(kind: BatchKind, route_id: i64, key: i64) -> String {
    format!("baton-{}-{route_id}-{key}", kind.as_str())
}

fn plural(n: usize, one: &str) -> String {
    match n {
        1 => format!("1 {one}"),
        n => format!("{n} {one}s"),
    }
}

/// "3 stall · 2 write collision": how many of each kind, most first.
fn by_kind(items: &[&Escalation]) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for e in items {
        *counts.entry(e.kind.as_str()).or_default() += 1;
    }
    let mut counts: Vec<(&str, usize)> = counts.into_iter().collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let parts: Vec<String> = counts
        .into_iter()
        .map(|(kind, n)| format!("{n} {}", kind.replace('_', " ")))
        .collect();
    parts.join(" · ")
}

fn top_priority(items: &[&Escalation]) -> u8 {
    match items.iter().map(|e| e.severity).max() {
        Some(Severity::Critical) => 5,
        Some(Severity::Warning) => 4,
        _ => 3,
    }
}

/// A digest's title, on every route: "Baton: 3 new items since the last digest".
pub fn digest_title(count: usize) -> String {
    clean_text(
        &format!("Baton: {} since the last digest", plural(count, "new item")),
        MAX_TITLE,
    )
}

/// A digest's lines, on every route: one per item (its title and kind, each cleaned), the
/// first [`DIGEST_LINES`], then how many more.
pub fn digest_lines(items: &[&Escalation]) -> Vec<String> {
    let mut lines: Vec<String> = items
        .iter()
        .take(DIGEST_LINES)
        .map(|e| {
            format!(
                "• {} ({})",
                clean_text(&e.title, 80),
                e.kind.as_str().replace('_', " ")
            )
        })
        .collect();
    if items.len() > DIGEST_LINES {
        lines.push(format!("and {} more", items.len() - DIGEST_LINES));
    }
    lines
}

/// The digest of `items` (what waited since the last one), on `topic`.
pub fn digest_message(topic: &str, items: &[&Escalation], sequence_id: String) -> NtfyMessage {
    NtfyMessage {
        topic: topic.to_owned(),
        title: digest_title(items.len()),
        // One item per line (each line cleaned; the newlines are the digest's own).
        message: digest_lines(items).join("\n"),
        priority: top_priority(items).min(4),
        tags: vec!["baton".to_owned(), "digest".to_owned()],
        click: None,
        actions: Vec::new(),
        sequence_id,
    }
}

/// A storm's title, on every route: "14 new items in 10 min".
pub fn storm_title(count: usize, minutes: i64) -> String {
    format!("{} in {minutes} min", plural(count, "new item"))
}

/// A storm's line, on every route: how many of each kind `items` are ("3 stall · 2 write
/// collision: open Baton to see them").
pub fn storm_line(items: &[&Escalation]) -> String {
    clean_text(
        &format!("{}: open Baton to see them", by_kind(items)),
        MAX_LINE,
    )
}

/// The storm's message: `count` new items in the last `minutes`, `items` among them.
pub fn storm_message(
    topic: &str,
    count: usize,
    minutes: i64,
    items: &[&Escalation],
    sequence_id: String,
) -> NtfyMessage {
    NtfyMessage {
        topic: topic.to_owned(),
        title: storm_title(count, minutes),
        message: storm_line(items),
        priority: top_priority(items),
        tags: vec!["baton".to_owned(), "storm".to_owned()],
        click: None,
        actions: Vec::new(),
        sequence_id,
    }
}
