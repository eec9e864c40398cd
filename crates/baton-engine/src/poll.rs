//! One agent's poll: read what its adapter starts from, fetch, keep what changed and the new
//! health in one write (`poller.rs` repeats it on the agent's interval).

use std::sync::Arc;

use baton_core::agent::{AgentConfig, AgentHealth};
use baton_core::views::ChangeEvent;
use chrono::Utc;
use tokio::sync::watch;
use tracing::Instrument;

use crate::adapters::{self, Before, Kept, Needs};
use crate::error::EngineError;
use crate::poll_write::PollWrite;
use crate::quiet::was_steady;
use crate::seen::SeenPoll;
use crate::shared::Shared;
use crate::watch_share::Right;
use baton_store::StoreError;

/// An agent as its poller sees it: the configuration it was started with and its token.
pub(crate) struct AgentRuntime {
    pub config: AgentConfig,
    token: Option<String>,
    /// Set when the token could not be read; every poll fails with it instead of going out
    /// without the token.
    token_error: Option<String>,
    /// Polls of one agent never overlap (the poller's own, and `poll_once`).
    poll_lock: tokio::sync::Mutex<()>,
    /// The cursor and health the last poll stored (None: read them from the store first), so
    /// a poll costs one write and no read.
    last: std::sync::Mutex<Option<(Option<String>, AgentHealth)>>,
    /// The tasks the last stored poll held, so a poll stores only what changed.
    seen: std::sync::Mutex<SeenPoll>,
}

impl AgentRuntime {
    pub fn new(config: AgentConfig, token: Result<Option<String>, String>) -> AgentRuntime {
        let (token, token_error) = match token {
            Ok(token) => (token, None),
            Err(err) => (None, Some(err)),
        };
        AgentRuntime {
            config,
            token,
            token_error,
            poll_lock: tokio::sync::Mutex::new(()),
            last: std::sync::Mutex::new(None),
            seen: std::sync::Mutex::new(SeenPoll::default()),
        }
    }

    /// Starts from the cursor and health read for it already (`None`: its first poll reads
    /// them).
    pub fn starting_from(self, last: Option<(Option<String>, AgentHealth)>) -> AgentRuntime {
        AgentRuntime {
            last: std::sync::Mutex::new(last),
            ..self
        }
    }

    /// When the agent was last polled, as the cursor and health it starts from say (None when
    /// not read yet, or never polled).
    pub fn last_attempt(&self) -> Option<chrono::DateTime<Utc>> {
        let last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        last.as_ref().and_then(|(_, health)| health.last_attempt_at)
    }

    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// The token as loaded: the token (if any), or why it could not be read.
    pub fn token_state(&self) -> Result<Option<String>, String> {
        match &self.token_error {
            Some(err) => Err(err.clone()),
            None => Ok(self.token.clone()),
        }
    }

    /// The tasks of the agent's last stored answer.
    fn known_tasks(&self) -> Arc<baton_core::protocol::KnownTasks> {
        self.seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .known_tasks()
    }

    /// Waits until no poll of this agent is running.
    pub async fn quiesce(&self) {
        drop(self.poll_lock.lock().await);
    }
}

/// How a poll ended (when it was not cancelled).
#[derive(Debug)]
pub(crate) enum PollOutcome {
    /// The poll ran and its health is stored; `error` is the failure, if it failed, and
    /// `pause_ms` the pause the agent asked for with it (`Retry-After`, capped).
    Done {
        health: AgentHealth,
        error: Option<String>,
        pause_ms: Option<u64>,
    },
    /// The agent no longer exists in the store.
    Gone,
    /// The store itself failed (nothing about the agent is known).
    StoreFailed(EngineError),
    /// This engine shares its store and does not hold the agent's lease (any more): nothing
    /// was stored; the reason is said.
    Fenced(String),
}

/// Fires when the poller is asked to stop, or when its handle is dropped.
pub(crate) struct StopSignal(pub(crate) Option<watch::Receiver<bool>>);

impl StopSignal {
    pub fn never() -> StopSignal {
        StopSignal(None)
    }

    pub(crate) async fn stopped(&mut self) {
        match &mut self.0 {
            None => std::future::pending().await,
            Some(rx) => {
                let _ = rx.wait_for(|stop| *stop).await;
            }
        }
    }
}

