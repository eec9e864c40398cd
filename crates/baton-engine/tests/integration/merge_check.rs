//! Would two branches conflict? The forecast from real git on two worktrees of a temporary
//! repository (and three: one answer per pair), committed and uncommitted changes alike,
//! checked against what `git merge` does afterwards; neither working tree nor index is touched
//! by the check.

use crate::support;

use std::path::Path;
use std::process::Command;

use crate::support::git::{git, replace_line, two_worktrees};

use baton_core::hooks::{ConflictKind, LineRange, MergeForecast};
use baton_engine::merge_check::{check_parallel_edit, snapshot};
use baton_store::sessions::{MergeCheck, ParallelEdit};
use chrono::Utc;

/// An item of these branches and checkouts, every pair changing src/app.rs.
fn edit_of(checkouts: &[(&str, &Path)]) -> ParallelEdit {
    let named: Vec<(&str, String)> = checkouts
        .iter()
        .map(|(branch, dir)| (*branch, dir.to_string_lossy().into_owned()))
        .collect();
    let named: Vec<(&str, &str)> = named.iter().map(|(b, d)| (*b, d.as_str())).collect();
    ParallelEdit::of_checkouts(1, "root:x", &named, &["src/app.rs"], Utc::now())
}

fn edit(a: &Path, b: &Path) -> ParallelEdit {
    edit_of(&[("feature-a", a), ("feature-b", b)])
}

/// What git says of the one pair of `edit`.
fn check_one(edit: &ParallelEdit) -> MergeCheck {
    let mut checks = check_parallel_edit(edit);
    assert_eq!(checks.len(), 1, "{checks:?}");
    checks.pop().unwrap().check
}

/// Everything git shows of a checkout's state (and its index file's bytes).
fn state(dir: &Path) -> (String, String, Vec<u8>) {
    let index = git(dir, &["rev-parse", "--git-path", "index"]);
    (
        git(dir, &["status", "--porcelain=v1", "-uall"]),
        git(dir, &["rev-parse", "HEAD"]),
        std::fs::read(dir.join(index)).unwrap(),
    )
}

#[test]
fn the_same_lines_conflict_with_both_ranges_as_git_merge_finds_them() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = two_worktrees(tmp.path());
    // feature-a commits lines 2-3; feature-b changes line 3 without committing.
    replace_line(&a.join("src/app.rs"), 2, "A2");
    replace_line(&a.join("src/app.rs"), 3, "A3");
    git(&a, &["commit", "-q", "-am", "a"]);
    replace_line(&b.join("src/app.rs"), 3, "B3");
    // And an untracked file of feature-b that feature-a also added, differently.
    std::fs::write(a.join("new.rs"), "a\n").unwrap();
    std::fs::write(b.join("new.rs"), "b\n").unwrap();
    let before = (state(&a), state(&b));

    let MergeCheck::Overlap { files, forecast } = check_one(&edit(&a, &b)) else {
        panic!("expected an overlap");
    };
    // Neither checkout moved.
    assert_eq!((state(&a), state(&b)), before);
    assert_eq!(files, ["new.rs", "src/app.rs"]);
    let MergeForecast::Conflicts {
        files: conflicted,
        more,
    } = &forecast
    else {
        panic!("{forecast:?}");
    };
    assert_eq!(*more, 0);
    let app = conflicted.iter().find(|f| f.path == "src/app.rs").unwrap();
    assert_eq!(app.kind, ConflictKind::Content);
    assert_eq!(app.ours, [LineRange { start: 2, count: 2 }]);
    assert_eq!(app.theirs, [LineRange { start: 3, count: 1 }]);
    let new = conflicted.iter().find(|f| f.path == "new.rs").unwrap();
    assert_eq!(new.kind, ConflictKind::AddAdd);
    assert_eq!(
        forecast.sentence("feature-a", "feature-b"),
        "conflicts in new.rs (feature-a line 1; feature-b line 1); src/app.rs (feature-a lines \
         2–3; feature-b line 3)"
    );

    // What git merge really does once feature-b commits: the same files conflict, and the
    // lines named are the ones in its conflict markers.
    git(&b, &["add", "-A"]);
    git(&b, &["commit", "-q", "-m", "b"]);
    git(&a, &["add", "-A"]);
    git(&a, &["commit", "-q", "-m", "a2"]);
    let merge = Command::new("git")
        .arg("-C")
        .arg(&a)
        .args(["merge", "--no-edit", "feature-b"])
        .output()
        .unwrap();
    assert!(!merge.status.success());
    let mut unmerged: Vec<String> = git(&a, &["diff", "--name-only", "--diff-filter=U"])
        .lines()
        .map(str::to_owned)
        .collect();
    unmerged.sort();
    let mut named: Vec<String> = conflicted.iter().map(|f| f.path.clone()).collect();
    named.sort();
    assert_eq!(unmerged, named);
    let merged = std::fs::read_to_string(a.join("src/app.rs")).unwrap();
    let ours_block = block(&merged, "<<<<<<<", "=======");
    let theirs_block = block(&merged, "=======", ">>>>>>>");
    assert_eq!(ours_block, ["A2", "A3"]);
    assert_eq!(theirs_block, ["l2", "B3"]);
    // Ours' lines 2-3 are its block; theirs' line 3 is in its block.
    assert!(theirs_block.contains(&"B3".to_owned()));
}

