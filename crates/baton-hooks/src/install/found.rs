//! Which coding agents this machine has, for the app's "Watch coding sessions…" to tick: a
//! client counts as found when its program is on `PATH` (`claude`, `codex`, `copilot`,
//! `gemini`, `opencode`) or its folder is in the user's home (`~/.claude`, `$CODEX_HOME` or
//! `~/.codex`, `$COPILOT_HOME` or `~/.copilot`, `~/.gemini` (in `$GEMINI_CLI_HOME` when set),
//! `$XDG_CONFIG_HOME/opencode` or `~/.config/opencode`).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// Each client Baton installs hooks for, with its program and its home folder: the variable
/// that moves it (and its place in the folder that variable names), and its place under `HOME`.
type Client = (
    &'static str,
    &'static str,
    Option<(&'static str, &'static str)>,
    &'static str,
);

const CLIENTS: [Client; 5] = [
    ("claude-code", "claude", None, ".claude"),
    ("codex", "codex", Some(("CODEX_HOME", "")), ".codex"),
    ("copilot", "copilot", Some(("COPILOT_HOME", "")), ".copilot"),
    (
        "gemini",
        "gemini",
        Some(("GEMINI_CLI_HOME", ".gemini")),
        ".gemini",
    ),
    (
        "opencode",
        "opencode",
        Some(("XDG_CONFIG_HOME", "opencode")),
        ".config/opencode",
    ),
];

/// The clients found with this process's environment, in Baton's order.
pub fn clients_found() -> Vec<&'static str> {
    clients_found_with(|name| std::env::var_os(name))
}

/// The clients found with the environment `var` gives (`PATH`, `HOME`, `CODEX_HOME`,
/// `COPILOT_HOME`, `GEMINI_CLI_HOME`, `XDG_CONFIG_HOME`).
pub fn clients_found_with(var: impl Fn(&str) -> Option<OsString>) -> Vec<&'static str> {
    let set = |name: &str| var(name).filter(|value| !value.is_empty());
    let path: Vec<PathBuf> = set("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    let home = set("HOME").map(PathBuf::from);
    CLIENTS
        .into_iter()
        .filter(|(_, program, moved, folder)| {
            let own_home = moved
                .and_then(|(name, inside)| set(name).map(|dir| PathBuf::from(dir).join(inside)))
                .or_else(|| home.as_ref().map(|h| h.join(folder)));
            path.iter().any(|dir| is_program(&dir.join(program)))
                || own_home.is_some_and(|dir| dir.is_dir())
        })
        .map(|(client, ..)| client)
        .collect()
}

#[cfg(unix)]
fn is_program(file: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(file).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_program(file: &Path) -> bool {
    ["exe", "cmd", "bat"]
        .iter()
        .any(|ext| file.with_extension(ext).is_file())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn found(env: &[(&str, &Path)]) -> Vec<&'static str> {
        let env: HashMap<String, OsString> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.as_os_str().to_owned()))
            .collect();
        clients_found_with(|name| env.get(name).cloned())
    }

    #[cfg(unix)]
    fn program(dir: &Path, name: &str, mode: u32) {
        use std::os::unix::fs::PermissionsExt;
        let file = dir.join(name);
        std::fs::write(&file, b"#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn nothing_is_found_on_a_bare_machine() {
        let home = tempfile::tempdir().unwrap();
        let bin = tempfile::tempdir().unwrap();
        assert!(found(&[("HOME", home.path()), ("PATH", bin.path())]).is_empty());
        assert!(found(&[]).is_empty());
        assert!(found(&[("HOME", Path::new("")), ("PATH", Path::new(""))]).is_empty());
    }

    #[test]
    fn a_client_is_found_by_its_folder_in_the_home() {
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir(home.path().join(".codex")).unwrap();
        // A file of the folder's name is no client.
        std::fs::write(home.path().join(".claude"), b"").unwrap();
        assert_eq!(found(&[("HOME", home.path())]), ["codex"]);
        std::fs::create_dir(home.path().join(".copilot")).unwrap();
        assert_eq!(found(&[("HOME", home.path())]), ["codex", "copilot"]);
        std::fs::create_dir_all(home.path().join(".config/opencode")).unwrap();
        std::fs::create_dir(home.path().join(".gemini")).unwrap();
        assert_eq!(
            found(&[("HOME", home.path())]),
            ["codex", "copilot", "gemini", "opencode"]
        );
    }

    #[test]
    fn a_moved_home_counts_instead_of_the_default_one() {
        let home = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        std::fs::create_dir(home.path().join(".codex")).unwrap();
        let missing = elsewhere.path().join("missing");
        assert!(found(&[("HOME", home.path()), ("CODEX_HOME", &missing)]).is_empty());
        assert_eq!(
            found(&[("HOME", home.path()), ("COPILOT_HOME", elsewhere.path())]),
            ["codex", "copilot"]
        );
        // Gemini CLI's variable stands for the home its folder is in; OpenCode's folder is in
        // the config home.
        std::fs::create_dir(elsewhere.path().join(".gemini")).unwrap();
        std::fs::create_dir(elsewhere.path().join("opencode")).unwrap();
        let moved = [
            ("HOME", home.path()),
            ("GEMINI_CLI_HOME", elsewhere.path()),
            ("XDG_CONFIG_HOME", elsewhere.path()),
        ];
        assert_eq!(found(&moved), ["codex", "gemini", "opencode"]);
    }

    #[cfg(unix)]
    #[test]
    fn a_client_is_found_by_its_program_on_the_path() {
        let home = tempfile::tempdir().unwrap();
        let one = tempfile::tempdir().unwrap();
        let two = tempfile::tempdir().unwrap();
        program(two.path(), "claude", 0o755);
        program(two.path(), "opencode", 0o755);
        // Not executable, or a folder: no program.
        program(one.path(), "copilot", 0o644);
        std::fs::create_dir(one.path().join("codex")).unwrap();
        let path = std::env::join_paths([one.path(), two.path()]).unwrap();
        assert_eq!(
            found(&[("HOME", home.path()), ("PATH", Path::new(&path))]),
            ["claude-code", "opencode"]
        );
    }
}
