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

use serde_json::{json, Map, Value};
use toml_edit::{value, DocumentMut, InlineTable, Item, Table};

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
