use thiserror::Error;

/// Why an agent's answer could not be read as a `baton/1` status document.
/// Each message is written for a person reading the agent's row in the UI.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ProtocolError {
    #[error("empty response body")]
    EmptyBody,
    #[error("not JSON at line {line} col {column}")]
    NotJson { line: usize, column: usize },
    #[error("truncated JSON at line {line} col {column}")]
    Truncated { line: usize, column: usize },
    #[error("wrong shape: {detail}")]
    WrongShape { detail: String },
    #[error("unsupported protocol \"{found}\" (expected baton/1)")]
    UnsupportedProtocol { found: String },
    #[error("invalid document: {detail}")]
    Invalid { detail: String },
}

/// Why an agent endpoint configuration was rejected.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ConfigError {
    #[error("name must not be empty")]
    EmptyName,
    #[error("name is longer than {max} characters")]
    NameTooLong { max: usize },
    /// A tab, a line break or an escape sequence: it would break every list and terminal it
    /// is printed in.
    #[error("name must not hold control characters (tabs, line breaks, escapes)")]
    NameControlChars,
    #[error("base URL is not a valid URL: {reason}")]
    BadUrl { reason: String },
    #[error("base URL must use http or https, not {scheme}")]
    BadScheme { scheme: String },
    /// `http://user:pass@host`: the password would be stored, shown and exported in plain text.
    #[error("base URL must not hold a user name or password: give the agent a token instead (kept in the OS keyring; in baton.toml, token = {{ env = \"VAR\" }} or {{ keyring = \"service/user\" }})")]
    UserInfoInUrl,
    /// Baton adds its paths after the base URL, so a query or fragment would swallow them.
    #[error("base URL must not have a query (?…) or fragment (#…): Baton adds its paths after it")]
    QueryInUrl,
    #[error("poll interval must be between {min_ms} ms and {max_ms} ms")]
    IntervalOutOfRange { min_ms: u64, max_ms: u64 },
    #[error("timeout must be at least {min_ms} ms")]
    TimeoutTooShort { min_ms: u64 },
    #[error("timeout ({timeout_ms} ms) must be below the poll interval ({interval_ms} ms)")]
    TimeoutNotBelowInterval { timeout_ms: u64, interval_ms: u64 },
    #[error("coding sessions join by themselves through their hooks (`baton hook`); they cannot be added by hand")]
    SessionByHand,
    #[error("agents heard through OpenTelemetry join by themselves when their spans arrive; they cannot be added by hand")]
    OtlpByHand,
}

impl ConfigError {
    /// The form field the error belongs to, so the UI can show it next to that field.
    pub fn field(&self) -> &'static str {
        match self {
            ConfigError::EmptyName
            | ConfigError::NameTooLong { .. }
            | ConfigError::NameControlChars => "name",
            ConfigError::BadUrl { .. }
            | ConfigError::BadScheme { .. }
            | ConfigError::UserInfoInUrl
            | ConfigError::QueryInUrl => "base_url",
            ConfigError::IntervalOutOfRange { .. } => "poll_interval_ms",
            ConfigError::TimeoutTooShort { .. } | ConfigError::TimeoutNotBelowInterval { .. } => {
                "timeout_ms"
            }
            ConfigError::SessionByHand | ConfigError::OtlpByHand => "adapter",
        }
    }
}
