//! One connection of the store, on either engine ([`Db`]): statements, queries and the
//! transaction steps, in one SQL text for both (see the module above).

use super::feed::new_origin;
use super::param::{Kind, Param, Value};
use super::postgres::PgConn;
use super::row::Row;
use super::rows::RowsSql;
use super::sqlite;
use crate::error::{Result, StoreError};

/// A table's name and its columns (name, kind) in order.
pub type TableColumns = (String, Vec<(String, Kind)>);

/// Which engine a connection talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// One connection of the store.
pub struct Db {
    pub(super) conn: Conn,
    /// Which connection wrote a change (the feed's `origin`): random, so that a process can
    /// tell its own writes from another's, on any machine.
    origin: i64,
    /// Whether the open transaction recorded a change: its commit moves the feed's head (and
    /// on PostgreSQL notifies the listeners). See `crate::changes`.
    pub(super) recorded: std::cell::Cell<bool>,
    /// Whether the open transaction holds the store's write lock (every write but a
    /// heartbeat's renewal: [`Db::begin_write_unlocked`]).
    pub(super) locked: std::cell::Cell<bool>,
    /// The decision log's head as the open transaction left it (see
    /// [`Db::known_chain_head`]).
    pub(super) chain_head: std::cell::RefCell<Option<(i64, String)>>,
}

pub(super) enum Conn {
    Sqlite(rusqlite::Connection),
    Postgres(Box<PgConn>),
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("dialect", &self.dialect())
            .finish()
    }
}

impl Db {
    pub(crate) fn sqlite(conn: rusqlite::Connection) -> Db {
        Db::with(Conn::Sqlite(conn))
    }

    pub(crate) fn postgres(conn: PgConn) -> Db {
        Db::with(Conn::Postgres(Box::new(conn)))
    }

    fn with(conn: Conn) -> Db {
        Db {
            conn,
            origin: new_origin(),
            recorded: std::cell::Cell::new(false),
            locked: std::cell::Cell::new(false),
            chain_head: std::cell::RefCell::new(None),
        }
    }

    /// This connection's mark on the changes it records (see `crate::changes`).
    pub(crate) fn origin(&self) -> i64 {
        self.origin
    }

    /// Notes that the open transaction recorded a change (its commit moves the feed's head).
    pub(crate) fn note_recorded(&self) {
        self.recorded.set(true);
    }

    pub fn dialect(&self) -> Dialect {
        match self.conn {
            Conn::Sqlite(_) => Dialect::Sqlite,
            Conn::Postgres(_) => Dialect::Postgres,
        }
    }

    /// The SQLite connection, for what only SQLite has (pragmas, checkpoints, its file).
    pub(crate) fn as_sqlite(&self) -> Option<&rusqlite::Connection> {
        match &self.conn {
            Conn::Sqlite(conn) => Some(conn),
            Conn::Postgres(_) => None,
        }
    }

    pub(crate) fn into_sqlite(self) -> Option<rusqlite::Connection> {
        match self.conn {
            Conn::Sqlite(conn) => Some(conn),
            Conn::Postgres(_) => None,
        }
    }

    pub(crate) fn as_postgres(&self) -> Option<&PgConn> {
        match &self.conn {
            Conn::Sqlite(_) => None,
            Conn::Postgres(conn) => Some(conn),
        }
    }

    /// Runs one statement; how many rows it changed.
    pub fn execute(&self, sql: &str, params: &[&dyn Param]) -> Result<usize> {
        match &self.conn {
            Conn::Sqlite(conn) => sqlite::execute(conn, sql, params),
            Conn::Postgres(conn) => conn.execute(sql, params),
        }
    }

    /// Runs a write whose result nobody reads. On PostgreSQL, inside a transaction, it goes
    /// out with the next statement or the commit, in the same round trip, and an error it
    /// meets fails that statement (and the transaction); on SQLite, and outside a transaction,
    /// it runs at once.
    pub fn execute_later(&self, sql: &str, params: &[&dyn Param]) -> Result<()> {
        match &self.conn {
            Conn::Sqlite(conn) => sqlite::execute(conn, sql, params).map(|_| ()),
            Conn::Postgres(conn) => conn.execute_later(sql, params),
        }
    }

