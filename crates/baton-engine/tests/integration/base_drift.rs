//! The default branch moving under a live session, asked of real git: how far it moved since the
//! session's branch forked, whether the session's work as it is now (uncommitted too) still
//! merges into it (checked against `git merge` afterwards), and the line a running engine keeps
//! on the session.

use crate::support;

use std::path::Path;

use crate::support::git::{git, replace_line, two_worktrees};
use baton_core::hooks::MergeForecast;
use baton_engine::base_drift::{check_base_drift, default_branch};
use chrono::Utc;

/// `main` (the repository of the two worktrees) gains a commit changing `line` of src/app.rs.
fn main_moves(tmp: &Path, line: usize) {
    let repo = tmp.join("repo");
    replace_line(&repo.join("src/app.rs"), line, "main's change");
    git(&repo, &["commit", "-q", "-am", "main moves"]);
}

#[test]
fn a_default_branch_that_has_not_moved_says_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, _) = two_worktrees(tmp.path());
    replace_line(&a.join("src/app.rs"), 2, "A2");
    assert_eq!(check_base_drift(&a, "feature-a", Utc::now()).unwrap(), None);
    // On the default branch itself, nothing either.
    main_moves(tmp.path(), 9);
    let repo = tmp.path().join("repo");
    assert_eq!(check_base_drift(&repo, "main", Utc::now()).unwrap(), None);
    // A checkout that is not here (another machine's): nothing to say.
    let gone = tmp.path().join("elsewhere");
    assert_eq!(
        check_base_drift(&gone, "feature-a", Utc::now()).unwrap(),
        None
    );
}

#[test]
fn the_default_branch_moving_onto_the_sessions_lines_is_a_conflict_git_merge_agrees_with() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, _) = two_worktrees(tmp.path());
    // The session's work, not committed yet.
    replace_line(&a.join("src/app.rs"), 2, "A2");
    main_moves(tmp.path(), 2);
    main_moves(tmp.path(), 3);
    let drift = check_base_drift(&a, "feature-a", Utc::now())
        .unwrap()
        .expect("main moved");
    assert_eq!((drift.branch.as_str(), drift.moved), ("main", 2));
    assert!(
        matches!(drift.forecast, MergeForecast::Conflicts { .. }),
        "{drift:?}"
    );
    assert_eq!(
        drift.sentence("feature-a"),
        "main moved 2 commits since feature-a forked from it: conflicts in src/app.rs \
         (feature-a line 2; main lines 2–3)"
    );
    // The check touched neither the worktree nor its index.
    assert_eq!(git(&a, &["status", "--porcelain"]), "M src/app.rs");
    git(&a, &["commit", "-q", "-am", "A"]);
    let merged = std::process::Command::new("git")
        .arg("-C")
        .arg(&a)
        .args(["-c", "user.name=t", "-c", "user.email=t@t"])
        .args(["merge", "-q", "--no-edit", "main"])
        .output()
        .unwrap();
    assert!(!merged.status.success(), "{merged:?}");
}

#[test]
fn the_default_branch_moving_elsewhere_merges_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, _) = two_worktrees(tmp.path());
    replace_line(&a.join("src/app.rs"), 2, "A2");
    main_moves(tmp.path(), 9);
    let drift = check_base_drift(&a, "feature-a", Utc::now())
        .unwrap()
        .expect("main moved");
    assert_eq!(drift.forecast, MergeForecast::Clean);
    assert_eq!(
        drift.sentence("feature-a"),
        "main moved 1 commit since feature-a forked from it: merges cleanly"
    );
    git(&a, &["commit", "-q", "-am", "A"]);
    git(&a, &["merge", "-q", "--no-edit", "main"]);
}

#[test]
fn the_default_branch_is_origins_head_else_the_configured_else_main_or_master() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, _) = two_worktrees(tmp.path());
    let repo = tmp.path().join("repo");
    assert_eq!(
        default_branch(&repo).unwrap(),
        Some(("main".into(), "refs/heads/main".into()))
    );
    // A clone: origin's HEAD names it, and the clone has the local branch.
    let clone = tmp.path().join("clone");
    git(
        tmp.path(),
        &[
            "clone",
            "-q",
            repo.to_str().unwrap(),
            clone.to_str().unwrap(),
        ],
    );
    git(&clone, &["checkout", "-q", "-b", "feature-c"]);
    git(&clone, &["branch", "-q", "-D", "main"]);
    assert_eq!(
        default_branch(&clone).unwrap(),
        Some(("main".into(), "refs/remotes/origin/main".into()))
    );
    // A repository whose default branch is named in its configuration.
    let trunk = tmp.path().join("trunk");
    std::fs::create_dir_all(&trunk).unwrap();
    git(&trunk, &["init", "-q", "-b", "trunk"]);
    git(&trunk, &["config", "init.defaultBranch", "trunk"]);
    git(&trunk, &["commit", "-q", "--allow-empty", "-m", "first"]);
    assert_eq!(
        default_branch(&trunk).unwrap(),
        Some(("trunk".into(), "refs/heads/trunk".into()))
    );
    // No main, no master, nothing configured: no default branch to compare with.
    git(&trunk, &["config", "--unset", "init.defaultBranch"]);
    assert_eq!(default_branch(&trunk).unwrap(), None);
}

/// A live session on feature-a, heard through its hooks, while main moves onto its lines: a
/// running engine keeps the line on the session, as the Agents view and `baton agents` show it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_engine_keeps_the_line_on_the_live_session() {
    use baton_engine::{Engine, EngineConfig, MemoryTokens};
    use std::sync::Arc;

    let tmp = tempfile::tempdir().unwrap();
    let (a, _) = two_worktrees(tmp.path());
    let root = git(&a, &["rev-list", "--max-parents=0", "HEAD"]);
    let location = support::test_location(tmp.path());
    replace_line(&a.join("src/app.rs"), 2, "A2");
    support::git::record_claude_write(
        &location,
        "aaaa1111",
        &a,
        "feature-a",
        &format!("root:{root}"),
    );
    main_moves(tmp.path(), 2);
    let engine = Engine::new(
        baton_store::StoreHandle::open_at(&location, 1).unwrap(),
        Arc::new(MemoryTokens::new(None)),
        EngineConfig::default(),
    );
    engine.start_all().await.unwrap();

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let base = loop {
        let rows = engine.read(|store| store.agent_rows()).await.unwrap();
        let base = rows
            .iter()
            .find_map(|row| row.session.as_ref().and_then(|s| s.base.clone()));
        if base.is_some() || std::time::Instant::now() > deadline {
            break base;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    engine.shutdown().await;
    let base = base.expect("the engine kept how feature-a stands against main");
    assert_eq!(
        base.sentence("feature-a"),
        "main moved 1 commit since feature-a forked from it: conflicts in src/app.rs \
         (feature-a line 2; main line 2)"
    );
}
