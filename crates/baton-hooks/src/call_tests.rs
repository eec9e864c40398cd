//! One hook call end to end on a store in a temporary folder.

use serde_json::{json, Value};

use super::*;

fn options(client: HookClient, mode: PermitMode) -> HookOptions {
    HookOptions {
        client,
        event: None,
        mode,
        parallel: baton_core::hooks::ParallelMode::Warn,
        lease_minutes: 10,
        ask_seconds: 0,
        route_wait: 0,
        name: None,
        // Generous: most tests here are not about the budget, and a loaded machine can take
        // longer than 500 ms to create and migrate a fresh store. The tests of a busy store
        // use the real one (`with_real_budget`).
        budget: Some(std::time::Duration::from_secs(30)),
        deliverer: None,
        own_server: None,
    }
}

/// `options` with the budget hooks really run with ([`STORE_BUDGET`]).
fn with_real_budget(options: HookOptions) -> HookOptions {
    HookOptions {
        budget: Some(STORE_BUDGET),
        ..options
    }
}

#[test]
fn a_refused_write_exits_2_with_the_reason_and_junk_lets_the_client_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    std::fs::create_dir_all(repo.join(".git")).unwrap();
    std::fs::write(repo.join(".git/HEAD"), "ref: refs/heads/feature/x\n").unwrap();
    let db = dir.path().join("baton.sqlite3");
    let cwd = repo.join("src");
    let write = |session: &str| {
        json!({
            "session_id": session, "cwd": cwd, "hook_event_name": "PreToolUse",
            "tool_name": "Write", "tool_input": {"file_path": "app.rs", "content": "x"}
        })
        .to_string()
    };
    let enforce = options(HookClient::ClaudeCode, PermitMode::Enforce);
    let first = hook(db.clone(), &enforce, &mut write("aaaa1111").as_bytes());
    assert_eq!(
        (first.exit_code, first.stdout.as_str()),
        (0, ""),
        "{first:?}"
    );
    let second = hook(db.clone(), &enforce, &mut write("bbbb2222").as_bytes());
    assert_eq!(second.exit_code, 2, "{second:?}");
    assert!(second.stdout.is_empty());
    assert!(
        second.stderr.contains("\"repo·aaaa1111\""),
        "{}",
        second.stderr
    );
    // The session knows its repository and branch.
    let place = checkout(&cwd).unwrap();
    assert_eq!(
        (place.root, place.branch.as_deref()),
        (repo.clone(), Some("feature/x"))
    );
    // Junk, an empty payload and a huge one: the client goes on, stderr says why.
    for junk in [
        b"{not json".to_vec(),
        Vec::new(),
        vec![b' '; MAX_PAYLOAD_BYTES + 10],
    ] {
        let reply = hook(db.clone(), &enforce, &mut junk.as_slice());
        assert_eq!(reply.exit_code, 0, "{reply:?}");
        assert!(reply.stdout.is_empty());
        assert!(
            reply.stderr.starts_with("baton: the hook payload"),
            "{}",
            reply.stderr
        );
    }
    // Copilot CLI: JSON on stdout, exit 0, the event named by the installed hook.
    let copilot = HookOptions {
        event: Some("preToolUse".into()),
        ..options(HookClient::Copilot, PermitMode::Enforce)
    };
    let payload = json!({"cwd": cwd, "toolName": "edit", "toolArgs": "{\"path\": \"app.rs\"}"});
    let reply = hook(db.clone(), &copilot, &mut payload.to_string().as_bytes());
    assert_eq!(reply.exit_code, 0);
    let answer: serde_json::Value = serde_json::from_str(&reply.stdout).unwrap();
    assert_eq!(answer["permissionDecision"], "deny");
}

/// One enforced `Write` of /x by session "s" against the store at `db`: the reply.
fn unchecked_write(db: PathBuf) -> HookReply {
    let payload = json!({"session_id": "s", "hook_event_name": "PreToolUse", "tool_name": "Write", "tool_input": {"file_path": "/x"}});
    hook(
        db,
        &with_real_budget(options(HookClient::ClaudeCode, PermitMode::Enforce)),
        &mut payload.to_string().as_bytes(),
    )
}

#[test]
fn a_store_busy_past_the_budget_lets_the_write_go_ahead_unchecked() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("baton.sqlite3");
    drop(baton_store::Store::open(&db).unwrap());
    // Another process holds the write lock for longer than the budget.
    let holder = rusqlite::Connection::open(&db).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    let reply = unchecked_write(db);
    assert_eq!(reply.exit_code, 0, "{reply:?}");
    assert!(
        reply.stderr.contains("did not answer within 500 ms"),
        "{}",
        reply.stderr
    );
    holder.execute_batch("ROLLBACK").unwrap();
}

#[test]
fn a_store_that_cannot_open_lets_the_write_go_ahead_unchecked() {
    let dir = tempfile::tempdir().unwrap();
    // A directory where the database file should be.
    let db = dir.path().join("baton.sqlite3");
    std::fs::create_dir_all(&db).unwrap();
    let reply = unchecked_write(db);
    assert_eq!(reply.exit_code, 0, "{reply:?}");
    assert!(
        reply.stderr.contains("goes ahead unchecked"),
        "{}",
        reply.stderr
    );
}

