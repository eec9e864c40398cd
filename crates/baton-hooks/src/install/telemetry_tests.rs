//! The clients' telemetry turned toward Baton by install, and away by uninstall: only Baton's
//! values, a person's own exporter kept and named, prompts never turned on.

use serde_json::json;

use super::*;

const RECEIVER: &str = "http://127.0.0.1:4318";

fn project(client: &str) -> (tempfile::TempDir, HooksTarget, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let target = HooksTarget {
        client: client.into(),
        scope: HooksScope::Project(dir.path().to_owned()),
        command: "'/usr/bin/baton' hook".into(),
        mode: "warn".into(),
        parallel: None,
        telemetry: Some(RECEIVER.into()),
    };
    let file = settings_file(&target).unwrap();
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    (dir, target, file)
}

fn read(file: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap()
}

/// A home of the test's own (Claude Code's telemetry goes to the user's settings); its
/// settings file.
fn own_home() -> (tempfile::TempDir, PathBuf) {
    let home = tempfile::tempdir().unwrap();
    std::env::set_var("HOME", home.path());
    let file = home.path().join(".claude/settings.json");
    (home, file)
}

#[test]
fn claude_codes_env_sends_its_log_events_to_baton_and_uninstall_takes_them_back() {
    let (_home, user_file) = own_home();
    let (_dir, mut target, file) = project("claude-code");
    // A project's install: the user's settings (Claude Code reads its telemetry only there).
    let report = hooks_install(&target).unwrap();
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains("Claude Code's telemetry turned toward Baton in")),
        "{:?}",
        report.notes
    );
    assert!(
        read(&file).get("env").is_none(),
        "not in the project's settings"
    );
    assert_eq!(read(&user_file)["env"]["CLAUDE_CODE_ENABLE_TELEMETRY"], "1");
    let (_, _, notes) = hooks_status(&target).unwrap();
    assert!(
        notes.iter().any(|n| n.contains("telemetry goes to Baton")),
        "{notes:?}"
    );
    // The project's uninstall leaves the user's telemetry to the user's other projects.
    hooks_uninstall(&target).unwrap();
    assert_eq!(read(&user_file)["env"]["CLAUDE_CODE_ENABLE_TELEMETRY"], "1");

    // The user's install: the same file as its hooks, and its uninstall takes them back.
    std::fs::write(&user_file, json!({"env": {"DEBUG": "1"}}).to_string()).unwrap();
    target.scope = HooksScope::User;
    let file = user_file;
    let report = hooks_install(&target).unwrap();
    assert!(report.notes.is_empty(), "{:?}", report.notes);
    let env = read(&file)["env"].clone();
    assert_eq!(
        env,
        json!({
            "DEBUG": "1",
            "CLAUDE_CODE_ENABLE_TELEMETRY": "1",
            "OTEL_LOGS_EXPORTER": "otlp",
            "OTEL_EXPORTER_OTLP_LOGS_PROTOCOL": "http/protobuf",
            "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT": "http://127.0.0.1:4318/v1/logs",
        })
    );
    assert!(
        env.get("OTEL_LOG_USER_PROMPTS").is_none(),
        "prompts stay off"
    );
    let (_, _, notes) = hooks_status(&target).unwrap();
    assert!(
        notes
            .iter()
            .any(|n| n.contains("telemetry goes to Baton at http://127.0.0.1:4318/v1/logs")),
        "{notes:?}"
    );
    // Again: nothing changes.
    assert!(!hooks_install(&target).unwrap().changed);
    hooks_uninstall(&target).unwrap();
    assert_eq!(read(&file), json!({"env": {"DEBUG": "1"}}));
}

#[test]
fn a_persons_own_exporter_is_kept_and_named() {
    let (_home, file) = own_home();
    let (_dir, mut target, _) = project("claude-code");
    target.scope = HooksScope::User;
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    let theirs = json!({"env": {"OTEL_LOGS_EXPORTER": "console"}});
    std::fs::write(&file, theirs.to_string()).unwrap();
    let report = hooks_install(&target).unwrap();
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains("env.OTEL_LOGS_EXPORTER is \"console\" (yours, kept)")),
        "{:?}",
        report.notes
    );
    assert_eq!(read(&file)["env"]["OTEL_LOGS_EXPORTER"], "console");
    // Uninstall leaves a block the person changed alone.
    hooks_uninstall(&target).unwrap();
    assert_eq!(read(&file)["env"]["OTEL_LOGS_EXPORTER"], "console");
    assert_eq!(read(&file)["env"]["CLAUDE_CODE_ENABLE_TELEMETRY"], "1");
}

#[test]
fn gemini_clis_telemetry_settings_point_at_baton_without_prompts() {
    let (_dir, target, file) = project("gemini");
    let home = tempfile::tempdir().unwrap();
    std::env::set_var(
        "GEMINI_CLI_TRUSTED_FOLDERS_PATH",
        home.path().join("trusted.json"),
    );
    hooks_install(&target).unwrap();
    assert_eq!(
        read(&file)["telemetry"],
        json!({"enabled": true, "target": "local", "otlpEndpoint": RECEIVER,
               "otlpProtocol": "http", "logPrompts": false})
    );
    hooks_uninstall(&target).unwrap();
    assert!(read(&file).get("telemetry").is_none());
}

#[test]
fn codexs_otel_exports_to_baton_unless_it_exports_elsewhere() {
    let codex_home = tempfile::tempdir().unwrap();
    std::env::set_var("CODEX_HOME", codex_home.path());
    let config = codex_home.path().join("config.toml");
    std::fs::write(&config, "model = \"gpt-5.5\"\n").unwrap();
    let (_dir, target, _file) = project("codex");
    hooks_install(&target).unwrap();
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(text.starts_with("model = \"gpt-5.5\"\n"), "{text}");
    assert!(
        text.contains("[otel]\nexporter = { otlp-http = { endpoint = \"http://127.0.0.1:4318/v1/logs\", protocol = \"binary\" } }\nlog_user_prompt = false\n"),
        "{text}"
    );
    let (_, _, notes) = hooks_status(&target).unwrap();
    assert!(
        notes.iter().any(|n| n.contains("telemetry goes to Baton")),
        "{notes:?}"
    );
    // A project's uninstall leaves the user's `[otel]` to the user's other projects; the
    // user's uninstall takes it back.
    hooks_uninstall(&target).unwrap();
    assert!(std::fs::read_to_string(&config).unwrap().contains("[otel]"));
    let user = HooksTarget {
        scope: HooksScope::User,
        ..target.clone()
    };
    hooks_install(&user).unwrap();
    hooks_uninstall(&user).unwrap();
    assert!(!std::fs::read_to_string(&config).unwrap().contains("otel"));

    // A person's own collector stays theirs.
    std::fs::write(
        &config,
        "[otel]\nexporter = { otlp-http = { endpoint = \"https://otel.example.com/v1/logs\", protocol = \"json\" } }\n",
    )
    .unwrap();
    let report = hooks_install(&target).unwrap();
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains("exports to https://otel.example.com/v1/logs (yours, kept)")),
        "{:?}",
        report.notes
    );
    assert!(std::fs::read_to_string(&config)
        .unwrap()
        .contains("otel.example.com"));
}
