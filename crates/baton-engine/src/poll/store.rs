//! A poll's second half: its write, then what the poller remembers (the cursor, the health,
//! the tasks stored) and tells (the bus) once the write is done.
//!
//! A poller does not wait for its poll's write before the next poll (`in_flight.rs`): on a
//! shared store one writer takes every watcher's writes in turn, and after a takeover the
//! catch-up writes of hundreds of agents queue there for a second or more, longer than their
//! interval (0.5–1.7 s p50 measured). The next poll fetches on its schedule and its write
//! follows: it compares what it fetched with what is stored once the writes before it landed,
//! and writes in the order of the fetches. At most three writes are under way per agent
//! (`MOST_UNDER_WAY`): a poll finding three waits for the oldest before it fetches. It asks
//! with the cursor stored *before* the writes under way (docs/protocol.md: a `since`
//! acknowledges the events up to it, which the agent may then forget, so Baton sends one only
//! once they are stored), and leaves out the events they stored. When one did not store its
//! document (the store failed, the lease was taken, the document was refused), what the polls
//! after it fetched is dropped, and the next poll starts again from the stored cursor.

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use baton_core::views::ChangeEvent;
use baton_store::tasks::StoredAsReported;
use baton_store::StoreError;

use super::outcome::{Landed, PollOutcome};
use super::runtime::{AgentRuntime, TakenTexts};
use crate::adapters::Note;
use crate::error::EngineError;
use crate::poll_write::PollWrite;
use crate::seen::Digests;
use crate::shared::Shared;

/// A poll's write and what to remember once it is done.
pub(super) struct Pending {
    pub write: PollWrite,
    /// The adapter's notes, kept in the same write.
    pub notes: Vec<Note>,
    /// The tasks and usage the write stores (None: the fetch failed).
    pub digests: Option<Digests>,
    /// The first poll the poller stores (it just started, or took the agent over): the tasks
    /// stored as reported are found first and left out ([`leave_out_stored`]).
    pub first_stored: bool,
    /// The cursor stored before this poll (kept when the document is not stored).
    pub previous_cursor: Option<String>,
    /// The pause the agent asked for (`Retry-After`, capped).
    pub pause_ms: Option<u64>,
}

/// Writes a poll, then remembers and tells what it stored.
pub(super) async fn store(shared: &Shared, agent: &AgentRuntime, pending: Pending) -> Landed {
    let Pending {
        mut write,
        notes,
        digests,
        first_stored,
        previous_cursor,
        pause_ms,
    } = pending;
    let id = write.id;
    let lease_epoch = write.fence.as_ref().map(|f| f.epoch);
    let started = std::time::Instant::now();
    // Taken by the first write, whatever it stores: the digests read at a take are not kept
    // for later (an agent down at the take would hold them all).
    let taken = agent
        .taken_texts
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take();
    if let (true, Ok(fetched), true) = (first_stored, &mut write.fetched, digests.is_some()) {
        let texts = &write.reported_digests;
        leave_out_stored(shared, id, &mut fetched.doc.tasks, texts, taken).await;
    }
    let read_ms = started.elapsed().as_millis();
    let written = if notes.is_empty() {
        shared.write_read_first(write).await
    } else {
        shared.write(write.with_notes(notes)).await
    };
    let (summary, health, error) = match written {
        Ok((summary, stored_cursor, health, error)) => {
            let mut seen = agent.seen.lock().unwrap_or_else(|p| p.into_inner());
            match (&summary, digests) {
                (Some(_), Some(digests)) => seen.remember(digests),
                (None, _) => seen.forget(),
                _ => {}
            }
            drop(seen);
            let cursor = stored_cursor.or(previous_cursor);
            *agent.last.lock().unwrap_or_else(|p| p.into_inner()) = Some((cursor, health.clone()));
            (summary, health, error)
        }
        Err(EngineError::AgentNotFound(_)) => return Landed::refused(PollOutcome::Gone),
        Err(EngineError::Store(err @ StoreError::Fenced { .. })) => {
            return Landed::refused(PollOutcome::Fenced(err.to_string()))
        }
        Err(err) => {
            tracing::warn!(error = %err, "cannot store the poll");
            return Landed::refused(PollOutcome::StoreFailed(err));
        }
    };
    // How long the write took (from the poll's fetch to the write done, the read of the first
    // poll's stored tasks included): what the next poll of the agent may wait for.
    let write_ms = started.elapsed().as_millis();
    match &error {
        None => tracing::debug!(
            latency_ms = health.latency_ms,
            read_ms,
            write_ms,
            first_stored,
            "poll ok"
        ),
        Some(message) => tracing::info!(
            error = %message,
            failures = health.consecutive_failures,
            "poll failed"
        ),
    }
    let stored_document = summary.is_some();
    if let Some(summary) = summary {
        if !summary.settled_requests.is_empty() {
            shared.bus.publish(ChangeEvent::Escalations {
                opened: vec![],
                changed: summary.settled_requests.clone(),
                lapsing: vec![],
            });
        }
        if summary.manifest_changed {
            shared
                .bus
                .publish(ChangeEvent::DeclarationsChanged { agent_id: id });
        }
        if summary.new_events > 0 {
            shared.new_events.send_modify(|n| *n = n.wrapping_add(1));
        }
        if !summary.changed_tasks.is_empty() || summary.new_events > 0 || summary.new_usage > 0 {
            shared.bus.publish(ChangeEvent::Ingested {
                agent_id: id,
                tasks: summary.changed_tasks,
                new_events: summary.new_events,
                new_usage: summary.new_usage,
                elsewhere: false,
                lease_epoch,
            });
        }
    }
    shared.bus.publish(ChangeEvent::Health {
        agent_id: id,
        health: health.clone(),
    });
    Landed {
        outcome: PollOutcome::Done {
            health,
            error,
            pause_ms,
        },
        stored_document,
    }
}

