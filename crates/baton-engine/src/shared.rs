//! What the engine's tasks share: the store (one writer, a few readers), the HTTP fetcher, the
//! bus, the tokens, and the counters and caches that pollers and the detector hand each other.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use baton_store::{Store, StoreHandle};
use tokio::sync::{watch, Semaphore};

use crate::bus::Bus;
use crate::config::EngineConfig;
use crate::error::EngineError;
use crate::fetch::Fetcher;
use crate::ledger_cache::LedgerCache;
use crate::quiet::{QuietHealth, QuietPolls};
use crate::secrets::{SecretError, TokenStore};
use crate::store_health::StoreHealth;
use crate::watch_share::ShareState;

/// What every poll needs; one per engine, shared by all pollers.
pub(crate) struct Shared {
    /// One writer thread, a few reader connections.
    pub store: StoreHandle,
    /// Reads running at once: each holds a reader connection and a blocking thread, so the
    /// number of threads stays bounded however many agents are polled.
    pub reads: Semaphore,
    pub tokens: Arc<dyn TokenStore>,
    pub config: EngineConfig,
    pub fetcher: Fetcher,
    pub bus: Bus,
    /// Time-of-day profiles of the APIs, shared by the pressure detector and the view.
    pub profiles: Arc<std::sync::Mutex<LedgerCache>>,
    /// The healths of quiet polls, written together every few seconds.
    pub quiet: QuietHealth,
    /// Counts ingests that stored new events: the detector runs right after one.
    pub new_events: watch::Sender<u64>,
    /// Whether the store answers (a PostgreSQL store may be out of reach for a while).
    pub store_health: StoreHealth,
    /// What this engine holds in a store shared with other watchers (nothing to hold alone).
    pub sharing: ShareState,
    /// Another process decided (the change feed said so): the outbox relay looks at once
    /// rather than at its next idle round.
    pub decided_elsewhere: tokio::sync::Notify,
    /// The pollers' first stored polls, by how they knew what the store held.
    pub first_polls: FirstPolls,
    /// One detector run at a time (the loop's, `Engine::detect_once`'s): a run's thread holds
    /// the detectors' state while it waits for a reader, so a second run waits here, yielding,
    /// rather than on that lock with a worker thread (two workers blocked so left none to
    /// release the reader it waited for).
    pub detector_turn: tokio::sync::Mutex<()>,
    /// What the routes sent and which answers they took (issue 60).
    pub notify: crate::notify::stats::NotifyCounters,
    /// The routes' HTTP client (ntfy servers).
    pub notify_client: reqwest::Client,
}

/// The pollers' first stored polls (a poller just started, or took the agent over) that found
/// which of their tasks are stored as reported (`poll::store::leave_out_stored`); how many
/// tasks they compared field by field or sent to be compared (the others were settled by
/// their text's digest); and how many read the stored digests themselves rather than with
/// the other agents taken in the same heartbeat.
#[derive(Debug, Default)]
pub(crate) struct FirstPolls {
    pub polls: AtomicU64,
    pub tasks_compared: AtomicU64,
    pub read_alone: AtomicU64,
}

impl FirstPolls {
    pub fn counts(&self) -> crate::stats::FirstPollCounts {
        let load = |n: &AtomicU64| n.load(std::sync::atomic::Ordering::Relaxed);
        crate::stats::FirstPollCounts {
            polls: load(&self.polls),
            tasks_compared: load(&self.tasks_compared),
            read_alone: load(&self.read_alone),
        }
    }
}

impl Shared {
    pub fn new(store: StoreHandle, tokens: Arc<dyn TokenStore>, config: EngineConfig) -> Shared {
        let fetcher = Fetcher::new(config.body_cap_bytes, config.max_redirects);
        Shared {
            reads: Semaphore::new(store.reader_count()),
            store,
            tokens,
            config,
            fetcher,
            bus: Bus::new(),
            profiles: Default::default(),
            quiet: Default::default(),
            new_events: watch::Sender::new(0),
            store_health: Default::default(),
            sharing: Default::default(),
            decided_elsewhere: Default::default(),
            first_polls: Default::default(),
            detector_turn: Default::default(),
            notify: Default::default(),
            notify_client: crate::notify::ntfy::client(),
        }
    }

