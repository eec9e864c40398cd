//! A poll's write under way: the poller's next poll fetches meanwhile, and waits for it before
//! its own write (`store.rs` says why).

use std::future::Future;

use tokio::task::JoinHandle;
use tracing::Instrument;

use super::outcome::{Landed, PollOutcome};
use crate::error::EngineError;

/// A poll's write under way, on a task of its own (it is never cut short: a poller stopped
/// meanwhile waits for it, `AgentRuntime::quiesce`).
pub(crate) struct InFlight {
    /// The cursor stored before this write (what a poll fetching meanwhile asks from: the
    /// events after it are not all stored yet).
    pub(super) since: Option<String>,
    done: JoinHandle<Landed>,
}

impl InFlight {
    /// Starts `write` (a poll's, `store.rs`) on a task of its own; `since` is the cursor
    /// stored before it.
    pub(super) fn start(
        since: Option<String>,
        write: impl Future<Output = Landed> + Send + 'static,
    ) -> InFlight {
        let done = tokio::spawn(write.instrument(tracing::Span::current()));
        InFlight { since, done }
    }

    /// The write is done (landing it does not wait).
    pub(super) fn is_done(&self) -> bool {
        self.done.is_finished()
    }

    /// Waits for the write.
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
