//! A run's second half: what it found, into the store. A run that found much (the catch-up
//! after a takeover: hundreds of findings at once) writes its findings a slice at a time, each
//! slice a write of its own, and its upkeep (dead letters, SLA expiries, the ledger's and the
//! feed's pruning, a batch of compaction) in one more after them, so that no detector write
//! holds the store's write lock for long:
//! every poll's write, of this watcher and of the others sharing the store, waits for it
//! meanwhile (a write of a few hundred findings held it 100–470 ms on a busy shared store).
//!
//! A slice that fails leaves the slices before it stored: the run reports the error, and the
//! next one starts again from the same marks and finds the same findings, which record as no
//! change where they are already stored as found.

use std::time::{Duration, Instant};

use baton_core::detect::handoff::DeadLetter;
use baton_core::detect::Finding;
use baton_store::findings::RecordedFindings;
use baton_store::watch_leases::Fence;
use chrono::{DateTime, Utc};

use super::pressure::prune_ledger;
use crate::error::EngineError;
use crate::shared::Shared;

/// Most findings one write records.
pub(super) const FINDINGS_PER_WRITE: usize = 64;

/// What a run writes besides its findings, in a write of its own after them.
pub(super) struct Upkeep {
    pub(super) dead_letters: Vec<DeadLetter>,
    /// Escalations' SLAs lapsed: expire them.
    pub(super) expire: bool,
    pub(super) prune_ledger: bool,
    /// The retention is due to compact the store.
    pub(super) compact: bool,
    /// The change feed's old rows are due to go.
    pub(super) prune_feed: bool,
}

impl Upkeep {
    fn is_due(&self) -> bool {
        !self.dead_letters.is_empty()
            || self.expire
            || self.prune_ledger
            || self.compact
            || self.prune_feed
    }

    /// Does it: the escalations expired, and whether the compaction has more to do.
    fn apply(
        &self,
        store: &mut baton_store::Store,
        now: DateTime<Utc>,
    ) -> baton_store::Result<(Vec<i64>, bool)> {
        store.record_dead_letters(&self.dead_letters, now)?;
        let expired = if self.expire {
            store.expire_escalations(now)?
        } else {
            Vec::new()
        };
        if self.prune_ledger {
            prune_ledger(store, now)?;
        }
        let more = self.compact && compact_store(store, now)?;
        if self.prune_feed {
            store.prune_changes(baton_store::changes::KEEP_MS)?;
        }
        Ok((expired, more))
    }
}

/// What the writes of one run did.
#[derive(Default)]
pub(super) struct Recorded {
    pub(super) findings: RecordedFindings,
    /// Escalations expired (their SLA lapsed).
    pub(super) expired: Vec<i64>,
    /// The compaction has more to do.
    pub(super) compact_more: bool,
    pub(super) writes: usize,
    /// How long the writes held the store, in all.
    pub(super) held: Duration,
}

/// Writes `findings` (in slices of [`FINDINGS_PER_WRITE`]), then the upkeep when some is due,
/// each write under `fence` when the store is shared.
pub(super) async fn record(
    shared: &Shared,
    fence: Option<Fence>,
    findings: Vec<Finding>,
    upkeep: Upkeep,
    now: DateTime<Utc>,
) -> Result<Recorded, EngineError> {
    let mut done = Recorded::default();
    let mut findings = findings.into_iter();
    loop {
        let slice: Vec<Finding> = findings.by_ref().take(FINDINGS_PER_WRITE).collect();
        if slice.is_empty() {
            break;
        }
        let (recorded, held) = fenced_write(shared, fence.as_ref(), move |store| {
            store.record_findings(&slice, now)
        })
        .await?;
        done.findings.absorb(recorded);
        done.writes += 1;
        done.held += held;
    }
    if upkeep.is_due() {
        let ((expired, more), held) = fenced_write(shared, fence.as_ref(), move |store| {
            upkeep.apply(store, now)
        })
        .await?;
        done.expired = expired;
        done.compact_more = more;
        done.writes += 1;
        done.held += held;
    }
    Ok(done)
}

/// `work` in a write of its own, once the store says `fence` (if any) still holds; with how long
/// the write held the store.
async fn fenced_write<T: Send + 'static>(
    shared: &Shared,
    fence: Option<&Fence>,
    work: impl FnOnce(&mut baton_store::Store) -> baton_store::Result<T> + Send + 'static,
) -> Result<(T, Duration), EngineError> {
    let fence = fence.cloned();
    shared
        .write(move |store| {
            let began = Instant::now();
            if let Some(fence) = &fence {
                store.check_fence(fence)?;
            }
            let out = work(store)?;
            Ok((out, began.elapsed()))
        })
        .await
}

/// One batch of the retention's compaction; true when more is left.
fn compact_store(store: &mut baton_store::Store, now: DateTime<Utc>) -> baton_store::Result<bool> {
    let done = store.compact(now)?;
    if done.events > 0 || done.task_versions > 0 {
        tracing::info!(
            events = done.events,
            task_versions = done.task_versions,
            more = done.more,
            "compacted the store past its retention"
        );
    }
    Ok(done.more)
}
