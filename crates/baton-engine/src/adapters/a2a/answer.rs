//! A person's decision delivered to an A2A agent: their answer as a user message on the task
//! that waits (`SendMessage` with the task's id). The message id is the decision's idempotency
//! key, so a message the agent already has (an earlier attempt whose answer was lost) is not
//! sent again.
//!
//! An answer counts only when the waiting task moves on. Real servers differ:
//! - the reply is the same task, now working or completed: taken;
//! - a server that starts a *new* task with the answer (fasta2a) leaves the waiting one as it
//!   was: not taken, and the escalation opens again saying so;
//! - a server whose reply waits for the resumed run to finish (the LangGraph dev server) gets
//!   its own, longer timeout; if that passes anyway, the next attempt finds the task working or
//!   completed, and that is the answer taken, not a decline.

use baton_core::a2a::wire::Call;
use baton_core::a2a::{is_interrupted, parse_task, shape_reply, A2aError, A2aTask, Reply};
use baton_core::protocol::DecisionDelivery;
use baton_store::outbox::DeliveryOutcome;

use super::calls::call;
use crate::adapters::adapter::Delivery;
use crate::fetch::Fetcher;

/// Shortest wait for the answer to `SendMessage`: a server may answer only once the run the
/// answer resumed has finished.
const ANSWER_TIMEOUT_MS: u64 = 120_000;

/// Delivers the decision in `delivery.item` to its agent, on the interface of the card Baton
/// read last.
pub(super) async fn deliver(
    fetcher: &Fetcher,
    delivery: Delivery<'_>,
) -> Result<DeliveryOutcome, String> {
    let Delivery {
        agent,
        token,
        kept,
        item,
    } = delivery;
    let decision: DecisionDelivery =
        serde_json::from_str(&item.body).map_err(|err| format!("unreadable decision: {err}"))?;
    let Some(task_id) = decision.task_id.as_deref() else {
        return Ok(DeliveryOutcome::Acknowledged {
            accepted: false,
            note: Some("no A2A task to answer".into()),
        });
    };
    let card = &kept
        .card
        .as_ref()
        .ok_or("the agent card has not been read yet")?
        .card;
    let interface = card
        .preferred()
        .ok_or_else(|| A2aError::NoUsableInterface.to_string())?;
    let get = Call::GetTask { id: task_id };
    let task = call(fetcher, interface, &get, token, agent.timeout_ms)
        .await
        .map_err(|err| err.to_string())?;
    let task = parse_task(&task).map_err(|err| err.to_string())?;
    let key = item.idempotency_key.as_str();
    if task.message_ids.iter().any(|m| m == key) {
        return Ok(DeliveryOutcome::Acknowledged {
            accepted: true,
            note: Some("already applied (duplicate)".into()),
        });
    }
    if !is_interrupted(task.state) {
        // After an attempt whose reply was lost: the answer was taken.
        let accepted = item.attempts > 0;
        let note = if accepted {
            format!(
                "the task moved on after the answer was sent (it is {})",
                state_words(&task)
            )
        } else {
            format!(
                "the task no longer waits for input (it is {})",
                state_words(&task)
            )
        };
        return Ok(DeliveryOutcome::Acknowledged {
            accepted,
            note: Some(note),
        });
    }
    // In the form the agent asked: a function call is answered with its function_response.
    let reply = shape_reply(
        task.ask.as_ref(),
        &decision.action,
        decision.note.as_deref(),
    );
    let send = Call::SendMessage {
        task_id,
        context_id: task.context_id.as_deref(),
        message_id: key,
        parts: &reply.parts,
    };
    let timeout_ms = agent.timeout_ms.max(ANSWER_TIMEOUT_MS);
    let answer = call(fetcher, interface, &send, token, timeout_ms)
        .await
        .map_err(|err| err.to_string())?;
    Ok(match parse_task(&answer) {
        Ok(after) => judge(task_id, &after, &reply),
        // A server may answer with a message rather than the task.
        Err(_) => DeliveryOutcome::Answered {
            note: format!(
                "sent {} on the task; the agent answered with a message",
                reply.described
            ),
            sent: reply.sent(),
        },
    })
}

/// What the reply to the answer says about it (see the module docs).
fn judge(task_id: &str, after: &A2aTask, reply: &Reply) -> DeliveryOutcome {
    let sent = &reply.described;
    if after.id != task_id {
        return DeliveryOutcome::NotTaken {
            note: format!(
                "the agent started a new task ({}) with the answer (sent {sent}) instead of \
                 continuing task {task_id}, which still waits for input",
                after.id
            ),
        };
    }
    if is_interrupted(after.state) {
        let asks = after
            .message
            .as_deref()
            .map(|m| format!(": {m}"))
            .unwrap_or_default();
        return DeliveryOutcome::NotTaken {
            note: format!("the task still waits for input after the answer (sent {sent}){asks}"),
        };
    }
    DeliveryOutcome::Answered {
        note: format!("sent {sent} on the task; it is now {}", state_words(after)),
        sent: reply.sent(),
    }
}

fn state_words(task: &A2aTask) -> String {
    task.state.as_str().replace('_', " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use baton_core::task::TaskState;

    fn task(id: &str, state: TaskState, message: Option<&str>) -> A2aTask {
        A2aTask {
            id: id.into(),
            context_id: None,
            state,
            message: message.map(str::to_owned),
            ask: None,
            timestamp: None,
            zoneless: false,
            request: None,
            artifacts: Vec::new(),
            message_ids: Vec::new(),
        }
    }

    #[test]
    fn an_answer_counts_only_when_the_waiting_task_moves_on() {
        let text = shape_reply(None, "approve", Some("red"));
        for state in [
            TaskState::Working,
            TaskState::Submitted,
            TaskState::Completed,
        ] {
            assert!(matches!(
                judge("t1", &task("t1", state, None), &text),
                DeliveryOutcome::Answered { .. }
            ));
        }
        let DeliveryOutcome::NotTaken { note } =
            judge("t1", &task("t2", TaskState::Completed, None), &text)
        else {
            panic!("a new task is not the answer taken");
        };
        assert!(
            note.contains("new task (t2)") && note.contains("task t1"),
            "{note}"
        );
        let DeliveryOutcome::NotTaken { note } = judge(
            "t1",
            &task("t1", TaskState::InputRequired, Some("Which colour?")),
            &text,
        ) else {
            panic!("a task that still waits did not take the answer");
        };
        assert!(
            note.ends_with("after the answer (sent as text): Which colour?"),
            "{note}"
        );
    }
}
