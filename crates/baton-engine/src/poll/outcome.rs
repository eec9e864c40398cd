//! How a poll ended, and how its write ended.

use baton_core::agent::AgentHealth;

use crate::error::EngineError;

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
    /// The poll fetched the agent's answer and its write is under way, after the writes of the
    /// polls before it (the poller's next poll goes out on its schedule meanwhile: how that
    /// write ended, when it did not store, is the outcome of a poll after it).
    Storing,
    /// The agent no longer exists in the store.
    Gone,
    /// The store itself failed (nothing about the agent is known).
    StoreFailed(EngineError),
    /// This engine shares its store and does not hold the agent's lease (any more): nothing
    /// was stored; the reason is said.
    Fenced(String),
}

/// How a poll's write ended.
pub(crate) struct Landed {
    pub outcome: PollOutcome,
    /// The document and its cursor are stored (what a poll fetched meanwhile follows it).
    pub stored_document: bool,
}

impl Landed {
    /// A write that stored nothing, with why.
    pub(crate) fn refused(outcome: PollOutcome) -> Landed {
        Landed {
            outcome,
            stored_document: false,
        }
    }
}
