//! Queue items a hook process handed on: on a store far away a refusal's item (its finding,
//! group and escalation) costs a dozen round trips after the call's own commit, and the
//! client waits for the hook's exit. So the hook keeps the items of the call it recorded in
//! the data folder (`items-to-file.jsonl`, one JSON line per call) and exits; the spool's
//! delivery files them (the process the hook starts, or the machine's running Baton), then
//! empties the file. Kept under the spool's lock, like the calls.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use baton_store::sessions::ItemsToFile;
use baton_store::{Dialect, Store};

use super::files::{io, keep_line, SpoolError, SpoolLock};

/// The file, in the data folder.
pub const ITEMS_FILE: &str = "items-to-file.jsonl";

/// The items file of the data folder that holds `anchor`.
pub fn items_path(anchor: &Path) -> PathBuf {
    anchor.with_file_name(ITEMS_FILE)
}

/// Whether items wait to be filed.
pub fn items_wait(anchor: &Path) -> bool {
    std::fs::metadata(items_path(anchor)).is_ok_and(|m| m.len() > 0)
}

/// Keeps `items` to be filed by the next delivery.
pub(super) fn keep_items(anchor: &Path, items: &ItemsToFile) -> Result<(), SpoolError> {
    keep_line(anchor, &items_path(anchor), items)
}

/// The queue items of a call this process recorded: on a store that may be far away, with a
/// process to deliver them (`hand_on`), kept for it (a refusal's item costs a dozen round trips
/// more, which the client need not wait for: [`keep_items`]); else filed now,
/// as when they cannot be kept.
pub(crate) fn file_or_hand_on(
    db: &Path,
    store: &mut Store,
    items: ItemsToFile,
    hand_on: bool,
) -> baton_store::Result<()> {
    if items.is_empty() {
        return Ok(());
    }
    if hand_on && store.dialect() == Dialect::Postgres {
        match keep_items(db, &items) {
            Ok(()) => return Ok(()),
            Err(err) => eprintln!("baton: {err}; the call's queue items are filed now"),
        }
    }
    items.file(store)
}

/// What filing the kept items did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Filed {
    /// Calls whose items were filed.
    pub filed: usize,
    /// Lines that could not be read (dropped, with why).
    pub unreadable: Vec<String>,
}

/// Files the items kept in `anchor`'s data folder on `store`. The file is taken under the
/// spool's lock, and filed outside it (a far store's round trips do not hold up a hook that
/// keeps something); a line cut short or not an item is dropped and said. At the first the
/// store refuses (the store away again) what is left goes back to the file, for the next
/// delivery.
pub(crate) fn file_kept_items(anchor: &Path, store: &mut Store) -> Result<Filed, SpoolError> {
    let path = items_path(anchor);
    let taken = {
        let _lock = SpoolLock::take(anchor)?;
        match std::fs::read(&path) {
            Ok(bytes) => {
                std::fs::remove_file(&path).map_err(io(&path))?;
                bytes
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(err) => return Err(io(&path)(err)),
        }
    };
    let lines: Vec<&[u8]> = taken
        .split(|b| *b == b'\n')
        .filter(|line| !line.iter().all(u8::is_ascii_whitespace))
        .collect();
    let mut filed = Filed::default();
    for (n, line) in lines.iter().enumerate() {
        let items = match serde_json::from_slice::<ItemsToFile>(line) {
            Ok(items) => items,
            Err(err) => {
                filed.unreadable.push(format!(
                    "{} line {} is no call's items ({err}): dropped",
                    path.display(),
                    n + 1
                ));
                continue;
            }
        };
        if let Err(err) = items.file(store) {
            put_back(anchor, &lines[n..])?;
            return Err(err.into());
        }
        filed.filed += 1;
    }
    Ok(filed)
}

/// Puts `lines` back in the items file (after what was kept meanwhile).
fn put_back(anchor: &Path, lines: &[&[u8]]) -> Result<(), SpoolError> {
    let path = items_path(anchor);
    let _lock = SpoolLock::take(anchor)?;
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(io(&path))?;
    for line in lines {
        file.write_all(line).map_err(io(&path))?;
        file.write_all(b"\n").map_err(io(&path))?;
    }
    file.sync_data().map_err(io(&path))
}
