//! The engine's desktop route: the notification for an alert, and a button's answer taken as
//! a decision (`crate::notify::desktop` says what they are).

use std::collections::HashSet;

use baton_core::agent::AdapterKind;
use baton_core::escalations::{urgent, Alert, AlertFor, Escalation, EscalationState};
use baton_core::notify::desktop::{desktop_answer, desktop_notice};
use baton_core::notify::desktop_batch::{
    desktop_alerts, desktop_digest, digest_told_before, DesktopAlerts, DigestAlert,
};
use baton_core::notify::policy::{Delivery, ItemClass, Plan, SendPolicy};
use baton_core::notify::{NotifyRoute, RouteKind};
use baton_store::decide::AnswerVia;

use super::Engine;
use crate::decide::decide;
use crate::error::EngineError;
use crate::notify::clock::NotifyClock;
use crate::notify::{random_hex, refusal, DesktopAlert, DesktopTaken};

impl Engine {
    /// The desktop alerts for the items just `opened` and those about to lapse (`lapsing`).
    /// With a desktop route (the first, by name) its sending settings say which: an opened item
    /// its settings send at once (what quiet hours hold, and what it sends in the digest, wait
    /// for [`Engine::desktop_digest`]), a lapsing one unless its class is never sent or quiet
    /// hours hold it. Without one, the urgent ones ([`urgent`]). Past the route's storm threshold
    /// (the default one without a route) the new items of a storm are one notification
    /// ([`desktop_alerts`]).
    pub async fn desktop_alerts(
        &self,
        opened: Vec<i64>,
        lapsing: Vec<i64>,
    ) -> Result<DesktopAlerts, EngineError> {
        let queue = self.escalations().await?;
        let now = self.shared().config.notify_clock.now();
        let Some(route) = self.desktop_route().await else {
            let policy = SendPolicy::default();
            return Ok(desktop_alerts(
                &queue,
                &opened,
                &lapsing,
                now,
                urgent,
                |n| policy.is_storm(n),
            ));
        };
        let policy = route.draft.policy;
        let wants = |e: &Escalation, moment: AlertFor| match moment {
            AlertFor::Opened => {
                policy.plan(e, NotifyClock::local_time(e.opened_at)) == Plan::AtOnce
            }
            AlertFor::Lapsing => {
                policy.sends.get(ItemClass::of(e)) != Delivery::Never
                    && !policy.holds(e, NotifyClock::local_time(now))
            }
        };
        Ok(desktop_alerts(&queue, &opened, &lapsing, now, wants, |n| {
            policy.is_storm(n)
        }))
    }

    /// The digest a desktop shows now, if one is due: what its desktop route (the first, by
    /// name) sends in the digest and `told` does not hold yet ([`desktop_digest`]); `told`
    /// forgets the items no longer open. None without a desktop route.
    pub async fn desktop_digest(
        &self,
        told: &mut HashSet<i64>,
    ) -> Result<Option<DigestAlert>, EngineError> {
        let Some(route) = self.desktop_route().await else {
            return Ok(None);
        };
        let queue = self.escalations().await?;
        let open: HashSet<i64> = queue
            .iter()
            .filter(|e| e.state == EscalationState::Open)
            .map(|e| e.id)
            .collect();
        told.retain(|id| open.contains(id));
        let now = self.shared().config.notify_clock.now();
        Ok(desktop_digest(
            &queue,
            &route.draft.policy,
            told,
            now,
            NotifyClock::local_time,
        ))
    }

    /// What a desktop starting now counts as told in a digest already ([`digest_told_before`]).
    pub async fn desktop_digest_told(&self) -> Result<HashSet<i64>, EngineError> {
        let Some(route) = self.desktop_route().await else {
            return Ok(HashSet::new());
        };
        let queue = self.escalations().await?;
        let now = self.shared().config.notify_clock.now();
        Ok(digest_told_before(
            &queue,
            &route.draft.policy,
            now,
            NotifyClock::local_time,
        ))
    }

    /// The desktop route (the first, by name), if any.
    async fn desktop_route(&self) -> Option<NotifyRoute> {
        let routes = self.shared().read(|s| s.routes()).await.ok()?;
        routes
            .into_iter()
            .map(|r| r.route)
            .find(|r| r.draft.kind == RouteKind::Desktop)
    }

    /// The notification for `alert`, with the item's answers when a desktop route names who
    /// answers (the first one, by name); None when the item is gone.
    pub async fn desktop_alert(&self, alert: &Alert) -> Option<DesktopAlert> {
        let id = alert.escalation_id;
        let e = self.shared().read(move |s| s.escalation(id)).await.ok()?;
        let route = self.desktop_route().await;
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
