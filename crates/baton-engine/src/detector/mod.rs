//! Runs the coordination detectors on their own interval and after each ingest. A run reads
//! what changed since the last one from a reader connection (new events, changed tasks, and the
//! small tables), takes it into the `DetectState` it keeps in memory, detects there (the store
//! is not held while detecting), and records the findings, dead letters and SLA expiries in
//! short writes (`record.rs`: a slice of findings each), or takes no write at all when it has
//! none of them and no upkeep is due (most runs of a quiet fleet: the SLAs due soon are read
//! with the changes, and read again after the write, from a reader, only when one is to be
//! told). Rate-limit pressure reads the usage ledger instead of events (see `pressure.rs`).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use baton_core::escalations::LAPSE_WARNING;
use baton_core::views::ChangeEvent;
use baton_store::findings::RecordedFindings;
use chrono::{DateTime, Utc};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::error::EngineError;
use crate::shared::Shared;
use crate::watch_share::{Right, Turn};
use baton_store::watch_leases::DETECTORS;
use baton_store::StoreError;
use read::{read_and_detect, Found};
use record::Upkeep;

mod pressure;
mod read;
mod record;
mod state;
mod written;

pub use read::LOOKBACK;
use state::lock;
pub(crate) use state::LoopState;

/// What one run changed in the escalation queue.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sweep {
    /// Escalations opened for new findings.
    pub opened: Vec<i64>,
    /// Escalations whose SLA lapsed: now expired (and logged).
    pub expired: Vec<i64>,
    /// Open escalations due within `LAPSE_WARNING` not told before.
    pub lapsing: Vec<i64>,
}

/// One run at `now`. Events received from `from` on are news on the first run (later runs go
/// on from where the last one stopped).
pub(crate) async fn detect_once(
    shared: &Arc<Shared>,
    now: DateTime<Utc>,
    from: DateTime<Utc>,
    state: &Arc<Mutex<LoopState>>,
) -> Result<(RecordedFindings, Sweep), EngineError> {
    let _one_run_at_a_time = shared.detector_turn.lock().await;
    // Sharing the store: the run reads and writes under the detectors' lease. The read checks
    // it too, so that a watcher whose lease was taken from under it stops and says so at its
    // next run, not at the next run that finds something to write (on a fleet it no longer
    // stores anything for, there may be none).
    let fence = match shared.sharing.detectors().0 {
        Right::Alone => None,
        Right::Held(fence) => Some(fence),
        Right::NotHeld => {
            lock(state).forget();
            return Err(EngineError::Store(StoreError::Fenced {
                subject: DETECTORS.to_owned(),
                reason: "this watcher does not hold them now".to_owned(),
            }));
        }
    };
    // The run's reads take turns with the polls' (a turn is a reader connection), but the
    // detecting in between holds none (a run used to hold one for its whole 100–300 ms on a
    // busy fleet).
    let found = {
        let (run_shared, run_state, run_fence) =
            (Arc::clone(shared), Arc::clone(state), fence.clone());
        let profiles = Arc::clone(&shared.profiles);
        let runtime = tokio::runtime::Handle::current();
        crate::low_priority::run("baton-detector", move || {
            read_and_detect(
                &run_shared,
                &runtime,
                &run_state,
                &profiles,
                run_fence,
                now,
                from,
            )
        })
        .await??
    };
    if found.writes_nothing() {
        {
            let mut kept = lock(state);
            kept.marks = Some(found.marks);
            kept.written = found.current;
            kept.compact_more = false;
        }
        let lapsing = if found.lapsing_untold {
            lapsing_soon(shared, now).await
        } else {
            Vec::new()
        };
        return publish(shared, &RecordedFindings::default(), &[], lapsing, state);
    }
    let Found {
        findings,
        current,
        dead_letters,
        marks,
        prune_ledger,
        compact,
        prune_feed,
        expire,
        lapsing_untold,
    } = found;
    let upkeep = Upkeep {
        dead_letters,
        expire,
        prune_ledger,
        compact,
        prune_feed,
    };
    let (recorded, expired) = match record::record(shared, fence, findings, upkeep, now).await {
        Ok(done) => {
            if !done.findings.is_empty() {
                tracing::info!(
                    opened = done.findings.opened.len(),
                    updated = done.findings.updated.len(),
                    escalations = done.findings.escalations.len(),
                    writes = done.writes,
                    write_ms = done.held.as_millis() as u64,
                    "findings"
                );
            }
            let mut kept = lock(state);
            kept.marks = Some(marks);
            kept.written = current;
            kept.compact_more = done.compact_more;
            (done.findings, done.expired)
        }
        Err(err) => {
            // Start again from the store at the next run, from the same marks, so its findings
            // are found again (the slices stored before the failure record as no change).
            lock(state).detect = None;
            return Err(err);
        }
    };
    // The escalations it opened may lapse soon too (an `exception` rule's short SLA).
    let lapsing = if lapsing_untold || !recorded.escalations.is_empty() {
        lapsing_soon(shared, now).await
    } else {
        Vec::new()
    };
    publish(shared, &recorded, &expired, lapsing, state)
}