    /// Writes rows of `sql` (`values`: every row's, one after another) whose outcome nobody
    /// reads. On SQLite at once ([`RowsSql::outside_a_group`]); on PostgreSQL as
    /// [`Db::execute_later`], and inside a group of writes with the group's other rows of
    /// `sql`, in one statement (`super::rows`).
    pub fn write_rows(&self, sql: &'static RowsSql, values: &[Value<'_>]) -> Result<()> {
        debug_assert_eq!(values.len() % sql.columns, 0, "whole rows");
        match &self.conn {
            Conn::Sqlite(conn) => {
                let mut at = 0;
                for (text, size) in sql.outside_a_group(values.len() / sql.columns) {
                    let end = at + size * sql.columns;
                    let params: Vec<&dyn Param> =
                        values[at..end].iter().map(|v| v as &dyn Param).collect();
                    sqlite::execute(conn, text, &params)?;
                    at = end;
                }
                Ok(())
            }
            Conn::Postgres(conn) => conn.write_rows(sql, values),
        }
    }

    /// Writes one row of `sql` (see [`Db::write_rows`]).
    pub fn write_row(&self, sql: &'static RowsSql, params: &[&dyn Param]) -> Result<()> {
        let values: Vec<Value<'_>> = params.iter().map(|p| p.value()).collect();
        self.write_rows(sql, &values)
    }

    /// The first row of a query, read by `read`; [`StoreError::NoRow`] when there is none.
    pub fn query_row<T>(
        &self,
        sql: &str,
        params: &[&dyn Param],
        read: impl FnOnce(&Row<'_>) -> Result<T>,
    ) -> Result<T> {
        self.query_opt(sql, params, read)?.ok_or(StoreError::NoRow)
    }

    /// The first row of a query, read by `read`, if there is one.
    pub fn query_opt<T>(
        &self,
        sql: &str,
        params: &[&dyn Param],
        read: impl FnOnce(&Row<'_>) -> Result<T>,
    ) -> Result<Option<T>> {
        match &self.conn {
            Conn::Sqlite(conn) => sqlite::query_opt(conn, sql, params, read),
            Conn::Postgres(conn) => conn.query_opt(sql, params, read),
        }
    }

    /// Every row of a query, each read by `read`, in order. The rows are all fetched before
    /// `read` sees the first (on PostgreSQL), so `read` may query the store again.
    pub fn query_map<T>(
        &self,
        sql: &str,
        params: &[&dyn Param],
        read: impl FnMut(&Row<'_>) -> Result<T>,
    ) -> Result<Vec<T>> {
        match &self.conn {
            Conn::Sqlite(conn) => sqlite::query_map(conn, sql, params, read),
            Conn::Postgres(conn) => conn.query_map(sql, params, read),
        }
    }

    /// Calls `each` with every row of a query, in order (the rows are all fetched first on
    /// PostgreSQL, so `each` may query the store again).
    pub fn query_each(
        &self,
        sql: &str,
        params: &[&dyn Param],
        mut each: impl FnMut(&Row<'_>) -> Result<()>,
    ) -> Result<()> {
        match &self.conn {
            Conn::Sqlite(conn) => sqlite::query_each(conn, sql, params, each),
            Conn::Postgres(conn) => {
                conn.query_map(sql, params, |row| each(row))?;
                Ok(())
            }
        }
    }

    /// Runs several reads together and calls `each` with the read's index and each of its rows,
    /// read by read, in order. On PostgreSQL the reads go out in one round trip (pipelined,
    /// with what was deferred); on SQLite one after another. A read may not depend on what an
    /// earlier one of the same call returned.
    pub fn query_together(
        &self,
        reads: &[(&str, &[&dyn Param])],
        mut each: impl FnMut(usize, &Row<'_>) -> Result<()>,
    ) -> Result<()> {
        match &self.conn {
            Conn::Sqlite(conn) => {
                for (i, (sql, params)) in reads.iter().enumerate() {
                    sqlite::query_each(conn, sql, params, |row| each(i, row))?;
                }
                Ok(())
            }
            Conn::Postgres(conn) => {
                for (i, rows) in conn.query_together(reads)?.iter().enumerate() {
                    for row in rows {
                        each(i, &Row::Postgres(row))?;
                    }
                }
                Ok(())
            }
        }
    }

    /// Every table of the store (views and the engine's own left out) with its columns in
    /// order, tables by name.
    pub fn tables(&self) -> Result<Vec<(String, Vec<String>)>> {
        Ok(self
            .columns()?
            .into_iter()
            .map(|(table, columns)| (table, columns.into_iter().map(|(c, _)| c).collect()))
            .collect())
    }

    /// Every table with its columns in order and the kind of value each holds.
    pub fn columns(&self) -> Result<Vec<TableColumns>> {
        let names: Vec<(String, String, String)> = match self.dialect() {
            Dialect::Sqlite => self.query_map(
                "SELECT m.name, c.name, upper(c.type) FROM sqlite_schema m, pragma_table_info(m.name) c
                  WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'
                  ORDER BY m.name, c.cid",
                &[],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )?,
            Dialect::Postgres => self.query_map(
                "SELECT c.table_name::text, c.column_name::text, upper(c.data_type::text)
                   FROM information_schema.columns c
                   JOIN information_schema.tables t
                     ON t.table_schema = c.table_schema AND t.table_name = c.table_name
                  WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
                    AND c.table_name <> 'baton_schema'
                  ORDER BY c.table_name COLLATE \"C\", c.ordinal_position",
                &[],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )?,
        };
        let mut tables: Vec<TableColumns> = Vec::new();
        for (table, column, declared) in names {
            let kind = if declared.contains("INT") {
                Kind::Int
            } else if declared.contains("REAL") || declared.contains("DOUBLE") {
                Kind::Real
            } else if declared.contains("BLOB") || declared.contains("BYTEA") {
                Kind::Blob
            } else {
                Kind::Text
            };
            match tables.last_mut() {
                Some((last, columns)) if *last == table => columns.push((column, kind)),
                _ => tables.push((table, vec![(column, kind)])),
            }
        }
        Ok(tables)
    }

    /// Runs several statements without parameters (schema changes, transaction control).
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        match &self.conn {
            Conn::Sqlite(conn) => Ok(conn.execute_batch(sql)?),
            Conn::Postgres(conn) => conn.execute_batch(sql),
        }
    }

    /// True when no transaction is open on this connection.
    pub(crate) fn is_autocommit(&self) -> bool {
        match &self.conn {
            Conn::Sqlite(conn) => conn.is_autocommit(),
            Conn::Postgres(conn) => !conn.in_transaction(),
        }
    }
}
