//! The one error type of the store.

use thiserror::Error;

/// Everything that can go wrong in the store. [`StoreError::code`] gives the stable code the UI
/// receives in `ErrorPayload.code`; `Display` gives a sentence for a person.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database migration failed: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    /// PostgreSQL refused a statement.
    #[error("database error: {}", postgres_words(.0))]
    Postgres(#[from] tokio_postgres::Error),
    /// PostgreSQL could not prepare a statement of Baton's (a bug of Baton's, or a schema that
    /// is not Baton's): the statement's start is named.
    #[error("database error: {} (in `{statement}`)", postgres_words(.error))]
    Statement {
        statement: String,
        error: tokio_postgres::Error,
    },
    /// The PostgreSQL server does not answer (stopped, restarting, or the network is down).
    #[error("store unreachable since {}: {store}: {detail}", .since.format("%Y-%m-%d %H:%M:%S UTC"))]
    Unreachable {
        store: String,
        since: chrono::DateTime<chrono::Utc>,
        detail: String,
    },
    /// A query that must find a row found none.
    #[error("database error: the query returned no row")]
    NoRow,
    /// A `--store` value Baton cannot use.
    #[error("{0}")]
    InvalidLocation(String),
    #[error("invalid agent configuration: {0}")]
    InvalidConfig(#[from] baton_core::ConfigError),
    #[error("no agent with id {0}")]
    AgentNotFound(i64),
    #[error("an agent named \"{0}\" already exists")]
    DuplicateAgentName(String),
    /// Two agents at one URL would be polled twice, each poll's events stored twice.
    #[error("agent \"{name}\" already has the URL {url}")]
    DuplicateAgentUrl { name: String, url: String },
    #[error("cannot use the data directory: {0}")]
    DataDir(String),
    #[error("the database is damaged or not a Baton database: {0}")]
    Corrupt(String),
    /// The file was written by a newer Baton; it is left untouched.
    #[error("the database was written by a newer Baton (schema version {found}; this build knows up to {supported})")]
    SchemaTooNew { found: i64, supported: i64 },
    /// A status document Baton cannot store as it is (for example a `seq` beyond 2^63 - 1).
    /// Nothing from that document is stored.
    #[error("cannot store the status document: {0}")]
    InvalidDocument(String),
    #[error("no rule with id {0}")]
    RuleNotFound(i64),
    /// A rule without the minimal shape the store needs (the pattern syntax itself is
    /// baton-core's to check, before the store is called).
    #[error("invalid rule: {message}")]
    InvalidRule {
        field: &'static str,
        message: String,
    },
    #[error("no finding with id {0}")]
    FindingNotFound(i64),
    #[error("no agent named \"{0}\"")]
    AgentNameNotFound(String),
    /// A change was prepared against rules that have changed since.
    #[error("{0}")]
    Stale(String),
    #[error("no escalation with id {0}")]
    EscalationNotFound(i64),
    /// The escalation was already resolved or expired; `decided` says by whom, when and how
    /// (" by ana at 14:02 UTC: approve"), empty when nobody decided it.
    #[error("escalation {id} is already {state}{decided}")]
    EscalationClosed {
        id: i64,
        state: &'static str,
        decided: String,
    },
    /// Its SLA lapsed before the decision: it is expired now and takes no action.
    #[error("escalation {0} is past its SLA and has expired; it takes no decision")]
    EscalationExpired(i64),
    /// A decision that cannot be taken as given (a dismissal without reason, …).
    #[error("{0}")]
    InvalidDecision(String),
    /// A handoff schema that does not compile (or a bad handoff type).
    #[error("{0}")]
    InvalidSchema(String),
    #[error("no schema for handoff type \"{0}\"")]
    HandoffSchemaNotFound(String),
    /// A quota or pressure setting out of range.
    #[error("{0}")]
    InvalidRateLimit(String),
    /// A detector window out of range.
    #[error("{message}")]
    InvalidWindows {
        field: &'static str,
        message: String,
    },
    /// A task id Baton cannot follow (empty, or longer than the protocol allows).
    #[error("invalid task id {0:?}")]
    InvalidTaskId(String),
    /// The writer thread could not run a write, or its batch failed as a whole.
    #[error("the database writer failed: {0}")]
    Writer(String),
    /// Writing an export failed.
    #[error("cannot write the export: {0}")]
    Io(#[from] std::io::Error),
    /// A setting out of range (retention, readiness thresholds, a price, a budget).
    #[error("{message}")]
    InvalidSetting {
        field: &'static str,
        message: String,
    },
    /// A watcher's write on a subject whose lease it no longer holds (it lapsed, or another
    /// watcher took it): nothing of the write is stored.
    #[error("not stored: this watcher no longer holds {subject} ({reason})")]
    Fenced { subject: String, reason: String },
    /// The database refused a change for want of rights (a viewer deciding, a role with none).
    #[error("{0}")]
    NotAllowed(crate::refusal::Refusal),
    /// Roles cannot be given as asked (`baton store grant`): a SQLite store, no such role, a
    /// role that cannot create the store's roles.
    #[error("{0}")]
    Roles(String),
    /// A route refused before anything was stored.
    #[error("invalid route: {0}")]
    InvalidRoute(#[from] baton_core::notify::RouteError),
    #[error("a route named \"{0}\" already exists")]
    DuplicateRouteName(String),
    #[error("no route named \"{0}\"")]
    RouteNotFound(String),
    /// A button's answer whose nonce was taken already (replayed): nothing is decided again.
    #[error("this answer was already taken (it is single-use)")]
    AnswerUsed,
    /// The schema is older than this Baton's and the connected role may not change it.
    #[error(
        "this store's schema is at version {found} and this Baton needs {needed}: only the \
         store's owner{} can bring it up to date; ask them to run `baton store migrate` \
         with this version of Baton",
        .owner.as_deref().map(|o| format!(" ({o})")).unwrap_or_default()
    )]
    MigrationNeedsOwner {
        found: i64,
        needed: i64,
        owner: Option<String>,
    },
}

impl StoreError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::Sqlite(_)
            | StoreError::Migration(_)
            | StoreError::Writer(_)
            | StoreError::Postgres(_)
            | StoreError::Statement { .. }
            | StoreError::NoRow => "store",
            StoreError::Unreachable { .. } => "store_unreachable",
            StoreError::InvalidLocation(_) => "invalid_store",
            StoreError::InvalidConfig(_) => "invalid_config",
            StoreError::AgentNotFound(_)
            | StoreError::RuleNotFound(_)
            | StoreError::AgentNameNotFound(_)
            | StoreError::FindingNotFound(_)
            | StoreError::EscalationNotFound(_)
            | StoreError::HandoffSchemaNotFound(_)
            | StoreError::RouteNotFound(_) => "not_found",
            StoreError::InvalidRoute(_) => "invalid_route",
            StoreError::DuplicateRouteName(_) => "duplicate_name",
            StoreError::AnswerUsed => "answer_used",
            StoreError::InvalidSchema(_) => "invalid_schema",
            StoreError::InvalidWindows { .. } => "invalid_windows",
            StoreError::InvalidRateLimit(_) => "invalid_rate_limit",
            StoreError::EscalationClosed { .. } => "escalation_closed",
            StoreError::EscalationExpired(_) => "expired",
            StoreError::InvalidDecision(_) => "invalid_decision",
            StoreError::Stale(_) => "stale",
            StoreError::DuplicateAgentName(_) => "duplicate_name",
            StoreError::DuplicateAgentUrl { .. } => "duplicate_url",
            StoreError::DataDir(_) => "data_dir",
            StoreError::Corrupt(_) => "corrupt",
            StoreError::SchemaTooNew { .. } => "schema_too_new",
            StoreError::InvalidDocument(_) => "invalid_document",
            StoreError::InvalidRule { .. } => "invalid_rule",
            StoreError::InvalidTaskId(_) => "invalid_task_id",
            StoreError::Io(_) => "io",
            StoreError::InvalidSetting { .. } => "invalid_setting",
            StoreError::Fenced { .. } => "fenced",
            StoreError::NotAllowed(_) | StoreError::MigrationNeedsOwner { .. } => "not_allowed",
            StoreError::Roles(_) => "roles",
        }
    }

    /// The form field the error belongs to, when there is one (for `ErrorPayload.field`).
    pub fn field(&self) -> Option<&'static str> {
        match self {
            StoreError::InvalidConfig(err) => Some(err.field()),
            StoreError::DuplicateAgentName(_) | StoreError::DuplicateRouteName(_) => Some("name"),
            StoreError::DuplicateAgentUrl { .. } => Some("base_url"),
            StoreError::InvalidRule { field, .. }
            | StoreError::InvalidWindows { field, .. }
            | StoreError::InvalidSetting { field, .. } => Some(field),
            StoreError::InvalidLocation(_) => Some("store"),
            _ => None,
        }
    }

    /// The shape desktop commands return.
    pub fn to_payload(&self) -> baton_core::views::ErrorPayload {
        baton_core::views::ErrorPayload {
            code: self.code().to_owned(),
            message: self.to_string(),
            field: self.field().map(str::to_owned),
        }
    }

    /// True when the database refused this for want of rights.
    pub fn is_not_allowed(&self) -> bool {
        matches!(
            self,
            StoreError::NotAllowed(_) | StoreError::MigrationNeedsOwner { .. }
        )
    }

    /// True when a write gave up waiting for a lock after the time it was given
    /// ([`crate::Store::write_tx_within`]; PostgreSQL's `lock_timeout`): nothing of it is
    /// stored, and it may be tried again.
    pub fn is_lock_wait_over(&self) -> bool {
        let err = match self {
            StoreError::Postgres(err) | StoreError::Statement { error: err, .. } => err,
            _ => return false,
        };
        err.code() == Some(&tokio_postgres::error::SqlState::LOCK_NOT_AVAILABLE)
    }

    /// True when a statement broke a UNIQUE constraint (on either engine).
    pub(crate) fn is_unique_violation(&self) -> bool {
        match self {
            StoreError::Sqlite(err) => {
                matches!(
                    err.sqlite_error_code(),
                    Some(rusqlite::ErrorCode::ConstraintViolation)
                ) && err.to_string().contains("UNIQUE")
            }
            StoreError::Postgres(err) => {
                err.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION)
            }
            _ => false,
        }
    }

    /// Sorts a raw SQLite error: a file that is not a database, or a damaged one, becomes
    /// [`StoreError::Corrupt`]; anything else stays [`StoreError::Sqlite`].
    pub(crate) fn classify(err: rusqlite::Error, context: &str) -> StoreError {
        if is_corruption(&err) {
            StoreError::Corrupt(format!("{context}: {err}"))
        } else {
            StoreError::Sqlite(err)
        }
    }
}

