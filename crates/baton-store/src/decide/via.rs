//! A decision that came back on a route (a button's signed answer, issue 60): the log names
//! the route, and the answer's nonce is recorded with the decision so that it is taken once,
//! whichever watcher reads it and however often it is posted again.

use baton_core::escalations::EscalationAction;
use baton_core::notify::RouteKind;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::codec::ts;
use crate::db::{params, Db};
use crate::error::{Result, StoreError};

/// Where a person decided: the log says so (`"in": "app"`), and a route's message of the item
/// is replaced by "Settled: reject by bo in the app".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DecidedIn {
    /// Not said (the store's own callers, tests).
    #[default]
    Unsaid,
    /// The app (its window, or the browser preview).
    App,
    /// `baton decide`.
    Cli,
}

impl DecidedIn {
    /// The log's word for it, if it says one.
    pub fn word(self) -> Option<&'static str> {
        match self {
            DecidedIn::Unsaid => None,
            DecidedIn::App => Some("app"),
            DecidedIn::Cli => Some("cli"),
        }
    }
}

/// The route an answer came back on, and the answer's nonce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerVia {
    pub route_id: i64,
    pub route_name: String,
    pub kind: RouteKind,
    pub nonce: String,
}

impl AnswerVia {
    /// What the log's detail says: `{"kind": "ntfy", "route": "phone"}`.
    pub(crate) fn detail(&self) -> Value {
        json!({ "kind": self.kind.as_str(), "route": self.route_name })
    }

    /// Refuses a nonce taken before.
    pub(crate) fn check_unused(&self, tx: &Db) -> Result<()> {
        let taken: Option<i64> = tx.query_opt(
            "SELECT 1 FROM notify_answers WHERE nonce = ?1",
            params![self.nonce],
            |row| row.get(0),
        )?;
        match taken {
            Some(_) => Err(StoreError::AnswerUsed),
            None => Ok(()),
        }
    }

    /// Records the nonce as taken by decision `seq` (another watcher taking it at the same
    /// moment loses on the key, and its transaction stores nothing).
    pub(crate) fn record(
        &self,
        tx: &Db,
        escalation_id: i64,
        action: &EscalationAction,
        seq: i64,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let inserted = tx.execute(
            "INSERT INTO notify_answers (nonce, route_id, escalation_id, action, decision_seq,
                                         taken_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                self.nonce,
                self.route_id,
                escalation_id,
                action.log_action(),
                seq,
                ts(now)
            ],
        );
        match inserted {
            Ok(_) => Ok(()),
            Err(err) if err.is_unique_violation() => Err(StoreError::AnswerUsed),
            Err(err) => Err(err),
        }
    }
}
