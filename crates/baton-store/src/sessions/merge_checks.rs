//! What git says of the parallel edits, kept: which items are due for a check (their writes
//! paused, or not checked for a while), and each pair's answer. A pair that no longer overlaps
//! leaves its item (its branches too, when no other pair names them); when none is left, the
//! item clears itself: its finding closes and its queue item expires with the reasons.

use crate::db::{params, Db};
use baton_core::detect::Finding;
use baton_core::hooks::{branches_of, parallel_summary, BranchPair};
use chrono::{DateTime, Duration, Utc};

use super::edits::{fill, pairs_in, read_edit, MergeCheck, PairCheck, ParallelEdit, COLS};
use super::permits::session_branch;
use crate::codec::{json, parse_json, ts};
use crate::error::Result;
use crate::escalations::expire_with;
use crate::Store;

impl Store {
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
        let mut due = self.db.query_map(
            &format!(
                "SELECT {cols} FROM parallel_edits p JOIN findings f ON f.id = p.finding_id
                  WHERE f.closed_at IS NULL
                    AND ((p.written_at <= ?1 AND (p.checked_at IS NULL OR p.checked_at < p.written_at))
                         OR p.checked_at <= ?2)
                  ORDER BY p.written_at, p.finding_id"
            ),
            params![ts(now - pause), ts(now - recheck)],
            read_edit,
        )?;
        for edit in &mut due {
            fill(&self.db, edit)?;
        }
        Ok(due)
    }

    /// Keeps what git said of the pairs of parallel edit `finding_id` at `now`: each pair's
    /// files and forecast (the finding's words follow, and its queue item's title); a pair
    /// that no longer overlaps leaves the item, and when none is left the finding closes and
    /// its open item expires with the reasons. Pairs the checks do not name (one that joined
    /// meanwhile) stay as they are. Returns whether the finding changed.
    pub fn record_merge_check(
        &mut self,
        finding_id: i64,
        checks: &[PairCheck],
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let Some(edit) = self.parallel_edit(finding_id)? else {
            return Ok(false);
        };
        let tx = self.write_tx()?;
        let mut over: Vec<(&PairCheck, &str)> = Vec::new();
        for pair in checks {
            let (a, b) = (&pair.branch_a, &pair.branch_b);
            match &pair.check {
                MergeCheck::Overlap { files, forecast } => tx.execute(
                    "UPDATE parallel_edit_pairs SET files = ?4, forecast = ?5
                      WHERE finding_id = ?1 AND branch_a = ?2 AND branch_b = ?3",
                    params![finding_id, a, b, json(files), json(forecast)],
                )?,
                MergeCheck::Over(why) => {
                    over.push((pair, why));
                    tx.execute(
                        "DELETE FROM parallel_edit_pairs
                          WHERE finding_id = ?1 AND branch_a = ?2 AND branch_b = ?3",
                        params![finding_id, a, b],
                    )?
                }
            };
        }
        tx.execute(
            "UPDATE parallel_edits SET checked_at = ?2 WHERE finding_id = ?1",
            params![finding_id, ts(now)],
        )?;
        let pairs = pairs_in(&tx, finding_id)?;
        if !over.is_empty() {
            leave_branches_without_pairs(&tx, finding_id)?;
        }
        if pairs.is_empty() {
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
                expire_with(&tx, item, &over_reason(&over), now)?;
            }
            tx.commit()?;
            return Ok(closed > 0);
        }
        let left = !over.is_empty() && drop_agents_gone(&tx, finding_id, &pairs, now)?;
        tx.commit()?;
        let Some(finding) = self.findings(&[finding_id])?.pop() else {
            return Ok(left);
        };
        let summary = parallel_summary(&edit.repository_name, &pairs);
        if finding.closed_at.is_some() || finding.summary == summary {
            return Ok(left);
        }
        let again = Finding {
            kind: finding.kind,
            severity: finding.severity,
            agents: finding.agents,
            resource: finding.resource,
            summary,
            evidence: finding.evidence,
            dedupe_key: finding.dedupe_key,
            continues: None,
        };
        let recorded = self.record_findings(&[again], now)?;
        Ok(left || !recorded.is_empty())
    }
}

/// Why an item cleared itself: each pair's reason ("branches a and b no longer change the
/// same files: …" when it had one pair).
fn over_reason(over: &[(&PairCheck, &str)]) -> String {
    match over {
        [(pair, why)] => format!(
            "branches {} and {} no longer change the same files: {why}",
            pair.branch_a, pair.branch_b
        ),
        _ => {
            let each: Vec<String> = over
                .iter()
                .map(|(pair, why)| format!("{} and {}: {why}", pair.branch_a, pair.branch_b))
                .collect();
            format!(
                "no two of its branches change the same files any more ({})",
                each.join("; ")
            )
        }
    }
}

/// The item's branches that no pair names any more leave it.
fn leave_branches_without_pairs(tx: &Db, finding_id: i64) -> Result<()> {
    tx.execute(
        "DELETE FROM parallel_edit_branches
          WHERE finding_id = ?1
            AND branch NOT IN (SELECT branch_a FROM parallel_edit_pairs WHERE finding_id = ?1)
            AND branch NOT IN (SELECT branch_b FROM parallel_edit_pairs WHERE finding_id = ?1)",
        params![finding_id],
    )?;
    Ok(())
}

/// The finding's sessions whose branch is no longer among the item's leave it (the item's
/// buttons offer its branches); returns whether any did.
fn drop_agents_gone(
    tx: &Db,
    finding_id: i64,
    pairs: &[BranchPair],
    now: DateTime<Utc>,
) -> Result<bool> {
    let branches = branches_of(pairs);
    let text: String = tx.query_row(
        "SELECT agents FROM findings WHERE id = ?1",
        params![finding_id],
        |r| r.get(0),
    )?;
    let agents: Vec<i64> = parse_json(&text, "finding agents")?;
    let mut kept = Vec::with_capacity(agents.len());
    for agent in &agents {
        let on = session_branch(tx, *agent)?;
        if on.as_ref().is_none_or(|b| branches.contains(b)) {
            kept.push(*agent);
        }
    }
    if kept.len() == agents.len() {
        return Ok(false);
    }
    tx.execute(
        "UPDATE findings SET agents = ?2, updated_at = ?3 WHERE id = ?1",
        params![finding_id, json(&kept), ts(now)],
    )?;
    Ok(true)
}
