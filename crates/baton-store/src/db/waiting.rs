//! What a group's writes hold back on PostgreSQL ([`Waiting`]), until something goes to the
//! server: the rows of one [`RowsSql`] of every write of the group then go out as one
//! statement (a few when a row's key repeats), and the other deferred statements each as
//! they are, kind by kind ([`Waiting::plan`]).
//!
//! Kinds go out in an order every write of the group agrees with (a write's statements of two
//! kinds keep their order; when a write asks for the opposite order of an earlier one, what
//! waits goes out first, [`Waiting::push`] says so). Statements of one kind keep their order
//! where they write one row (one key); statements of different kinds of different writes may
//! change places: the writes of a group are polls of different agents, and what one writes no
//! other of the group reads (`crate::writer`'s groups).

use std::collections::HashMap;

use super::param::{Held, Kind};
use super::rows::{statement_sizes, RowsSql};

/// What a deferred statement is, for [`Waiting`]: rows of a [`RowsSql`], or a statement of its
/// own (its SQL text names its kind).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum KindOf {
    Rows(usize),
    Statement(String),
}

/// One thing deferred.
#[derive(Debug)]
pub(crate) enum Entry<S> {
    Row(&'static RowsSql, Vec<Held>),
    Statement(String, S),
}

/// What goes out, in order: a statement for some rows (its text and values), or a statement
/// deferred as it was.
#[derive(Debug)]
pub(crate) enum Planned<S> {
    Rows(&'static str, Vec<Held>, Vec<Kind>),
    Statement(S),
}

/// What a group's writes deferred (see the module docs). `S` is a statement as the
/// connection defers it.
#[derive(Debug)]
pub(crate) struct Waiting<S> {
    entries: Vec<(KindOf, Entry<S>)>,
    /// The kinds, in the order they go out.
    order: Vec<KindOf>,
    /// Where the kind of the write's last entry stands in `order`.
    last: Option<usize>,
}

impl<S> Default for Waiting<S> {
    fn default() -> Self {
        Waiting {
            entries: Vec::new(),
            order: Vec::new(),
            last: None,
        }
    }
}

impl<S> Waiting<S> {
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Takes back what came after the first `len` entries (a write undone).
    pub(crate) fn truncate(&mut self, len: usize) {
        self.entries.truncate(len);
    }

    /// A new write begins: its order of kinds is its own.
    pub(crate) fn write_begins(&mut self) {
        self.last = None;
    }

    /// Holds `entry` back; gives it back when it cannot go after what waits in the write's
    /// order (what waits must go out first: [`Waiting::plan`]). A kind new to the group goes
    /// right after the write's last one, and in front of every kind when it is the write's
    /// first: the writes of a group end alike (health, counts, the feed), and a write that
    /// put those first (a failed poll writes only them) must not hold up every later one.
    ///
    /// Rows of a [`RowsSql::anytime`] kind take no part in the write's order: they join their
    /// kind wherever it stands, and the write's next kinds order after what came before them.
    pub(crate) fn push(&mut self, entry: Entry<S>) -> Option<Entry<S>> {
        let (kind, anytime) = match &entry {
            Entry::Row(sql, _) => (KindOf::Rows(std::ptr::from_ref(*sql) as usize), sql.anytime),
            Entry::Statement(text, _) => (KindOf::Statement(text.clone()), false),
        };
        let at = match self.order.iter().position(|k| *k == kind) {
            Some(_) if anytime => None,
            Some(at) if self.last.is_some_and(|last| at < last) => return Some(entry),
            Some(at) => Some(at),
            None => {
                let at = self.last.map_or(0, |last| last + 1);
                self.order.insert(at, kind.clone());
                (!anytime).then_some(at)
            }
        };
        if let Some(at) = at {
            self.last = Some(at);
        }
        self.entries.push((kind, entry));
        None
    }

