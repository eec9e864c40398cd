//! Usage a hook call carries itself: a client that hands its hooks each finished model response
//! (OpenCode's `message.updated`) rather than writing a file Baton can read past an offset. The
//! response is read as a line of its client's records; there is no cursor to move (each
//! response counts once by its key however often it comes).

use baton_core::hooks::{HookCall, HookClient};
use baton_core::usage::{parser_for, read_lines};
use baton_store::coding_usage::{UsageCursor, UsageFeed, UsageRead};

use super::feed::TranscriptFeed;

/// One response's JSON, as the payload carried it.
pub struct PayloadMessage(pub String);

impl UsageFeed for PayloadMessage {
    fn read(&mut self, client: HookClient, _cursor: Option<&UsageCursor>) -> UsageRead {
        let Some(parser) = parser_for(client) else {
            return UsageRead::default();
        };
        let lines = read_lines(parser, self.0.as_bytes(), 0, None, true);
        UsageRead {
            cursor: None,
            records: lines.records,
            windows: lines.windows,
            warnings: lines.warnings,
        }
    }
}

/// Where a hook call's usage is read: the record file its payload names (read at most
/// [`super::HOOK_READ_BYTES`]), or the response it carries.
pub fn usage_feed_of(call: &HookCall) -> Option<Box<dyn UsageFeed>> {
    if let Some(path) = call.transcript_path.as_deref() {
        return Some(Box::new(TranscriptFeed::for_hook(path)));
    }
    let message = call.usage_message.clone()?;
    Some(Box::new(PayloadMessage(message)))
}
