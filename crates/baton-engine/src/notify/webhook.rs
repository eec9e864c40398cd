//! Webhook routes: each item that goes to a person is posted once (one-way: a chat tool cannot
//! replace a message, so an item's growth is not posted again), as generic JSON or a chat
//! tool's incoming-webhook shape (`baton_core::notify::webhook`), claimed first as every send.

use baton_core::escalations::Escalation;
use baton_core::notify::webhook::webhook_body;
use baton_core::notify::{NotifyRoute, WebhookShape};
use baton_store::notify::sent::Notice;
use chrono::{DateTime, Utc};

use super::keys::route_token;
use super::ntfy::{explain, PUBLISH_TIMEOUT};
use super::record::{finish, CLAIM_MS};
use crate::error::EngineError;
use crate::shared::Shared;

/// A webhook's send: the first only, whatever the item's count.
const ONCE: Notice = Notice::Open { occurrences: 1 };

/// Posts each of `wanted` that route `route` has not posted yet (or whose post failed and is
/// due again).
pub(crate) async fn post_new(
    shared: &Shared,
    route: &NotifyRoute,
    wanted: &[&Escalation],
    claimer: i64,
    now: DateTime<Utc>,
) -> Result<(), EngineError> {
    let route_id = route.id;
    let sent = shared.read(move |s| s.notices_sent(route_id)).await?;
    for e in wanted.iter().copied() {
        let due = match sent.iter().find(|row| row.escalation_id == e.id) {
            None => true,
            Some(row) => row.sends == 0 && row.next_attempt_at <= now,
        };
        if !due {
            continue;
        }
        let item = e.id;
        let claim = shared
            .write(move |s| s.claim_notice(route_id, item, ONCE, claimer, CLAIM_MS, now))
            .await?;
        if let Some(claim) = claim {
            let posted = post(shared, route, e).await;
            finish(shared, route, claim, posted, ONCE).await?;
        }
    }
    Ok(())
}

async fn post(shared: &Shared, route: &NotifyRoute, e: &Escalation) -> Result<(), String> {
    let link = route.draft.click_for(e.id);
    let body = webhook_body(
        route.draft.shape.unwrap_or(WebhookShape::Generic),
        e,
        link.as_deref(),
    );
    post_body(shared, route, &body).await
}

/// Posts `body` to webhook route `route`, with its access token.
pub(crate) async fn post_body(
    shared: &Shared,
    route: &NotifyRoute,
    body: &serde_json::Value,
) -> Result<(), String> {
    let url = route.draft.url.as_deref().unwrap_or_default();
    let mut request = shared
        .notify_client
        .post(url)
        .timeout(PUBLISH_TIMEOUT)
        .json(body);
    if let Some(token) = route_token(shared, route).await? {
        request = request.bearer_auth(token);
    }
    let answer = request.send().await.map_err(|err| explain(&err))?;
    let status = answer.status();
    if status.is_success() {
        return Ok(());
    }
    let said = answer.text().await.unwrap_or_default();
    Err(format!(
        "HTTP {}: {}",
        status.as_u16(),
        baton_core::notify::message::clean_text(&said, 200)
    ))
}