/// Open escalations due within [`LAPSE_WARNING`] of `now`, read after the run's write (those it
/// opened included) from a reader, outside the store's write lock: read again rather than taken
/// from the run's first read, which could name one decided meanwhile. When the read fails they
/// are told at a later run.
async fn lapsing_soon(shared: &Shared, now: DateTime<Utc>) -> Vec<i64> {
    shared
        .read(move |s| {
            let due = s.escalations_due_before(now + LAPSE_WARNING)?;
            Ok(due.into_iter().map(|(id, _)| id).collect())
        })
        .await
        .unwrap_or_else(|err| {
            tracing::debug!(error = %err, "cannot read the escalations due soon");
            Vec::new()
        })
}

/// Tells the bus what the run changed in the queue.
fn publish(
    shared: &Shared,
    recorded: &RecordedFindings,
    expired: &[i64],
    lapsing: Vec<i64>,
    state: &Mutex<LoopState>,
) -> Result<(RecordedFindings, Sweep), EngineError> {
    if !recorded.is_empty() {
        shared.bus.publish(ChangeEvent::Findings {
            opened: recorded.opened.clone(),
            updated: recorded.updated.clone(),
        });
    }
    let lapsing: Vec<i64> = {
        let mut kept = lock(state);
        lapsing
            .into_iter()
            .filter(|id| kept.warned.insert(*id))
            .collect()
    };
    let mut changed = expired.to_vec();
    changed.extend(recorded.changed_escalations());
    if !recorded.escalations.is_empty() || !changed.is_empty() || !lapsing.is_empty() {
        shared.bus.publish(ChangeEvent::Escalations {
            opened: recorded.escalations.clone(),
            changed,
            lapsing: lapsing.clone(),
        });
    }
    let sweep = Sweep {
        opened: recorded.escalations.clone(),
        expired: expired.to_vec(),
        lapsing,
    };
    Ok((recorded.clone(), sweep))
}

/// The running detector loop; stopping it waits for the current run.
pub(crate) struct Detector {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

/// After an ingest with new events, wait this long for other agents' polls landing at the same
/// moment, then run (one run for a burst).
const SETTLE: Duration = Duration::from_millis(20);

/// Resolves when an ingest stored new events (counted on `Shared::new_events`, apart from
/// the bus, whose thousand health updates a second must not wake the detectors).
async fn new_events(ingests: &mut watch::Receiver<u64>) {
    if ingests.changed().await.is_err() {
        std::future::pending::<()>().await;
    }
}

impl Detector {
    /// Starts the loop: a run every `every` (for the clock-driven detectors: stalls, silent
    /// next stages, SLAs) and one right after each ingest that stored new events, so a
    /// collision is an escalation as soon as its second event is stored. Events received
    /// before `start` are history, not news.
    pub fn spawn(
        shared: Arc<Shared>,
        every: Duration,
        start: DateTime<Utc>,
        state: Arc<Mutex<LoopState>>,
    ) -> Detector {
        let (stop, mut stopped) = watch::channel(false);
        let mut ingests = shared.new_events.subscribe();
        let task = tokio::spawn(async move {
            // The epoch of the detectors' lease this loop runs under (sharing the store).
            let mut held_epoch = None;
            loop {
                let settle = tokio::select! {
                    () = tokio::time::sleep(every) => false,
                    () = new_events(&mut ingests) => true,
                    _ = stopped.wait_for(|s| *s) => break,
                };
                if settle {
                    tokio::time::sleep(SETTLE).await;
                }
                let failover = shared.config.sharing.as_ref().map(|s| s.failover_ms);
                let from = match shared
                    .sharing
                    .detectors_turn(&mut held_epoch, start, failover)
                {
                    Turn::Run { from, fresh } => {
                        if fresh {
                            let _turn = shared.detector_turn.lock().await;
                            lock(&state).forget();
                        }
                        from
                    }
                    Turn::Skip { forget } => {
                        if forget {
                            let _turn = shared.detector_turn.lock().await;
                            lock(&state).forget();
                        }
                        continue;
                    }
                };
                if let Err(err) = detect_once(&shared, Utc::now(), from, &state).await {
                    if let EngineError::Store(fenced @ StoreError::Fenced { .. }) = &err {
                        // Until a heartbeat gives them back, another watcher runs them.
                        if shared.sharing.detectors().0 != Right::NotHeld {
                            shared.sharing.lose_detectors();
                            shared
                                .sharing
                                .note("fenced", format!("stopped running the detectors: {fenced}"));
                        }
                        continue;
                    }
                    if shared.store_health.failed(&shared.bus, &err) {
                        // They run again once the store answers (the pollers wait too).
                        tokio::select! {
                            () = shared.store_health.wait_up() => {}
                            _ = stopped.wait_for(|s| *s) => break,
                        }
                    } else {
                        tracing::warn!(error = %err, "the detectors could not run");
                    }
                }
            }
        });
        Detector { stop, task }
    }

    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}
