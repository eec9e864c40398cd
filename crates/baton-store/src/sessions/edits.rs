//! Parallel edits as stored (`parallel_edits`, one row beside each parallel-edit finding): the
//! two branches and checkouts, the files both changed, and git's forecast of their merge; and
//! each live branch's edits of a repository's files, for the ownership map.

use crate::db::{params, Db, Row};
pub use baton_core::hooks::ParallelEdit;
use baton_core::hooks::{repository_label, MergeForecast, LIVE_SESSION_MINUTES};
use baton_core::rules::MapBranchEdit;
use chrono::{DateTime, Duration, Utc};

use crate::codec::{parse_json, parse_opt_ts, parse_ts, ts};
use crate::error::Result;

/// What git said of a parallel edit now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MergeCheck {
    /// The branches still change these files (both sides), and merging them would do this.
    Overlap {
        files: Vec<String>,
        forecast: MergeForecast,
    },
    /// They no longer overlap (a branch merged, deleted, its checkout gone, the edits undone):
    /// why.
    Over(String),
}

pub(super) const COLS: &str =
    "finding_id, repository, branch_a, branch_b, worktree_a, worktree_b, files, \
     forecast, written_at, checked_at, repository_name";

pub(super) fn read_edit(row: &Row<'_>) -> Result<ParallelEdit> {
    let forecast: Option<String> = row.get(7)?;
    let repository: String = row.get(1)?;
    // Kept since schema 17; an edit from before is named from its identity.
    let repository_name = row
        .get::<Option<String>>(10)?
        .unwrap_or_else(|| repository_label(&repository, None));
    Ok(ParallelEdit {
        finding_id: row.get(0)?,
        repository,
        repository_name,
        branch_a: row.get(2)?,
        branch_b: row.get(3)?,
        worktree_a: row.get(4)?,
        worktree_b: row.get(5)?,
        files: parse_json(&row.get::<String>(6)?, "parallel edit files")?,
        forecast: forecast
            .map(|text| parse_json(&text, "merge forecast"))
            .transpose()?,
        written_at: parse_ts(&row.get::<String>(8)?)?,
        checked_at: parse_opt_ts(row.get(9)?)?,
    })
}

/// The parallel edit of finding `finding_id`, if it is one.
pub(super) fn edit_in(tx: &Db, finding_id: i64) -> Result<Option<ParallelEdit>> {
    tx.query_opt(
        &format!("SELECT {COLS} FROM parallel_edits WHERE finding_id = ?1"),
        params![finding_id],
        read_edit,
    )
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
