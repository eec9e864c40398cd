//! Scripted stand-ins for the model APIs of the coding-agent CLIs, so that the real clients run
//! here offline: Anthropic's Messages API for Claude Code ([`ModelStandIn`]), OpenAI's
//! Responses API for Codex ([`ResponsesStandIn`]), its Chat Completions API for Copilot CLI and
//! OpenCode ([`ChatStandIn`]) and Google's Gemini API for Gemini CLI ([`GeminiStandIn`]). See
//! ../shared/notes/coding-agents-hooks.md.
//!
//! Every conversation asks for one write of a file, then, once the tool's result comes back,
//! ends its turn with a line of text. A conversation is told apart by a marker in its prompt
//! (`[session NAME]`); the stand-in writes `NAME` as the file's content, keeps every tool result
//! it was sent, and can hold a session's last answer until the test lets it go (so that
//! session's turn stays open).

mod chat;
mod conversations;
mod gemini;
mod messages;
mod responses;
mod subagents;

pub use chat::{ChatStandIn, ChatTools, COPILOT_MODEL};
pub use conversations::{tokens_of, Conversations, Seen};
pub use gemini::{GeminiStandIn, GEMINI_MODEL};
pub use messages::{ModelStandIn, CLAUDE_MODEL};
pub use responses::{ResponsesStandIn, WindowClimb, CODEX_MODEL};
pub use subagents::{SubagentStandIn, SUBAGENTS};
