//! What every file of the spool shares: its error, its lock, its size limit.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

/// The lock every writer of the spool takes for a moment.
const LOCK_FILE: &str = "unchecked-calls.lock";
/// The lock a delivery started by a hook holds while it runs: one at a time per data folder.
pub(super) const DELIVERY_LOCK_FILE: &str = "unchecked-calls.delivery.lock";
/// The largest spool kept or delivered: a hook payload is at most a few MiB, and a machine
/// whose store is away for a day makes a few thousand calls.
pub const SPOOL_LIMIT_BYTES: u64 = 64 * 1024 * 1024;

/// Why the spool could not be kept or delivered.
#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    #[error("the spool {path}: {err}")]
    Io {
        path: PathBuf,
        #[source]
        err: std::io::Error,
    },
    #[error("the spool {0} is full ({SPOOL_LIMIT_BYTES} bytes): this call was not kept")]
    Full(PathBuf),
    #[error("the store does not answer yet ({0}); the spool is kept")]
    Store(#[from] baton_store::StoreError),
}

pub(super) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SpoolError + '_ {
    move |err| SpoolError::Io {
        path: path.to_owned(),
        err,
    }
}

/// Holds the spool's lock while it lives.
pub(super) struct SpoolLock(File);

impl SpoolLock {
    pub(super) fn take(anchor: &Path) -> Result<SpoolLock, SpoolError> {
        let (file, path) = lock_file(anchor, LOCK_FILE)?;
        file.lock().map_err(io(&path))?;
        Ok(SpoolLock(file))
    }
}

/// The data folder's lock file `name`, opened (made when missing, and the data folder with
/// it: a store elsewhere, `BATON_STORE`, needs none until something is kept); its path.
pub(super) fn lock_file(anchor: &Path, name: &str) -> Result<(File, PathBuf), SpoolError> {
    let path = anchor.with_file_name(name);
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder).map_err(io(folder))?;
    }
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(io(&path))?;
    Ok((file, path))
}

impl Drop for SpoolLock {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}
