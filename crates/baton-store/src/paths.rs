//! Where the database file lives.

use std::ffi::OsString;
use std::path::PathBuf;

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
