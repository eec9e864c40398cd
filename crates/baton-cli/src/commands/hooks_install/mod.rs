//! `baton hooks install|uninstall|status`: Baton's entries in a coding agent's hook settings,
//! merged without touching the person's other hooks, idempotent, with a backup of the file
//! before it changes.
//!
//! - Claude Code: `.claude/settings.json` in the project (`--project DIR`) or `~/.claude/
//!   settings.json` (`--user`); Baton's entries are the command hooks whose command runs
//!   `… hook claude-code`.
//! - Copilot CLI: `.github/hooks/baton.json` in the project, a file of Baton's own.
//! - Codex is not installed yet: its hooks need a trust step that has not been tried here.

use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use super::CliError;

/// Claude Code's events Baton listens to, with the tools each matches (None: every call).
const CLAUDE_EVENTS: [(&str, Option<&str>); 7] = [
    ("SessionStart", None),
    ("UserPromptSubmit", None),
    ("PreToolUse", Some("Write|Edit|MultiEdit|NotebookEdit")),
    (
        "PostToolUse",
        Some("Write|Edit|MultiEdit|NotebookEdit|Read"),
    ),
    ("Notification", None),
    ("Stop", None),
    ("SessionEnd", None),
];

/// Copilot CLI's events (camelCase; one command per event).
const COPILOT_EVENTS: [&str; 6] = [
    "sessionStart",
    "userPromptSubmitted",
    "preToolUse",
    "postToolUse",
    "agentStop",
    "sessionEnd",
];

/// Seconds a client waits for Baton's hook (it answers in milliseconds, or lets the call go on
/// after 500 ms).
const HOOK_TIMEOUT_SECONDS: u64 = 10;

/// Where the hooks go.
#[derive(Debug, Clone)]
pub enum HooksScope {
    Project(PathBuf),
    User,
}

/// Which client, and the command its hooks run.
#[derive(Debug, Clone)]
pub struct HooksTarget {
    pub client: String,
    pub scope: HooksScope,
    /// The command line up to the client's name: `'/usr/bin/baton' --data-dir '…' hook`.
    pub command: String,
    pub mode: String,
}

fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// The command prefix Baton's hooks run: this very binary, and the store it was told to use.
pub fn hook_command(data_dir: Option<&Path>) -> Result<String, CliError> {
    let exe = std::env::current_exe()?;
    let mut command = quote(&exe.to_string_lossy());
    if let Some(dir) = data_dir {
        let dir = std::path::absolute(dir)?;
        command.push_str(&format!(" --data-dir {}", quote(&dir.to_string_lossy())));
    }
    command.push_str(" hook");
    Ok(command)
}

fn settings_file(target: &HooksTarget) -> Result<PathBuf, CliError> {
    let root = match &target.scope {
        HooksScope::Project(dir) => dir.clone(),
        HooksScope::User => std::env::var_os("HOME").map(PathBuf::from).ok_or_else(|| {
            CliError::Hooks("HOME is not set: cannot find the user's settings".into())
        })?,
    };
    match target.client.as_str() {
        "claude-code" => Ok(root.join(".claude").join("settings.json")),
        "copilot" => match &target.scope {
            HooksScope::Project(_) => Ok(root.join(".github").join("hooks").join("baton.json")),
            HooksScope::User => Err(CliError::Hooks(
                "Copilot CLI reads hooks per repository: use --project DIR".into(),
            )),
        },
        "codex" => Err(CliError::Hooks(
            "Codex hooks are not installed by Baton yet (Codex skips hooks it has not trusted, \
             and that step is not automated); see docs/coding-agents.md"
                .into(),
        )),
        other => Err(CliError::Hooks(format!("unknown client {other}"))),
    }
}

fn is_ours(hook: &Value, client: &str) -> bool {
    ["command", "bash"].iter().any(|key| {
        hook.get(*key)
            .and_then(Value::as_str)
            .is_some_and(|command| command.contains(&format!(" hook {client}")))
    })
}

