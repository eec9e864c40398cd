//! A repository's identity on real git repositories (worktrees with a `.git` file and
//! `commondir`, clones, a remote spelled two ways, submodules, a bare repository with
//! worktrees, symlinked paths, a folder that is no repository), and sessions in two worktrees
//! and a clone of one repository, each call through the real `baton-hook` binary (its own
//! process, as the clients run it): they write one repository file, whatever folder each is in,
//! and the sessions of one branch meet each other on it whatever the other branches do.

use std::path::Path;

use baton_core::rules::{Rule, RuleKind};
use baton_hooks::place::{checkout, main_checkout, IDENTITY_CACHE};
use baton_store::StorePlace;
use serde_json::json;

use crate::support::{edit_app as write, run_hook};
use baton_testdb::git::git;

/// One hook call of `client` in `enforce` mode: (exit code, stderr).
fn hook(data: &Path, client: &str, payload: serde_json::Value) -> (i32, String) {
    run_hook(data, client, &[], &payload)
}

/// A worktree of `repo` on a new `branch`, in `../wt/<branch>`.
fn worktree(repo: &Path, branch: &str) {
    let folder = format!("../wt/{branch}");
    git(repo, &["worktree", "add", "-q", "-b", branch, &folder]);
}

#[test]
fn two_worktrees_and_a_clone_write_one_repository_file() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let repo = tmp.path().join("repo");
    repository(&repo);
    let root = git(&repo, &["rev-list", "--max-parents=0", "HEAD"]);
    worktree(&repo, "feature-a");
    worktree(&repo, "feature-b");
    git(tmp.path(), &["clone", "-q", "repo", "clone"]);
    let app = format!("repo://root:{root}/src/app.rs");

    // Sessions on two branches, each in its worktree: one repository file, both writes
    // recorded as writes of it; neither refused (another branch edits its own checkout).
    let feature_a = tmp.path().join("wt/feature-a");
    let feature_b = tmp.path().join("wt/feature-b");
    for (session, cwd) in [("aaaa1111", &feature_a), ("bbbb2222", &feature_b)] {
        for event in ["PreToolUse", "PostToolUse"] {
            let (code, stderr) = hook(&data, "claude-code", write(session, cwd, event));
            assert_eq!(code, 0, "{session} {event}: {stderr}");
        }
    }
    // A Codex session on `main` patches through the shell from the repository's folder.
    let patch = "cd src && apply_patch <<'EOF'\n*** Begin Patch\n*** Update File: app.rs\n@@\n-a\n+b\n*** End Patch\nEOF\n";
    let codex = json!({
        "session_id": "cccc3333", "cwd": repo, "hook_event_name": "PreToolUse",
        "tool_name": "exec_command", "tool_input": {"cmd": patch}
    });
    let (code, stderr) = hook(&data, "codex", codex);
    assert_eq!(code, 0, "{stderr}");

    let store = rusqlite::Connection::open(data.join("baton.sqlite3")).unwrap();
    let writes: Vec<(String, String, String)> = store
        .prepare(
            "SELECT a.name, s.branch, e.resource FROM events e JOIN agents a ON a.id = e.agent_id
               JOIN sessions s ON s.agent_id = e.agent_id
              WHERE e.kind = 'write' ORDER BY a.name",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        writes,
        vec![
            ("feature-a·aaaa1111".into(), "feature-a".into(), app.clone()),
            ("feature-b·bbbb2222".into(), "feature-b".into(), app.clone()),
            ("repo·cccc3333".into(), "main".into(), app.clone()),
        ]
    );

    // A clone elsewhere on the same branch as the Codex session: the same file, a collision
    // as in one folder, refused in enforce.
    let clone = tmp.path().join("clone");
    let (code, stderr) = hook(
        &data,
        "claude-code",
        write("dddd4444", &clone, "PreToolUse"),
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("\"repo·cccc3333\""), "{stderr}");

    // A rule written once for the repository's files holds in every checkout of it.
    let mut rules = StorePlace::from_anchor(&data.join("baton.sqlite3"))
        .and_then(|place| place.open())
        .unwrap();
    let rule = Rule {
        kind: RuleKind::Data,
        pattern: format!("repo://root:{root}/docs/**"),
        owner: "docs-bot".into(),
        readers: Vec::new(),
        sequence: Vec::new(),
        sla_seconds: None,
        note: None,
    };
    rules.add_rule(&rule, "test").unwrap();
    drop(rules);
    for (session, cwd) in [("eeee5555", &clone), ("ffff6666", &feature_a)] {
        let docs = json!({
            "session_id": session, "cwd": cwd, "hook_event_name": "PreToolUse",
            "tool_name": "Write", "tool_input": {"file_path": "docs/a.md", "content": "x"}
        });
        let (code, stderr) = hook(&data, "claude-code", docs);
        assert_eq!(code, 2, "{session}: {stderr}");
        assert!(stderr.contains("\"docs-bot\""), "{stderr}");
    }
}

