//! The clients' telemetry turned toward Baton's OTLP receiver by `baton hooks install` (issue
//! 61): their own figures of each model call (Claude Code's tokens and price), their API errors
//! and 429s, their tool decisions, joined to the sessions their hooks report. Prompt logging
//! stays off (none of the settings below turns it on).
//!
//! - Claude Code: the `env` block of the same settings file as the hooks,
//!   `CLAUDE_CODE_ENABLE_TELEMETRY=1` and its log events over OTLP/HTTP protobuf to
//!   `<receiver>/v1/logs` (the logs-only variables: a person's own traces or metrics export is
//!   left as it is).
//! - Codex: `[otel]` of `$CODEX_HOME/config.toml` (the user's: Codex reads its exporter there),
//!   `exporter = { otlp-http = { endpoint = "<receiver>/v1/logs", protocol = "binary" } }`,
//!   `log_user_prompt = false`.
//! - Gemini CLI: `telemetry` of the same settings file as the hooks, `enabled`, `target:
//!   "local"`, `otlpEndpoint: "<receiver>"`, `otlpProtocol: "http"`, `logPrompts: false`.
//!
//! A setting the person gave another value is never overwritten: install says where their
//! telemetry goes instead. Uninstall removes only the values that are Baton's.

use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};
use toml_edit::{value, DocumentMut, InlineTable, Item, Table};

// Only the leaf `files`: the install module and its Codex files call this one, never back.
use super::files::{home, json_text, read_json, write_with_backup};
use crate::HooksError;

