//! Real git for the tests: a runner with a fixed identity, and a repository with two worktrees.

use std::path::Path;

pub use baton_testdb::git::git;

pub const TEN: &str = "l1\nl2\nl3\nl4\nl5\nl6\nl7\nl8\nl9\nl10\n";

/// A repository with `src/app.rs` (ten lines) and worktrees `wt/a` and `wt/b` on branches
/// `feature-a` and `feature-b`.
pub fn two_worktrees(tmp: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let repo = tmp.join("repo");
    std::fs::create_dir_all(repo.join("src")).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    std::fs::write(repo.join("src/app.rs"), TEN).unwrap();
    std::fs::write(repo.join("README"), "x\n").unwrap();
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "base"]);
    git(
        &repo,
        &["worktree", "add", "-q", "-b", "feature-a", "../wt/a"],
    );
    git(
        &repo,
        &["worktree", "add", "-q", "-b", "feature-b", "../wt/b"],
    );
    (tmp.join("wt/a"), tmp.join("wt/b"))
}

pub fn replace_line(file: &Path, line: usize, text: &str) {
    let body = std::fs::read_to_string(file).unwrap();
    let mut lines: Vec<String> = body.lines().map(str::to_owned).collect();
    lines[line - 1] = text.to_owned();
    std::fs::write(file, lines.join("\n") + "\n").unwrap();
}

/// A Claude Code session `session_id` on `branch`, in the checkout `dir` of `repository`,
/// writes its `src/app.rs` (its PreToolUse and PostToolUse hook calls, in `warn`) into the
/// store at `location`.
pub fn record_claude_write(
    location: &baton_store::StoreLocation,
    session_id: &str,
    dir: &Path,
    branch: &str,
    repository: &str,
) {
    use baton_core::hooks::{parse_hook_payload, HookClient, PermitMode};
    use baton_store::sessions::{PermitSettings, SessionRef};

    let dir = dir.to_string_lossy().into_owned();
    let session = SessionRef {
        client: HookClient::ClaudeCode,
        session_id: session_id.into(),
        cwd: Some(dir.clone()),
        repo_root: Some(dir.clone()),
        repository: Some(repository.into()),
        repository_name: None,
        branch: Some(branch.into()),
        name: None,
        host: None,
        account: None,
    };
    let mut store = baton_store::Store::open_at(location).unwrap();
    for event in ["PreToolUse", "PostToolUse"] {
        let payload = serde_json::json!({"hook_event_name": event, "tool_name": "Write",
            "tool_input": {"file_path": format!("{dir}/src/app.rs"), "content": "x"}});
        let call = parse_hook_payload(HookClient::ClaudeCode, payload.to_string().as_bytes(), None)
            .unwrap();
        let settings = PermitSettings::in_mode(PermitMode::Warn);
        store
            .record_hook(&session, &call, settings, chrono::Utc::now())
            .unwrap();
    }
}
