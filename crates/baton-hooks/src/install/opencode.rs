//! OpenCode's plugin: OpenCode (1.18.33) has no command hooks, but loads every `*.js` file in a
//! project's `.opencode/plugin/` and in its own config folder's `plugin/`
//! (`$XDG_CONFIG_HOME/opencode`, `~/.config/opencode`). Baton's is a file of its own,
//! `baton.js` ([`PLUGIN`]): it runs Baton's hook command with each call as JSON on stdin and
//! throws in `tool.execute.before` when the command refuses the call.

use std::path::{Path, PathBuf};

use super::files::home;
use crate::HooksError;

/// The plugin, with its command and timeout to fill in.
const PLUGIN: &str = include_str!("opencode_plugin.js");

/// The line that marks the file as Baton's.
const MARK: &str = "// Baton's plugin for OpenCode";

/// What the plugin hands to Baton's command, as `baton hooks status` lists them.
const HOOKS: [&str; 4] = [
    "chat.message",
    "tool.execute.before",
    "tool.execute.after",
    "event",
];

/// OpenCode's own config folder: `$XDG_CONFIG_HOME/opencode`, else `~/.config/opencode`.
pub(super) fn opencode_config() -> Result<PathBuf, HooksError> {
    match std::env::var_os("XDG_CONFIG_HOME").filter(|dir| !dir.is_empty()) {
        Some(dir) => Ok(PathBuf::from(dir).join("opencode")),
        None => Ok(home()?.join(".config").join("opencode")),
    }
}

/// The plugin that runs `command` (a shell command line), waiting at most `timeout_ms` for it.
pub(super) fn plugin_text(command: &str, timeout_ms: u64) -> Result<String, HooksError> {
    let literal = serde_json::to_string(command).map_err(std::io::Error::other)?;
    Ok(PLUGIN
        .replace("__BATON_COMMAND__", &literal)
        .replace("__BATON_TIMEOUT_MS__", &timeout_ms.to_string()))
}

/// The hooks the plugin at `path` hands to Baton (none when it is not there, or not Baton's).
pub(super) fn plugin_hooks(path: &Path) -> Result<Vec<String>, HooksError> {
    match std::fs::read_to_string(path) {
        Ok(text) if text.starts_with(MARK) => Ok(HOOKS.map(str::to_owned).to_vec()),
        Ok(_) => Ok(Vec::new()),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(err) => Err(err.into()),
    }
}

/// A file at Baton's place that Baton did not write is left alone.
pub(super) fn refuse_foreign(path: &Path) -> Result<(), HooksError> {
    match std::fs::read_to_string(path) {
        Ok(text) if !text.starts_with(MARK) => Err(HooksError::Settings(format!(
            "{} is not Baton's plugin; nothing was changed",
            path.display()
        ))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plugin_carries_its_command_as_a_javascript_string() {
        let command = r#"'/opt/it'\''s/baton-hook' --data-dir '/d "x"' opencode --mode enforce"#;
        let text = plugin_text(command, 10_000).unwrap();
        assert!(text.starts_with(MARK), "{text}");
        let line = text
            .lines()
            .find(|line| line.starts_with("const COMMAND = "))
            .unwrap();
        let literal = line
            .trim_start_matches("const COMMAND = ")
            .trim_end_matches(';');
        assert_eq!(serde_json::from_str::<String>(literal).unwrap(), command);
        assert!(text.contains("const TIMEOUT_MS = 10000;"), "{text}");
        assert!(!text.contains("__BATON_"), "{text}");
    }
}
