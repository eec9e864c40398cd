//! Parallel edits: a session's write of a repository's file that a live session on another
//! branch of the repository (another worktree or clone) has changed too. Found at the write's
//! permit (refused in `enforce`), filed as one finding per repository: its live branches that
//! change the same files, each pair of them with the files both change. Kept in
//! `parallel_edits` and its branches and pairs beside it: the checkouts, which the engine hands
//! to git (beside the hook, once the writes pause) to say whether each pair would conflict
//! (`merge_checks`).

use crate::db::{params, Db};
use baton_core::detect::Severity;
use baton_core::detect::{EvidenceRef, Finding, FindingKind};
use baton_core::hooks::{
    branch_pair, parallel_deny_reason, parallel_key, parallel_summary, repository_label,
    BranchPair, HookAnswer, ParallelMode,
};
use chrono::{DateTime, Utc};

use super::choices::refused_by_choice;
use super::edits::{edit_in, pairs_in, ParallelEdit};
use super::permit_reads::{BranchFile, PermitReads};
use super::record::{HookRecord, ParallelMeet, SessionRef, SessionRow};
use crate::codec::{json, ts};
use crate::error::Result;
use crate::escalations::expire_with;
use crate::Store;

/// The live sessions on other branches of the session's repository that wrote `resource`
/// (as `reads` read them with the session's row), and the write's answer in `enforce`.
/// Returns whether the write is refused for it.
#[allow(clippy::too_many_arguments)]
pub(super) fn meet_other_branches(
    reads: &PermitReads,
    session: &SessionRef,
    row: &SessionRow,
    resource: &str,
    mode: ParallelMode,
    record: &mut HookRecord,
) -> bool {
    let (Some(worktree), Some((file, choices, others))) = (
        session.repo_root.as_deref(),
        reads.in_checkout(resource, row.agent_id),
    ) else {
        return false;
    };
    let (repository, branch, inside) = (&file.repository, &file.branch, &file.path);
    // What the person decided on this file: kept whatever the mode says since.
    if let Some(refusal) = refused_by_choice(choices, branch, inside, mode) {
        if record.answer == HookAnswer::GoOn {
            record.answer = HookAnswer::Deny(refusal);
        }
        return true;
    }
    if mode == ParallelMode::Off {
        return false;
    }
    let mut refused = false;
    for other in others {
        // Both go on, or the file is this branch's: decided, nothing to tell. Handed to the
        // other branch: `warn` tells the person again.
        let decided = choices
            .iter()
            .find(|c| c.other_than(branch) == other.branch);
        if decided.is_some_and(|c| c.holder.as_deref() != Some(other.branch.as_str())) {
            continue;
        }
        let Some(seq) = other.last_write else {
            continue;
        };
        refused |= mode == ParallelMode::Enforce;
        if refused && record.answer == HookAnswer::GoOn {
            record.answer =
                HookAnswer::Deny(parallel_deny_reason(inside, &other.branch, &other.name));
        }
        record.parallel.push(ParallelMeet {
            repository: repository.clone(),
            repository_name: session.repository_name.clone(),
            path: inside.clone(),
            branch: branch.clone(),
            worktree: worktree.to_owned(),
            other_branch: other.branch.clone(),
            other_worktree: other.worktree.clone(),
            other_id: other.agent_id,
            other_seq: Some(seq),
            refused,
        });
    }
    refused
}

/// Where `resource` is in the session's repository checkout on its branch (None: not a file
/// of a repository the session works in on a branch): what a write's permit reads on it.
pub(super) fn branch_file(session: &SessionRef, resource: &str) -> Option<BranchFile> {
    let repository = session.repository.as_deref()?;
    let branch = session.branch.as_deref()?;
    session.repo_root.as_deref()?;
    let inside = resource
        .strip_prefix("repo://")?
        .strip_prefix(repository)?
        .strip_prefix('/')?;
    Some(BranchFile {
        repository: repository.to_owned(),
        branch: branch.to_owned(),
        path: inside.to_owned(),
    })
}

