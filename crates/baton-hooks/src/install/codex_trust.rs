//! Codex runs a hook only when its `config.toml` trusts it: a table
//! `[hooks.state."<hooks file>:<event>:<group>:<handler>"]` whose `trusted_hash` is the SHA-256
//! of the handler as Codex sees it (compact JSON, keys sorted: the event in snake case, the
//! group's matcher, the handler's type, command, timeout (600 when absent) and async flag). An
//! untrusted or changed hook is skipped without a word in `codex exec`; a project's own
//! `.codex/hooks.json` is read only when the project is trusted as well
//! (`[projects."<dir>"] trust_level = "trusted"`). Measured against Codex 0.169.0, whose
//! `app-server` reports the same hashes (../shared/notes and docs/coding-agents.md).

use std::collections::{BTreeMap, HashSet};

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use toml_edit::{DocumentMut, Item, Table};

use super::settings::is_ours;

/// `PreToolUse` → `pre_tool_use`.
fn snake_event(event: &str) -> String {
    let mut out = String::new();
    for (i, ch) in event.chars().enumerate() {
        if ch.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(ch.to_ascii_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}

/// The hash Codex trusts a command handler by (None for handlers of other types).
pub fn handler_hash(event: &str, matcher: Option<&Value>, handler: &Value) -> Option<String> {
    if handler.get("type").and_then(Value::as_str) != Some("command") {
        return None;
    }
    let mut hook: BTreeMap<&str, Value> = BTreeMap::new();
    hook.insert("type", json!("command"));
    hook.insert("command", handler.get("command")?.clone());
    hook.insert(
        "timeout",
        handler.get("timeout").cloned().unwrap_or(json!(600)),
    );
    hook.insert(
        "async",
        handler.get("async").cloned().unwrap_or(json!(false)),
    );
    if let Some(message) = handler.get("statusMessage").filter(|m| !m.is_null()) {
        hook.insert("statusMessage", message.clone());
    }
    let mut identity: BTreeMap<&str, Value> = BTreeMap::new();
    identity.insert("event_name", json!(snake_event(event)));
    identity.insert("hooks", json!([hook]));
    if let Some(matcher) = matcher.filter(|m| !m.is_null()) {
        identity.insert("matcher", matcher.clone());
    }
    let canonical = serde_json::to_string(&identity).ok()?;
    Some(format!(
        "sha256:{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    ))
}

/// One handler of a hooks file: its trust key, its event (snake case), its hash, whether it is
/// Baton's.
struct Handler {
    key: String,
    event: String,
    hash: String,
    ours: bool,
}

fn handlers(file_key: &str, settings: &Value, client: &str) -> Vec<Handler> {
    let mut out = Vec::new();
    let Some(Value::Object(events)) = settings.get("hooks") else {
        return out;
    };
    for (event, groups) in events {
        let snake = snake_event(event);
        for (g, group) in groups.as_array().into_iter().flatten().enumerate() {
            for (h, handler) in group
                .get("hooks")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                if let Some(hash) = handler_hash(event, group.get("matcher"), handler) {
                    out.push(Handler {
                        key: format!("{file_key}:{snake}:{g}:{h}"),
                        event: snake.clone(),
                        hash,
                        ours: is_ours(handler, client),
                    });
                }
            }
        }
    }
    out
}

/// `config[name]`, made a table (implicit, so that it prints no header of its own) if absent.
fn table_in<'a>(parent: &'a mut Table, name: &str) -> Result<&'a mut Table, String> {
    let item = parent.entry(name).or_insert_with(|| {
        let mut table = Table::new();
        table.set_implicit(true);
        Item::Table(table)
    });
    if let Some(inline) = item.as_inline_table().cloned() {
        *item = Item::Table(inline.into_table());
    }
    item.as_table_mut()
        .ok_or_else(|| format!("`{name}` in Codex's config.toml is not a table"))
}

/// Brings the trust records of the hooks file `file_key` up to date with `after`: Baton's
/// handlers are trusted; each of the person's handlers stays trusted if a handler of the same
/// event and hash was trusted before (wherever it stood); records of handlers gone are removed.
pub fn retrust(
    config: &mut DocumentMut,
    file_key: &str,
    after: &Value,
    client: &str,
) -> Result<(), String> {
    let hooks = table_in(config.as_table_mut(), "hooks")?;
    let state = table_in(hooks, "state")?;
    let prefix = format!("{file_key}:");
    let mut trusted: HashSet<(String, String)> = HashSet::new();
    let old_keys: Vec<String> = state
        .iter()
        .map(|(key, _)| key.to_owned())
        .filter(|key| key.starts_with(&prefix))
        .collect();
    for key in &old_keys {
        let event = key[prefix.len()..].split(':').next().unwrap_or_default();
        if let Some(hash) = state
            .get(key)
            .and_then(|item| item.get("trusted_hash"))
            .and_then(Item::as_str)
        {
            trusted.insert((event.to_owned(), hash.to_owned()));
        }
        state.remove(key);
    }
    for handler in handlers(file_key, after, client) {
        if handler.ours || trusted.contains(&(handler.event.clone(), handler.hash.clone())) {
            let mut record = Table::new();
            record.insert("trusted_hash", toml_edit::value(handler.hash));
            state.insert(&handler.key, Item::Table(record));
        }
    }
    Ok(())
}

/// Marks the project `dir` trusted (Codex reads a project's hooks only then); whether it changed.
pub fn trust_project(config: &mut DocumentMut, dir: &str) -> Result<bool, String> {
    let projects = table_in(config.as_table_mut(), "projects")?;
    let project = table_in(projects, dir)?;
    if project.get("trust_level").and_then(Item::as_str) == Some("trusted") {
        return Ok(false);
    }
    project.set_implicit(false);
    project.insert("trust_level", toml_edit::value("trusted"));
    Ok(true)
}

/// Baton's handlers in the hooks file that Codex would skip (no record, or a stale hash): their
/// events.
pub fn untrusted_events(
    config: &DocumentMut,
    file_key: &str,
    settings: &Value,
    client: &str,
) -> Vec<String> {
    let state = config
        .get("hooks")
        .and_then(|hooks| hooks.get("state"))
        .and_then(Item::as_table);
    let mut events: Vec<String> = handlers(file_key, settings, client)
        .into_iter()
        .filter(|handler| handler.ours)
        .filter(|handler| {
            state
                .and_then(|state| state.get(&handler.key))
                .and_then(|record| record.get("trusted_hash"))
                .and_then(Item::as_str)
                != Some(handler.hash.as_str())
        })
        .map(|handler| handler.event)
        .collect();
    events.dedup();
    events
}

/// Whether Codex reads the project `dir`'s own configuration.
pub fn project_is_trusted(config: &DocumentMut, dir: &str) -> bool {
    config
        .get("projects")
        .and_then(|projects| projects.get(dir))
        .and_then(|project| project.get("trust_level"))
        .and_then(Item::as_str)
        == Some("trusted")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_the_one_codex_reports_for_the_same_hook() {
        // Worked example measured against Codex 0.169.0 (`codex app-server`, hooks/list).
        let handler = json!({"type": "command", "command": "/tmp/codex-probe/hook.sh PreToolUse", "timeout": 30});
        assert_eq!(
            handler_hash("PreToolUse", Some(&json!("*")), &handler).unwrap(),
            "sha256:4d1479707b4b1dad45bca10d29adcfdba85adc1fd5ce8710ee0af5447567d409"
        );
        assert_eq!(snake_event("UserPromptSubmit"), "user_prompt_submit");
        assert_eq!(snake_event("Stop"), "stop");
        // Other kinds of handler are not trusted by hash.
        assert!(handler_hash("Stop", None, &json!({"type": "http", "url": "x"})).is_none());
    }

    #[test]
    fn retrusting_keeps_the_persons_trust_when_their_hook_moves_and_drops_what_is_gone() {
        let mine = json!({"type": "command", "command": "./mine.sh"});
        let ours =
            json!({"type": "command", "command": "'/b' hook codex --mode warn", "timeout": 10});
        let before = json!({"hooks": {"Stop": [{"hooks": [ours]}, {"hooks": [mine]}]}});
        // The person trusted their own hook (at index 1) themselves; Baton trusts its own.
        let my_hash = handler_hash("Stop", None, &mine).unwrap();
        let mut config: DocumentMut = format!(
            "model = \"o4\"\nhooks = {{ state = {{ \"/h.json:stop:1:0\" = {{ trusted_hash = \"{my_hash}\" }} }} }}\n"
        )
        .parse()
        .unwrap();
        retrust(&mut config, "/h.json", &before, "codex").unwrap();
        assert!(untrusted_events(&config, "/h.json", &before, "codex").is_empty());
        // Baton's hook removed: the person's moves to index 0 and stays trusted.
        let after = json!({"hooks": {"Stop": [{"hooks": [mine]}]}});
        retrust(&mut config, "/h.json", &after, "codex").unwrap();
        let text = config.to_string();
        assert!(text.starts_with("model = \"o4\"\n"), "{text}");
        assert!(
            text.contains(&format!(
                "[hooks.state.\"/h.json:stop:0:0\"]\ntrusted_hash = \"{my_hash}\""
            )),
            "{text}"
        );
        assert!(!text.contains(":stop:1:0"), "{text}");
        // A hook that nobody trusted is not trusted by Baton.
        let strange =
            json!({"hooks": {"Stop": [{"hooks": [{"type": "command", "command": "./new.sh"}]}]}});
        retrust(&mut config, "/h.json", &strange, "codex").unwrap();
        assert!(!config.to_string().contains("/h.json"));
    }

    #[test]
    fn a_project_is_trusted_once() {
        let mut config = DocumentMut::new();
        assert!(!project_is_trusted(&config, "/repo"));
        assert!(trust_project(&mut config, "/repo").unwrap());
        assert!(!trust_project(&mut config, "/repo").unwrap());
        assert!(project_is_trusted(&config, "/repo"));
        assert_eq!(
            config.to_string(),
            "[projects.\"/repo\"]\ntrust_level = \"trusted\"\n"
        );
        let mut odd: DocumentMut = "projects = 3\n".parse().unwrap();
        assert!(trust_project(&mut odd, "/repo").is_err());
    }
}
