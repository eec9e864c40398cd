//! An answer read on a route's reply topic: checked (its form, key, signature, expiry, that it
//! was sent on this route), then decided like any other decision, the log saying the route's
//! person and the route; refused and logged otherwise, never applied.

use baton_core::notify::answer::{read_answer, AnswerRefused};
use baton_core::notify::NotifyRoute;
use baton_store::decide::AnswerVia;
use baton_store::StoreError;
use chrono::Utc;

use crate::decide::decide;
use crate::error::EngineError;
use crate::shared::Shared;

/// What became of one answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Taken {
    /// Decided.
    Decided {
        escalation_id: i64,
        action: &'static str,
    },
    /// Signed by another data folder's key: another watcher's to take (not a refusal).
    NotOurs,
    /// Refused, with the reason's word (`replayed`, `expired`, `settled`, …).
    Refused(&'static str),
}

/// Takes `posted`, read on `route`'s reply topic.
pub(crate) async fn take_answer(
    shared: &Shared,
    route: &NotifyRoute,
    key: &[u8],
    posted: &str,
) -> Taken {
    let taken = take(shared, route, key, posted).await;
    match &taken {
        Taken::Decided {
            escalation_id,
            action,
        } => {
            shared.notify.bump(|s| s.answers_taken += 1);
            tracing::info!(route = %route.draft.name, escalation = escalation_id, action, person = %route.draft.person, "answer taken via ntfy");
        }
        Taken::NotOurs => {
            tracing::debug!(route = %route.draft.name, "an answer signed by another Baton: left to it")
        }
        Taken::Refused(reason) => {
            shared.notify.refused(reason);
            tracing::warn!(route = %route.draft.name, reason, "answer refused, nothing applied");
        }
    }
    taken
}

async fn take(shared: &Shared, route: &NotifyRoute, key: &[u8], posted: &str) -> Taken {
    let claim = match read_answer(key, posted, Utc::now()) {
        Ok(claim) => claim,
        Err(AnswerRefused::OtherKey(_)) => return Taken::NotOurs,
        Err(refused) => return Taken::Refused(refused.word()),
    };
    if claim.route_id != route.id {
        return Taken::Refused("other_route");
    }
    let via = AnswerVia {
        route_id: route.id,
        route_name: route.draft.name.clone(),
        kind: route.draft.kind,
        nonce: claim.nonce.clone(),
    };
    let action = claim.action.decision();
    let word = claim.action.as_str();
    let decided = decide(
        shared,
        claim.escalation_id,
        action,
        claim.action.note().map(str::to_owned),
        route.draft.person.clone(),
        Some(via),
    )
    .await;
    match decided {
        Ok(_) => Taken::Decided {
            escalation_id: claim.escalation_id,
            action: word,
        },
        Err(err) => Taken::Refused(refusal(&err)),
    }
}

/// The reason's word for an answer the store would not take.
pub(crate) fn refusal(err: &EngineError) -> &'static str {
    match err {
        EngineError::Store(StoreError::AnswerUsed) => "replayed",
        EngineError::Store(StoreError::EscalationClosed { .. }) => "settled",
        EngineError::Store(StoreError::EscalationExpired(_)) => "lapsed",
        EngineError::Store(StoreError::EscalationNotFound(_)) => "unknown_item",
        _ => "store",
    }
}
