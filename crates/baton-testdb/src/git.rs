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