/// The lines between a marker line starting with `from` and the next starting with `to`.
fn block(text: &str, from: &str, to: &str) -> Vec<String> {
    text.lines()
        .skip_while(|l| !l.starts_with(from))
        .skip(1)
        .take_while(|l| !l.starts_with(to))
        .map(str::to_owned)
        .collect()
}

#[test]
fn distant_lines_merge_cleanly_as_git_merge_does() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = two_worktrees(tmp.path());
    replace_line(&a.join("src/app.rs"), 2, "A2");
    replace_line(&b.join("src/app.rs"), 9, "B9");
    // The same new file in both (the hooks' settings installed in each worktree): no overlap.
    for dir in [&a, &b] {
        std::fs::create_dir_all(dir.join(".claude")).unwrap();
        std::fs::write(dir.join(".claude/settings.json"), "{\"hooks\": {}}\n").unwrap();
    }
    let check = check_one(&edit(&a, &b));
    assert_eq!(
        check,
        MergeCheck::Overlap {
            files: vec!["src/app.rs".into()],
            forecast: MergeForecast::Clean
        }
    );
    for (dir, message) in [(&a, "a"), (&b, "b")] {
        git(dir, &["add", "-A"]);
        git(dir, &["commit", "-q", "-m", message]);
    }
    git(&a, &["merge", "-q", "--no-edit", "feature-b"]);
    let merged = std::fs::read_to_string(a.join("src/app.rs")).unwrap();
    assert!(merged.contains("A2") && merged.contains("B9"));

    // Merged: feature-b is in feature-a, the branches no longer overlap.
    let MergeCheck::Over(why) = check_one(&edit(&a, &b)) else {
        panic!("expected the overlap to be over");
    };
    assert_eq!(
        why,
        "feature-b has nothing feature-a does not have (merged, or its edits undone)"
    );
}

#[test]
fn a_deleted_branch_or_undone_edit_ends_the_overlap() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = two_worktrees(tmp.path());
    replace_line(&a.join("src/app.rs"), 2, "A2");
    replace_line(&b.join("src/app.rs"), 2, "B2");
    assert!(matches!(
        check_one(&edit(&a, &b)),
        MergeCheck::Overlap { .. }
    ));
    // Both make the same change: it merges as it is, nothing overlaps.
    replace_line(&a.join("src/app.rs"), 2, "B2");
    assert_eq!(
        check_one(&edit(&a, &b)),
        MergeCheck::Over("the files both change are the same on both".into())
    );
    // feature-b undoes its edit and changes another file: nothing overlaps.
    git(&b, &["checkout", "--", "src/app.rs"]);
    std::fs::write(b.join("README"), "b\n").unwrap();
    assert_eq!(
        check_one(&edit(&a, &b)),
        MergeCheck::Over("none of the files one changes is changed on the other".into())
    );
    // feature-b's worktree removed and its branch deleted.
    replace_line(&b.join("src/app.rs"), 2, "B2");
    git(&a, &["worktree", "remove", "--force", b.to_str().unwrap()]);
    assert_eq!(
        check_one(&edit(&a, &b)),
        MergeCheck::Over(format!("the checkout {} is gone", b.display()))
    );
    let moved = edit(&a, &a);
    git(&a, &["branch", "-D", "feature-b"]);
    assert_eq!(
        check_one(&moved),
        MergeCheck::Over("the branch feature-b was deleted".into())
    );
}

