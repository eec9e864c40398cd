//! Whether the store answers. A PostgreSQL store can be out of reach for a while (a restart, a
//! network cut); then every poll would fail to keep what it fetched. Rather than back off agent
//! by agent, the pollers wait for the store together: the first to meet the outage marks it
//! (and the bus says so: `ChangeEvent::Store`), a probe in the background tries the store every
//! second, and when it answers the pollers poll again at once. Nothing is lost meanwhile: what
//! a poll fetched but could not keep is fetched again (agents keep events until a later poll's
//! `since` passes them; A2A tasks are read again), and nothing is kept twice (events are unique
//! by agent and sequence).

use std::sync::Mutex;
use std::time::Duration;

use baton_core::views::ChangeEvent;
use baton_store::StoreError;
use chrono::{DateTime, Utc};
use tokio::sync::watch;

use crate::bus::Bus;
use crate::error::EngineError;

/// How often the probe tries a store that does not answer.
pub(crate) const PROBE_EVERY: Duration = Duration::from_secs(1);

/// The store's reachability, shared by the engine's tasks.
pub(crate) struct StoreHealth {
    down: Mutex<Option<(DateTime<Utc>, String)>>,
    up: watch::Sender<bool>,
}

impl Default for StoreHealth {
    fn default() -> Self {
        StoreHealth {
            down: Mutex::new(None),
            up: watch::Sender::new(true),
        }
    }
}

/// True for an error that says the store does not answer (as opposed to refusing a write).
pub(crate) fn is_outage(err: &EngineError) -> Option<(DateTime<Utc>, String)> {
    match err {
        EngineError::Store(StoreError::Unreachable { since, detail, .. }) => {
            Some((*since, detail.clone()))
        }
        _ => None,
    }
}

impl StoreHealth {
    /// Notes `err` when it is an outage (telling the bus the first time); true when it is.
    pub fn failed(&self, bus: &Bus, err: &EngineError) -> bool {
        let Some((since, detail)) = is_outage(err) else {
            return false;
        };
        let mut down = self.down.lock().unwrap_or_else(|p| p.into_inner());
        if down.is_none() {
            tracing::warn!(%detail, "the store does not answer; polling waits for it");
            *down = Some((since, detail.clone()));
            self.up.send_replace(false);
            bus.publish(ChangeEvent::Store {
                unreachable_since: Some(since),
                detail: Some(detail),
            });
        }
        true
    }

    /// The store answered: polling goes on (telling the bus when it was down).
    pub fn recovered(&self, bus: &Bus) {
        let was = self.down.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some((since, _)) = was {
            let out = Utc::now() - since;
            tracing::warn!(
                seconds = out.num_seconds(),
                "the store answers again; polling goes on"
            );
            self.up.send_replace(true);
            bus.publish(ChangeEvent::Store {
                unreachable_since: None,
                detail: None,
            });
        }
    }

    /// Since when the store has not answered, and why.
    pub fn down(&self) -> Option<(DateTime<Utc>, String)> {
        self.down.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Resolves once the store answers (at once when it does).
    pub async fn wait_up(&self) {
        let mut up = self.up.subscribe();
        loop {
            let is_up = *up.borrow_and_update();
            if is_up || up.changed().await.is_err() {
                return;
            }
        }
    }
}
