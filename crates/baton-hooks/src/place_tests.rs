//! A repository's identity on real git repositories: worktrees (a `.git` file and
//! `commondir`), clones, a remote spelled two ways, submodules, a bare repository with
//! worktrees, symlinked paths, and a folder that is no repository.

use std::path::Path;
use std::process::Command;

use crate::place::checkout;

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(["-c", "protocol.file.allow=always"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
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
    let cached = main.common_dir.join(crate::place::IDENTITY_CACHE);
    assert_eq!(std::fs::read_to_string(&cached).unwrap().trim(), id);
    std::fs::write(&cached, "root:0123456789abcdef\n").unwrap();
    assert_eq!(main.identity(), "root:0123456789abcdef");
    std::fs::write(&cached, "junk").unwrap();
    assert_eq!(main.identity(), id);

    // A worktree: its `.git` is a file, its git dir names the common one.
    git(
        &repo,
        &[
            "worktree",
            "add",
            "-q",
            "-b",
            "feature-a",
            "../wt/feature-a",
        ],
    );
    let wt = checkout(&tmp.path().join("wt/feature-a/src")).unwrap();
    assert!(tmp.path().join("wt/feature-a/.git").is_file());
    assert_eq!(wt.root, tmp.path().join("wt/feature-a"));
    assert_eq!(wt.branch.as_deref(), Some("feature-a"));
    assert_eq!(wt.common_dir, main.common_dir);
    assert_ne!(wt.git_dir, main.git_dir);
    assert_eq!(wt.identity(), id);

    // A clone elsewhere (its origin a local path: the first commit names it).
    git(tmp.path(), &["clone", "-q", "repo", "clone"]);
    let clone = checkout(&tmp.path().join("clone")).unwrap();
    assert_ne!(clone.common_dir, main.common_dir);
    assert_eq!(clone.identity(), id);

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