#[test]
fn another_branchs_write_leaves_mains_lease_so_a_second_main_session_still_meets_it() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let repo = tmp.path().join("repo");
    repository(&repo);
    worktree(&repo, "feature-a");
    let feature_a = tmp.path().join("wt/feature-a");

    // A on main writes the file; B in the feature-a worktree writes it too: a parallel edit
    // (warn by default: it goes on), which takes no lease from A.
    for (session, cwd) in [("aaaa1111", &repo), ("bbbb2222", &feature_a)] {
        for event in ["PreToolUse", "PostToolUse"] {
            let (code, stderr) = hook(&data, "claude-code", write(session, cwd, event));
            assert_eq!(code, 0, "{session} {event}: {stderr}");
        }
    }
    // C, a second session in main's own checkout: a write collision with A, refused.
    let (code, stderr) = hook(&data, "claude-code", write("cccc3333", &repo, "PreToolUse"));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("\"repo·aaaa1111\""), "{stderr}");
    // D, a second session in the feature-a worktree, meets B there.
    let (code, stderr) = hook(
        &data,
        "claude-code",
        write("dddd4444", &feature_a, "PreToolUse"),
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("\"feature-a·bbbb2222\""), "{stderr}");

    let store = rusqlite::Connection::open(data.join("baton.sqlite3")).unwrap();
    let leases: Vec<(String, String)> = store
        .prepare(
            "SELECT l.branch, a.name FROM leases l JOIN agents a ON a.id = l.holder
              ORDER BY l.branch",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        leases,
        vec![
            ("feature-a".into(), "feature-a·bbbb2222".into()),
            ("main".into(), "repo·aaaa1111".into()),
        ]
    );
    // The parallel edit names the repository by its main checkout's folder, from either side.
    let summary: String = store
        .query_row(
            "SELECT summary FROM findings WHERE kind = 'parallel_edit'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        summary.starts_with("Branches feature-a and main of repo both change src/app.rs"),
        "{summary}"
    );
}

/// A repository at `dir` with one commit of `src/app.rs`.
fn repository(dir: &Path) {
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("src/app.rs"), "fn main() {}\n").unwrap();
    git(dir, &["init", "-q"]);
    git(dir, &["add", "."]);
    git(dir, &["commit", "-qm", "first"]);
}

