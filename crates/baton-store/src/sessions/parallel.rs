//! Parallel edits: a session's write of a repository's file that a live session on another
//! branch of the repository (another worktree or clone) has changed too. Found at the write's
//! permit (refused in `enforce`), filed as one finding per repository and pair of branches
//! with the files both changed, and kept in `parallel_edits` beside it: the two checkouts,
//! which the engine hands to git (beside the hook, once the writes pause) to say whether the
//! branches would conflict.

use crate::db::{params, Db};
use baton_core::detect::{EvidenceRef, Finding, FindingKind, Severity};
use baton_core::hooks::{
    branch_pair, parallel_deny_reason, parallel_key, parallel_summary, repository_label,
    HookAnswer, ParallelMode, LIVE_SESSION_MINUTES,
};
use chrono::{DateTime, Duration, Utc};

use super::choices::{choices_on, refused_by_choice};
use super::edits::{edit_in, read_edit, MergeCheck, ParallelEdit, COLS};
use super::record::{HookRecord, ParallelMeet, SessionRef, SessionRow};
use crate::codec::{json, ts};
use crate::error::Result;
use crate::escalations::expire_with;
use crate::Store;

/// The live sessions on other branches of the session's repository that wrote `resource`,
/// and the write's answer in `enforce`. Returns whether the write is refused for it.
pub(super) fn meet_other_branches(
    tx: &Db,
    session: &SessionRef,
    row: &SessionRow,
    resource: &str,
    mode: ParallelMode,
    now: DateTime<Utc>,
    record: &mut HookRecord,
) -> Result<bool> {
    let (Some(repository), Some(branch), Some(worktree)) = (
        session.repository.as_deref(),
        session.branch.as_deref(),
        session.repo_root.as_deref(),
    ) else {
        return Ok(false);
    };
    let Some(inside) = resource
        .strip_prefix("repo://")
        .and_then(|rest| rest.strip_prefix(repository))
        .and_then(|rest| rest.strip_prefix('/'))
    else {
        return Ok(false);
    };
    // What the person decided on this file: kept whatever the mode says since.
    let choices = choices_on(tx, repository, inside, branch)?;
    if let Some(refusal) = refused_by_choice(&choices, branch, inside, mode) {
        if record.answer == HookAnswer::GoOn {
            record.answer = HookAnswer::Deny(refusal);
        }
        return Ok(true);
    }
    if mode == ParallelMode::Off {
        return Ok(false);
    }
    let mut refused = false;
    let mut others: Vec<(i64, String, String, String)> = Vec::new();
    tx.query_each(
        "SELECT s.agent_id, a.name, s.branch, s.repo_root FROM sessions s
           JOIN agents a ON a.id = s.agent_id
          WHERE s.repository = ?1 AND s.branch IS NOT NULL AND s.branch <> ?2
            AND s.repo_root IS NOT NULL AND s.agent_id <> ?3
            AND s.ended_at IS NULL AND s.last_seen_at > ?4
          ORDER BY s.agent_id",
        params![
            repository,
            branch,
            row.agent_id,
            ts(now - Duration::minutes(LIVE_SESSION_MINUTES))
        ],
        |r| {
            others.push((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?));
            Ok(())
        },
    )?;
    for (other_id, other_name, other_branch, other_worktree) in others {
        // Both go on, or the file is this branch's: decided, nothing to tell. Handed to the
        // other branch: `warn` tells the person again.
        let decided = choices
            .iter()
            .find(|c| c.other_than(branch) == other_branch);
        if decided.is_some_and(|c| c.holder.as_deref() != Some(other_branch.as_str())) {
            continue;
        }
        let Some(seq) = last_write(tx, other_id, resource)? else {
            continue;
        };
        refused |= mode == ParallelMode::Enforce;
        if refused && record.answer == HookAnswer::GoOn {
            record.answer =
                HookAnswer::Deny(parallel_deny_reason(inside, &other_branch, &other_name));
        }
        record.parallel.push(ParallelMeet {
            repository: repository.to_owned(),
            repository_name: session
                .repository_name
                .clone()
                .unwrap_or_else(|| repository_label(repository, None)),
            path: inside.to_owned(),
            branch: branch.to_owned(),
            worktree: worktree.to_owned(),
            other_branch,
            other_worktree,
            other_id,
            other_seq: Some(seq),
            refused,
        });
    }
    Ok(refused)
}

