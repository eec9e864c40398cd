//! What a person decided on a parallel edit (`parallel_choices`), per file of the repository and
//! pair of branches: stored with the decision, read by the permit of each write that meets
//! another branch. An item names any number of branches; a decision is kept on each pair of
//! them it concerns, for the files of that pair.
//!
//! - *stop touching*: one session leaves the files its branch changes to the other branches
//!   that change them; its branch's writes of them (whichever session of the branch tries next)
//!   are refused in every mode, with the person's note, and the files are the others';
//! - *hand to a branch*: the files the branch changes are its own (a lease across branches);
//!   `enforce` refuses the other branches' writes of them, `warn` lets them and tells the
//!   person again;
//! - *let them all go on* (`let_both_go_on`): no item again for these files and branches, and
//!   `enforce` lets them.

use crate::db::{params, Db};
use baton_core::detect::FindingKind;
use baton_core::escalations::{Escalation, EscalationAction};
use baton_core::hooks::{
    and_list, parallel_handed_reason, parallel_stop_reason, BranchPair, ParallelMode,
};
use chrono::{DateTime, Utc};

use super::edits::edit_in;
use crate::codec::ts;
use crate::error::{Result, StoreError};

/// What a decision on a parallel edit keeps: for each pair of branches it concerns, the pair's
/// files and who holds them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParallelChoice {
    repository: String,
    /// Each pair (in `branch_pair` order), its files, and the branch they are handed to
    /// (None: both go on).
    pairs: Vec<(BranchPair, Option<String>)>,
    /// The session told to stop touching them (its branch is refused them in every mode).
    stopped_agent: Option<i64>,
    /// For the decision's detail.
    pub(crate) sentence: String,
}

/// A choice stored on one file, as a write's permit reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoredChoice {
    pub(crate) branches: (String, String),
    pub(crate) holder: Option<String>,
    pub(crate) stopped_agent: Option<i64>,
    pub(crate) reason: Option<String>,
    pub(crate) who: String,
}

impl StoredChoice {
    /// The branch of the pair that is not `branch`.
    pub(crate) fn other_than<'a>(&'a self, branch: &str) -> &'a str {
        if self.branches.0 == branch {
            &self.branches.1
        } else {
            &self.branches.0
        }
    }
}

fn invalid(message: impl Into<String>) -> StoreError {
    StoreError::InvalidDecision(message.into())
}

/// The files listed for a sentence: the first three, then how many more.
fn files_text(files: &[String]) -> String {
    match files {
        [] => "its files".to_owned(),
        [one] => one.clone(),
        _ if files.len() <= 3 => files.join(", "),
        _ => format!("{} and {} more", files[..3].join(", "), files.len() - 3),
    }
}

/// The choice `action` makes on `escalation`, or None when it is no parallel edit's action.
/// Refused when the item is no parallel edit, or the session is on none of its branches.
pub(crate) fn parallel_choice_in(
    tx: &Db,
    escalation: &Escalation,
    action: &EscalationAction,
) -> Result<Option<ParallelChoice>> {
    let session = match action {
        EscalationAction::StopTouching { agent_id }
        | EscalationAction::HandToBranch { agent_id } => Some(*agent_id),
        EscalationAction::LetBothGoOn => None,
        _ => return Ok(None),
    };
    if escalation.kind != FindingKind::ParallelEdit {
        return Err(invalid(format!(
            "{} answers a parallel edit (branches changing one file), and this item is a {}",
            action.log_action(),
            escalation.kind.as_str()
        )));
    }
    let edit = match escalation.finding_id {
        Some(finding) => edit_in(tx, finding)?,
        None => None,
    }
    .filter(|edit| !edit.pairs.is_empty())
    .ok_or_else(|| invalid("this item keeps no branches and files to decide on"))?;
    let all: Vec<String> = edit.files.iter().map(|f| f.path.clone()).collect();
    let branches: Vec<&str> = edit.branches.iter().map(|b| b.branch.as_str()).collect();
    let Some(agent_id) = session else {
        let who = match branches.as_slice() {
            [a, b] => format!("both {a} and {b}"),
            _ => format!("{} all", and_list(&branches)),
        };
        return Ok(Some(ParallelChoice {
            repository: edit.repository.clone(),
            pairs: edit.pairs.into_iter().map(|p| (p, None)).collect(),
            stopped_agent: None,
            sentence: format!("{who} go on changing {}", files_text(&all)),
        }));
    };
    let (name, branch): (String, Option<String>) = tx
        .query_opt(
            "SELECT a.name, s.branch FROM agents a LEFT JOIN sessions s ON s.agent_id = a.id
              WHERE a.id = ?1",
            params![agent_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?
        .ok_or(StoreError::AgentNotFound(agent_id))?;
    let Some(branch) = branch.filter(|b| branches.contains(&b.as_str())) else {
        return Err(invalid(format!(
            "{name} is on no branch of this parallel edit ({})",
            branches.join(", ")
        )));
    };
    // The pairs the branch is in: their files, and the other branches of them.
    let mine: Vec<BranchPair> = edit
        .pairs
        .into_iter()
        .filter(|p| p.branch_a == branch || p.branch_b == branch)
        .collect();
    let others: Vec<String> = mine
        .iter()
        .map(|p| other_of(p, &branch).to_owned())
        .collect();
    let files: Vec<String> = edit
        .files
        .iter()
        .filter(|f| f.branches.contains(&branch))
        .map(|f| f.path.clone())
        .collect();
    let files = files_text(&files);
    let others_text = and_list(&others);
    let stop = matches!(action, EscalationAction::StopTouching { .. });
    let sentence = if stop {
        format!("the branch {branch} ({name}) stops changing {files}, left to {others_text}")
    } else {
        format!("{files} handed to {branch} ({name}); {others_text} leave them")
    };
    let pairs = mine
        .into_iter()
        .map(|pair| {
            let holder = if stop {
                other_of(&pair, &branch).to_owned()
            } else {
                branch.clone()
            };
            (pair, Some(holder))
        })
        .collect();
    Ok(Some(ParallelChoice {
        repository: edit.repository,
        pairs,
        stopped_agent: stop.then_some(agent_id),
        sentence,
    }))
}

/// The branch of `pair` that is not `branch`.
fn other_of<'a>(pair: &'a BranchPair, branch: &str) -> &'a str {
    if pair.branch_a == branch {
        &pair.branch_b
    } else {
        &pair.branch_a
    }
}

