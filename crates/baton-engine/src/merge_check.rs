//! Would two branches' changes conflict? Asked of git beside the hook (never inside a hook
//! call), for each pair of a parallel edit's branches (git merges two at a time): each
//! checkout's state as it is now, committed or not, is written as a commit of its own through
//! a temporary index (`git add -A`, `write-tree`, `commit-tree`: neither working tree, nor its
//! index, nor its branch moves), once per checkout however many pairs it is in; then `git
//! merge-tree --write-tree` merges the two without a worktree, and `git diff -U0` on each
//! side's version of a conflicted file says which lines meet. Reading git's answers is
//! `baton_core::hooks` (pure).

use std::collections::HashMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};

use baton_core::hooks::{
    conflict_kind, conflicted_files, meeting_lines, parse_hunks, parse_merge_tree, BranchPair,
    ConflictKind, ConflictedFile, LineRange, MergeForecast, MAX_GIT_OUTPUT,
};
use baton_store::sessions::{MergeCheck, PairCheck, ParallelEdit};

/// What went wrong asking git (the forecast says "cannot tell" with it).
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("git could not be started: {0}")]
    Start(#[from] std::io::Error),
    #[error("git {what} failed: {stderr}")]
    Failed { what: String, stderr: String },
}

/// One git command in `dir`; its output (any exit status).
pub(crate) fn git_in<I, S>(dir: &Path, args: I, index: Option<&Path>) -> Result<Output, GitError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut command = Command::new("git");
    command
        .arg("-C")
        .arg(dir)
        .args(["-c", "core.quotePath=true"])
        .args(args)
        .stdin(Stdio::null())
        // No prompt, no pager, no locks taken for optional work on the real index.
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_OPTIONAL_LOCKS", "0")
        .env("GIT_AUTHOR_NAME", "Baton")
        .env("GIT_AUTHOR_EMAIL", "baton@localhost")
        .env("GIT_COMMITTER_NAME", "Baton")
        .env("GIT_COMMITTER_EMAIL", "baton@localhost");
    if let Some(index) = index {
        command.env("GIT_INDEX_FILE", index);
    }
    Ok(command.output()?)
}

/// The command's stdout when it succeeded.
pub(crate) fn git_ok(dir: &Path, args: &[&str], index: Option<&Path>) -> Result<String, GitError> {
    let out = git_in(dir, args, index)?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(GitError::Failed {
            what: args.first().copied().unwrap_or_default().to_owned(),
            stderr: stderr.trim().chars().take(300).collect(),
        });
    }
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    if text.len() > MAX_GIT_OUTPUT {
        let mut cut = MAX_GIT_OUTPUT;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    Ok(text)
}

/// A temporary index file, removed when dropped.
struct TempIndex(PathBuf);

impl Drop for TempIndex {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
        let _ = std::fs::remove_file(self.0.with_extension("lock"));
    }
}

fn temp_index() -> TempIndex {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let name = format!("baton-index-{}-{n}", std::process::id());
    TempIndex(std::env::temp_dir().join(name))
}

fn copy_index(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::copy(from, to)?;
    let modified = std::fs::metadata(from)?.modified()?;
    std::fs::File::options()
        .write(true)
        .open(to)?
        .set_modified(modified)
}

/// The checkout at `worktree` as it is now, as a commit: its HEAD when nothing is changed,
/// else a commit (parent HEAD) of its files, untracked ones included (ignored ones not).
pub fn snapshot(worktree: &Path) -> Result<String, GitError> {
    let head = git_ok(worktree, &["rev-parse", "--verify", "-q", "HEAD"], None)?;
    let head = head.trim().to_owned();
    let index_path = git_ok(worktree, &["rev-parse", "--git-path", "index"], None)?;
    let index_path = worktree.join(index_path.trim());
    let temp = temp_index();
    // Starting from the checkout's own index keeps `add` quick (its file stamps are known);
    // without one, from HEAD's tree. The copy keeps the index's time: git trusts a file's
    // stamps only when it is older than its index ("racy git"), and a fresh copy would make a
    // file changed in the index's second (same size) look unchanged.
    if copy_index(&index_path, &temp.0).is_err() {
        git_ok(worktree, &["read-tree", "HEAD"], Some(&temp.0))?;
    }
    git_ok(worktree, &["add", "-A", "--", "."], Some(&temp.0))?;
    let tree = git_ok(worktree, &["write-tree"], Some(&temp.0))?;
    let tree = tree.trim();
    let head_tree = git_ok(worktree, &["rev-parse", "HEAD^{tree}"], None)?;
    if head_tree.trim() == tree {
        return Ok(head);
    }
    let message = format!("baton: the uncommitted state of {}", worktree.display());
    let commit = git_ok(
        worktree,
        &["commit-tree", tree, "-p", &head, "-m", &message],
        None,
    )?;
    Ok(commit.trim().to_owned())
}

