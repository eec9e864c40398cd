//! What every file of the spool shares: its error, its lock, its size limit.

use std::fs::{File, OpenOptions};
use std::io::Write;
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

/// Appends `value` as one JSON line to the file at `path` in `anchor`'s data folder, under the
/// spool's lock, synced; refused when the file would pass [`SPOOL_LIMIT_BYTES`].
pub(super) fn keep_line<T: serde::Serialize>(
    anchor: &Path,
    path: &Path,
    value: &T,
) -> Result<(), SpoolError> {
    let mut line = serde_json::to_vec(value).map_err(|err| io(path)(err.into()))?;
    line.push(b'\n');
    let _lock = SpoolLock::take(anchor)?;
    let size = std::fs::metadata(path).map_or(0, |m| m.len());
    if size + line.len() as u64 > SPOOL_LIMIT_BYTES {
        return Err(SpoolError::Full(path.to_owned()));
    }
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(io(path))?;
    file.write_all(&line).map_err(io(path))?;
    file.sync_data().map_err(io(path))
}
