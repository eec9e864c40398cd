//! Install, status and uninstall on a temporary project: backups, the person's own keys kept
//! in order.

use super::*;

/// A project folder with a `.claude/` folder, Claude Code's target in it (warn mode), and
/// where its settings file goes.
fn claude_project() -> (tempfile::TempDir, HooksTarget, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    // The user's settings (where Claude Code's telemetry is) are the test's own.
    std::env::set_var("HOME", dir.path().join("home"));
    let target = HooksTarget {
        client: "claude-code".into(),
        scope: HooksScope::Project(dir.path().to_owned()),
        command: "'/usr/bin/baton' hook".into(),
        mode: "warn".into(),
        parallel: None,
        telemetry: None,
    };
    let file = dir.path().join(".claude/settings.json");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    (dir, target, file)
}

#[test]
fn install_writes_a_backup_and_status_and_uninstall_find_the_entries() {
    let (dir, target, file) = claude_project();
    std::fs::write(&file, "{\"model\": \"opus\"}").unwrap();
    assert!(hooks_install(&target).unwrap().changed);
    assert!(!hooks_install(&target).unwrap().changed);
    let backup =
        std::fs::read_to_string(dir.path().join(".claude/settings.json.baton-backup")).unwrap();
    assert_eq!(backup, "{\"model\": \"opus\"}");
    let (_, events, notes) = hooks_status(&target).unwrap();
    assert_eq!(events.len(), CLAUDE_EVENTS.len());
    // Installed without telemetry (`--no-telemetry`): status says so, and nothing else.
    assert_eq!(
        notes,
        ["the client's telemetry does not go to Baton: `baton hooks install` again turns it on"]
    );
    // The parallel-edit mode goes into the command; installing again replaces Baton's
    // entries, still found by status.
    let enforce = HooksTarget {
        parallel: Some("enforce".into()),
        ..target.clone()
    };
    assert!(hooks_install(&enforce).unwrap().changed);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.contains("hook claude-code --mode warn --parallel enforce --route-wait 585"),
        "{text}"
    );
    // A permission request may wait for the person's phone up to Claude Code's own limit.
    let written: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        written["hooks"]["PermissionRequest"][0]["hooks"][0]["timeout"],
        600
    );
    assert_eq!(
        written["hooks"]["PreToolUse"][0]["hooks"][0]["timeout"],
        QUICK
    );
    assert_eq!(hooks_status(&target).unwrap().1.len(), CLAUDE_EVENTS.len());
    assert_eq!(hooks_uninstall(&target).unwrap().file, file);
    assert!(hooks_status(&target).unwrap().1.is_empty());
    // Broken JSON is reported and left alone.
    std::fs::write(&file, "{broken").unwrap();
    let err = hooks_install(&target).unwrap_err().to_string();
    assert!(
        err.contains("is not valid JSON") && err.contains("nothing was changed"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "{broken");

    // Copilot CLI and Gemini CLI (which also trust the folder in the person's own config):
    // crates/baton-cli/tests/cli/hooks.rs and hooks_clients.rs, with homes of their own.
    let unknown = HooksTarget {
        client: "emacs".into(),
        ..target
    };
    assert!(hooks_install(&unknown)
        .unwrap_err()
        .to_string()
        .contains("unknown client emacs"));
}

/// Where each of `keys` stands in `text`, in the order given.
fn places(text: &str, keys: &[&str]) -> Vec<usize> {
    keys.iter()
        .map(|key| {
            text.find(&format!("\"{key}\""))
                .unwrap_or_else(|| panic!("{key} in {text}"))
        })
        .collect()
}

#[test]
fn install_and_uninstall_keep_the_order_of_the_persons_keys() {
    let (_dir, target, file) = claude_project();
    let own = r#"{"zeta": 1, "model": "opus", "permissions": {"deny": [], "allow": []},
        "hooks": {"Stop": [{"hooks": [{"type": "command", "command": "say done"}]}]},
        "alpha": true}"#;
    std::fs::write(&file, own).unwrap();
    let order = [
        "zeta",
        "model",
        "permissions",
        "deny",
        "allow",
        "hooks",
        "Stop",
        "alpha",
    ];
    let ascending = |at: Vec<usize>| at.windows(2).all(|w| w[0] < w[1]);

    assert!(hooks_install(&target).unwrap().changed);
    let installed = std::fs::read_to_string(&file).unwrap();
    assert!(installed.contains(" hook claude-code"), "{installed}");
    assert!(ascending(places(&installed, &order)), "{installed}");

    assert!(hooks_uninstall(&target).unwrap().changed);
    let removed = std::fs::read_to_string(&file).unwrap();
    assert!(!removed.contains(" hook claude-code"), "{removed}");
    assert!(ascending(places(&removed, &order)), "{removed}");
}
