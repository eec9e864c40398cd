//! The real OpenCode (`opencode-ai` in `.peers-node/`), run offline against a stand-in for the
//! Chat Completions API (a custom `@ai-sdk/openai-compatible` provider in the project's
//! `opencode.json`), isolated in its own HOME.

use std::path::Path;
use std::process::Stdio;

use tokio::process::Command;

use super::programs::node_peer;

/// The provider and model OpenCode is run with.
pub const OPENCODE_MODEL: &str = "standin/standin-model";

/// The project's `opencode.json`: a provider of its own at `base_url` (ends in `/v1`), its
/// model the default.
pub fn opencode_config(repo: &Path, base_url: &str) {
    let config = serde_json::json!({
        "$schema": "https://opencode.ai/config.json",
        "provider": {"standin": {
            "npm": "@ai-sdk/openai-compatible",
            "name": "Stand-in",
            "options": {"baseURL": base_url, "apiKey": "sk-test"},
            "models": {"standin-model": {"name": "Stand-in"}},
        }},
        "model": OPENCODE_MODEL,
    });
    std::fs::write(repo.join("opencode.json"), config.to_string()).unwrap();
}

/// `opencode run "[session NAME] …"` in `repo`. Offline: no models catalogue fetched, no update
/// looked for, and the npm install OpenCode tries at start (`@opencode-ai/plugin`, which Baton's
/// plugin does not import) fails at once against a registry that is not there.
pub fn opencode_run(repo: &Path, home: &Path, name: &str) -> Command {
    let mut cmd = Command::new(node_peer("opencode", "BATON_OPENCODE_BIN", "opencode-ai"));
    cmd.current_dir(repo)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("OPENCODE_DISABLE_MODELS_FETCH", "true")
        .env("OPENCODE_DISABLE_AUTOUPDATE", "true")
        .env("npm_config_registry", "http://127.0.0.1:9/")
        .env("npm_config_fetch_retries", "0")
        .args([
            "run",
            &format!("[session {name}] Write src/app.rs for the {name} feature."),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}
