//! Tasks: stored per (agent, task id) (`stored`: as a poll reports them); read back as board
//! cards and column counts.

use std::collections::HashMap;

use crate::db::{as_params, params, Row, Value};

use baton_core::views::{ColumnCounts, TaskCard, FINISHED_CARDS_KEPT};

use crate::codec::{parse_json_list, parse_task_state, parse_ts};
use crate::error::Result;
use crate::Store;

mod as_reported;
mod stored;
pub use as_reported::StoredAsReported;
pub(crate) use stored::{
    stored_tasks_reads, task_detail, upsert_task, upsert_task_known, StoredTasks,
};

const CARD_SELECT: &str = concat!(
    "SELECT t.agent_id, a.name, t.task_id, t.title, t.state, t.state_since, t.updated_at,
            t.depends_on, ",
    task_detail!(),
    " FROM tasks t JOIN agents a ON a.id = t.agent_id"
);

/// A board card from a row of the board's columns (`CARD_SELECT`'s order).
pub(crate) fn read_card(row: &Row<'_>) -> Result<TaskCard> {
    let state = parse_task_state(&row.get::<String>(4)?)?;
    Ok(TaskCard {
        agent_id: row.get(0)?,
        agent_name: row.get(1)?,
        task_id: row.get(2)?,
        title: row.get(3)?,
        state,
        column: state.column(),
        state_since: parse_ts(&row.get::<String>(5)?)?,
        updated_at: parse_ts(&row.get::<String>(6)?)?,
        depends_on: parse_json_list(&row.get::<String>(7)?)?,
        detail: row.get(8)?,
    })
}

/// Sorts cards the way [`Store::task_cards`] returns them.
pub(crate) fn sort_cards(cards: &mut [TaskCard]) {
    cards.sort_by(|a, b| {
        (a.state_since, a.agent_id, &a.task_id).cmp(&(b.state_since, b.agent_id, &b.task_id))
    });
}

impl Store {
    /// The board's cards (one agent's, or everyone's), ordered by `state_since`, oldest first.
    pub fn task_cards(&self, agent: Option<i64>) -> Result<Vec<TaskCard>> {
        // Every unfinished task, and the latest of each finished column.
        let sql = |filter: &str| {
            format!(
                "SELECT * FROM (SELECT * FROM ({CARD_SELECT}
                     WHERE t.state NOT IN ('completed', 'failed', 'canceled', 'rejected') {filter})
                         AS open_cards) AS unfinished
                 UNION ALL
                 SELECT * FROM ({CARD_SELECT} WHERE t.state = 'completed' {filter}
                     ORDER BY t.state_since DESC LIMIT ?1) AS done
                 UNION ALL
                 SELECT * FROM ({CARD_SELECT}
                     WHERE t.state IN ('failed', 'canceled', 'rejected') {filter}
                     ORDER BY t.state_since DESC LIMIT ?1) AS failed
                 ORDER BY 6, 1, 3"
            )
        };
        let kept = i64::try_from(FINISHED_CARDS_KEPT).unwrap_or(i64::MAX);
        match agent {
            Some(id) => {
                self.db
                    .query_map(&sql("AND t.agent_id = ?2"), params![kept, id], read_card)
            }
            None => self.db.query_map(&sql(""), params![kept], read_card),
        }
    }

    /// The cards of agent `agent`'s tasks named in `task_ids` (those it still has), in the
    /// board's order: what a change feed's `task` rows point at.
    pub fn task_cards_named(&self, agent: i64, task_ids: &[String]) -> Result<Vec<TaskCard>> {
        if task_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut values = vec![Value::Int(agent)];
        values.extend(task_ids.iter().map(|id| Value::Text(id)));
        let list: Vec<String> = (2..=values.len()).map(|i| format!("?{i}")).collect();
        let mut cards = self.db.query_map(
            &format!(
                "{CARD_SELECT} WHERE t.agent_id = ?1 AND t.task_id IN ({})",
                list.join(", ")
            ),
            &as_params(&values),
            read_card,
        )?;
        sort_cards(&mut cards);
        Ok(cards)
    }

    /// Tasks per board column (one agent's, or everyone's).
    pub fn column_counts(&self, agent: Option<i64>) -> Result<ColumnCounts> {
        let mut counts = self.counts_by_agent(agent)?;
        Ok(match agent {
            Some(id) => counts.remove(&id).unwrap_or_default(),
            None => counts
                .into_values()
                .fold(ColumnCounts::default(), |mut total, c| {
                    total.queued = total.queued.saturating_add(c.queued);
                    total.working = total.working.saturating_add(c.working);
                    total.needs_human = total.needs_human.saturating_add(c.needs_human);
                    total.blocked = total.blocked.saturating_add(c.blocked);
                    total.done = total.done.saturating_add(c.done);
                    total.failed = total.failed.saturating_add(c.failed);
                    total
                }),
        })
    }

    /// Column counts per agent (only agents that have tasks appear).
    pub(crate) fn counts_by_agent(&self, agent: Option<i64>) -> Result<HashMap<i64, ColumnCounts>> {
        let sql = match agent {
            Some(_) => {
                "SELECT agent_id, state, count(*) FROM tasks WHERE agent_id = ?1
                         GROUP BY agent_id, state"
            }
            None => "SELECT agent_id, state, count(*) FROM tasks GROUP BY agent_id, state",
        };
        let bound: Vec<Value> = agent.into_iter().map(Value::Int).collect();
        let mut out: HashMap<i64, ColumnCounts> = HashMap::new();
        self.db.query_each(sql, &as_params(&bound), |row| {
            let agent_id: i64 = row.get(0)?;
            let state = parse_task_state(&row.get::<String>(1)?)?;
            let n: i64 = row.get(2)?;
            out.entry(agent_id)
                .or_default()
                .add(state.column(), u32::try_from(n).unwrap_or(u32::MAX));
            Ok(())
        })?;
        Ok(out)
    }
}
