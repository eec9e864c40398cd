//! What the detectors' loop keeps between runs.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard};

use baton_core::detect::handoff::HandoffSchemas;
use baton_core::detect::DetectState;
use baton_store::detect_reads::DetectMarks;
use chrono::{DateTime, Utc};

use super::written::WrittenFindings;
use crate::stats::RunTimes;

/// The handoff schemas compiled from what the store held at the last run (recompiled only when
/// that changes).
#[derive(Default)]
pub(crate) struct SchemaCache {
    pub(super) source: Vec<(String, serde_json::Value)>,
    pub(super) compiled: Arc<HandoffSchemas>,
}

impl SchemaCache {
    pub(super) fn update(
        &mut self,
        source: Vec<(String, serde_json::Value)>,
    ) -> Arc<HandoffSchemas> {
        if source != self.source {
            let mut compiled = HandoffSchemas::default();
            for (kind, schema) in &source {
                if let Err(err) = compiled.add(kind, schema) {
                    tracing::warn!(handoff_type = %kind, %err, "a stored handoff schema does not compile");
                }
            }
            self.compiled = Arc::new(compiled);
            self.source = source;
        }
        Arc::clone(&self.compiled)
    }
}

/// State the loop keeps between runs.
#[derive(Default)]
pub(crate) struct LoopState {
    /// Escalations already told as about to lapse.
    pub(super) warned: HashSet<i64>,
    pub(super) schemas: SchemaCache,
    /// What the detectors keep (None: load the window from the store at the next run).
    pub(super) detect: Option<DetectState>,
    /// Where the next read of changes starts (None: from the mark the run is given).
    pub(super) marks: Option<DetectMarks>,
    /// When the rate-limit pressure detector last ran, and whether API calls arrived since.
    pub(super) pressure_at: Option<DateTime<Utc>>,
    pub(super) calls_since_pressure: bool,
    /// The findings as last written: only news is written again.
    pub(super) written: WrittenFindings,
    /// When the retention last compacted the store, and whether it left more to do.
    pub(super) compacted_at: Option<DateTime<Utc>>,
    pub(super) compact_more: bool,
    /// When the store's change feed was last pruned.
    pub(super) feed_pruned_at: Option<DateTime<Utc>>,
    /// How long runs took, under a lock of its own that `Background` shares: a reader of the
    /// figures (`baton watch --stats`, a test) never waits for a run (which holds this state's
    /// lock while it waits its turn to read the store).
    pub(crate) times: Arc<Mutex<RunTimes>>,
}

impl LoopState {
    /// Starts over from the store at the next run (this watcher just took the detectors over
    /// from another, or gave them up).
    pub(super) fn forget(&mut self) {
        self.detect = None;
        self.marks = None;
        self.written = WrittenFindings::default();
    }
}

pub(super) fn lock(state: &Mutex<LoopState>) -> MutexGuard<'_, LoopState> {
    state.lock().unwrap_or_else(|p| p.into_inner())
}