/// True for SQLite's "not a database" and "database disk image is malformed".
pub(crate) fn is_corruption(err: &rusqlite::Error) -> bool {
    matches!(
        err.sqlite_error_code(),
        Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt)
    )
}

/// A PostgreSQL error with the server's own words (its message, detail and hint), which
/// tokio-postgres's `Display` leaves out.
fn postgres_words(err: &tokio_postgres::Error) -> String {
    match err.as_db_error() {
        Some(db) => {
            let mut text = db.message().to_owned();
            if let Some(detail) = db.detail() {
                text.push_str(&format!(" ({detail})"));
            }
            if let Some(hint) = db.hint() {
                text.push_str(&format!("; {hint}"));
            }
            text
        }
        None => err.to_string(),
    }
}

/// The store's result type.
pub type Result<T> = std::result::Result<T, StoreError>;

#[cfg(test)]
mod tests {
    use super::*;
    use baton_core::ConfigError;

    #[test]
    fn codes_are_stable() {
        let cases: Vec<(StoreError, &str)> = vec![
            (
                StoreError::Sqlite(rusqlite::Error::QueryReturnedNoRows),
                "store",
            ),
            (
                StoreError::InvalidConfig(ConfigError::EmptyName),
                "invalid_config",
            ),
            (StoreError::AgentNotFound(3), "not_found"),
            (StoreError::DuplicateAgentName("a".into()), "duplicate_name"),
            (StoreError::DataDir("x".into()), "data_dir"),
            (StoreError::Corrupt("x".into()), "corrupt"),
            (StoreError::InvalidDocument("x".into()), "invalid_document"),
            (StoreError::RuleNotFound(4), "not_found"),
            (
                StoreError::InvalidRule {
                    field: "owner",
                    message: "x".into(),
                },
                "invalid_rule",
            ),
            (StoreError::Io(std::io::Error::other("x")), "io"),
            (
                StoreError::SchemaTooNew {
                    found: 2,
                    supported: 1,
                },
                "schema_too_new",
            ),
        ];
        for (err, code) in cases {
            assert_eq!(err.code(), code, "{err}");
        }
        let payload = StoreError::InvalidConfig(ConfigError::EmptyName).to_payload();
        assert_eq!(payload.code, "invalid_config");
        assert_eq!(payload.field.as_deref(), Some("name"));
        assert_eq!(
            payload.message,
            "invalid agent configuration: name must not be empty"
        );
        assert_eq!(StoreError::AgentNotFound(1).to_payload().field, None);
        assert_eq!(StoreError::RuleNotFound(9).to_string(), "no rule with id 9");
        let invalid = StoreError::InvalidRule {
            field: "pattern",
            message: "the pattern must not be empty".into(),
        };
        assert_eq!(invalid.to_payload().field.as_deref(), Some("pattern"));
        assert_eq!(
            StoreError::DuplicateAgentName("Researcher".into()).to_string(),
            "an agent named \"Researcher\" already exists"
        );
    }
}
