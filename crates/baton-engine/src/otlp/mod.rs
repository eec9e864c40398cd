//! Baton's OTLP/HTTP receiver (issue 61): while the engine watches, agents and clients that
//! speak OpenTelemetry send their spans (and logs and metrics) to `127.0.0.1:4318`, or where
//! `[otlp] listen` says. GenAI spans become agents, tasks and calls
//! ([`baton_core::otel`]); the coding clients' log events join the sessions their hooks reported
//! (`Store::record_client_events`); metrics are read and counted.
//!
//! * `http`: the three routes, the limits, the answers the specification asks for.
//! * `decode`: protobuf and JSON bodies into [`baton_core::otel::SpanFacts`].
//! * `writer`: the bounded queue to the store (429 when full).
//! * `stats`: what was taken and refused.
//!
//! Off loopback every request must carry the receiver's bearer token, generated once and kept
//! in the OS keyring ([`otlp_token`]); on loopback none is asked.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::task::JoinHandle;

pub mod decode;
mod http;
mod stats;
mod writer;

pub use http::{BODY_TIME, MAX_BODY, MAX_UNZIPPED};
pub use stats::OtlpCounts;
pub(crate) use stats::OtlpStats;
pub use writer::QUEUE;

pub use crate::config::OtlpPlace;
use crate::secrets::TokenStore;
use crate::shared::Shared;

/// The keyring entry of the receiver's token, beside the data folder's answer key.
pub fn otlp_token_entry(answer_key_entry: &str) -> String {
    let suffix = answer_key_entry
        .strip_prefix(crate::config::DEFAULT_ANSWER_KEY_ENTRY)
        .unwrap_or(answer_key_entry);
    format!("otlp-token{suffix}")
}

/// The receiver's bearer token: read from its keyring entry, else made and kept there.
pub async fn otlp_token(tokens: Arc<dyn TokenStore>, entry: &str) -> String {
    let key = crate::notify::keys::answer_key_in(tokens, entry).await;
    key.iter().map(|b| format!("{b:02x}")).collect()
}

/// A running receiver.
pub(crate) struct Receiver {
    address: SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    server: JoinHandle<()>,
    writer: JoinHandle<()>,
}

impl Receiver {
    /// Listens on `address` (port 0: any free one); a token is asked off loopback.
    pub async fn start(
        shared: Arc<Shared>,
        stats: Arc<OtlpStats>,
        address: SocketAddr,
    ) -> std::io::Result<Receiver> {
        let listener = tokio::net::TcpListener::bind(address).await?;
        let address = listener.local_addr()?;
        let token = if address.ip().is_loopback() {
            None
        } else {
            let entry = otlp_token_entry(&shared.config.answer_key_entry);
            Some(otlp_token(Arc::clone(&shared.tokens), &entry).await)
        };
        let (queue, writer) = writer::spawn(Arc::clone(&shared), Arc::clone(&stats));
        let router = http::router(Arc::new(http::HttpState {
            shared,
            queue,
            stats,
            token,
        }));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let served = axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
            if let Err(err) = served {
                tracing::warn!(error = %err, "the OTLP receiver stopped");
            }
        });
        tracing::info!(%address, "OTLP receiver listening");
        Ok(Receiver {
            address,
            stop,
            server,
            writer,
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Stops listening; the requests under way are answered first.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.server.await;
        // The router held the queue's sender: the writer ends once the batches left are written.
        let _ = self.writer.await;
    }
}
