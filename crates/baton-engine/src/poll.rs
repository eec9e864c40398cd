//! One poll of one agent: read what its adapter starts from, let it fetch, then keep what it
//! saw and the new health in one write.
//!
//! A poller's polls overlap their writes ([`PollKind::Scheduled`]): once a document is fetched
//! its write goes to the store in a task of its own, and the poll returns, so the next poll
//! starts on time however long the store takes (a shared store's write lock, a server 5 ms
//! away). That next poll fetches from the cursor the write in flight stores, reading the answer
//! against that write's tasks, and waits for the write only before its own: one write of an
//! agent in flight at a time, in order. Should the write in flight not store its cursor (the
//! store failed, the lease was lost, the document was refused), what the next poll fetched from
//! it is dropped unstored and the poll after fetches again from the cursor stored: nothing is
//! lost, and nothing is stored twice.

use std::sync::Arc;

use baton_core::agent::AgentHealth;
use baton_core::views::ChangeEvent;
use chrono::Utc;
use tracing::Instrument;

use crate::adapters::{self, Before, Kept, Needs};
use crate::agent_runtime::{
    settle_in_flight, take_in_flight, AgentRuntime, InFlight, PollOutcome, StopSignal,
};
use crate::error::EngineError;
use crate::poll_write::{PollWrite, Written};
use crate::quiet::was_steady;
use crate::shared::Shared;
use crate::watch_share::Right;

/// Who a poll is for, which says whether it waits for its write (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PollKind {
    /// A poller's, on the agent's schedule: it returns once an answer's write is handed to
    /// the store, its write overlapping the next poll.
    Scheduled,
    /// One asked for (`Engine::poll_once`): it returns once everything is stored.
    AskedFor,
}

/// One poll (see the module docs). Returns `None` when stopped during the fetch; the store
/// phase is never cut short, so a stopped poller leaves no half-written poll behind. A failed
/// fetch never touches stored tasks or events: only the health (and the adapter's notes) are
/// written.
pub(crate) async fn poll(
    shared: &Arc<Shared>,
    agent: &Arc<AgentRuntime>,
    stop: &mut StopSignal,
    kind: PollKind,
) -> Option<PollOutcome> {
    let _one_at_a_time = agent.poll_lock.lock().await;
    let id = agent.config.id;
    let span = tracing::info_span!("poll", agent_id = id);
    let write_span = span.clone();
    async move {
        // A watcher sharing its store polls only what it holds, within its term.
        if shared.sharing.agent(id) == Right::NotHeld {
            return Some(PollOutcome::Fenced(format!(
                "this watcher does not hold agent {id} now"
            )));
        }
        let adapter = adapters::adapter(agent.config.adapter);
        let needs = adapter.needs();
        // A poll whose adapter needs nothing stored fetches from where the write in flight
        // leaves off; any other waits for it first.
        let ahead = {
            let in_flight = agent.in_flight.lock().unwrap_or_else(|p| p.into_inner());
            match in_flight.as_ref() {
                Some(w) if needs == Needs::default() && kind == PollKind::Scheduled => {
                    Some((w.cursor.clone(), Arc::clone(&w.known)))
                }
                _ => None,
            }
        };
        let (cursor, health, kept, known) = match ahead {
            Some((cursor, known)) => (Some(cursor), None, Kept::default(), known),
            None => {
                if let Some(ended) = settle_in_flight(agent).await {
                    return Some(ended);
                }
                let ((cursor, health), kept) = match read_before(shared, agent, needs).await {
                    Ok(found) => found,
                    Err(ended) => return Some(ended),
                };
                (cursor, Some(health), kept, agent.known_tasks())
            }
        };
        // The pause the agent asked for (`Retry-After` on an error answer).
        let mut asked_pause_ms = None;
        let (fetched, notes) = match &agent.token_error {
            Some(err) => (
                Err(format!("cannot read the agent's token: {err}")),
                Vec::new(),
            ),
            None => {
                let before = Before {
                    agent: &agent.config,
                    token: agent.token(),
                    cursor: cursor.as_deref(),
                    known,
                    kept,
                };
                let observed = tokio::select! {
                    observed = adapter.poll(&shared.fetcher, before) => observed,
                    () = stop.stopped() => return None,
                };
                let fetched = observed.fetched.map_err(|err| {
                    asked_pause_ms = err.retry_after_ms();
                    err.to_string()
                });
                (fetched, observed.notes)
            }
        };
        // Fetched ahead of the write in flight: read on only once it stored what this read on from.
        let (cursor, health) = match health {
            Some(health) => (cursor, health),
            None => match settled_to(agent, cursor).await {
                Ok(last) => last,
                Err(ended) => return Some(ended),
            },
        };
        let answer = Answer {
            cursor,
            health,
            fetched,
            notes,
            asked_pause_ms,
        };
        store(shared, agent, answer, kind, write_span).await
    }
    .instrument(span)
    .await
}