/// Claude Code settings without Baton's hooks (the person's own kept as they were).
pub fn without_claude_hooks(mut settings: Value) -> Value {
    if let Some(Value::Object(events)) = settings.get_mut("hooks") {
        for groups in events.values_mut() {
            if let Value::Array(list) = groups {
                for group in list.iter_mut() {
                    if let Some(Value::Array(hooks)) = group.get_mut("hooks") {
                        hooks.retain(|hook| !is_ours(hook, "claude-code"));
                    }
                }
                list.retain(|group| {
                    group
                        .get("hooks")
                        .and_then(Value::as_array)
                        .is_none_or(|hooks| !hooks.is_empty())
                });
            }
        }
        events.retain(|_, groups| groups.as_array().is_none_or(|list| !list.is_empty()));
    }
    if settings
        .get("hooks")
        .and_then(Value::as_object)
        .is_some_and(Map::is_empty)
    {
        if let Value::Object(map) = &mut settings {
            map.remove("hooks");
        }
    }
    settings
}

/// Claude Code settings with Baton's hooks (once, whatever was there before).
pub fn with_claude_hooks(settings: Value, command: &str) -> Result<Value, String> {
    let mut settings = without_claude_hooks(settings);
    let Value::Object(map) = &mut settings else {
        return Err("the settings file is not a JSON object".into());
    };
    let hooks = map
        .entry("hooks")
        .or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(events) = hooks else {
        return Err("the settings' \"hooks\" is not a JSON object".into());
    };
    for (event, matcher) in CLAUDE_EVENTS {
        let mut group = json!({"hooks": [{"type": "command", "command": command, "timeout": HOOK_TIMEOUT_SECONDS}]});
        if let Some(matcher) = matcher {
            group["matcher"] = json!(matcher);
        }
        let list = events
            .entry(event)
            .or_insert_with(|| Value::Array(Vec::new()));
        let Value::Array(list) = list else {
            return Err(format!("the settings' hooks.{event} is not a list"));
        };
        list.push(group);
    }
    Ok(settings)
}

fn copilot_file(command: &str) -> Value {
    let mut events = Map::new();
    for event in COPILOT_EVENTS {
        events.insert(
            event.to_owned(),
            json!([{"type": "command", "bash": format!("{command} --event {event}"), "timeoutSec": HOOK_TIMEOUT_SECONDS}]),
        );
    }
    json!({"version": 1, "hooks": events})
}

fn read_json(path: &Path) -> Result<Option<Value>, CliError> {
    match std::fs::read_to_string(path) {
        Ok(text) if text.trim().is_empty() => Ok(Some(json!({}))),
        Ok(text) => serde_json::from_str(&text).map(Some).map_err(|err| {
            CliError::Hooks(format!(
                "{} is not valid JSON ({err}); nothing was changed",
                path.display()
            ))
        }),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(err.into()),
    }
}

