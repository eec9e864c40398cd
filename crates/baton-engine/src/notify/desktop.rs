//! The desktop route's side in the engine: what a desktop notification shows for an alert
//! ([`baton_core::notify::desktop`]), and its buttons' answers taken as decisions like the
//! phone's (through [`crate::decide::decide`], the log naming the route's person "via
//! desktop"). The notification service itself is the app's (it shows the notification and
//! hears the click); here is only what the click means (the engine's side: `engine/desktop.rs`).
//!
//! A desktop answer carries no signed token: only the person's own session bus can invoke a
//! notification's action. Each notification shown has its own nonce, so its buttons decide
//! once (a second click, or a click after the item was settled elsewhere, is refused).

use baton_core::escalations::Escalation;
use baton_core::notify::desktop::DesktopNotice;
use baton_core::notify::NotifyRoute;

/// A notification to show on the desktop, and what its buttons answer through.
#[derive(Debug, Clone)]
pub struct DesktopAlert {
    pub notice: DesktopNotice,
    /// The desktop route whose person answers (none: the buttons only open the item).
    pub(crate) route: Option<NotifyRoute>,
    pub(crate) nonce: String,
}

/// What became of a button's answer.
#[derive(Debug, Clone, PartialEq)]
pub enum DesktopTaken {
    /// Decided: the item as it now stands.
    Decided(Box<Escalation>),
    /// Refused (`replayed`, `settled`, `no_route`, `not_an_answer`, …): nothing applied.
    Refused(&'static str),
}
