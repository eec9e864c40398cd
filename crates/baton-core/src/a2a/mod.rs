//! Reading agents that speak Google's A2A (Agent2Agent) protocol, 1.0 and the still common 0.3:
//! their agent card ([`card`]) and their tasks ([`task`]), parsed leniently (both state
//! spellings, timestamps with `Z`, an offset or none, unknown fields and 0.3 `kind` fields
//! ignored) into Baton's model. Pure: the HTTP side lives in the engine.
//!
//! What the official `a2a-sdk` serves on the wire is recorded in `tests/peers/a2a-sdk-notes.md`.

use thiserror::Error;

pub mod card;
pub mod task;

#[cfg(test)]
mod tests;

pub use card::{parse_card, AgentCard, Binding, Interface, ProtocolVersion, Skill};
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
}
