//! Copilot CLI's files, as its 1.0.102 reads them (measured: ../shared/notes and the probe in
//! docs/coding-agents.md): a repository's `.github/hooks/*.json` only when the folder is
//! trusted (`"trustedFolders"` in `$COPILOT_HOME/config.json`, `~/.copilot` by default), and the
//! user's own `$COPILOT_HOME/hooks/*.json` always. Baton's hooks are a file of their own,
//! `baton.json`, in either place; installing into a repository also trusts it.

use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use super::files::{json_text, read_object, real_folder, write_with_backup};
use super::{home, ASK_TIMEOUT_SECONDS, QUICK};
use crate::HooksError;

/// Copilot CLI's events (camelCase; its payloads do not name the event, so each has a command
/// of its own that does), with how long the client waits for each.
pub(super) const COPILOT_EVENTS: [(&str, u64); 8] = [
    ("sessionStart", QUICK),
    ("userPromptSubmitted", QUICK),
    ("preToolUse", QUICK),
    // Its own permission check: `{"behavior": "allow"}` here is what lets a write through when
    // the person is not asked (a preToolUse "allow" does not).
    ("permissionRequest", ASK_TIMEOUT_SECONDS),
    ("postToolUse", QUICK),
    ("notification", QUICK),
    ("agentStop", QUICK),
    ("sessionEnd", QUICK),
];

/// Copilot CLI's own folder: `$COPILOT_HOME`, else `~/.copilot`.
pub(super) fn copilot_home() -> Result<PathBuf, HooksError> {
    match std::env::var_os("COPILOT_HOME").filter(|dir| !dir.is_empty()) {
        Some(dir) => Ok(PathBuf::from(dir)),
        None => Ok(home()?.join(".copilot")),
    }
}

/// Baton's hooks file for Copilot CLI.
pub(super) fn copilot_file(command: &str) -> Value {
    let mut events = Map::new();
    for (event, timeout) in COPILOT_EVENTS {
        events.insert(
            event.to_owned(),
            json!([{"type": "command", "bash": format!("{command} --event {event}"), "timeoutSec": timeout}]),
        );
    }
    json!({"version": 1, "hooks": events})
}

/// Copilot CLI's config.json and what it holds (`{}` when there is none).
fn read_config() -> Result<(PathBuf, Value), HooksError> {
    let path = copilot_home()?.join("config.json");
    let config = read_object(&path)?;
    Ok((path, config))
}

fn trusts(config: &Value, key: &str) -> bool {
    config
        .get("trustedFolders")
        .and_then(Value::as_array)
        .is_some_and(|folders| folders.iter().any(|f| f.as_str() == Some(key)))
}

/// Adds the repository to the folders Copilot CLI trusts (it reads no repository hooks
/// elsewhere); the note says so, or nothing when it was trusted already.
pub(super) fn trust_folder(dir: &Path) -> Result<Option<String>, HooksError> {
    let (path, mut config) = read_config()?;
    let key = real_folder(dir);
    if trusts(&config, &key) {
        return Ok(None);
    }
    let folders = config
        .as_object_mut()
        .map(|map| {
            map.entry("trustedFolders")
                .or_insert_with(|| Value::Array(Vec::new()))
        })
        .ok_or_else(|| HooksError::Settings(format!("{} is not a JSON object", path.display())))?;
    let Value::Array(list) = folders else {
        return Err(HooksError::Settings(format!(
            "{}: trustedFolders is not a list; nothing was changed",
            path.display()
        )));
    };
    list.push(Value::String(key.clone()));
    write_with_backup(&path, &json_text(&config)?)?;
    Ok(Some(format!(
        "trusted {key} in {} (Copilot CLI reads a repository's hooks only in a folder it trusts)",
        path.display()
    )))
}

/// What keeps Copilot CLI from running the repository's hooks, if anything.
pub(super) fn untrusted_note(dir: &Path) -> Result<Option<String>, HooksError> {
    let (path, config) = read_config()?;
    if trusts(&config, &real_folder(dir)) {
        return Ok(None);
    }
    Ok(Some(format!(
        "Copilot CLI does not trust {} ({}), so it reads none of its hooks: run `baton hooks \
         install copilot --project {}` again",
        dir.display(),
        path.display(),
        dir.display()
    )))
}
