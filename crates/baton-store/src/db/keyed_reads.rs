//! A group's keyed reads of one kind in one statement (PostgreSQL).
//!
//! A read listed with [`super::ReadAhead::read_keyed`] reads the rows of one key (an agent,
//! its manifest, a usage window), one listed with [`super::ReadAhead::read_keyed_in`] those of
//! several (a poll's stored tasks, its events' `seq`s), through a [`RowsSql`] that reads many:
//! the keys as numbered `VALUES` rows, each row read coming back with its key's number first.
//! When a group of polls lists several reads of one kind, [`plan`] makes them one statement
//! (in sizes of 256, 128, …, so that a few shapes are prepared) and says which read each
//! number stands for; a kind read once, and every read on SQLite (where a read costs no round
//! trip and a `VALUES` table is built at each run), goes out alone in its own form (one key,
//! or an `IN (…)` list).
//!
//! The many-key forms read each key in a `LATERAL (… OFFSET 0)` subquery (PostgreSQL only,
//! as they are): a plain join let the planner of a fresh store, without statistics yet, hash
//! the whole table for a few dozen keys (`events` scanned 2,300 times in 20 s, 117 M rows,
//! at 1,000 agents); the fence makes it look each key up by its index.

use std::borrow::Cow;
use std::collections::HashMap;

use super::param::Held;
use super::rows::{statement_sizes, RowsSql};

/// The most values one `IN (…)` list of [`super::ReadAhead::read_in`] holds.
pub const IN_LIST_MOST: usize = 256;

/// One read listed.
#[derive(Debug)]
pub(super) enum Listed {
    /// A statement and its values.
    Plain(String, Vec<Held>),
    /// A read of one key: a [`RowsSql`] read's key values.
    Keyed(&'static RowsSql, Vec<Held>),
    /// A read of several keys: the values before them, then the keys.
    KeyedIn(&'static KeyedIn, Vec<Held>, Vec<Held>),
}

/// A read of the rows of several keys (`IN (…)`) that a group's writes each make
/// ([`super::ReadAhead::read_keyed_in`]).
#[derive(Debug)]
pub struct KeyedIn {
    /// The read for many writes' keys: each key a numbered row of `VALUES` (the values before
    /// the keys, then the key), its rows' first column the key's number.
    pub many: RowsSql,
    /// The read for one write's keys: the text around the `IN (…)` list it is given, after
    /// the values before the keys (as [`super::ReadAhead::read_in`]).
    pub alone: fn(&str) -> String,
}

/// A statement to run for the reads listed, and whose rows its rows are.
#[derive(Debug)]
pub(super) struct Planned<'a> {
    pub sql: Cow<'a, str>,
    pub values: Vec<Held>,
    pub route: Route,
}

/// Whose rows a planned statement's rows are.
#[derive(Debug, PartialEq)]
pub(super) enum Route {
    /// All of them are read `n`'s (as listed).
    Whole(usize),
    /// Each row's first column is its key's number (from 1): the read it is for.
    Numbered(Vec<usize>),
}

/// The statement that reads many keys for a keyed read.
fn many_of(read: &Listed) -> Option<&'static RowsSql> {
    match read {
        Listed::Plain(..) => None,
        Listed::Keyed(sql, _) => Some(sql),
        Listed::KeyedIn(sql, ..) => Some(&sql.many),
    }
}

