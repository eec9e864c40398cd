//! The supervisor: keeps one poller per stored agent, and is the one way to add, edit and
//! remove agents (so a poller, a token and the store never disagree).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use baton_core::agent::{AgentConfig, AgentHealth};
use baton_core::views::{ChangeEvent, SecretsStatus};
use baton_store::StoreHandle;
use tokio::sync::broadcast;

mod agents;
mod connection;
mod desktop;
mod escalations;
mod lateness;
mod notify;
mod otlp;
mod ownership;
mod ratelimits;
mod sharing;

use crate::background::Background;
pub use crate::config::{EngineConfig, TokenUpdate, DEFAULT_MAX_REDIRECTS};
use crate::error::EngineError;
use crate::poll::{poll, AgentRuntime, PollOutcome, StopSignal, TakenTexts, Writes};
use crate::poller::{FirstPoll, Poller};
use crate::secrets::TokenStore;
use crate::shared::Shared;
use crate::watch_share::{Right, ShareLoop, ShareNote};

/// The running engine. Cheap to clone; every clone drives the same pollers.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    shared: Arc<Shared>,
    pollers: Mutex<HashMap<i64, Poller>>,
    /// Set by `shutdown`, cleared by `start_all`: while set, no poller is started.
    stopped: AtomicBool,
    /// Serialises the commands that change agents and pollers.
    admin: tokio::sync::Mutex<()>,
    /// The detectors and the outbox relay, while polling runs.
    background: Background,
    /// The heartbeat, while this engine shares its store with other watchers.
    share_loop: Mutex<Option<ShareLoop>>,
    /// The OTLP receiver, while polling runs (issue 61), and its counters.
    otlp: tokio::sync::Mutex<Option<crate::otlp::Receiver>>,
    otlp_stats: Arc<crate::otlp::OtlpStats>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("config", &self.inner.shared.config)
            .field("pollers", &self.pollers().len())
            .finish()
    }
}

impl Engine {
    /// Builds the engine; nothing polls until [`Engine::start_all`] or [`Engine::add_agent`].
    pub fn new(store: StoreHandle, tokens: Arc<dyn TokenStore>, config: EngineConfig) -> Engine {
        Engine {
            inner: Arc::new(Inner {
                shared: Arc::new(Shared::new(store, tokens, config)),
                pollers: Mutex::new(HashMap::new()),
                stopped: AtomicBool::new(false),
                admin: tokio::sync::Mutex::new(()),
                background: Background::default(),
                share_loop: Mutex::new(None),
                otlp: tokio::sync::Mutex::new(None),
                otlp_stats: Arc::default(),
            }),
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<ChangeEvent> {
        self.inner.shared.bus.subscribe()
    }

    /// What this watcher says about sharing the store: agents taken and given back, cut off
    /// from the store, a write refused by its fence.
    pub fn subscribe_sharing(&self) -> broadcast::Receiver<ShareNote> {
        self.inner.shared.sharing.notes.subscribe()
    }

    /// The store the engine writes to (reads and writes of its own go through it too).
    pub fn store(&self) -> StoreHandle {
        self.inner.shared.store.clone()
    }

    /// Runs a read of the store on a reader connection (for the app's and the CLI's views).
    pub async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&baton_store::Store) -> baton_store::Result<T> + Send + 'static,
    ) -> Result<T, EngineError> {
        self.shared().read(f).await
    }

