//! The spool: hook calls that went ahead unchecked (the store too slow or away), kept in the
//! data folder (`unchecked-calls.jsonl`, one JSON line per call) until the store answers; then
//! delivered ([`deliver_spool`]) by a process of its own (so no client waits for it) that the
//! machine's next checked hook call starts, or a call the store did not answer in time (one at
//! a time: [`DeliveryTurn`]), by `baton hooks deliver`, and by a running `baton watch` or app. The store keeps each call once (by the hook's random id of it), so a spool delivered
//! twice stores nothing twice.
//!
//! Nothing is replayed wrong: a line that cannot be read, is of another spool version, or was
//! meant for another store (the place's address it was kept for), and a spool past
//! [`SPOOL_LIMIT_BYTES`], is not replayed: it is moved beside the spool
//! (`unchecked-calls.refused.jsonl`) with a line saying why.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use baton_store::StorePlace;
use chrono::Utc;

mod files;
mod items;
mod line;

use files::{io, keep_line, lock_file, SpoolLock, DELIVERY_LOCK_FILE};
pub use files::{SpoolError, SPOOL_LIMIT_BYTES};
pub(crate) use items::file_or_hand_on;
pub use items::{items_path, items_wait, Filed, ITEMS_FILE};
pub(crate) use line::SpooledCall;
use line::VERSION;

/// The spool's file, in the data folder.
pub const SPOOL_FILE: &str = "unchecked-calls.jsonl";
/// Where what is not replayed goes, with why.
pub const REFUSED_FILE: &str = "unchecked-calls.refused.jsonl";
/// The spool of the data folder that holds `anchor` (the store's anchor, `baton.sqlite3`).
pub fn spool_path(anchor: &Path) -> PathBuf {
    anchor.with_file_name(SPOOL_FILE)
}

/// Held by the one delivery a hook started for a data folder ([`DeliveryTurn::take`]): a store
/// that answers slowly or not at all has each call that went ahead start one, and one at a
/// time waits for it. Let go when dropped, or when the process ends however it ends.
pub struct DeliveryTurn(File);

impl DeliveryTurn {
    /// The turn to deliver `anchor`'s spool; None while another process has it.
    pub fn take(anchor: &Path) -> Result<Option<DeliveryTurn>, SpoolError> {
        let (file, path) = lock_file(anchor, DELIVERY_LOCK_FILE)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(DeliveryTurn(file))),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(err)) => Err(io(&path)(err)),
        }
    }
}

impl Drop for DeliveryTurn {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

/// The most deliveries one turn makes ([`deliver_in_turn`]).
const DELIVERIES_PER_TURN: usize = 20;

/// Delivers the spool while this process has the delivery turn (None: another process has
/// it). Calls kept while it delivered are its to deliver too (their own deliveries found the
/// turn taken and left them to it): it delivers again while the spool holds some and the
/// store took everything so far.
pub fn deliver_in_turn(anchor: &Path) -> Result<Option<Delivered>, SpoolError> {
    let Some(_turn) = DeliveryTurn::take(anchor)? else {
        return Ok(None);
    };
    let mut all = Delivered::default();
    for _ in 0..DELIVERIES_PER_TURN {
        let delivered = deliver_spool(anchor)?;
        let stopped = delivered.left > 0 || delivered.stopped.is_some();
        all.stored += delivered.stored;
        all.stored_before += delivered.stored_before;
        all.items += delivered.items;
        all.items_dropped.extend(delivered.items_dropped);
        all.refused.extend(delivered.refused);
        all.left = delivered.left;
        all.stopped = delivered.stopped;
        if stopped || !spool_waits(anchor) {
            break;
        }
    }
    Ok(Some(all))
}

/// Keeps `call` in the spool of `anchor`'s data folder; the spool's path.
pub(crate) fn keep(anchor: &Path, call: &SpooledCall) -> Result<PathBuf, SpoolError> {
    let path = spool_path(anchor);
    keep_line(anchor, &path, call)?;
    Ok(path)
}

/// Whether the spool of `anchor`'s data folder holds anything: calls, or a call's items.
pub fn spool_waits(anchor: &Path) -> bool {
    calls_wait(anchor) || items_wait(anchor)
}

/// Whether the spool holds calls.
fn calls_wait(anchor: &Path) -> bool {
    std::fs::metadata(spool_path(anchor)).is_ok_and(|m| m.len() > 0)
}

/// What a delivery did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delivered {
    /// Calls the store recorded now.
    pub stored: usize,
    /// Calls it had recorded before (a spool delivered twice).
    pub stored_before: usize,
    /// Calls whose queue items a hook process handed on, filed now.
    pub items: usize,
    /// Lines of those items that could not be read (dropped), with why.
    pub items_dropped: Vec<String>,
    /// What was not replayed, one line each (moved to [`REFUSED_FILE`]).
    pub refused: Vec<String>,
    /// Calls kept for the next delivery: the store stopped answering on the way (why).
    pub left: usize,
    pub stopped: Option<String>,
}

impl Delivered {
    /// One line for a person.
    pub fn summary(&self) -> String {
        let mut said = match (self.stored, self.stored_before) {
            (0, 0) => "no unchecked call to deliver".to_owned(),
            (n, 0) => format!("{n} unchecked call(s) recorded"),
            (n, before) => format!("{n} unchecked call(s) recorded, {before} recorded before"),
        };
        if self.items > 0 {
            said.push_str(&format!(
                "; the queue items of {} call(s) filed",
                self.items
            ));
        }
        if !self.items_dropped.is_empty() {
            said.push_str(&format!("; {}", self.items_dropped.join("; ")));
        }
        if !self.refused.is_empty() {
            said.push_str(&format!(
                "; {} not replayed (see {REFUSED_FILE}): {}",
                self.refused.len(),
                self.refused.join("; ")
            ));
        }
        if let Some(why) = &self.stopped {
            said.push_str(&format!(
                "; {} kept for later: the store stopped answering ({why})",
                self.left
            ));
        }
        said
    }
}

