//! The PostgreSQL side of [`super::Db`]: one `tokio-postgres` connection, driven by a small
//! runtime thread of its own (so the store stays synchronous, callable from any thread,
//! inside an async runtime or not), with its statements prepared once per connection and
//! typed from the values bound (PostgreSQL types every parameter, a NULL too).
//!
//! A connection that breaks (the server restarted, the network went) is made again on the
//! next call, at most once a second; meanwhile every call fails at once with
//! [`StoreError::Unreachable`], which says since when.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use postgres_types::{IsNull, ToSql, Type};
use tokio_postgres::{Client, Statement};

use super::location::{PgTarget, Tls};
use super::param::{Held, Kind, Param, Value};
use super::row::Row;
use super::translate;
use crate::error::{Result, StoreError};
use crate::refusal::{Refusal, Standing, StoreRole};

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

/// The runtime thread that drives every PostgreSQL connection of the process.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("baton-postgres")
            .enable_all()
            .build()
            .expect("the PostgreSQL runtime thread starts")
    })
}

/// Waits for a future on this thread (the connection itself runs on the runtime's thread).
fn wait<T>(future: impl std::future::Future<Output = T>) -> T {
    futures_executor::block_on(future)
}

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

struct State {
    client: Option<Arc<Client>>,
    statements: HashMap<String, Vec<(Vec<Kind>, Statement)>>,
    in_transaction: bool,
    /// What is not sent yet (`BEGIN`, the write lock, savepoints, writes nobody reads the
    /// result of): it goes out with the next statement, in the same round trip.
    deferred: Vec<Later>,
    /// Round trips made so far: a write that fails can be undone by dropping what it deferred
    /// only if none went out since it began ([`PgConn::mark`]).
    trips: u64,
    /// Writes go out at once (see [`PgConn::set_alone`]).
    alone: bool,
    down_since: Option<DateTime<Utc>>,
    retry_at: Option<Instant>,
    last_error: String,
    /// Where the role stands, when a refusal last asked (see [`PgConn::refusal`]).
    standing: Option<(Instant, Refusal)>,
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
                in_transaction: false,
                deferred: Vec::new(),
                trips: 0,
                alone: false,
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
        let since = *state.down_since.get_or_insert_with(Utc::now);
        state.client = None;
        state.statements.clear();
        state.in_transaction = false;
        state.deferred.clear();
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
            let since = *state.down_since.get_or_insert_with(Utc::now);
            state.client = None;
            state.statements.clear();
            state.in_transaction = false;
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

    /// A refusal in words: where the connected role stands on the store, who can decide, who
    /// owns it. Asked on a connection of its own (the refused transaction is aborted), and
    /// kept for [`STANDING_KEPT`] so that a viewer's app refused again and again asks once.
    fn refusal(&self, denied: String) -> Refusal {
        if let Some((at, known)) = &self.state.borrow().standing {
            if at.elapsed() < STANDING_KEPT {
                return Refusal {
                    denied,
                    ..known.clone()
                };
            }
        }
        let role = self
            .target
            .config()
            .get_user()
            .unwrap_or_default()
            .to_owned();
        let unknown = Refusal {
            role,
            denied: denied.clone(),
            standing: Standing::Unknown,
            deciders: Vec::new(),
            owner: None,
        };
        let found = match standing_of(&self.target) {
            Ok(found) => found,
            Err(why) => {
                tracing::debug!(%why, "cannot ask where the role stands");
                return unknown;
            }
        };
        let refusal = Refusal { denied, ..found };
        self.state.borrow_mut().standing = Some((Instant::now(), refusal.clone()));
        refusal
    }

