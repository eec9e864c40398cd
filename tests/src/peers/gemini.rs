//! The real Gemini CLI (`@google/gemini-cli` in `.peers-node/`), run offline against a stand-in
//! for Google's Gemini API, isolated in its own HOME.

use std::path::Path;

use tokio::process::Command;

use super::programs::{captured, node_peer};
use crate::model_standin::GEMINI_MODEL;

/// Gemini CLI's user settings in `home`: sign in with an API key (the stand-in takes any), send
/// no usage statistics. Baton's hooks go into the project's settings, which install trusts.
pub fn gemini_user_settings(home: &Path) {
    let dir = home.join(".gemini");
    std::fs::create_dir_all(&dir).unwrap();
    let settings = serde_json::json!({
        "security": {"auth": {"selectedType": "gemini-api-key"}},
        "privacy": {"usageStatisticsEnabled": false},
    });
    std::fs::write(dir.join("settings.json"), settings.to_string()).unwrap();
}

/// `gemini -p "[session NAME] …" --yolo -o json` in `repo`, against the stand-in at `base_url`
/// (tools run without asking, as `--yolo` lets them; the JSON printed names the session).
pub fn gemini_print(repo: &Path, home: &Path, base_url: &str, name: &str) -> Command {
    let mut cmd = Command::new(node_peer(
        "gemini",
        "BATON_GEMINI_BIN",
        "@google/gemini-cli",
    ));
    cmd.current_dir(repo)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("GOOGLE_GEMINI_BASE_URL", base_url)
        .env("GEMINI_API_KEY", "test-key")
        .args([
            "-p",
            &format!("[session {name}] Write src/app.rs for the {name} feature."),
            "-m",
            GEMINI_MODEL,
            "--yolo",
            "-o",
            "json",
        ]);
    captured(cmd)
}
