//! Patches run through the shell, end to end through one hook call: checked where they really
//! land, recorded as writes when let through (Codex sends no PostToolUse for them), and, when
//! their folder cannot be told, decided by the repository's `unchecked` rule.

use serde_json::{json, Value};

use crate::call::{hook, HookOptions};
use baton_core::hooks::{HookClient, PermitMode};

fn options(client: HookClient) -> HookOptions {
    HookOptions {
        client,
        event: None,
        mode: PermitMode::Enforce,
        lease_minutes: 10,
        ask_seconds: 0,
        name: None,
    }
}

fn codex_patch(session: &str, cwd: &std::path::Path, cmd: String, workdir: Option<&str>) -> String {
    let mut input = json!({ "cmd": cmd });
    if let Some(dir) = workdir {
        input["workdir"] = Value::from(dir);
    }
    json!({
        "session_id": session, "cwd": cwd, "hook_event_name": "PreToolUse",
        "tool_name": "exec_command", "tool_input": input
    })
    .to_string()
}

fn patch(path: &str) -> String {
    format!("apply_patch <<'EOF'\n*** Begin Patch\n*** Update File: {path}\n@@\n-a\n+b\n*** End Patch\nEOF\n")
}

#[test]
fn a_shell_run_patch_is_refused_where_it_lands_and_recorded_when_let_through() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    std::fs::create_dir_all(repo.join(".git")).unwrap();
    std::fs::create_dir_all(repo.join("src")).unwrap();
    let db = dir.path().join("baton.sqlite3");
    let app = repo.join("src/app.rs");
    let claude = json!({
        "session_id": "aaaa1111", "cwd": repo, "hook_event_name": "PreToolUse",
        "tool_name": "Write", "tool_input": {"file_path": app, "content": "x"}
    })
    .to_string();
    let held = hook(
        db.clone(),
        &options(HookClient::ClaudeCode),
        &mut claude.as_bytes(),
    );
    assert_eq!(held.exit_code, 0, "{held:?}");
    let codex = options(HookClient::Codex);
    let sub = repo.join("src/nested");
    for (cwd, cmd, workdir) in [
        (&repo, format!("cd src && {}", patch("app.rs")), None),
        (&repo, format!("cd src; {}", patch("app.rs")), None),
        (&repo, format!("pushd src; {}popd", patch("app.rs")), None),
        (&repo, patch("app.rs"), Some("src")),
        (&repo, patch(&app.to_string_lossy()), None),
        (&sub, patch("../app.rs"), None),
    ] {
        let payload = codex_patch("019a-bbbb2222", cwd, cmd.clone(), workdir);
        let reply = hook(db.clone(), &codex, &mut payload.as_bytes());
        assert_eq!(reply.exit_code, 2, "{cmd:?} {workdir:?}: {reply:?}");
        assert!(reply.stderr.contains("src/app.rs"), "{}", reply.stderr);
    }
    // A patch of a free file goes through, and is recorded as the session's write at once.
    let free = codex_patch(
        "019a-bbbb2222",
        &repo,
        format!("cd src && {}", patch("lib.rs")),
        None,
    );
    let reply = hook(db.clone(), &codex, &mut free.as_bytes());
    assert_eq!(reply.exit_code, 0, "{reply:?}");
    let store = rusqlite::Connection::open(&db).unwrap();
    let written: Vec<String> = store
        .prepare("SELECT resource FROM events WHERE kind = 'write' ORDER BY received_at")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    // The repository's file (a repository with no commit yet is named by its git directory).
    let git_dir = repo.join(".git").canonicalize().unwrap();
    let lib = format!("repo://local:{}/src/lib.rs", git_dir.to_string_lossy());
    assert_eq!(written, vec![lib], "a refused patch records no write");
}

#[test]
fn a_patch_whose_folder_cannot_be_told_follows_the_unchecked_rule_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    std::fs::create_dir_all(repo.join(".git")).unwrap();
    let db = dir.path().join("baton.sqlite3");
    let codex = options(HookClient::Codex);
    let unsure = codex_patch(
        "019a-cccc3333",
        &repo,
        format!("cd $SRC && {}", patch("app.rs")),
        None,
    );
    let allowed = hook(db.clone(), &codex, &mut unsure.as_bytes());
    assert_eq!(allowed.exit_code, 0, "{allowed:?}");
    assert!(
        allowed.stderr.contains("cannot tell which file")
            && allowed.stderr.contains("`cd $SRC`")
            && allowed.stderr.contains("goes ahead unchecked"),
        "{}",
        allowed.stderr
    );
    std::fs::create_dir_all(repo.join(".baton")).unwrap();
    std::fs::write(repo.join(".baton/hooks.toml"), "unchecked = \"refuse\"\n").unwrap();
    let refused = hook(db.clone(), &codex, &mut unsure.as_bytes());
    assert_eq!(refused.exit_code, 2, "{refused:?}");
    assert!(
        refused.stderr.contains("cannot tell which file")
            && refused.stderr.contains("unchecked = \"refuse\""),
        "{}",
        refused.stderr
    );
}