    /// Everything waiting, in the order it goes out, and nothing left: kind by kind; the rows
    /// of a kind in statements of [`statement_sizes`], a row whose key came before in the
    /// next statement.
    pub(crate) fn plan(&mut self) -> Vec<Planned<S>> {
        let entries = std::mem::take(&mut self.entries);
        let order = std::mem::take(&mut self.order);
        self.last = None;
        let rank: HashMap<&KindOf, usize> = order.iter().enumerate().map(|(i, k)| (k, i)).collect();
        let mut by_kind: Vec<Vec<Entry<S>>> = (0..order.len()).map(|_| Vec::new()).collect();
        for (kind, entry) in entries {
            by_kind[rank[&kind]].push(entry);
        }
        let mut planned = Vec::new();
        for entries in by_kind {
            let mut layers: Vec<Vec<Vec<Held>>> = Vec::new();
            let mut seen: HashMap<Vec<KeyPart>, usize> = HashMap::new();
            let mut rows_sql = None;
            for entry in entries {
                match entry {
                    Entry::Statement(_, statement) => planned.push(Planned::Statement(statement)),
                    Entry::Row(sql, values) => {
                        rows_sql = Some(sql);
                        let layer = if sql.key.is_empty() {
                            0
                        } else {
                            let times = seen.entry(key_of(&values, sql.key)).or_insert(0);
                            *times += 1;
                            *times - 1
                        };
                        if layers.len() <= layer {
                            layers.resize_with(layer + 1, Vec::new);
                        }
                        layers[layer].push(values);
                    }
                }
            }
            let Some(sql) = rows_sql else { continue };
            for rows in layers {
                let mut rows = rows.into_iter();
                for size in statement_sizes(rows.len()) {
                    let values: Vec<Held> = rows.by_ref().take(size).flatten().collect();
                    let kinds = values.iter().map(kind_of).collect();
                    planned.push(Planned::Rows(sql.text(size), values, kinds));
                }
            }
        }
        planned
    }
}

fn kind_of(value: &Held) -> Kind {
    match value {
        Held::Null(kind) => *kind,
        Held::Int(_) => Kind::Int,
        Held::Real(_) => Kind::Real,
        Held::Text(_) => Kind::Text,
        Held::Blob(_) => Kind::Blob,
    }
}

/// A value of a row's key, comparable.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum KeyPart {
    Null,
    Int(i64),
    Real(u64),
    Text(String),
    Blob(Vec<u8>),
}

fn key_of(values: &[Held], key: &[usize]) -> Vec<KeyPart> {
    key.iter()
        .map(|&i| match values.get(i) {
            None | Some(Held::Null(_)) => KeyPart::Null,
            Some(Held::Int(v)) => KeyPart::Int(*v),
            Some(Held::Real(v)) => KeyPart::Real(v.to_bits()),
            Some(Held::Text(v)) => KeyPart::Text(v.clone()),
            Some(Held::Blob(v)) => KeyPart::Blob(v.clone()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::rows::tests::{A, B};

    fn row(sql: &'static RowsSql, k: i64) -> Entry<&'static str> {
        Entry::Row(sql, (0..sql.columns).map(|_| Held::Int(k)).collect())
    }

    fn shapes(planned: &[Planned<&'static str>]) -> Vec<String> {
        planned
            .iter()
            .map(|p| match p {
                Planned::Rows(sql, values, _) => format!("{}x{}", &sql[12..13], values.len()),
                Planned::Statement(s) => (*s).to_owned(),
            })
            .collect()
    }

    #[test]
    fn rows_of_many_writes_go_out_kind_by_kind() {
        let mut waiting = Waiting::default();
        for k in 0..3 {
            waiting.write_begins();
            assert!(waiting.push(row(&A, k)).is_none());
            assert!(waiting
                .push(Entry::Statement("UPDATE x".into(), "x"))
                .is_none());
            assert!(waiting.push(row(&B, k)).is_none());
        }
        assert_eq!(
            shapes(&waiting.plan()),
            ["ax4", "ax2", "x", "x", "x", "bx2", "bx1"]
        );
        assert!(waiting.is_empty());
    }

    #[test]
    fn a_key_written_twice_goes_in_a_second_statement_after_the_first() {
        let mut waiting = Waiting::default();
        for k in [1, 2, 1, 1] {
            waiting.write_begins();
            assert!(waiting.push(row(&A, k)).is_none());
        }
        let planned = waiting.plan();
        assert_eq!(shapes(&planned), ["ax4", "ax2", "ax2"]);
        let Planned::Rows(_, values, _) = &planned[0] else {
            panic!("rows")
        };
        assert_eq!(
            values,
            &[Held::Int(1), Held::Int(1), Held::Int(2), Held::Int(2)]
        );
    }

    #[test]
    fn a_write_whose_first_kinds_are_new_goes_in_front_of_what_others_wrote_last() {
        // The writes of a group end with the same kinds (their health, their counts); one
        // that wrote only those (a failed poll) must not make every later write of the group
        // wait: each new write's first kinds go in front of them.
        let mut waiting = Waiting::default();
        waiting.write_begins();
        assert!(waiting.push(row(&B, 0)).is_none());
        for k in 1..4 {
            waiting.write_begins();
            assert!(waiting.push(row(&A, k)).is_none());
            assert!(waiting.push(row(&B, k)).is_none());
        }
        assert_eq!(shapes(&waiting.plan()), ["ax4", "ax2", "bx4"]);
    }

    /// Rows for the feed (`anytime`): shared by no other test.
    static F: RowsSql = RowsSql {
        before: "INSERT INTO f (k) VALUES",
        columns: 1,
        after: "",
        key: &[],
        one: None,
        numbered: false,
        anytime: true,
    };

    #[test]
    fn rows_that_go_anytime_send_nothing_wherever_a_write_puts_them() {
        // Each write records a change after each of its kinds (a settled request: the task,
        // then its item, then its findings): no write sends what waits, and the feed's rows
        // go out in one statement, after the kinds of the writes.
        let mut waiting = Waiting::default();
        for k in 0..4 {
            waiting.write_begins();
            for entry in [row(&A, k), row(&F, k), row(&B, k), row(&F, k + 10)] {
                assert!(waiting.push(entry).is_none(), "write {k}");
            }
        }
        assert_eq!(shapes(&waiting.plan()), ["ax8", "bx4", "fx8"]);
        // Rows of an ordered kind still keep the order of the writes around them.
        let mut waiting = Waiting::default();
        waiting.write_begins();
        assert!(waiting.push(row(&A, 1)).is_none());
        assert!(waiting.push(row(&F, 1)).is_none());
        assert!(waiting.push(row(&B, 1)).is_none());
        waiting.write_begins();
        assert!(waiting.push(row(&B, 2)).is_none());
        assert!(waiting.push(row(&F, 2)).is_none());
        assert!(
            waiting.push(row(&A, 2)).is_some(),
            "A after B: what waits goes first"
        );
    }

    #[test]
    fn a_write_in_the_other_order_waits_for_what_is_there() {
        let mut waiting = Waiting::default();
        waiting.write_begins();
        assert!(waiting.push(row(&A, 1)).is_none());
        assert!(waiting.push(row(&B, 1)).is_none());
        waiting.write_begins();
        assert!(waiting.push(row(&B, 2)).is_none());
        // A after B in this write: A's rows so far would go out before it.
        assert!(waiting.push(row(&A, 2)).is_some());
        // A kind new to the group goes after the write's last one.
        let mut fresh = Waiting::default();
        fresh.write_begins();
        assert!(fresh.push(row(&A, 1)).is_none());
        assert!(fresh
            .push(Entry::Statement("UPDATE y".into(), "y"))
            .is_none());
        fresh.write_begins();
        assert!(fresh.push(row(&A, 2)).is_none());
        assert!(fresh.push(row(&B, 2)).is_none());
        assert!(fresh
            .push(Entry::Statement("UPDATE y".into(), "y"))
            .is_none());
        assert_eq!(shapes(&fresh.plan()), ["ax4", "bx1", "y", "y"]);
    }
}
