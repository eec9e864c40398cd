//! Where a session works: its repository (root, identity shared by its worktrees and clones)
//! and branch, read from the git files (a `git` process only for a repository without an
//! `origin`, to name its first commit), and the process that called the hook.

use std::path::{Path, PathBuf};
use std::process::Command;

use baton_core::hooks::{origin_url, remote_identity, root_commit_identity};

#[cfg(unix)]
pub(crate) fn parent_process_id() -> u32 {
    std::os::unix::process::parent_id()
}

#[cfg(not(unix))]
pub(crate) fn parent_process_id() -> u32 {
    0
}

/// The file in a repository's common git directory keeping its identity when no `origin`
/// names it (git leaves files it does not know alone).
pub const IDENTITY_CACHE: &str = "baton-identity";

/// The checkout a folder belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkout {
    /// The folder holding `.git` (a worktree's own folder).
    pub root: PathBuf,
    /// The git directory of this checkout (`<root>/.git`, or `<common>/worktrees/<name>`).
    pub git_dir: PathBuf,
    /// The git directory all worktrees of the repository share.
    pub common_dir: PathBuf,
    /// The checked-out branch; on a detached HEAD, its commit (what the checkout changes
    /// from); `None` when HEAD cannot be read.
    pub branch: Option<String>,
}

/// The main checkout of the repository the checkout at `root` is of (for a worktree, the
/// folder holding the common git directory `.git`); None for a bare repository's worktrees or
/// a folder that is no checkout (here).
pub fn main_checkout(root: &Path) -> Option<PathBuf> {
    checkout(root)?.main_checkout().map(Path::to_path_buf)
}

/// The checkout holding `cwd`: the nearest folder with a `.git` (a folder, or a file naming
/// the git directory, as in worktrees and submodules).
pub fn checkout(cwd: &Path) -> Option<Checkout> {
    let root = cwd.ancestors().find(|dir| dir.join(".git").exists())?;
    let dot_git = root.join(".git");
    let git_dir = match std::fs::read_to_string(&dot_git) {
        Ok(text) => root.join(text.strip_prefix("gitdir:")?.trim()),
        Err(_) => dot_git,
    };
    let common_dir = match std::fs::read_to_string(git_dir.join("commondir")) {
        Ok(text) => git_dir.join(text.trim()),
        Err(_) => git_dir.clone(),
    };
    let common_dir = common_dir.canonicalize().unwrap_or(common_dir);
    let branch = std::fs::read_to_string(git_dir.join("HEAD"))
        .ok()
        .and_then(|head| head_branch(head.trim()));
    Some(Checkout {
        root: root.to_path_buf(),
        git_dir,
        common_dir,
        branch,
    })
}

/// The branch a `HEAD` file names, or its commit when detached.
fn head_branch(head: &str) -> Option<String> {
    if let Some(branch) = head.strip_prefix("ref: refs/heads/") {
        return Some(branch.to_owned());
    }
    let detached = matches!(head.len(), 40 | 64) && head.bytes().all(|b| b.is_ascii_hexdigit());
    detached.then(|| head.to_owned())
}

impl Checkout {
    /// The main checkout of its repository: the folder holding the common git directory
    /// `.git`; None for a bare repository's worktrees.
    pub fn main_checkout(&self) -> Option<&Path> {
        let common = &self.common_dir;
        (common.file_name()? == ".git").then(|| common.parent())?
    }

    /// The repository's identity, the same in every worktree and clone of it: its `origin`
    /// (`github.com/acme/shop`), else its first commit (`root:<hash>`, one `git` process),
    /// else, for a repository with no commit yet, its common git directory on this machine
    /// (`local:<path>`).
    pub fn identity(&self) -> String {
        let config = std::fs::read_to_string(self.common_dir.join("config")).unwrap_or_default();
        if let Some(id) = origin_url(&config).as_deref().and_then(remote_identity) {
            return id;
        }
        // The first commit never changes: asked of git once (7-14 ms, more with a longer
        // history), then kept beside the repository's own files for every later hook call.
        let cached = self.common_dir.join(IDENTITY_CACHE);
        if let Some(id) = std::fs::read_to_string(&cached).ok().and_then(|text| {
            text.trim()
                .strip_prefix("root:")
                .and_then(root_commit_identity)
        }) {
            return id;
        }
        let roots = Command::new("git")
            .arg("--git-dir")
            .arg(&self.git_dir)
            .args(["rev-list", "--max-parents=0", "HEAD"])
            .output()
            .ok()
            .filter(|out| out.status.success())
            .map(|out| String::from_utf8_lossy(&out.stdout).into_owned())
            .unwrap_or_default();
        // Several roots (merged histories): the least names it, whichever branch is out.
        match roots.lines().filter_map(root_commit_identity).min() {
            Some(id) => {
                let _ = std::fs::write(&cached, format!("{id}\n"));
                id
            }
            None => format!("local:{}", self.common_dir.to_string_lossy()),
        }
    }

    /// `path` (absolute) inside this checkout, as a path relative to its root, when it is
    /// there; symlinked spellings of the root or of the file's folder count.
    pub fn inside(&self, path: &Path) -> Option<String> {
        let relative = |root: &Path, path: &Path| {
            path.strip_prefix(root)
                .ok()
                .map(|p| p.to_string_lossy().into_owned())
        };
        if let Some(found) = relative(&self.root, path) {
            return Some(found);
        }
        let root = self.root.canonicalize().ok()?;
        // The file may not exist yet: its nearest existing folder, resolved, and the rest.
        let existing = path.ancestors().find(|dir| dir.exists())?;
        let rest = path.strip_prefix(existing).ok()?;
        let resolved = existing.canonicalize().ok()?.join(rest);
        relative(&root, &resolved)
    }
}

#[cfg(test)]
mod tests {
    use super::head_branch;

    #[test]
    fn a_detached_head_is_its_commit_and_junk_is_nothing() {
        assert_eq!(
            head_branch("ref: refs/heads/feature-a").as_deref(),
            Some("feature-a")
        );
        let commit = "0123456789abcdef0123456789abcdef01234567";
        assert_eq!(head_branch(commit).as_deref(), Some(commit));
        for junk in [
            "",
            "ref: refs/tags/v1",
            "0123",
            "not a commit at all, forty chars long!!",
        ] {
            assert_eq!(head_branch(junk), None, "{junk}");
        }
    }
}
