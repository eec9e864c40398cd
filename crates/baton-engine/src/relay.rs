//! The outbox relay: delivers each stored decision to its agent through the agent's protocol
//! adapter (`crate::adapters`: a `baton/1` agent gets `POST {base}/baton/v1/decisions` with its
//! `Idempotency-Key`, an A2A agent a message on the task that waits), retrying with growing,
//! jittered delays until the agent acknowledges it. The outbox row is only marked delivered
//! after a 2xx, so a decision whose answer was lost (timeout, dropped connection, Baton killed
//! between send and acknowledgement) is sent again with the same key, and the agent, idempotent
//! by key, applies it once. Rows live in the store: pending deliveries resume after a restart.

use std::sync::Arc;
use std::time::Duration;

use baton_core::views::ChangeEvent;
use baton_store::outbox::{DeliveryOutcome, OutboxItem};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use rand::Rng;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

use crate::adapters::{adapter, Delivery, Kept};
use crate::error::EngineError;
use crate::shared::Shared;

/// Rows taken per round.
const BATCH: usize = 32;
/// Deliveries in flight at once.
const IN_FLIGHT: usize = 8;
/// Longest sleep between rounds when nothing is due (a row written by another process, or a
/// clock jump, is picked up within this).
const IDLE: Duration = Duration::from_secs(30);
/// Shortest wait before a retry, whatever the jitter drew.
const MIN_RETRY_MS: u64 = 100;
/// How long a watcher holds the rows it claimed (longer than any delivery takes: an agent's
/// timeout is below its interval). A watcher that dies mid-delivery leaves its rows to the
/// others after this.
const CLAIM_MS: i64 = 60_000;

/// One delivery through the agent's adapter: the agent, what its adapter needs from the store
/// and its token are read first.
async fn deliver(shared: &Shared, item: &OutboxItem) -> Result<DeliveryOutcome, String> {
    let agent_id = item.agent_id;
    let (agent, kept) = shared
        .read(move |s| {
            let agent = s.agent(agent_id)?;
            let kept = Kept::read(s, agent_id, adapter(agent.adapter).needs())?;
            Ok((agent, kept))
        })
        .await
        .map_err(|err| err.to_string())?;
    let token = if agent.has_token {
        shared
            .with_tokens(move |t| t.get(agent_id))
            .await
            .map_err(|err| format!("cannot read the agent's token: {err}"))?
    } else {
        None
    };
    let delivery = Delivery {
        agent: &agent,
        token: token.as_deref(),
        kept: &kept,
        item,
    };
    adapter(agent.adapter)
        .deliver(&shared.fetcher, delivery)
        .await
}

/// One attempt at one row, start to recorded outcome. Returns the escalation it concerns.
async fn attempt(shared: &Shared, item: OutboxItem) -> Result<Option<i64>, EngineError> {
    let agent_id = item.agent_id;
    let outcome = deliver(shared, &item).await;
    let now = Utc::now();
    let outcome = outcome.unwrap_or_else(|error| {
        let failures = item.attempts.saturating_add(1);
        let unit: f64 = rand::rng().random();
        let delay = shared
            .config
            .delivery_backoff
            .delay_ms(failures, unit)
            .max(MIN_RETRY_MS);
        tracing::info!(agent_id, attempts = failures, %error, "decision not delivered yet");
        DeliveryOutcome::Failed {
            error,
            retry_at: now
                + chrono::Duration::milliseconds(i64::try_from(delay).unwrap_or(i64::MAX)),
        }
    });
    match &outcome {
        DeliveryOutcome::Acknowledged { accepted, .. } => {
            tracing::info!(agent_id, accepted, key = %item.idempotency_key, "decision delivered");
        }
        DeliveryOutcome::Answered { sent, .. } => {
            tracing::info!(agent_id, %sent, key = %item.idempotency_key, "answer delivered");
        }
        DeliveryOutcome::NotTaken { note } => {
            tracing::info!(agent_id, %note, key = %item.idempotency_key, "decision not taken");
        }
        DeliveryOutcome::Failed { .. } => {}
    }
    let id = item.id;
    shared
        .write(move |s| s.record_delivery(id, &outcome, now))
        .await
}

/// Delivers every row due at `now`, claimed first so that no other watcher of the store
/// delivers it meanwhile; returns the escalations whose delivery moved on.
pub(crate) async fn deliver_due(
    shared: &Shared,
    now: DateTime<Utc>,
) -> Result<Vec<i64>, EngineError> {
    let claimer = shared.sharing.watcher_id().unwrap_or(0);
    let due = shared
        .write(move |s| s.claim_deliveries(now, BATCH, claimer, CLAIM_MS))
        .await?;
    let results: Vec<_> = futures_util::stream::iter(due)
        .map(|item| attempt(shared, item))
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await;
    let mut changed = Vec::new();
    for result in results {
        if let Some(id) = result? {
            if !changed.contains(&id) {
                changed.push(id);
            }
        }
    }
    Ok(changed)
}

/// The running relay; stopping it abandons attempts in flight (their rows stay pending).
pub(crate) struct Relay {
    stop: watch::Sender<bool>,
    wake: Arc<Notify>,
    task: JoinHandle<()>,
}

impl Relay {
    pub fn spawn(shared: Arc<Shared>) -> Relay {
        let (stop, mut stopped) = watch::channel(false);
        let wake = Arc::new(Notify::new());
        let woken = Arc::clone(&wake);
        let task = tokio::spawn(async move {
            loop {
                let round = async {
                    let changed = deliver_due(&shared, Utc::now()).await?;
                    if !changed.is_empty() {
                        shared.bus.publish(ChangeEvent::Escalations {
                            opened: vec![],
                            changed,
                            lapsing: vec![],
                        });
                    }
                    let claimer = shared.sharing.watcher_id().unwrap_or(0);
                    shared.read(move |s| s.next_delivery_for(claimer)).await
                };
                let (wait, outage) = tokio::select! {
                    result = round => match result {
                        Ok(Some(next)) => ((next - Utc::now()).to_std().unwrap_or(Duration::ZERO).min(IDLE), false),
                        Ok(None) => (IDLE, false),
                        Err(err) if shared.store_health.failed(&shared.bus, &err) => (Duration::ZERO, true),
                        Err(err) => {
                            tracing::warn!(error = %err, "the outbox relay could not run");
                            (Duration::from_secs(1), false)
                        }
                    },
                    _ = stopped.wait_for(|s| *s) => break,
                };
                // The store is out of reach: deliver again as soon as it answers.
                if outage {
                    tokio::select! {
                        () = shared.store_health.wait_up() => {}
                        _ = stopped.wait_for(|s| *s) => break,
                    }
                }
                tokio::select! {
                    () = tokio::time::sleep(wait) => {}
                    () = woken.notified() => {}
                    () = shared.decided_elsewhere.notified() => {}
                    _ = stopped.wait_for(|s| *s) => break,
                }
            }
        });
        Relay { stop, wake, task }
    }

    /// Looks at the outbox now (a decision was just stored).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}
