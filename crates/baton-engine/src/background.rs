//! The engine's loops besides the pollers: the detectors, the outbox relay, the watch for
//! coding sessions and the change feed's follower. They run while polling runs
//! (`Engine::start_all` … `Engine::shutdown`); a viewer (watching off) runs only the feed's
//! follower and the note that somebody can answer the queue.

use std::sync::{Arc, Mutex, MutexGuard};

use baton_store::findings::RecordedFindings;
use chrono::{DateTime, Utc};

use crate::detector::{detect_once, Detector, LoopState, Sweep};
use crate::error::EngineError;
use crate::feed::FeedFollow;
use crate::notify::NotifyLoop;
use crate::relay::Relay;
use crate::sessions::SessionWatch;
use crate::shared::Shared;
use crate::stats::RunTimes;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// While the store does not answer, reads it every second; the pollers go on once it does.
async fn probe_store(shared: Arc<Shared>) {
    loop {
        tokio::time::sleep(crate::store_health::PROBE_EVERY).await;
        if shared.store_health.down().is_none() {
            continue;
        }
        match shared.read(|s| s.schema_version()).await {
            Ok(_) => shared.store_health.recovered(&shared.bus),
            Err(err) => tracing::debug!(error = %err, "the store still does not answer"),
        }
    }
}

pub(crate) struct Background {
    detector: Mutex<Option<Detector>>,
    relay: Mutex<Option<Relay>>,
    /// The routes' notifications and their answers (issue 60).
    notify: Mutex<Option<NotifyLoop>>,
    sessions: Mutex<Option<SessionWatch>>,
    /// What other processes wrote, read from the store's change feed.
    feed: Mutex<Option<FeedFollow>>,
    /// Tries a store that does not answer, every second, until it does.
    probe: Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// What the detectors keep between runs (their window of recent events, compiled schemas,
    /// SLA warnings given), shared by the loop and `detect_once`.
    detect_state: Arc<Mutex<LoopState>>,
    /// How the detector runs went: the state's own figures, read without its lock (a run holds
    /// that while it waits its turn to read the store; a caller of `stats()` waiting for it on a
    /// runtime of one thread kept that turn from coming).
    detect_times: Arc<Mutex<RunTimes>>,
}

impl Default for Background {
    fn default() -> Background {
        let state = LoopState::default();
        let detect_times = Arc::clone(&state.times);
        Background {
            detector: Mutex::default(),
            relay: Mutex::default(),
            notify: Mutex::default(),
            sessions: Mutex::default(),
            feed: Mutex::default(),
            probe: Mutex::default(),
            detect_state: Arc::new(Mutex::new(state)),
            detect_times,
        }
    }
}

impl Background {
    /// Starts the loops that are not running (the detectors only when `detect_every_ms > 0`,
    /// the relay only when enabled; neither with watching off).
    /// The change feed is followed from number `head` (None: from its head when the loop
    /// starts).
    pub fn start(&self, shared: &Arc<Shared>, head: Option<i64>) {
        let watching = shared.config.watching;
        let mut feed = lock(&self.feed);
        if feed.is_none() {
            *feed = Some(FeedFollow::spawn(Arc::clone(shared), head));
        }
        drop(feed);
        let mut sessions = lock(&self.sessions);
        if sessions.is_none() {
            *sessions = Some(SessionWatch::spawn(Arc::clone(shared), watching));
        }
        drop(sessions);
        let mut probe = lock(&self.probe);
        if probe.is_none() {
            *probe = Some(tokio::spawn(probe_store(Arc::clone(shared))));
        }
        drop(probe);
        if !watching {
            return;
        }
        let every = shared.config.detect_every_ms;
        let mut detector = lock(&self.detector);
        if every > 0 && detector.is_none() {
            *detector = Some(Detector::spawn(
                Arc::clone(shared),
                std::time::Duration::from_millis(every),
                Utc::now(),
                Arc::clone(&self.detect_state),
            ));
        }
        drop(detector);
        let mut relay = lock(&self.relay);
        if shared.config.relay && relay.is_none() {
            *relay = Some(Relay::spawn(Arc::clone(shared)));
        }
        drop(relay);
        let mut notify = lock(&self.notify);
        if shared.config.notify && notify.is_none() {
            *notify = Some(NotifyLoop::spawn(Arc::clone(shared)));
        }
    }

    /// Stops both loops and waits for them.
    pub async fn stop(&self) {
        let detector = lock(&self.detector).take();
        if let Some(detector) = detector {
            detector.stop().await;
        }
        let relay = lock(&self.relay).take();
        if let Some(relay) = relay {
            relay.stop().await;
        }
        let notify = lock(&self.notify).take();
        if let Some(notify) = notify {
            notify.stop().await;
        }
        let sessions = lock(&self.sessions).take();
        if let Some(sessions) = sessions {
            sessions.stop().await;
        }
        let feed = lock(&self.feed).take();
        if let Some(feed) = feed {
            feed.stop().await;
        }
        if let Some(probe) = lock(&self.probe).take() {
            probe.abort();
        }
    }

    /// One detector run, with the loop's state.
    pub async fn detect_once(
        &self,
        shared: &Arc<Shared>,
        now: DateTime<Utc>,
        received_after: DateTime<Utc>,
    ) -> Result<(RecordedFindings, Sweep), EngineError> {
        detect_once(shared, now, received_after, &self.detect_state).await
    }

    /// How the detector runs went so far.
    pub fn detector_stats(&self) -> crate::stats::DetectorStats {
        lock(&self.detect_times).summary()
    }

    /// Tells the relay a decision was stored.
    pub fn wake_relay(&self) {
        if let Some(relay) = lock(&self.relay).as_ref() {
            relay.wake();
        }
    }
}
