//! Tasks: stored per (agent, task id); read back as board cards and column counts.

use std::collections::HashMap;

use crate::db::{
    as_params, params, Db, KeyedIn, ReadAhead, ReadRows, Row, RowValues, RowsSql, Value,
};

use baton_core::protocol::Task;
use baton_core::task::TaskState;
use baton_core::views::{ColumnCounts, TaskCard, FINISHED_CARDS_KEPT};
use chrono::{DateTime, Utc};

use crate::codec::{json_list, opt_ts, parse_json_list, parse_task_state, parse_ts, ts};
use crate::error::Result;
use crate::{texts, Store};

/// A task as a poll stores it (a group's tasks in one statement on PostgreSQL).
static UPSERT_TASK: RowsSql = RowsSql {
    before: "INSERT INTO tasks (agent_id, task_id, title, state, state_since, created_at,
                                remote_updated_at, depends_on, trigger, reads, writes, output,
                                next_stage, detail, detail_text, first_seen_at, updated_at)
             VALUES",
    columns: 17,
    after: "ON CONFLICT (agent_id, task_id) DO UPDATE SET
            title = excluded.title, state = excluded.state, state_since = excluded.state_since,
            created_at = excluded.created_at, remote_updated_at = excluded.remote_updated_at,
            depends_on = excluded.depends_on, trigger = excluded.trigger,
            reads = excluded.reads, writes = excluded.writes, output = excluded.output,
            next_stage = excluded.next_stage, detail = excluded.detail,
            detail_text = excluded.detail_text, updated_at = excluded.updated_at",
    key: &[0, 1],
    one: None,
    numbered: false,
    anytime: false,
};

/// A task's detail, where it is kept: in the row, or once in `texts` when long (a macro, so
/// that queries can `concat!` it).
macro_rules! task_detail {
    () => {
        "coalesce(detail, (SELECT body FROM texts WHERE texts.id = detail_text))"
    };
}
pub(crate) use task_detail;

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

/// A task's stored fields, in their stored spelling, to tell whether anything changed.
#[derive(Debug)]
struct StoredTask {
    title: String,
    state: String,
    state_since: String,
    created_at: Option<String>,
    remote_updated_at: Option<String>,
    depends_on: String,
    trigger: Option<String>,
    reads: String,
    writes: String,
    output: Option<String>,
    next_stage: Option<String>,
    detail: Option<String>,
    /// Where a long detail is kept (`texts`), not compared.
    detail_text: Option<i64>,
}

impl PartialEq for StoredTask {
    fn eq(&self, other: &StoredTask) -> bool {
        (
            &self.title,
            &self.state,
            &self.state_since,
            &self.created_at,
            &self.remote_updated_at,
            &self.depends_on,
            &self.trigger,
            &self.reads,
            &self.writes,
            &self.output,
            &self.next_stage,
            &self.detail,
        ) == (
            &other.title,
            &other.state,
            &other.state_since,
            &other.created_at,
            &other.remote_updated_at,
            &other.depends_on,
            &other.trigger,
            &other.reads,
            &other.writes,
            &other.output,
            &other.next_stage,
            &other.detail,
        )
    }
}

impl StoredTask {
    fn read(row: &RowValues) -> Result<StoredTask> {
        Ok(StoredTask {
            title: row.get(0)?,
            state: row.get(1)?,
            state_since: row.get(2)?,
            created_at: row.get(3)?,
            remote_updated_at: row.get(4)?,
            depends_on: row.get(5)?,
            trigger: row.get(6)?,
            reads: row.get(7)?,
            writes: row.get(8)?,
            output: row.get(9)?,
            next_stage: row.get(10)?,
            detail: row.get(11)?,
            detail_text: row.get(12)?,
        })
    }
}

/// Inserts or updates one reported task inside the ingest transaction. Returns its card when
/// the task is new or any stored field changed, `None` when it is exactly as stored.
///
/// `state_since` is the agent's when it gives one; otherwise `seen_at` when the task is new or
/// its state changed; otherwise the stored value.
pub(crate) fn upsert_task(
    conn: &Db,
    agent_id: i64,
    agent_name: &str,
    task: &Task,
    seen_at: DateTime<Utc>,
) -> Result<Option<(TaskCard, Option<TaskState>)>> {
    let mut ahead = ReadAhead::default();
    stored_tasks_reads(agent_id, &[task.id.as_str()], &mut ahead);
    let stored = StoredTasks::read(&mut conn.read_ahead(&ahead)?)?;
    upsert_task_known(conn, agent_id, agent_name, task, seen_at, &stored)
}

/// The stored fields of an agent's tasks, by task id (read ahead: [`stored_tasks_reads`]).
#[derive(Debug, Default)]
pub(crate) struct StoredTasks(HashMap<String, StoredTask>);

