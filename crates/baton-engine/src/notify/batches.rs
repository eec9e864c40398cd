//! A route's messages that stand for several items (issue 60): the storm ("14 new items in
//! 10 min", replaced as it grows, by its sequence id) and the digest (what waited: warnings,
//! what quiet hours held, what a route that was down could not send). Neither carries
//! buttons. Each is claimed in the store before it is sent (`notify_batches`): on a shared
//! store one watcher sends it; once sent, its items are marked told, in the same transaction.

use baton_core::backoff::Backoff;
use baton_core::escalations::Escalation;
use baton_core::notify::batch::{digest_message, storm_message, BatchKind};
use baton_core::notify::message::NtfyMessage;
use baton_core::notify::policy::STORM_WINDOW;
use baton_core::notify::webhook::webhook_batch_body;
use baton_core::notify::{NotifyRoute, RouteKind, WebhookShape};
use baton_store::notify::batches::{BatchClaim, BatchOutcome};
use chrono::{DateTime, Utc};

use super::clock::NotifyClock;
use super::ntfy::topic;
use super::record::CLAIM_MS;
use super::route_plan::RoutePlan;
use super::{publish, webhook};
use crate::error::EngineError;
use crate::shared::Shared;

/// When a batch the server refused is tried again.
const RETRY: Backoff = Backoff {
    base_ms: 5_000,
    cap_ms: 300_000,
};

/// Sends the storm's new items (if it has any) on `route`.
pub(crate) async fn send_storm(
    shared: &Shared,
    route: &NotifyRoute,
    plan: &RoutePlan<'_>,
    claimer: i64,
    now: DateTime<Utc>,
) -> Result<(), EngineError> {
    if plan.storm.is_empty() {
        return Ok(());
    }
    let count = plan.storm_told + u32::try_from(plan.storm.len()).unwrap_or(u32::MAX);
    let (route_id, key) = (route.id, plan.storm_key);
    let claim = shared
        .write(move |s| {
            s.claim_batch(
                route_id,
                BatchKind::Storm,
                key,
                count,
                claimer,
                CLAIM_MS,
                now,
            )
        })
        .await?;
    let Some(claim) = claim else {
        return Ok(());
    };
    let minutes = ((now.timestamp() - key + 59) / 60).max(STORM_WINDOW.num_minutes());
    let message = storm_message(
        topic(route),
        count as usize,
        minutes,
        &plan.storm,
        claim.sequence_id.clone(),
    );
    // A webhook cannot replace what it posted: a storm is posted once.
    let quietly = route.draft.kind == RouteKind::Webhook && claim.sends > 0;
    let published = match quietly {
        true => Ok(()),
        false => tell(shared, route, &message).await,
    };
    finish(shared, route, claim, published, &plan.storm, count).await
}

/// Sends the digest on `route` when one is due (see [`SendPolicy::digest_due`]).
///
/// [`SendPolicy::digest_due`]: baton_core::notify::policy::SendPolicy::digest_due
pub(crate) async fn send_digest(
    shared: &Shared,
    route: &NotifyRoute,
    plan: &RoutePlan<'_>,
    claimer: i64,
    now: DateTime<Utc>,
) -> Result<(), EngineError> {
    let policy = &route.draft.policy;
    let waiting: Vec<(DateTime<Utc>, bool)> = plan
        .digest
        .iter()
        .map(|(e, held)| (e.opened_at, *held))
        .collect();
    if !policy.digest_due(&waiting, now, NotifyClock::local_time(now)) {
        return Ok(());
    }
    let items: Vec<&Escalation> = plan.digest.iter().map(|(e, _)| *e).collect();
    let count = u32::try_from(items.len()).unwrap_or(u32::MAX);
    let (route_id, key) = (route.id, policy.digest_period(now));
    let claim = shared
        .write(move |s| {
            s.claim_batch(
                route_id,
                BatchKind::Digest,
                key,
                count,
                claimer,
                CLAIM_MS,
                now,
            )
        })
        .await?;
    let Some(claim) = claim else {
        return Ok(());
    };
    let message = digest_message(topic(route), &items, claim.sequence_id.clone());
    let published = tell(shared, route, &message).await;
    finish(shared, route, claim, published, &items, count).await
}

/// Publishes `message` on an ntfy route, or posts it to a webhook.
async fn tell(shared: &Shared, route: &NotifyRoute, message: &NtfyMessage) -> Result<(), String> {
    match route.draft.kind {
        RouteKind::Webhook => {
            let shape = route.draft.shape.unwrap_or(WebhookShape::Generic);
            webhook::post_body(shared, route, &webhook_batch_body(shape, message)).await
        }
        _ => publish::publish_on(shared, route, message).await,
    }
}

/// Records how a batch's send ended (its claim ends with it).
async fn finish(
    shared: &Shared,
    route: &NotifyRoute,
    claim: BatchClaim,
    published: Result<(), String>,
    items: &[&Escalation],
    count: u32,
) -> Result<(), EngineError> {
    let now = shared.config.notify_clock.now();
    let kind = claim.kind.as_str();
    let outcome = match published {
        Ok(()) => {
            let first = claim.sends == 0;
            shared.notify.bump(|s| match claim.kind {
                BatchKind::Digest => s.digests += 1,
                BatchKind::Storm if first => s.storms += 1,
                BatchKind::Storm => s.updated += 1,
            });
            tracing::info!(route = %route.draft.name, kind, items = count, "notification sent");
            BatchOutcome::Sent {
                items: items.iter().map(|e| e.id).collect(),
                count,
            }
        }
        Err(error) => {
            shared.notify.bump(|s| {
                s.failed += 1;
                s.last_error = Some(error.clone());
            });
            tracing::warn!(route = %route.draft.name, kind, %error, "notification not sent");
            let delay = RETRY
                .delay_ms(claim.attempts.saturating_add(1), rand::random())
                .max(1_000);
            BatchOutcome::Failed {
                error,
                retry_at: now
                    + chrono::Duration::milliseconds(i64::try_from(delay).unwrap_or(i64::MAX)),
            }
        }
    };
    shared
        .write(move |s| s.record_batch(&claim, &outcome, now))
        .await
}
