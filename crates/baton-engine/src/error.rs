//! The engine's one error type, for the commands it offers (add, update, remove, poll now…).
//! A failed *poll* is not an error of the engine: it is recorded on the agent's health.

use baton_core::rules::{ManifestError, ResolveError, RuleError};
use baton_core::views::ErrorPayload;
use baton_core::ConfigError;
use baton_store::StoreError;
use thiserror::Error;

use crate::secrets::SecretError;

/// Everything an engine command can fail with. [`EngineError::code`] is the stable code the UI
/// receives in `ErrorPayload.code`; `Display` is a sentence for a person.
#[derive(Debug, Error)]
pub enum EngineError {
    /// The agent's settings were rejected before anything was stored.
    #[error("invalid agent configuration: {0}")]
    InvalidConfig(#[from] ConfigError),
    #[error("no agent with id {0}")]
    AgentNotFound(i64),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// `poll_once` reached the agent but the poll failed; the reason is also on its health.
    #[error("poll failed: {0}")]
    PollFailed(String),
    /// A rule was refused before anything was stored.
    #[error("invalid rule: {0}")]
    InvalidRule(#[from] RuleError),
    /// A declaration was refused before anything was stored.
    #[error("invalid declaration: {0}")]
    InvalidDeclaration(#[from] ManifestError),
    /// A conflict's resolution does not fit the conflict (or the rules moved on).
    #[error("{0}")]
    Resolve(#[from] ResolveError),
    /// A task to follow was given for an agent that does not speak A2A (a `baton/1` agent
    /// lists every task itself).
    #[error("{0} does not speak A2A: Baton follows tasks by id only for A2A agents")]
    NotA2a(String),
    /// A route's test failed: what failed, in words (the server's name, TLS, 401, …).
    #[error("{0}")]
    Route(String),
    /// The engine was shut down.
    #[error("the engine is shut down")]
    ShutDown,
    /// A background task died (a bug); the message says which.
    #[error("internal error: {0}")]
    Internal(String),
}

impl EngineError {
    /// Stable machine-readable code (`invalid_config`, `not_found`, `store`, `secrets`, …).
    /// Store errors keep the store's own code (`duplicate_name`, `corrupt`, …).
    pub fn code(&self) -> &'static str {
        match self {
            EngineError::InvalidConfig(_) => "invalid_config",
            EngineError::AgentNotFound(_) => "not_found",
            EngineError::Store(err) => err.code(),
            EngineError::Secret(err) => err.code(),
            EngineError::PollFailed(_) => "poll_failed",
            EngineError::Route(_) => "route_failed",
            EngineError::InvalidRule(_) => "invalid_rule",
            EngineError::InvalidDeclaration(_) => "invalid_declaration",
            EngineError::Resolve(ResolveError::Stale) => "stale",
            EngineError::Resolve(_) => "invalid_resolution",
            EngineError::NotA2a(_) => "not_a2a",
            EngineError::ShutDown => "shut_down",
            EngineError::Internal(_) => "internal",
        }
    }

    /// The form field the error is about, when there is one.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            EngineError::InvalidConfig(err) => Some(err.field()),
            EngineError::Store(err) => err.field(),
            EngineError::InvalidRule(err) => Some(err.field()),
            EngineError::InvalidDeclaration(err) => Some(err.field()),
            _ => None,
        }
    }

    /// The shape every desktop command returns.
    pub fn to_payload(&self) -> ErrorPayload {
        ErrorPayload {
            code: self.code().to_owned(),
            message: self.to_string(),
            field: self.field().map(str::to_owned),
        }
    }

    pub(crate) fn from_store(err: StoreError) -> EngineError {
        match err {
            StoreError::AgentNotFound(id) => EngineError::AgentNotFound(id),
            other => EngineError::Store(other),
        }
    }
}

impl From<&EngineError> for ErrorPayload {
    fn from(err: &EngineError) -> ErrorPayload {
        err.to_payload()
    }
}

impl From<tokio::task::JoinError> for EngineError {
    fn from(err: tokio::task::JoinError) -> EngineError {
        EngineError::Internal(format!("a background task failed: {err}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_fields_are_stable() {
        let err = EngineError::InvalidConfig(ConfigError::EmptyName);
        assert_eq!(err.code(), "invalid_config");
        assert_eq!(err.field(), Some("name"));
        assert_eq!(
            err.to_payload(),
            ErrorPayload {
                code: "invalid_config".into(),
                message: "invalid agent configuration: name must not be empty".into(),
                field: Some("name".into()),
            }
        );
        assert_eq!(
            EngineError::from_store(StoreError::AgentNotFound(7)).code(),
            "not_found"
        );
        assert_eq!(
            EngineError::from_store(StoreError::DuplicateAgentName("a".into())).field(),
            Some("name")
        );
        assert_eq!(
            EngineError::Store(StoreError::DuplicateAgentName("a".into())).code(),
            "duplicate_name"
        );
        assert_eq!(
            EngineError::PollFailed("HTTP 503".into()).code(),
            "poll_failed"
        );
        assert_eq!(
            EngineError::Secret(SecretError::TimedOut { after_ms: 2_000 }).code(),
            "secrets"
        );
        assert_eq!(EngineError::ShutDown.code(), "shut_down");
    }
}
