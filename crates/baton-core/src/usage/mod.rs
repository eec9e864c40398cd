//! Coding agents' token usage, from what the clients themselves record: Gemini CLI's session
//! file ([`GeminiTranscript`]) and OpenCode's messages ([`OpenCodeMessages`]).
//!
//! Pure: a client's [`UsageParser`] reads one line; [`read_lines`] reads a chunk of a file
//! (what was appended since the last read), line by line, skipping what it cannot read with a
//! warning and leaving a line not yet finished for the next read.
//!
//! The interface here (`TokenUse`, `UsageRecord`, `WindowReading`, `LineItem`, `UsageParser`,
//! `read_lines`) is the one the `usage` branch brings for Claude Code's transcripts and Codex's
//! rollout files (issue 34 part 1), kept to the letter so that the two parsers of this module
//! plug into it: at the merge this file gives way to that branch's, which gains `mod gemini;
//! mod opencode;`, their `pub use` and two arms in [`parser_for`].

mod gemini;
mod opencode;
#[cfg(test)]
mod test_samples;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::hooks::HookClient;

pub use gemini::GeminiTranscript;
pub use opencode::OpenCodeMessages;

/// The longest line read; a longer one (a huge tool input written whole) is skipped with a
/// warning.
pub const MAX_LINE_BYTES: usize = 8 * 1024 * 1024;

/// Tokens of some model calls, split as the providers bill them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TokenUse {
    /// Input tokens neither read from nor written to the prompt cache.
    pub input: u64,
    pub output: u64,
    /// Input tokens read from the prompt cache.
    pub cache_read: u64,
    /// Input tokens written to the prompt cache.
    pub cache_write: u64,
}

impl TokenUse {
    pub fn total(&self) -> u64 {
        self.input
            .saturating_add(self.output)
            .saturating_add(self.cache_read)
            .saturating_add(self.cache_write)
    }

    pub fn add(&mut self, other: TokenUse) {
        self.input = self.input.saturating_add(other.input);
        self.output = self.output.saturating_add(other.output);
        self.cache_read = self.cache_read.saturating_add(other.cache_read);
        self.cache_write = self.cache_write.saturating_add(other.cache_write);
    }

    /// Each count the larger of the two: one response written over several lines (or read
    /// twice) counts once, with its most complete figures.
    pub fn max(self, other: TokenUse) -> TokenUse {
        TokenUse {
            input: self.input.max(other.input),
            output: self.output.max(other.output),
            cache_read: self.cache_read.max(other.cache_read),
            cache_write: self.cache_write.max(other.cache_write),
        }
    }
}

/// One model response's usage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageRecord {
    /// What tells this response apart in its session (Gemini CLI's and OpenCode's message id:
    /// a message is written again as it grows).
    pub key: String,
    pub at: Option<DateTime<Utc>>,
    pub model: Option<String>,
    pub tokens: TokenUse,
}

/// One limit window as a client last reported it (neither Gemini CLI nor OpenCode records one).
#[derive(Debug, Clone, PartialEq)]
pub struct WindowReading {
    pub window: String,
    /// 0–100.
    pub used_percent: f64,
    pub window_minutes: Option<u32>,
    pub resets_at: Option<DateTime<Utc>>,
    /// When the client recorded it (None: not said; the reader's time is taken).
    pub at: Option<DateTime<Utc>>,
}

/// What one line says.
#[derive(Debug, Clone, PartialEq)]
pub enum LineItem {
    Usage(UsageRecord),
    Window(WindowReading),
    /// The model the next responses come from.
    Model(String),
}

/// One client's records, read line by line.
pub trait UsageParser: Sync {
    /// The client whose records these are.
    fn client(&self) -> HookClient;
    /// A cheap look at the raw line: may it carry anything? Lines that cannot are not parsed.
    fn wants(&self, line: &[u8]) -> bool;
    /// What the line says; `model` is the last model named before it. An error is a sentence.
    fn parse(&self, line: &[u8], model: Option<&str>) -> Result<Vec<LineItem>, String>;
}

/// The parser of `client`'s records, when Baton reads them.
pub fn parser_for(client: HookClient) -> Option<&'static dyn UsageParser> {
    match client {
        HookClient::Gemini => Some(&GeminiTranscript),
        HookClient::OpenCode => Some(&OpenCodeMessages),
        HookClient::ClaudeCode | HookClient::Codex | HookClient::Copilot => None,
    }
}

/// What a chunk of a file said.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LinesRead {
    pub records: Vec<UsageRecord>,
    pub windows: Vec<WindowReading>,
    /// Lines skipped, one sentence each (with the line's byte offset in the file).
    pub warnings: Vec<String>,
    /// Bytes of the chunk read through the last whole line (the rest waits for its newline).
    pub consumed: usize,
    /// The last model named (carried to the next chunk).
    pub model: Option<String>,
}

/// Reads the whole lines of `chunk`, which starts at byte `offset` of its file; `model` is the
/// last model named before it. A line that is not JSON, or longer than [`MAX_LINE_BYTES`], is
/// skipped with a warning; a line without its newline yet is left (not consumed) unless
/// `at_end` says the file ends there and the line reads whole.
pub fn read_lines(
    parser: &dyn UsageParser,
    chunk: &[u8],
    offset: u64,
    model: Option<String>,
    at_end: bool,
) -> LinesRead {
    let mut out = LinesRead {
        model,
        ..LinesRead::default()
    };
    let mut start = 0;
    while start < chunk.len() {
        let Some(at) = memchr::memchr(b'\n', &chunk[start..]) else {
            let line = &chunk[start..];
            if at_end && parser.wants(line) {
                if let Ok(items) = parser.parse(line, out.model.as_deref()) {
                    take(&mut out, items);
                    out.consumed = chunk.len();
                }
            }
            break;
        };
        let (line, next) = (&chunk[start..start + at], start + at + 1);
        let line_offset = offset + start as u64;
        if line.len() > MAX_LINE_BYTES {
            out.warnings.push(format!(
                "the line at byte {line_offset} is longer than {MAX_LINE_BYTES} bytes: skipped"
            ));
        } else if parser.wants(line) {
            match parser.parse(line, out.model.as_deref()) {
                Ok(items) => take(&mut out, items),
                Err(why) => out
                    .warnings
                    .push(format!("the line at byte {line_offset} is skipped: {why}")),
            }
        }
        start = next;
        out.consumed = next;
    }
    out
}

fn take(out: &mut LinesRead, items: Vec<LineItem>) {
    for item in items {
        match item {
            LineItem::Usage(record) => out.records.push(record),
            LineItem::Window(window) => out.windows.push(window),
            LineItem::Model(model) => out.model = Some(model),
        }
    }
}

/// A time the clients write (RFC 3339).
fn parse_time(text: Option<&str>) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text?)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Milliseconds since the epoch as a time (None for nonsense: before 2000 or after 2200).
fn epoch_millis(millis: f64) -> Option<DateTime<Utc>> {
    if !(946_684_800_000.0..7_258_118_400_000.0).contains(&millis) {
        return None;
    }
    DateTime::from_timestamp_millis(millis as i64)
}