#[test]
fn the_repositorys_own_settings_win_per_path_and_can_refuse_unchecked_writes() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    std::fs::create_dir_all(repo.join(".git")).unwrap();
    std::fs::create_dir_all(repo.join(".baton")).unwrap();
    std::fs::write(
        repo.join(".baton/hooks.toml"),
        "mode = \"enforce\"\nunchecked = \"refuse\"\n\n[[paths]]\npattern = \"gen/**\"\nmode = \"observe\"\n",
    )
    .unwrap();
    let db = dir.path().join("baton.sqlite3");
    let write = |session: &str, file: &str| {
        json!({
            "session_id": session, "cwd": repo, "hook_event_name": "PreToolUse",
            "tool_name": "Write", "tool_input": {"file_path": file, "content": "x"}
        })
        .to_string()
    };
    // Installed in warn mode; the repository says enforce.
    let warn = options(HookClient::ClaudeCode, PermitMode::Warn);
    for file in ["app.rs", "gen/api.rs"] {
        let first = hook(db.clone(), &warn, &mut write("aaaa1111", file).as_bytes());
        assert_eq!(first.exit_code, 0, "{first:?}");
    }
    let refused = hook(
        db.clone(),
        &warn,
        &mut write("bbbb2222", "app.rs").as_bytes(),
    );
    assert_eq!(refused.exit_code, 2, "{refused:?}");
    // Generated files are only watched.
    let watched = hook(
        db.clone(),
        &warn,
        &mut write("bbbb2222", "gen/api.rs").as_bytes(),
    );
    assert_eq!(watched.exit_code, 0, "{watched:?}");

    // The store busy past the budget: a write is refused, anything else goes ahead.
    let holder = rusqlite::Connection::open(&db).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    let warn_busy = with_real_budget(warn.clone());
    let busy = hook(
        db.clone(),
        &warn_busy,
        &mut write("cccc3333", "other.rs").as_bytes(),
    );
    assert_eq!(busy.exit_code, 2, "{busy:?}");
    assert!(
        busy.stderr.contains("could not check it")
            && busy.stderr.contains("unchecked = \"refuse\""),
        "{}",
        busy.stderr
    );
    let stop = json!({"session_id": "cccc3333", "cwd": repo, "hook_event_name": "Stop"});
    let stop = hook(db.clone(), &warn_busy, &mut stop.to_string().as_bytes());
    assert_eq!(stop.exit_code, 0, "{stop:?}");
    holder.execute_batch("ROLLBACK").unwrap();

    // A broken file is said, and the installed settings apply (warn: allowed).
    std::fs::write(repo.join(".baton/hooks.toml"), "mode = \"strict\"").unwrap();
    let broken = hook(
        db.clone(),
        &warn,
        &mut write("bbbb2222", "app.rs").as_bytes(),
    );
    assert_eq!(broken.exit_code, 0, "{broken:?}");
    assert!(
        broken
            .stderr
            .contains(".baton/hooks.toml: mode: \"strict\" is not a mode")
            && broken.stderr.contains("the installed settings apply"),
        "{}",
        broken.stderr
    );
}

// Patches run through the shell, end to end through one hook call: checked where they really
// land, recorded as writes when let through (Codex sends no PostToolUse for them), and, when
// their folder cannot be told, decided by the repository's `unchecked` rule.

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
        &options(HookClient::ClaudeCode, PermitMode::Enforce),
        &mut claude.as_bytes(),
    );
    assert_eq!(held.exit_code, 0, "{held:?}");
    let codex = options(HookClient::Codex, PermitMode::Enforce);
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
    let codex = options(HookClient::Codex, PermitMode::Enforce);
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

#[test]
fn a_subagent_is_refused_its_siblings_file_and_a_stop_naming_none_lets_the_client_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    std::fs::create_dir_all(repo.join(".git")).unwrap();
    std::fs::write(repo.join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
    let db = dir.path().join("baton.sqlite3");
    let call = |payload: Value| {
        let mut payload = payload;
        payload["session_id"] = json!("aaaa1111");
        payload["cwd"] = json!(repo);
        let enforce = options(HookClient::ClaudeCode, PermitMode::Enforce);
        hook(db.clone(), &enforce, &mut payload.to_string().as_bytes())
    };
    let write = |agent: &str| {
        json!({"hook_event_name": "PreToolUse", "agent_id": agent,
               "agent_type": "general-purpose", "tool_name": "Write",
               "tool_input": {"file_path": "src/app.rs", "content": agent}})
    };
    assert_eq!(call(write("a1")).exit_code, 0);
    let refused = call(write("b2"));
    assert_eq!(refused.exit_code, 2, "{refused:?}");
    assert!(
        refused
            .stderr
            .contains("the subagent \"repo·aaaa1111 › general-purpose #1\""),
        "{}",
        refused.stderr
    );
    // A stop naming no subagent, or one of the wrong kind: nothing recorded, the client goes on.
    for junk in [
        json!({"hook_event_name": "SubagentStop"}),
        json!({"hook_event_name": "SubagentStop", "agent_id": 7}),
    ] {
        let reply = call(junk);
        assert_eq!(reply.exit_code, 0, "{reply:?}");
        assert!(reply.stderr.contains("nothing was recorded"), "{reply:?}");
    }
    // The first one's stop lets the second through.
    let stop = json!({"hook_event_name": "SubagentStop", "agent_id": "a1",
                      "agent_type": "general-purpose"});
    assert_eq!(call(stop).exit_code, 0);
    assert_eq!(call(write("b2")).exit_code, 0);
}