#[test]
fn clones_and_checkouts_elsewhere_cannot_be_told_and_are_not_closed() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, _) = two_worktrees(tmp.path());
    let clone = tmp.path().join("clone");
    git(tmp.path(), &["clone", "-q", "repo", "clone"]);
    git(&clone, &["checkout", "-q", "-b", "feature-b"]);
    replace_line(&a.join("src/app.rs"), 2, "A2");
    replace_line(&clone.join("src/app.rs"), 2, "C2");
    let cannot_tell = |check: MergeCheck| match check {
        MergeCheck::Overlap {
            forecast: MergeForecast::Unknown { why },
            ..
        } => why,
        other => panic!("{other:?}"),
    };
    let why = cannot_tell(check_one(&edit(&a, &clone)));
    assert!(why.contains("separate clones"), "{why}");
    let elsewhere = tmp.path().join("elsewhere");
    let why = cannot_tell(check_one(&edit(&elsewhere.join("a"), &elsewhere.join("b"))));
    assert_eq!(why, "neither checkout is on this machine");
}

#[test]
fn three_branches_are_checked_two_by_two_as_git_merge_finds_them() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = two_worktrees(tmp.path());
    git(
        &tmp.path().join("repo"),
        &["worktree", "add", "-q", "-b", "feature-c", "../wt/c"],
    );
    let c = tmp.path().join("wt/c");
    replace_line(&a.join("src/app.rs"), 2, "A2");
    replace_line(&b.join("src/app.rs"), 2, "B2");
    replace_line(&c.join("src/app.rs"), 9, "C9");
    let edit = edit_of(&[("feature-a", &a), ("feature-b", &b), ("feature-c", &c)]);
    let checks = check_parallel_edit(&edit);
    let each: Vec<(&str, &str, String)> = checks
        .iter()
        .map(|p| {
            let said = match &p.check {
                MergeCheck::Overlap { forecast, .. } => forecast.sentence(&p.branch_a, &p.branch_b),
                MergeCheck::Over(why) => format!("over: {why}"),
            };
            (p.branch_a.as_str(), p.branch_b.as_str(), said)
        })
        .collect();
    assert_eq!(
        each,
        [
            (
                "feature-a",
                "feature-b",
                "conflicts in src/app.rs (feature-a line 2; feature-b line 2)".to_owned()
            ),
            ("feature-a", "feature-c", "merges cleanly".to_owned()),
            ("feature-b", "feature-c", "merges cleanly".to_owned()),
        ]
    );
    // What git merge does with them, committed: c into a cleanly, then b into a not.
    for (dir, message) in [(&a, "a"), (&b, "b"), (&c, "c")] {
        git(dir, &["commit", "-q", "-am", message]);
    }
    git(&a, &["merge", "-q", "--no-edit", "feature-c"]);
    let merge_b = Command::new("git")
        .arg("-C")
        .arg(&a)
        .args(["merge", "-q", "--no-edit", "feature-b"])
        .output()
        .unwrap();
    assert!(!merge_b.status.success());
    git(&a, &["merge", "--abort"]);

    // feature-c merged into feature-a leaves that pair; its checkout removed leaves the other.
    let checks = check_parallel_edit(&edit);
    assert!(matches!(&checks[0].check, MergeCheck::Overlap { .. }));
    assert_eq!(
        checks[1].check,
        MergeCheck::Over(
            "feature-c has nothing feature-a does not have (merged, or its edits undone)".into()
        )
    );
    assert!(matches!(&checks[2].check, MergeCheck::Overlap { .. }));
    git(
        &tmp.path().join("repo"),
        &["worktree", "remove", "--force", c.to_str().unwrap()],
    );
    let checks = check_parallel_edit(&edit);
    let gone = MergeCheck::Over(format!("the checkout {} is gone", c.display()));
    assert_eq!((&checks[1].check, &checks[2].check), (&gone, &gone));
    assert!(matches!(&checks[0].check, MergeCheck::Overlap { .. }));
}

