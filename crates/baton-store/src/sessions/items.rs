//! The queue items a hook call opens, filed once the call's own write is committed: by the
//! call, or by a running app after it has answered the hook.

use baton_core::detect::Finding;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::record::ParallelMeet;
use crate::error::Result;
use crate::Store;

/// The queue items a call opens, once its own write is committed: a write collision's and a
/// parallel edit's. Filed by [`ItemsToFile::file`]; a running app files them after it has
/// answered the hook ([`Store::record_hook_filing_later`]), and a hook process on a store far
/// away hands them to a process of its own (kept as JSON in the meantime).
#[derive(Debug, Serialize, Deserialize)]
#[must_use = "the call's queue items are lost unless filed"]
pub struct ItemsToFile {
    pub(super) agent_id: i64,
    pub(super) findings: Vec<Finding>,
    pub(super) parallel: Vec<ParallelMeet>,
    pub(super) found_at: DateTime<Utc>,
}

impl ItemsToFile {
    /// Whether the call opens no item.
    pub fn is_empty(&self) -> bool {
        self.findings.is_empty() && self.parallel.is_empty()
    }

    /// Files the items on `store` (any connection to the call's store).
    pub fn file(self, store: &mut Store) -> Result<()> {
        if !self.findings.is_empty() {
            store.record_findings(&self.findings, self.found_at)?;
        }
        if !self.parallel.is_empty() {
            store.record_parallel_edits(self.agent_id, &self.parallel, self.found_at)?;
        }
        Ok(())
    }
}
