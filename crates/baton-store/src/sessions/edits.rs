//! Parallel edits as stored: one item per repository beside its finding (`parallel_edits`:
//! the repository, when a branch last wrote and when git was last asked), its branches and
//! their checkouts (`parallel_edit_branches`), and each pair of branches that changes the same
//! files with those files and git's forecast of merging the two (`parallel_edit_pairs`); and
//! each live branch's edits of a repository's files, for the ownership map.

use crate::db::{params, Db, Row};
pub use baton_core::hooks::ParallelEdit;
use baton_core::hooks::{
    branches_of, files_of, repository_label, BranchPair, MergeForecast, ParallelBranch,
    ParallelBranches, LIVE_SESSION_MINUTES,
};
use baton_core::rules::MapBranchEdit;
use chrono::{DateTime, Duration, Utc};

use crate::codec::{parse_json, parse_opt_ts, parse_ts, ts};
use crate::error::Result;

/// What git said of one pair of a parallel edit's branches now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MergeCheck {
    /// The two still change these files (both sides), and merging them would do this.
    Overlap {
        files: Vec<String>,
        forecast: MergeForecast,
    },
    /// They no longer overlap (a branch merged, deleted, its checkout gone, the edits undone):
    /// why.
    Over(String),
}

/// What git said of the pair `branch_a`, `branch_b` (in `branch_pair` order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairCheck {
    pub branch_a: String,
    pub branch_b: String,
    pub check: MergeCheck,
}

pub(super) const COLS: &str = "finding_id, repository, repository_name, written_at, checked_at";

/// An item's row, its branches and pairs still to be read ([`fill`]).
pub(super) fn read_edit(row: &Row<'_>) -> Result<ParallelEdit> {
    let repository: String = row.get(1)?;
    // Kept since schema 17; an edit from before is named from its identity.
    let repository_name = row
        .get::<Option<String>>(2)?
        .unwrap_or_else(|| repository_label(&repository, None));
    Ok(ParallelEdit {
        finding_id: row.get(0)?,
        repository,
        repository_name,
        branches: Vec::new(),
        pairs: Vec::new(),
        files: Vec::new(),
        written_at: parse_ts(&row.get::<String>(3)?)?,
        checked_at: parse_opt_ts(row.get(4)?)?,
    })
}

/// The pairs of branches of item `finding_id`, in `branch_pair` order.
pub(super) fn pairs_in(tx: &Db, finding_id: i64) -> Result<Vec<BranchPair>> {
    tx.query_map(
        "SELECT branch_a, branch_b, files, forecast FROM parallel_edit_pairs
          WHERE finding_id = ?1 ORDER BY branch_a, branch_b",
        params![finding_id],
        |row| {
            let forecast: Option<String> = row.get(3)?;
            Ok(BranchPair {
                branch_a: row.get(0)?,
                branch_b: row.get(1)?,
                files: parse_json(&row.get::<String>(2)?, "parallel edit files")?,
                forecast: forecast
                    .map(|text| parse_json(&text, "merge forecast"))
                    .transpose()?,
            })
        },
    )
}

/// Reads `edit`'s branches and pairs, and its files from them.
pub(super) fn fill(tx: &Db, edit: &mut ParallelEdit) -> Result<()> {
    edit.branches = tx.query_map(
        "SELECT branch, worktree FROM parallel_edit_branches WHERE finding_id = ?1
          ORDER BY branch",
        params![edit.finding_id],
        |row| {
            Ok(ParallelBranch {
                branch: row.get(0)?,
                worktree: row.get(1)?,
            })
        },
    )?;
    edit.pairs = pairs_in(tx, edit.finding_id)?;
    edit.files = files_of(&edit.pairs);
    Ok(())
}

/// The parallel edit of finding `finding_id`, if it is one.
pub(super) fn edit_in(tx: &Db, finding_id: i64) -> Result<Option<ParallelEdit>> {
    let found = tx.query_opt(
        &format!("SELECT {COLS} FROM parallel_edits WHERE finding_id = ?1"),
        params![finding_id],
        read_edit,
    )?;
    let Some(mut edit) = found else {
        return Ok(None);
    };
    fill(tx, &mut edit)?;
    Ok(Some(edit))
}

/// What a queue item carries of parallel edit `finding_id` (None: it is none).
pub(crate) fn branches_in(tx: &Db, finding_id: i64) -> Result<Option<ParallelBranches>> {
    let repository: Option<String> = tx.query_opt(
        "SELECT repository FROM parallel_edits WHERE finding_id = ?1",
        params![finding_id],
        |row| row.get(0),
    )?;
    let Some(repository) = repository else {
        return Ok(None);
    };
    let pairs = pairs_in(tx, finding_id)?;
    Ok(Some(ParallelBranches {
        repository,
        branches: branches_of(&pairs),
        files: files_of(&pairs),
    }))
}

/// The files of repositories that sessions live at `now` changed while live, one per session
/// and file with its branch (the ownership map's branch edges).
pub(crate) fn branch_edits(tx: &Db, now: DateTime<Utc>) -> Result<Vec<MapBranchEdit>> {
    let since = now - Duration::minutes(LIVE_SESSION_MINUTES);
    let mut out = Vec::new();
    tx.query_each(
        "SELECT s.agent_id, a.name, s.branch, e.resource, max(e.at)
           FROM sessions s JOIN agents a ON a.id = s.agent_id
           JOIN events e ON e.agent_id = s.agent_id
          WHERE s.branch IS NOT NULL AND s.ended_at IS NULL AND s.last_seen_at > ?1
            AND e.kind = 'write' AND e.at_ms >= ?2 AND e.resource LIKE 'repo://%'
          GROUP BY s.agent_id, a.name, s.branch, e.resource
          ORDER BY e.resource, s.branch, s.agent_id",
        params![ts(since), since.timestamp_millis()],
        |row| {
            out.push(MapBranchEdit {
                agent_id: row.get(0)?,
                agent: row.get(1)?,
                branch: row.get(2)?,
                resource: row.get(3)?,
                last_write_at: parse_ts(&row.get::<String>(4)?)?,
            });
            Ok(())
        },
    )?;
    Ok(out)
}
