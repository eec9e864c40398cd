//! Claude Code's session transcript (`transcript_path` in every hook payload): JSON Lines, one
//! object per line. An assistant line carries the API response's `message.id`, `model` and
//! `usage` (`input_tokens`, `output_tokens`, `cache_read_input_tokens`,
//! `cache_creation_input_tokens`); one response with several content blocks is written as
//! several lines with the same `message.id` and usage (2.1.328, measured), so one id is the
//! record's key and the store counts it once. The key is the API's request id (`requestId`,
//! the `request-id` header) when the line has one, as Claude Code's telemetry names the same
//! response by it (`request_id` of its `api_request` event): whichever source is read first,
//! the response counts once. A line without one (a gateway that sends no header) is keyed by
//! its `message.id`.

use serde::Deserialize;

use super::types::{mentions_all, parse_time, LineItem, TokenUse, UsageParser, UsageRecord};
use crate::hooks::HookClient;

/// Reads Claude Code's transcripts.
pub struct ClaudeTranscript;

#[derive(Deserialize)]
struct Line<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<&'a str>,
    #[serde(borrow)]
    timestamp: Option<&'a str>,
    #[serde(borrow)]
    message: Option<Message<'a>>,
    #[serde(rename = "requestId", borrow)]
    request_id: Option<&'a str>,
}

#[derive(Deserialize)]
struct Message<'a> {
    #[serde(borrow)]
    id: Option<&'a str>,
    #[serde(borrow)]
    model: Option<&'a str>,
    usage: Option<Usage>,
}

#[derive(Deserialize)]
struct Usage {
    #[serde(default)]
    input_tokens: Option<u64>,
    #[serde(default)]
    output_tokens: Option<u64>,
    #[serde(default)]
    cache_read_input_tokens: Option<u64>,
    #[serde(default)]
    cache_creation_input_tokens: Option<u64>,
}

impl UsageParser for ClaudeTranscript {
    fn client(&self) -> HookClient {
        HookClient::ClaudeCode
    }

    fn wants(&self, line: &[u8]) -> bool {
        mentions_all(line, &[b"\"usage\"", b"\"assistant\""])
    }

    fn parse(&self, line: &[u8], _model: Option<&str>) -> Result<Vec<LineItem>, String> {
        let line: Line<'_> =
            serde_json::from_slice(line).map_err(|err| format!("not a transcript line ({err})"))?;
        if line.kind != Some("assistant") {
            return Ok(Vec::new());
        }
        let Some(message) = line.message else {
            return Ok(Vec::new());
        };
        let (Some(id), Some(usage)) = (message.id, message.usage) else {
            return Ok(Vec::new());
        };
        let tokens = TokenUse {
            input: usage.input_tokens.unwrap_or(0),
            output: usage.output_tokens.unwrap_or(0),
            cache_read: usage.cache_read_input_tokens.unwrap_or(0),
            cache_write: usage.cache_creation_input_tokens.unwrap_or(0),
        };
        // Claude Code's own notes (errors shown as assistant messages) cost nothing.
        if tokens.total() == 0 {
            return Ok(Vec::new());
        }
        Ok(vec![LineItem::Usage(UsageRecord {
            key: line
                .request_id
                .filter(|r| !r.is_empty())
                .unwrap_or(id)
                .to_owned(),
            at: parse_time(line.timestamp),
            model: message
                .model
                .filter(|m| !m.is_empty() && *m != "<synthetic>")
                .map(str::to_owned),
            tokens,
        })])
    }
}
