//! Gemini CLI's session file (0.61.0, measured; the hook payload's `transcript_path`:
//! `~/.gemini/tmp/<project>/chats/session-<time>-<id>.jsonl`): JSON Lines. The first line is the
//! session's (`sessionId`, `projectHash`, `startTime`, …), `{"$set": …}` lines update it, and
//! every other line is a message, written again whole (the same `id`) each time it changes
//! (its tokens, its tool calls' results). A message of `type: "gemini"` is one model response:
//! its `model`, `timestamp` and `tokens` as the API's `usageMetadata` said them: `input`
//! (`promptTokenCount`, the cached ones included), `output` (`candidatesTokenCount`, thinking
//! not included), `cached` (`cachedContentTokenCount`), `thoughts` (`thoughtsTokenCount`),
//! `tool` (`toolUsePromptTokenCount`), `total`. Gemini CLI may also write the whole file again
//! (a rewound or repaired session): the same ids, counted once.
//!
//! As billed: input = `input` − `cached` + `tool`; output = `output` + `thoughts` (thinking is
//! billed as output); cache read = `cached`. The message's id is the record's key.

use serde::Deserialize;

use super::types::{mentions_all, parse_time, LineItem, TokenUse, UsageParser, UsageRecord};
use crate::hooks::HookClient;

/// Reads Gemini CLI's session files.
pub struct GeminiTranscript;

#[derive(Deserialize)]
struct Line<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<&'a str>,
    id: Option<String>,
    #[serde(borrow)]
    timestamp: Option<&'a str>,
    #[serde(borrow)]
    model: Option<&'a str>,
    tokens: Option<Tokens>,
}

#[derive(Deserialize)]
struct Tokens {
    #[serde(default)]
    input: u64,
    #[serde(default)]
    output: u64,
    #[serde(default)]
    cached: u64,
    #[serde(default)]
    thoughts: u64,
    #[serde(default)]
    tool: u64,
}

impl UsageParser for GeminiTranscript {
    fn client(&self) -> HookClient {
        HookClient::Gemini
    }

    fn wants(&self, line: &[u8]) -> bool {
        mentions_all(line, &[b"\"tokens\"", b"\"gemini\""])
    }

    fn parse(&self, line: &[u8], _model: Option<&str>) -> Result<Vec<LineItem>, String> {
        let line: Line<'_> = serde_json::from_slice(line)
            .map_err(|err| format!("not a Gemini CLI session line ({err})"))?;
        let (Some("gemini"), Some(id), Some(tokens)) = (line.kind, line.id, line.tokens) else {
            return Ok(Vec::new());
        };
        let cached = tokens.cached.min(tokens.input);
        let tokens = TokenUse {
            input: (tokens.input - cached).saturating_add(tokens.tool),
            output: tokens.output.saturating_add(tokens.thoughts),
            cache_read: cached,
            cache_write: 0,
        };
        if tokens.total() == 0 {
            return Ok(Vec::new());
        }
        Ok(vec![LineItem::Usage(UsageRecord {
            key: id,
            at: parse_time(line.timestamp),
            model: line.model.filter(|m| !m.is_empty()).map(str::to_owned),
            tokens,
        })])
    }
}

#[cfg(test)]
#[path = "gemini_tests.rs"]
mod tests;