/// The statements for `reads`, in the order their first read was listed; `together`: the keyed
/// reads of one kind go out as one (PostgreSQL) when more than one write lists them.
pub(super) fn plan(reads: &[Listed], together: bool) -> Vec<Planned<'_>> {
    // The reads of each keyed kind, by the address of its statement.
    let mut kinds: HashMap<usize, Vec<usize>> = HashMap::new();
    if together {
        for (i, read) in reads.iter().enumerate() {
            if let Some(sql) = many_of(read) {
                kinds
                    .entry(std::ptr::from_ref(sql) as usize)
                    .or_default()
                    .push(i);
            }
        }
    }
    let mut planned = Vec::with_capacity(reads.len());
    for (i, read) in reads.iter().enumerate() {
        let listed = many_of(read)
            .and_then(|sql| kinds.get(&(std::ptr::from_ref(sql) as usize)))
            .filter(|listed| listed.len() > 1);
        match (read, listed) {
            (Listed::Plain(sql, values), _) => planned.push(Planned {
                sql: Cow::Borrowed(sql),
                values: values.clone(),
                route: Route::Whole(i),
            }),
            (_, Some(listed)) => {
                if listed[0] == i {
                    planned.extend(together_in(listed, reads));
                }
            }
            (Listed::Keyed(sql, values), None) => planned.push(Planned {
                sql: Cow::Borrowed(sql.single()),
                values: values.clone(),
                route: Route::Whole(i),
            }),
            (Listed::KeyedIn(sql, fixed, keys), None) => {
                planned.extend(in_lists(sql.alone, fixed, keys, i));
            }
        }
    }
    planned
}

/// The statements reading the keys of reads `listed` (all of one kind), a row per key.
fn together_in(listed: &[usize], reads: &[Listed]) -> Vec<Planned<'static>> {
    // Each key's values, and the read it is for.
    let mut keys: Vec<(Vec<Held>, usize)> = Vec::new();
    let mut sql = None;
    for &i in listed {
        match &reads[i] {
            Listed::Plain(..) => {}
            Listed::Keyed(many, values) => {
                sql = Some(*many);
                keys.push((values.clone(), i));
            }
            Listed::KeyedIn(many, fixed, these) => {
                sql = Some(&many.many);
                for key in these {
                    let mut values = fixed.clone();
                    values.push(key.clone());
                    keys.push((values, i));
                }
            }
        }
    }
    let Some(sql) = sql else { return Vec::new() };
    let mut statements = Vec::new();
    let mut rest = keys.into_iter();
    for size in statement_sizes(rest.len()) {
        let these: Vec<(Vec<Held>, usize)> = rest.by_ref().take(size).collect();
        statements.push(Planned {
            sql: Cow::Borrowed(sql.text(size)),
            route: Route::Numbered(these.iter().map(|(_, read)| *read).collect()),
            values: these.into_iter().flat_map(|(values, _)| values).collect(),
        });
    }
    statements
}

