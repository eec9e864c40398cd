//! Sessions in two worktrees and a clone of one real git repository, each call through the
//! real `baton-hook` binary (its own process, as the clients run it): they write one
//! repository file, whatever folder each is in.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use baton_core::rules::{Rule, RuleKind};
use baton_store::StorePlace;
use serde_json::json;

fn git(dir: &Path, args: &[&str]) -> String {
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
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// One hook call of `client` in `enforce` mode: (exit code, stderr).
fn hook(data: &Path, client: &str, payload: serde_json::Value) -> (i32, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_baton-hook"))
        .arg("--data-dir")
        .arg(data)
        .args([client, "--mode", "enforce"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(payload.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn write(session: &str, cwd: &Path, event: &str) -> serde_json::Value {
    json!({
        "session_id": session, "cwd": cwd, "hook_event_name": event, "tool_name": "Edit",
        "tool_input": {"file_path": cwd.join("src/app.rs"), "old_string": "a", "new_string": "b"}
    })
}

#[test]
fn two_worktrees_and_a_clone_write_one_repository_file() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let repo = tmp.path().join("repo");
    std::fs::create_dir_all(repo.join("src")).unwrap();
    std::fs::write(repo.join("src/app.rs"), "fn main() {}\n").unwrap();
    git(&repo, &["init", "-q"]);
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-qm", "first"]);
    let root = git(&repo, &["rev-list", "--max-parents=0", "HEAD"]);
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
    git(
        &repo,
        &[
            "worktree",
            "add",
            "-q",
            "-b",
            "feature-b",
            "../wt/feature-b",
        ],
    );
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
