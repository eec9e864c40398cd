//! The PostgreSQL side of [`super::Db`]: one `tokio-postgres` connection, driven by a small
//! runtime thread of its own (so the store stays synchronous, callable from any thread,
//! inside an async runtime or not), with its statements prepared once per connection and
//! typed from the values bound (PostgreSQL types every parameter, a NULL too).
//!
//! A connection that breaks (the server restarted, the network went) is made again on the
//! next call, at most once a second; meanwhile every call fails at once with
//! [`StoreError::Unreachable`], which says since when.
//!
//! Here: the connection, its prepared statements and a statement run now. Beside it:
//! `pipeline` (what is deferred and sent together, transactions begun and ended that way),
//! `held` (what a group's writes hold back until something goes out, a write's mark),
//! `prepared` (a statement's first use unnamed, prepared in the same flight),
//! `connect` (opening, TLS, listening; the runtime thread that drives the connections),
//! `standing` (a refusal in words), `value` (bound values, a request on its way). `pipeline`,
//! `held` and `standing` add methods to [`PgConn`] and import from here; this module imports only
//! from `connect` and `value`, which import nothing from it (no ring of files:
//! `tests/module_rings.rs`).

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use postgres_types::{ToSql, Type};
use tokio_postgres::{Client, Statement};

use super::location::PgTarget;
use super::param::{Held, Kind, Param};
use super::row::Row;
use super::waiting::Waiting;
use crate::error::{Result, StoreError};
use crate::refusal::Refusal;

mod connect;
mod held;
mod pipeline;
mod prepared;
mod standing;
mod value;

pub(crate) use connect::listen;
use connect::open;
use value::{pg_type, Pending, PgValue};

/// The advisory lock every write transaction takes first: the store's writes, from every
/// process on every machine, happen one at a time, as SQLite's writer lock makes them.
pub(crate) const WRITE_LOCK: i64 = 0x6261_746f_6e5f_7772;
/// The advisory lock migrations take (so that several processes migrate once).
pub(crate) const MIGRATE_LOCK: i64 = 0x6261_746f_6e5f_6d67;

/// How long a broken connection waits before it is tried again.
const RETRY_EVERY: Duration = Duration::from_secs(1);
/// Prepared statements kept per connection before the cache starts over.
const STATEMENT_CACHE: usize = 1024;
/// How long where the role stands (for a refusal's words) is kept before it is asked again.
const STANDING_KEPT: Duration = Duration::from_secs(30);

pub(crate) struct PgConn {
    target: PgTarget,
    /// A reading connection: the server refuses its writes (`default_transaction_read_only`).
    read_only: bool,
    /// A connection of a short process (a hook call): each statement is sent unnamed with its
    /// values, one round trip, rather than prepared first (a prepared statement pays off only
    /// when it runs again on the same connection).
    one_shot: bool,
    state: RefCell<State>,
}

/// What waits to go out with the connection's next statement (or its commit), in the same
/// round trip: the requests are pipelined, and the server runs them in order.
#[derive(Debug)]
enum Later {
    /// A statement without parameters: `BEGIN`, savepoints.
    Simple(String),
    /// A write nobody reads the result of ([`PgConn::execute_later`]): its text as PostgreSQL
    /// reads it, and its values.
    Write { sql: String, values: Vec<Held> },
    /// The same, its statement prepared on this connection.
    Prepared {
        statement: Statement,
        values: Vec<Held>,
    },
}

/// A statement to prepare with the next flight (`prepared`).
#[derive(Debug)]
struct ToPrepare {
    /// As the store writes it (the cache's key).
    sql: String,
    kinds: Vec<Kind>,
    /// As PostgreSQL reads it.
    text: String,
}

impl Later {
    /// A deferred write going out as `target` says.
    fn bound(target: Target, values: Vec<Held>) -> Later {
        match target {
            Target::Prepared(statement) => Later::Prepared { statement, values },
            Target::Unnamed(sql) => Later::Write { sql, values },
        }
    }
}

