//! What a tool call does to files, as far as its arguments say: the files a permit is asked
//! for, and the `write` / `read` events a session's tool calls become.
//!
//! Seen: Claude Code's `Write`, `Edit`, `MultiEdit`, `NotebookEdit` and `Read`; Copilot CLI's
//! `create`, `edit` and `view`; Gemini CLI's `write_file`, `replace` and `read_file`
//! (`file_path`); OpenCode's `write`, `edit` and `read` (`filePath`); `apply_patch` envelopes,
//! whether a tool of their own (Codex's, OpenCode's `patchText`) or inside a shell command
//! (Codex edits files with `apply_patch <<'EOF' … EOF` through `exec_command`), placed where
//! the command runs (see `shell`). Not seen: what any other shell command writes.

use serde_json::Value;

use super::shell::{absolute, shell_patches, ShellPatches};
use super::ToolCall;

/// The tools that run a shell command, in lower case.
const SHELL_TOOLS: [&str; 6] = [
    "bash",
    "shell",
    "exec_command",
    "local_shell",
    "powershell",
    "run_shell_command",
];

/// The arguments that name the file an editing tool works on, in the order looked for.
const FILE_KEYS: [&str; 3] = ["file_path", "path", "filePath"];

/// What one tool call does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolEffect {
    /// Creates, edits, moves or deletes these files (absolute paths, in the order named).
    Writes(Vec<String>),
    /// Changes files of which some cannot be named for sure (a patch run after `cd $DIR`):
    /// the write is unchecked, and the repository's `unchecked` rule decides.
    UnsureWrites {
        /// The files that could be named.
        paths: Vec<String>,
        /// Why the others could not, for the person and the model.
        why: String,
    },
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
        "write" | "edit" | "multiedit" | "create" | "str_replace" | "str_replace_editor"
        | "write_file" | "replace" => ToolEffect::Writes(paths(&FILE_KEYS)),
        "notebookedit" => ToolEffect::Writes(paths(&["notebook_path", "file_path", "path"])),
        "read" | "view" | "read_file" => ToolEffect::Reads(paths(&FILE_KEYS)),
        "apply_patch" => patched(patch_paths_in(input, cwd)),
        name if SHELL_TOOLS.contains(&name) => {
            let found = patch_paths_in(input, cwd);
            if found.paths.is_empty() && found.unsure.is_none() {
                ToolEffect::Shell(command_text(input))
            } else {
                patched(found)
            }
        }
        _ => ToolEffect::Other,
    }
}

fn patched(found: ShellPatches) -> ToolEffect {
    match found.unsure {
        None => ToolEffect::Writes(found.paths),
        Some(why) => ToolEffect::UnsureWrites {
            paths: found.paths,
            why,
        },
    }
}

/// Whether `tool` runs a shell command (Codex's patches come through one, and it sends no
/// PostToolUse for them).
pub fn runs_in_shell(tool: &ToolCall) -> bool {
    SHELL_TOOLS.contains(&tool.name.to_ascii_lowercase().as_str())
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

/// The files changed by every `apply_patch` envelope in the input's texts (top-level strings and
/// arrays of strings: `{"command": ["apply_patch", "*** Begin Patch…"]}` and the like), placed
/// where the command really runs (the call's `workdir`, `cd`, `pushd`).
fn patch_paths_in(input: &Value, cwd: Option<&str>) -> ShellPatches {
    let mut out = ShellPatches::default();
    let workdir = input.get("workdir").and_then(Value::as_str);
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
    for text in texts.into_iter().filter(|t| t.contains("*** Begin Patch")) {
        let found = shell_patches(text, cwd, workdir);
        for path in found.paths {
            if !out.paths.contains(&path) {
                out.paths.push(path);
            }
        }
        if out.unsure.is_none() {
            out.unsure = found.unsure;
        }
    }
    out
}

/// The resource a file is: `file://` and its absolute path (`file:///repo/src/app.rs`).
pub fn file_resource(path: &str) -> String {
    format!("file://{path}")
}