/// One write's read of several keys as `IN (…)` lists of at most [`IN_LIST_MOST`] values,
/// each padded to a power of two with its last key (a few shapes for every length).
pub(super) fn in_lists(
    alone: impl Fn(&str) -> String,
    fixed: &[Held],
    keys: &[Held],
    read: usize,
) -> Vec<Planned<'static>> {
    keys.chunks(IN_LIST_MOST)
        .map(|chunk| {
            let width = chunk.len().next_power_of_two();
            let list: Vec<String> = (0..width)
                .map(|i| format!("?{}", fixed.len() + 1 + i))
                .collect();
            let mut values = fixed.to_vec();
            let last = &chunk[chunk.len() - 1];
            values.extend((0..width).map(|i| chunk.get(i).unwrap_or(last).clone()));
            Planned {
                sql: Cow::Owned(alone(&list.join(", "))),
                values,
                route: Route::Whole(read),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    static ONE: RowsSql = RowsSql {
        before: "SELECT v.column1, t.x FROM (VALUES",
        columns: 1,
        after: ") AS v JOIN t ON t.k = v.column2",
        key: &[],
        one: Some("SELECT x FROM t WHERE k = ?1"),
        numbered: true,
        anytime: false,
    };

    fn keyed(k: i64) -> Listed {
        Listed::Keyed(&ONE, vec![Held::Int(k)])
    }

    fn plain() -> Listed {
        Listed::Plain("SELECT 1".into(), Vec::new())
    }

    #[test]
    fn keyed_reads_of_one_kind_go_out_as_one_statement_numbered_in_listed_order() {
        let reads = vec![keyed(7), plain(), keyed(8), keyed(9), plain()];
        let planned = plan(&reads, true);
        let shapes: Vec<(&str, &Route)> =
            planned.iter().map(|p| (p.sql.as_ref(), &p.route)).collect();
        assert_eq!(
            shapes,
            [
                (ONE.text(2), &Route::Numbered(vec![0, 2])),
                (ONE.text(1), &Route::Numbered(vec![3])),
                ("SELECT 1", &Route::Whole(1)),
                ("SELECT 1", &Route::Whole(4)),
            ]
        );
        assert_eq!(
            ONE.text(2),
            "SELECT v.column1, t.x FROM (VALUES (1, ?1), (2, ?2) ) AS v JOIN t ON t.k = v.column2"
        );
        assert_eq!(planned[0].values, [Held::Int(7), Held::Int(8)]);
        assert_eq!(planned[1].values, [Held::Int(9)]);
    }

    static IN: KeyedIn = KeyedIn {
        many: RowsSql {
            before: "SELECT v.column1, t.k FROM (VALUES",
            columns: 2,
            after: ") AS v JOIN t ON t.a = v.column2 AND t.k = v.column3",
            key: &[],
            one: None,
            numbered: true,
            anytime: false,
        },
        alone: |list| format!("SELECT k FROM t WHERE a = ?1 AND k IN ({list})"),
    };

    fn keyed_in(a: i64, keys: &[i64]) -> Listed {
        Listed::KeyedIn(
            &IN,
            vec![Held::Int(a)],
            keys.iter().map(|k| Held::Int(*k)).collect(),
        )
    }

    #[test]
    fn reads_of_several_keys_go_out_a_row_per_key_together_or_as_in_lists_alone() {
        let reads = vec![
            keyed_in(1, &[10, 11, 12]),
            keyed_in(2, &[]),
            keyed_in(3, &[30]),
        ];
        let together = plan(&reads, true);
        assert_eq!(together.len(), 1);
        assert_eq!(together[0].sql, IN.many.text(4));
        assert_eq!(together[0].route, Route::Numbered(vec![0, 0, 0, 2]));
        let ints = |p: &Planned<'_>| -> Vec<Held> { p.values.clone() };
        assert_eq!(
            ints(&together[0]),
            [1, 10, 1, 11, 1, 12, 3, 30].map(Held::Int).to_vec()
        );
        // Alone: an IN list padded to a power of two with its last key; no keys, no read.
        let alone = plan(&reads, false);
        let shapes: Vec<(&str, &Route)> =
            alone.iter().map(|p| (p.sql.as_ref(), &p.route)).collect();
        assert_eq!(
            shapes,
            [
                (
                    "SELECT k FROM t WHERE a = ?1 AND k IN (?2, ?3, ?4, ?5)",
                    &Route::Whole(0)
                ),
                (
                    "SELECT k FROM t WHERE a = ?1 AND k IN (?2)",
                    &Route::Whole(2)
                ),
            ]
        );
        assert_eq!(ints(&alone[0]), [1, 10, 11, 12, 12].map(Held::Int).to_vec());
    }

    #[test]
    fn a_kind_read_once_and_every_read_on_sqlite_go_out_alone() {
        let reads = vec![keyed(7), plain(), keyed(8)];
        let alone = plan(&reads, false);
        let shapes: Vec<(&str, &Route)> =
            alone.iter().map(|p| (p.sql.as_ref(), &p.route)).collect();
        assert_eq!(
            shapes,
            [
                ("SELECT x FROM t WHERE k = ?1", &Route::Whole(0)),
                ("SELECT 1", &Route::Whole(1)),
                ("SELECT x FROM t WHERE k = ?1", &Route::Whole(2)),
            ]
        );
        let once = plan(&reads[..2], true);
        assert_eq!(once[0].sql, "SELECT x FROM t WHERE k = ?1");
        assert_eq!(once[0].route, Route::Whole(0));
    }
}
