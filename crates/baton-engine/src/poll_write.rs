//! What one poll stores, in one write: under the agent's lease when the store is shared (its
//! fence checked inside the write), the adapter's notes, the document, the agent's health and
//! the poll counts. A poll without notes (every `baton/1` poll) reads first
//! ([`baton_store::ReadFirst`]): the store's writer runs the polls waiting together as one
//! group, in a few round trips however many there are. Once it has committed, what the
//! poller remembers of it and tells ([`Written`]).

use baton_core::agent::AgentHealth;
use baton_core::views::ChangeEvent;
use baton_store::db::{ReadAhead, ReadRows};
use baton_store::watch_leases::Fence;
use baton_store::{IngestSummary, ReadFirst, Store, StoreError};
use chrono::Utc;

use crate::adapters::Note;
use crate::agent_runtime::{AgentRuntime, PollOutcome};
use crate::error::EngineError;
use crate::fetch::Fetched;
use crate::seen::Digests;
use crate::shared::Shared;

/// A poll's write (see the module docs).
pub(crate) struct PollWrite {
    pub id: i64,
    /// The lease the write is made under (None: the store is not shared).
    pub fence: Option<Fence>,
    /// The document, or why the poll failed.
    pub fetched: Result<Fetched, String>,
    /// The agent's health before this poll.
    pub health: AgentHealth,
    /// Quiet polls since the last write, counted with this one.
    pub quiet_polls: u32,
}

/// What a poll's write stored: the ingest's summary, the cursor, the new health, and the
/// poll's failure, if it failed.
pub(crate) type Stored = (
    Option<IngestSummary>,
    Option<String>,
    AgentHealth,
    Option<String>,
);

impl PollWrite {
    /// The write of a poll with notes, as one closure write: the fence, then the notes, then
    /// what the poll read first (the notes may change it).
    pub fn with_notes(
        self,
        notes: Vec<Note>,
    ) -> impl FnOnce(&mut Store) -> baton_store::Result<Stored> + Send + 'static {
        move |s| {
            s.writing_alone(|s| {
                if let Some(fence) = &self.fence {
                    s.check_fence(fence)?;
                }
                for note in &notes {
                    note.keep(s, self.id)?;
                }
                let poll = PollWrite {
                    fence: None,
                    ..self
                };
                let mut ahead = ReadAhead::default();
                poll.reads(&mut ahead);
                let mut rows = s.read_ahead(&ahead)?;
                poll.write(s, &mut rows)
            })
        }
    }

    /// The health this poll leaves, its counts (ok, failed) and its failure, given what the
    /// ingest of its document gave (None when the poll failed before).
    fn outcome(
        &self,
        now: chrono::DateTime<Utc>,
        ingested: Option<Result<&IngestSummary, &str>>,
    ) -> (AgentHealth, u32, u32, Option<String>) {
        let failure = match (&self.fetched, ingested) {
            (Ok(fetched), Some(Ok(summary))) => {
                let mut health = self.health.clone().succeeded(now, fetched.latency_ms);
                let warning = match (fetched.warning.clone(), summary.warning()) {
                    (Some(fetch), Some(events)) => Some(format!("{fetch}; {events}")),
                    (fetch, events) => fetch.or(events),
                };
                if let Some(warning) = warning {
                    health.last_error = Some(warning);
                    health.last_error_at = Some(now);
                }
                return (health, self.quiet_polls + 1, 0, None);
            }
            (_, Some(Err(message))) => message,
            (Err(message), _) => message.as_str(),
            (Ok(_), None) => "the poll's document was not stored",
        };
        let health = self.health.clone().failed(now, failure.to_owned());
        (health, self.quiet_polls, 1, Some(failure.to_owned()))
    }
}

impl ReadFirst for PollWrite {
    type Output = Stored;

    fn key(&self) -> i64 {
        self.id
    }

    fn reads(&self, ahead: &mut ReadAhead) {
        if let Some(fence) = &self.fence {
            Store::fence_reads(fence, ahead);
        }
        match &self.fetched {
            Ok(fetched) => Store::ingest_reads(self.id, &fetched.doc, ahead),
            Err(_) => Store::agent_reads(self.id, ahead),
        }
    }

    fn write(&self, s: &mut Store, rows: &mut ReadRows) -> baton_store::Result<Stored> {
        if let Some(fence) = &self.fence {
            Store::fence_read(fence, rows)?;
        }
        // Stamped in the writer: what it stores is received in commit order (the detectors
        // read what arrived since their last read by that time).
        let now = Utc::now();
        let (summary, cursor) = match &self.fetched {
            Ok(fetched) => {
                match s.undoable(|s| s.ingest_read_ahead(self.id, &fetched.doc, now, rows))? {
                    Ok(summary) => (Some(Ok(summary)), Some(fetched.doc.cursor.clone())),
                    Err(err @ StoreError::AgentNotFound(_)) => return Err(err),
                    Err(err) => (Some(Err(err.to_string())), None),
                }
            }
            Err(_) => {
                Store::agent_read(self.id, rows)?;
                (None, None)
            }
        };
        let ingested = summary.as_ref().map(|s| s.as_ref().map_err(String::as_str));
        let (health, ok, failed, error) = self.outcome(now, ingested);
        s.record_health_later(self.id, &health)?;
        s.count_polls(self.id, now, ok, failed)?;
        Ok((summary.and_then(Result::ok), cursor, health, error))
    }
}

/// What a poll keeps once its write has committed (or failed).
pub(crate) struct Written {
    /// Where the last stored poll left off (kept when this one's document is not stored).
    pub previous_cursor: Option<String>,
    /// What this poll's answer held, remembered once it is stored.
    pub digests: Option<Digests>,
    pub asked_pause_ms: Option<u64>,
}

impl Written {
    /// Remembers what the write stored (so that the next poll sends only what changed) and
    /// tells who listens: how the poll ended.
    pub fn keep(
        self,
        shared: &Shared,
        agent: &AgentRuntime,
        written: Result<Stored, EngineError>,
    ) -> PollOutcome {
        let id = agent.config.id;
        let (summary, health, error) = match written {
            Ok((summary, stored_cursor, health, error)) => {
                let mut seen = agent.seen.lock().unwrap_or_else(|p| p.into_inner());
                match (&summary, self.digests) {
                    (Some(_), Some(digests)) => seen.remember(digests),
                    (None, _) => seen.forget(),
                    _ => {}
                }
                drop(seen);
                let cursor = stored_cursor.or(self.previous_cursor);
                *agent.last.lock().unwrap_or_else(|p| p.into_inner()) =
                    Some((cursor, health.clone()));
                (summary, health, error)
            }
            Err(EngineError::AgentNotFound(_)) => return PollOutcome::Gone,
            Err(EngineError::Store(err @ StoreError::Fenced { .. })) => {
                return PollOutcome::Fenced(err.to_string())
            }
            Err(err) => {
                tracing::warn!(error = %err, "cannot store the poll");
                return PollOutcome::StoreFailed(err);
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
        PollOutcome::Done {
            health,
            error,
            pause_ms: self.asked_pause_ms,
        }
    }
}
