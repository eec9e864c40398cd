//! What filing holds while it files one write's findings: the findings as filed, and what it
//! read of the queue (kept up to date as the write changes it).

use std::collections::HashMap;

use baton_core::detect::{EvidenceRef, FindingKind, Severity};
use baton_core::protocol::Event;

/// A finding as it is filed (what was just stored of it).
pub(crate) struct NewFinding {
    pub(super) kind: FindingKind,
    pub(super) severity: Severity,
    pub(super) agents: Vec<i64>,
    pub(super) resource: Option<String>,
    pub(super) summary: String,
    pub(super) evidence: Vec<EvidenceRef>,
}

impl NewFinding {
    pub(crate) fn of(f: &baton_core::detect::Finding) -> NewFinding {
        NewFinding {
            kind: f.kind,
            severity: f.severity,
            agents: f.agents.clone(),
            resource: f.resource.clone(),
            summary: f.summary.clone(),
            evidence: f.evidence.clone(),
        }
    }
}

/// What filing read of the queue during one write, kept up to date as the write changes it:
/// each group's taking item and each item read once per write, however many findings join.
#[derive(Debug, Default)]
pub(crate) struct Filing {
    /// Group key → the item taking its findings, and whether it is open.
    pub(super) taking: HashMap<String, Option<(i64, bool)>>,
    /// (kind, scope) → the open grouped items fresh within the window, newest first (at most
    /// `MAX_OPEN_PER_SCOPE`).
    pub(super) crowded: HashMap<(FindingKind, Option<String>), Vec<i64>>,
    pub(super) items: HashMap<i64, Item>,
    /// Ids taken ahead for the items this write may open (see [`reserve_item_ids`]).
    pub(super) item_ids: Vec<i64>,
    /// Finding id → the events its evidence names, read ahead for the findings of one agent
    /// that may open an item (whose task the item names).
    pub(super) evidence: HashMap<i64, Vec<(i64, Event)>>,
}

/// An item as filing counts into it.
#[derive(Debug)]
pub(super) struct Item {
    pub(super) occurrences: i64,
    pub(super) scope: Option<String>,
    pub(super) resources: Vec<String>,
    /// Its lead finding, and that finding's agents (the item's).
    pub(super) lead: i64,
    pub(super) agents: Vec<i64>,
}
