//! What a person decided on a parallel edit (`parallel_choices`), per file of the repository and
//! pair of branches: stored with the decision, read by the permit of each write that meets
//! another branch.
//!
//! - *stop touching*: one session leaves the files to the other branch; its branch's writes of
//!   them (whichever session of the branch tries next) are refused in every mode, with the
//!   person's note, and the files are the other branch's;
//! - *hand to a branch*: the files are that branch's (a lease across branches); `enforce`
//!   refuses the other branch's writes of them, `warn` lets them and tells the person again;
//! - *let both go on*: no item again for these files and branches, and `enforce` lets them.

use crate::db::{params, Db};
use baton_core::detect::FindingKind;
use baton_core::escalations::{Escalation, EscalationAction};
use baton_core::hooks::{branch_pair, parallel_handed_reason, parallel_stop_reason, ParallelMode};
use chrono::{DateTime, Utc};

use super::edits::edit_in;
use crate::codec::ts;
use crate::error::{Result, StoreError};

/// What a decision on a parallel edit keeps, for each of its files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParallelChoice {
    repository: String,
    /// The pair, in [`branch_pair`] order.
    branches: (String, String),
    files: Vec<String>,
    /// The branch the files are handed to (None: both go on).
    holder: Option<String>,
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
/// Refused when the item is no parallel edit, or the session is on neither branch.
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
            "{} answers a parallel edit (two branches changing one file), and this item is a {}",
            action.log_action(),
            escalation.kind.as_str()
        )));
    }
    let edit = match escalation.finding_id {
        Some(finding) => edit_in(tx, finding)?,
        None => None,
    }
    .ok_or_else(|| invalid("this item keeps no branches and files to decide on"))?;
    let (a, b) = branch_pair(&edit.branch_a, &edit.branch_b);
    let branches = (a.to_owned(), b.to_owned());
    let files = files_text(&edit.files);
    let mut choice = ParallelChoice {
        repository: edit.repository.clone(),
        branches: branches.clone(),
        files: edit.files.clone(),
        holder: None,
        stopped_agent: None,
        sentence: format!("both {a} and {b} go on changing {files}"),
    };
    let Some(agent_id) = session else {
        return Ok(Some(choice));
    };
    let (name, branch): (String, Option<String>) = tx
        .query_opt(
            "SELECT a.name, s.branch FROM agents a LEFT JOIN sessions s ON s.agent_id = a.id
              WHERE a.id = ?1",
            params![agent_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?
        .ok_or(StoreError::AgentNotFound(agent_id))?;
    let Some(branch) = branch.filter(|b| *b == branches.0 || *b == branches.1) else {
        return Err(invalid(format!(
            "{name} is on neither branch of this parallel edit ({a}, {b})"
        )));
    };
    let other = if branch == branches.0 { b } else { a };
    if matches!(action, EscalationAction::StopTouching { .. }) {
        choice.holder = Some(other.to_owned());
        choice.stopped_agent = Some(agent_id);
        choice.sentence =
            format!("the branch {branch} ({name}) stops changing {files}, left to {other}");
    } else {
        choice.sentence = format!("{files} handed to {branch} ({name}); {other} leaves them");
        choice.holder = Some(branch);
    }
    Ok(Some(choice))
}

impl ParallelChoice {
    /// Keeps the choice on each of its files (a later decision on a file and pair replaces
    /// an earlier one).
    pub(crate) fn store(
        &self,
        tx: &Db,
        decision_id: i64,
        who: &str,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        for path in &self.files {
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
                    self.branches.0,
                    self.branches.1,
                    self.holder,
                    self.stopped_agent,
                    note,
                    who,
                    decision_id,
                    ts(now)
                ],
            )?;
        }
        Ok(())
    }
}

/// The choices on `path` of `repository` for the pairs `branch` is in.
pub(crate) fn choices_on(
    tx: &Db,
    repository: &str,
    path: &str,
    branch: &str,
) -> Result<Vec<StoredChoice>> {
    let mut found = Vec::new();
    tx.query_each(
        "SELECT branch_a, branch_b, holder, stopped_agent, reason, who FROM parallel_choices
          WHERE repository = ?1 AND path = ?2 AND (branch_a = ?3 OR branch_b = ?3)
          ORDER BY branch_a, branch_b",
        params![repository, path, branch],
        |r| {
            found.push(StoredChoice {
                branches: (r.get(0)?, r.get(1)?),
                holder: r.get(2)?,
                stopped_agent: r.get(3)?,
                reason: r.get(4)?,
                who: r.get(5)?,
            });
            Ok(())
        },
    )?;
    Ok(found)
}

/// Why the person's choices refuse a write of `path` on `branch`: the file was handed to the
/// other branch of a pair, and a session of this branch told to stop touching it (refused in
/// every mode), or not (refused in `enforce`).
pub(crate) fn refused_by_choice(
    choices: &[StoredChoice],
    branch: &str,
    path: &str,
    mode: ParallelMode,
) -> Option<String> {
    let handed = choices
        .iter()
        .find(|c| c.holder.as_deref().is_some_and(|h| h != branch))?;
    let holder = handed.holder.as_deref().unwrap_or_default();
    if handed.stopped_agent.is_some() {
        return Some(parallel_stop_reason(
            path,
            branch,
            holder,
            &handed.who,
            handed.reason.as_deref(),
        ));
    }
    (mode == ParallelMode::Enforce).then(|| parallel_handed_reason(path, holder, &handed.who))
}
