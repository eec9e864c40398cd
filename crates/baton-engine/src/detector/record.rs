//! A run's second half: what it found, into the store. A run that found much (the catch-up
//! after a takeover: hundreds of findings at once) writes its findings a slice at a time, each
//! slice a write of its own, so that no detector write holds the store's write lock for long:
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

/// What a run writes besides its findings; the first write does it.
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

/// Writes `findings` (in slices of [`FINDINGS_PER_WRITE`]) and the upkeep, each write under
/// `fence` when the store is shared.
pub(super) async fn record(
    shared: &Shared,
    fence: Option<Fence>,
    mut findings: Vec<Finding>,
    upkeep: Upkeep,
    now: DateTime<Utc>,
) -> Result<Recorded, EngineError> {
    let mut done = Recorded::default();
    let mut upkeep = Some(upkeep);
    while upkeep.is_some() || !findings.is_empty() {
        let slice: Vec<Finding> = findings
            .drain(..findings.len().min(FINDINGS_PER_WRITE))
            .collect();
        let fence = fence.clone();
        let first = upkeep.take();
        let (findings_now, expired, more, held) = shared
            .write(move |store| {
                let began = Instant::now();
                if let Some(fence) = &fence {
                    store.check_fence(fence)?;
                }
                let Some(upkeep) = first else {
                    let recorded = store.record_findings(&slice, now)?;
                    return Ok((recorded, Vec::new(), false, began.elapsed()));
                };
                store.record_dead_letters(&upkeep.dead_letters, now)?;
                let recorded = store.record_findings(&slice, now)?;
                let expired = if upkeep.expire {
                    store.expire_escalations(now)?
                } else {
                    Vec::new()
                };
                if upkeep.prune_ledger {
                    prune_ledger(store, now)?;
                }
                let more = upkeep.compact && compact_store(store, now)?;
                if upkeep.prune_feed {
                    store.prune_changes(baton_store::changes::KEEP_MS)?;
                }
                Ok((recorded, expired, more, began.elapsed()))
            })
            .await?;
        done.findings.absorb(findings_now);
        done.expired.extend(expired);
        done.compact_more |= more;
        done.writes += 1;
        done.held += held;
    }
    Ok(done)
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
