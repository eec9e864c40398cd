//! The shapes every client's parser reads into: tokens, a response's usage, a window's
//! reading, and the parser itself.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::hooks::HookClient;

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
    /// What tells this response apart in its session: Claude Code's `message.id` (one response
    /// may be written over several lines), Codex's running total.
    pub key: String,
    pub at: Option<DateTime<Utc>>,
    pub model: Option<String>,
    pub tokens: TokenUse,
}

/// One limit window as a client last reported it.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowReading {
    /// The client's name for it: `five_hour`, `seven_day` (Claude Code), `primary`,
    /// `secondary` (Codex).
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
    /// The model the next responses come from (Codex names it once per turn, not per response).
    Model(String),
}

/// One client's records, read line by line.
pub trait UsageParser: Sync {
    /// The client whose records these are.
    fn client(&self) -> HookClient;
    /// A cheap look at the raw line: may it carry anything? Lines that cannot are not parsed
    /// (most of a transcript: prompts, tool results, requests).
    fn wants(&self, line: &[u8]) -> bool;
    /// What the line says; `model` is the last model named before it. An error is a sentence.
    fn parse(&self, line: &[u8], model: Option<&str>) -> Result<Vec<LineItem>, String>;
}

/// A time the clients write (RFC 3339).
pub(super) fn parse_time(text: Option<&str>) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text?)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Seconds since the epoch as a time (None for nonsense: before 2000 or after 2200).
pub(super) fn epoch_seconds(seconds: f64) -> Option<DateTime<Utc>> {
    if !(946_684_800.0..7_258_118_400.0).contains(&seconds) {
        return None;
    }
    DateTime::from_timestamp(seconds as i64, 0)
}

/// Milliseconds since the epoch as a time (None for nonsense: before 2000 or after 2200).
pub(super) fn epoch_millis(millis: f64) -> Option<DateTime<Utc>> {
    if !(946_684_800_000.0..7_258_118_400_000.0).contains(&millis) {
        return None;
    }
    DateTime::from_timestamp_millis(millis as i64)
}

/// Whether `line` holds every one of `needles`: a parser's cheap look before it parses.
pub(super) fn mentions_all(line: &[u8], needles: &[&[u8]]) -> bool {
    needles
        .iter()
        .all(|needle| memchr::memmem::find(line, needle).is_some())
}
