//! A live session's branch against its repository's default branch (`sessions.base_drift`):
//! which sessions the engine asks git about, and what git said.

use baton_core::hooks::{BaseDrift, LIVE_SESSION_MINUTES};
use chrono::{DateTime, Duration, Utc};

use crate::changes::{self, ChangeKind};
use crate::codec::{json, parse_json, ts};
use crate::db::params;
use crate::error::Result;
use crate::Store;

/// A live session on a branch, in a checkout: what the engine compares with the default branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchSession {
    pub agent_id: i64,
    /// Its checkout's folder.
    pub worktree: String,
    pub branch: String,
}

impl Store {
    /// The sessions live at `now` (not ended, heard within [`LIVE_SESSION_MINUTES`]) that
    /// work on a branch of a checkout, by agent id.
    pub fn live_branch_sessions(&self, now: DateTime<Utc>) -> Result<Vec<BranchSession>> {
        self.db.query_map(
            "SELECT agent_id, repo_root, branch FROM sessions
              WHERE branch IS NOT NULL AND repo_root IS NOT NULL
                AND ended_at IS NULL AND last_seen_at > ?1
              ORDER BY agent_id",
            params![ts(now - Duration::minutes(LIVE_SESSION_MINUTES))],
            |row| {
                Ok(BranchSession {
                    agent_id: row.get(0)?,
                    worktree: row.get(1)?,
                    branch: row.get(2)?,
                })
            },
        )
    }

    /// Keeps how the session's branch stands against the default branch (None: the default
    /// branch has not moved, or cannot be told). Returns whether that changed, not counting
    /// when it was checked.
    pub fn record_base_drift(&mut self, agent_id: i64, drift: Option<&BaseDrift>) -> Result<bool> {
        let before = self.base_drift(agent_id)?;
        let same = |a: &BaseDrift, b: &BaseDrift| {
            a.branch == b.branch && a.moved == b.moved && a.forecast == b.forecast
        };
        let changed = match (&before, drift) {
            (Some(a), Some(b)) => !same(a, b),
            (None, None) => false,
            _ => true,
        };
        let tx = self.write_tx()?;
        tx.execute(
            "UPDATE sessions SET base_drift = ?2 WHERE agent_id = ?1",
            params![agent_id, drift.map(json)],
        )?;
        if changed {
            changes::record(&tx, ChangeKind::Session, agent_id, "")?;
        }
        tx.commit()?;
        Ok(changed)
    }

    /// What was last kept of the session's branch against the default branch.
    pub fn base_drift(&self, agent_id: i64) -> Result<Option<BaseDrift>> {
        let text: Option<Option<String>> = self.db.query_opt(
            "SELECT base_drift FROM sessions WHERE agent_id = ?1",
            params![agent_id],
            |row| row.get(0),
        )?;
        text.flatten()
            .map(|text| parse_json(&text, "sessions.base_drift"))
            .transpose()
    }
}
