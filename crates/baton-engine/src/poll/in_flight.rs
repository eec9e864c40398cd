//! The writes of a poller's polls under way: the next poll fetches meanwhile, and its write
//! follows theirs (`store.rs` says why). At most two are under way: a poll that finds two waits
//! for the older one before it fetches.

use std::future::Future;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::Instrument;

use super::outcome::{Landed, PollOutcome};
use crate::error::EngineError;

/// The newest write under way; it runs after the one before it (`after`), if any.
pub(crate) struct InFlight {
    /// The cursor stored before the oldest write under way, which the poll of this write
    /// fetched from: what a poll fetching meanwhile asks from too (the events after it are
    /// not all stored yet).
    pub(super) since: Option<String>,
    done: JoinHandle<Landed>,
    /// Becomes true when this write has landed, whatever its outcome.
    landed: watch::Receiver<bool>,
    /// The write before it, until it lands.
    after: Option<watch::Receiver<bool>>,
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
        let after = previous.as_ref().map(|p| p.landed.clone());
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
            after,
        }
    }

    /// The write (and so every write before it) is done: landing it does not wait.
    pub(super) fn is_done(&self) -> bool {
        self.done.is_finished()
    }

    /// The write before this one, while it has not landed.
    pub(super) fn waits_for(&self) -> Option<watch::Receiver<bool>> {
        self.after.clone().filter(|landed| !*landed.borrow())
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
