//! What a tool call does to files, as far as its arguments say: the files a permit is asked
//! for, and the `write` / `read` events a session's tool calls become.
//!
//! Seen: Claude Code's `Write`, `Edit`, `MultiEdit`, `NotebookEdit` and `Read`; Copilot CLI's
//! `create`, `edit` and `view`; `apply_patch` envelopes, whether a tool of their own or inside
//! a shell command (Codex edits files with `apply_patch <<'EOF' … EOF` through
//! `exec_command`). Not seen: what any other shell command writes.

use serde_json::Value;

use super::ToolCall;

/// What one tool call does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolEffect {
    /// Creates, edits, moves or deletes these files (absolute paths, in the order named).
    Writes(Vec<String>),
    /// Reads these files.
    Reads(Vec<String>),
    /// Runs a shell command whose effects Baton does not see.
    Shell(String),
    /// Anything else (web fetches, searches, MCP tools, …).
    Other,
}

/// The effect of `tool`, with relative paths resolved against the session's `cwd`.
pub fn tool_effect(tool: &ToolCall, cwd: Option<&str>) -> ToolEffect {
    let input = &tool.input;
    let name = tool.name.to_ascii_lowercase();
    let paths = |keys: &[&str]| -> Vec<String> {
        keys.iter()
            .filter_map(|key| input.get(*key).and_then(Value::as_str))
            .filter(|path| !path.is_empty())
            .take(1)
            .map(|path| absolute(path, cwd))
            .collect()
    };
    match name.as_str() {
        "write" | "edit" | "multiedit" | "create" | "str_replace" | "str_replace_editor" => {
            ToolEffect::Writes(paths(&["file_path", "path"]))
        }
        "notebookedit" => ToolEffect::Writes(paths(&["notebook_path", "file_path", "path"])),
        "read" | "view" => ToolEffect::Reads(paths(&["file_path", "path"])),
        "apply_patch" => ToolEffect::Writes(patch_paths_in(input, cwd)),
        "bash" | "shell" | "exec_command" | "local_shell" | "powershell" => {
            let patched = patch_paths_in(input, cwd);
            if patched.is_empty() {
                ToolEffect::Shell(command_text(input))
            } else {
                ToolEffect::Writes(patched)
            }
        }
        _ => ToolEffect::Other,
    }
}

/// The command a shell tool runs, as one line of text.
fn command_text(input: &Value) -> String {
    match ["command", "cmd"].iter().find_map(|key| input.get(*key)) {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" "),
        _ => String::new(),
    }
}

/// The files named by every `apply_patch` envelope in the input's texts (top-level strings and
/// arrays of strings: `{"command": ["apply_patch", "*** Begin Patch…"]}` and the like).
fn patch_paths_in(input: &Value, cwd: Option<&str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut texts: Vec<&str> = Vec::new();
    if let Value::Object(map) = input {
        for value in map.values() {
            match value {
                Value::String(text) => texts.push(text),
                Value::Array(items) => texts.extend(items.iter().filter_map(Value::as_str)),
                _ => {}
            }
        }
    }
    for text in texts {
        for path in patch_paths(text) {
            let path = absolute(path, cwd);
            if !out.contains(&path) {
                out.push(path);
            }
        }
    }
    out
}

/// The paths an `apply_patch` envelope adds, updates, deletes or moves to, as written.
pub fn patch_paths(text: &str) -> Vec<&str> {
    const HEADERS: [&str; 4] = [
        "*** Add File: ",
        "*** Update File: ",
        "*** Delete File: ",
        "*** Move to: ",
    ];
    let mut inside = false;
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.trim() == "*** Begin Patch" {
            inside = true;
            continue;
        }
        if line.trim() == "*** End Patch" {
            inside = false;
            continue;
        }
        if !inside {
            continue;
        }
        if let Some(path) = HEADERS.iter().find_map(|h| line.strip_prefix(h)) {
            let path = path.trim();
            if !path.is_empty() && !out.contains(&path) {
                out.push(path);
            }
        }
    }
    out
}

/// `path` made absolute against `cwd` (when relative and a cwd is known) and normalised: `.`
/// and `..` resolved, repeated slashes folded. Nothing is read from the disk.
pub fn absolute(path: &str, cwd: Option<&str>) -> String {
    let joined = match cwd {
        Some(cwd) if !path.starts_with('/') => format!("{cwd}/{path}"),
        _ => path.to_owned(),
    };
    if !joined.starts_with('/') {
        return joined;
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in joined.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    format!("/{}", parts.join("/"))
}

/// The resource a file is: `file://` and its absolute path (`file:///repo/src/app.rs`).
pub fn file_resource(path: &str) -> String {
    format!("file://{path}")
}
