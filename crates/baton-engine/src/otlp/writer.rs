//! The bounded queue between the receiver's HTTP side and the store: the requests waiting are
//! written together (up to [`SPANS_TOGETHER`] spans and client events), one write at a time,
//! through the engine's one writer, beside the polls' writes. A full queue is answered 429 by the HTTP
//! side (`try_send`), so however fast a sender sends, at most [`QUEUE`] requests wait here and
//! one write of theirs is in the writer's line at a time.

use std::sync::Arc;

use baton_core::otel::{read_spans, ClientEvent, SpanFacts, TraceAgents};
use baton_core::views::ChangeEvent;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::stats::OtlpStats;
use crate::shared::Shared;

/// Requests waiting for the store, at most.
pub const QUEUE: usize = 8;

/// Spans past which the requests waiting are not added to a write (the one that passes it
/// is): a write of a few requests holds the polls' writes up for milliseconds, not longer.
const SPANS_TOGETHER: usize = 4_096;

/// One request's spans or coding clients' events, and where its answer goes.
pub(crate) struct Batch {
    pub spans: Vec<SpanFacts>,
    pub client_events: Vec<ClientEvent>,
    pub reply: oneshot::Sender<Result<(), String>>,
}

/// The loop that writes the queue's batches; it ends when every sender is gone.
pub(crate) fn spawn(
    shared: Arc<Shared>,
    stats: Arc<OtlpStats>,
) -> (mpsc::Sender<Batch>, JoinHandle<()>) {
    let (queue, mut batches) = mpsc::channel::<Batch>(QUEUE);
    let task = tokio::spawn(async move {
        let mut known = TraceAgents::default();
        while let Some(first) = batches.recv().await {
            // The requests that came meanwhile go in the same write (each answered once it
            // is stored): several senders wait one write, not one write each in turn.
            let mut spans = first.spans;
            let mut client_events = first.client_events;
            let mut replies = vec![first.reply];
            while spans.len() + client_events.len() < SPANS_TOGETHER {
                let Ok(next) = batches.try_recv() else { break };
                spans.extend(next.spans);
                client_events.extend(next.client_events);
                replies.push(next.reply);
            }
            let now = chrono::Utc::now();
            let (agents, ignored) = read_spans(&spans, &mut known, now);
            drop(spans);
            stats.add_ignored(ignored);
            let mut outcome = if agents.is_empty() {
                Ok(())
            } else {
                write(&shared, agents, now).await
            };
            if outcome.is_ok() && !client_events.is_empty() {
                outcome = write_client_events(&shared, &stats, client_events, now).await;
            }
            for reply in replies {
                let _ = reply.send(outcome.clone());
            }
        }
    });
    (queue, task)
}

async fn write(
    shared: &Shared,
    agents: Vec<baton_core::otel::AgentSpans>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), String> {
    let stored = shared
        .write(move |store| store.record_spans(&agents, now))
        .await
        .map_err(|err| {
            tracing::warn!(error = %err, "cannot store the spans received");
            err.to_string()
        })?;
    if stored.iter().any(|s| s.added) {
        shared.bus.publish(ChangeEvent::AgentsChanged);
    }
    for agent in stored {
        let summary = agent.summary;
        if summary.new_events > 0 {
            shared.new_events.send_modify(|n| *n = n.wrapping_add(1));
        }
        if !summary.changed_tasks.is_empty() || summary.new_events > 0 || summary.new_usage > 0 {
            shared.bus.publish(ChangeEvent::Ingested {
                agent_id: agent.agent_id,
                tasks: summary.changed_tasks,
                new_events: summary.new_events,
                new_usage: summary.new_usage,
                elsewhere: false,
                lease_epoch: None,
            });
        }
    }
    Ok(())
}

/// The coding clients' events onto their sessions; the sessions that took some are told on
/// the bus as a hook call's are.
async fn write_client_events(
    shared: &Shared,
    stats: &OtlpStats,
    events: Vec<ClientEvent>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), String> {
    let read = events.len();
    let stored = shared
        .write(move |store| store.record_client_events(&events, now))
        .await
        .map_err(|err| {
            tracing::warn!(error = %err, "cannot store the clients' telemetry received");
            err.to_string()
        })?;
    stats.client_events(read - stored.unjoined, stored.unjoined);
    for (agent_id, new_events, new_usage) in stored.sessions {
        if new_events > 0 {
            shared.new_events.send_modify(|n| *n = n.wrapping_add(1));
        }
        if new_events > 0 || new_usage > 0 {
            shared.bus.publish(ChangeEvent::Ingested {
                agent_id,
                tasks: Vec::new(),
                new_events,
                new_usage,
                elsewhere: false,
                lease_epoch: None,
            });
        }
    }
    Ok(())
}