/// The first poll stored by a poller (it just started, or took the agent over from another
/// watcher) would send every task the agent reports, to be compared with the stored ones under
/// the store's write lock: 200 tasks an agent, 500 agents taken at once, held up every other
/// write for seconds. Those stored as reported already are left out: each task whose text's
/// digest (`texts`, by id) is the one stored with it. A watcher reads those of all the agents
/// it took in a heartbeat at once (`taken`), while their first polls fetch; the tasks left
/// (changed since the last stored poll, new, or stored without a digest) are few, and the
/// write compares them. Otherwise the poll reads them itself, and compares the others field
/// by field in the same read. When that read fails, all go, and the write compares them as
/// before. It is read with the write, not before the poll returns: the reads of 500 agents
/// taken at once queue for the readers, and the poller's next request does not wait for them.
pub(super) async fn leave_out_stored(
    shared: &Shared,
    id: i64,
    tasks: &mut Vec<baton_core::protocol::Task>,
    texts: &HashMap<String, u64>,
    taken: Option<TakenTexts>,
) {
    if tasks.is_empty() {
        return;
    }
    let counts = &shared.first_polls;
    if let Some(taken) = taken {
        if let Some(kept) = taken.await.get(&id) {
            tasks.retain(|task| !StoredAsReported::settled_by_digest(kept, texts, &task.id));
            counts.polls.fetch_add(1, Ordering::Relaxed);
            let left = u64::try_from(tasks.len()).unwrap_or(u64::MAX);
            counts.tasks_compared.fetch_add(left, Ordering::Relaxed);
            return;
        }
    }
    counts.read_alone.fetch_add(1, Ordering::Relaxed);
    let reported = tasks.clone();
    let texts = texts.clone();
    let started = std::time::Instant::now();
    match shared
        .read(move |s| s.tasks_stored_as_reported(id, &reported, &texts))
        .await
    {
        Ok(stored) => {
            tracing::debug!(
                reported = tasks.len(),
                stored = stored.ids.len(),
                compared = stored.compared,
                took_ms = started.elapsed().as_millis(),
                "first poll: the tasks stored as reported read first"
            );
            counts.polls.fetch_add(1, Ordering::Relaxed);
            let compared = u64::try_from(stored.compared).unwrap_or(u64::MAX);
            counts.tasks_compared.fetch_add(compared, Ordering::Relaxed);
            tasks.retain(|task| !stored.ids.contains(&task.id));
        }
        Err(err) => tracing::debug!(error = %err, "cannot read the stored tasks first"),
    }
}