    /// Runs a read on a reader connection, on a blocking thread (at most as many at once as
    /// there are reader connections).
    pub async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Store) -> baton_store::Result<T> + Send + 'static,
    ) -> Result<T, EngineError> {
        let _permit = self
            .reads
            .acquire()
            .await
            .map_err(|_| EngineError::ShutDown)?;
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || store.read_blocking(f))
            .await?
            .map_err(EngineError::from_store)
    }

    /// [`Shared::read`] from a thread of its own outside the runtime (the detectors'): waits for
    /// a turn among the reads as they do, and holds it only while it reads, not while the
    /// thread works on what it read.
    pub fn read_on_this_thread<T: Send + 'static>(
        &self,
        runtime: &tokio::runtime::Handle,
        f: impl FnOnce(&Store) -> baton_store::Result<T> + Send + 'static,
    ) -> Result<T, EngineError> {
        let _permit = runtime
            .block_on(self.reads.acquire())
            .map_err(|_| EngineError::ShutDown)?;
        self.store.read_blocking(f).map_err(EngineError::from_store)
    }

    /// Writes the healths of quiet polls in one job, and counts the polls (an agent removed
    /// meanwhile is skipped; a health older than the stored one is not written over it).
    pub async fn write_healths(&self, healths: Vec<QuietPolls>) -> Result<(), EngineError> {
        if healths.is_empty() {
            return Ok(());
        }
        self.write(move |s| {
            for (id, health, polls) in &healths {
                s.record_health_if_newer_later(*id, health)?;
                let at = health.last_success_at.unwrap_or_else(chrono::Utc::now);
                s.count_polls(*id, at, *polls, 0)?;
            }
            Ok(())
        })
        .await
    }

    /// Runs a write in the writer's next batch and waits for its commit (no thread waits).
    pub async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Store) -> baton_store::Result<T> + Send + 'static,
    ) -> Result<T, EngineError> {
        self.store.write(f).await.map_err(EngineError::from_store)
    }

    /// Runs a write in the store's lane of its own (a heartbeat: it waits behind none of this
    /// process's writes), once [`Shared::open_urgent_lane`] opened it; until then as
    /// [`Shared::write`].
    pub async fn write_urgent<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Store) -> baton_store::Result<T> + Send + 'static,
    ) -> Result<T, EngineError> {
        self.store
            .write_urgent(f)
            .await
            .map_err(EngineError::from_store)
    }

    /// Opens the store's lane for urgent writes (a connection of its own).
    pub async fn open_urgent_lane(&self) -> Result<(), EngineError> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || store.open_urgent_lane())
            .await?
            .map_err(EngineError::from_store)
    }

    /// Runs a write that reads first in the writer's next group and waits for its commit.
    pub async fn write_read_first<W: baton_store::ReadFirst>(
        &self,
        write: W,
    ) -> Result<W::Output, EngineError> {
        self.store
            .write_read_first(write)
            .await
            .map_err(EngineError::from_store)
    }

    /// Runs a token call on the blocking pool (a keyring is an IPC away).
    pub async fn with_tokens<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn TokenStore) -> Result<T, SecretError> + Send + 'static,
    ) -> Result<T, EngineError> {
        let tokens = Arc::clone(&self.tokens);
        Ok(tokio::task::spawn_blocking(move || f(tokens.as_ref())).await??)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{mpsc, Arc};
    use std::time::Duration;

    use baton_store::StoreHandle;

    use super::Shared;
    use crate::config::EngineConfig;
    use crate::secrets::MemoryTokens;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_read_from_a_thread_of_its_own_takes_a_turn_only_while_it_reads() {
        let dir = tempfile::tempdir().unwrap();
        let store = StoreHandle::open(&dir.path().join("baton.sqlite3"), 2).unwrap();
        let shared = Arc::new(Shared::new(
            store,
            Arc::new(MemoryTokens::new(None)),
            EngineConfig::default(),
        ));
        assert_eq!(shared.reads.available_permits(), 2);

        // Every turn taken by the polls' reads: the thread waits for one.
        let polls = shared.reads.acquire_many(2).await.unwrap();
        let (done, finished) = mpsc::channel();
        let (thread_shared, runtime) = (Arc::clone(&shared), tokio::runtime::Handle::current());
        let thread = std::thread::spawn(move || {
            let probe = Arc::clone(&thread_shared);
            let during = thread_shared
                .read_on_this_thread(&runtime, move |s| {
                    s.agents()?;
                    Ok(probe.reads.available_permits())
                })
                .unwrap();
            done.send(()).unwrap();
            // Working on what it read, it holds no turn.
            let after = thread_shared.reads.available_permits();
            (during, after)
        });
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(
            finished.try_recv().is_err(),
            "it read while no turn was free"
        );
        drop(polls);
        let (during, after) = tokio::task::spawn_blocking(move || thread.join().unwrap())
            .await
            .unwrap();
        assert_eq!((during, after), (1, 2));
    }
}
