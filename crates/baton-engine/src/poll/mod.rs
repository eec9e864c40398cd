//! One agent's poll: read what its adapter starts from, fetch, keep what changed and the new
//! health in one write (`store.rs`; `poller.rs` repeats the poll on the agent's interval,
//! each poll fetching while the writes of the last ones are still under way, `in_flight.rs`).

use std::collections::HashMap;
use std::sync::Arc;

use chrono::Utc;
use tracing::Instrument;

use crate::adapters::{self, Before, Kept, Needs, Note};
use crate::error::EngineError;
use crate::poll_write::PollWrite;
use crate::quiet::was_steady;
use crate::shared::Shared;
use crate::watch_share::Right;
use baton_core::agent::AgentHealth;
use baton_core::views::{AgentHealthNow, ChangeEvent};
use baton_store::watch_leases::Fence;
use in_flight::InFlight;
use outcome::Landed;
use store::{store, Pending};

mod in_flight;
mod outcome;
mod runtime;
mod store;

pub(crate) use outcome::PollOutcome;
pub(crate) use runtime::{AgentRuntime, StopSignal, TakenTexts};

/// Whether a poll waits for its write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Writes {
    /// It returns once its write is done (`poll_once`: its caller wants the outcome).
    Awaited,
    /// A poll that fetched returns with its write under way (`PollOutcome::Storing`), after
    /// the writes under way before it (the poller's polls).
    LeftUnderWay,
}

/// One poll: read what the agent's adapter starts from, let it fetch, then keep what it saw and
/// the new health in one write. Returns `None` when stopped during the fetch; the store phase is
/// never cut short, so a stopped poller leaves no half-written poll behind. A failed fetch never
/// touches stored tasks or events: only the health (and the adapter's notes) are written.
///
/// Writes of the poller's last polls may still be under way (`Writes::LeftUnderWay`): this poll
/// fetches from the cursor stored before them (`store.rs`), and its own write follows theirs,
/// leaving out the events they stored; when one did not store its document, what this poll
/// fetched is dropped and the outcome is that write's (the poll after this one says it).
pub(crate) async fn poll(
    shared: &Arc<Shared>,
    agent: &Arc<AgentRuntime>,
    stop: &mut StopSignal,
    writes: Writes,
) -> Option<PollOutcome> {
    let _one_at_a_time = agent.poll_lock.lock().await;
    let id = agent.config.id;
    let span = tracing::info_span!("poll", agent_id = id);
    async move {
        // A watcher sharing its store polls only what it holds, within its term (asked again,
        // with the store, right before the fetch: `may_fetch`).
        if let Err(why_not) = may_poll(shared, agent) {
            return Some(PollOutcome::Fenced(why_not));
        }
        let adapter = adapters::adapter(agent.config.adapter);
        let needs = adapter.needs();
        if let Some(failed) = make_room(agent, needs).await {
            return Some(failed);
        }
        // With writes under way, a fetch asks from the cursor stored before them.
        let under_way_since = agent
            .in_flight
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(|write| write.since.clone());
        let (fetch_cursor, kept, start) = match under_way_since {
            Some(since) => (since, Kept::default(), None),
            None => match read_start(shared, agent, needs).await {
                Ok((last, kept)) => (last.0.clone(), kept, Some(last)),
                Err(outcome) => return Some(outcome),
            },
        };
        // Waiting for room and reading the start can outlast the term the poll began in (a
        // loaded machine, a write queue after a takeover): asked again at the fetch, so that a
        // watcher whose lease lapsed or was taken meanwhile never asks the agent from behind
        // the one that polls it now (its older cursor).
        if let Err(outcome) = may_fetch(shared, agent).await {
            return Some(outcome);
        }
        // With nothing under way and the agent up, the same answer as its last quiet poll's is
        // a quiet poll again, taken here without reading it (`quiet_answer`).
        let quiet = match &start {
            Some((_, health)) if was_steady(health) => {
                *agent.quiet_answer.lock().unwrap_or_else(|p| p.into_inner())
            }
            _ => None,
        };
        // The pause the agent asked for (`Retry-After` on an error answer).
        let mut pause_ms = None;
        let (fetched, notes) = match &agent.token_error {
            Some(err) => (
                Err(format!("cannot read the agent's token: {err}")),
                Vec::new(),
            ),
            None => {
                let before = Before {
                    agent: &agent.config,
                    token: agent.token(),
                    cursor: fetch_cursor.as_deref(),
                    known: agent.known_tasks(),
                    kept,
                    quiet,
                };
                let observed = tokio::select! {
                    observed = adapter.poll(&shared.fetcher, before) => observed,
                    () = stop.stopped() => return None,
                };
                let fetched = observed.fetched.map_err(|err| {
                    pause_ms = err.retry_after_ms();
                    err.to_string()
                });
                (fetched, observed.notes)
            }
        };
        // (Only `fetch_status` answers "the same", and only when asked with a digest, which
        // needs `start`; the adapter that calls it has no notes.)
        if let (Ok(same), Some((cursor, health))) = (&fetched, &start) {
            if same.same_as_quiet {
                debug_assert!(
                    notes.is_empty(),
                    "an adapter with notes read the same answer"
                );
                shared
                    .quiet
                    .unread
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let (cursor, health) = (cursor.clone(), health.clone());
                return Some(quiet_poll(shared, agent, cursor, health, same.latency_ms).await);
            }
        }
        let fetch = Fetch {
            fetched,
            notes,
            pause_ms,
            start,
        };
        match writes {
            Writes::LeftUnderWay if fetch.fetched.is_ok() => {
                let previous = agent.take_in_flight();
                let (shared, writer) = (Arc::clone(shared), Arc::clone(agent));
                let write = InFlight::start(fetch_cursor, previous, async move {
                    finish(&shared, &writer, fetch).await
                });
                *agent.in_flight.lock().unwrap_or_else(|p| p.into_inner()) = Some(write);
                Some(PollOutcome::Storing)
            }
            // A failed fetch writes the health only, after the writes under way.
            _ => {
                if let Some(failed) = land_write_under_way(agent).await {
                    return Some(failed);
                }
                Some(finish(shared, agent, fetch).await.outcome)
            }
        }
    }
    .instrument(span)
    .await
}