/// Files changed from `base` to `side`, sorted.
fn changed_files(dir: &Path, base: &str, side: &str) -> Result<Vec<String>, GitError> {
    let out = git_ok(
        dir,
        &["diff", "--name-only", "--no-renames", "-z", base, side],
        None,
    )?;
    let mut files: Vec<String> = out
        .split('\0')
        .filter(|f| !f.is_empty())
        .map(str::to_owned)
        .collect();
    files.sort();
    Ok(files)
}

/// What merging commits `ours` and `theirs` (of the repository at `dir`) would do.
pub fn forecast(dir: &Path, ours: &str, theirs: &str) -> Result<MergeForecast, GitError> {
    let out = git_in(dir, ["merge-tree", "--write-tree", ours, theirs], None)?;
    let clean = match out.status.code() {
        Some(0) => true,
        Some(1) => false,
        _ => {
            return Err(GitError::Failed {
                what: "merge-tree".into(),
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
            })
        }
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let tree = match parse_merge_tree(&text, clean) {
        Ok(tree) => tree,
        Err(err) => {
            return Ok(MergeForecast::Unknown {
                why: err.to_string(),
            })
        }
    };
    let mut files = Vec::new();
    for (path, stages) in conflicted_files(&tree) {
        let kind = conflict_kind(&stages);
        let (ours_lines, theirs_lines) = match (kind, &stages) {
            (ConflictKind::Content, [Some(base), Some(a), Some(b)]) => {
                let a = parse_hunks(&git_ok(dir, &["diff", "-U0", base, a], None)?);
                let b = parse_hunks(&git_ok(dir, &["diff", "-U0", base, b], None)?);
                meeting_lines(&a, &b)
            }
            // Added on both: each side's lines that differ from the other's.
            (ConflictKind::AddAdd, [None, Some(a), Some(b)]) => {
                let hunks = parse_hunks(&git_ok(dir, &["diff", "-U0", a, b], None)?);
                let side = |pick: fn(&baton_core::hooks::Hunk) -> LineRange| {
                    hunks.iter().map(pick).take(20).collect::<Vec<_>>()
                };
                (side(|h| h.base), side(|h| h.side))
            }
            _ => (Vec::new(), Vec::new()),
        };
        files.push(ConflictedFile {
            path,
            kind,
            ours: ours_lines,
            theirs: theirs_lines,
        });
    }
    Ok(MergeForecast::of_conflicts(files))
}

/// The commit a side of a parallel edit stands for now: its checkout's state when the
/// checkout still has the branch out, else the branch as committed; None when the branch is
/// gone (why).
fn side_commit(worktree: &Path, branch: &str) -> Result<Result<String, String>, GitError> {
    if !worktree.is_dir() {
        return Ok(Err(format!("the checkout {} is gone", worktree.display())));
    }
    let out = git_ok(worktree, &["rev-parse", "--abbrev-ref", "HEAD"], None)?;
    let checked_out = out.trim();
    let head = git_ok(worktree, &["rev-parse", "HEAD"], None)?;
    // On the branch (or on the detached commit the session was on): its files as they are.
    if checked_out == branch || head.trim() == branch {
        return Ok(Ok(snapshot(worktree)?));
    }
    let reference = format!("refs/heads/{branch}^{{commit}}");
    let found = git_in(worktree, ["rev-parse", "--verify", "-q", &reference], None)?;
    if found.status.success() {
        return Ok(Ok(String::from_utf8_lossy(&found.stdout).trim().to_owned()));
    }
    Ok(Err(format!("the branch {branch} was deleted")))
}

/// What a side of a pair stands for now: a commit, or gone (why), or git failed (why).
type Side = Result<Result<String, String>, String>;

/// What git says of each pair of a parallel edit's branches now: the files both change (from
/// their common ancestor) and whether they conflict, or that they no longer overlap. Each
/// checkout is looked at once, whatever the number of pairs it is in.
pub fn check_parallel_edit(edit: &ParallelEdit) -> Vec<PairCheck> {
    let mut sides: HashMap<&str, Side> = HashMap::new();
    edit.pairs
        .iter()
        .map(|pair| {
            let mut side = |branch: &str| -> (PathBuf, Side) {
                let dir = PathBuf::from(edit.worktree(branch).unwrap_or_default());
                let known = sides
                    .entry(if pair.branch_a == branch {
                        &pair.branch_a
                    } else {
                        &pair.branch_b
                    })
                    .or_insert_with(|| {
                        if dir.as_os_str().is_empty() {
                            return Err("its checkout is not known".to_owned());
                        }
                        side_commit(&dir, branch).map_err(|err| err.to_string())
                    });
                (dir, known.clone())
            };
            let (dir_a, side_a) = side(&pair.branch_a);
            let (dir_b, side_b) = side(&pair.branch_b);
            let check = match try_pair(pair, (&dir_a, side_a), (&dir_b, side_b)) {
                Ok(check) => check,
                Err(why) => MergeCheck::Overlap {
                    files: pair.files.clone(),
                    forecast: MergeForecast::Unknown { why },
                },
            };
            PairCheck {
                branch_a: pair.branch_a.clone(),
                branch_b: pair.branch_b.clone(),
                check,
            }
        })
        .collect()
}

/// What git says of one pair, each side's checkout and what it stands for given.
fn try_pair(
    pair: &BranchPair,
    (dir_a, side_a): (&Path, Side),
    (dir_b, side_b): (&Path, Side),
) -> Result<MergeCheck, String> {
    let unknown = |why: &str| MergeCheck::Overlap {
        files: pair.files.clone(),
        forecast: MergeForecast::Unknown {
            why: why.to_owned(),
        },
    };
    // Neither checkout here: they are on another machine (a store shared over PostgreSQL),
    // not gone.
    if !dir_a.is_dir() && !dir_b.is_dir() {
        return Ok(unknown("neither checkout is on this machine"));
    }
    let a = match side_a? {
        Ok(commit) => commit,
        Err(why) => return Ok(MergeCheck::Over(why)),
    };
    let b = match side_b? {
        Ok(commit) => commit,
        Err(why) => return Ok(MergeCheck::Over(why)),
    };
    let git_err = |err: GitError| err.to_string();
    // Worktrees share one store of objects; two clones do not (git is not asked to fetch
    // from one into the other).
    let b_here =
        git_in(dir_a, ["cat-file", "-e", &format!("{b}^{{commit}}")], None).map_err(git_err)?;
    if !b_here.status.success() {
        return Ok(unknown(
            "the two checkouts are separate clones; Baton compares worktrees of one repository",
        ));
    }
    let base = git_in(dir_a, ["merge-base", &a, &b], None).map_err(git_err)?;
    if !base.status.success() {
        return Ok(unknown("the two branches have no common commit"));
    }
    let base = String::from_utf8_lossy(&base.stdout).trim().to_owned();
    let ours = changed_files(dir_a, &base, &a).map_err(git_err)?;
    let theirs = changed_files(dir_a, &base, &b).map_err(git_err)?;
    // A file both changed to the same content (the hooks' own settings installed in each
    // worktree, one fix applied on both) merges as it is: it is no parallel edit.
    let differ = changed_files(dir_a, &a, &b).map_err(git_err)?;
    let both: Vec<String> = ours
        .iter()
        .filter(|f| theirs.binary_search(f).is_ok() && differ.binary_search(f).is_ok())
        .cloned()
        .collect();
    if both.is_empty() {
        let (a_name, b_name) = (&pair.branch_a, &pair.branch_b);
        let why = if base == b {
            format!("{b_name} has nothing {a_name} does not have (merged, or its edits undone)")
        } else if base == a {
            format!("{a_name} has nothing {b_name} does not have (merged, or its edits undone)")
        } else if ours.iter().any(|f| theirs.binary_search(f).is_ok()) {
            "the files both change are the same on both".to_owned()
        } else {
            "none of the files one changes is changed on the other".to_owned()
        };
        return Ok(MergeCheck::Over(why));
    }
    let forecast = forecast(dir_a, &a, &b).map_err(git_err)?;
    Ok(MergeCheck::Overlap {
        files: both,
        forecast,
    })
}
