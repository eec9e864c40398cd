//! The one error type commands return. It serialises as `{code, message, field}`
//! (`baton_core::views::ErrorPayload`), which `ui/src/lib/backend.ts` turns into a `BackendError`.

use baton_core::views::ErrorPayload;
use baton_engine::EngineError;
use baton_store::StoreError;
use serde::{Serialize, Serializer};

#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the demo fleet could not start: {0}")]
    Demo(String),
    /// What the person asked for cannot be done as asked; the message says what to do.
    #[error("{message}")]
    Invalid {
        message: String,
        field: Option<&'static str>,
    },
    #[error("internal error: {0}")]
    Internal(String),
    /// No command has this name.
    #[error("no command is called {0:?}")]
    UnknownCommand(String),
    /// The arguments are not what the command takes (a missing key, a wrong type).
    #[error("the arguments of {command} are not right: {message}")]
    InvalidArgs { command: String, message: String },
}

impl CommandError {
    pub fn payload(&self) -> ErrorPayload {
        let (code, field) = match self {
            CommandError::Engine(err) => (err.code(), err.field()),
            CommandError::Store(err) => (err.code(), err.field()),
            CommandError::Demo(_) => ("demo", None),
            CommandError::Invalid { field, .. } => ("invalid", *field),
            CommandError::Internal(_) => ("internal", None),
            CommandError::UnknownCommand(_) => ("unknown_command", None),
            CommandError::InvalidArgs { .. } => ("invalid_args", None),
        };
        ErrorPayload {
            code: code.to_owned(),
            message: self.to_string(),
            field: field.map(str::to_owned),
        }
    }
}

impl CommandError {
    /// Whether the fault is Baton's (the store, an internal error) rather than the request's:
    /// an HTTP server answers 500 for these, 4xx for the rest.
    pub fn is_internal(&self) -> bool {
        matches!(
            self.payload().code.as_str(),
            "internal"
                | "store"
                | "io"
                | "demo"
                | "data_dir"
                | "corrupt"
                | "schema_too_new"
                | "shut_down"
        )
    }
}

impl Serialize for CommandError {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.payload().serialize(serializer)
    }
}

impl From<tokio::task::JoinError> for CommandError {
    fn from(err: tokio::task::JoinError) -> Self {
        CommandError::Internal(err.to_string())
    }
}

pub type CommandResult<T> = Result<T, CommandError>;