impl Store {
    /// Files the parallel edits `meets` (of one hook call) into their repository's item: its
    /// branches, checkouts and pairs of branches with their files. An item of the repository
    /// from before (one per pair of branches, schema 22 and older) is folded into it.
    pub(super) fn record_parallel_edits(
        &mut self,
        agent_id: i64,
        meets: &[ParallelMeet],
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut repositories: Vec<&str> = meets.iter().map(|m| m.repository.as_str()).collect();
        repositories.dedup();
        for repository in repositories {
            let meets: Vec<&ParallelMeet> = meets
                .iter()
                .filter(|m| m.repository == repository)
                .collect();
            self.record_repository_meets(agent_id, repository, &meets, now)?;
        }
        Ok(())
    }

    fn record_repository_meets(
        &mut self,
        agent_id: i64,
        repository: &str,
        meets: &[&ParallelMeet],
        now: DateTime<Utc>,
    ) -> Result<()> {
        let key = parallel_key(repository);
        // The repository's open items: its own (by key), and any from before (by pair).
        let open = open_items_of(&self.db, repository)?;
        let own = open.iter().find(|item| item.key == key);
        let kept = own.and_then(|item| item.name.clone());
        let own = own.map(|item| item.id);
        let folded: Vec<i64> = open
            .iter()
            .filter(|item| Some(item.id) != own)
            .map(|item| item.id)
            .collect();
        let mut pairs: Vec<BranchPair> = Vec::new();
        for id in own.iter().chain(&folded) {
            for pair in pairs_in(&self.db, *id)? {
                join_pair(&mut pairs, pair);
            }
        }
        for meet in meets {
            let (a, b) = branch_pair(&meet.branch, &meet.other_branch);
            join_pair(
                &mut pairs,
                BranchPair {
                    branch_a: a.to_owned(),
                    branch_b: b.to_owned(),
                    files: vec![meet.path.clone()],
                    forecast: None,
                },
            );
        }
        let before = self.findings(&folded)?;
        let mut agents: Vec<i64> = meets.iter().map(|m| m.other_id).collect();
        agents.push(agent_id);
        agents.extend(before.iter().flat_map(|f| f.agents.iter().copied()));
        agents.sort_unstable();
        agents.dedup();
        let mut evidence: Vec<EvidenceRef> = meets
            .iter()
            .filter_map(|m| {
                m.other_seq.map(|seq| EvidenceRef {
                    agent_id: m.other_id,
                    seq,
                })
            })
            .collect();
        evidence.extend(before.iter().flat_map(|f| f.evidence.iter().cloned()));
        // Its name for a person as a session says it, else as the item has it, else from its
        // identity.
        let name = meets
            .iter()
            .find_map(|m| m.repository_name.clone())
            .or(kept)
            .unwrap_or_else(|| repository_label(repository, None));
        let finding = Finding {
            kind: FindingKind::ParallelEdit,
            severity: if meets.iter().any(|m| m.refused) {
                Severity::Critical
            } else {
                Severity::Warning
            },
            agents,
            resource: Some(format!("repo://{repository}/")),
            summary: parallel_summary(&name, &pairs),
            evidence,
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
            return Ok(());
        };
        // What changed goes out with the commit (nobody reads these writes' results): the
        // item, the branches of this call's meets, and the pairs they touched (all of them
        // for a new item, or one that folded others in).
        let all = own != Some(finding_id) || !folded.is_empty();
        let tx = self.write_tx()?;
        tx.execute_later(
            "INSERT INTO parallel_edits (finding_id, repository, written_at, repository_name)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (finding_id) DO UPDATE SET
                written_at = excluded.written_at, repository_name = excluded.repository_name",
            params![finding_id, repository, ts(now), name],
        )?;
        for id in &folded {
            fold_branches(&tx, *id, finding_id)?;
        }
        let mut checkouts: Vec<(&str, &str)> = meets
            .iter()
            .flat_map(|m| {
                [
                    (m.other_branch.as_str(), m.other_worktree.as_str()),
                    (m.branch.as_str(), m.worktree.as_str()),
                ]
            })
            .collect();
        checkouts.sort_unstable();
        checkouts.dedup_by(|x, y| x.0 == y.0);
        for (branch, worktree) in checkouts {
            tx.execute_later(
                "INSERT INTO parallel_edit_branches (finding_id, branch, worktree)
                 VALUES (?1, ?2, ?3)
                 ON CONFLICT (finding_id, branch) DO UPDATE SET worktree = excluded.worktree",
                params![finding_id, branch, worktree],
            )?;
        }
        let touched = |pair: &BranchPair| {
            meets.iter().any(|m| {
                branch_pair(&m.branch, &m.other_branch)
                    == (pair.branch_a.as_str(), pair.branch_b.as_str())
            })
        };
        for pair in pairs.iter().filter(|p| all || touched(p)) {
            tx.execute_later(
                "INSERT INTO parallel_edit_pairs (finding_id, branch_a, branch_b, files, forecast)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (finding_id, branch_a, branch_b) DO UPDATE SET
                    files = excluded.files, forecast = excluded.forecast",
                params![
                    finding_id,
                    pair.branch_a,
                    pair.branch_b,
                    json(&pair.files),
                    pair.forecast.as_ref().map(json)
                ],
            )?;
        }
        // An item of a pair from before joined this one: it leaves the queue, saying where to.
        for id in folded {
            close_folded(&tx, id, finding_id, now)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The parallel edit of a finding, if it is one.
    pub fn parallel_edit(&self, finding_id: i64) -> Result<Option<ParallelEdit>> {
        edit_in(&self.db, finding_id)
    }
}

/// Adds `pair`'s files to the same pair in `pairs`, or `pair` itself (kept in `branch_pair`
/// order). A pair that gains a file has its forecast asked again.
fn join_pair(pairs: &mut Vec<BranchPair>, pair: BranchPair) {
    let Some(kept) = pairs
        .iter_mut()
        .find(|p| p.branch_a == pair.branch_a && p.branch_b == pair.branch_b)
    else {
        let at = pairs
            .iter()
            .position(|p| (&p.branch_a, &p.branch_b) > (&pair.branch_a, &pair.branch_b))
            .unwrap_or(pairs.len());
        pairs.insert(at, pair);
        return;
    };
    for file in pair.files {
        if let Err(at) = kept.files.binary_search(&file) {
            kept.files.insert(at, file);
        }
    }
    if kept.forecast.is_none() {
        kept.forecast = pair.forecast;
    }
}

/// An open parallel-edit item of a repository.
struct OpenItem {
    id: i64,
    key: String,
    /// The repository's name for a person, as the item has it.
    name: Option<String>,
}

/// The open parallel-edit items of `repository`, oldest first.
fn open_items_of(tx: &Db, repository: &str) -> Result<Vec<OpenItem>> {
    tx.query_map(
        "SELECT f.id, f.dedupe_key, p.repository_name
           FROM parallel_edits p JOIN findings f ON f.id = p.finding_id
          WHERE p.repository = ?1 AND f.closed_at IS NULL ORDER BY f.id",
        params![repository],
        |r| {
            Ok(OpenItem {
                id: r.get(0)?,
                key: r.get(1)?,
                name: r.get(2)?,
            })
        },
    )
}

/// The branches of item `from` become item `into`'s (their checkouts as `into` has them, when
/// it has them).
fn fold_branches(tx: &Db, from: i64, into: i64) -> Result<()> {
    tx.execute_later(
        "INSERT INTO parallel_edit_branches (finding_id, branch, worktree)
         SELECT ?2, branch, worktree FROM parallel_edit_branches WHERE finding_id = ?1
         ON CONFLICT (finding_id, branch) DO NOTHING",
        params![from, into],
    )?;
    Ok(())
}

/// Closes item `from` (its finding, and its open queue item expired with the reason), now
/// part of item `into`.
fn close_folded(tx: &Db, from: i64, into: i64, now: DateTime<Utc>) -> Result<()> {
    tx.execute(
        "UPDATE findings SET closed_at = ?2, updated_at = ?2 WHERE id = ?1 AND closed_at IS NULL",
        params![from, ts(now)],
    )?;
    let item_of = |finding: i64, open_only: bool| -> Result<Option<i64>> {
        tx.query_opt(
            "SELECT e.id FROM escalations e JOIN findings f ON f.escalation_id = e.id
              WHERE f.id = ?1 AND (e.state = 'open' OR ?2 = 0)",
            params![finding, i64::from(open_only)],
            |r| r.get(0),
        )
    };
    if let Some(item) = item_of(from, true)? {
        let joined = item_of(into, false)?.map_or_else(String::new, |id| format!(" #{id}"));
        let reason = format!(
            "joined the item{joined} of its repository: the branches of one repository that \
             change the same files are one item"
        );
        expire_with(tx, item, &reason, now)?;
    }
    Ok(())
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
