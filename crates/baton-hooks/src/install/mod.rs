//! `baton hooks install|uninstall|status`: Baton's entries in a coding agent's hook settings,
//! merged without touching the person's other hooks, idempotent, with a backup of each file
//! before it changes.
//!
//! - Claude Code: `.claude/settings.json` in the project (`--project DIR`) or `~/.claude/
//!   settings.json` (`--user`).
//! - Codex: `.codex/hooks.json` in the project or `$CODEX_HOME/hooks.json` (`~/.codex`), in
//!   Claude Code's shape; Codex runs them only when `$CODEX_HOME/config.toml` trusts each one,
//!   and a project's only when the project is trusted: install writes both ([`codex_trust`]).
//! - Copilot CLI: `.github/hooks/baton.json` in the project (which install also trusts:
//!   [`copilot`]) or `$COPILOT_HOME/hooks/baton.json` (`~/.copilot`), a file of Baton's own.
//! - Gemini CLI: `.gemini/settings.json` in the project (which install also trusts: [`gemini`])
//!   or `~/.gemini/settings.json`, in Claude Code's shape (timeouts in milliseconds).
//! - OpenCode: a plugin of Baton's own, `.opencode/plugin/baton.js` in the project or
//!   `~/.config/opencode/plugin/baton.js` ([`opencode`]).

mod codex_files;
mod codex_trust;
mod copilot;
mod files;
mod found;
mod gemini;
mod opencode;
mod settings;
mod telemetry;

use std::path::{Path, PathBuf};

use serde_json::json;

use crate::HooksError;
use codex_files::{codex_home, codex_key, read_codex_config, write_codex};
use copilot::{copilot_file, copilot_home};
pub(crate) use files::{home, json_text, read_json, write_with_backup};
pub use found::{clients_found, clients_found_with};
use gemini::{gemini_home, GEMINI_EVENTS};
use opencode::opencode_config;
pub(crate) use settings::HOOK_TIMEOUT_SECONDS;
use settings::{events_with_ours, with_hooks, without_hooks, EventSpec};

/// Seconds the client waits for a permission request's hook: the hook's own wait for the
/// person (`--ask-seconds`), and room to answer.
pub(super) const ASK_TIMEOUT_SECONDS: u64 = crate::call::ASK_SECONDS as u64 + 15;

/// The same for the clients whose hook limit lets a permission request wait for an answer
/// from the person's phone (`--route-wait`): 600 s, Claude Code's and Codex's limit.
const ROUTE_ASK_TIMEOUT_SECONDS: u64 = crate::call::ROUTE_ASK_SECONDS as u64 + 15;

pub(super) const QUICK: u64 = HOOK_TIMEOUT_SECONDS;

/// Claude Code's events Baton listens to, with the tools each matches (None: every call). A
/// subagent's calls come through the same events, naming it; its start and stop bracket it.
const CLAUDE_EVENTS: [EventSpec; 10] = [
    ("SessionStart", None, QUICK),
    ("UserPromptSubmit", None, QUICK),
    (
        "PreToolUse",
        Some("Write|Edit|MultiEdit|NotebookEdit"),
        QUICK,
    ),
    ("PermissionRequest", Some("*"), ROUTE_ASK_TIMEOUT_SECONDS),
    (
        "PostToolUse",
        Some("Write|Edit|MultiEdit|NotebookEdit|Read"),
        QUICK,
    ),
    ("Notification", None, QUICK),
    ("Stop", None, QUICK),
    ("SubagentStart", None, QUICK),
    ("SubagentStop", None, QUICK),
    ("SessionEnd", None, QUICK),
];