    fn statement(&self, client: &Client, sql: &str, kinds: &[Kind]) -> Result<Statement> {
        if let Some(found) = self
            .state
            .borrow()
            .statements
            .get(sql)
            .and_then(|list| list.iter().find(|(k, _)| k == kinds))
        {
            return Ok(found.1.clone());
        }
        // A statement that fails to prepare fails the transaction: what was deferred must be
        // in force before (a savepoint to roll back to).
        let before = self.take_deferred();
        if !before.is_empty() {
            self.send_with(client, &before, Box::pin(async { Ok(()) }))?;
        }
        let types: Vec<Type> = kinds.iter().map(|k| pg_type(*k)).collect();
        let translated = translate::to_postgres(sql);
        self.state.borrow_mut().trips += 1;
        let statement =
            wait(client.prepare_typed(&translated, &types)).map_err(|err| {
                match self.failed(client, err) {
                    StoreError::Postgres(error) => StoreError::Statement {
                        statement: sql
                            .split_whitespace()
                            .collect::<Vec<_>>()
                            .join(" ")
                            .chars()
                            .take(120)
                            .collect(),
                        error,
                    },
                    other => other,
                }
            })?;
        let mut state = self.state.borrow_mut();
        if state.statements.len() >= STATEMENT_CACHE {
            state.statements.clear();
        }
        state
            .statements
            .entry(sql.to_owned())
            .or_default()
            .push((kinds.to_vec(), statement.clone()));
        Ok(statement)
    }

    /// Runs `sql` with `params` after what was deferred (sent in the same round trip: the
    /// requests are pipelined): prepared once per connection, or on a one-shot connection
    /// sent unnamed with its values. A lost connection is noted as the store being away.
    fn run(&self, sql: &str, params: &[&dyn Param], call: Call) -> Result<Answer> {
        // Which statements cost a round trip of their own inside a write (where they hold the
        // store's write lock): `RUST_LOG=baton_store::round_trips=trace`.
        if self.in_transaction() {
            tracing::trace!(target: "baton_store::round_trips", sql);
        }
        let client = self.client()?;
        let values: Vec<PgValue<'_>> = params.iter().map(|p| PgValue(p.value())).collect();
        let kinds: Vec<Kind> = values.iter().map(|v| v.0.kind()).collect();
        let translated;
        let target = if self.one_shot {
            translated = translate::to_postgres(sql);
            Target::Unnamed(&translated)
        } else {
            Target::Prepared(self.statement(&client, sql, &kinds)?)
        };
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
        let before = self.take_deferred();
        self.send_with(&client, &before, request)
    }