impl ParallelChoice {
    /// Keeps the choice on each file of each of its pairs (a later decision on a file and pair
    /// replaces an earlier one).
    pub(crate) fn store(
        &self,
        tx: &Db,
        decision_id: i64,
        who: &str,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        for (pair, holder) in &self.pairs {
            for path in &pair.files {
                tx.execute(
                    "INSERT INTO parallel_choices (repository, path, branch_a, branch_b, holder,
                            stopped_agent, reason, who, decision_id, decided_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                     ON CONFLICT (repository, path, branch_a, branch_b) DO UPDATE SET
                        holder = excluded.holder, stopped_agent = excluded.stopped_agent,
                        reason = excluded.reason, who = excluded.who,
                        decision_id = excluded.decision_id, decided_at = excluded.decided_at",
                    params![
                        self.repository,
                        path,
                        pair.branch_a,
                        pair.branch_b,
                        holder,
                        self.stopped_agent,
                        note,
                        who,
                        decision_id,
                        ts(now)
                    ],
                )?;
            }
        }
        Ok(())
    }
}

/// The person's choices on one file of a repository, for one branch: `repository, path,
/// branch` ([`read_choice`]).
pub(crate) const CHOICES_ON_FILE: &str =
    "SELECT branch_a, branch_b, holder, stopped_agent, reason, who FROM parallel_choices
      WHERE repository = ?1 AND path = ?2 AND (branch_a = ?3 OR branch_b = ?3)
      ORDER BY branch_a, branch_b";

/// A row of [`CHOICES_ON_FILE`].
pub(crate) fn read_choice(r: &crate::db::Row<'_>) -> Result<StoredChoice> {
    Ok(StoredChoice {
        branches: (r.get(0)?, r.get(1)?),
        holder: r.get(2)?,
        stopped_agent: r.get(3)?,
        reason: r.get(4)?,
        who: r.get(5)?,
    })
}

/// Why the person's choices refuse a write of `path` on `branch`: the file was handed to the
/// other branch of a pair, and a session of this branch told to stop touching it (refused in
/// every mode, naming every branch it was left to), or not (refused in `enforce`).
pub(crate) fn refused_by_choice(
    choices: &[StoredChoice],
    branch: &str,
    path: &str,
    mode: ParallelMode,
) -> Option<String> {
    let handed: Vec<&StoredChoice> = choices
        .iter()
        .filter(|c| c.holder.as_deref().is_some_and(|h| h != branch))
        .collect();
    let first = handed.first()?;
    let stops: Vec<&&StoredChoice> = handed
        .iter()
        .filter(|c| c.stopped_agent.is_some())
        .collect();
    if let Some(stop) = stops.first() {
        let mut holders: Vec<String> = stops.iter().filter_map(|c| c.holder.clone()).collect();
        holders.sort();
        holders.dedup();
        return Some(parallel_stop_reason(
            path,
            branch,
            &holders,
            &stop.who,
            stop.reason.as_deref(),
        ));
    }
    let holder = first.holder.as_deref().unwrap_or_default();
    (mode == ParallelMode::Enforce).then(|| parallel_handed_reason(path, holder, &first.who))
}