/// Codex's events (it has no SessionEnd). Every tool: Codex edits files with `apply_patch`, as
/// a tool of its own or inside a shell command. Its subagents' start and stop are Claude Code's
/// (0.169.0's hook schemas: `agent_id`, `agent_type`, on its tool calls too).
const CODEX_EVENTS: [EventSpec; 8] = [
    ("SessionStart", None, QUICK),
    ("UserPromptSubmit", None, QUICK),
    ("PreToolUse", Some("*"), QUICK),
    ("PermissionRequest", Some("*"), ROUTE_ASK_TIMEOUT_SECONDS),
    ("PostToolUse", Some("*"), QUICK),
    ("Stop", None, QUICK),
    ("SubagentStart", None, QUICK),
    ("SubagentStop", None, QUICK),
];

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
    /// The parallel-edit mode put in the command (`--parallel off|warn|enforce`); None: the
    /// hook's default (`warn`).
    pub parallel: Option<String>,
    /// Where Baton's OTLP receiver takes the client's telemetry (`http://127.0.0.1:4318`):
    /// install turns the client's export toward it ([`telemetry`]). None: left as it is.
    pub telemetry: Option<String>,
}

/// What install or uninstall did: the hooks file, whether it changed, and what else was done
/// or is worth knowing (one line each).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HooksReport {
    pub file: PathBuf,
    pub changed: bool,
    pub notes: Vec<String>,
}

pub(crate) fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// The command prefix Baton's hooks run, up to the client's name: the small `baton-hook`
/// binary when it sits next to `exe` (the clients wait for every call, and it starts several
/// times faster), else `exe hook` (`exe` is the `baton` CLI); with the store it was told to use.
pub fn hook_command(exe: &Path, data_dir: Option<&Path>) -> Result<String, HooksError> {
    let small = exe.with_file_name(format!("baton-hook{}", std::env::consts::EXE_SUFFIX));
    let is_small = exe.file_stem().is_some_and(|stem| stem == "baton-hook");
    let (program, subcommand) = if is_small || small.exists() {
        (if is_small { exe.to_owned() } else { small }, "")
    } else {
        (exe.to_owned(), " hook")
    };
    let mut command = quote(&program.to_string_lossy());
    if let Some(dir) = data_dir {
        let dir = std::path::absolute(dir)?;
        command.push_str(&format!(" --data-dir {}", quote(&dir.to_string_lossy())));
    }
    command.push_str(subcommand);
    Ok(command)
}

pub(crate) fn settings_file(target: &HooksTarget) -> Result<PathBuf, HooksError> {
    match (target.client.as_str(), &target.scope) {
        ("claude-code", HooksScope::Project(dir)) => Ok(dir.join(".claude").join("settings.json")),
        ("claude-code", HooksScope::User) => Ok(home()?.join(".claude").join("settings.json")),
        ("codex", HooksScope::Project(dir)) => Ok(dir.join(".codex").join("hooks.json")),
        ("codex", HooksScope::User) => Ok(codex_home()?.join("hooks.json")),
        ("copilot", HooksScope::Project(dir)) => {
            Ok(dir.join(".github").join("hooks").join("baton.json"))
        }
        ("copilot", HooksScope::User) => Ok(copilot_home()?.join("hooks").join("baton.json")),
        ("gemini", HooksScope::Project(dir)) => Ok(dir.join(".gemini").join("settings.json")),
        ("gemini", HooksScope::User) => Ok(gemini_home()?.join("settings.json")),
        ("opencode", HooksScope::Project(dir)) => {
            Ok(dir.join(".opencode").join("plugin").join("baton.js"))
        }
        ("opencode", HooksScope::User) => Ok(opencode_config()?.join("plugin").join("baton.js")),
        (other, _) => Err(HooksError::Settings(format!(
            "unknown client {other} (claude-code, codex, copilot, gemini or opencode)"
        ))),
    }
}