/// What a poll fetched, to be stored once the writes before it landed.
struct Fetch {
    fetched: Result<crate::fetch::Fetched, String>,
    /// The adapter's notes, kept in the same write.
    notes: Vec<Note>,
    /// The pause the agent asked for (`Retry-After`, capped).
    pause_ms: Option<u64>,
    /// The cursor and health the poll started from (None: writes were under way; the ones
    /// they leave are read once they landed).
    start: Option<(Option<String>, AgentHealth)>,
}

/// Before a poll fetches: a write under way that is done lands now (when it did not store its
/// document, its outcome is this poll's); an adapter that reads what it starts from waits for
/// every write; a `baton/1` fetch waits only while `MOST_UNDER_WAY` are under way, for the
/// oldest.
async fn make_room(agent: &AgentRuntime, needs: Needs) -> Option<PollOutcome> {
    let (done, oldest) = {
        let in_flight = agent.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        let write = in_flight.as_ref()?;
        (write.is_done(), write.oldest_when_full())
    };
    if done || needs != Needs::default() {
        return land_write_under_way(agent).await;
    }
    if let Some(mut oldest) = oldest {
        // Landed whatever its outcome (or its task gone): the newest write says how it ended.
        let _ = oldest.wait_for(|landed| *landed).await;
    }
    None
}

