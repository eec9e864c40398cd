//! The writes of a poller's polls under way: the next poll fetches meanwhile, and its write
//! follows theirs (`store.rs` says why). At most [`MOST_UNDER_WAY`] are under way: a poll that
//! finds that many waits for the oldest before it fetches.

use std::future::Future;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::Instrument;

use super::outcome::{Landed, PollOutcome};
use crate::error::EngineError;

/// Most writes of one poller's polls under way at once. After a takeover the taker's first
/// write lands 1–2 s after its fetch (its writer takes hundreds of catch-up writes in turn,
/// docs/performance.md): with two under way the third request waited for it; with three the
/// polls keep their schedule while it lands within three intervals (in `watchers_failover`,
/// up to about 170 tasks an answer; at 200 the fourth request waits instead).
pub(super) const MOST_UNDER_WAY: usize = 3;

/// The newest write under way; it runs after the one before it, if any.
pub(crate) struct InFlight {
    /// The cursor stored before the oldest write under way, which the poll of this write
    /// fetched from: what a poll fetching meanwhile asks from too (the events after it are
    /// not all stored yet).
    pub(super) since: Option<String>,
    done: JoinHandle<Landed>,
    /// Becomes true when this write has landed, whatever its outcome.
    landed: watch::Receiver<bool>,
    /// The writes before it that had not landed when it started (their landing), oldest first.
    before: Vec<watch::Receiver<bool>>,
}

impl InFlight {
    /// Starts `write` (a poll's, `store.rs`) on a task of its own, once `previous` has landed
    /// having stored its document; when it did not, `write` never runs (what its poll fetched
    /// followed what was not stored) and it lands with the outcome of `previous`. `since` is
    /// the cursor its poll fetched from.
    pub(super) fn start(
        since: Option<String>,
        previous: Option<InFlight>,
        write: impl Future<Output = Landed> + Send + 'static,
    ) -> InFlight {
        let (landing, landed) = watch::channel(false);
        let before = previous
            .as_ref()
            .map(|p| {
                let mut before: Vec<_> = p.not_landed_before().cloned().collect();
                before.push(p.landed.clone());
                before
            })
            .unwrap_or_default();
        let task = async move {
            let out = match previous {
                Some(previous) => match previous.landed().await {
                    landed if landed.stored_document => write.await,
                    refused => Landed {
                        outcome: refused.outcome,
                        stored_document: false,
                    },
                },
                None => write.await,
            };
            let _ = landing.send(true);
            out
        };
        let done = tokio::spawn(task.instrument(tracing::Span::current()));
        InFlight {
            since,
            done,
            landed,
            before,
        }
    }

    /// The write (and so every write before it) is done: landing it does not wait.
    pub(super) fn is_done(&self) -> bool {
        self.done.is_finished()
    }

    /// The writes before this one still under way. One whose task is gone without landing
    /// (its sender dropped) counts as landed: waiting for it would return at once, and kept
    /// it would be carried down the chain, filling a place under way.
    fn not_landed_before(&self) -> impl Iterator<Item = &watch::Receiver<bool>> {
        self.before
            .iter()
            .filter(|landed| !*landed.borrow() && landed.has_changed().is_ok())
    }

    /// The oldest write under way, when [`MOST_UNDER_WAY`] are (this one and those before it
    /// not landed yet): what a poll waits for before it fetches.
    pub(super) fn oldest_when_full(&self) -> Option<watch::Receiver<bool>> {
        let mut before = self.not_landed_before();
        let oldest = before.next()?;
        (2 + before.count() >= MOST_UNDER_WAY).then(|| oldest.clone())
    }

    /// Waits for the write (and so for every write before it).
    pub(super) async fn landed(self) -> Landed {
        match self.done.await {
            Ok(landed) => landed,
            Err(err) => Landed {
                outcome: PollOutcome::StoreFailed(EngineError::from(err)),
                stored_document: false,
            },
        }
    }
}
