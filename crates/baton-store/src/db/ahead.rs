//! Reads made ahead of a write, and writes undone alone, so that many writes share round trips.
//!
//! * [`ReadAhead`]: the reads a write needs, listed before it runs; the store's writer reads
//!   for a whole group of writes in one flight ([`Db::read_ahead`]: on PostgreSQL one round
//!   trip, on SQLite one read after another) and hands each write its [`ReadRows`], which it
//!   takes in the order it listed them.
//!   A read of one key ([`ReadAhead::read_keyed`]: an agent, its manifest, a usage window)
//!   that many writes of a group make goes out on PostgreSQL as one statement for all of
//!   them (`super::keyed_reads`).
//! * [`Mark`]: where a write began, so that a write that fails is undone alone without a
//!   savepoint of its own on PostgreSQL (what it deferred is dropped before it went out).

use std::collections::VecDeque;

use super::conn::{Conn, Db, Dialect};
use super::keyed_reads::{self, KeyedIn, Listed, Route, IN_LIST_MOST};
use super::param::{Held, Param, Value};
use super::row::{Cell, FromColumn, Owned, Row};
use super::rows::{RowsSql, WriteMark};
use crate::error::{Result, StoreError};

/// The reads a write makes before it writes, in order.
#[derive(Debug, Default)]
pub struct ReadAhead {
    pub(super) reads: Vec<Listed>,
}

impl ReadAhead {
    /// One more read: its statement and values.
    pub fn read(&mut self, sql: impl Into<String>, params: &[&dyn Param]) {
        let values = params.iter().map(|p| Held::of(p.value())).collect();
        self.reads.push(Listed::Plain(sql.into(), values));
    }

    /// One more read, of the rows of one key (`key`: its values), by a `sql` that reads for
    /// many keys at once: `before`, the keys as numbered rows (`(1, ?1, …), (2, …)`),
    /// `after`, its first column the key's number; `sql.one` reads one key (`?1…` its
    /// values). On PostgreSQL the keyed reads of one `sql` that a group lists go out as one
    /// statement (`super::keyed_reads`); a read's rows come in no particular order.
    pub fn read_keyed(&mut self, sql: &'static RowsSql, key: &[&dyn Param]) {
        debug_assert!(sql.numbered && sql.one.is_some() && key.len() == sql.columns);
        let values = key.iter().map(|p| Held::of(p.value())).collect();
        self.reads.push(Listed::Keyed(sql, values));
    }

