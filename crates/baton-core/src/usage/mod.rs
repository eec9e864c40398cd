//! Coding agents' token usage and limit windows, from what the clients themselves record: Claude
//! Code's session transcript (JSON Lines, `message.usage` on assistant lines) and the data it
//! hands a status-line command (`rate_limits`, `cost`), Codex's rollout file (`token_count`
//! events with usage and `rate_limits`), Gemini CLI's session file and OpenCode's messages.
//!
//! Pure: a client's [`UsageParser`] reads one line; [`read_lines`] reads a chunk of a file
//! (what was appended since the last read), line by line, skipping what it cannot read with a
//! warning and leaving a line not yet finished for the next read. The reading of files (offsets,
//! rotation, truncation) is `baton-hooks`'; the store keeps the records and the offsets.
//!
//! A fifth client plugs in with one parser: an implementation of [`UsageParser`] and one arm in
//! [`parser_for`].

mod claude;
mod codex;
mod cost;
mod gemini;
mod lines;
mod opencode;
mod status_line;
mod types;
pub mod windows;

#[cfg(test)]
mod test_samples;
#[cfg(test)]
mod tests;

use crate::hooks::HookClient;

pub use claude::ClaudeTranscript;
pub use codex::CodexRollout;
pub use cost::{price_tokens, usage_api, ModelTokens, SessionUsage, UsageCost};
pub use gemini::GeminiTranscript;
pub use lines::{read_lines, LinesRead};
pub use opencode::OpenCodeMessages;
pub use status_line::{parse_status_line, StatusLine};
pub use types::{LineItem, TokenUse, UsageParser, UsageRecord, WindowReading, MAX_LINE_BYTES};
pub use windows::{
    burn_per_minute, parse_window_resource, runs_out_at, window_finding, window_label,
    window_resource, SessionBurn, UsageWindow, WindowSample, WindowSettings, BURN_MINUTES,
};

/// The parser of `client`'s records, when Baton reads them.
pub fn parser_for(client: HookClient) -> Option<&'static dyn UsageParser> {
    match client {
        HookClient::ClaudeCode => Some(&ClaudeTranscript),
        HookClient::Codex => Some(&CodexRollout),
        HookClient::Gemini => Some(&GeminiTranscript),
        HookClient::OpenCode => Some(&OpenCodeMessages),
        HookClient::Copilot => None,
    }
}