/// Writes `value` to `path`, keeping a copy of what was there (`<file>.baton-backup`).
fn write_with_backup(path: &Path, value: &Value) -> Result<(), CliError> {
    if path.exists() {
        let mut backup = path.as_os_str().to_owned();
        backup.push(".baton-backup");
        std::fs::copy(path, PathBuf::from(backup))?;
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut text = serde_json::to_string_pretty(value).map_err(std::io::Error::other)?;
    text.push('\n');
    std::fs::write(path, text)?;
    Ok(())
}

/// Installs Baton's hooks; returns the file written and whether it changed.
pub fn hooks_install(target: &HooksTarget) -> Result<(PathBuf, bool), CliError> {
    let path = settings_file(target)?;
    let command = format!(
        "{} {} --mode {}",
        target.command, target.client, target.mode
    );
    let before = read_json(&path)?;
    let after = match target.client.as_str() {
        "claude-code" => with_claude_hooks(before.clone().unwrap_or_else(|| json!({})), &command)
            .map_err(|err| CliError::Hooks(format!("{}: {err}", path.display())))?,
        _ => copilot_file(&command),
    };
    if before.as_ref() == Some(&after) {
        return Ok((path, false));
    }
    write_with_backup(&path, &after)?;
    Ok((path, true))
}

/// Removes Baton's hooks; returns the file and whether it changed.
pub fn hooks_uninstall(target: &HooksTarget) -> Result<(PathBuf, bool), CliError> {
    let path = settings_file(target)?;
    let Some(before) = read_json(&path)? else {
        return Ok((path, false));
    };
    if target.client == "copilot" {
        std::fs::remove_file(&path)?;
        return Ok((path, true));
    }
    let after = without_claude_hooks(before.clone());
    if after == before {
        return Ok((path, false));
    }
    write_with_backup(&path, &after)?;
    Ok((path, true))
}

/// Whether Baton's hooks are in the target's file: the events that have them.
pub fn hooks_status(target: &HooksTarget) -> Result<(PathBuf, Vec<String>), CliError> {
    let path = settings_file(target)?;
    let Some(settings) = read_json(&path)? else {
        return Ok((path, Vec::new()));
    };
    let mut events = Vec::new();
    if let Some(Value::Object(map)) = settings.get("hooks") {
        for (event, groups) in map {
            let ours = groups.as_array().into_iter().flatten().any(|group| {
                is_ours(group, &target.client)
                    || group
                        .get("hooks")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .any(|hook| is_ours(hook, &target.client))
            });
            if ours {
                events.push(event.clone());
            }
        }
    }
    Ok((path, events))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CMD: &str = "'/usr/bin/baton' hook claude-code --mode warn";

    #[test]
    fn installing_twice_adds_baton_once_and_keeps_the_persons_own_hooks() {
        let mine = json!({
            "model": "opus",
            "hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "./check.sh"}]}]}
        });
        let once = with_claude_hooks(mine.clone(), CMD).unwrap();
        let twice = with_claude_hooks(once.clone(), CMD).unwrap();
        assert_eq!(once, twice);
        assert_eq!(once["model"], "opus");
        let pre = once["hooks"]["PreToolUse"].as_array().unwrap();
        assert_eq!(pre.len(), 2);
        assert_eq!(pre[0]["hooks"][0]["command"], "./check.sh");
        assert_eq!(pre[1]["matcher"], "Write|Edit|MultiEdit|NotebookEdit");
        assert_eq!(once["hooks"]["Stop"][0]["hooks"][0]["command"], CMD);
        // A new mode replaces the old entries rather than adding to them.
        let enforce =
            with_claude_hooks(once, "'/usr/bin/baton' hook claude-code --mode enforce").unwrap();
        assert_eq!(enforce["hooks"]["PreToolUse"].as_array().unwrap().len(), 2);
        // Uninstalling gives back exactly what the person had.
        assert_eq!(without_claude_hooks(enforce), mine);
        assert_eq!(
            without_claude_hooks(with_claude_hooks(json!({}), CMD).unwrap()),
            json!({})
        );
    }

    #[test]
    fn settings_that_are_not_what_claude_code_reads_are_refused() {
        assert!(with_claude_hooks(json!([1]), CMD).is_err());
        assert!(with_claude_hooks(json!({"hooks": 3}), CMD).is_err());
        assert!(with_claude_hooks(json!({"hooks": {"Stop": {}}}), CMD).is_err());
    }

    #[test]
    fn install_writes_a_backup_and_status_and_uninstall_find_the_entries() {
        let dir = tempfile::tempdir().unwrap();
        let target = HooksTarget {
            client: "claude-code".into(),
            scope: HooksScope::Project(dir.path().to_owned()),
            command: "'/usr/bin/baton' hook".into(),
            mode: "warn".into(),
        };
        let file = dir.path().join(".claude/settings.json");
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, "{\"model\": \"opus\"}").unwrap();
        assert_eq!(hooks_install(&target).unwrap(), (file.clone(), true));
        assert_eq!(hooks_install(&target).unwrap(), (file.clone(), false));
        let backup =
            std::fs::read_to_string(dir.path().join(".claude/settings.json.baton-backup")).unwrap();
        assert_eq!(backup, "{\"model\": \"opus\"}");
        let (_, events) = hooks_status(&target).unwrap();
        assert_eq!(events.len(), CLAUDE_EVENTS.len());
        assert_eq!(hooks_uninstall(&target).unwrap(), (file.clone(), true));
        assert!(hooks_status(&target).unwrap().1.is_empty());
        // Broken JSON is reported and left alone.
        std::fs::write(&file, "{broken").unwrap();
        let err = hooks_install(&target).unwrap_err().to_string();
        assert!(
            err.contains("is not valid JSON") && err.contains("nothing was changed"),
            "{err}"
        );
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "{broken");

        let copilot = HooksTarget {
            client: "copilot".into(),
            ..target.clone()
        };
        let (path, _) = hooks_install(&copilot).unwrap();
        let written: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(
            written["hooks"]["preToolUse"][0]["bash"],
            "'/usr/bin/baton' hook copilot --mode warn --event preToolUse"
        );
        assert_eq!(
            hooks_status(&copilot).unwrap().1.len(),
            COPILOT_EVENTS.len()
        );
        let codex = HooksTarget {
            client: "codex".into(),
            ..target
        };
        assert!(hooks_install(&codex)
            .unwrap_err()
            .to_string()
            .contains("not installed by Baton yet"));
    }
}
