//! The SQLite side of [`super::Db`]: statements through the connection's cache, and the
//! functions the store's SQL uses that SQLite does not have as PostgreSQL spells them
//! (`greatest`, `least`, `strpos`) or at all (`epoch_ms`, `clock_ms`).

use std::cmp::Ordering;

use rusqlite::functions::{Context, FunctionFlags};
use rusqlite::types::{Value as SqlValue, ValueRef};
use rusqlite::{params_from_iter, Connection};

use super::param::Param;
use super::row::Row;
use crate::error::Result;

/// Statements kept prepared per connection (a poll, a detector run and a hook call repeat a
/// few dozen statements thousands of times).
const STATEMENT_CACHE: usize = 256;

/// Gives a new connection what the store's SQL needs: its functions and statement cache.
pub(crate) fn open_sqlite(conn: &Connection) -> rusqlite::Result<()> {
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    conn.create_scalar_function("greatest", -1, flags, |ctx| pick(ctx, Ordering::Greater))?;
    conn.create_scalar_function("least", -1, flags, |ctx| pick(ctx, Ordering::Less))?;
    conn.create_scalar_function("strpos", 2, flags, |ctx| {
        let (ValueRef::Text(haystack), ValueRef::Text(needle)) = (ctx.get_raw(0), ctx.get_raw(1))
        else {
            return Ok(None);
        };
        let (haystack, needle) = (
            String::from_utf8_lossy(haystack),
            String::from_utf8_lossy(needle),
        );
        // 1-based, in characters, 0 when absent (as PostgreSQL's strpos).
        Ok(Some(haystack.find(needle.as_ref()).map_or(0, |at| {
            i64::try_from(haystack[..at].chars().count() + 1).unwrap_or(i64::MAX)
        })))
    })?;
    conn.create_scalar_function("epoch_ms", 1, flags, |ctx| {
        Ok(match ctx.get_raw(0) {
            ValueRef::Text(text) => std::str::from_utf8(text)
                .ok()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .map(|at| at.timestamp_millis()),
            _ => None,
        })
    })?;
    // The database's clock, as PostgreSQL's `clock_ms()` (migration 17): watchers' leases are
    // measured in it. Not deterministic: read anew on each call.
    conn.create_scalar_function("clock_ms", 0, FunctionFlags::SQLITE_UTF8, |_| {
        Ok(chrono::Utc::now().timestamp_millis())
    })?;
    Ok(())
}

/// PostgreSQL's `greatest` / `least`: NULL arguments are passed over; NULL only when all are.
fn pick(ctx: &Context<'_>, wanted: Ordering) -> rusqlite::Result<SqlValue> {
    let mut best: Option<ValueRef<'_>> = None;
    for i in 0..ctx.len() {
        let value = ctx.get_raw(i);
        if value == ValueRef::Null {
            continue;
        }
        best = match best {
            Some(current) if compare(value, current) != wanted => Some(current),
            _ => Some(value),
        };
    }
    Ok(match best {
        None | Some(ValueRef::Null) => SqlValue::Null,
        Some(ValueRef::Integer(v)) => SqlValue::Integer(v),
        Some(ValueRef::Real(v)) => SqlValue::Real(v),
        Some(ValueRef::Text(v)) => SqlValue::Text(String::from_utf8_lossy(v).into_owned()),
        Some(ValueRef::Blob(v)) => SqlValue::Blob(v.to_vec()),
    })
}

/// Numbers by value, text and bytes by their bytes, numbers before text before bytes (as
/// SQLite orders mixed values).
fn compare(a: ValueRef<'_>, b: ValueRef<'_>) -> Ordering {
    fn rank(v: ValueRef<'_>) -> u8 {
        match v {
            ValueRef::Null => 0,
            ValueRef::Integer(_) | ValueRef::Real(_) => 1,
            ValueRef::Text(_) => 2,
            ValueRef::Blob(_) => 3,
        }
    }
    match (a, b) {
        (ValueRef::Integer(x), ValueRef::Integer(y)) => x.cmp(&y),
        (ValueRef::Integer(x), ValueRef::Real(y)) => (x as f64).total_cmp(&y),
        (ValueRef::Real(x), ValueRef::Integer(y)) => x.total_cmp(&(y as f64)),
        (ValueRef::Real(x), ValueRef::Real(y)) => x.total_cmp(&y),
        (ValueRef::Text(x), ValueRef::Text(y)) | (ValueRef::Blob(x), ValueRef::Blob(y)) => x.cmp(y),
        (a, b) => rank(a).cmp(&rank(b)),
    }
}

fn bound<'a>(params: &'a [&'a dyn Param]) -> impl Iterator<Item = super::param::Value<'a>> + 'a {
    params.iter().map(|p| p.value())
}

pub(super) fn execute(conn: &Connection, sql: &str, params: &[&dyn Param]) -> Result<usize> {
    Ok(conn
        .prepare_cached(sql)?
        .execute(params_from_iter(bound(params)))?)
}

pub(super) fn query_opt<T>(
    conn: &Connection,
    sql: &str,
    params: &[&dyn Param],
    read: impl FnOnce(&Row<'_>) -> Result<T>,
) -> Result<Option<T>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = stmt.query(params_from_iter(bound(params)))?;
    match rows.next()? {
        Some(row) => Ok(Some(read(&Row::Sqlite(row))?)),
        None => Ok(None),
    }
}

pub(super) fn query_map<T>(
    conn: &Connection,
    sql: &str,
    params: &[&dyn Param],
    mut read: impl FnMut(&Row<'_>) -> Result<T>,
) -> Result<Vec<T>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = stmt.query(params_from_iter(bound(params)))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(read(&Row::Sqlite(row))?);
    }
    Ok(out)
}

pub(super) fn query_each(
    conn: &Connection,
    sql: &str,
    params: &[&dyn Param],
    mut each: impl FnMut(&Row<'_>) -> Result<()>,
) -> Result<()> {
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = stmt.query(params_from_iter(bound(params)))?;
    while let Some(row) = rows.next()? {
        each(&Row::Sqlite(row))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greatest_least_and_epoch_ms_answer_as_postgresql_does() {
        let conn = Connection::open_in_memory().unwrap();
        open_sqlite(&conn).unwrap();
        let one = |sql: &str| -> SqlValue { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
        assert_eq!(one("SELECT greatest(1, 5, 3)"), SqlValue::Integer(5));
        assert_eq!(one("SELECT least(1, 5, 3)"), SqlValue::Integer(1));
        assert_eq!(one("SELECT greatest(NULL, 2)"), SqlValue::Integer(2));
        assert_eq!(one("SELECT least(NULL, NULL)"), SqlValue::Null);
        assert_eq!(one("SELECT greatest(0, -2.5)"), SqlValue::Integer(0));
        assert_eq!(one("SELECT greatest('a', 'b')"), SqlValue::Text("b".into()));
        assert_eq!(
            one("SELECT epoch_ms('1970-01-01T00:00:01.500000000Z')"),
            SqlValue::Integer(1500)
        );
        assert_eq!(one("SELECT epoch_ms('yesterday')"), SqlValue::Null);
        assert_eq!(one("SELECT strpos('héllo', 'llo')"), SqlValue::Integer(3));
        assert_eq!(one("SELECT strpos('hello', 'x')"), SqlValue::Integer(0));
    }
}
