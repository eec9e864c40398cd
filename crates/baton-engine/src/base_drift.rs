//! The default branch moving under a live session: how many commits the repository's default
//! branch gained since the session's branch forked from it, and whether the session's work as
//! it is now (committed or not: [`snapshot`]) still merges into it ([`forecast`]). Asked of git
//! beside the hooks, never inside a hook call; a line on the session, not a queue item.

use std::path::Path;

use baton_core::hooks::BaseDrift;
use chrono::{DateTime, Utc};

use crate::merge_check::{forecast, git_in, git_ok, snapshot, GitError};

/// The repository's default branch as (its name, the reference to read): the branch `origin`'s
/// HEAD names (the local branch of that name when there is one), else `init.defaultBranch`,
/// else `main` or `master`, whichever exists; None when none does.
pub fn default_branch(dir: &Path) -> Result<Option<(String, String)>, GitError> {
    let exists = |reference: &str| -> Result<bool, GitError> {
        let verify = format!("{reference}^{{commit}}");
        Ok(git_in(dir, ["rev-parse", "--verify", "-q", &verify], None)?
            .status
            .success())
    };
    let origin_head = git_in(
        dir,
        ["symbolic-ref", "-q", "--short", "refs/remotes/origin/HEAD"],
        None,
    )?;
    if origin_head.status.success() {
        let remote = String::from_utf8_lossy(&origin_head.stdout)
            .trim()
            .to_owned();
        if let Some(name) = remote.strip_prefix("origin/") {
            let local = format!("refs/heads/{name}");
            let reference = if exists(&local)? {
                local
            } else {
                format!("refs/remotes/{remote}")
            };
            return Ok(Some((name.to_owned(), reference)));
        }
    }
    let configured = git_in(dir, ["config", "--get", "init.defaultBranch"], None)?;
    let configured = String::from_utf8_lossy(&configured.stdout)
        .trim()
        .to_owned();
    for name in [configured.as_str(), "main", "master"] {
        if name.is_empty() {
            continue;
        }
        let local = format!("refs/heads/{name}");
        if exists(&local)? {
            return Ok(Some((name.to_owned(), local)));
        }
    }
    Ok(None)
}

/// How the branch `branch` checked out at `worktree` stands against the default branch now:
/// None when the checkout is not here, it is on the default branch, or the default branch
/// has not moved since the branch forked from it.
pub fn check_base_drift(
    worktree: &Path,
    branch: &str,
    now: DateTime<Utc>,
) -> Result<Option<BaseDrift>, GitError> {
    if !worktree.is_dir() {
        return Ok(None);
    }
    let Some((default, reference)) = default_branch(worktree)? else {
        return Ok(None);
    };
    if default == branch {
        return Ok(None);
    }
    let target = git_ok(
        worktree,
        &["rev-parse", "--verify", &format!("{reference}^{{commit}}")],
        None,
    )?;
    let target = target.trim();
    let work = snapshot(worktree)?;
    let base = git_in(worktree, ["merge-base", work.as_str(), target], None)?;
    if !base.status.success() {
        return Ok(None);
    }
    let base = String::from_utf8_lossy(&base.stdout).trim().to_owned();
    let moved = git_ok(
        worktree,
        &["rev-list", "--count", &format!("{base}..{target}")],
        None,
    )?;
    let moved: u32 = moved.trim().parse().unwrap_or(0);
    if moved == 0 {
        return Ok(None);
    }
    Ok(Some(BaseDrift {
        branch: default,
        moved,
        forecast: forecast(worktree, &work, target)?,
        checked_at: now,
    }))
}