/// The cursor and health the last stored poll left, and what the adapter needs besides.
async fn read_before(
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
    before.map_err(|err| match err {
        EngineError::AgentNotFound(_) => PollOutcome::Gone,
        err => {
            tracing::warn!(error = %err, "cannot read the agent's state");
            PollOutcome::StoreFailed(err)
        }
    })
}

/// Waits for the write in flight, which was to store `cursor`: the cursor and health it left,
/// or how it ended when it did not store that cursor (what was fetched from it is dropped).
async fn settled_to(
    agent: &AgentRuntime,
    cursor: Option<String>,
) -> Result<(Option<String>, AgentHealth), PollOutcome> {
    let ended = match take_in_flight(agent) {
        Some(in_flight) => in_flight.settle().await,
        None => PollOutcome::Storing,
    };
    let mut last = agent.last.lock().unwrap_or_else(|p| p.into_inner());
    match (&ended, last.take()) {
        (PollOutcome::Done { .. }, Some((stored, health))) if stored == cursor => {
            Ok((stored, health))
        }
        (_, kept) => {
            *last = kept;
            tracing::debug!("the poll before was not stored: this answer is dropped");
            Err(match ended {
                PollOutcome::Storing => PollOutcome::StoreFailed(EngineError::PollFailed(
                    "the poll before was not stored".into(),
                )),
                ended => ended,
            })
        }
    }
}

/// What one poll fetched, with where the last stored poll left off.
struct Answer {
    cursor: Option<String>,
    health: AgentHealth,
    fetched: Result<crate::fetch::Fetched, String>,
    notes: Vec<crate::adapters::Note>,
    asked_pause_ms: Option<u64>,
}

/// Keeps what the poll fetched: only what changed since the last stored poll, nothing at all
/// for a quiet poll but its health (which waits for the next flush).
async fn store(
    shared: &Arc<Shared>,
    agent: &Arc<AgentRuntime>,
    answer: Answer,
    kind: PollKind,
    span: tracing::Span,
) -> Option<PollOutcome> {
    let id = agent.config.id;
    let Answer {
        cursor,
        health,
        fetched,
        notes,
        asked_pause_ms,
    } = answer;
    let (fetched, digests, repeats) = match fetched {
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
            let seen = agent.seen.lock().unwrap_or_else(|p| p.into_inner());
            let (changed, mut digests) = seen.changed(tasks, known);
            fetched.doc.tasks = changed;
            fetched.doc.usage = seen.changed_usage(usage, &mut digests);
            let repeats = seen.repeats(&fetched.doc.agent, &fetched.doc.events, &mut digests);
            (Ok(fetched), Some(digests), repeats)
        }
        Err(message) => (Err(message), None, false),
    };
    if let Ok(quiet) = &fetched {
        let nothing_new = repeats
            && notes.is_empty()
            && quiet.warning.is_none()
            && quiet.doc.tasks.is_empty()
            && quiet.doc.usage.is_empty()
            && cursor.as_deref() == Some(quiet.doc.cursor.as_str());
        if nothing_new && was_steady(&health) {
            let health = health.succeeded(Utc::now(), quiet.latency_ms);
            if let Some(due) = shared.quiet.keep(id, health.clone()) {
                if let Err(err) = shared.write_healths(due).await {
                    tracing::warn!(error = %err, "cannot store the agents' health");
                }
            }
            *agent.last.lock().unwrap_or_else(|p| p.into_inner()) = Some((cursor, health.clone()));
            tracing::debug!(latency_ms = health.latency_ms, "poll ok, nothing new");
            shared.bus.publish(ChangeEvent::Health {
                agent_id: id,
                health: health.clone(),
            });
            return Some(PollOutcome::Done {
                health,
                error: None,
                pause_ms: None,
            });
        }
    }
    let quiet_polls = shared.quiet.forget(id);
    // The lease the write is made under, checked inside the write's own transaction.
    let fence = match shared.sharing.agent(id) {
        Right::Alone => None,
        Right::Held(fence) => Some(fence),
        Right::NotHeld => {
            return Some(PollOutcome::Fenced(format!(
                "this watcher's lease on agent {id} lapsed before the poll was stored"
            )))
        }
    };
    let ahead = match (&fetched, &digests) {
        (Ok(fetched), Some(digests)) if notes.is_empty() && kind == PollKind::Scheduled => {
            Some((fetched.doc.cursor.clone(), digests.known_tasks()))
        }
        _ => None,
    };
    let write = PollWrite {
        id,
        fence,
        fetched,
        health,
        quiet_polls,
    };
    let after = Written {
        previous_cursor: cursor,
        digests,
        asked_pause_ms,
    };
    if let Some((cursor, known)) = ahead {
        let (shared, agent_held) = (Arc::clone(shared), Arc::clone(agent));
        let task = tokio::spawn(
            async move {
                let written = shared.write_read_first(write).await;
                after.keep(&shared, &agent_held, written)
            }
            .instrument(span),
        );
        *agent.in_flight.lock().unwrap_or_else(|p| p.into_inner()) = Some(InFlight {
            cursor,
            known,
            task,
        });
        return Some(PollOutcome::Storing);
    }
    let written = if notes.is_empty() {
        shared.write_read_first(write).await
    } else {
        shared.write(write.with_notes(notes)).await
    };
    Some(after.keep(shared, agent, written))
}

