//! `baton hooks install|status|uninstall` for Gemini CLI (settings.json, timeouts in
//! milliseconds, the folder trusted) and OpenCode (a plugin file of Baton's own), each with a
//! home of its own; the person's settings kept, in their order.

use std::path::Path;
use std::process::Command;

use serde_json::{json, Value};

use crate::common::{run, Run, Sandbox};

/// Where each of `keys` stands in `text`, in the order given: ascending when kept in order.
fn in_order(text: &str, keys: &[&str]) -> bool {
    let at: Vec<usize> = keys
        .iter()
        .map(|key| text.find(&format!("\"{key}\"")).unwrap_or(usize::MAX))
        .collect();
    at.windows(2).all(|w| w[0] < w[1] && w[1] != usize::MAX)
}

fn read(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn gemini_hooks_are_installed_with_the_folder_trusted_and_removed_leaving_the_persons_own() {
    let sandbox = Sandbox::new();
    let gemini_home = sandbox.path("gemini-home");
    let repo = sandbox.path("repo");
    std::fs::create_dir_all(repo.join(".gemini")).unwrap();
    std::fs::create_dir_all(gemini_home.join(".gemini")).unwrap();
    let trust_file = gemini_home.join(".gemini/trustedFolders.json");
    std::fs::write(&trust_file, r#"{"/work/other": "TRUST_FOLDER"}"#).unwrap();
    let own = r#"{"zeta": 1, "model": {"name": "gemini-2.5-pro"},
        "hooks": {"BeforeTool": [{"matcher": "run_shell_command",
                                  "hooks": [{"type": "command", "command": "./check.sh"}]}]},
        "alpha": true}"#;
    let settings = repo.join(".gemini/settings.json");
    std::fs::write(&settings, own).unwrap();
    let hooks = |args: &[&str]| -> Run {
        let mut cmd: Command = sandbox.baton(args);
        cmd.env("GEMINI_CLI_HOME", &gemini_home)
            .env_remove("GEMINI_CLI_TRUSTED_FOLDERS_PATH");
        run(cmd)
    };
    let repo_arg = repo.to_str().unwrap();

    let install = hooks(&["hooks", "install", "gemini", "--project", repo_arg]);
    install.expect_code(0);
    install.expect_stdout("trusted");
    let text = std::fs::read_to_string(&settings).unwrap();
    assert!(
        in_order(
            &text,
            &["zeta", "model", "name", "hooks", "BeforeTool", "alpha"]
        ),
        "{text}"
    );
    let written = read(&settings);
    let before = written["hooks"]["BeforeTool"].as_array().unwrap();
    assert_eq!(
        before[0]["hooks"][0]["command"], "./check.sh",
        "the person's first"
    );
    assert_eq!(before[1]["matcher"], "^(write_file|replace)$");
    let ours = &before[1]["hooks"][0];
    assert!(
        ours["command"]
            .as_str()
            .unwrap()
            .ends_with("gemini --mode warn"),
        "{ours}"
    );
    assert_eq!(ours["timeout"], 10_000, "milliseconds");
    for event in [
        "SessionStart",
        "BeforeAgent",
        "AfterTool",
        "Notification",
        "AfterAgent",
        "SessionEnd",
    ] {
        assert!(written["hooks"][event].is_array(), "{event}: {written}");
    }
    let real_repo = std::fs::canonicalize(&repo).unwrap();
    assert_eq!(
        read(&trust_file),
        json!({"/work/other": "TRUST_FOLDER", real_repo.to_str().unwrap(): "TRUST_FOLDER"})
    );
    let status = hooks(&["hooks", "status", "gemini", "--project", repo_arg]);
    assert!(
        status.stdout.contains("Baton's hooks on BeforeTool")
            && !status.stdout.contains("does not trust"),
        "{}",
        status.all()
    );
    hooks(&["hooks", "install", "gemini", "--project", repo_arg]).expect_stdout("were already in");

    // Trusted no more: said by status; a folder the person said not to trust stays so.
    std::fs::write(&trust_file, "{}").unwrap();
    hooks(&["hooks", "status", "gemini", "--project", repo_arg]).expect_stdout("does not trust");
    let refused = json!({real_repo.to_str().unwrap(): "DO_NOT_TRUST"});
    std::fs::write(&trust_file, refused.to_string()).unwrap();
    hooks(&["hooks", "install", "gemini", "--project", repo_arg])
        .expect_stdout("is told not to trust");
    assert_eq!(read(&trust_file), refused);

    // Uninstalling gives back the person's own settings, in their order.
    let removed = hooks(&["hooks", "uninstall", "gemini", "--project", repo_arg]);
    removed.expect_stdout("stays trusted");
    let text = std::fs::read_to_string(&settings).unwrap();
    assert_eq!(read(&settings), serde_json::from_str::<Value>(own).unwrap());
    assert!(
        in_order(&text, &["zeta", "model", "hooks", "alpha"]),
        "{text}"
    );

    // The user's settings, in every folder; a settings file that is not JSON is left alone.
    hooks(&["hooks", "install", "gemini", "--user"]).expect_code(0);
    let user = read(&gemini_home.join(".gemini/settings.json"));
    assert!(user["hooks"]["BeforeTool"][0]["hooks"][0]["command"]
        .as_str()
        .unwrap()
        .contains(" gemini --mode warn"));
    std::fs::write(&settings, "{\n  // Gemini CLI reads comments\n}").unwrap();
    let broken = hooks(&["hooks", "install", "gemini", "--project", repo_arg]);
    broken.expect_code(2);
    broken.expect_stderr("is not valid JSON");
}

#[test]
fn opencodes_plugin_is_a_file_of_batons_own() {
    let sandbox = Sandbox::new();
    let config_home = sandbox.path("config");
    let repo = sandbox.path("repo");
    std::fs::create_dir_all(&repo).unwrap();
    let hooks = |args: &[&str]| -> Run {
        let mut cmd: Command = sandbox.baton(args);
        cmd.env("XDG_CONFIG_HOME", &config_home);
        run(cmd)
    };
    let repo_arg = repo.to_str().unwrap();
    let plugin = repo.join(".opencode/plugin/baton.js");
    let enforce = [
        "hooks",
        "install",
        "opencode",
        "--project",
        repo_arg,
        "--mode",
        "enforce",
    ];

    hooks(&enforce).expect_code(0);
    let text = std::fs::read_to_string(&plugin).unwrap();
    assert!(text.contains(" opencode --mode enforce\";"), "{text}");
    // It is JavaScript node reads (OpenCode runs it on Bun; the tests run it for real).
    let module = sandbox.path("baton.mjs");
    std::fs::write(&module, &text).unwrap();
    let check = Command::new("node")
        .arg("--check")
        .arg(&module)
        .output()
        .unwrap();
    assert!(check.status.success(), "{check:?}");

    let status = hooks(&["hooks", "status", "opencode", "--project", repo_arg]);
    status.expect_stdout("tool.execute.before");
    hooks(&enforce).expect_stdout("were already in");
    hooks(&["hooks", "install", "opencode", "--project", repo_arg]).expect_code(0);
    assert!(std::fs::read_to_string(&plugin)
        .unwrap()
        .contains(" opencode --mode warn\";"));
    hooks(&["hooks", "uninstall", "opencode", "--project", repo_arg]).expect_code(0);
    assert!(!plugin.exists());

    // A plugin of the person's at Baton's place is left alone.
    std::fs::create_dir_all(plugin.parent().unwrap()).unwrap();
    std::fs::write(&plugin, "export const Mine = async () => ({});\n").unwrap();
    let foreign = hooks(&["hooks", "install", "opencode", "--project", repo_arg]);
    foreign.expect_code(2);
    foreign.expect_stderr("is not Baton's plugin");
    hooks(&["hooks", "uninstall", "opencode", "--project", repo_arg]).expect_code(0);
    assert!(plugin.exists(), "the person's file stays");

    // The user's plugin folder, loaded in every project.
    hooks(&["hooks", "install", "opencode", "--user"]).expect_code(0);
    assert!(config_home.join("opencode/plugin/baton.js").exists());
}
