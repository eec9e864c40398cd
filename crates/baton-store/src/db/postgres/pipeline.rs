//! What goes out together: statements deferred until the next one that needs an answer (or
//! the commit) and sent with it, pipelined, in one round trip; transactions begun and ended
//! that way; a write undone by dropping what it deferred.

use postgres_types::{ToSql, Type};
use tokio_postgres::Client;

use super::connect::wait;
use super::prepared::prepare_all;
use super::value::{pg_type, Pending, PgValue};
use super::{Later, PgConn, Target, WRITE_LOCK};
use crate::db::param::{Held, Kind, Param};
use crate::db::waiting::{Entry, Waiting};
use crate::db::StoreLock;
use crate::error::Result;

impl PgConn {
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
        let targets: Vec<Target> = reads
            .iter()
            .zip(&kinds)
            .map(|((sql, _), kinds)| self.target(sql, kinds))
            .collect();
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
        let before = self.take_deferred()?;
        self.state.borrow_mut().sent += reads.len() as u64;
        self.send_with(&client, &before, all)
    }

    /// Sends `before` (in order) and then `last`, pipelined: one round trip for all, with the
    /// statements sent unnamed for the first time prepared after them (`super::prepared`).
    /// The first error wins (a write that failed aborts the transaction, and what follows
    /// fails with it).
    pub(super) fn send_with<T>(
        &self,
        client: &Client,
        before: &[Later],
        last: Pending<'_, T>,
    ) -> Result<T> {
        let to_prepare = self.take_to_prepare();
        let preparing = prepare_all(client, &to_prepare);
        {
            let mut state = self.state.borrow_mut();
            state.trips += 1;
            state.sent += before
                .iter()
                .filter(|l| !matches!(l, Later::Simple(_)))
                .count() as u64;
        }
        if before.is_empty() {
            let (done, prepared) = wait(futures_util::future::join(last, preparing));
            self.keep_prepared(to_prepare, prepared);
            return done.map_err(|err| self.failed(client, err));
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
        let (sent, done, prepared) = wait(futures_util::future::join3(
            futures_util::future::join_all(sending),
            last,
            preparing,
        ));
        self.keep_prepared(to_prepare, prepared);
        let first_error = sent.into_iter().find_map(std::result::Result::err);
        match first_error {
            Some(err) => Err(self.failed(client, err)),
            None => done.map_err(|err| self.failed(client, err)),
        }
    }

    /// What was deferred, in order, and none left (what a group's writes held back goes out
    /// first, as the statements that send it: see [`PgConn::send_waiting`]).
    pub(super) fn take_deferred(&self) -> Result<Vec<Later>> {
        self.send_waiting()?;
        Ok(std::mem::take(&mut self.state.borrow_mut().deferred))
    }

    /// Sends what was deferred now (one round trip), if anything was.
    pub(crate) fn flush(&self) -> Result<()> {
        {
            let state = self.state.borrow();
            if state.deferred.is_empty() && state.waiting.is_empty() {
                return Ok(());
            }
        }
        let client = self.client()?;
        let before = self.take_deferred()?;
        self.send_with(&client, &before, Box::pin(async { Ok(()) }))
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
        state.waiting = Waiting::default();
    }

    /// A write whose result nobody reads: inside a transaction it goes out with the next
    /// statement or the commit, in the same round trip (a hook call's writes cost no round
    /// trip of their own); its error, if any, fails that statement, and the transaction with
    /// it. Outside one it runs at once.
    pub(crate) fn execute_later(&self, sql: &str, params: &[&dyn Param]) -> Result<()> {
        if !self.in_transaction() || self.state.borrow().alone {
            return self.execute(sql, params).map(|_| ());
        }
        let held_back = self.holds_back();
        let values: Vec<Held> = params.iter().map(|p| Held::of(p.value())).collect();
        let kinds: Vec<Kind> = values.iter().map(|v| v.value().kind()).collect();
        let later = Later::bound(self.target(sql, &kinds), values);
        if held_back {
            return self.hold(Entry::Statement(sql.to_owned(), later));
        }
        self.state.borrow_mut().deferred.push(later);
        Ok(())
    }

    /// While `alone`, writes go out at once (a statement that fails, fails where it is) and
    /// [`crate::db::Db::mark`] takes a savepoint: a write run alone after its group failed.
    pub(crate) fn set_alone(&self, alone: bool) {
        self.state.borrow_mut().alone = alone;
    }

    pub(crate) fn is_alone(&self) -> bool {
        self.state.borrow().alone
    }

    /// Runs `sql` (statements without parameters). Inside a transaction, savepoint statements
    /// (`SAVEPOINT`, `RELEASE`, `ROLLBACK TO`) are deferred and sent with the next statement:
    /// the writer opens and releases two savepoints per write, and each would otherwise be a
    /// round trip of its own; a savepoint released with nothing done in it is not sent at all.
    /// A deferred statement that fails fails the statement it went out with.
    pub(crate) fn execute_batch(&self, sql: &str) -> Result<()> {
        if self.in_transaction() && is_savepoint_statement(sql) {
            self.send_waiting()?;
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
        let before = self.take_deferred()?;
        self.send_with(&client, &before, Box::pin(client.batch_execute(sql)))
    }

    /// `BEGIN`, then (unless [`StoreLock::Skip`]) the store's write lock (see [`WRITE_LOCK`]):
    /// they go out with the transaction's first statement, in its round trip (the server runs
    /// that statement once the lock is held). Without it the transaction waits only for the
    /// rows it locks itself (a watcher's heartbeat renewing its own leases). With
    /// [`StoreLock::WaitAtMost`] the transaction's `lock_timeout` bounds the wait first.
    pub(crate) fn begin_write(&self, lock: StoreLock) -> Result<()> {
        // A connection that broke is made again now, not half-way into the transaction.
        self.client()?;
        let mut state = self.state.borrow_mut();
        state.deferred.clear();
        state.waiting = Waiting::default();
        state.deferred.push(Later::Simple("BEGIN".to_owned()));
        if let StoreLock::WaitAtMost(wait) = lock {
            state.deferred.push(Later::Write {
                sql: LOCK_WAIT_SQL.to_owned(),
                values: vec![Held::Text(format!("{}ms", wait.as_millis().max(1)))],
            });
        }
        if lock != StoreLock::Skip {
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
            state.waiting = Waiting::default();
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

/// The store's write lock, or the bound on its wait, as [`PgConn::begin_write`] defers them.
pub(super) fn is_lock(later: &Later) -> bool {
    matches!(later, Later::Write { sql, .. } if sql == LOCK_SQL || sql == LOCK_WAIT_SQL)
}

/// Takes the store's write lock (see [`WRITE_LOCK`]) until the transaction ends.
pub(super) const LOCK_SQL: &str = "SELECT pg_advisory_xact_lock($1)";

/// Bounds, for the rest of the transaction, how long it waits for a lock (`'250ms'`).
const LOCK_WAIT_SQL: &str = "SELECT set_config('lock_timeout', $1, true)";

/// `SAVEPOINT x`, `RELEASE x`, `ROLLBACK TO x` (and `ROLLBACK TO x; RELEASE x`).
pub(super) fn is_savepoint_statement(sql: &str) -> bool {
    ["SAVEPOINT ", "RELEASE ", "ROLLBACK TO "]
        .iter()
        .any(|start| sql.starts_with(start))
}
