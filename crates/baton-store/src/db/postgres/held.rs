//! What a group's writes hold back (`crate::db::waiting`): rows and deferred statements wait
//! until something goes to the server, then go out kind by kind, the rows of a kind in one
//! statement; and where a write began, so that it can be undone by dropping what it deferred.

use super::{Later, PgConn};
use crate::db::param::{Held, Param, Value};
use crate::db::rows::{RowsSql, WriteMark};
use crate::db::waiting::{Entry, Planned};
use crate::error::Result;

impl PgConn {
    /// Turns what the writes held back into the statements that send it (the rows of a kind
    /// together), after what was deferred before them. Preparing a statement the first time
    /// is no round trip of its own (`super::prepared`).
    pub(crate) fn send_waiting(&self) -> Result<()> {
        let planned = {
            let mut state = self.state.borrow_mut();
            if state.waiting.is_empty() {
                return Ok(());
            }
            state.outs += 1;
            state.waiting.plan()
        };
        for step in planned {
            let later = match step {
                Planned::Statement(later) => later,
                Planned::Rows(sql, values, kinds) => Later::bound(self.target(sql, &kinds), values),
            };
            self.state.borrow_mut().deferred.push(later);
        }
        Ok(())
    }

    /// Holds `entry` back with what the writes deferred (what waits goes out first when the
    /// entry cannot go after it in the write's order).
    pub(super) fn hold(&self, entry: Entry<Later>) -> Result<()> {
        let Some(entry) = self.state.borrow_mut().waiting.push(entry) else {
            return Ok(());
        };
        self.send_waiting()?;
        let refused = self.state.borrow_mut().waiting.push(entry);
        debug_assert!(refused.is_none(), "nothing waits: anything goes");
        Ok(())
    }

    /// True when a deferred write waits to go out with others of its kind: inside a
    /// transaction, not alone, on a connection that prepares its statements.
    pub(super) fn holds_back(&self) -> bool {
        let state = self.state.borrow();
        state.in_transaction && !state.alone && !self.one_shot
    }

    /// Writes rows of `sql` (`values`: every row's, one after another). Held back with the
    /// other writes' rows of `sql` while [`PgConn::holds_back`]; otherwise as
    /// [`PgConn::execute_later`] ([`RowsSql::outside_a_group`]).
    pub(crate) fn write_rows(&self, sql: &'static RowsSql, values: &[Value<'_>]) -> Result<()> {
        if self.holds_back() {
            for row in values.chunks(sql.columns) {
                let held = row.iter().map(|v| Held::of(*v)).collect();
                self.hold(Entry::Row(sql, held))?;
            }
            return Ok(());
        }
        let mut at = 0;
        for (text, size) in sql.outside_a_group(values.len() / sql.columns) {
            let end = at + size * sql.columns;
            let chunk: Vec<&dyn Param> = values[at..end].iter().map(|v| v as &dyn Param).collect();
            self.execute_later(text, &chunk)?;
            at = end;
        }
        Ok(())
    }

    /// A new write of a group begins: the order of its statements is its own.
    pub(crate) fn write_begins(&self) {
        self.state.borrow_mut().waiting.write_begins();
    }

    /// Where a write begins: what is deferred and held back so far, the round trips made and
    /// how many times what was held back went out.
    pub(crate) fn mark(&self) -> WriteMark {
        let state = self.state.borrow();
        WriteMark {
            deferred: state.deferred.len(),
            waiting: state.waiting.len(),
            trips: state.trips,
            outs: state.outs,
        }
    }

    /// Round trips made so far.
    pub(crate) fn trips(&self) -> u64 {
        self.state.borrow().trips
    }

    /// Statements sent so far (reads and writes; not `BEGIN`, savepoints, the commit).
    pub(crate) fn statements_sent(&self) -> u64 {
        self.state.borrow().sent
    }

    /// Undoes the write begun at `mark` by dropping what it deferred; false when some of it
    /// (or anything else) reached the server since, or what was held back left for the
    /// statements that send it: only a savepoint can undo it then.
    pub(crate) fn undo(&self, mark: WriteMark) -> bool {
        let mut state = self.state.borrow_mut();
        if state.trips != mark.trips
            || state.outs != mark.outs
            || state.deferred.len() < mark.deferred
            || state.waiting.len() < mark.waiting
        {
            return false;
        }
        state.deferred.truncate(mark.deferred);
        state.waiting.truncate(mark.waiting);
        true
    }
}