#[test]
fn a_snapshot_is_head_when_nothing_changed_and_a_commit_of_the_files_otherwise() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, _) = two_worktrees(tmp.path());
    let head = git(&a, &["rev-parse", "HEAD"]);
    assert_eq!(snapshot(&a).unwrap(), head);
    // A change of the same size in the second the checkout's index was written: git's racy
    // check must see it in the copied index too.
    replace_line(&a.join("src/app.rs"), 2, "X2");
    let changed = snapshot(&a).unwrap();
    assert_ne!(changed, head);
    assert!(git(&a, &["show", &format!("{changed}:src/app.rs")]).contains("X2"));
    git(&a, &["checkout", "--", "src/app.rs"]);
    std::fs::write(a.join("untracked.txt"), "u\n").unwrap();
    let commit = snapshot(&a).unwrap();
    assert_ne!(commit, head);
    assert_eq!(git(&a, &["rev-parse", &format!("{commit}^")]), head);
    assert_eq!(git(&a, &["show", &format!("{commit}:untracked.txt")]), "u");
    // Still untracked: the checkout's index did not take it.
    assert_eq!(git(&a, &["status", "--porcelain"]), "?? untracked.txt");
    // Not a repository: an error, which the check turns into "cannot tell".
    let plain = tmp.path().join("plain");
    std::fs::create_dir_all(&plain).unwrap();
    assert!(snapshot(&plain).is_err());
}

/// Two sessions of Claude Code writing one file in two worktrees, heard by a running engine:
/// the parallel-edit item, and once the writes pause, git's answer on it, announced as its
/// finding updated (the item's "Will it conflict?" follows its finding).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_engine_says_whether_a_parallel_edit_conflicts() {
    use baton_core::detect::FindingKind;
    use baton_engine::{Engine, EngineConfig, MemoryTokens};
    use baton_store::{Store, StoreHandle};
    use std::sync::Arc;

    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = two_worktrees(tmp.path());
    let root = git(&a, &["rev-list", "--max-parents=0", "HEAD"]);
    let path = support::test_location(tmp.path());
    let engine = Engine::new(
        StoreHandle::open_at(&path, 1).unwrap(),
        Arc::new(MemoryTokens::new(None)),
        EngineConfig::default(),
    );
    engine.start_all().await.unwrap();
    let mut events = engine.subscribe();

    replace_line(&a.join("src/app.rs"), 2, "A2");
    replace_line(&b.join("src/app.rs"), 2, "B2");
    for (id, dir, branch) in [("aaaa1111", &a, "feature-a"), ("bbbb2222", &b, "feature-b")] {
        support::git::record_claude_write(&path, id, dir, branch, &format!("root:{root}"));
    }

    // The engine asks git once the writes paused, beside the hooks: wait for its answer.
    let store = Store::open_at(&path).unwrap();
    let finding = store
        .open_findings()
        .unwrap()
        .into_iter()
        .find(|f| f.kind == FindingKind::ParallelEdit)
        .expect("a parallel edit");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let edit = loop {
        let edit = store.parallel_edit(finding.id).unwrap().unwrap();
        let asked = edit.pairs.first().is_some_and(|p| p.forecast.is_some());
        if asked || std::time::Instant::now() > deadline {
            break edit;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    let forecast = edit.pairs.first().and_then(|p| p.forecast.clone());
    let Some(MergeForecast::Conflicts { files, .. }) = &forecast else {
        panic!("{forecast:?}");
    };
    assert_eq!(files[0].path, "src/app.rs");
    let summary = &store.findings(&[finding.id]).unwrap()[0].summary;
    assert!(
        summary.ends_with("conflicts in src/app.rs (feature-a line 2; feature-b line 2)"),
        "{summary}"
    );
    let announced = tokio::time::timeout(std::time::Duration::from_secs(30), async {
        loop {
            match events.recv().await {
                Ok(baton_core::views::ChangeEvent::Findings { updated, .. })
                    if updated.contains(&finding.id) =>
                {
                    return true
                }
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(_) => return false,
            }
        }
    })
    .await;
    assert_eq!(
        announced,
        Ok(true),
        "git's answer is announced as the finding updated"
    );
    engine.shutdown().await;
}
