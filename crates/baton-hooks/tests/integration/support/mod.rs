//! What the hook tests share: one call of the real `baton-hook` binary (its own process, as the
//! clients run it) and the payload of a session's edit.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::json;

/// The budget the calls get unless a test is about the budget: what is checked is who meets
/// whom, not how fast a debug build answers on a busy machine, so no call may fall back to
/// "unchecked".
pub const GENEROUS_BUDGET_MS: &str = "30000";

/// One hook call of `client` in `enforce` mode with the data folder `data`, the environment
/// `env` on top of the test's (less `BATON_STORE`: the data folder says where the store is):
/// (exit code, stderr).
pub fn run_hook(
    data: &Path,
    client: &str,
    env: &[(&str, &str)],
    payload: &serde_json::Value,
) -> (i32, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_baton-hook"))
        .arg("--data-dir")
        .arg(data)
        .args([client, "--mode", "enforce"])
        .env_remove("BATON_STORE")
        .env("BATON_HOOK_BUDGET_MS", GENEROUS_BUDGET_MS)
        .envs(env.iter().copied())
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

/// `baton-hook --data-dir <data> <args>` (not a hook call: `--deliver-spool`, `--serve-hooks`)
/// run to its end: (whether it exited 0, its stderr).
pub fn run_baton_hook(data: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_baton-hook"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("BATON_STORE")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Claude Code's `event` (PreToolUse, PostToolUse) for session `session`'s edit of
/// `src/app.rs` in the checkout `cwd`.
pub fn edit_app(session: &str, cwd: &Path, event: &str) -> serde_json::Value {
    json!({
        "session_id": session, "cwd": cwd, "hook_event_name": event, "tool_name": "Edit",
        "tool_input": {"file_path": cwd.join("src/app.rs"), "old_string": "a", "new_string": "b"}
    })
}
pub mod gate;
