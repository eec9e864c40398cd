//! What a webhook route posts for an item: one JSON body, once per item (one-way: a chat tool
//! cannot replace a message by a sequence id, so growth is not re-posted). Generic JSON, or the
//! Slack, Discord and Teams incoming-webhook shapes. Agents' text is cleaned and bounded, and
//! cannot inject markup: Slack's control characters are escaped, Discord's markdown and
//! mentions are neutralised (and `allowed_mentions` pings nobody).

use serde_json::{json, Value};

use super::message::{clean_text, MAX_TITLE};
use super::WebhookShape;
use crate::escalations::Escalation;

/// One line for a person: the item's title, kind, severity, count and due time.
fn line(e: &Escalation) -> String {
    let title = clean_text(&e.title, MAX_TITLE);
    let count = match e.occurrences {
        0 | 1 => String::new(),
        n => format!(", seen {n} times"),
    };
    format!(
        "Baton: {title} ({}, {}{count}; decide by {})",
        e.kind.as_str().replace('_', " "),
        e.severity.as_str(),
        e.due_at.format("%H:%M UTC")
    )
}

/// Slack's mrkdwn: `&`, `<` and `>` are its control characters (links, mentions).
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Discord's markdown and mentions: each marking character escaped, `@` kept from pinging.
fn discord_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '*' | '_' | '~' | '`' | '|' | '>' | '#' | '[' | ']' | '(' | ')' => {
                out.push('\\');
                out.push(c);
            }
            // A zero-width space after @ keeps @everyone and @here from being mentions.
            '@' => out.push_str("@\u{200b}"),
            c => out.push(c),
        }
    }
    out
}

/// The body posted for item `e` in `shape`, with the item's `link` when the route has one
/// (its click URL: the person's own, so only escaped as the shape needs, never marked down).
pub fn webhook_body(shape: WebhookShape, e: &Escalation, link: Option<&str>) -> Value {
    let text = line(e);
    let tail =
        |escape: fn(&str) -> String| link.map(|l| format!("\n{}", escape(l))).unwrap_or_default();
    match shape {
        WebhookShape::Generic => json!({
            "source": "baton",
            "text": text,
            "link": link,
            "item": {
                "id": e.id,
                "kind": e.kind.as_str(),
                "severity": e.severity.as_str(),
                "title": clean_text(&e.title, MAX_TITLE),
                "occurrences": e.occurrences,
                "opened_at": e.opened_at,
                "due_at": e.due_at,
            },
        }),
        WebhookShape::Slack => {
            json!({ "text": format!("{}{}", slack_escape(&text), tail(slack_escape)) })
        }
        WebhookShape::Discord => json!({
            "content": format!("{}{}", discord_escape(&text), tail(str::to_owned)),
            "allowed_mentions": { "parse": [] },
        }),
        WebhookShape::Teams => {
            json!({ "text": format!("{}{}", slack_escape(&text), tail(slack_escape)) })
        }
    }
}

/// The body posted for a digest or a storm (`message`, as an ntfy route would get it): its
/// title and lines as text.
pub fn webhook_batch_body(shape: WebhookShape, message: &super::message::NtfyMessage) -> Value {
    let text = format!("Baton: {}\n{}", message.title, message.message);
    match shape {
        WebhookShape::Generic => json!({
            "source": "baton",
            "text": text,
            "batch": { "kind": message.tags.get(1), "title": message.title },
        }),
        WebhookShape::Slack | WebhookShape::Teams => json!({ "text": slack_escape(&text) }),
        WebhookShape::Discord => json!({
            "content": discord_escape(&text),
            "allowed_mentions": { "parse": [] },
        }),
    }
}