    /// Runs a write in the store's writer (for the app's and the CLI's own changes).
    pub async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut baton_store::Store) -> baton_store::Result<T> + Send + 'static,
    ) -> Result<T, EngineError> {
        self.shared().write(f).await
    }

    pub fn config(&self) -> &EngineConfig {
        &self.inner.shared.config
    }

    pub fn secrets_status(&self) -> SecretsStatus {
        self.inner.shared.tokens.status()
    }

    /// Ids of the agents that have a running poller, sorted.
    pub fn polling(&self) -> Vec<i64> {
        let mut ids: Vec<i64> = self.pollers().keys().copied().collect();
        ids.sort_unstable();
        ids
    }

    /// Starts a poller for every stored agent that has none; returns how many agents are polled.
    /// Sharing the store with other watchers (`EngineConfig::sharing`), only for the agents
    /// this one holds; the heartbeat takes and gives back agents from then on.
    pub async fn start_all(&self) -> Result<usize, EngineError> {
        // The change feed is followed from here: whatever another process writes once this
        // returns is told.
        let head = self.shared().read(|s| s.change_head()).await.ok();
        if !self.config().watching {
            self.inner.stopped.store(false, Ordering::SeqCst);
            self.inner.background.start(self.shared(), head);
            tracing::info!("watching off: a viewer of the store");
            return Ok(0);
        }
        if let Some(sharing) = self.config().sharing.clone() {
            self.inner.stopped.store(false, Ordering::SeqCst);
            let count = self.start_sharing(sharing).await?;
            self.inner.background.start(self.shared(), head);
            self.start_otlp().await;
            tracing::info!(agents = count, "polling started, sharing the store");
            return Ok(count);
        }
        let _admin = self.inner.admin.lock().await;
        self.inner.stopped.store(false, Ordering::SeqCst);
        let (agents, mut lasts) = self
            .shared()
            .read(|s| Ok((s.agents()?, s.cursors_and_healths()?)))
            .await?;
        let agents: Vec<AgentConfig> = agents
            .into_iter()
            .filter(|agent| agent.adapter.is_polled())
            .collect();
        let count = agents.len();
        for agent in agents {
            if !self.pollers().contains_key(&agent.id) {
                let token = self.read_token(&agent).await;
                let last = lasts.remove(&agent.id);
                self.spawn_poller_from(agent, token, FirstPoll::Spread, last, None)
                    .await;
            }
        }
        self.inner.background.start(self.shared(), head);
        self.start_otlp().await;
        tracing::info!(agents = count, "polling started");
        Ok(count)
    }

    /// Polls one agent now, whether or not its poller runs. The poll is recorded like any other;
    /// a failed poll returns [`EngineError::PollFailed`] with the reason shown on the agent's row.
    pub async fn poll_once(&self, id: i64) -> Result<(), EngineError> {
        let running = self.pollers().get(&id).map(|p| Arc::clone(p.runtime()));
        let runtime = match running {
            Some(runtime) => runtime,
            None => {
                let config = self.shared().read(move |s| s.agent(id)).await?;
                let token = self.read_token(&config).await;
                Arc::new(AgentRuntime::new(config, token))
            }
        };
        match poll(
            self.shared(),
            &runtime,
            &mut StopSignal::never(),
            Writes::Awaited,
        )
        .await
        {
            Some(PollOutcome::Done { error: None, .. } | PollOutcome::Storing) => Ok(()),
            Some(PollOutcome::Done {
                error: Some(message),
                ..
            }) => Err(EngineError::PollFailed(message)),
            Some(PollOutcome::Gone) => Err(EngineError::AgentNotFound(id)),
            Some(PollOutcome::StoreFailed(err)) => Err(err),
            Some(PollOutcome::Fenced(why)) => Err(EngineError::PollFailed(why)),
            None => Err(EngineError::ShutDown),
        }
    }

    /// Stops every poller and waits for them; `start_all` starts them again.
    pub async fn shutdown(&self) {
        self.stop_heartbeat().await;
        let _admin = self.inner.admin.lock().await;
        self.inner.stopped.store(true, Ordering::SeqCst);
        let pollers: Vec<Poller> = self.pollers().drain().map(|(_, p)| p).collect();
        let count = pollers.len();
        futures_util::future::join_all(pollers.into_iter().map(Poller::stop)).await;
        let healths = self.shared().quiet.take_all();
        if let Err(err) = self.shared().write_healths(healths).await {
            tracing::warn!(error = %err, "cannot store the agents' health at shutdown");
        }
        self.leave_sharing().await;
        self.stop_otlp().await;
        self.inner.background.stop().await;
        tracing::info!(pollers = count, "engine shut down");
    }

    /// Runs the detectors once at `now` (what the loop does every `detect_every_ms`): over the
    /// events received from `received_after` on when they have not run yet, else over what was
    /// received since their last run. Returns the findings opened and updated.
    pub async fn detect_once(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        received_after: chrono::DateTime<chrono::Utc>,
    ) -> Result<
        (
            baton_store::findings::RecordedFindings,
            crate::detector::Sweep,
        ),
        EngineError,
    > {
        self.inner
            .background
            .detect_once(self.shared(), now, received_after)
            .await
    }

    /// The engine's own figures: detector runs, the store's writer.
    pub fn stats(&self) -> crate::stats::EngineStats {
        crate::stats::EngineStats::new(
            self.inner.background.detector_stats(),
            self.inner.shared.sharing.heartbeat_stats(),
            self.inner.shared.store.writer_stats(),
            self.inner.shared.first_polls.counts(),
            self.inner
                .shared
                .quiet
                .unread
                .load(std::sync::atomic::Ordering::Relaxed),
        )
    }

    /// What the routes sent and which answers they took since the engine started.
    pub fn notify_stats(&self) -> crate::notify::stats::NotifyStats {
        self.inner.shared.notify.read()
    }

    /// Delivers every decision due now, once (what the relay does on its own while polling
    /// runs); returns the escalations whose delivery moved on.
    pub async fn deliver_due(&self) -> Result<Vec<i64>, EngineError> {
        crate::relay::deliver_due(self.shared(), chrono::Utc::now()).await
    }

    /// Tells the relay a decision was stored.
    pub(crate) fn wake_relay(&self) {
        self.inner.background.wake_relay();
    }

    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.inner.shared
    }

    fn pollers(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Poller>> {
        self.inner
            .pollers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The agent's token when it has one; a keyring failure is kept to show on every poll.
    async fn read_token(&self, agent: &AgentConfig) -> Result<Option<String>, String> {
        if !agent.has_token {
            return Ok(None);
        }
        let id = agent.id;
        self.shared()
            .with_tokens(move |t| t.get(id))
            .await
            .map_err(|err| err.to_string())
    }

    /// Starts a poller for the agent (replacing one already running) unless shut down.
    /// Callers hold the admin lock.
    async fn spawn_poller(
        &self,
        config: AgentConfig,
        token: Result<Option<String>, String>,
        first: FirstPoll,
    ) {
        self.spawn_poller_from(config, token, first, None, None)
            .await;
    }

    /// [`Engine::spawn_poller`] with the agent's stored cursor and health read already (for
    /// many agents at once: `Store::cursors_and_healths`), so its first poll reads neither.
    async fn spawn_poller_from(
        &self,
        config: AgentConfig,
        token: Result<Option<String>, String>,
        first: FirstPoll,
        last: Option<(Option<String>, AgentHealth)>,
        texts: Option<TakenTexts>,
    ) {
        if self.inner.stopped.load(Ordering::SeqCst)
            || !config.adapter.is_polled()
            || !self.config().watching
        {
            return;
        }
        // Sharing the store: an agent this watcher does not hold is another's to poll (a new
        // one goes to whoever's heartbeat takes it first: this one's, now).
        if self.shared().sharing.agent(config.id) == Right::NotHeld {
            self.shared().sharing.wake.notify_one();
            return;
        }
        let id = config.id;
        let runtime = AgentRuntime::new(config, token)
            .starting_from(last)
            .with_taken_texts(texts);
        let runtime = Arc::new(runtime);
        let poller = Poller::spawn(Arc::clone(self.shared()), runtime, first);
        let old = self.pollers().insert(id, poller);
        if let Some(old) = old {
            old.stop().await;
        }
    }
}