/// One poll: read what the agent's adapter starts from, let it fetch, then keep what it saw and
/// the new health in one write. Returns `None` when stopped during the fetch; the store phase is
/// never cut short, so a stopped poller leaves no half-written poll behind. A failed fetch never
/// touches stored tasks or events: only the health (and the adapter's notes) are written.
pub(crate) async fn poll(
    shared: &Shared,
    agent: &AgentRuntime,
    stop: &mut StopSignal,
) -> Option<PollOutcome> {
    let _one_at_a_time = agent.poll_lock.lock().await;
    let id = agent.config.id;
    let span = tracing::info_span!("poll", agent_id = id);
    async move {
        // A watcher sharing its store polls only what it holds, within its term.
        if shared.sharing.agent(id) == Right::NotHeld {
            return Some(PollOutcome::Fenced(format!(
                "this watcher does not hold agent {id} now"
            )));
        }
        let adapter = adapters::adapter(agent.config.adapter);
        let needs = adapter.needs();
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
        let ((cursor, health), kept) = match before {
            Ok(found) => found,
            Err(EngineError::AgentNotFound(_)) => return Some(PollOutcome::Gone),
            Err(err) => {
                tracing::warn!(error = %err, "cannot read the agent's state");
                return Some(PollOutcome::StoreFailed(err));
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
                    known: agent.known_tasks(),
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
        // Only tasks and usage windows that changed since the last stored poll go to the store.
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
                let (digests, repeats, first) = {
                    let seen = agent.seen.lock().unwrap_or_else(|p| p.into_inner());
                    let (changed, mut digests) = seen.changed(tasks, known);
                    fetched.doc.tasks = changed;
                    fetched.doc.usage = seen.changed_usage(usage, &mut digests);
                    let doc = &fetched.doc;
                    let repeats = seen.repeats(&doc.agent, &doc.events, &mut digests);
                    (digests, repeats, seen.knows_nothing_stored())
                };
                if first {
                    leave_out_stored(shared, id, &mut fetched.doc.tasks).await;
                }
                (Ok(fetched), Some(digests), repeats)
            }
            Err(message) => (Err(message), None, false),
        };
        // A quiet poll: nothing to store but the health, which waits for the next flush.
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
                *agent.last.lock().unwrap_or_else(|p| p.into_inner()) =
                    Some((cursor, health.clone()));
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
        let previous_cursor = cursor;
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
        let write = PollWrite {
            id,
            fence,
            fetched,
            health,
            quiet_polls,
        };
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
                *agent.last.lock().unwrap_or_else(|p| p.into_inner()) =
                    Some((cursor, health.clone()));
                (summary, health, error)
            }
            Err(EngineError::AgentNotFound(_)) => return Some(PollOutcome::Gone),
            Err(EngineError::Store(err @ StoreError::Fenced { .. })) => {
                return Some(PollOutcome::Fenced(err.to_string()))
            }
            Err(err) => {
                tracing::warn!(error = %err, "cannot store the poll");
                return Some(PollOutcome::StoreFailed(err));
            }
        };
        match &error {
            None => tracing::debug!(latency_ms = health.latency_ms, "poll ok"),
            Some(message) => tracing::info!(
                error = %message,
                failures = health.consecutive_failures,
                "poll failed"
            ),
        }
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
            if !summary.changed_tasks.is_empty() || summary.new_events > 0 || summary.new_usage > 0
            {
                shared.bus.publish(ChangeEvent::Ingested {
                    agent_id: id,
                    tasks: summary.changed_tasks,
                    new_events: summary.new_events,
                    new_usage: summary.new_usage,
                    elsewhere: false,
                });
            }
        }
        shared.bus.publish(ChangeEvent::Health {
            agent_id: id,
            health: health.clone(),
        });
        Some(PollOutcome::Done {
            health,
            error,
            pause_ms: asked_pause_ms,
        })
    }
    .instrument(span)
    .await
}

/// The first poll stored by a poller (it just started, or took the agent over from another
/// watcher) would send every task the agent reports, to be compared with the stored ones under
/// the store's write lock: 200 tasks an agent, 500 agents taken at once, held up every other
/// write for seconds. Those stored as reported already are found first through a reader and
/// left out; when that read fails, all go, and the write compares them as before.
async fn leave_out_stored(shared: &Shared, id: i64, tasks: &mut Vec<baton_core::protocol::Task>) {
    if tasks.is_empty() {
        return;
    }
    let reported = tasks.clone();
    let started = std::time::Instant::now();
    match shared
        .read(move |s| s.tasks_stored_as_reported(id, &reported))
        .await
    {
        Ok(stored) => {
            tracing::debug!(
                reported = tasks.len(),
                stored = stored.len(),
                took_ms = started.elapsed().as_millis(),
                "first poll: the tasks stored as reported read first"
            );
            tasks.retain(|task| !stored.contains(&task.id));
        }
        Err(err) => tracing::debug!(error = %err, "cannot read the stored tasks first"),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use baton_core::agent::AgentDraft;
    use baton_core::protocol::{AgentInfo, StatusDocument, Task};
    use baton_core::task::TaskState;

    use baton_store::StoreHandle;

    use crate::config::EngineConfig;
    use crate::secrets::MemoryTokens;
    use crate::shared::Shared;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_pollers_first_write_leaves_out_the_tasks_stored_as_reported() {
        let location = baton_store::StoreLocation::parse(&baton_testdb::store_url()).unwrap();
        let store = StoreHandle::open_at(&location, 2).unwrap();
        let stored = vec![
            Task::new("same", "Same", TaskState::Working),
            Task::new("moved", "Moved", TaskState::Working),
        ];
        let id = store
            .write_blocking(move |s| {
                let id = s
                    .add_agent(&AgentDraft::new("Researcher", "http://127.0.0.1:9/r"))?
                    .id;
                let doc = StatusDocument {
                    tasks: stored,
                    ..StatusDocument::new(AgentInfo::new("researcher-1"))
                };
                s.ingest(id, &doc, chrono::Utc::now())?;
                Ok(id)
            })
            .unwrap();
        let shared = Shared::new(
            store,
            Arc::new(MemoryTokens::new(None)),
            EngineConfig::default(),
        );
        // Another watcher stored these; this poller took the agent over and polls it first.
        let mut reported = vec![
            Task::new("same", "Same", TaskState::Working),
            Task::new("moved", "Moved", TaskState::Completed),
            Task::new("new", "New", TaskState::Submitted),
        ];
        super::leave_out_stored(&shared, id, &mut reported).await;
        let ids: Vec<&str> = reported.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["moved", "new"]);
    }
}
