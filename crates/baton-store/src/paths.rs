//! Where the database file lives.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::error::{Result, StoreError};

/// Environment variable naming the directory that holds Baton's database.
pub const DATA_DIR_ENV: &str = "BATON_DATA_DIR";
/// File name of the database inside the data directory.
pub const DB_FILE_NAME: &str = "baton.sqlite3";

/// The database path for a given value of [`DATA_DIR_ENV`]: inside that directory when it is set
/// and not empty, else inside the OS's per-user application data directory.
pub(crate) fn path_from(data_dir_env: Option<OsString>) -> Result<PathBuf> {
    match data_dir_env {
        Some(dir) if !dir.is_empty() => Ok(PathBuf::from(dir).join(DB_FILE_NAME)),
        _ => directories::ProjectDirs::from("dev", "baton", "Baton")
            .map(|dirs| dirs.data_dir().join(DB_FILE_NAME))
            .ok_or_else(|| {
                StoreError::DataDir(format!(
                    "no home directory to put Baton's data in; set {DATA_DIR_ENV}"
                ))
            }),
    }
}

/// Creates the folder of a database (and its parents) readable by its owner only (0700).
pub(crate) fn private_dir(dir: &Path) -> Result<()> {
    let fail = |err: std::io::Error| {
        StoreError::DataDir(format!("cannot create {}: {err}", dir.display()))
    };
    if !dir.exists() {
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(fail)?;
        }
        #[cfg(not(unix))]
        std::fs::create_dir_all(dir).map_err(fail)?;
        return Ok(());
    }
    if !dir.is_dir() {
        return Err(StoreError::DataDir(format!(
            "cannot create {}: it exists and is not a folder",
            dir.display()
        )));
    }
    Ok(())
}

/// Creates an empty database file readable by its owner only (0600) when there is none, so that
/// SQLite (which gives its WAL and shared-memory files the database file's permissions) never
/// makes one that others can read.
pub(crate) fn create_private_file(file: &Path) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(file) {
        Ok(_) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(err) => Err(StoreError::DataDir(format!(
            "cannot create {}: {err}",
            file.display()
        ))),
    }
}

/// What an app or `baton watch` does on start: the database file, its WAL and shared-memory
/// files become readable by their owner only (0600), and their folder (when it holds Baton's
/// data and is not a shared one such as `/tmp`) 0700, saying so in the log when they were open
/// to others (prompts, paths and decisions are in them). Stores made by an older Baton were.
pub(crate) fn tighten_store(file: &Path) -> Result<()> {
    #[cfg(unix)]
    if let Some(dir) = file
        .parent()
        .filter(|d| !d.as_os_str().is_empty() && d.is_dir())
    {
        if dir.join(DB_FILE_NAME).exists() {
            tighten(dir, 0o700, 0o1000)?;
        }
    }
    #[cfg(unix)]
    for suffix in ["", "-wal", "-shm"] {
        let path = PathBuf::from(format!("{}{suffix}", file.display()));
        if path.exists() {
            tighten(&path, 0o600, 0)?;
        }
    }
    #[cfg(not(unix))]
    let _ = file;
    Ok(())
}

/// Takes group and other permissions off `path` unless a bit of `leave_if` is set.
#[cfg(unix)]
fn tighten(path: &Path, mode: u32, leave_if: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path)
        .map_err(|err| StoreError::DataDir(format!("cannot read {}: {err}", path.display())))?;
    let current = meta.permissions().mode() & 0o7777;
    if current & leave_if != 0 || current & 0o077 == 0 {
        return Ok(());
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(|err| {
        StoreError::DataDir(format!("cannot make {} private: {err}", path.display()))
    })?;
    tracing::warn!(
        path = %path.display(),
        was = format!("{current:o}"),
        now = format!("{mode:o}"),
        "Baton's data was readable by other users of this machine; it is now private to you"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_env_value_wins_when_set() {
        let path = path_from(Some(OsString::from("/tmp/baton-x"))).unwrap();
        assert_eq!(path, PathBuf::from("/tmp/baton-x/baton.sqlite3"));
    }

    #[test]
    fn an_empty_or_missing_value_means_the_os_data_dir() {
        let from_empty = path_from(Some(OsString::new()));
        let from_none = path_from(None);
        match (&from_empty, &from_none) {
            (Ok(a), Ok(b)) => {
                assert_eq!(a, b);
                assert_eq!(a.file_name().unwrap(), DB_FILE_NAME);
                assert!(
                    a.parent()
                        .unwrap()
                        .to_string_lossy()
                        .to_lowercase()
                        .contains("baton"),
                    "{a:?} should be in Baton's own data dir"
                );
                assert_ne!(a, &PathBuf::from(DB_FILE_NAME));
            }
            // A machine without a home directory: the error names the way out.
            (Err(a), Err(_)) => {
                assert_eq!(a.code(), "data_dir");
                assert!(a.to_string().contains(DATA_DIR_ENV));
            }
            other => panic!("empty and missing should agree: {other:?}"),
        }
    }
}
