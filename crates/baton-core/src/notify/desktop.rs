//! What a desktop notification shows for a queue item (the desktop route of issue 60): the
//! alert's summary, the item's title as its body, and its buttons. With a desktop route (whose
//! person answers), a request for approval gets *Approve* / *Deny* (*Allow* / *Deny* when a
//! coding agent asks permission); every item gets *Open*, which is also what a click on the
//! notification does where the notification service shows no buttons.
//!
//! The body is the agent's text: on one line, bounded, and with markup escaped (a notification
//! service may read `<b>` or `<a href>` in a body).

use super::answer::PhoneAction;
use super::message::{buttons, clean_text, MAX_TITLE};
use crate::escalations::{Alert, Escalation};

/// The action a click on the notification invokes (the XDG spec's `default`): it opens the item.
pub const OPEN_ACTION: &str = "default";

/// One button: the action's key (what the notification service answers) and its label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DesktopButton {
    pub action: &'static str,
    pub label: &'static str,
}

/// A desktop notification for one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesktopNotice {
    pub escalation_id: i64,
    pub summary: String,
    pub body: String,
    /// In the order shown; *Open* last.
    pub buttons: Vec<DesktopButton>,
}

/// The notification for `alert` on item `e`: with the item's own answers when `answered` (a
/// desktop route names who answers), labelled for a permission request when `asks_permission`.
pub fn desktop_notice(
    alert: &Alert,
    e: &Escalation,
    asks_permission: bool,
    answered: bool,
) -> DesktopNotice {
    let mut shown = Vec::new();
    if answered {
        for (action, label) in buttons(e, asks_permission) {
            let label = match action {
                PhoneAction::Approve => label,
                // "Deny" on the desktop, for either kind of request (the words).
                PhoneAction::Reject => "Deny",
                // Not on the desktop: *Open* shows the item, where it is dismissed with a reason.
                PhoneAction::Dismiss => continue,
            };
            shown.push(DesktopButton {
                action: action.as_str(),
                label,
            });
        }
    }
    shown.push(DesktopButton {
        action: OPEN_ACTION,
        label: "Open",
    });
    DesktopNotice {
        escalation_id: alert.escalation_id,
        summary: clean_text(&alert.summary, MAX_TITLE),
        body: escape_markup(&clean_text(&alert.body, MAX_TITLE)),
        buttons: shown,
    }
}

/// The decision a button's action key stands for (`None`: *Open*, or a key Baton never sent).
pub fn desktop_answer(action: &str) -> Option<PhoneAction> {
    PhoneAction::parse(action).filter(|a| *a != PhoneAction::Dismiss)
}

/// `text` with the markup characters of a notification body escaped.
pub fn escape_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::{FindingKind, Severity};

    fn item(kind: FindingKind, title: &str) -> Escalation {
        let mut e = super::super::tests::item(kind, Severity::Critical);
        e.title = title.to_owned();
        e
    }

    fn alert(e: &Escalation) -> Alert {
        Alert {
            escalation_id: e.id,
            summary: "Needs approval: needs you".into(),
            body: e.title.clone(),
        }
    }

    fn labels(n: &DesktopNotice) -> Vec<(&str, &str)> {
        n.buttons.iter().map(|b| (b.action, b.label)).collect()
    }

    #[test]
    fn a_request_for_approval_is_approved_denied_or_opened() {
        let e = item(FindingKind::NeedsApproval, "deploy asks to ship");
        let n = desktop_notice(&alert(&e), &e, false, true);
        assert_eq!(
            labels(&n),
            [
                ("approve", "Approve"),
                ("reject", "Deny"),
                ("default", "Open")
            ]
        );
        assert_eq!(n.escalation_id, 7);
        let asked = desktop_notice(&alert(&e), &e, true, true);
        assert_eq!(
            labels(&asked),
            [
                ("approve", "Allow"),
                ("reject", "Deny"),
                ("default", "Open")
            ]
        );
    }

    #[test]
    fn without_a_desktop_route_or_for_other_items_only_open() {
        let e = item(FindingKind::NeedsApproval, "deploy asks to ship");
        assert_eq!(
            labels(&desktop_notice(&alert(&e), &e, true, false)),
            [("default", "Open")]
        );
        let other = item(FindingKind::WriteCollision, "two agents write one file");
        assert_eq!(
            labels(&desktop_notice(&alert(&other), &other, false, true)),
            [("default", "Open")]
        );
    }

    #[test]
    fn the_agents_text_is_one_bounded_line_without_markup() {
        let long = format!("<b>run</b> rm -rf &\n{}", "x".repeat(300));
        let e = item(FindingKind::NeedsApproval, &long);
        let n = desktop_notice(&alert(&e), &e, false, true);
        assert!(n
            .body
            .starts_with("&lt;b&gt;run&lt;/b&gt; rm -rf &amp; xxx"));
        assert!(!n.body.contains(['<', '>', '\n']));
        assert!(n.body.ends_with('…'));
    }

    #[test]
    fn only_the_two_answers_are_decisions() {
        assert_eq!(desktop_answer("approve"), Some(PhoneAction::Approve));
        assert_eq!(desktop_answer("reject"), Some(PhoneAction::Reject));
        assert_eq!(desktop_answer(OPEN_ACTION), None);
        assert_eq!(desktop_answer("dismiss"), None);
        assert_eq!(desktop_answer(""), None);
    }
}
