//! What one poll stores, in one write: under the agent's lease when the store is shared (its
//! fence checked inside the write), the adapter's notes, the document, the agent's health and
//! the poll counts. A poll without notes (every `baton/1` poll) reads first
//! ([`baton_store::ReadFirst`]): the store's writer runs the polls waiting together as one
//! group, in a few round trips however many there are.

use std::collections::HashMap;

use baton_core::agent::AgentHealth;
use baton_store::db::{ReadAhead, ReadRows};
use baton_store::watch_leases::Fence;
use baton_store::{IngestSummary, ReadFirst, Store, StoreError};
use chrono::Utc;

use crate::adapters::Note;
use crate::fetch::Fetched;

/// A poll's write (see the module docs).
pub(crate) struct PollWrite {
    pub id: i64,
    /// The lease the write is made under (None: the store is not shared).
    pub fence: Option<Fence>,
    /// The document, or why the poll failed.
    pub fetched: Result<Fetched, String>,
    /// The digest of the text each task of the document was read from, by task id, kept with
    /// the task ([`baton_store::Store::reported_digests`]).
    pub reported_digests: HashMap<String, u64>,
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
                let digests = &self.reported_digests;
                let doc = &fetched.doc;
                match s.undoable(|s| s.ingest_read_ahead(self.id, doc, digests, now, rows))? {
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