    /// One more read, of the rows of several keys (`fixed`: the values before them): on
    /// PostgreSQL, when several writes of a group list reads of `sql`, each key is a row of
    /// one statement for all of them (`sql.many`); otherwise `sql.alone` with an `IN (…)`
    /// list, as [`ReadAhead::read_in`]. One read whatever the number of keys (none: no
    /// rows); its rows come in no particular order, a key listed twice may give its rows
    /// twice.
    pub fn read_keyed_in(
        &mut self,
        sql: &'static KeyedIn,
        fixed: &[&dyn Param],
        keys: &[Value<'_>],
    ) {
        debug_assert!(sql.many.numbered && sql.many.columns == fixed.len() + 1);
        let fixed = fixed.iter().map(|p| Held::of(p.value())).collect();
        let keys = keys.iter().map(|k| Held::of(*k)).collect();
        self.reads.push(Listed::KeyedIn(sql, fixed, keys));
    }

    /// Reads `sql(list)` for every value of `keys`, where `list` is the text of an `IN (…)`
    /// list of parameters after `fixed` (`?2, ?3, …` after one): in reads of at most
    /// [`IN_LIST_MOST`] values, each list padded to a power of two with its last value, so
    /// that a few statement shapes serve every length. How many reads it listed (none for no
    /// keys): take their rows with [`ReadRows::next_many`].
    pub fn read_in(
        &mut self,
        sql: impl Fn(&str) -> String,
        fixed: &[&dyn Param],
        keys: &[Value<'_>],
    ) -> usize {
        let fixed: Vec<Held> = fixed.iter().map(|p| Held::of(p.value())).collect();
        let keys: Vec<Held> = keys.iter().map(|k| Held::of(*k)).collect();
        let lists = keyed_reads::in_lists(sql, &fixed, &keys, 0);
        let listed = lists.len();
        self.reads.extend(
            lists
                .into_iter()
                .map(|read| Listed::Plain(read.sql.into_owned(), read.values)),
        );
        listed
    }

    /// How many reads are listed as plain statements (not keyed).
    #[cfg(test)]
    pub(crate) fn plain(&self) -> usize {
        self.reads
            .iter()
            .filter(|r| matches!(r, Listed::Plain(..)))
            .count()
    }

    /// How many reads are listed.
    pub fn len(&self) -> usize {
        self.reads.len()
    }

    pub fn is_empty(&self) -> bool {
        self.reads.is_empty()
    }
}

/// One row read ahead, its columns owned.
#[derive(Debug, Clone, PartialEq)]
pub struct RowValues(Vec<Owned>);

impl RowValues {
    /// Column `index` (from 0) as a `T`, as [`Row::get`] reads it.
    pub fn get<T: FromColumn>(&self, index: usize) -> Result<T> {
        let cell = match self.0.get(index) {
            None => {
                return Err(StoreError::Corrupt(format!(
                    "column {index}: no such column"
                )))
            }
            Some(Owned::Null) => Cell::Null,
            Some(Owned::Int(v)) => Cell::Int(*v),
            Some(Owned::Real(v)) => Cell::Real(*v),
            Some(Owned::Text(v)) => Cell::Text(v),
            Some(Owned::Blob(v)) => Cell::Blob(v),
        };
        T::from_cell(cell).map_err(|why| StoreError::Corrupt(format!("column {index}: {why}")))
    }
}

impl super::row::Columns for RowValues {
    fn column<T: FromColumn>(&self, index: usize) -> Result<T> {
        self.get(index)
    }
}

/// The rows of each read of a [`ReadAhead`], taken in the order the reads were listed.
#[derive(Debug, Default)]
pub struct ReadRows {
    reads: VecDeque<Vec<RowValues>>,
}

impl ReadRows {
    /// The rows of the next read.
    pub fn take(&mut self) -> Result<Vec<RowValues>> {
        self.reads.pop_front().ok_or_else(|| {
            StoreError::Writer("a write took more reads than it listed ahead".into())
        })
    }

    /// The rows of the next `n` reads together (a [`ReadAhead::read_in`]'s).
    pub fn next_many(&mut self, n: usize) -> Result<Vec<RowValues>> {
        let mut rows = Vec::new();
        for _ in 0..n {
            rows.extend(self.take()?);
        }
        Ok(rows)
    }

    /// The first `n` reads' rows, taken out (one write's share of a group's reads).
    pub fn split_off_front(&mut self, n: usize) -> ReadRows {
        let rest = self.reads.split_off(n.min(self.reads.len()));
        ReadRows {
            reads: std::mem::replace(&mut self.reads, rest),
        }
    }
}

/// How many reads [`ReadAhead::read_in`] lists for `keys` values.
pub fn in_list_reads(keys: usize) -> usize {
    keys.div_ceil(IN_LIST_MOST)
}

/// Where a write began (see [`Db::mark`]).
#[derive(Debug, Clone, Copy)]
pub struct Mark(Option<WriteMark>);

/// The savepoint a write of a group has of its own on SQLite.
const ONE_WRITE: &str = "baton_one";

impl Db {
    /// Runs every read of `ahead` (on PostgreSQL in one round trip, with what was deferred,
    /// the keyed reads of one kind in one statement); their rows, in order.
    pub fn read_ahead(&self, ahead: &ReadAhead) -> Result<ReadRows> {
        let planned = keyed_reads::plan(&ahead.reads, self.dialect() == Dialect::Postgres);
        let params: Vec<Vec<&dyn Param>> = planned
            .iter()
            .map(|read| read.values.iter().map(|v| v as &dyn Param).collect())
            .collect();
        let reads: Vec<(&str, &[&dyn Param])> = planned
            .iter()
            .zip(&params)
            .map(|(read, params)| (read.sql.as_ref(), params.as_slice()))
            .collect();
        let mut rows: Vec<Vec<RowValues>> = vec![Vec::new(); ahead.reads.len()];
        self.query_together(&reads, |i, row| {
            match &planned[i].route {
                Route::Whole(read) => rows[*read].push(owned(row, 0)?),
                Route::Numbered(listed) => {
                    let n: i64 = row.get(0)?;
                    let read = usize::try_from(n - 1)
                        .ok()
                        .and_then(|at| listed.get(at))
                        .ok_or_else(|| {
                            StoreError::Corrupt(format!("a keyed read gave row number {n}"))
                        })?;
                    rows[*read].push(owned(row, 1)?);
                }
            }
            Ok(())
        })?;
        Ok(ReadRows { reads: rows.into() })
    }

    /// Marks where a write begins inside a transaction, so that [`Db::undo`] can take it back
    /// alone: a savepoint on SQLite (and on PostgreSQL while writing alone); otherwise on
    /// PostgreSQL what is deferred so far (nothing goes out).
    pub fn mark(&self) -> Result<Mark> {
        match &self.conn {
            Conn::Postgres(conn) if !conn.is_alone() => Ok(Mark(Some(conn.mark()))),
            _ => {
                self.execute_batch(&format!("SAVEPOINT {ONE_WRITE}"))?;
                Ok(Mark(None))
            }
        }
    }

    /// The write begun at `mark` stands.
    pub fn keep(&self, mark: Mark) -> Result<()> {
        match mark.0 {
            Some(_) => Ok(()),
            None => self.execute_batch(&format!("RELEASE {ONE_WRITE}")),
        }
    }

    /// Takes back the write begun at `mark`. False on PostgreSQL when part of it went out to
    /// the server already (the caller then rolls back to a savepoint of its own).
    pub fn undo(&self, mark: Mark) -> Result<bool> {
        // What the undone write appended to the decision log is gone with it.
        self.forget_chain_head();
        match (&self.conn, mark.0) {
            (Conn::Postgres(conn), Some(mark)) => Ok(conn.undo(mark)),
            _ => {
                self.roll_back_to(ONE_WRITE)?;
                Ok(true)
            }
        }
    }

    /// A new write of a group begins (PostgreSQL): the order of its statements is its own
    /// (see `super::waiting`).
    pub fn write_begins(&self) {
        if let Conn::Postgres(conn) = &self.conn {
            conn.write_begins();
        }
    }

    /// While `alone` (PostgreSQL), writes go out at once and marks are savepoints: a write
    /// run on its own after its group failed fails at the statement that failed, and is
    /// undone alone. SQLite always writes at once.
    pub fn write_alone(&self, alone: bool) {
        if let Conn::Postgres(conn) = &self.conn {
            conn.set_alone(alone);
        }
    }

    /// Round trips this connection made to the server (PostgreSQL; 0 on SQLite).
    pub fn round_trips(&self) -> u64 {
        match &self.conn {
            Conn::Sqlite(_) => 0,
            Conn::Postgres(conn) => conn.trips(),
        }
    }

    /// Statements this connection sent to the server (PostgreSQL; 0 on SQLite): reads and
    /// writes, not `BEGIN`, savepoints or the commit.
    pub fn statements_sent(&self) -> u64 {
        match &self.conn {
            Conn::Sqlite(_) => 0,
            Conn::Postgres(conn) => conn.statements_sent(),
        }
    }

    /// True while writing alone (see [`Db::write_alone`]; SQLite always is).
    pub fn is_alone(&self) -> bool {
        match &self.conn {
            Conn::Sqlite(_) => true,
            Conn::Postgres(conn) => conn.is_alone(),
        }
    }

    /// Drops what was deferred and not sent (PostgreSQL): after a statement failed on the
    /// server, what waits would only fail too.
    pub fn discard_deferred(&self) {
        self.forget_chain_head();
        if let Conn::Postgres(conn) = &self.conn {
            conn.discard_deferred();
        }
    }

    /// Sends what was deferred now (PostgreSQL; SQLite defers nothing).
    pub fn flush(&self) -> Result<()> {
        match &self.conn {
            Conn::Sqlite(_) => Ok(()),
            Conn::Postgres(conn) => conn.flush(),
        }
    }

    /// Rolls back to savepoint `name` and releases it.
    pub fn roll_back_to(&self, name: &str) -> Result<()> {
        self.forget_chain_head();
        self.execute_batch(&format!("ROLLBACK TO {name}; RELEASE {name}"))
    }
}

/// A row's columns from `first` on, owned.
fn owned(row: &Row<'_>, first: usize) -> Result<RowValues> {
    let mut columns = Vec::with_capacity(row.len());
    for i in first..row.len() {
        columns.push(row.get::<Owned>(i)?);
    }
    Ok(RowValues(columns))
}
