//! `baton hook` as the coding agents run it: one process per call, many at once on one store.

use std::io::Write;
use std::process::Stdio;
use std::sync::Arc;

use serde_json::json;

use crate::common::Sandbox;

const SESSIONS: usize = 10;
const CALLS_PER_SESSION: usize = 100;
const FILES: usize = 20;

/// One `baton hook claude-code --mode enforce` process fed `payload`: (exit code, stderr).
fn call(sandbox: &Sandbox, payload: &serde_json::Value) -> (i32, String) {
    let mut child = sandbox
        .baton(&["hook", "claude-code", "--mode", "enforce"])
        // What is checked here is that nothing is lost or locked, not how fast a debug build on
        // a busy machine answers: no call may fall back to "unchecked".
        .env("BATON_HOOK_BUDGET_MS", "30000")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("baton hook starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(payload.to_string().as_bytes())
        .expect("payload written");
    let out = child.wait_with_output().expect("baton hook ends");
    assert!(out.stdout.is_empty(), "stdout is the client's: {out:?}");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_thousand_hook_calls_from_ten_sessions_at_once_lose_nothing_and_never_find_the_store_locked() {
    let sandbox = Arc::new(Sandbox::new());
    ten_sessions_at_once(&sandbox);
}

#[test]
fn a_thousand_hook_calls_answered_by_a_running_app_lose_nothing_and_keep_the_same_leases() {
    let sandbox = Arc::new(Sandbox::new());
    // What the app and `baton watch` start: the calls go through its socket.
    let server = baton_hooks::HookServer::start(&sandbox.place())
        .unwrap()
        .expect("nobody else serves this store");
    let calls = ten_sessions_at_once(&sandbox);
    assert_eq!(
        server.recorded(),
        calls as u64,
        "every call went through the app"
    );
}

/// Ten sessions make a hundred calls each at once (writes of twenty shared files, refused
/// while another session holds them): checks what was refused and stored; the number of calls.
fn ten_sessions_at_once(sandbox: &Arc<Sandbox>) -> usize {
    let workers: Vec<_> = (0..SESSIONS)
        .map(|s| {
            let sandbox = Arc::clone(sandbox);
            std::thread::spawn(move || {
                let session = format!("session{s:02}");
                let (mut written, mut denied) = (0usize, Vec::new());
                for k in 0..CALLS_PER_SESSION {
                    // Every tenth call ends the session's turn, which frees its files.
                    if k % 10 == 9 {
                        let stop = json!({"session_id": session, "cwd": "/repo", "hook_event_name": "Stop"});
                        assert_eq!(call(&sandbox, &stop), (0, String::new()));
                        continue;
                    }
                    let file = format!("src/f{}.rs", (s * 7 + k) % FILES);
                    let write = |event: &str| {
                        json!({"session_id": session, "cwd": "/repo", "hook_event_name": event,
                               "tool_name": "Edit", "tool_input": {"file_path": file}})
                    };
                    match call(&sandbox, &write("PreToolUse")) {
                        (0, stderr) => {
                            assert_eq!(stderr, "", "{session} {file}");
                            assert_eq!(call(&sandbox, &write("PostToolUse")), (0, String::new()));
                            written += 1;
                        }
                        (2, reason) => denied.push(reason),
                        other => panic!("{session} {file}: {other:?}"),
                    }
                }
                (session, written, denied)
            })
        })
        .collect();
    let mut written = 0;
    let mut denied = 0;
    for worker in workers {
        let (session, wrote, refusals) = worker.join().expect("a session's calls");
        written += wrote;
        denied += refusals.len();
        for reason in refusals {
            // Refused because of another session's lease, never its own.
            assert!(
                reason.starts_with("Baton refused this write: the session \"repo·session"),
                "{reason}"
            );
            assert!(
                !reason.contains(&format!("\"repo·{session}\"")),
                "{session} refused by itself: {reason}"
            );
        }
    }
    assert!(
        written > 0 && denied > 0,
        "both happened: {written} written, {denied} refused"
    );
    let store = sandbox.open_store_result().unwrap();
    let agents = store.agents().unwrap();
    assert_eq!(agents.len(), SESSIONS);
    let events: u64 = agents
        .iter()
        .map(|a| store.event_count(a.id).unwrap())
        .sum();
    assert_eq!(
        events, written as u64,
        "one write event per write that went ahead"
    );
    // A call per step (a Stop or a write's PreToolUse), and a PostToolUse per write done.
    SESSIONS * CALLS_PER_SESSION + written
}

#[test]
fn codex_hooks_are_installed_trusted_and_removed_leaving_the_persons_own() {
    let sandbox = Sandbox::new();
    let codex_home = sandbox.path("codex-home");
    let repo = sandbox.path("repo");
    std::fs::create_dir_all(repo.join(".codex")).unwrap();
    std::fs::create_dir_all(&codex_home).unwrap();
    // The person's own hook and config come first and stay.
    let mine =
        json!({"hooks": {"Stop": [{"hooks": [{"type": "command", "command": "./notify.sh"}]}]}});
    std::fs::write(repo.join(".codex/hooks.json"), mine.to_string()).unwrap();
    std::fs::write(codex_home.join("config.toml"), "model = \"o4\" # mine\n").unwrap();
    let hooks = |args: &[&str]| {
        let mut cmd = sandbox.baton(args);
        cmd.env("CODEX_HOME", &codex_home);
        crate::common::run(cmd)
    };
    let repo_arg = repo.to_str().unwrap();
    let install = hooks(&["hooks", "install", "codex", "--project", repo_arg]);
    install.expect_code(0);
    install.expect_stdout("marked");
    let config = std::fs::read_to_string(codex_home.join("config.toml")).unwrap();
    assert!(config.starts_with("model = \"o4\" # mine\n"), "{config}");
    let real_repo = std::fs::canonicalize(&repo).unwrap();
    assert!(
        config.contains(&format!(
            "[projects.\"{}\"]\ntrust_level = \"trusted\"",
            real_repo.display()
        )),
        "{config}"
    );
    // One trust record per handler of Baton's (eight events); the person's hook is not trusted
    // by Baton on their behalf.
    assert_eq!(config.matches("trusted_hash").count(), 8, "{config}");
    assert!(!config.contains(":stop:0:0\""), "{config}");
    let status = hooks(&["hooks", "status", "codex", "--project", repo_arg]);
    assert!(
        status.stdout.contains("Baton's hooks on")
            && !status.stdout.contains("skips")
            && status
                .stdout
                .contains("no Baton app or `baton watch` runs on"),
        "{}",
        status.all()
    );
    // While an app runs on the store, status says it answers the calls.
    let app = baton_hooks::HookServer::start(&sandbox.place())
        .unwrap()
        .unwrap();
    let status = hooks(&["hooks", "status", "codex", "--project", repo_arg]);
    status.expect_stdout("answered by a running Baton");
    drop(app);
    // Installing again changes nothing.
    let again = hooks(&["hooks", "install", "codex", "--project", repo_arg]);
    again.expect_stdout("were already in");
    // A hooks file changed behind Baton's back is reported as untrusted.
    let file = repo.join(".codex/hooks.json");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replace("\"timeout\": 10", "\"timeout\": 11")).unwrap();
    let status = hooks(&["hooks", "status", "codex", "--project", repo_arg]);
    status.expect_stdout("Codex skips");
    // Uninstall gives the person's hooks back and drops Baton's trust records.
    hooks(&["hooks", "uninstall", "codex", "--project", repo_arg]).expect_code(0);
    let left: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(left, mine);
    let config = std::fs::read_to_string(codex_home.join("config.toml")).unwrap();
    assert_eq!(config.matches("trusted_hash").count(), 0, "{config}");
    assert!(config.contains("trust_level = \"trusted\""), "{config}");
    // A config.toml that is not TOML is reported and left alone.
    std::fs::write(codex_home.join("config.toml"), "model = [").unwrap();
    let broken = hooks(&["hooks", "install", "codex", "--user"]);
    broken.expect_code(2);
    broken.expect_stderr("is not valid TOML");
    assert!(!codex_home.join("hooks.json").exists());
}

#[test]
fn copilot_hooks_are_installed_with_the_folder_trusted_and_removed() {
    let sandbox = Sandbox::new();
    let copilot_home = sandbox.path("copilot-home");
    let repo = sandbox.path("repo");
    std::fs::create_dir_all(&repo).unwrap();
    std::fs::create_dir_all(&copilot_home).unwrap();
    // The person's own config comes first and stays.
    std::fs::write(
        copilot_home.join("config.json"),
        json!({"firstLaunchAt": "2026-11-01", "trustedFolders": ["/work/other"]}).to_string(),
    )
    .unwrap();
    let hooks = |args: &[&str]| {
        let mut cmd = sandbox.baton(args);
        cmd.env("COPILOT_HOME", &copilot_home);
        crate::common::run(cmd)
    };
    let repo_arg = repo.to_str().unwrap();
    let install = hooks(&["hooks", "install", "copilot", "--project", repo_arg]);
    install.expect_code(0);
    install.expect_stdout("trusted");
    let written: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo.join(".github/hooks/baton.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(written["version"], 1);
    let pre = written["hooks"]["preToolUse"][0]["bash"].as_str().unwrap();
    assert!(
        pre.ends_with("copilot --mode warn --event preToolUse"),
        "{pre}"
    );
    // The permission request waits for the person in Baton's queue.
    assert_eq!(written["hooks"]["permissionRequest"][0]["timeoutSec"], 75);
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(copilot_home.join("config.json")).unwrap())
            .unwrap();
    let real_repo = std::fs::canonicalize(&repo).unwrap();
    assert_eq!(
        config["trustedFolders"],
        json!(["/work/other", real_repo.to_str().unwrap()])
    );
    assert_eq!(config["firstLaunchAt"], "2026-11-01");
    let status = hooks(&["hooks", "status", "copilot", "--project", repo_arg]);
    assert!(
        status.stdout.contains("Baton's hooks on") && !status.stdout.contains("does not trust"),
        "{}",
        status.all()
    );
    let again = hooks(&["hooks", "install", "copilot", "--project", repo_arg]);
    again.expect_stdout("were already in");
    // A folder trusted no more is reported.
    std::fs::write(copilot_home.join("config.json"), "{}").unwrap();
    let status = hooks(&["hooks", "status", "copilot", "--project", repo_arg]);
    status.expect_stdout("does not trust");
    hooks(&["hooks", "uninstall", "copilot", "--project", repo_arg]).expect_code(0);
    assert!(!repo.join(".github/hooks/baton.json").exists());
    // The user's own hooks folder, read in every repository without trust.
    hooks(&["hooks", "install", "copilot", "--user"]).expect_code(0);
    assert!(copilot_home.join("hooks/baton.json").exists());
    // A config.json that is not JSON is reported and left alone.
    std::fs::write(copilot_home.join("config.json"), "{trusted").unwrap();
    let broken = hooks(&["hooks", "install", "copilot", "--project", repo_arg]);
    broken.expect_code(2);
    broken.expect_stderr("is not valid JSON");
}
