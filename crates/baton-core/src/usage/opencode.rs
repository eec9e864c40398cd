//! OpenCode's messages (1.18.33, measured). OpenCode keeps them in its SQLite database
//! (`$XDG_DATA_HOME/opencode/opencode.db`, `~/.local/share/opencode/opencode.db`: table
//! `message`, columns `id`, `session_id`, `time_created`, `time_updated` and `data`, the
//! message as JSON), written again as a message grows, and hands the same object to plugins
//! as the `message.updated` event's `properties.info` (with `id` and `sessionID` in it). An
//! assistant message is one model response: `modelID`, `providerID`, `time.created` (epoch
//! milliseconds), `cost` (US dollars, by OpenCode's own price list) and `tokens`: `input` (not
//! read from the cache), `output` (thinking not included), `reasoning`, `cache.read`,
//! `cache.write`.
//!
//! One line is one message: a row of the table as `{"id", "session_id", "time_updated", "data":
//! {…}}` (`data` as an object or as the column's JSON text), or the event's `info`. As billed:
//! input = `input`; output = `output` + `reasoning`; cache read and write as said. The
//! message's id is the record's key: a message read again counts once, with its largest figures.

use serde::Deserialize;
use serde_json::value::RawValue;

use super::types::{epoch_millis, mentions_all, LineItem, TokenUse, UsageParser, UsageRecord};
use crate::hooks::HookClient;

/// Reads OpenCode's messages.
pub struct OpenCodeMessages;

/// A row of the `message` table, or the message itself (read again as a [`Message`]).
#[derive(Deserialize)]
struct Line<'a> {
    id: Option<String>,
    #[serde(borrow)]
    data: Option<&'a RawValue>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Message {
    role: Option<String>,
    #[serde(rename = "modelID")]
    model_id: Option<String>,
    time: Option<Times>,
    tokens: Option<Tokens>,
}

#[derive(Deserialize, Default)]
struct Times {
    created: Option<f64>,
}

#[derive(Deserialize, Default)]
struct Tokens {
    #[serde(default)]
    input: u64,
    #[serde(default)]
    output: u64,
    #[serde(default)]
    reasoning: u64,
    #[serde(default)]
    cache: Cache,
}

#[derive(Deserialize, Default)]
struct Cache {
    #[serde(default)]
    read: u64,
    #[serde(default)]
    write: u64,
}

impl UsageParser for OpenCodeMessages {
    fn client(&self) -> HookClient {
        HookClient::OpenCode
    }

    fn wants(&self, line: &[u8]) -> bool {
        mentions_all(line, &[b"tokens", b"assistant"])
    }

    fn parse(&self, line: &[u8], _model: Option<&str>) -> Result<Vec<LineItem>, String> {
        let not_one = |err: serde_json::Error| format!("not an OpenCode message ({err})");
        let row: Line<'_> = serde_json::from_slice(line).map_err(not_one)?;
        // A row's `data`: the message as an object, or as the column's JSON text.
        let message: Message = match row.data {
            None => serde_json::from_slice(line).map_err(not_one)?,
            Some(raw) => match serde_json::from_str::<String>(raw.get()) {
                Ok(text) => serde_json::from_str(&text).map_err(not_one)?,
                Err(_) => serde_json::from_str(raw.get()).map_err(not_one)?,
            },
        };
        let (Some(id), Some("assistant"), Some(tokens)) =
            (row.id, message.role.as_deref(), message.tokens)
        else {
            return Ok(Vec::new());
        };
        let tokens = TokenUse {
            input: tokens.input,
            output: tokens.output.saturating_add(tokens.reasoning),
            cache_read: tokens.cache.read,
            cache_write: tokens.cache.write,
        };
        if tokens.total() == 0 {
            return Ok(Vec::new());
        }
        Ok(vec![LineItem::Usage(UsageRecord {
            key: id,
            at: message.time.and_then(|t| t.created).and_then(epoch_millis),
            model: message.model_id.filter(|m| !m.is_empty()),
            tokens,
        })])
    }
}

#[cfg(test)]
#[path = "opencode_tests.rs"]
mod tests;