#[cfg(test)]
mod tests {
    use super::*;
    use baton_core::agent::{AdapterKind, AgentConfig};

    fn agent() -> AgentRuntime {
        let config = AgentConfig {
            id: 7,
            name: "a".into(),
            base_url: "http://127.0.0.1:9".into(),
            poll_interval_ms: 1_000,
            timeout_ms: 500,
            adapter: AdapterKind::Baton,
            has_token: false,
        };
        AgentRuntime::new(config, Ok(None))
    }

    /// `agent` with a write in flight that was to store `cursor`, ends in `ended`, and leaves
    /// `last` as the last stored poll.
    fn in_flight(
        agent: &AgentRuntime,
        cursor: &str,
        ended: PollOutcome,
        last: Option<(Option<String>, AgentHealth)>,
    ) {
        *agent.last.lock().unwrap() = last;
        *agent.in_flight.lock().unwrap() = Some(InFlight {
            cursor: cursor.into(),
            known: Arc::default(),
            task: tokio::spawn(async move { ended }),
        });
    }

    fn done() -> PollOutcome {
        PollOutcome::Done {
            health: AgentHealth::default(),
            error: None,
            pause_ms: None,
        }
    }

    #[tokio::test]
    async fn an_answer_fetched_ahead_reads_on_only_from_the_cursor_the_write_before_stored() {
        let stored = |c: &str| Some((Some(c.to_owned()), AgentHealth::default()));
        // Stored: the answer fetched from its cursor goes on, with the health it left.
        let a = agent();
        in_flight(&a, "c6", done(), stored("c6"));
        let (cursor, _) = settled_to(&a, Some("c6".into())).await.unwrap();
        assert_eq!(cursor.as_deref(), Some("c6"));
        assert!(a.in_flight.lock().unwrap().is_none());
        assert!(a.last.lock().unwrap().is_none(), "taken by the poll");

        // Its document refused (the cursor stayed): dropped; the next poll starts from c5.
        let refused = PollOutcome::Done {
            health: AgentHealth::default(),
            error: Some("refused".into()),
            pause_ms: None,
        };
        in_flight(&a, "c6", refused, stored("c5"));
        let ended = settled_to(&a, Some("c6".into())).await.unwrap_err();
        assert!(
            matches!(ended, PollOutcome::Done { error: Some(_), .. }),
            "{ended:?}"
        );
        assert_eq!(
            a.last.lock().unwrap().as_ref().unwrap().0.as_deref(),
            Some("c5")
        );

        // The store failed, or the lease was lost: dropped, and the poller hears why.
        for ended in [
            PollOutcome::StoreFailed(EngineError::PollFailed("down".into())),
            PollOutcome::Fenced("lapsed".into()),
            PollOutcome::Gone,
        ] {
            in_flight(&a, "c6", ended, stored("c5"));
            let ended = settled_to(&a, Some("c6".into())).await.unwrap_err();
            assert!(!matches!(ended, PollOutcome::Done { .. }), "{ended:?}");
            assert_eq!(
                a.last.lock().unwrap().as_ref().unwrap().0.as_deref(),
                Some("c5")
            );
        }

        // A write that panicked is a store failure, not a poll stored.
        let a = agent();
        *a.in_flight.lock().unwrap() = Some(InFlight {
            cursor: "c6".into(),
            known: Arc::default(),
            task: tokio::spawn(async { panic!("in the write's task") }),
        });
        let ended = settled_to(&a, Some("c6".into())).await.unwrap_err();
        assert!(matches!(ended, PollOutcome::StoreFailed(_)), "{ended:?}");
    }
}
