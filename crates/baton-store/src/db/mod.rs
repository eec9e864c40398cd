//! The store's connection to its database, on either engine: SQLite (the default, one file) or
//! PostgreSQL (a shared server). Every module of the store talks to [`Db`] only, in one SQL
//! text for both engines: `?1`-style parameters, functions both engines have (PostgreSQL's
//! `greatest`/`least` are given to SQLite, `epoch_ms` to both: see [`sqlite`] and the
//! PostgreSQL baseline migration), `RETURNING` instead of `last_insert_rowid()`,
//! `IS DISTINCT FROM` instead of SQLite's `IS NOT` between values, and explicit
//! `NULLS FIRST`/`NULLS LAST` where the order of NULLs matters (the engines differ).
//!
//! * [`Db`]: `execute`, `query_row` / `query_opt` / `query_map`, `execute_batch`, and the
//!   transaction steps the store's `WriteTx` is made of.
//! * [`Param`] / [`params!`]: values bound to `?N`, typed even when NULL (PostgreSQL asks).
//! * [`Row`] / [`FromColumn`]: reading a column as an `i64`, `f64`, `bool`, `String`, bytes or
//!   an `Option` of one, whatever integer or numeric type the engine answered with.
//! * [`location`]: which engine a `--store` value names, and PostgreSQL's URL, password and TLS.

mod ahead;
mod conn;
mod feed;
mod keyed_reads;
pub mod location;
mod param;
mod postgres;
mod row;
mod rows;
mod sqlite;
mod transaction;
mod translate;
mod waiting;

pub use ahead::{in_list_reads, Mark, ReadAhead, ReadRows, RowValues};
pub use conn::{Db, Dialect, TableColumns};
pub use feed::CHANNEL;
pub use keyed_reads::KeyedIn;
pub use location::{PgTarget, StoreLocation};
pub use param::{Held, Kind, Param, Typed, Value};
pub(crate) use postgres::{listen, PgConn};
pub(crate) use transaction::StoreLock;

/// The advisory lock PostgreSQL migrations hold.
pub(crate) fn postgres_migrate_lock() -> i64 {
    postgres::MIGRATE_LOCK
}
pub use row::{Columns, FromColumn, Owned, Row};
pub use rows::RowsSql;
pub(crate) use sqlite::open_sqlite;

/// `params![a, b]`: the values bound to `?1`, `?2`, … of a statement.
#[macro_export]
macro_rules! params {
    () => {
        &[] as &[&dyn $crate::db::Param]
    };
    ($($value:expr),+ $(,)?) => {
        &[$(&$value as &dyn $crate::db::Param),+] as &[&dyn $crate::db::Param]
    };
}
pub use params;

/// A list of values built at run time (`IN (?3, ?4, …)`) as statement parameters.
pub fn as_params<'a>(values: &'a [Value<'a>]) -> Vec<&'a dyn Param> {
    values.iter().map(|v| v as &dyn Param).collect()
}
