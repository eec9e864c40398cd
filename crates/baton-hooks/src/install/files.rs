//! The clients' settings files as Baton reads and writes them: JSON read whole (an empty
//! file is `{}`, one that is not JSON is refused and left alone), written pretty with a backup
//! of what was there, and folders named as the clients name them.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::HooksError;

pub(crate) fn read_json(path: &Path) -> Result<Option<Value>, HooksError> {
    match std::fs::read_to_string(path) {
        Ok(text) if text.trim().is_empty() => Ok(Some(json!({}))),
        Ok(text) => serde_json::from_str(&text).map(Some).map_err(|err| {
            HooksError::Settings(format!(
                "{} is not valid JSON ({err}); nothing was changed",
                path.display()
            ))
        }),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(err.into()),
    }
}

/// Writes `text` to `path`, keeping a copy of what was there (`<file>.baton-backup`).
pub(crate) fn write_with_backup(path: &Path, text: &str) -> Result<(), HooksError> {
    if path.exists() {
        let mut backup = path.as_os_str().to_owned();
        backup.push(".baton-backup");
        std::fs::copy(path, PathBuf::from(backup))?;
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, text)?;
    Ok(())
}

pub(crate) fn json_text(value: &Value) -> Result<String, HooksError> {
    let mut text = serde_json::to_string_pretty(value).map_err(std::io::Error::other)?;
    text.push('\n');
    Ok(text)
}

/// A JSON file that must hold an object (a client's config, its trusted folders): what it holds,
/// `{}` when there is none.
pub(crate) fn read_object(path: &Path) -> Result<Value, HooksError> {
    let value = read_json(path)?.unwrap_or_else(|| json!({}));
    if !value.is_object() {
        return Err(HooksError::Settings(format!(
            "{} is not a JSON object; nothing was changed",
            path.display()
        )));
    }
    Ok(value)
}

/// A folder as the clients name it in their trust lists: its absolute path, links resolved.
pub(crate) fn real_folder(dir: &Path) -> String {
    std::fs::canonicalize(dir)
        .or_else(|_| std::path::absolute(dir))
        .unwrap_or_else(|_| dir.to_owned())
        .to_string_lossy()
        .into_owned()
}

/// The person's home folder (HOME), where the clients keep their own settings.
pub(crate) fn home() -> Result<PathBuf, HooksError> {
    std::env::var_os("HOME")
        .filter(|home| !home.is_empty())
        .map(PathBuf::from)
        .ok_or_else(|| {
            HooksError::Settings("HOME is not set: cannot find the user's settings".into())
        })
}
