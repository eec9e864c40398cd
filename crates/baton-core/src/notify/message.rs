//! What is sent for a queue item, and when: the policy (which items go to a person's phone at
//! once) and the ntfy message (publish-as-JSON: topic, title, message, priority, tags, up to
//! three `http` action buttons, and the sequence id that makes a later send replace the
//! earlier message rather than add one).
//!
//! Agents' text is sanitised and bounded: no control characters, whitespace collapsed, a title
//! of at most [`MAX_TITLE`] characters.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::answer::PhoneAction;
use crate::detect::{FindingKind, Severity};
use crate::escalations::{Escalation, EscalationState};

/// Longest title sent (characters).
pub const MAX_TITLE: usize = 200;
/// Longest message line sent (characters).
pub const MAX_LINE: usize = 400;
/// ntfy shows at most three action buttons.
pub const MAX_BUTTONS: usize = 3;

/// True when the item goes to a person's phone at once: open and awake, and critical, a
/// permission request, or a limit window forecast to run out. (Warnings wait for a digest;
/// notes are never sent.)
pub fn wants_notice(e: &Escalation, now: DateTime<Utc>) -> bool {
    e.is_awake(now)
        && (e.severity == Severity::Critical
            || e.kind == FindingKind::NeedsApproval
            || e.kind == FindingKind::UsageWindow)
}

/// The buttons an item gets, with their labels: a request for approval is approved or
/// rejected ("Allow" / "Deny" when a coding agent asks permission: its client carries on or
/// stops); every other item that goes to the phone can be dismissed, as in the app (its other
/// choices need more than a tap). A permission request has no Dismiss: closing it unanswered
/// would only hand the question back to the client's own dialog.
pub fn buttons(e: &Escalation, asks_permission: bool) -> Vec<(PhoneAction, &'static str)> {
    let mut out = match (e.kind == FindingKind::NeedsApproval, asks_permission) {
        (true, true) => vec![
            (PhoneAction::Approve, "Allow"),
            (PhoneAction::Reject, "Deny"),
        ],
        (true, false) => vec![
            (PhoneAction::Approve, "Approve"),
            (PhoneAction::Reject, "Reject"),
            (PhoneAction::Dismiss, "Dismiss"),
        ],
        (false, _) => vec![(PhoneAction::Dismiss, "Dismiss")],
    };
    out.truncate(MAX_BUTTONS);
    out
}

/// ntfy's priority (1 min … 5 max) for a severity.
pub fn priority(severity: Severity) -> u8 {
    match severity {
        Severity::Critical => 5,
        Severity::Warning => 4,
        Severity::Info => 3,
    }
}

/// The sequence id of an item's messages: every send for it replaces the last.
pub fn sequence_id(escalation_id: i64) -> String {
    format!("baton-item-{escalation_id}")
}

/// `text` on one line: control characters as spaces, runs of whitespace as one, at most `max`
/// characters (the last one `…` when cut).
pub fn clean_text(text: &str, max: usize) -> String {
    let spaced: String = text
        .chars()
        .map(|c| {
            if c.is_control() || c.is_whitespace() {
                ' '
            } else {
                c
            }
        })
        .collect();
    let words: Vec<&str> = spaced.split(' ').filter(|w| !w.is_empty()).collect();
    let line = words.join(" ");
    if line.chars().count() <= max {
        return line;
    }
    let mut cut: String = line.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

fn kind_label(kind: FindingKind) -> String {
    let text = kind.as_str().replace('_', " ");
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// One `http` button: tapping it makes the phone POST `body` to `url`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NtfyAction {
    pub action: &'static str,
    pub label: String,
    pub url: String,
    pub method: &'static str,
    pub body: String,
    /// The notification is cleared once the request succeeded.
    pub clear: bool,
}

impl NtfyAction {
    /// A button posting the signed answer `token` to the reply topic at `reply_url`.
    pub fn answer(label: &str, reply_url: &str, token: String) -> NtfyAction {
        NtfyAction {
            action: "http",
            label: label.to_owned(),
            url: reply_url.to_owned(),
            method: "POST",
            body: token,
            clear: true,
        }
    }
}

/// A message as ntfy's publish-as-JSON takes it (`POST /` on the server).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NtfyMessage {
    pub topic: String,
    pub title: String,
    pub message: String,
    pub priority: u8,
    pub tags: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub click: Option<String>,
    pub actions: Vec<NtfyAction>,
    pub sequence_id: String,
}

/// The message for an open item: its title, one line of why (kind, how often, by when), its
/// priority, and `actions` (at most [`MAX_BUTTONS`] are kept).
pub fn open_message(topic: &str, e: &Escalation, mut actions: Vec<NtfyAction>) -> NtfyMessage {
    actions.truncate(MAX_BUTTONS);
    let mut why = vec![kind_label(e.kind), e.severity.as_str().to_owned()];
    if e.occurrences > 1 {
        why.push(format!("seen {} times", e.occurrences));
    }
    why.push(format!("decide by {}", e.due_at.format("%H:%M UTC")));
    NtfyMessage {
        topic: topic.to_owned(),
        title: clean_text(&e.title, MAX_TITLE),
        message: clean_text(&why.join(" · "), MAX_LINE),
        priority: priority(e.severity),
        tags: vec!["baton".to_owned(), e.kind.as_str().to_owned()],
        click: None,
        actions,
        sequence_id: sequence_id(e.id),
    }
}

/// Where a decision was made, from its log entry's detail: "via ntfy" (an answer that came
/// back on a route), "in the app", "with baton decide"; None when the log does not say.
pub fn where_decided(detail: Option<&serde_json::Value>) -> Option<String> {
    let detail = detail?;
    if let Some(kind) = detail["via"]["kind"].as_str() {
        return Some(format!("via {}", clean_text(kind, 20)));
    }
    match detail["in"].as_str()? {
        "app" => Some("in the app".to_owned()),
        "cli" => Some("with baton decide".to_owned()),
        _ => None,
    }
}

/// The message that replaces an item's once it is settled elsewhere (or lapsed): who settled
/// it, how and where (`place`, from [`where_decided`]), no buttons.
pub fn settled_message(topic: &str, e: &Escalation, place: Option<&str>) -> NtfyMessage {
    let line = match (&e.decision, e.state) {
        (Some(d), EscalationState::Resolved) => {
            let on = d
                .host
                .as_deref()
                .map(|h| format!(" on {h}"))
                .unwrap_or_default();
            let place = place.map(|p| format!(" {p}")).unwrap_or_default();
            format!(
                "Settled: {} by {}{place}{on} at {}",
                d.action,
                d.who,
                d.at.format("%H:%M UTC")
            )
        }
        (_, EscalationState::Expired) => "Lapsed: nobody decided in time".to_owned(),
        _ => "Settled".to_owned(),
    };
    NtfyMessage {
        topic: topic.to_owned(),
        title: clean_text(&e.title, MAX_TITLE),
        message: clean_text(&line, MAX_LINE),
        priority: 2,
        tags: vec!["baton".to_owned(), "settled".to_owned()],
        click: None,
        actions: Vec::new(),
        sequence_id: sequence_id(e.id),
    }
}
