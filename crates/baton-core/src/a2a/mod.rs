//! Reading agents that speak Google's A2A (Agent2Agent) protocol, 1.0 and the still common 0.3:
//! their agent card ([`card`]) and their tasks ([`task`]), parsed leniently (both state
//! spellings, timestamps with `Z`, an offset or none, unknown fields and 0.3 `kind` fields
//! ignored) into Baton's model ([`observe`]); the requests for each binding and version and
//! their answers ([`wire`]). Pure: the HTTP side lives in the engine.
//!
//! What the official `a2a-sdk` serves on the wire is recorded in `tests/peers/a2a-sdk-notes.md`.

use thiserror::Error;

pub mod ask;
pub mod card;
pub mod clock;
pub mod observe;
pub mod reply;
pub mod task;
pub mod wire;

#[cfg(test)]
mod ask_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod wire_tests;

pub use ask::{read_ask, Ask, AskCall};
pub use card::{parse_card, AgentCard, Binding, Interface, ProtocolVersion, Skill};
pub use clock::{describe_offset, learn_zone_offset};
pub use observe::{is_interrupted, observe, A2aCursor};
pub use reply::{shape_reply, Reply, ReplyPart};
pub use task::{parse_task, parse_task_list, parse_task_state, A2aTask, TaskPage};

/// Why an A2A answer could not be used (shown on the agent's row).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum A2aError {
    #[error("not JSON: {0}")]
    NotJson(String),
    #[error("the agent card {0}")]
    InvalidCard(String),
    #[error(
        "the agent card lists no interface Baton can use (JSON-RPC or HTTP+JSON, A2A 1.0 or 0.3)"
    )]
    NoUsableInterface,
    #[error("a task {0}")]
    InvalidTask(String),
    #[error("unknown task state {0:?}")]
    UnknownState(String),
    /// The agent does not offer this call (`-32004`, `-32601`, or no such route).
    #[error("not supported by the agent: {0}")]
    Unsupported(String),
    #[error("task not found: {0}")]
    TaskNotFound(String),
    #[error("JSON-RPC error {code}: {message}")]
    Rpc { code: i64, message: String },
    #[error("HTTP {status}: {message}")]
    Http { status: u16, message: String },
    #[error("unusable answer: {0}")]
    InvalidAnswer(String),
    #[error("pagination never ends: {0}")]
    EndlessPages(String),
}