/// Installs Baton's hooks.
pub fn hooks_install(target: &HooksTarget) -> Result<HooksReport, HooksError> {
    let path = settings_file(target)?;
    let mut command = format!(
        "{} {} --mode {}",
        target.command, target.client, target.mode
    );
    if let Some(parallel) = &target.parallel {
        command.push_str(&format!(" --parallel {parallel}"));
    }
    // A permission request may wait for the person's phone up to the client's own limit.
    if matches!(target.client.as_str(), "claude-code" | "codex") {
        command.push_str(&format!(" --route-wait {}", crate::call::ROUTE_ASK_SECONDS));
    }
    if target.client == "opencode" {
        return install_opencode(path, &command);
    }
    let before = read_json(&path)?;
    let events: &[EventSpec] = match target.client.as_str() {
        "claude-code" => &CLAUDE_EVENTS,
        "codex" => &CODEX_EVENTS,
        "gemini" => &GEMINI_EVENTS,
        _ => &[],
    };
    let after = if events.is_empty() {
        copilot_file(&command)
    } else {
        let current = before.clone().unwrap_or_else(|| json!({}));
        with_hooks(current, &target.client, events, &command)
            .map_err(|err| HooksError::Settings(format!("{}: {err}", path.display())))?
    };
    let (after, telemetry_notes) = telemetry::install(
        &target.client,
        is_project(target),
        target.telemetry.as_deref(),
        after,
    )?;
    let changed = before.as_ref() != Some(&after);
    if target.client == "codex" {
        let mut notes = write_codex(target, &path, &after, true)?;
        if let Some(endpoint) = &target.telemetry {
            notes.extend(telemetry::codex_telemetry(
                read_codex_config()?,
                |config| telemetry::codex_with_telemetry(config, endpoint),
            )?);
        }
        let mut main_changed = false;
        // Codex reads a linked worktree's project hooks from the repository's main checkout.
        if let HooksScope::Project(dir) = &target.scope {
            if let Some(main) = codex_files::main_checkout(dir) {
                let report = hooks_install(&HooksTarget {
                    scope: HooksScope::Project(main.clone()),
                    ..target.clone()
                })?;
                main_changed = report.changed;
                notes.push(format!(
                    "Codex reads the hooks of the repository's main checkout for sessions in its \
                     worktrees: Baton's hooks are in {} too",
                    report.file.display()
                ));
                notes.extend(report.notes);
            }
        }
        return Ok(HooksReport {
            file: path,
            changed: changed || main_changed || !notes.is_empty(),
            notes,
        });
    }
    if changed {
        write_with_backup(&path, &json_text(&after)?)?;
    }
    let mut notes = telemetry_notes;
    match (target.client.as_str(), &target.scope) {
        ("copilot", HooksScope::Project(dir)) => notes.extend(copilot::trust_folder(dir)?),
        ("gemini", HooksScope::Project(dir)) => notes.extend(gemini::trust_folder(dir)?),
        _ => {}
    }
    Ok(HooksReport {
        file: path,
        changed: changed || !notes.is_empty(),
        notes,
    })
}

fn is_project(target: &HooksTarget) -> bool {
    matches!(target.scope, HooksScope::Project(_))
}

/// Writes Baton's OpenCode plugin at `path`, running `command`.
fn install_opencode(path: PathBuf, command: &str) -> Result<HooksReport, HooksError> {
    opencode::refuse_foreign(&path)?;
    let text = opencode::plugin_text(command, QUICK * 1000)?;
    let changed = std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str());
    if changed {
        write_with_backup(&path, &text)?;
    }
    Ok(HooksReport {
        file: path,
        changed,
        notes: Vec::new(),
    })
}

