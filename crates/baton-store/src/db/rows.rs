//! Writes that a group of polls sends as few statements (PostgreSQL): [`RowsSql`], a
//! statement that writes rows given as a `VALUES` list, in one SQL text for both engines
//! (`VALUES` columns are `column1`, `column2`, … on both), or reads the rows of many keys
//! (`super::keyed_reads`). On SQLite, and on PostgreSQL outside a group, a call's rows go
//! out at once ([`super::Db::write_rows`]); inside a group they wait with the group's other
//! writes (`super::waiting`).

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

/// A statement writing rows from a `VALUES` list: `before`, the rows (`(?1, …, ?n), …`),
/// `after`; or reading the rows of many keys (`numbered`, its first column the key's number:
/// [`super::ReadAhead::read_keyed`]). It must be a `static` (its address names its kind).
#[derive(Debug)]
pub struct RowsSql {
    pub before: &'static str,
    /// Values per row.
    pub columns: usize,
    pub after: &'static str,
    /// The columns naming the row written (the conflict target of an upsert, the row an
    /// `UPDATE` changes): rows with one key never go in one statement (PostgreSQL refuses an
    /// upsert touching a row twice), and keep their order. Empty: rows never meet (an insert
    /// that skips rows already there), or the statement itself settles rows of one key.
    pub key: &'static [usize],
    /// The statement for one row (its `?N` the row's columns), where the rows are read as a
    /// table (`FROM (VALUES …)`, `WITH v AS (VALUES …)`), which SQLite builds anew at each
    /// run: outside a group (always on SQLite) a call's rows go out one by one in it. None:
    /// the rows are inserted as they are (`INSERT … VALUES`), in statements of a few sizes.
    pub one: Option<&'static str>,
    /// Each row begins with its number in the statement (1, 2, …, written in the text, not
    /// bound): a statement that settles rows of one key itself reads which came last.
    pub numbered: bool,
    /// Its rows depend on nothing the transaction wrote before them, and nothing in the
    /// transaction reads them before its commit (the change feed's rows): inside a group
    /// they go out in one statement wherever a write puts them among its other statements
    /// (`super::waiting`), rather than each sending what waits.
    pub anytime: bool,
}

/// Where a write began on a PostgreSQL connection: what was deferred and held back, the
/// round trips made, how many times what was held back went out (`PgConn::mark`).
#[derive(Debug, Clone, Copy)]
pub struct WriteMark {
    pub(crate) deferred: usize,
    pub(crate) waiting: usize,
    pub(crate) trips: u64,
    pub(crate) outs: u64,
}

/// Most rows one statement writes; more go in statements of 256, 128, … rows, so that a few
/// statement shapes serve every count (each prepared once per connection).
pub const ROWS_MOST: usize = 256;

impl RowsSql {
    /// The statement for `rows` rows: made once per size and kept (a few sizes per
    /// statement: [`statement_sizes`]), so that writing a row builds no text.
    pub fn text(&'static self, rows: usize) -> &'static str {
        static TEXTS: LazyLock<Mutex<HashMap<(usize, usize), &'static str>>> =
            LazyLock::new(Mutex::default);
        let key = (std::ptr::from_ref(self) as usize, rows);
        let mut texts = TEXTS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        texts
            .entry(key)
            .or_insert_with(|| Box::leak(self.make_text(rows).into_boxed_str()))
    }

    /// The statement for a single row.
    pub fn single(&'static self) -> &'static str {
        self.one.unwrap_or_else(|| self.text(1))
    }

    /// How a call's `rows` rows go out outside a group: each statement and how many rows it
    /// takes, in order.
    pub fn outside_a_group(&'static self, rows: usize) -> Vec<(&'static str, usize)> {
        match self.one {
            Some(one) => vec![(one, 1); rows],
            None => statement_sizes(rows)
                .into_iter()
                .map(|size| (self.text(size), size))
                .collect(),
        }
    }

    fn make_text(&self, rows: usize) -> String {
        let mut sql = String::with_capacity(self.before.len() + self.after.len() + rows * 8);
        sql.push_str(self.before);
        for row in 0..rows {
            sql.push_str(if row == 0 { " (" } else { ", (" });
            if self.numbered {
                sql.push_str(&format!("{}, ", row + 1));
            }
            for column in 0..self.columns {
                if column > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!("?{}", row * self.columns + column + 1));
            }
            sql.push(')');
        }
        sql.push(' ');
        sql.push_str(self.after);
        sql
    }
}

/// The sizes of the statements `rows` rows go out in: [`ROWS_MOST`], then powers of two.
pub fn statement_sizes(mut rows: usize) -> Vec<usize> {
    let mut sizes = Vec::new();
    while rows > 0 {
        let n = if rows >= ROWS_MOST {
            ROWS_MOST
        } else {
            1 << (usize::BITS - 1 - rows.leading_zeros())
        };
        sizes.push(n);
        rows -= n;
    }
    sizes
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// Rows inserted, skipping those there (no key): shared with `super::waiting`'s tests.
    pub(in crate::db) static B: RowsSql = RowsSql {
        before: "INSERT INTO b (k) VALUES",
        columns: 1,
        after: "ON CONFLICT DO NOTHING",
        key: &[],
        one: None,
        numbered: false,
        anytime: false,
    };

    /// Rows upserted by key: shared with `super::waiting`'s tests.
    pub(in crate::db) static A: RowsSql = RowsSql {
        before: "INSERT INTO a (k, n) VALUES",
        columns: 2,
        after: "ON CONFLICT (k) DO UPDATE SET n = a.n + excluded.n",
        key: &[0],
        one: None,
        numbered: false,
        anytime: false,
    };

    static C: RowsSql = RowsSql {
        before: "UPDATE c SET n = v.column2 FROM (VALUES",
        columns: 2,
        after: ") AS v WHERE c.k = v.column1",
        key: &[0],
        one: Some("UPDATE c SET n = ?2 WHERE k = ?1"),
        numbered: false,
        anytime: false,
    };

    #[test]
    fn the_text_lists_every_row() {
        assert_eq!(
            A.text(2),
            "INSERT INTO a (k, n) VALUES (?1, ?2), (?3, ?4) \
             ON CONFLICT (k) DO UPDATE SET n = a.n + excluded.n"
        );
        assert_eq!(statement_sizes(0), Vec::<usize>::new());
        assert_eq!(statement_sizes(5), vec![4, 1]);
        assert_eq!(statement_sizes(600), vec![256, 256, 64, 16, 8]);
        // Rows read as a table go out one by one outside a group, in their single-row form.
        assert_eq!(
            B.outside_a_group(5).iter().map(|s| s.1).collect::<Vec<_>>(),
            [4, 1]
        );
        assert_eq!(
            C.outside_a_group(3),
            vec![("UPDATE c SET n = ?2 WHERE k = ?1", 1); 3]
        );
        assert_eq!(C.single(), "UPDATE c SET n = ?2 WHERE k = ?1");
    }
}
