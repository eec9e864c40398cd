//! Where a session works: its repository and branch (read from `.git`, no `git` process), and
//! the process that called the hook.

use std::path::Path;

#[cfg(unix)]
pub(crate) fn parent_process_id() -> u32 {
    std::os::unix::process::parent_id()
}

#[cfg(not(unix))]
pub(crate) fn parent_process_id() -> u32 {
    0
}

/// The repository holding `cwd` (the nearest folder with a `.git`) and its checked-out branch,
/// read from the files (no `git` process).
pub(crate) fn git_place(cwd: &Path) -> (Option<String>, Option<String>) {
    let Some(root) = cwd.ancestors().find(|dir| dir.join(".git").exists()) else {
        return (None, None);
    };
    let dot_git = root.join(".git");
    // A worktree's `.git` is a file naming its git directory.
    let git_dir = match std::fs::read_to_string(&dot_git) {
        Ok(text) => text
            .strip_prefix("gitdir:")
            .map(|dir| root.join(dir.trim()))
            .unwrap_or(dot_git),
        Err(_) => dot_git,
    };
    let branch = std::fs::read_to_string(git_dir.join("HEAD"))
        .ok()
        .and_then(|head| {
            head.trim()
                .strip_prefix("ref: refs/heads/")
                .map(str::to_owned)
        });
    (Some(root.to_string_lossy().into_owned()), branch)
}
