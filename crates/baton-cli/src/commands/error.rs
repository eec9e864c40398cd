//! The error every subcommand returns, and the exit code it gives.

use baton_engine::EngineError;
use baton_store::StoreError;

use crate::config::ConfigFileError;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Config(#[from] ConfigFileError),
    #[error("{}", store_words(.0))]
    Store(#[from] StoreError),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// A hooks settings file Baton cannot merge into, or a client or scope it cannot install.
    #[error("{0}")]
    Hooks(String),
    /// An argument that names nothing, or cannot be read (an agent, a duration, shares).
    #[error("{0}")]
    Invalid(String),
}

/// A store error as the command line says it: `store: …`, except what is already a sentence
/// for the person (a refusal for want of rights, roles that cannot be given).
fn store_words(err: &StoreError) -> String {
    if err.is_not_allowed() || matches!(err, StoreError::Roles(_)) {
        err.to_string()
    } else {
        format!("store: {err}")
    }
}

impl From<baton_hooks::HooksError> for CliError {
    fn from(err: baton_hooks::HooksError) -> CliError {
        match err {
            baton_hooks::HooksError::Settings(message) => CliError::Hooks(message),
            baton_hooks::HooksError::Io(err) => CliError::Io(err),
        }
    }
}

impl CliError {
    /// 2 for problems in what the user gave us, 1 for everything else.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Config(_) | CliError::Hooks(_) | CliError::Invalid(_) => 2,
            CliError::Store(err) | CliError::Engine(EngineError::Store(err))
                if given_wrong(err) =>
            {
                2
            }
            CliError::Engine(EngineError::NotA2a(_) | EngineError::AgentNotFound(_)) => 2,
            _ => 1,
        }
    }
}

/// A store error that says the command named something that is not there or not allowed (an
/// escalation, an agent, a decision the escalation does not take), rather than a failure.
fn given_wrong(err: &StoreError) -> bool {
    matches!(
        err,
        StoreError::EscalationNotFound(_)
            | StoreError::EscalationClosed { .. }
            | StoreError::EscalationExpired(_)
            | StoreError::InvalidDecision(_)
            | StoreError::AgentNotFound(_)
            | StoreError::AgentNameNotFound(_)
            | StoreError::InvalidTaskId(_)
            | StoreError::Roles(_)
            | StoreError::RouteNotFound(_)
            | StoreError::DuplicateRouteName(_)
            | StoreError::InvalidRoute(_)
    )
}