    /// Runs several reads in one round trip (their requests pipelined, after what was
    /// deferred); each one's rows, in order.
    pub(crate) fn query_together(
        &self,
        reads: &[(&str, &[&dyn Param])],
    ) -> Result<Vec<Vec<tokio_postgres::Row>>> {
        let client = self.client()?;
        let values: Vec<Vec<PgValue<'_>>> = reads
            .iter()
            .map(|(_, params)| params.iter().map(|p| PgValue(p.value())).collect())
            .collect();
        let kinds: Vec<Vec<Kind>> = values
            .iter()
            .map(|vs| vs.iter().map(|v| v.0.kind()).collect())
            .collect();
        let texts: Vec<String> = if self.one_shot {
            reads
                .iter()
                .map(|(sql, _)| translate::to_postgres(sql))
                .collect()
        } else {
            Vec::new()
        };
        let mut targets = Vec::with_capacity(reads.len());
        for (i, (sql, _)) in reads.iter().enumerate() {
            targets.push(match texts.get(i) {
                Some(text) => Target::Unnamed(text),
                None => Target::Prepared(self.statement(&client, sql, &kinds[i])?),
            });
        }
        let typed: Vec<Vec<(&(dyn ToSql + Sync), Type)>> = values
            .iter()
            .zip(&kinds)
            .map(|(vs, ks)| {
                vs.iter()
                    .zip(ks)
                    .map(|(v, k)| (v as &(dyn ToSql + Sync), pg_type(*k)))
                    .collect()
            })
            .collect();
        let refs: Vec<Vec<&(dyn ToSql + Sync)>> = typed
            .iter()
            .map(|t| t.iter().map(|(v, _)| *v).collect())
            .collect();
        let requests: Vec<Pending<'_, Vec<tokio_postgres::Row>>> = targets
            .iter()
            .enumerate()
            .map(|(i, target)| -> Pending<'_, Vec<tokio_postgres::Row>> {
                match target {
                    Target::Prepared(statement) => Box::pin(client.query(statement, &refs[i])),
                    Target::Unnamed(sql) => Box::pin(client.query_typed(sql, &typed[i])),
                }
            })
            .collect();
        let all: Pending<'_, Vec<Vec<tokio_postgres::Row>>> = Box::pin(async move {
            futures_util::future::join_all(requests)
                .await
                .into_iter()
                .collect()
        });
        let before = self.take_deferred();
        self.send_with(&client, &before, all)
    }

    /// Sends `before` (in order) and then `last`, pipelined: one round trip for all. The first
    /// error wins (a write that failed aborts the transaction, and what follows fails with it).
    fn send_with<T>(&self, client: &Client, before: &[Later], last: Pending<'_, T>) -> Result<T> {
        self.state.borrow_mut().trips += 1;
        if before.is_empty() {
            return wait(last).map_err(|err| self.failed(client, err));
        }
        let mut sending: Vec<Pending<'_, ()>> = Vec::new();
        let mut simple = String::new();
        for later in before {
            match later {
                Later::Simple(sql) => {
                    if !simple.is_empty() {
                        simple.push_str("; ");
                    }
                    simple.push_str(sql);
                }
                Later::Write { .. } | Later::Prepared { .. } => {
                    if !simple.is_empty() {
                        let batch = std::mem::take(&mut simple);
                        sending.push(Box::pin(async move { client.batch_execute(&batch).await }));
                    }
                    sending.push(Box::pin(async move {
                        match later {
                            Later::Write { sql, values } => {
                                let values: Vec<PgValue<'_>> =
                                    values.iter().map(|v| PgValue(v.value())).collect();
                                let typed: Vec<(&(dyn ToSql + Sync), Type)> = values
                                    .iter()
                                    .map(|v| (v as &(dyn ToSql + Sync), pg_type(v.0.kind())))
                                    .collect();
                                client.execute_typed(sql, &typed).await.map(|_| ())
                            }
                            Later::Prepared { statement, values } => {
                                let values: Vec<PgValue<'_>> =
                                    values.iter().map(|v| PgValue(v.value())).collect();
                                let refs: Vec<&(dyn ToSql + Sync)> =
                                    values.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
                                client.execute(statement, &refs).await.map(|_| ())
                            }
                            Later::Simple(_) => Ok(()),
                        }
                    }));
                }
            }
        }
        if !simple.is_empty() {
            sending.push(Box::pin(async move { client.batch_execute(&simple).await }));
        }
        let (sent, done) = wait(futures_util::future::join(
            futures_util::future::join_all(sending),
            last,
        ));
        let first_error = sent.into_iter().find_map(std::result::Result::err);
        match first_error {
            Some(err) => Err(self.failed(client, err)),
            None => done.map_err(|err| self.failed(client, err)),
        }
    }

    /// What was deferred, in order, and none left.
    fn take_deferred(&self) -> Vec<Later> {
        std::mem::take(&mut self.state.borrow_mut().deferred)
    }

    /// Sends what was deferred now (one round trip), if anything was.
    pub(crate) fn flush(&self) -> Result<()> {
        if self.state.borrow().deferred.is_empty() {
            return Ok(());
        }
        let client = self.client()?;
        let before = self.take_deferred();
        self.send_with(&client, &before, Box::pin(async { Ok(()) }))
    }

    /// Where a write begins: what is deferred so far, and the round trips made.
    pub(crate) fn mark(&self) -> (usize, u64) {
        let state = self.state.borrow();
        (state.deferred.len(), state.trips)
    }

    /// Undoes the write begun at `mark` by dropping what it deferred; false when some of it
    /// (or anything else) reached the server since, so that only a savepoint can undo it.
    pub(crate) fn undo(&self, (deferred, trips): (usize, u64)) -> bool {
        let mut state = self.state.borrow_mut();
        if state.trips != trips || state.deferred.len() < deferred {
            return false;
        }
        state.deferred.truncate(deferred);
        true
    }

    /// Drops what was deferred (a transaction that failed on the server is rolled back to a
    /// savepoint next: what waited would fail first).
    pub(crate) fn discard_deferred(&self) {
        let mut state = self.state.borrow_mut();
        // `BEGIN` and the write lock stay: they have not gone out either.
        let keep = state
            .deferred
            .iter()
            .take_while(|l| matches!(l, Later::Simple(s) if s == "BEGIN") || is_lock(l))
            .count();
        state.deferred.truncate(keep);
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

    /// A write whose result nobody reads: inside a transaction it goes out with the next
    /// statement or the commit, in the same round trip (a hook call's writes cost no round
    /// trip of their own); its error, if any, fails that statement, and the transaction with
    /// it. Outside one it runs at once.
    pub(crate) fn execute_later(&self, sql: &str, params: &[&dyn Param]) -> Result<()> {
        if !self.in_transaction() || self.state.borrow().alone {
            return self.execute(sql, params).map(|_| ());
        }
        let values: Vec<Held> = params.iter().map(|p| Held::of(p.value())).collect();
        let later = if self.one_shot {
            Later::Write {
                sql: translate::to_postgres(sql),
                values,
            }
        } else {
            // Prepared once per connection (the first time costs a round trip), then bound.
            let kinds: Vec<Kind> = values.iter().map(|v| v.value().kind()).collect();
            let client = self.client()?;
            Later::Prepared {
                statement: self.statement(&client, sql, &kinds)?,
                values,
            }
        };
        self.state.borrow_mut().deferred.push(later);
        Ok(())
    }

    /// While `alone`, writes go out at once (a statement that fails, fails where it is) and
    /// [`super::Db::mark`] takes a savepoint: a write run alone after its group failed.
    pub(crate) fn set_alone(&self, alone: bool) {
        self.state.borrow_mut().alone = alone;
    }

    pub(crate) fn is_alone(&self) -> bool {
        self.state.borrow().alone
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

    /// Runs `sql` (statements without parameters). Inside a transaction, savepoint statements
    /// (`SAVEPOINT`, `RELEASE`, `ROLLBACK TO`) are deferred and sent with the next statement:
    /// the writer opens and releases two savepoints per write, and each would otherwise be a
    /// round trip of its own; a savepoint released with nothing done in it is not sent at all.
    /// A deferred statement that fails fails the statement it went out with.
    pub(crate) fn execute_batch(&self, sql: &str) -> Result<()> {
        if self.in_transaction() && is_savepoint_statement(sql) {
            let mut state = self.state.borrow_mut();
            let opened_just_before = sql
                .strip_prefix("RELEASE ")
                .or_else(|| {
                    sql.strip_prefix("ROLLBACK TO ")
                        .and_then(|rest| rest.split_once("; RELEASE "))
                        .filter(|(a, b)| a == b)
                        .map(|(a, _)| a)
                })
                .is_some_and(|name| {
                    matches!(state.deferred.last(),
                        Some(Later::Simple(last)) if *last == format!("SAVEPOINT {name}"))
                });
            if opened_just_before {
                state.deferred.pop();
            } else {
                state.deferred.push(Later::Simple(sql.to_owned()));
            }
            return Ok(());
        }
        let client = self.client()?;
        let before = self.take_deferred();
        self.send_with(&client, &before, Box::pin(client.batch_execute(sql)))
    }

    /// `BEGIN`, then (when `store_lock`) the store's write lock (see [`WRITE_LOCK`]): both go
    /// out with the transaction's first statement, in its round trip (the server runs that
    /// statement once the lock is held). Without it the transaction waits only for the rows it
    /// locks itself (a watcher's heartbeat renewing its own leases).
    pub(crate) fn begin_write(&self, store_lock: bool) -> Result<()> {
        // A connection that broke is made again now, not half-way into the transaction.
        self.client()?;
        let mut state = self.state.borrow_mut();
        state.deferred.clear();
        state.deferred.push(Later::Simple("BEGIN".to_owned()));
        if store_lock {
            state.deferred.push(Later::Write {
                sql: LOCK_SQL.to_owned(),
                values: vec![Held::Int(WRITE_LOCK)],
            });
        }
        state.in_transaction = true;
        Ok(())
    }

    /// `COMMIT` (with what is deferred, in its round trip) or `ROLLBACK` (which makes what was
    /// deferred moot).
    pub(crate) fn end_transaction(&self, how: &str) -> Result<()> {
        if how == "ROLLBACK" {
            let mut state = self.state.borrow_mut();
            // Nothing of it reached the server: nothing to roll back there.
            let never_began =
                matches!(state.deferred.first(), Some(Later::Simple(s)) if s == "BEGIN");
            state.deferred.clear();
            if never_began {
                state.in_transaction = false;
                return Ok(());
            }
        }
        let done = self.execute_batch(how);
        self.state.borrow_mut().in_transaction = false;
        done
    }
}

/// How a statement goes out.
enum Target<'a> {
    Prepared(Statement),
    Unnamed(&'a str),
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

/// A request to the server on its way (boxed: it borrows the client and statement).
type Pending<'a, T> = std::pin::Pin<
    Box<dyn std::future::Future<Output = std::result::Result<T, tokio_postgres::Error>> + 'a>,
>;

/// The store's write lock as [`PgConn::begin_write`] defers it.
fn is_lock(later: &Later) -> bool {
    matches!(later, Later::Write { sql, .. } if sql == LOCK_SQL)
}

/// Takes the store's write lock (see [`WRITE_LOCK`]) until the transaction ends.
const LOCK_SQL: &str = "SELECT pg_advisory_xact_lock($1)";

/// `SAVEPOINT x`, `RELEASE x`, `ROLLBACK TO x` (and `ROLLBACK TO x; RELEASE x`).
fn is_savepoint_statement(sql: &str) -> bool {
    ["SAVEPOINT ", "RELEASE ", "ROLLBACK TO "]
        .iter()
        .any(|start| sql.starts_with(start))
}

fn pg_type(kind: Kind) -> Type {
    match kind {
        Kind::Int => Type::INT8,
        Kind::Real => Type::FLOAT8,
        Kind::Text => Type::TEXT,
        Kind::Blob => Type::BYTEA,
    }
}

/// A bound value as PostgreSQL reads it (its type was given when the statement was prepared).
#[derive(Debug)]
struct PgValue<'a>(Value<'a>);

impl ToSql for PgValue<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut bytes::BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self.0 {
            Value::Null(_) => Ok(IsNull::Yes),
            Value::Int(v) => v.to_sql(ty, out),
            Value::Real(v) => v.to_sql(ty, out),
            Value::Text(v) => v.to_sql(ty, out),
            Value::Blob(v) => v.to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    postgres_types::to_sql_checked!();
}

/// One connection, with the session's settings: UTC, a statement timeout, Baton's name.
fn open(target: &PgTarget, read_only: bool) -> std::result::Result<Client, String> {
    open_with(target, read_only, None)
}

/// A connection that listens on the change feed's channel ([`super::feed::CHANNEL`]):
/// each notification wakes `wake`. The connection is its own (a listener holds it open).
pub(crate) fn listen(
    target: &PgTarget,
    wake: Arc<tokio::sync::Notify>,
) -> std::result::Result<Arc<Client>, String> {
    let client = open_with(target, true, Some(wake))?;
    let sql = format!("LISTEN {}", super::feed::CHANNEL);
    wait(client.batch_execute(&sql)).map_err(|err| err.to_string())?;
    Ok(Arc::new(client))
}

/// [`open`], with the notifications the server sends waking `wake`.
fn open_with(
    target: &PgTarget,
    read_only: bool,
    wake: Option<Arc<tokio::sync::Notify>>,
) -> std::result::Result<Client, String> {
    let mut config = target.config();
    // The session's settings travel in the startup message: no round trip of their own.
    let mut options = config.get_options().unwrap_or_default().to_owned();
    options.push_str(" -c TimeZone=UTC -c statement_timeout=300s");
    if read_only {
        options.push_str(" -c default_transaction_read_only=on");
    }
    config.options(options.trim_start());
    config
        .application_name("baton")
        .connect_timeout(Duration::from_secs(5))
        .keepalives(true)
        .keepalives_idle(Duration::from_secs(5))
        .keepalives_interval(Duration::from_secs(1))
        .keepalives_retries(3)
        .tcp_user_timeout(Duration::from_secs(10));
    let tls = match target.tls() {
        Tls::Off => None,
        Tls::Verify { roots } => Some(tls_connector(roots)?),
    };
    let connected = wait(runtime().spawn(async move {
        let client = match tls {
            None => {
                let (client, connection) = config.connect(tokio_postgres::NoTls).await?;
                tokio::spawn(drive(connection, wake));
                client
            }
            Some(tls) => {
                let (client, connection) = config.connect(tls).await?;
                tokio::spawn(drive(connection, wake));
                client
            }
        };
        Ok::<_, tokio_postgres::Error>(client)
    }))
    .map_err(|err| format!("the connection task failed: {err}"))?;
    connected.map_err(|err| describe_connect_error(target, &err))
}

/// Where the role of `target` stands on its store, asked on a reading connection of its own.
fn standing_of(target: &PgTarget) -> std::result::Result<Refusal, String> {
    let client = open(target, true)?;
    let sql = "SELECT current_user::text,
                (SELECT pg_get_userbyid(datdba)::text FROM pg_database
                  WHERE datname = current_database()),
                (SELECT rolsuper FROM pg_roles WHERE rolname = current_user),
                coalesce((SELECT pg_has_role(current_user, oid, 'MEMBER') FROM pg_roles
                           WHERE rolname = current_database() || '_decider'), false),
                coalesce((SELECT pg_has_role(current_user, oid, 'MEMBER') FROM pg_roles
                           WHERE rolname = current_database() || '_viewer'), false),
                coalesce((SELECT string_agg(m.rolname::text, ',' ORDER BY m.rolname)
                            FROM pg_auth_members am
                            JOIN pg_roles g ON g.oid = am.roleid
                            JOIN pg_roles m ON m.oid = am.member
                           WHERE g.rolname = current_database() || '_decider'
                             AND m.rolcanlogin), '')";
    let row = wait(client.query_one(sql, &[])).map_err(|err| err.to_string())?;
    let get = |i: usize| -> std::result::Result<String, String> {
        row.try_get::<_, Option<String>>(i)
            .map(Option::unwrap_or_default)
            .map_err(|e| e.to_string())
    };
    let flag = |i: usize| row.try_get::<_, Option<bool>>(i).ok().flatten() == Some(true);
    let (role, owner) = (get(0)?, get(1)?);
    let standing = if flag(2) || (!owner.is_empty() && role == owner) {
        Standing::Owner
    } else if flag(3) {
        Standing::Is(StoreRole::Decider)
    } else if flag(4) {
        Standing::Is(StoreRole::Viewer)
    } else {
        Standing::Nothing
    };
    Ok(Refusal {
        role,
        denied: String::new(),
        standing,
        deciders: get(5)?
            .split(',')
            .filter(|name| !name.is_empty())
            .map(str::to_owned)
            .collect(),
        owner: Some(owner).filter(|owner| !owner.is_empty()),
    })
}

/// Runs a connection until it ends; a notification from the server wakes `wake`.
async fn drive<S, T>(
    mut connection: tokio_postgres::Connection<S, T>,
    wake: Option<Arc<tokio::sync::Notify>>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    use futures_util::StreamExt;
    let mut messages = futures_util::stream::poll_fn(|cx| connection.poll_message(cx));
    while let Some(message) = messages.next().await {
        match message {
            Ok(tokio_postgres::AsyncMessage::Notification(_)) => {
                if let Some(wake) = &wake {
                    wake.notify_one();
                }
            }
            Ok(tokio_postgres::AsyncMessage::Notice(notice)) => {
                tracing::debug!(%notice, "a notice from PostgreSQL");
            }
            Ok(_) => {}
            Err(err) => {
                tracing::debug!(error = %err, "a PostgreSQL connection ended");
                break;
            }
        }
    }
    // The listener (if any) learns it is gone: its client is closed; wake it to see.
    if let Some(wake) = &wake {
        wake.notify_one();
    }
}

/// Why a connection could not be made, in words (with the whole chain of causes).
fn describe_connect_error(target: &PgTarget, err: &tokio_postgres::Error) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        let said = cause.to_string();
        if !text.contains(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        source = cause.source();
    }
    let garbled = [
        "unexpected message",
        "invalid message",
        "bytes remaining on stream",
        "unexpected response",
    ];
    if garbled.iter().any(|said| text.contains(said)) {
        text = format!(
            "{} does not answer as PostgreSQL does ({text})",
            target.display()
        );
    }
    text
}

/// rustls with the public roots and the files the URL names (`sslrootcert`).
fn tls_connector(
    roots: &[std::path::PathBuf],
) -> std::result::Result<tokio_postgres_rustls::MakeRustlsConnect, String> {
    use rustls_pki_types::pem::PemObject;
    let mut store = rustls::RootCertStore::empty();
    store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    for path in roots {
        let certs = rustls_pki_types::CertificateDer::pem_file_iter(path)
            .map_err(|e| format!("cannot read sslrootcert {}: {e}", path.display()))?;
        for cert in certs {
            let cert = cert.map_err(|e| format!("sslrootcert {}: {e}", path.display()))?;
            store
                .add(cert)
                .map_err(|e| format!("sslrootcert {}: {e}", path.display()))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(store)
        .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}
