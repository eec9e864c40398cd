//! Codex's files: its folder (`$CODEX_HOME`), its config.toml (read and written with its
//! comments kept), and writing Baton's hooks file together with the trust records Codex needs
//! to run it ([`super::codex_trust`]).

use std::path::{Path, PathBuf};

use serde_json::Value;
use toml_edit::DocumentMut;

use super::{codex_trust, home, json_text, write_with_backup, HooksScope, HooksTarget};
use crate::HooksError;

/// The main checkout of the repository whose linked worktree is `dir` (None for a main
/// checkout, a folder outside git, or a bare repository's worktree). Codex 0.169 resolves a
/// worktree's project to its main checkout and reads that checkout's `.codex/hooks.json` for
/// sessions in the worktree (measured: hooks installed in the worktree alone never ran).
pub(super) fn main_checkout(dir: &Path) -> Option<PathBuf> {
    let own = crate::place::checkout(dir)?.root;
    let main = crate::place::main_checkout(dir)?;
    let real = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_owned());
    (real(&main) != real(&own)).then_some(main)
}

/// Codex's own folder: `$CODEX_HOME`, else `~/.codex`.
pub(super) fn codex_home() -> Result<PathBuf, HooksError> {
    match std::env::var_os("CODEX_HOME").filter(|dir| !dir.is_empty()) {
        Some(dir) => Ok(PathBuf::from(dir)),
        None => Ok(home()?.join(".codex")),
    }
}

/// Codex's config.toml, and its text as read ("" when there is none).
pub(super) fn read_codex_config() -> Result<(PathBuf, DocumentMut, String), HooksError> {
    let path = codex_home()?.join("config.toml");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(err) => return Err(err.into()),
    };
    let config = text.parse::<DocumentMut>().map_err(|err| {
        HooksError::Settings(format!(
            "{} is not valid TOML ({}); nothing was changed",
            path.display(),
            err.message()
        ))
    })?;
    Ok((path, config, text))
}

/// How Codex names a file or folder in its config: the real path (links resolved).
pub(super) fn codex_key(path: &Path) -> String {
    std::fs::canonicalize(path)
        .unwrap_or_else(|_| path.to_owned())
        .to_string_lossy()
        .into_owned()
}

/// Writes Codex's hooks file and brings config.toml's trust records up to date with it.
pub(super) fn write_codex(
    target: &HooksTarget,
    file: &Path,
    after: &Value,
    installing: bool,
) -> Result<Vec<String>, HooksError> {
    let (config_path, mut config, config_before) = read_codex_config()?;
    let hooks_text = json_text(after)?;
    if std::fs::read_to_string(file).ok().as_deref() != Some(hooks_text.as_str()) {
        write_with_backup(file, &hooks_text)?;
    }
    let problem = |err: String| HooksError::Settings(format!("{}: {err}", config_path.display()));
    codex_trust::retrust(&mut config, &codex_key(file), after, "codex").map_err(problem)?;
    let mut notes = Vec::new();
    if let (true, HooksScope::Project(dir)) = (installing, &target.scope) {
        if codex_trust::trust_project(&mut config, &codex_key(dir)).map_err(problem)? {
            notes.push(format!(
                "marked {} trusted in {} (Codex reads a project's hooks only when it trusts the project)",
                dir.display(),
                config_path.display()
            ));
        }
    }
    let config_after = config.to_string();
    if config_after != config_before {
        write_with_backup(&config_path, &config_after)?;
        notes.push(format!(
            "trust records of Baton's hooks updated in {}",
            config_path.display()
        ));
    }
    Ok(notes)
}
