//! Reading one hook payload, whichever client sent it: OpenCode's plugin calls have their own
//! shape (`opencode.rs`); the other clients' follow Claude Code's (`payload.rs`).

use super::opencode::plugin_call;
use super::payload::{claude_shaped_call, payload_object, HookCall, HookClient, HookPayloadError};

/// Reads one payload. `event_hint` is the event the hook was installed for, for clients that
/// do not name the event in the payload (Copilot CLI calls one command per event).
pub fn parse_hook_payload(
    client: HookClient,
    bytes: &[u8],
    event_hint: Option<&str>,
) -> Result<HookCall, HookPayloadError> {
    let object = payload_object(bytes)?;
    match client {
        HookClient::OpenCode => plugin_call(&object),
        _ => claude_shaped_call(client, &object, event_hint),
    }
}
