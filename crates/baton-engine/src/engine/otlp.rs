//! The engine's OTLP receiver (issue 61): started with the polls when the engine watches,
//! where `EngineConfig::otlp` says; stopped with them.

use std::net::SocketAddr;
use std::sync::Arc;

use super::Engine;
use crate::config::OtlpPlace;
use crate::otlp::{OtlpCounts, Receiver};

impl Engine {
    /// Starts the receiver unless it runs, it is off, or the engine only looks. A receiver
    /// that cannot listen (the port is taken: another watcher on this machine has it) is told
    /// in the log and the engine goes on without it.
    pub(super) async fn start_otlp(&self) {
        if !self.config().watching {
            return;
        }
        let mut running = self.inner.otlp.lock().await;
        if running.is_some() {
            return;
        }
        let address = match &self.config().otlp {
            OtlpPlace::Off => return,
            OtlpPlace::At(address) => *address,
            OtlpPlace::Stored => match self.shared().read(|s| s.otlp_settings()).await {
                Ok(settings) if !settings.enabled => return,
                Ok(settings) => match settings.address() {
                    Ok(address) => address,
                    Err(reason) => {
                        tracing::warn!(%reason, "the OTLP receiver's address is not one");
                        return;
                    }
                },
                Err(err) => {
                    tracing::warn!(error = %err, "cannot read where the OTLP receiver listens");
                    return;
                }
            },
        };
        let stats = Arc::clone(&self.inner.otlp_stats);
        match Receiver::start(Arc::clone(self.shared()), stats, address).await {
            Ok(receiver) => *running = Some(receiver),
            Err(err) => {
                tracing::warn!(%address, error = %err, "the OTLP receiver cannot listen; spans sent there are not taken")
            }
        }
    }

    pub(super) async fn stop_otlp(&self) {
        let receiver = self.inner.otlp.lock().await.take();
        if let Some(receiver) = receiver {
            receiver.stop().await;
        }
    }

    /// Where the OTLP receiver listens (None: it does not run).
    pub async fn otlp_address(&self) -> Option<SocketAddr> {
        self.inner.otlp.lock().await.as_ref().map(Receiver::address)
    }

    /// What the OTLP receiver took and refused since the engine started.
    pub fn otlp_stats(&self) -> OtlpCounts {
        self.inner.otlp_stats.counts()
    }
}
