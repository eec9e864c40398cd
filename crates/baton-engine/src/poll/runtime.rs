//! An agent as its poller sees it, between polls: its configuration and token, the cursor and
//! health its last stored poll left, the tasks that poll held, and the writes of its polls
//! still under way.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use baton_core::agent::{AgentConfig, AgentHealth};
use chrono::Utc;
use tokio::sync::watch;

use super::in_flight::InFlight;
use crate::seen::SeenPoll;

/// The digests of the tasks stored as last reported (by agent, then task id), of every agent a
/// watcher took in one heartbeat: read once for all of them while their first polls fetch,
/// for their first writes (`store::leave_out_stored`).
pub(crate) type TakenTexts = futures_util::future::Shared<
    futures_util::future::BoxFuture<'static, Arc<HashMap<i64, HashMap<String, u64>>>>,
>;

/// An agent as its poller sees it: the configuration it was started with and its token.
pub(crate) struct AgentRuntime {
    pub config: AgentConfig,
    token: Option<String>,
    /// Set when the token could not be read; every poll fails with it instead of going out
    /// without the token.
    pub(super) token_error: Option<String>,
    /// Polls of one agent never overlap (the poller's own, and `poll_once`).
    pub(super) poll_lock: tokio::sync::Mutex<()>,
    /// The cursor and health the last poll stored (None: read them from the store first), so
    /// a poll costs one write and no read.
    pub(super) last: Mutex<Option<(Option<String>, AgentHealth)>>,
    /// The tasks the last stored poll held, so a poll stores only what changed.
    pub(super) seen: Mutex<SeenPoll>,
    /// The digest of the answer of the last poll, when it was quiet (nothing new, health
    /// kept): the same bytes again make a quiet poll without being read.
    pub(super) quiet_answer: Mutex<Option<crate::fetch::AnswerDigest>>,
    /// The newest write of the poller's polls still under way (it follows the one before it,
    /// if that is under way too: `in_flight.rs`).
    pub(super) in_flight: Mutex<Option<InFlight>>,
    /// The digests of its tasks read with those of the other agents taken with it, until its
    /// first write takes them.
    pub(super) taken_texts: Mutex<Option<TakenTexts>>,
    /// On a shared store, the term (epoch) of the lease its first poll was made in: what it
    /// remembers (the cursor, the tasks seen) is of that term ([`AgentRuntime::in_term`]).
    term: Mutex<Option<i64>>,
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
            last: Mutex::new(None),
            seen: Mutex::new(SeenPoll::default()),
            quiet_answer: Mutex::new(None),
            in_flight: Mutex::new(None),
            taken_texts: Mutex::new(None),
            term: Mutex::new(None),
        }
    }

    /// Whether a poll in the lease's term `epoch` is this runtime's to make: its first poll's
    /// term, or the first poll. A watcher that gave the agent up and took it back holds it in
    /// a later term, after another watcher moved its cursor on: a poller of the earlier term
    /// would ask the agent from its own, older cursor.
    pub(super) fn in_term(&self, epoch: i64) -> bool {
        let mut term = self.term.lock().unwrap_or_else(|p| p.into_inner());
        *term.get_or_insert(epoch) == epoch
    }

    /// Its first write leaves out the tasks whose digests `texts` reads with other agents'.
    pub fn with_taken_texts(self, texts: Option<TakenTexts>) -> AgentRuntime {
        AgentRuntime {
            taken_texts: Mutex::new(texts),
            ..self
        }
    }

    /// Starts from the cursor and health read for it already (`None`: its first poll reads
    /// them).
    pub fn starting_from(self, last: Option<(Option<String>, AgentHealth)>) -> AgentRuntime {
        AgentRuntime {
            last: Mutex::new(last),
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
    pub(super) fn known_tasks(&self) -> Arc<baton_core::protocol::KnownTasks> {
        self.seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .known_tasks()
    }

    /// The newest write still under way, if any, taken to wait for (waiting for it waits for
    /// the one before it too).
    pub(super) fn take_in_flight(&self) -> Option<InFlight> {
        self.in_flight
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
    }

    /// Waits until no poll of this agent is running and no write of one is under way.
    pub async fn quiesce(&self) {
        let _one_at_a_time = self.poll_lock.lock().await;
        if let Some(write) = self.take_in_flight() {
            write.landed().await;
        }
    }
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
