//! Hook settings in Claude Code's shape, which Codex reads too: `{"hooks": {"<Event>":
//! [{"matcher": "…", "hooks": [{"type": "command", "command": "…", "timeout": N}]}]}}`.
//!
//! Baton's entries are the command hooks whose command runs `… hook <client>`. Installing puts
//! each of Baton's groups where it was (or at the end of the event's list) and touches nothing
//! else, so the person's own hooks keep their places (Codex trusts a hook by its place).

use serde_json::{json, Map, Value};

/// One event Baton listens to, the tools its group matches (None: every call), and how many
/// seconds the client waits for the hook.
pub type EventSpec = (&'static str, Option<&'static str>, u64);

pub use crate::link::HOOK_TIMEOUT_SECONDS;

/// Whether `hook` (a handler object) is Baton's, for `client`: its command runs `… hook
/// <client>` (the CLI) or `…baton-hook … <client> --mode` (the small binary).
pub fn is_ours(hook: &Value, client: &str) -> bool {
    ["command", "bash"].iter().any(|key| {
        hook.get(*key)
            .and_then(Value::as_str)
            .is_some_and(|command| {
                command.contains(&format!(" hook {client}"))
                    || (command.contains("baton-hook")
                        && command.contains(&format!(" {client} --mode")))
            })
    })
}

fn group_has_ours(group: &Value, client: &str) -> bool {
    group
        .get("hooks")
        .and_then(Value::as_array)
        .is_some_and(|hooks| hooks.iter().any(|hook| is_ours(hook, client)))
}

/// Removes `client`'s hooks; returns, per event, the index its first group of Baton's had.
fn remove_ours(settings: &mut Value, client: &str) -> Map<String, Value> {
    let mut places = Map::new();
    let Some(Value::Object(events)) = settings.get_mut("hooks") else {
        return places;
    };
    for (event, groups) in events.iter_mut() {
        let Value::Array(list) = groups else { continue };
        if let Some(first) = list.iter().position(|group| group_has_ours(group, client)) {
            places.insert(event.clone(), json!(first));
        }
        for group in list.iter_mut() {
            if let Some(Value::Array(hooks)) = group.get_mut("hooks") {
                hooks.retain(|hook| !is_ours(hook, client));
            }
        }
        list.retain(|group| {
            group
                .get("hooks")
                .and_then(Value::as_array)
                .is_none_or(|hooks| !hooks.is_empty())
        });
    }
    events.retain(|_, groups| groups.as_array().is_none_or(|list| !list.is_empty()));
    places
}

