//! Statements on a connection that lasts (the app's, a watcher's; not a hook's one-shot one):
//! a statement's first use goes out unnamed with its values, one round trip, as on a one-shot
//! connection, and it is prepared in the same flight, after it; from its next use it is bound
//! by name. A prepare never costs a round trip of its own: the served hooks' connections each
//! paid about twenty on their first calls, one per statement, inside the store's write lock.

use postgres_types::Type;
use tokio_postgres::{Client, Statement};

use super::value::pg_type;
use super::{PgConn, Target, ToPrepare, STATEMENT_CACHE};
use crate::db::param::Kind;
use crate::db::translate;

/// Prepares what `to_prepare` holds (sent after the flight's other requests, in its round
/// trip); each one's statement, or why it was not prepared.
pub(super) async fn prepare_all(
    client: &Client,
    to_prepare: &[ToPrepare],
) -> Vec<Result<Statement, tokio_postgres::Error>> {
    let types: Vec<Vec<Type>> = to_prepare
        .iter()
        .map(|p| p.kinds.iter().map(|k| pg_type(*k)).collect())
        .collect();
    futures_util::future::join_all(
        to_prepare
            .iter()
            .zip(&types)
            .map(|(p, types)| client.prepare_typed(&p.text, types)),
    )
    .await
}

impl PgConn {
    /// How `sql` with values of `kinds` goes out: by name when this connection prepared it
    /// before; else unnamed, with the statement noted to be prepared in the same flight.
    pub(super) fn target(&self, sql: &str, kinds: &[Kind]) -> Target {
        let text = || translate::to_postgres(sql);
        if self.one_shot {
            return Target::Unnamed(text());
        }
        let mut state = self.state.borrow_mut();
        if let Some((_, statement)) = state
            .statements
            .get(sql)
            .and_then(|list| list.iter().find(|(k, _)| k == kinds))
        {
            return Target::Prepared(statement.clone());
        }
        let text = text();
        let noted = state
            .to_prepare
            .iter()
            .any(|p| p.sql == sql && p.kinds == kinds);
        if !noted {
            state.to_prepare.push(ToPrepare {
                sql: sql.to_owned(),
                kinds: kinds.to_vec(),
                text: text.clone(),
            });
        }
        Target::Unnamed(text)
    }

    /// What is to be prepared with the next flight (none left noted).
    pub(super) fn take_to_prepare(&self) -> Vec<ToPrepare> {
        std::mem::take(&mut self.state.borrow_mut().to_prepare)
    }

    /// Keeps the statements the flight prepared (one that failed is prepared on its next
    /// use: in a transaction a statement before it failed, and the server refused the rest).
    pub(super) fn keep_prepared(
        &self,
        to_prepare: Vec<ToPrepare>,
        prepared: Vec<Result<Statement, tokio_postgres::Error>>,
    ) {
        let mut state = self.state.borrow_mut();
        for (p, statement) in to_prepare.into_iter().zip(prepared) {
            let Ok(statement) = statement else {
                continue;
            };
            if state.statements.len() >= STATEMENT_CACHE {
                state.statements.clear();
            }
            state
                .statements
                .entry(p.sql)
                .or_default()
                .push((p.kinds, statement));
        }
    }
}