impl Store {
    /// Files the parallel edits `meets` (of one hook call) as findings, and keeps their
    /// branches, checkouts and files beside them.
    pub(super) fn record_parallel_edits(
        &mut self,
        agent_id: i64,
        meets: &[ParallelMeet],
        now: DateTime<Utc>,
    ) -> Result<()> {
        for meet in meets {
            let key = parallel_key(&meet.repository, &meet.branch, &meet.other_branch);
            let (a, b) = branch_pair(&meet.branch, &meet.other_branch);
            let (worktree_a, worktree_b) = if a == meet.branch {
                (&meet.worktree, &meet.other_worktree)
            } else {
                (&meet.other_worktree, &meet.worktree)
            };
            // The files and the forecast the open finding of this pair has so far.
            let before = self.db.query_opt(
                &format!(
                    "SELECT {COLS} FROM parallel_edits p JOIN findings f ON f.id = p.finding_id
                      WHERE f.dedupe_key = ?1 AND f.closed_at IS NULL"
                ),
                params![key],
                read_edit,
            )?;
            let mut files = before.as_ref().map(|e| e.files.clone()).unwrap_or_default();
            if !files.contains(&meet.path) {
                files.push(meet.path.clone());
                files.sort();
            }
            let forecast = before.as_ref().and_then(|e| e.forecast.clone());
            let mut agents = vec![agent_id, meet.other_id];
            agents.sort_unstable();
            let finding = Finding {
                kind: FindingKind::ParallelEdit,
                severity: if meet.refused {
                    Severity::Critical
                } else {
                    Severity::Warning
                },
                agents,
                resource: Some(format!("repo://{}/", meet.repository)),
                summary: parallel_summary(&meet.repository_name, a, b, &files, forecast.as_ref()),
                evidence: meet
                    .other_seq
                    .map(|seq| EvidenceRef {
                        agent_id: meet.other_id,
                        seq,
                    })
                    .into_iter()
                    .collect(),
                dedupe_key: key.clone(),
                continues: None,
            };
            self.record_findings(std::slice::from_ref(&finding), now)?;
            let finding_id: Option<i64> = self.db.query_opt(
                "SELECT id FROM findings WHERE dedupe_key = ?1 AND closed_at IS NULL",
                params![key],
                |r| r.get(0),
            )?;
            // Decided a moment ago: the decision settles it, nothing to keep.
            let Some(finding_id) = finding_id else {
                continue;
            };
            self.db.execute(
                "INSERT INTO parallel_edits (finding_id, repository, branch_a, branch_b,
                        worktree_a, worktree_b, files, written_at, repository_name)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (finding_id) DO UPDATE SET
                    worktree_a = excluded.worktree_a, worktree_b = excluded.worktree_b,
                    files = excluded.files, written_at = excluded.written_at,
                    repository_name = excluded.repository_name",
                params![
                    finding_id,
                    meet.repository,
                    a,
                    b,
                    worktree_a,
                    worktree_b,
                    json(&files),
                    ts(now),
                    meet.repository_name
                ],
            )?;
        }
        Ok(())
    }

    /// The parallel edit of a finding, if it is one.
    pub fn parallel_edit(&self, finding_id: i64) -> Result<Option<ParallelEdit>> {
        edit_in(&self.db, finding_id)
    }

    /// The open parallel edits git should look at now: written since their last check and
    /// not written for `pause` (the writes paused), or not checked for `recheck` (a branch may
    /// have been merged or deleted meanwhile). Oldest write first.
    pub fn parallel_edits_to_check(
        &self,
        now: DateTime<Utc>,
        pause: Duration,
        recheck: Duration,
    ) -> Result<Vec<ParallelEdit>> {
        let cols = COLS
            .split(", ")
            .map(|c| format!("p.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut due = Vec::new();
        self.db.query_each(
            &format!(
                "SELECT {cols} FROM parallel_edits p JOIN findings f ON f.id = p.finding_id
                  WHERE f.closed_at IS NULL
                    AND ((p.written_at <= ?1 AND (p.checked_at IS NULL OR p.checked_at < p.written_at))
                         OR p.checked_at <= ?2)
                  ORDER BY p.written_at, p.finding_id"
            ),
            params![ts(now - pause), ts(now - recheck)],
            |row| {
                due.push(read_edit(row)?);
                Ok(())
            },
        )?;
        Ok(due)
    }

    /// Keeps what git said of parallel edit `finding_id` at `now`: the files and the forecast
    /// (the finding's words follow, and its queue item's title), or, when the two branches no
    /// longer overlap, the finding closed and its open item expired with the reason. Returns
    /// whether the finding changed.
    pub fn record_merge_check(
        &mut self,
        finding_id: i64,
        check: &MergeCheck,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let Some(edit) = self.parallel_edit(finding_id)? else {
            return Ok(false);
        };
        match check {
            MergeCheck::Overlap { files, forecast } => {
                self.db.execute(
                    "UPDATE parallel_edits SET files = ?2, forecast = ?3, checked_at = ?4
                      WHERE finding_id = ?1",
                    params![finding_id, json(files), json(forecast), ts(now)],
                )?;
                let Some(mut finding) = self.findings(&[finding_id])?.pop() else {
                    return Ok(false);
                };
                let summary = parallel_summary(
                    &edit.repository_name,
                    &edit.branch_a,
                    &edit.branch_b,
                    files,
                    Some(forecast),
                );
                if finding.closed_at.is_some() || finding.summary == summary {
                    return Ok(false);
                }
                finding.summary = summary;
                let again = Finding {
                    kind: finding.kind,
                    severity: finding.severity,
                    agents: finding.agents,
                    resource: finding.resource,
                    summary: finding.summary,
                    evidence: finding.evidence,
                    dedupe_key: finding.dedupe_key,
                    continues: None,
                };
                let recorded = self.record_findings(&[again], now)?;
                Ok(!recorded.is_empty())
            }
            MergeCheck::Over(why) => {
                let tx = self.write_tx()?;
                tx.execute(
                    "UPDATE parallel_edits SET checked_at = ?2 WHERE finding_id = ?1",
                    params![finding_id, ts(now)],
                )?;
                let closed = tx.execute(
                    "UPDATE findings SET closed_at = ?2, updated_at = ?2
                      WHERE id = ?1 AND closed_at IS NULL",
                    params![finding_id, ts(now)],
                )?;
                let item: Option<i64> = tx.query_opt(
                    "SELECT e.id FROM escalations e JOIN findings f ON f.escalation_id = e.id
                      WHERE f.id = ?1 AND e.state = 'open'",
                    params![finding_id],
                    |r| r.get(0),
                )?;
                if let Some(item) = item {
                    let reason = format!(
                        "branches {} and {} no longer change the same files: {why}",
                        edit.branch_a, edit.branch_b
                    );
                    expire_with(&tx, item, &reason, now)?;
                }
                tx.commit()?;
                Ok(closed > 0)
            }
        }
    }
}

pub(super) fn last_write(tx: &Db, agent_id: i64, resource: &str) -> Result<Option<u64>> {
    let seq: Option<i64> = tx
        .query_opt(
            "SELECT max(seq) FROM events WHERE agent_id = ?1 AND kind = 'write' AND resource = ?2",
            params![agent_id, resource],
            |r| r.get(0),
        )?
        .flatten();
    Ok(seq.and_then(|s| u64::try_from(s).ok()))
}
