//! The desktop route's side in the engine: what a desktop notification shows for an alert
//! ([`baton_core::notify::desktop`]), and its buttons' answers taken as decisions like the
//! phone's (through [`crate::decide::decide`], the log naming the route's person "via
//! desktop"). The notification service itself is the app's (it shows the notification and
//! hears the click); here is only what the click means.
//!
//! A desktop answer carries no signed token: only the person's own session bus can invoke a
//! notification's action. Each notification shown has its own nonce, so its buttons decide
//! once (a second click, or a click after the item was settled elsewhere, is refused).

use baton_core::agent::AdapterKind;
use baton_core::escalations::{Alert, Escalation};
use baton_core::notify::desktop::{desktop_answer, desktop_notice, DesktopNotice};
use baton_core::notify::{NotifyRoute, RouteKind};
use baton_store::decide::AnswerVia;

use super::answers::refusal;
use super::keys::random_hex;
use crate::decide::decide;
use crate::engine::Engine;

/// A notification to show on the desktop, and what its buttons answer through.
#[derive(Debug, Clone)]
pub struct DesktopAlert {
    pub notice: DesktopNotice,
    /// The desktop route whose person answers (none: the buttons only open the item).
    route: Option<NotifyRoute>,
    nonce: String,
}

/// What became of a button's answer.
#[derive(Debug, Clone, PartialEq)]
pub enum DesktopTaken {
    /// Decided: the item as it now stands.
    Decided(Box<Escalation>),
    /// Refused (`replayed`, `settled`, `no_route`, `not_an_answer`, …): nothing applied.
    Refused(&'static str),
}

impl Engine {
    /// The notification for `alert`, with the item's answers when a desktop route names who
    /// answers (the first one, by name); None when the item is gone.
    pub async fn desktop_alert(&self, alert: &Alert) -> Option<DesktopAlert> {
        let id = alert.escalation_id;
        let e = self.shared().read(move |s| s.escalation(id)).await.ok()?;
        let route = self
            .shared()
            .read(|s| s.routes())
            .await
            .ok()
            .and_then(|routes| {
                routes
                    .into_iter()
                    .map(|r| r.route)
                    .find(|r| r.draft.kind == RouteKind::Desktop)
            });
        let asks_permission = match e.agent_id {
            Some(agent) => self
                .shared()
                .read(move |s| s.agent(agent))
                .await
                .is_ok_and(|a| a.adapter == AdapterKind::Session),
            None => false,
        };
        Some(DesktopAlert {
            notice: desktop_notice(alert, &e, asks_permission, route.is_some()),
            route,
            nonce: random_hex(),
        })
    }

    /// Takes the answer `action` (a button's key) given on the notification `shown`.
    pub async fn answer_on_desktop(&self, shown: &DesktopAlert, action: &str) -> DesktopTaken {
        let taken = self.take_desktop(shown, action).await;
        let item = shown.notice.escalation_id;
        match &taken {
            DesktopTaken::Decided(_) => {
                self.shared().notify.bump(|s| s.answers_taken += 1);
                tracing::info!(escalation = item, action, "answer taken via desktop");
            }
            DesktopTaken::Refused(reason) => {
                self.shared().notify.refused(reason);
                tracing::warn!(
                    escalation = item,
                    action,
                    reason,
                    "desktop answer refused, nothing applied"
                );
            }
        }
        taken
    }

    async fn take_desktop(&self, shown: &DesktopAlert, action: &str) -> DesktopTaken {
        let Some(answer) = desktop_answer(action) else {
            return DesktopTaken::Refused("not_an_answer");
        };
        let Some(route) = &shown.route else {
            return DesktopTaken::Refused("no_route");
        };
        // The route as it is now: removed (or no longer the desktop's) since it was shown.
        let route_id = route.id;
        let current = self
            .shared()
            .read(move |s| s.routes())
            .await
            .ok()
            .and_then(|routes| routes.into_iter().find(|r| r.route.id == route_id));
        let Some(route) = current
            .map(|r| r.route)
            .filter(|r| r.draft.kind == RouteKind::Desktop)
        else {
            return DesktopTaken::Refused("no_route");
        };
        let via = AnswerVia {
            route_id: route.id,
            route_name: route.draft.name.clone(),
            kind: RouteKind::Desktop,
            nonce: shown.nonce.clone(),
        };
        let decided = decide(
            self.shared(),
            shown.notice.escalation_id,
            answer.decision(),
            None,
            route.draft.person.clone(),
            Some(via),
        )
        .await;
        match decided {
            Ok(decided) => {
                self.wake_relay();
                DesktopTaken::Decided(Box::new(decided.escalation))
            }
            Err(err) => DesktopTaken::Refused(refusal(&err)),
        }
    }
}
