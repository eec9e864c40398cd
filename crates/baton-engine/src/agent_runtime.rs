//! An agent as its poller keeps it between polls ([`AgentRuntime`]): its token, where the last
//! stored poll left off, the tasks it held, and the last poll's write while it is under way
//! ([`InFlight`], see `crate::poll`); and how a poll ends ([`PollOutcome`]).

use std::sync::Arc;

use baton_core::agent::{AgentConfig, AgentHealth};
use baton_core::protocol::KnownTasks;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::error::EngineError;
use crate::seen::SeenPoll;

/// An agent as its poller sees it: the configuration it was started with and its token.
pub(crate) struct AgentRuntime {
    pub config: AgentConfig,
    token: Option<String>,
    /// Set when the token could not be read; every poll fails with it instead of going out
    /// without the token.
    pub(crate) token_error: Option<String>,
    /// Polls of one agent never overlap (the poller's own, and `poll_once`); a poll's write
    /// may overlap the next poll (`crate::poll`).
    pub(crate) poll_lock: tokio::sync::Mutex<()>,
    /// The cursor and health the last poll stored (None: read them from the store first), so
    /// a poll costs one write and no read.
    pub(crate) last: std::sync::Mutex<Option<(Option<String>, AgentHealth)>>,
    /// The tasks the last stored poll held, so a poll stores only what changed.
    pub(crate) seen: std::sync::Mutex<SeenPoll>,
    /// The last poll's write, while it is under way.
    pub(crate) in_flight: std::sync::Mutex<Option<InFlight>>,
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
            in_flight: std::sync::Mutex::new(None),
        }
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
    pub(crate) fn known_tasks(&self) -> Arc<baton_core::protocol::KnownTasks> {
        self.seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .known_tasks()
    }

    /// Waits until no poll of this agent is running and its last write has committed.
    pub async fn quiesce(&self) {
        let _no_poll = self.poll_lock.lock().await;
        if let Some(ended) = settle_in_flight(self).await {
            tracing::debug!(
                agent_id = self.config.id,
                ?ended,
                "the last poll's write did not store"
            );
        }
    }
}

/// Fires when the poller is asked to stop, or when its handle is dropped.
pub(crate) struct StopSignal(Option<watch::Receiver<bool>>);

impl StopSignal {
    pub fn never() -> StopSignal {
        StopSignal(None)
    }

    /// Fires once `rx` says stop (or its sender is dropped).
    pub fn on(rx: watch::Receiver<bool>) -> StopSignal {
        StopSignal(Some(rx))
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
    /// The agent answered and what it said is being stored (a scheduled poll, `crate::poll`):
    /// how that ends, the next poll hears.
    Storing,
    /// The agent no longer exists in the store.
    Gone,
    /// The store itself failed (nothing about the agent is known).
    StoreFailed(EngineError),
    /// This engine shares its store and does not hold the agent's lease (any more): nothing
    /// was stored; the reason is said.
    Fenced(String),
}

/// A poll's write still under way, and where its answer leaves off (`crate::poll`).
pub(crate) struct InFlight {
    /// The cursor the write stores.
    pub(crate) cursor: String,
    /// Every task of the answer it stores (the next answer is read against them).
    pub(crate) known: Arc<KnownTasks>,
    /// The write, and what the poll does once it has committed.
    pub(crate) task: JoinHandle<PollOutcome>,
}

impl InFlight {
    /// Waits for the write: how its poll ended.
    pub(crate) async fn settle(self) -> PollOutcome {
        self.task
            .await
            .unwrap_or_else(|err| PollOutcome::StoreFailed(err.into()))
    }
}

/// The write in flight of `agent`, taken.
pub(crate) fn take_in_flight(agent: &AgentRuntime) -> Option<InFlight> {
    agent
        .in_flight
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take()
}

/// Waits for the write in flight of `agent`, if any; what it ended in, unless it was stored.
pub(crate) async fn settle_in_flight(agent: &AgentRuntime) -> Option<PollOutcome> {
    let outcome = take_in_flight(agent)?.settle().await;
    match outcome {
        PollOutcome::Done { .. } | PollOutcome::Storing => None,
        other => Some(other),
    }
}