struct State {
    client: Option<Arc<Client>>,
    statements: HashMap<String, Vec<(Vec<Kind>, Statement)>>,
    /// Statements sent unnamed since the last flight, to be prepared with the next.
    to_prepare: Vec<ToPrepare>,
    in_transaction: bool,
    /// What is not sent yet (`BEGIN`, the write lock, savepoints, writes nobody reads the
    /// result of): it goes out with the next statement, in the same round trip.
    deferred: Vec<Later>,
    /// Round trips made so far: a write that fails can be undone by dropping what it deferred
    /// only if none went out since it began ([`PgConn::mark`]).
    trips: u64,
    /// Statements sent so far (see [`PgConn::statements_sent`]).
    sent: u64,
    /// Writes go out at once (see [`PgConn::set_alone`]).
    alone: bool,
    /// What a group's writes deferred, held back until something goes out (`super::rows`).
    waiting: Waiting<Later>,
    /// How many times what was held back went out: a write begun before cannot be undone by
    /// dropping what it deferred.
    outs: u64,
    down_since: Option<DateTime<Utc>>,
    retry_at: Option<Instant>,
    last_error: String,
    /// Where the role stands, when a refusal last asked (see [`PgConn::refusal`]).
    standing: Option<(Instant, Refusal)>,
}

impl State {
    /// Forgets a connection that broke (or was never made), with its prepared statements and
    /// whatever its transaction held; when the store became unreachable.
    fn lose_connection(&mut self) -> DateTime<Utc> {
        self.client = None;
        self.statements.clear();
        self.to_prepare.clear();
        self.in_transaction = false;
        self.deferred.clear();
        self.waiting = Waiting::default();
        *self.down_since.get_or_insert_with(Utc::now)
    }
}

impl PgConn {
    /// Connects, or fails saying why (unreachable, refused credentials, not PostgreSQL, a
    /// certificate that does not check out).
    pub(crate) fn connect(target: &PgTarget) -> Result<PgConn> {
        PgConn::connect_as(target, false, false)
    }

    /// A connection for a short process (see [`PgConn::one_shot`]).
    pub(crate) fn connect_one_shot(target: &PgTarget) -> Result<PgConn> {
        PgConn::connect_as(target, false, true)
    }

    /// A connection whose transactions only read (the store's reader connections).
    pub(crate) fn connect_reader(target: &PgTarget) -> Result<PgConn> {
        PgConn::connect_as(target, true, false)
    }

    fn connect_as(target: &PgTarget, read_only: bool, one_shot: bool) -> Result<PgConn> {
        let client = open(target, read_only).map_err(|why| StoreError::Unreachable {
            store: target.display().to_owned(),
            since: Utc::now(),
            detail: why,
        })?;
        Ok(PgConn {
            target: target.clone(),
            read_only,
            one_shot,
            state: RefCell::new(State {
                client: Some(Arc::new(client)),
                statements: HashMap::new(),
                to_prepare: Vec::new(),
                in_transaction: false,
                deferred: Vec::new(),
                trips: 0,
                sent: 0,
                alone: false,
                waiting: Waiting::default(),
                outs: 0,
                down_since: None,
                retry_at: None,
                last_error: String::new(),
                standing: None,
            }),
        })
    }

    pub(crate) fn in_transaction(&self) -> bool {
        self.state.borrow().in_transaction
    }

    /// The client, connecting again when the last one broke.
    fn client(&self) -> Result<Arc<Client>> {
        let mut state = self.state.borrow_mut();
        if let Some(client) = state.client.as_ref().filter(|c| !c.is_closed()) {
            return Ok(Arc::clone(client));
        }
        let since = state.lose_connection();
        if state.retry_at.is_some_and(|at| Instant::now() < at) {
            return Err(self.unreachable(since, state.last_error.clone()));
        }
        match open(&self.target, self.read_only) {
            Ok(client) => {
                tracing::info!(store = %self.target.display(), "connected to the store again");
                let client = Arc::new(client);
                state.client = Some(Arc::clone(&client));
                state.down_since = None;
                state.retry_at = None;
                Ok(client)
            }
            Err(why) => {
                state.retry_at = Some(Instant::now() + RETRY_EVERY);
                state.last_error.clone_from(&why);
                Err(self.unreachable(since, why))
            }
        }
    }

    fn unreachable(&self, since: DateTime<Utc>, detail: String) -> StoreError {
        StoreError::Unreachable {
            store: self.target.display().to_owned(),
            since,
            detail,
        }
    }