#[test]
fn worktrees_clones_and_bare_repositories_share_one_identity() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    repository(&repo);
    let main = checkout(&repo.join("src")).unwrap();
    assert_eq!(main.root, repo);
    assert_eq!(main.branch.as_deref(), Some("main"));
    let id = main.identity();
    assert!(id.starts_with("root:"), "{id}");
    // Kept for the next call, and read from there.
    let cached = main.common_dir.join(IDENTITY_CACHE);
    assert_eq!(std::fs::read_to_string(&cached).unwrap().trim(), id);
    std::fs::write(&cached, "root:0123456789abcdef\n").unwrap();
    assert_eq!(main.identity(), "root:0123456789abcdef");
    std::fs::write(&cached, "junk").unwrap();
    assert_eq!(main.identity(), id);

    // A worktree: its `.git` is a file, its git dir names the common one.
    worktree(&repo, "feature-a");
    let wt = checkout(&tmp.path().join("wt/feature-a/src")).unwrap();
    assert!(tmp.path().join("wt/feature-a/.git").is_file());
    assert_eq!(wt.root, tmp.path().join("wt/feature-a"));
    assert_eq!(wt.branch.as_deref(), Some("feature-a"));
    assert_eq!(wt.common_dir, main.common_dir);
    assert_ne!(wt.git_dir, main.git_dir);
    assert_eq!(wt.identity(), id);
    // Its main checkout, the repository's name for a person, is the folder holding `.git`.
    let canonical = repo.canonicalize().unwrap();
    assert_eq!(main_checkout(&wt.root), Some(canonical.clone()));
    assert_eq!(main_checkout(&repo.join("src")), Some(canonical));

    // A clone elsewhere (its origin a local path: the first commit names it).
    git(tmp.path(), &["clone", "-q", "repo", "clone"]);
    let clone = checkout(&tmp.path().join("clone")).unwrap();
    assert_ne!(clone.common_dir, main.common_dir);
    assert_eq!(clone.identity(), id);
    assert_eq!(
        main_checkout(&tmp.path().join("clone")),
        Some(tmp.path().join("clone").canonicalize().unwrap())
    );

    // A bare repository with a worktree of its own.
    git(tmp.path(), &["clone", "-q", "--bare", "repo", "bare.git"]);
    git(
        &tmp.path().join("bare.git"),
        &["worktree", "add", "-q", "../bare-wt", "main"],
    );
    let bare_wt = checkout(&tmp.path().join("bare-wt/src")).unwrap();
    assert_eq!(
        bare_wt.common_dir,
        tmp.path().join("bare.git").canonicalize().unwrap()
    );
    assert_eq!(bare_wt.branch.as_deref(), Some("main"));
    assert_eq!(bare_wt.identity(), id);
    // A bare repository has no main checkout: its identity names it.
    assert_eq!(main_checkout(&tmp.path().join("bare-wt")), None);

    // With an origin, the remote names it, however each clone spells it.
    git(
        &repo,
        &["remote", "add", "origin", "git@github.com:acme/shop.git"],
    );
    git(
        &tmp.path().join("clone"),
        &[
            "remote",
            "set-url",
            "origin",
            "https://me@github.com/acme/shop",
        ],
    );
    assert_eq!(main.identity(), "github.com/acme/shop");
    assert_eq!(wt.identity(), "github.com/acme/shop");
    assert_eq!(clone.identity(), "github.com/acme/shop");
}

#[test]
fn a_submodule_is_a_repository_of_its_own_and_a_plain_folder_is_none() {
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    std::fs::create_dir_all(&lib).unwrap();
    std::fs::write(lib.join("lib.rs"), "pub fn f() {}\n").unwrap();
    git(&lib, &["init", "-q"]);
    git(&lib, &["add", "."]);
    git(&lib, &["commit", "-qm", "lib"]);
    let repo = tmp.path().join("repo");
    repository(&repo);
    git(&repo, &["submodule", "add", "-q", "../lib", "vendor/lib"]);
    let sub = checkout(&repo.join("vendor/lib")).unwrap();
    assert!(repo.join("vendor/lib/.git").is_file());
    assert_eq!(sub.root, repo.join("vendor/lib"));
    assert_eq!(sub.identity(), checkout(&lib).unwrap().identity());
    assert_ne!(sub.identity(), checkout(&repo).unwrap().identity());
    assert_eq!(
        sub.inside(&repo.join("vendor/lib/lib.rs")).as_deref(),
        Some("lib.rs")
    );

    let plain = tempfile::tempdir().unwrap();
    assert_eq!(checkout(plain.path()), None);
    assert_eq!(main_checkout(plain.path()), None);
    // A repository with no commit yet is named by where its git directory is.
    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    git(&empty, &["init", "-q"]);
    assert!(checkout(&empty).unwrap().identity().starts_with("local:/"));
}

#[cfg(unix)]
#[test]
fn symlinked_spellings_of_a_checkout_are_the_same_files() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    repository(&repo);
    let link = tmp.path().join("link");
    std::os::unix::fs::symlink(&repo, &link).unwrap();
    let through_link = checkout(&link.join("src")).unwrap();
    let direct = checkout(&repo).unwrap();
    assert_eq!(through_link.identity(), direct.identity());
    assert_eq!(through_link.common_dir, direct.common_dir);
    // A file named through the link, or not, existing or not yet: one path inside.
    for path in [
        link.join("src/app.rs"),
        repo.join("src/app.rs"),
        repo.join("src/new/mod.rs"),
        link.join("src/new/mod.rs"),
    ] {
        let inside = direct.inside(&path).or_else(|| through_link.inside(&path));
        assert!(inside.is_some(), "{}", path.display());
        assert_eq!(
            direct.inside(&path),
            through_link.inside(&path),
            "{}",
            path.display()
        );
    }
    assert_eq!(
        direct.inside(&link.join("src/app.rs")).as_deref(),
        Some("src/app.rs")
    );
    assert_eq!(direct.inside(&tmp.path().join("elsewhere.rs")), None);
}
