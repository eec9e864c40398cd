//! Real git for the tests: one runner with a fixed identity, so every test that builds a
//! repository, its worktrees and its clones calls git the same way.

use std::path::Path;
use std::process::Command;

/// Runs `git -C dir args…` as a test author (`t <t@t>`), new repositories on `main`, local
/// submodules allowed; panics with git's own words when it fails. Returns what git printed,
/// trimmed.
pub fn git(dir: &Path, args: &[&str]) -> String {
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
            "-c",
            "protocol.file.allow=always",
        ])
        .args(args)
        .output()
        .unwrap_or_else(|err| panic!("git {args:?}: {err}"));
    assert!(
        out.status.success(),
        "git {args:?} in {}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A repository at `root/origin` with one commit of `files` ((path inside, content)): what the
/// tests' machines clone ([`clone_as`]). Its folder.
pub fn origin(root: &Path, files: &[(&str, &str)]) -> std::path::PathBuf {
    let dir = root.join("origin");
    for (inside, content) in files {
        let file = dir.join(inside);
        std::fs::create_dir_all(file.parent().expect("a file in a folder")).expect("mkdir");
        std::fs::write(file, content).expect("write the origin's file");
    }
    git(root, &["init", "-q", dir.to_str().expect("a UTF-8 path")]);
    git(&dir, &["add", "."]);
    git(&dir, &["commit", "-qm", "first"]);
    dir
}

/// Clones `origin` to `to`, then names its remote `url`, as a laptop's clone of a shared
/// repository knows it (two clones naming one URL are one repository to Baton).
pub fn clone_as(origin: &Path, to: &Path, url: &str) {
    git(
        origin,
        &["clone", "-q", ".", to.to_str().expect("a UTF-8 path")],
    );
    git(to, &["remote", "set-url", "origin", url]);
}