    /// Sorts a failed call: a broken connection is the store being unreachable (and the
    /// transaction, if any, lost); anything else is the statement's error.
    fn failed(&self, client: &Client, err: tokio_postgres::Error) -> StoreError {
        if client.is_closed() || err.is_closed() {
            let mut state = self.state.borrow_mut();
            let since = state.lose_connection();
            state.last_error = err.to_string();
            tracing::warn!(store = %self.target.display(), error = %err, "lost the connection to the store");
            return self.unreachable(since, err.to_string());
        }
        if err.code() == Some(&tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE) {
            let denied = err
                .as_db_error()
                .map_or_else(|| err.to_string(), |db| db.message().to_owned());
            return StoreError::NotAllowed(self.refusal(denied));
        }
        StoreError::Postgres(err)
    }

    /// Runs `sql` with `params` after what was deferred (sent in the same round trip: the
    /// requests are pipelined): bound by name once prepared on this connection, else sent
    /// unnamed with its values (see `prepared`). A lost connection is noted as the store
    /// being away.
    fn run(&self, sql: &str, params: &[&dyn Param], call: Call) -> Result<Answer> {
        // Which statements cost a round trip of their own inside a write (where they hold the
        // store's write lock): `RUST_LOG=baton_store::round_trips=trace`.
        if self.in_transaction() {
            tracing::trace!(target: "baton_store::round_trips", sql);
        }
        let client = self.client()?;
        let values: Vec<PgValue<'_>> = params.iter().map(|p| PgValue(p.value())).collect();
        let kinds: Vec<Kind> = values.iter().map(|v| v.0.kind()).collect();
        let target = self.target(sql, &kinds);
        let typed: Vec<(&(dyn ToSql + Sync), Type)> = values
            .iter()
            .zip(&kinds)
            .map(|(v, k)| (v as &(dyn ToSql + Sync), pg_type(*k)))
            .collect();
        let refs: Vec<&(dyn ToSql + Sync)> = typed.iter().map(|(v, _)| *v).collect();
        let request: Pending<'_, Answer> = match (&target, call) {
            (Target::Prepared(statement), Call::Query) => {
                Box::pin(async { client.query(statement, &refs).await.map(Answer::Rows) })
            }
            (Target::Prepared(statement), Call::Execute) => {
                Box::pin(async { client.execute(statement, &refs).await.map(Answer::Count) })
            }
            (Target::Unnamed(sql), Call::Query) => {
                Box::pin(async { client.query_typed(sql, &typed).await.map(Answer::Rows) })
            }
            (Target::Unnamed(sql), Call::Execute) => {
                Box::pin(async { client.execute_typed(sql, &typed).await.map(Answer::Count) })
            }
        };
        let before = self.take_deferred()?;
        self.state.borrow_mut().sent += 1;
        self.send_with(&client, &before, request)
    }

    fn query(&self, sql: &str, params: &[&dyn Param]) -> Result<Vec<tokio_postgres::Row>> {
        match self.run(sql, params, Call::Query)? {
            Answer::Rows(rows) => Ok(rows),
            Answer::Count(_) => Ok(Vec::new()),
        }
    }

    pub(crate) fn execute(&self, sql: &str, params: &[&dyn Param]) -> Result<usize> {
        let n = match self.run(sql, params, Call::Execute)? {
            Answer::Count(n) => n,
            Answer::Rows(rows) => rows.len() as u64,
        };
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    pub(crate) fn query_opt<T>(
        &self,
        sql: &str,
        params: &[&dyn Param],
        read: impl FnOnce(&Row<'_>) -> Result<T>,
    ) -> Result<Option<T>> {
        let rows = self.query(sql, params)?;
        rows.first()
            .map(|row| read(&Row::Postgres(row)))
            .transpose()
    }

    pub(crate) fn query_map<T>(
        &self,
        sql: &str,
        params: &[&dyn Param],
        mut read: impl FnMut(&Row<'_>) -> Result<T>,
    ) -> Result<Vec<T>> {
        let rows = self.query(sql, params)?;
        rows.iter().map(|row| read(&Row::Postgres(row))).collect()
    }
}

/// How a statement goes out: bound by name, or unnamed with its values (PostgreSQL's text).
enum Target {
    Prepared(Statement),
    Unnamed(String),
}

/// What the caller wants back.
#[derive(Clone, Copy)]
enum Call {
    Query,
    Execute,
}

enum Answer {
    Rows(Vec<tokio_postgres::Row>),
    Count(u64),
}