/// Removes Baton's hooks.
pub fn hooks_uninstall(target: &HooksTarget) -> Result<HooksReport, HooksError> {
    let path = settings_file(target)?;
    let unchanged = |path: PathBuf| HooksReport {
        file: path,
        changed: false,
        notes: Vec::new(),
    };
    if target.client == "opencode" {
        if opencode::plugin_hooks(&path)?.is_empty() {
            return Ok(unchanged(path));
        }
        std::fs::remove_file(&path)?;
        return Ok(HooksReport {
            changed: true,
            ..unchanged(path)
        });
    }
    let Some(before) = read_json(&path)? else {
        return Ok(unchanged(path));
    };
    if target.client == "copilot" {
        std::fs::remove_file(&path)?;
        let mut notes = Vec::new();
        if let HooksScope::Project(dir) = &target.scope {
            notes.push(format!(
                "{} stays trusted in Copilot CLI's config (Baton does not know who trusted it)",
                dir.display()
            ));
        }
        return Ok(HooksReport {
            changed: true,
            notes,
            ..unchanged(path)
        });
    }
    let after = without_hooks(before.clone(), &target.client);
    let after = telemetry::uninstall(&target.client, is_project(target), after)?;
    if after == before {
        return Ok(unchanged(path));
    }
    let mut notes = Vec::new();
    if target.client == "codex" {
        notes = write_codex(target, &path, &after, false)?;
        // Codex's `[otel]` is the user's: a project's uninstall leaves it to the others.
        if !is_project(target) {
            notes.extend(telemetry::codex_telemetry(
                read_codex_config()?,
                |config| {
                    telemetry::codex_without_telemetry(config);
                    Vec::new()
                },
            )?);
        }
        if let HooksScope::Project(dir) = &target.scope {
            notes.push(format!(
                "{} stays trusted in Codex's config (Baton does not know who trusted it)",
                dir.display()
            ));
        }
    } else {
        write_with_backup(&path, &json_text(&after)?)?;
        if let ("gemini", HooksScope::Project(dir)) = (target.client.as_str(), &target.scope) {
            notes.push(format!(
                "{} stays trusted in Gemini CLI's trusted folders (Baton does not know who trusted it)",
                dir.display()
            ));
        }
    }
    Ok(HooksReport {
        file: path,
        changed: true,
        notes,
    })
}

/// Whether Baton's hooks are in the target's file: the file, the events that have them, and
/// what would keep the client from running them.
pub fn hooks_status(
    target: &HooksTarget,
) -> Result<(PathBuf, Vec<String>, Vec<String>), HooksError> {
    let path = settings_file(target)?;
    if target.client == "opencode" {
        let hooks = opencode::plugin_hooks(&path)?;
        return Ok((path, hooks, Vec::new()));
    }
    let Some(settings) = read_json(&path)? else {
        return Ok((path, Vec::new(), Vec::new()));
    };
    let events = events_with_ours(&settings, &target.client);
    let mut notes = Vec::new();
    let codex_config = match target.client.as_str() {
        "codex" => Some(read_codex_config()?.1),
        _ => None,
    };
    notes.extend(telemetry::status_note(
        &target.client,
        is_project(target),
        &settings,
        !events.is_empty(),
        codex_config.as_ref(),
    )?);
    match (target.client.as_str(), &target.scope) {
        ("copilot", HooksScope::Project(dir)) if !events.is_empty() => {
            notes.extend(copilot::untrusted_note(dir)?);
        }
        ("gemini", HooksScope::Project(dir)) if !events.is_empty() => {
            notes.extend(gemini::untrusted_note(dir)?);
        }
        _ => {}
    }
    if target.client == "codex" && !events.is_empty() {
        let (config_path, config, _) = read_codex_config()?;
        let untrusted =
            codex_trust::untrusted_events(&config, &codex_key(&path), &settings, "codex");
        if !untrusted.is_empty() {
            notes.push(format!(
                "Codex skips Baton's hooks on {} (not trusted in {}): run `baton hooks install codex` again",
                untrusted.join(", "),
                config_path.display()
            ));
        }
        if let HooksScope::Project(dir) = &target.scope {
            if !codex_trust::project_is_trusted(&config, &codex_key(dir)) {
                notes.push(format!(
                    "Codex does not trust {}, so it reads none of its hooks: run `baton hooks install codex --project {}` again",
                    dir.display(),
                    dir.display()
                ));
            }
        }
    }
    Ok((path, events, notes))
}

#[cfg(test)]
mod telemetry_tests;
#[cfg(test)]
mod tests;