/// Settings without `client`'s hooks (the person's own kept as they were).
pub fn without_hooks(mut settings: Value, client: &str) -> Value {
    remove_ours(&mut settings, client);
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

/// Settings with `client`'s hooks on `events`, each running `command` (once, whatever was there
/// before; a group of Baton's already in a list stays at its place).
pub fn with_hooks(
    mut settings: Value,
    client: &str,
    events: &[EventSpec],
    command: &str,
) -> Result<Value, String> {
    let places = remove_ours(&mut settings, client);
    let Value::Object(map) = &mut settings else {
        return Err("the settings file is not a JSON object".into());
    };
    let hooks = map
        .entry("hooks")
        .or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(lists) = hooks else {
        return Err("the settings' \"hooks\" is not a JSON object".into());
    };
    for (event, matcher, timeout) in events {
        let mut group =
            json!({"hooks": [{"type": "command", "command": command, "timeout": timeout}]});
        if let Some(matcher) = matcher {
            group["matcher"] = json!(matcher);
        }
        let list = lists
            .entry(*event)
            .or_insert_with(|| Value::Array(Vec::new()));
        let Value::Array(list) = list else {
            return Err(format!("the settings' hooks.{event} is not a list"));
        };
        let place = places
            .get(*event)
            .and_then(Value::as_u64)
            .and_then(|at| usize::try_from(at).ok())
            .map_or(list.len(), |at| at.min(list.len()));
        list.insert(place, group);
    }
    Ok(settings)
}

/// The events whose lists hold a hook of `client`'s.
pub fn events_with_ours(settings: &Value, client: &str) -> Vec<String> {
    let Some(Value::Object(map)) = settings.get("hooks") else {
        return Vec::new();
    };
    map.iter()
        .filter(|(_, groups)| {
            groups.as_array().into_iter().flatten().any(|group| {
                // Copilot's files list handlers directly under the event.
                is_ours(group, client) || group_has_ours(group, client)
            })
        })
        .map(|(event, _)| event.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CMD: &str = "'/usr/bin/baton' hook claude-code --mode warn";
    const EVENTS: [EventSpec; 2] = [
        ("PreToolUse", Some("Write|Edit"), HOOK_TIMEOUT_SECONDS),
        ("Stop", None, HOOK_TIMEOUT_SECONDS),
    ];

    #[test]
    fn installing_twice_adds_baton_once_and_keeps_the_persons_own_hooks() {
        let mine = json!({
            "model": "opus",
            "hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "./check.sh"}]}]}
        });
        let once = with_hooks(mine.clone(), "claude-code", &EVENTS, CMD).unwrap();
        let twice = with_hooks(once.clone(), "claude-code", &EVENTS, CMD).unwrap();
        assert_eq!(once, twice);
        assert_eq!(once["model"], "opus");
        let pre = once["hooks"]["PreToolUse"].as_array().unwrap();
        assert_eq!(pre.len(), 2);
        assert_eq!(pre[0]["hooks"][0]["command"], "./check.sh");
        assert_eq!(pre[1]["matcher"], "Write|Edit");
        assert_eq!(once["hooks"]["Stop"][0]["hooks"][0]["command"], CMD);
        // A new mode replaces the old entries rather than adding to them.
        let enforce = with_hooks(
            once,
            "claude-code",
            &EVENTS,
            "'/usr/bin/baton' hook claude-code --mode enforce",
        )
        .unwrap();
        assert_eq!(enforce["hooks"]["PreToolUse"].as_array().unwrap().len(), 2);
        // Uninstalling gives back exactly what the person had.
        assert_eq!(without_hooks(enforce, "claude-code"), mine);
        let fresh = with_hooks(json!({}), "claude-code", &EVENTS, CMD).unwrap();
        assert_eq!(without_hooks(fresh, "claude-code"), json!({}));
    }

    #[test]
    fn a_reinstall_keeps_baton_at_its_place_before_hooks_added_later() {
        let installed =
            with_hooks(json!({}), "codex", &EVENTS, "'/x' hook codex --mode warn").unwrap();
        let mut later = installed.clone();
        later["hooks"]["PreToolUse"]
            .as_array_mut()
            .unwrap()
            .push(json!({"hooks": [{"type": "command", "command": "./mine.sh"}]}));
        let again = with_hooks(later, "codex", &EVENTS, "'/x' hook codex --mode enforce").unwrap();
        let pre = again["hooks"]["PreToolUse"].as_array().unwrap();
        assert_eq!(
            pre[0]["hooks"][0]["command"],
            "'/x' hook codex --mode enforce"
        );
        assert_eq!(pre[1]["hooks"][0]["command"], "./mine.sh");
        // Another client's entries are not this one's.
        assert_eq!(
            events_with_ours(&again, "claude-code"),
            Vec::<String>::new()
        );
        assert_eq!(events_with_ours(&again, "codex"), ["PreToolUse", "Stop"]);
    }

    #[test]
    fn the_small_binarys_entries_are_batons_too() {
        let small = "'/opt/baton/baton-hook' --data-dir '/d' codex --mode warn";
        let installed = with_hooks(json!({}), "codex", &EVENTS, small).unwrap();
        assert_eq!(
            events_with_ours(&installed, "codex"),
            ["PreToolUse", "Stop"]
        );
        assert!(events_with_ours(&installed, "claude-code").is_empty());
        // Replacing the CLI's entries with the small binary's keeps one of each.
        let cli = with_hooks(json!({}), "codex", &EVENTS, "'/b' hook codex --mode warn").unwrap();
        let moved = with_hooks(cli, "codex", &EVENTS, small).unwrap();
        assert_eq!(moved, installed);
    }

    #[test]
    fn settings_that_are_not_what_the_client_reads_are_refused() {
        for bad in [
            json!([1]),
            json!({"hooks": 3}),
            json!({"hooks": {"Stop": {}}}),
        ] {
            assert!(with_hooks(bad, "claude-code", &EVENTS, CMD).is_err());
        }
    }
}
