//! An ntfy route's messages of their own, one per item: sent with its buttons, each button
//! carrying a signed single-use answer ([`baton_core::notify::answer`]); replaced (same
//! sequence id) when the item grows; replaced once more, without buttons, when it is settled
//! elsewhere. Each send is claimed in the store first: on a shared store one watcher sends it.

use std::collections::HashMap;

use baton_core::escalations::{Escalation, EscalationState};
use baton_core::notify::answer::{sign_answer, AnswerClaim, ANSWER_TTL};
use baton_core::notify::message::{
    buttons, open_message, settled_message, where_decided, NtfyAction,
};
use baton_core::notify::NotifyRoute;
use baton_store::notify::sent::{Notice, NoticeClaim, SentRow};
use chrono::{DateTime, Utc};

use super::ntfy::topic;
use super::record::CLAIM_MS;
use super::{keys, publish, record};
use crate::error::EngineError;
use crate::shared::Shared;

/// What a round sends on one ntfy route: `at_once`'s new or grown items, as `sent` says.
pub(crate) struct ItemSends<'a> {
    pub route: &'a NotifyRoute,
    pub at_once: &'a [&'a Escalation],
    pub sent: &'a [SentRow],
    /// Which items' agents are coding sessions (their buttons say Allow / Deny).
    pub asks: &'a HashMap<i64, bool>,
    pub claimer: i64,
    pub now: DateTime<Utc>,
}

/// Sends each item of `sends` that is new, grown, or due again after a failure.
pub(crate) async fn send_items(
    shared: &Shared,
    key: &[u8],
    sends: ItemSends<'_>,
) -> Result<(), EngineError> {
    let ItemSends {
        route,
        at_once,
        sent,
        asks,
        claimer,
        now,
    } = sends;
    let due = |e: &Escalation| match sent.iter().find(|row| row.escalation_id == e.id) {
        None => true,
        Some(row) => {
            !row.settled_sent
                && row.sent_occurrences < e.occurrences
                && (row.attempts == 0 || row.next_attempt_at <= now)
        }
    };
    for e in at_once.iter().copied().filter(|e| due(e)) {
        let notice = Notice::Open {
            occurrences: e.occurrences,
        };
        let (route_id, item) = (route.id, e.id);
        let claim = shared
            .write(move |s| s.claim_notice(route_id, item, notice, claimer, CLAIM_MS, now))
            .await?;
        if let Some(claim) = claim {
            let session = e
                .agent_id
                .and_then(|a| asks.get(&a).copied())
                .unwrap_or(false);
            send_open(shared, key, route, e, session, claim).await?;
        }
    }
    Ok(())
}

/// Tells the route of each item it sent that is settled now (`items`: the queue as read).
pub(crate) async fn tell_settled(
    shared: &Shared,
    route: &NotifyRoute,
    items: &[Escalation],
    claimer: i64,
    now: DateTime<Utc>,
) -> Result<(), EngineError> {
    let route_id = route.id;
    let told = shared.read(move |s| s.notices_unsettled(route_id)).await?;
    for id in told {
        let e = match items.iter().find(|e| e.id == id) {
            Some(e) => e.clone(),
            None => match shared.read(move |s| s.escalation(id)).await {
                Ok(e) => e,
                Err(_) => continue,
            },
        };
        if e.state == EscalationState::Open {
            continue;
        }
        let claim = shared
            .write(move |s| s.claim_notice(route_id, id, Notice::Settled, claimer, CLAIM_MS, now))
            .await?;
        if let Some(claim) = claim {
            let place = match &e.decision {
                Some(d) => where_settled(shared, d.seq).await,
                None => None,
            };
            let mut message = settled_message(topic(route), &e, place.as_deref());
            message.click = route.draft.click_for(e.id);
            send(shared, route, claim, &message, Notice::Settled).await?;
        }
    }
    Ok(())
}

/// Where decision `seq` was made, as its log entry says.
async fn where_settled(shared: &Shared, seq: i64) -> Option<String> {
    let entry = shared.read(move |s| s.decision_entry(seq)).await.ok()??;
    where_decided(entry.detail.as_ref())
}

/// Sends an open item's message, with a signed answer on each of its buttons.
async fn send_open(
    shared: &Shared,
    key: &[u8],
    route: &NotifyRoute,
    e: &Escalation,
    session: bool,
    claim: NoticeClaim,
) -> Result<(), EngineError> {
    let expires_at = Utc::now() + ANSWER_TTL;
    let reply_url = match (&route.draft.server, &route.draft.reply_topic) {
        (Some(server), Some(reply)) => Some(format!("{server}/{reply}")),
        _ => None,
    };
    let actions = match &reply_url {
        Some(url) => buttons(e, session)
            .into_iter()
            .map(|(action, label)| {
                let token = sign_answer(
                    key,
                    &AnswerClaim {
                        route_id: route.id,
                        escalation_id: e.id,
                        action,
                        expires_at,
                        nonce: keys::random_hex(),
                    },
                );
                NtfyAction::answer(label, url, token)
            })
            .collect(),
        None => Vec::new(),
    };
    let mut message = open_message(topic(route), e, actions);
    message.click = route.draft.click_for(e.id);
    let notice = Notice::Open {
        occurrences: e.occurrences,
    };
    send(shared, route, claim, &message, notice).await
}

/// Publishes `message` and records how it went (the claim ends with it).
async fn send(
    shared: &Shared,
    route: &NotifyRoute,
    claim: NoticeClaim,
    message: &baton_core::notify::message::NtfyMessage,
    notice: Notice,
) -> Result<(), EngineError> {
    let published = publish::publish_on(shared, route, message).await;
    record::finish(shared, route, claim, published, notice).await
}