/// The second half of a poll, once the writes before it landed: compare what it fetched with
/// what is stored and write what changed.
async fn finish(shared: &Arc<Shared>, agent: &Arc<AgentRuntime>, fetch: Fetch) -> Landed {
    let Fetch {
        fetched,
        notes,
        pause_ms,
        start,
    } = fetch;
    let id = agent.config.id;
    let landed_before = start.is_none();
    // Kept again below when this poll is quiet too.
    *agent.quiet_answer.lock().unwrap_or_else(|p| p.into_inner()) = None;
    let (cursor, health) = match start {
        Some(last) => last,
        // The writes before it left the cursor and health they stored.
        None => match read_start(shared, agent, Needs::default()).await {
            Ok((last, _)) => last,
            Err(outcome) => return Landed::refused(outcome),
        },
    };
    // Only tasks and usage windows that changed since the last stored poll go to the store.
    let (fetched, digests, repeats, first_stored) = match fetched {
        Ok(mut fetched) => {
            // Free text over Baton's limits is cut before anything compares or stores it.
            let cut = baton_core::protocol::cut_long_values(&mut fetched.doc);
            if cut > 0 {
                let note = format!(
                    "{cut} value(s) longer than Baton keeps were cut (docs/protocol.md, Limits)"
                );
                fetched.warning = Some(match fetched.warning.take() {
                    Some(before) => format!("{before}; {note}"),
                    None => note,
                });
            }
            let tasks = std::mem::take(&mut fetched.doc.tasks);
            let usage = std::mem::take(&mut fetched.doc.usage);
            let known = fetched.known.take();
            let (digests, repeats, first) = {
                let seen = agent.seen.lock().unwrap_or_else(|p| p.into_inner());
                if landed_before {
                    // Asked from the cursor before those writes: their events came again.
                    seen.leave_out_stored_events(&mut fetched.doc.events);
                }
                let (changed, mut digests) = seen.changed(tasks, known);
                fetched.doc.tasks = changed;
                fetched.doc.usage = seen.changed_usage(usage, &mut digests);
                let doc = &fetched.doc;
                let repeats = seen.repeats(&doc.agent, &doc.events, &mut digests);
                (digests, repeats, seen.knows_nothing_stored())
            };
            (Ok(fetched), Some(digests), repeats, first)
        }
        Err(message) => (Err(message), None, false, false),
    };
    // A quiet poll: nothing to store but the health, which waits for the next flush.
    if let Ok(quiet) = &fetched {
        let nothing_new = repeats
            && notes.is_empty()
            && quiet.warning.is_none()
            && !first_stored
            && quiet.doc.tasks.is_empty()
            && quiet.doc.usage.is_empty()
            && cursor.as_deref() == Some(quiet.doc.cursor.as_str());
        if nothing_new && was_steady(&health) {
            *agent.quiet_answer.lock().unwrap_or_else(|p| p.into_inner()) = quiet.answer;
            let outcome = quiet_poll(shared, agent, cursor, health, quiet.latency_ms).await;
            return Landed {
                outcome,
                stored_document: true,
            };
        }
    }
    let quiet_polls = shared.quiet.forget(id);
    // The lease the write is made under, checked inside the write's own transaction.
    let fence = match shared.sharing.agent(id) {
        Right::Alone => None,
        Right::Held(fence) => Some(fence),
        Right::NotHeld => {
            return Landed::refused(PollOutcome::Fenced(format!(
                "this watcher's lease on agent {id} lapsed before the poll was stored"
            )))
        }
    };
    let reported_digests = match (&fetched, &digests) {
        (Ok(fetched), Some(digests)) => digests.of_tasks(&fetched.doc.tasks),
        _ => HashMap::new(),
    };
    let pending = Pending {
        write: PollWrite {
            id,
            fence,
            fetched,
            reported_digests,
            health,
            quiet_polls,
        },
        notes,
        digests,
        first_stored,
        previous_cursor: cursor,
        pause_ms,
    };
    store(shared, agent, pending).await
}

/// Waits for the writes under way, if any: `Some` with the outcome when one did not store its
/// document (what was fetched meanwhile is to be dropped).
async fn land_write_under_way(agent: &AgentRuntime) -> Option<PollOutcome> {
    let landed = agent.take_in_flight()?.landed().await;
    match landed.outcome {
        PollOutcome::Done { .. } if landed.stored_document => None,
        outcome => Some(outcome),
    }
}