/// Claude Code's variables for its log events toward `endpoint` (the receiver's base URL).
fn claude_env(endpoint: &str) -> [(&'static str, String); 4] {
    [
        ("CLAUDE_CODE_ENABLE_TELEMETRY", "1".to_owned()),
        ("OTEL_LOGS_EXPORTER", "otlp".to_owned()),
        (
            "OTEL_EXPORTER_OTLP_LOGS_PROTOCOL",
            "http/protobuf".to_owned(),
        ),
        (
            "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
            format!("{endpoint}/v1/logs"),
        ),
    ]
}

/// Whether a value is one Baton writes (an endpoint of Baton's receiver, whichever port).
fn is_batons_value(key: &str, value: &str, ours: &str) -> bool {
    value == ours
        || (key.ends_with("ENDPOINT") || key == "otlpEndpoint")
            && value.starts_with("http://127.0.0.1:")
}

/// Claude Code's or Gemini CLI's settings with the telemetry toward `endpoint`; notes for what
/// the person set otherwise.
pub(super) fn with_telemetry(
    client: &str,
    mut settings: Value,
    endpoint: &str,
) -> (Value, Vec<String>) {
    let mut notes = Vec::new();
    let (block, pairs): (&str, Vec<(&str, Value)>) = match client {
        "claude-code" => (
            "env",
            claude_env(endpoint)
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect(),
        ),
        "gemini" => ("telemetry", gemini_telemetry(endpoint)),
        _ => return (settings, notes),
    };
    let Some(object) = settings.as_object_mut() else {
        return (settings, notes);
    };
    let entry = object
        .entry(block)
        .or_insert_with(|| Value::Object(Map::new()));
    let Some(block_values) = entry.as_object_mut() else {
        notes.push(format!(
            "`{block}` is not an object in the settings: the client's telemetry was not turned toward Baton"
        ));
        return (settings, notes);
    };
    for (key, ours) in pairs {
        match block_values.get(key) {
            Some(theirs) if theirs != &ours && !is_ours_json(key, theirs, &ours) => {
                notes.push(format!(
                    "{block}.{key} is {theirs} (yours, kept): the client's telemetry may not reach Baton at {endpoint}"
                ));
            }
            _ => {
                block_values.insert(key.to_owned(), ours);
            }
        }
    }
    (settings, notes)
}

fn is_ours_json(key: &str, theirs: &Value, ours: &Value) -> bool {
    match (theirs.as_str(), ours.as_str()) {
        (Some(theirs), Some(ours)) => is_batons_value(key, theirs, ours),
        _ => false,
    }
}

/// The settings without Baton's telemetry values (the person's own kept).
pub(super) fn without_telemetry(client: &str, mut settings: Value) -> Value {
    let (block, pairs): (&str, Vec<(&str, Value)>) = match client {
        "claude-code" => (
            "env",
            claude_env("http://127.0.0.1:4318")
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect(),
        ),
        "gemini" => ("telemetry", gemini_telemetry("http://127.0.0.1:4318")),
        _ => return settings,
    };
    let Some(object) = settings.as_object_mut() else {
        return settings;
    };
    let Some(Value::Object(values)) = object.get_mut(block) else {
        return settings;
    };
    // Only when every one of them is still Baton's: a block the person changed is theirs now.
    let all_ours = pairs.iter().all(|(key, ours)| {
        values
            .get(*key)
            .is_some_and(|theirs| theirs == ours || is_ours_json(key, theirs, ours))
    });
    if all_ours {
        for (key, _) in &pairs {
            values.remove(*key);
        }
        if values.is_empty() {
            object.remove(block);
        }
    }
    settings
}

/// The hooks file's settings with the client's telemetry toward `endpoint` (None: left as
/// they are), or the same settings when the client keeps it in the user's file, which is
/// written here; the notes.
pub(super) fn install(
    client: &str,
    project: bool,
    endpoint: Option<&str>,
    settings: Value,
) -> Result<(Value, Vec<String>), HooksError> {
    match (endpoint, telemetry_file(client, project)?) {
        (Some(endpoint), None) => Ok(with_telemetry(client, settings, endpoint)),
        (Some(endpoint), Some(user_file)) => {
            let notes = user_telemetry(client, &user_file, |user| {
                with_telemetry(client, user, endpoint)
            })?;
            Ok((settings, notes))
        }
        (None, _) => Ok((settings, Vec::new())),
    }
}

/// The hooks file's settings without Baton's telemetry values; telemetry kept in the user's
/// settings stays with the user's other projects.
pub(super) fn uninstall(client: &str, project: bool, settings: Value) -> Result<Value, HooksError> {
    Ok(match telemetry_file(client, project)? {
        None => without_telemetry(client, settings),
        Some(_) => settings,
    })
}

/// Whether the settings turn the client's telemetry toward a receiver of Baton's.
pub(super) fn telemetry_on(client: &str, settings: &Value) -> Option<String> {
    let endpoint = match client {
        "claude-code" => settings["env"]["OTEL_EXPORTER_OTLP_LOGS_ENDPOINT"].as_str(),
        "gemini" => settings["telemetry"]["otlpEndpoint"].as_str(),
        _ => None,
    }?;
    is_batons_value("otlpEndpoint", endpoint, "").then(|| endpoint.to_owned())
}

fn gemini_telemetry(endpoint: &str) -> Vec<(&'static str, Value)> {
    vec![
        ("enabled", json!(true)),
        ("target", json!("local")),
        ("otlpEndpoint", json!(endpoint)),
        ("otlpProtocol", json!("http")),
        ("logPrompts", json!(false)),
    ]
}

/// Codex's `[otel]` toward `endpoint` in its config; notes for an exporter of the person's.
pub(super) fn codex_with_telemetry(config: &mut DocumentMut, endpoint: &str) -> Vec<String> {
    let ours = format!("{endpoint}/v1/logs");
    if let Some(theirs) = codex_endpoint(config) {
        if !is_batons_value("ENDPOINT", &theirs, &ours) {
            return vec![format!(
                "Codex's [otel] exports to {theirs} (yours, kept): its telemetry does not reach Baton"
            )];
        }
    }
    let otel = config
        .entry("otel")
        .or_insert_with(|| Item::Table(Table::new()));
    let Some(otel) = otel.as_table_mut() else {
        return vec![
            "Codex's `otel` is not a table: its telemetry was not turned toward Baton".into(),
        ];
    };
    let mut http = InlineTable::new();
    http.insert("endpoint", ours.into());
    http.insert("protocol", "binary".into());
    let mut exporter = InlineTable::new();
    exporter.insert("otlp-http", toml_edit::Value::InlineTable(http));
    otel.insert("exporter", value(exporter));
    otel.insert("log_user_prompt", value(false));
    Vec::new()
}

/// Codex's config without Baton's `[otel]` exporter.
pub(super) fn codex_without_telemetry(config: &mut DocumentMut) {
    let ours = codex_endpoint(config).is_some_and(|e| is_batons_value("ENDPOINT", &e, ""));
    if !ours {
        return;
    }
    if let Some(otel) = config.get_mut("otel").and_then(Item::as_table_mut) {
        otel.remove("exporter");
        otel.remove("log_user_prompt");
        if otel.is_empty() {
            config.remove("otel");
        }
    }
}

/// Where Codex's `[otel]` exports over OTLP/HTTP, when it does.
pub(super) fn codex_endpoint(config: &DocumentMut) -> Option<String> {
    let exporter = config.get("otel")?.get("exporter")?;
    let http = exporter.get("otlp-http")?;
    http.get("endpoint")?.as_str().map(str::to_owned)
}

/// Where the client's telemetry settings go when not in its hooks file: Claude Code reads
/// them only from the user's settings (2.1.328 ignores a project's `env` for its telemetry,
/// measured: a repository cannot send a person's telemetry elsewhere), so a project's
/// install turns them on in `~/.claude/settings.json`. None: in the hooks file.
pub(super) fn telemetry_file(client: &str, project: bool) -> Result<Option<PathBuf>, HooksError> {
    match (client, project) {
        ("claude-code", true) => Ok(Some(home()?.join(".claude").join("settings.json"))),
        _ => Ok(None),
    }
}

/// A JSON settings file of the user's changed by `edit` (written with a backup when it
/// changed); its notes.
pub(super) fn user_telemetry(
    client: &str,
    file: &Path,
    edit: impl FnOnce(Value) -> (Value, Vec<String>),
) -> Result<Vec<String>, HooksError> {
    let before = read_json(file)?;
    let (after, mut notes) = edit(before.clone().unwrap_or_else(|| json!({})));
    if before.as_ref() != Some(&after) {
        write_with_backup(file, &json_text(&after)?)?;
        notes.push(format!(
            "{}'s telemetry turned toward Baton in {} (it reads it only from the user's settings)",
            baton_core::hooks::HookClient::parse(client).map_or(client, |c| c.label()),
            file.display()
        ));
    }
    Ok(notes)
}

/// Codex's config.toml changed by `edit` (written with a backup when it changed); its notes.
pub(super) fn codex_telemetry(
    (config_path, mut config, before): (PathBuf, DocumentMut, String),
    edit: impl FnOnce(&mut DocumentMut) -> Vec<String>,
) -> Result<Vec<String>, HooksError> {
    let mut notes = edit(&mut config);
    let after = config.to_string();
    if after != before {
        write_with_backup(&config_path, &after)?;
        notes.push(format!(
            "Codex's telemetry settings ([otel]) updated in {}",
            config_path.display()
        ));
    }
    Ok(notes)
}

/// What `hooks status` says of the client's telemetry (None: a client that sends none).
pub(super) fn status_note(
    client: &str,
    project: bool,
    settings: &Value,
    hooked: bool,
    codex_config: Option<&DocumentMut>,
) -> Result<Option<String>, HooksError> {
    if !matches!(client, "claude-code" | "codex" | "gemini") {
        return Ok(None);
    }
    let to = match (client, telemetry_file(client, project)?) {
        ("codex", _) => codex_config.and_then(codex_endpoint),
        (_, Some(user_file)) => read_json(&user_file)?.and_then(|user| telemetry_on(client, &user)),
        (_, None) => telemetry_on(client, settings),
    };
    Ok(match to {
        Some(endpoint) => Some(format!(
            "the client's telemetry goes to Baton at {endpoint}"
        )),
        None if hooked => Some(
            "the client's telemetry does not go to Baton: `baton hooks install` again turns it on"
                .into(),
        ),
        None => None,
    })
}