impl StoredTasks {
    /// The rows of the read [`stored_tasks_reads`] listed.
    pub(crate) fn read(rows: &mut ReadRows) -> Result<StoredTasks> {
        let mut found = HashMap::new();
        for row in rows.take()? {
            found.insert(row.get::<String>(13)?, StoredTask::read(&row)?);
        }
        Ok(StoredTasks(found))
    }
}

/// The columns of a stored task an ingest compares with (read by [`StoredTask::read`]).
macro_rules! stored_task_columns {
    () => {
        concat!(
            "title, state, state_since, created_at, remote_updated_at, depends_on, trigger, \
             reads, writes, output, next_stage, ",
            task_detail!(),
            ", detail_text, task_id"
        )
    };
}

/// The stored fields of some tasks of an agent, by id (a group's tasks in one statement on
/// PostgreSQL).
static STORED_TASKS: KeyedIn = KeyedIn {
    many: RowsSql {
        before: "SELECT v.column1, x.* FROM (VALUES",
        columns: 2,
        after: concat!(
            ") AS v, LATERAL (SELECT ",
            stored_task_columns!(),
            " FROM tasks WHERE agent_id = v.column2 AND task_id = v.column3 OFFSET 0) AS x"
        ),
        key: &[],
        one: None,
        numbered: true,
        anytime: false,
    },
    alone: |list| {
        format!(
            concat!(
                "SELECT ",
                stored_task_columns!(),
                " FROM tasks WHERE agent_id = ?1 AND task_id IN ({})"
            ),
            list
        )
    },
};

/// Lists the read of the stored tasks `ids` of agent `agent_id`.
pub(crate) fn stored_tasks_reads(agent_id: i64, ids: &[&str], ahead: &mut ReadAhead) {
    let ids: Vec<Value> = ids.iter().map(|id| Value::Text(id)).collect();
    ahead.read_keyed_in(&STORED_TASKS, params![agent_id], &ids);
}

/// [`upsert_task`] with the task's stored fields read ahead (`stored`); its writes go out with
/// the transaction's next statement.
pub(crate) fn upsert_task_known(
    conn: &Db,
    agent_id: i64,
    agent_name: &str,
    task: &Task,
    seen_at: DateTime<Utc>,
    stored: &StoredTasks,
) -> Result<Option<(TaskCard, Option<TaskState>)>> {
    let previous = stored.0.get(&task.id);
    let state = task.state.as_str();
    let state_since = match (task.state_since, &previous) {
        (Some(given), _) => ts(given),
        (None, Some(prev)) if prev.state == state => prev.state_since.clone(),
        (None, _) => ts(seen_at),
    };
    let next = StoredTask {
        title: task.title.clone(),
        state: state.to_owned(),
        state_since,
        created_at: opt_ts(task.created_at),
        remote_updated_at: opt_ts(task.updated_at),
        depends_on: json_list(&task.depends_on),
        trigger: task.trigger.clone(),
        reads: json_list(&task.reads),
        writes: json_list(&task.writes),
        output: task.output.clone(),
        next_stage: task.next_stage.clone(),
        detail: task.detail.clone(),
        detail_text: None,
    };
    if previous == Some(&next) {
        return Ok(None);
    }
    // A long detail is kept once (`texts`); the one it replaces goes when nothing else uses it.
    let (detail, detail_text) = match next.detail.as_deref() {
        Some(detail) if texts::kept_once(detail) => (None, Some(texts::keep(conn, detail)?)),
        _ => (next.detail.as_deref(), None),
    };
    let seen = ts(seen_at);
    conn.write_row(
        &UPSERT_TASK,
        params![
            agent_id,
            task.id,
            next.title,
            next.state,
            next.state_since,
            next.created_at,
            next.remote_updated_at,
            next.depends_on,
            next.trigger,
            next.reads,
            next.writes,
            next.output,
            next.next_stage,
            detail,
            detail_text,
            seen,
            seen,
        ],
    )?;
    if let Some(old) = previous.and_then(|p| p.detail_text) {
        if Some(old) != detail_text {
            texts::forget_if_unused(conn, old)?;
        }
    }
    let was = previous.map(|p| parse_task_state(&p.state)).transpose()?;
    Ok(Some((
        TaskCard {
            agent_id,
            agent_name: agent_name.to_owned(),
            task_id: task.id.clone(),
            title: task.title.clone(),
            state: task.state,
            column: task.state.column(),
            state_since: parse_ts(&next.state_since)?,
            updated_at: seen_at,
            depends_on: task.depends_on.clone(),
            detail: task.detail.clone(),
        },
        was,
    )))
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
