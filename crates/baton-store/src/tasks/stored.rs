//! Reported tasks against the stored ones: what an ingest compares (a task stored exactly as
//! reported is not written again) and writes. The read that tells a poller starting on an
//! agent which of its tasks are stored as reported already is `as_reported.rs`.

use std::collections::HashMap;

use baton_core::protocol::Task;
use baton_core::task::TaskState;
use baton_core::views::TaskCard;
use chrono::{DateTime, Utc};

use crate::codec::{json_list, opt_ts, parse_task_state, parse_ts, ts};
use crate::db::{params, Db, KeyedIn, ReadAhead, ReadRows, RowValues, RowsSql, Value};
use crate::error::Result;
use crate::texts;

/// A task's detail, where it is kept: in the row, or once in `texts` when long (a macro, so
/// that queries can `concat!` it).
macro_rules! task_detail {
    () => {
        "coalesce(detail, (SELECT body FROM texts WHERE texts.id = detail_text))"
    };
}
pub(crate) use task_detail;

/// A task as a poll stores it (a group's tasks in one statement on PostgreSQL).
static UPSERT_TASK: RowsSql = RowsSql {
    before: "INSERT INTO tasks (agent_id, task_id, title, state, state_since, created_at,
                                remote_updated_at, depends_on, trigger, reads, writes, output,
                                next_stage, detail, detail_text, reported_digest, first_seen_at,
                                updated_at)
             VALUES",
    columns: 18,
    after: "ON CONFLICT (agent_id, task_id) DO UPDATE SET
            title = excluded.title, state = excluded.state, state_since = excluded.state_since,
            created_at = excluded.created_at, remote_updated_at = excluded.remote_updated_at,
            depends_on = excluded.depends_on, trigger = excluded.trigger,
            reads = excluded.reads, writes = excluded.writes, output = excluded.output,
            next_stage = excluded.next_stage, detail = excluded.detail,
            detail_text = excluded.detail_text, reported_digest = excluded.reported_digest,
            updated_at = excluded.updated_at",
    key: &[0, 1],
    one: None,
    numbered: false,
    anytime: false,
};

/// A task's stored fields, in their stored spelling, to tell whether anything changed.
#[derive(Debug)]
pub(super) struct StoredTask {
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
    /// How `task` is stored when it was stored as `previous` (None: new) and is seen at
    /// `seen_at`: `state_since` is the agent's when it gives one; otherwise `seen_at` when the
    /// task is new or its state changed; otherwise the stored value.
    pub(super) fn of(
        task: &Task,
        previous: Option<&StoredTask>,
        seen_at: DateTime<Utc>,
    ) -> StoredTask {
        let state = task.state.as_str();
        let state_since = match (task.state_since, previous) {
            (Some(given), _) => ts(given),
            (None, Some(prev)) if prev.state == state => prev.state_since.clone(),
            (None, _) => ts(seen_at),
        };
        StoredTask {
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
        }
    }

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

/// Inserts or updates one reported task inside the ingest transaction ([`StoredTask::of`]).
/// Returns its card when the task is new or any stored field changed, `None` when it is
/// exactly as stored.
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
    upsert_task_known(conn, agent_id, agent_name, task, None, seen_at, &stored)
}

/// The stored fields of an agent's tasks, by task id (read ahead: [`stored_tasks_reads`]).
#[derive(Debug, Default)]
pub(crate) struct StoredTasks(pub(super) HashMap<String, StoredTask>);

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
/// the transaction's next statement. `reported_digest` is the digest of the text the task was
/// reported in, kept with the row when the row is written
/// ([`crate::Store::reported_digests`]); None when the writer did not read it from a text.
pub(crate) fn upsert_task_known(
    conn: &Db,
    agent_id: i64,
    agent_name: &str,
    task: &Task,
    reported_digest: Option<u64>,
    seen_at: DateTime<Utc>,
    stored: &StoredTasks,
) -> Result<Option<(TaskCard, Option<TaskState>)>> {
    let previous = stored.0.get(&task.id);
    let next = StoredTask::of(task, previous, seen_at);
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
            // Kept as the 64 bits of the digest (SQLite and PostgreSQL integers are signed).
            reported_digest.map(|digest| digest as i64),
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
