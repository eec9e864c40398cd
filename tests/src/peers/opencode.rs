//! The real OpenCode (`opencode-ai` in `.peers-node/`), run offline against a stand-in for the
//! Chat Completions API (a custom `@ai-sdk/openai-compatible` provider in the project's
//! `opencode.json`), isolated in its own HOME.

use std::path::Path;

use tokio::process::Command;

use super::programs::{captured, node_peer};

/// The messages of session `session_id` in the database OpenCode keeps in `home`
/// (`.local/share/opencode/opencode.db`), oldest first, each a JSON line: the row's `id`,
/// `session_id`, `time_created`, `time_updated` and `data` (the message).
pub fn opencode_messages(home: &Path, session_id: &str) -> Vec<String> {
    let db = home.join(".local/share/opencode/opencode.db");
    let conn =
        rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap_or_else(|err| panic!("{}: {err}", db.display()));
    let mut rows = conn
        .prepare(
            "SELECT id, session_id, time_created, time_updated, data FROM message
              WHERE session_id = ?1 ORDER BY time_created, id",
        )
        .unwrap();
    rows.query_map([session_id], |row| {
        let data: String = row.get(4)?;
        Ok(serde_json::json!({
            "id": row.get::<_, String>(0)?,
            "session_id": row.get::<_, String>(1)?,
            "time_created": row.get::<_, i64>(2)?,
            "time_updated": row.get::<_, i64>(3)?,
            "data": serde_json::from_str::<serde_json::Value>(&data).unwrap(),
        })
        .to_string())
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

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
        ]);
    captured(cmd)
}
