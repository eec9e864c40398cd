//! One way a decision is taken, whoever takes it (the app, `baton decide`, an answer that came
//! back on a route): stored with its log entry and outbox rows in one transaction, the queue
//! told, the relay woken.

use baton_core::escalations::EscalationAction;
use baton_core::views::ChangeEvent;
use baton_store::decide::{AnswerVia, Decided};
use baton_store::StoreError;
use chrono::Utc;

use crate::error::EngineError;
use crate::shared::Shared;

/// Records `who`'s decision on escalation `id` (through route `via`, when it came back on
/// one). An escalation past its SLA expires instead (`code: expired`); the queue is told
/// either way.
pub(crate) async fn decide(
    shared: &Shared,
    id: i64,
    action: EscalationAction,
    note: Option<String>,
    who: String,
    via: Option<AnswerVia>,
) -> Result<Decided, EngineError> {
    let now = Utc::now();
    let place = shared.config.decides_in;
    let result = shared
        .write(move |s| match &via {
            Some(via) => {
                s.decide_escalation_via(id, &action, note.as_deref(), &who, Some(via), now)
            }
            None => s.decide_escalation_in(id, &action, note.as_deref(), &who, place, now),
        })
        .await;
    let changed = ChangeEvent::Escalations {
        opened: vec![],
        changed: vec![id],
        lapsing: vec![],
    };
    match result {
        Ok(decided) => {
            tracing::info!(
                escalation = id,
                action = %decided.decision.action,
                deliveries = decided.outbox.len(),
                "decision recorded"
            );
            shared.bus.publish(changed);
            if decided.rules_changed {
                shared.bus.publish(ChangeEvent::AgentsChanged);
            }
            // The relay looks at the outbox at once.
            shared.decided_elsewhere.notify_one();
            Ok(decided)
        }
        Err(EngineError::Store(err @ StoreError::EscalationExpired(_))) => {
            shared.bus.publish(changed);
            Err(EngineError::Store(err))
        }
        Err(err) => Err(err),
    }
}