/// Delivers the spool of `anchor`'s data folder to its store: each call recorded as it
/// happened, once; what cannot be replayed right is moved aside with why. A store that does
/// not answer leaves the spool as it was.
pub fn deliver_spool(anchor: &Path) -> Result<Delivered, SpoolError> {
    let mut delivered = Delivered::default();
    let path = spool_path(anchor);
    let taken = anchor.with_file_name(format!(
        "unchecked-calls.delivering-{}-{:08x}.jsonl",
        std::process::id(),
        rand::random::<u32>()
    ));
    let place = StorePlace::from_anchor(anchor)?;
    let here = place.location.display();
    let mut store = place.open_for_short_process()?;
    // The spool is taken away under its lock (calls kept meanwhile start a new one), then
    // replayed; a delivery that dies on the way leaves its file, replayed by the next.
    // The items hook processes handed on first: their calls are recorded already.
    let filed = items::file_kept_items(anchor, &mut store)?;
    delivered.items = filed.filed;
    delivered.items_dropped = filed.unreadable;
    {
        let _lock = SpoolLock::take(anchor)?;
        if calls_wait(anchor) {
            std::fs::rename(&path, &taken).map_err(io(&path))?;
        }
    }
    let mut leftovers = Vec::new();
    for file in taken_files(anchor)? {
        let size = std::fs::metadata(&file).map_or(0, |m| m.len());
        if size > SPOOL_LIMIT_BYTES {
            let why = format!(
                "{} is {size} bytes, past the spool's limit of {SPOOL_LIMIT_BYTES}: not replayed",
                file.display()
            );
            refuse(anchor, &why, None, &mut delivered)?;
            std::fs::remove_file(&file).map_err(io(&file))?;
            continue;
        }
        // Another delivery (the app's, a hook's) may have taken this file since it was listed.
        let reader = match File::open(&file) {
            Ok(opened) => BufReader::new(opened),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => continue,
            Err(err) => return Err(io(&file)(err)),
        };
        for (n, line) in reader.split(b'\n').enumerate() {
            let line = line.map_err(io(&file))?;
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let at = format!("{} line {}", file.display(), n + 1);
            let call = match serde_json::from_slice::<SpooledCall>(&line) {
                Ok(call) if call.v != VERSION => Err(format!(
                    "{at} is of spool version {}, this Baton writes {VERSION}: not replayed",
                    call.v
                )),
                Ok(call) if call.store != here => Err(format!(
                    "{at} was kept for the store {}, not this one ({here}): not replayed",
                    call.store
                )),
                Ok(call) => call
                    .to_store()
                    .map_err(|why| format!("{at} cannot be read ({why}): not replayed")),
                Err(err) => Err(format!("{at} is no spooled call ({err}): not replayed")),
            };
            if delivered.stopped.is_some() {
                leftovers.push(line);
                continue;
            }
            let (session, settings, call, late) = match call {
                Ok(found) => found,
                Err(why) => {
                    refuse(anchor, &why, Some(&line), &mut delivered)?;
                    continue;
                }
            };
            match store.record_unchecked_call(&session, &call, settings, late, Utc::now()) {
                Ok(Some(_)) => delivered.stored += 1,
                Ok(None) => delivered.stored_before += 1,
                // The store went away again: this call and the rest wait for the next delivery.
                Err(err) => {
                    delivered.stopped.get_or_insert_with(|| err.to_string());
                    leftovers.push(line);
                }
            }
        }
        match std::fs::remove_file(&file) {
            Err(err) if err.kind() != std::io::ErrorKind::NotFound => return Err(io(&file)(err)),
            _ => {}
        }
    }
    delivered.left = leftovers.len();
    if !leftovers.is_empty() {
        let _lock = SpoolLock::take(anchor)?;
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(io(&path))?;
        for line in leftovers {
            file.write_all(&line).map_err(io(&path))?;
            file.write_all(b"\n").map_err(io(&path))?;
        }
    }
    let _ = store.close_short_process();
    Ok(delivered)
}

/// The spools taken by deliveries, this one's and any that died on the way.
fn taken_files(anchor: &Path) -> Result<Vec<PathBuf>, SpoolError> {
    let dir = anchor.parent().unwrap_or_else(|| Path::new("."));
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io(dir))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| {
                    name.starts_with("unchecked-calls.delivering-") && name.ends_with(".jsonl")
                })
        })
        .collect();
    found.sort();
    Ok(found)
}

/// Moves a line (or says why a whole file went) to the refused file.
fn refuse(
    anchor: &Path,
    why: &str,
    line: Option<&[u8]>,
    delivered: &mut Delivered,
) -> Result<(), SpoolError> {
    let path = anchor.with_file_name(REFUSED_FILE);
    let kept = serde_json::json!({
        "refused_at": Utc::now(),
        "why": why,
        "line": line.map(|l| String::from_utf8_lossy(&l[..l.len().min(1024 * 1024)]).into_owned()),
    });
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(io(&path))?;
    writeln!(file, "{kept}").map_err(io(&path))?;
    delivered.refused.push(why.to_owned());
    Ok(())
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
