//! Long agent text kept once (schema version 10): an event's `message` or a task's `detail` of
//! [`KEPT_ONCE_FROM`] bytes or more lives in `texts`, found by its SHA-256, and the rows refer to
//! it. An agent repeating one text (as a task's detail, in the event that asks for approval, in
//! every poll) takes its space once; a text nothing refers to any more is forgotten.

use crate::db::{params, Db};
use sha2::{Digest, Sha256};

use crate::error::Result;

/// Texts this long or longer are kept once; shorter ones stay in their row (a reference would
/// save nothing).
pub const KEPT_ONCE_FROM: usize = 256;

/// Whether `text` is long enough to be kept once.
pub(crate) fn kept_once(text: &str) -> bool {
    text.len() >= KEPT_ONCE_FROM
}

/// The id of `body` in `texts`, stored now if it was not there.
pub(crate) fn keep(conn: &Db, body: &str) -> Result<i64> {
    let hash = Sha256::digest(body.as_bytes()).to_vec();
    let found = conn.query_opt(
        "SELECT id FROM texts WHERE hash = ?1",
        params![&hash],
        |row| row.get(0),
    )?;
    if let Some(id) = found {
        return Ok(id);
    }
    conn.query_row(
        "INSERT INTO texts (hash, body) VALUES (?1, ?2) RETURNING id",
        params![hash, body],
        |row| row.get(0),
    )
}

/// Forgets text `id` when no event, task or task version refers to it any more.
pub(crate) fn forget_if_unused(conn: &Db, id: i64) -> Result<()> {
    conn.execute_later(
        "DELETE FROM texts WHERE id = ?1
            AND NOT EXISTS (SELECT 1 FROM events WHERE message_text = ?1)
            AND NOT EXISTS (SELECT 1 FROM tasks WHERE detail_text = ?1)
            AND NOT EXISTS (SELECT 1 FROM task_history WHERE detail_text = ?1)",
        params![id],
    )
}

/// Forgets every text nothing refers to (after rows were deleted in bulk, e.g. an agent
/// removed with its tasks and events). Returns how many.
pub(crate) fn forget_unused(conn: &Db) -> Result<usize> {
    conn.execute(
        "DELETE FROM texts
          WHERE NOT EXISTS (SELECT 1 FROM events WHERE message_text = texts.id)
            AND NOT EXISTS (SELECT 1 FROM tasks WHERE detail_text = texts.id)
            AND NOT EXISTS (SELECT 1 FROM task_history WHERE detail_text = texts.id)",
        params![],
    )
}

impl crate::Store {
    /// Where `text` is stored: `table.column` once for every row that holds it (views left
    /// out). What the tests of "kept once" read; a full scan of every table.
    pub fn rows_holding(&self, text: &str) -> Result<Vec<String>> {
        let mut found = Vec::new();
        for (table, columns) in self.db.tables()? {
            for column in columns {
                let rows: i64 = self.db.query_row(
                    &format!(
                        "SELECT count(*) FROM \"{table}\" WHERE strpos(CAST(\"{column}\" AS TEXT), ?1) > 0"
                    ),
                    params![text],
                    |row| row.get(0),
                )?;
                found.extend((0..rows).map(|_| format!("{table}.{column}")));
            }
        }
        Ok(found)
    }
}
