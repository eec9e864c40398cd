//! Reading a session's record file past where the store last read it: bounded (a hook call
//! reads at most [`HOOK_READ_BYTES`], the catch-up reads on), incremental (nothing new costs one
//! `stat`), following a file that was replaced (rotated: read from its start) or cut short
//! (truncated: read again from its start; each response counts once by its key), and skipping a
//! line too long to keep with a warning.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

use baton_core::hooks::HookClient;
use baton_core::usage::{parser_for, read_lines, UsageParser, MAX_LINE_BYTES};
use baton_store::coding_usage::{UsageCursor, UsageFeed, UsageRead};

/// Most a hook call reads of a record file (the client waits for the call; the app and `baton
/// watch` read the rest in the background, and so does `baton usage`).
pub const HOOK_READ_BYTES: u64 = 2 * 1024 * 1024;
/// A chunk of the catch-up's reading.
const CHUNK_BYTES: u64 = 16 * 1024 * 1024;

/// The record file of one session.
pub struct TranscriptFeed {
    path: PathBuf,
    /// Most bytes one read takes (None: to the end).
    limit: Option<u64>,
}

impl TranscriptFeed {
    /// For a hook call: at most [`HOOK_READ_BYTES`].
    pub fn for_hook(path: impl Into<PathBuf>) -> TranscriptFeed {
        TranscriptFeed {
            path: path.into(),
            limit: Some(HOOK_READ_BYTES),
        }
    }

    /// To the end of the file.
    pub fn whole(path: impl Into<PathBuf>) -> TranscriptFeed {
        TranscriptFeed {
            path: path.into(),
            limit: None,
        }
    }
}

impl UsageFeed for TranscriptFeed {
    fn read(&mut self, client: HookClient, cursor: Option<&UsageCursor>) -> UsageRead {
        let Some(parser) = parser_for(client) else {
            return UsageRead::default();
        };
        // Not written yet (a session's first call may come before its first line).
        let Ok(meta) = std::fs::metadata(&self.path) else {
            return UsageRead::default();
        };
        let path = self.path.to_string_lossy().into_owned();
        let file_key = format!("{}:{}", meta.dev(), meta.ino());
        let mut read = UsageRead::default();
        let (start, model) = match cursor {
            Some(c) if c.path == path && c.file_key == file_key => {
                if meta.len() < c.read_to {
                    read.warnings.push(format!(
                        "{path} is shorter than what was read of it (truncated): read from its start"
                    ));
                    (0, None)
                } else {
                    (c.read_to, c.model.clone())
                }
            }
            Some(c) if c.path == path => {
                read.warnings.push(format!(
                    "{path} is another file than the one read (rotated): read from its start"
                ));
                (0, None)
            }
            _ => (0, None),
        };
        let moved = cursor.is_none_or(|c| c.path != path || c.file_key != file_key);
        if meta.len() == start && !moved {
            return read;
        }
        let mut at = start;
        let mut model = model;
        if meta.len() > start {
            match File::open(&self.path) {
                Ok(file) => {
                    let budget = self.limit.unwrap_or(u64::MAX);
                    (at, model) =
                        read_from(parser, file, start, meta.len(), budget, model, &mut read);
                }
                Err(err) => read.warnings.push(format!("cannot read {path}: {err}")),
            }
        }
        read.cursor = Some(UsageCursor {
            path,
            file_key,
            read_to: at,
            model,
        });
        read
    }
}

/// Reads `file` from `start` up to `end` (its length when looked at), at most `budget` bytes
/// (a line longer than the budget is still read whole, up to [`MAX_LINE_BYTES`]); where the
/// reading stopped and the last model named.
fn read_from(
    parser: &dyn UsageParser,
    mut file: File,
    start: u64,
    end: u64,
    budget: u64,
    mut model: Option<String>,
    read: &mut UsageRead,
) -> (u64, Option<String>) {
    let mut at = start;
    let mut buf: Vec<u8> = Vec::new();
    let stop = start.saturating_add(budget).min(end);
    while at < stop {
        let want = (stop - at).min(CHUNK_BYTES);
        // A line that did not fit in the last chunk: take it whole (up to the longest line).
        let want = if buf.is_empty() {
            want
        } else {
            want.max(MAX_LINE_BYTES as u64 + 1)
        };
        buf.clear();
        if file.seek(SeekFrom::Start(at)).is_err()
            || (&mut file).take(want).read_to_end(&mut buf).is_err()
            || buf.is_empty()
        {
            break;
        }
        let lines = read_lines(parser, &buf, at, model.take(), false);
        model = lines.model;
        read.records.extend(lines.records);
        read.windows.extend(lines.windows);
        read.warnings.extend(lines.warnings);
        at += lines.consumed as u64;
        if lines.consumed > 0 {
            buf.clear();
            continue;
        }
        // No whole line in the chunk.
        if buf.len() > MAX_LINE_BYTES {
            match skip_line(&mut file, at + buf.len() as u64) {
                Some(next) => {
                    read.warnings.push(format!(
                        "the line at byte {at} is longer than {MAX_LINE_BYTES} bytes: skipped"
                    ));
                    at = next;
                    buf.clear();
                }
                None => break,
            }
        } else if at + (buf.len() as u64) >= end || at > start {
            // The last line is not finished yet, or this read took its share already: the
            // next read takes the line. (A line longer than a read's share is taken whole
            // when nothing else was read.)
            break;
        }
    }
    (at, model)
}

/// The byte after the next newline at or after `from`; None when the file ends first.
fn skip_line(file: &mut File, from: u64) -> Option<u64> {
    let mut at = from;
    let mut block = vec![0u8; 1024 * 1024];
    file.seek(SeekFrom::Start(from)).ok()?;
    loop {
        let n = file.read(&mut block).ok()?;
        if n == 0 {
            return None;
        }
        if let Some(i) = memchr_newline(&block[..n]) {
            return Some(at + i as u64 + 1);
        }
        at += n as u64;
    }
}

fn memchr_newline(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|b| *b == b'\n')
}