/// Whether this watcher may poll `agent` now, from what its last heartbeat says (no store
/// read): the fence its writes carry (None: it is alone), or why it may not.
fn may_poll(shared: &Shared, agent: &AgentRuntime) -> Result<Option<Fence>, String> {
    let id = agent.config.id;
    let why_not = match shared.sharing.agent(id) {
        Right::Alone => return Ok(None),
        // A term after the one this poller began in (the agent given up, then taken back):
        // the heartbeat starts a poller that reads the store afresh.
        Right::Held(fence) if agent.in_term(fence.epoch) => return Ok(Some(fence)),
        Right::Held(_) => format!("agent {id} is held in a later term than this poller's"),
        Right::NotHeld => format!("this watcher does not hold agent {id} now"),
    };
    Err(why_not)
}

/// [`may_poll`] at the moment of the fetch; for an agent this watcher offers, the store says
/// too: another may have taken it since the last heartbeat, and the giver must never ask the
/// agent from behind the taker in the moments before its heartbeat hears of the take.
async fn may_fetch(shared: &Shared, agent: &AgentRuntime) -> Result<(), PollOutcome> {
    match may_poll(shared, agent).map_err(PollOutcome::Fenced)? {
        Some(fence) if shared.sharing.offers(agent.config.id) => still_held(shared, fence).await,
        _ => Ok(()),
    }
}

/// Whether the store still gives this watcher the lease `fence` names (one read); the
/// outcome that stops the poll when it does not, or when the store cannot say.
async fn still_held(shared: &Shared, fence: Fence) -> Result<(), PollOutcome> {
    match shared.read(move |s| s.check_fence(&fence)).await {
        Ok(()) => Ok(()),
        Err(EngineError::Store(err @ baton_store::StoreError::Fenced { .. })) => {
            Err(PollOutcome::Fenced(err.to_string()))
        }
        Err(err) => Err(PollOutcome::StoreFailed(err)),
    }
}

/// The cursor and health the agent's last stored poll left (kept in memory since, or read),
/// and what its adapter `needs` read from the store; the outcome when that read fails.
async fn read_start(
    shared: &Shared,
    agent: &AgentRuntime,
    needs: Needs,
) -> Result<((Option<String>, AgentHealth), Kept), PollOutcome> {
    let id = agent.config.id;
    // A poll whose adapter needs nothing stored, after one that kept its cursor and health,
    // reads nothing.
    let kept_last = agent.last.lock().unwrap_or_else(|p| p.into_inner()).take();
    let before = match kept_last {
        Some(last) if needs == Needs::default() => Ok((last, Kept::default())),
        kept_last => {
            shared
                .read(move |s| {
                    let last = match kept_last {
                        Some(last) => last,
                        None => (s.cursor(id)?, s.health(id)?),
                    };
                    Ok((last, Kept::read(s, id, needs)?))
                })
                .await
        }
    };
    match before {
        Ok(found) => Ok(found),
        Err(EngineError::AgentNotFound(_)) => Err(PollOutcome::Gone),
        Err(err) => {
            tracing::warn!(error = %err, "cannot read the agent's state");
            Err(PollOutcome::StoreFailed(err))
        }
    }
}

/// A poll with nothing new: its health waits for the next flush of quiet polls' healths, and
/// is published with them (`ChangeEvent::Healths`).
async fn quiet_poll(
    shared: &Shared,
    agent: &AgentRuntime,
    cursor: Option<String>,
    health: AgentHealth,
    latency_ms: u64,
) -> PollOutcome {
    let id = agent.config.id;
    let health = health.succeeded(Utc::now(), latency_ms);
    *agent.last.lock().unwrap_or_else(|p| p.into_inner()) = Some((cursor, health.clone()));
    tracing::debug!(latency_ms = health.latency_ms, "poll ok, nothing new");
    if let Some(due) = shared.quiet.keep(id, health.clone()) {
        let healths = due
            .iter()
            .map(|(agent_id, health, _)| AgentHealthNow {
                agent_id: *agent_id,
                health: health.clone(),
            })
            .collect();
        match shared.write_healths(due).await {
            Ok(()) => shared.bus.publish(ChangeEvent::Healths { healths }),
            Err(err) => tracing::warn!(error = %err, "cannot store the agents' health"),
        }
    }
    PollOutcome::Done {
        health,
        error: None,
        pause_ms: None,
    }
}

#[cfg(test)]
mod tests;
