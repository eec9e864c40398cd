//! What the detectors read, so that a run reads what changed and not what is kept: once at
//! start the recent window (at most so many events, the newest) and the tasks that can still
//! matter; then at each run the events and tasks that changed since the last read (by when Baton
//! received them: `received_at` and `updated_at` are stamped by the one writer, so they grow in
//! commit order), and the small tables whole (agents' health, rules, handoff schemas, windows).

use crate::db::{params, Row};
use baton_core::detect::windows::WindowOverrides;
use baton_core::detect::{AgentStatus, CounterRestart, ObservedEvent, ObservedTask};
use baton_core::protocol::{Event, Task};
use baton_core::rules::Rule;
use baton_core::task::TaskState;
use chrono::{DateTime, Utc};

use crate::codec::{parse_json_list, parse_opt_ts, parse_task_state, parse_ts, ts};
use crate::error::Result;
use crate::tasks::task_detail;
use crate::Store;

/// Most new events one read returns; a bigger backlog is read over the next runs.
pub const MAX_NEW_EVENTS: usize = 50_000;

/// Where the next read of changes starts: events received and tasks changed at or after these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DetectMarks {
    pub events: DateTime<Utc>,
    pub tasks: DateTime<Utc>,
}

impl DetectMarks {
    /// Everything received or changed from `at` on.
    pub fn from(at: DateTime<Utc>) -> DetectMarks {
        DetectMarks {
            events: at,
            tasks: at,
        }
    }
}

/// One read for the detectors.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DetectRead {
    /// The window's events ([`Store::detect_window`]) or the new ones
    /// ([`Store::detect_changes`]), oldest first.
    pub events: Vec<ObservedEvent>,
    /// Tasks that can still matter (window) or that changed (changes).
    pub tasks: Vec<ObservedTask>,
    pub agents: Vec<AgentStatus>,
    pub rules: Vec<Rule>,
    /// The JSON Schema of each handoff type.
    pub handoff_schemas: Vec<(String, serde_json::Value)>,
    /// Each agent's overrides of the detectors' windows.
    pub windows: Vec<(i64, WindowOverrides)>,
}

const TASK_COLS: &str = concat!(
    "agent_id, task_id, title, state, state_since, created_at, remote_updated_at, depends_on,
     trigger, reads, writes, output, next_stage, ",
    task_detail!(),
    ", updated_at"
);

fn read_task(row: &Row<'_>) -> Result<ObservedTask> {
    Ok(ObservedTask {
        agent_id: row.get(0)?,
        task: Task {
            id: row.get(1)?,
            title: row.get(2)?,
            state: parse_task_state(&row.get::<String>(3)?)?,
            state_since: Some(parse_ts(&row.get::<String>(4)?)?),
            created_at: parse_opt_ts(row.get(5)?)?,
            updated_at: parse_opt_ts(row.get(6)?)?,
            depends_on: parse_json_list(&row.get::<String>(7)?)?,
            trigger: row.get(8)?,
            reads: parse_json_list(&row.get::<String>(9)?)?,
            writes: parse_json_list(&row.get::<String>(10)?)?,
            output: row.get(11)?,
            next_stage: row.get(12)?,
            detail: row.get(13)?,
        },
        updated_at: parse_ts(&row.get::<String>(14)?)?,
    })
}

/// An event stored by an older Baton that no longer parses is left out, not fatal.
fn read_event(agent_id: i64, raw: &str) -> Option<ObservedEvent> {
    serde_json::from_str::<Event>(raw)
        .ok()
        .map(|event| ObservedEvent { agent_id, event })
}

/// The agent's latest counter episode (columns 6 to 10 of the agents query).
fn read_counter(row: &Row<'_>) -> Result<Option<CounterRestart>> {
    let (Some(since), Some(last_at)) = (parse_opt_ts(row.get(6)?)?, parse_opt_ts(row.get(7)?)?)
    else {
        return Ok(None);
    };
    let count =
        |i: usize| -> Result<u32> { Ok(u32::try_from(row.get::<i64>(i)?).unwrap_or(u32::MAX)) };
    Ok(Some(CounterRestart {
        since,
        last_at,
        reused: count(8)?,
        backward: count(9)?,
        over: row.get::<i64>(10)? != 0,
    }))
}

impl Store {
    /// The stored state of each task (`None`: never stored), for dependencies the detectors do
    /// not hold (finished before their window, or not seen); read together (one round trip on
    /// PostgreSQL).
    pub fn states_of_tasks(&self, tasks: &[(i64, String)]) -> Result<Vec<Option<TaskState>>> {
        let mut ahead = crate::db::ReadAhead::default();
        for (agent, task) in tasks {
            ahead.read(
                "SELECT state FROM tasks WHERE agent_id = ?1 AND task_id = ?2",
                params![agent, task],
            );
        }
        let mut rows = self.db.read_ahead(&ahead)?;
        tasks
            .iter()
            .map(|_| {
                rows.take()?
                    .first()
                    .map(|row| parse_task_state(&row.get::<String>(0)?))
                    .transpose()
            })
            .collect()
    }

    /// The window at start: the newest `cap` events received `since` or later, the tasks that
    /// can still matter (unfinished, or in their state since `since`), and the small tables.
    pub fn detect_window(&self, since: DateTime<Utc>, cap: usize) -> Result<DetectRead> {
        let mut events = Vec::new();
        let stmt_sql = "SELECT agent_id, raw FROM events_as_sent WHERE received_at >= ?1
              ORDER BY received_at DESC LIMIT ?2";
        let limit = i64::try_from(cap).unwrap_or(i64::MAX);
        self.db
            .query_each(stmt_sql, params![ts(since), limit], |row| {
                events.extend(read_event(row.get(0)?, &row.get::<String>(1)?));
                Ok(())
            })?;
        events.reverse();
        let mut tasks = Vec::new();
        let stmt_sql = &format!(
            "SELECT {TASK_COLS} FROM tasks
              WHERE state NOT IN ('completed', 'failed', 'canceled', 'rejected')
                 OR state_since >= ?1"
        );
        self.db.query_each(stmt_sql, params![ts(since)], |row| {
            tasks.push(read_task(row)?);
            Ok(())
        })?;
        self.with_small_tables(DetectRead {
            events,
            tasks,
            ..DetectRead::default()
        })
    }

    /// What changed from `marks` on (events received, tasks changed), with the small tables;
    /// and the marks for the next read.
    pub fn detect_changes(&self, marks: DetectMarks) -> Result<(DetectRead, DetectMarks)> {
        let mut next = marks;
        let mut events = Vec::new();
        let stmt_sql =
            "SELECT agent_id, raw, received_at FROM events_as_sent WHERE received_at >= ?1
              ORDER BY received_at, agent_id, seq LIMIT ?2";
        let limit = i64::try_from(MAX_NEW_EVENTS).unwrap_or(i64::MAX);
        self.db
            .query_each(stmt_sql, params![ts(marks.events), limit], |row| {
                next.events = parse_ts(&row.get::<String>(2)?)?;
                events.extend(read_event(row.get(0)?, &row.get::<String>(1)?));
                Ok(())
            })?;
        let mut tasks = Vec::new();
        let stmt_sql =
            &format!("SELECT {TASK_COLS} FROM tasks WHERE updated_at >= ?1 ORDER BY updated_at");
        self.db
            .query_each(stmt_sql, params![ts(marks.tasks)], |row| {
                let task = read_task(row)?;
                next.tasks = task.updated_at;
                tasks.push(task);
                Ok(())
            })?;
        let read = self.with_small_tables(DetectRead {
            events,
            tasks,
            ..DetectRead::default()
        })?;
        Ok((read, next))
    }

    fn with_small_tables(&self, mut read: DetectRead) -> Result<DetectRead> {
        let stmt_sql = "SELECT a.id, a.name, a.remote_id, a.consecutive_failures, a.last_error,
                    a.last_success_at, a.counter_since, a.counter_last_at, a.counter_reused,
                    a.counter_backward, a.counter_over, s.branch
             FROM agents a LEFT JOIN sessions s ON s.agent_id = a.id ORDER BY a.id";
        self.db.query_each(stmt_sql, params![], |row| {
            read.agents.push(AgentStatus {
                id: row.get(0)?,
                name: row.get(1)?,
                remote_id: row.get(2)?,
                consecutive_failures: u32::try_from(row.get::<i64>(3)?).unwrap_or(u32::MAX),
                last_error: row.get(4)?,
                last_success: parse_opt_ts(row.get(5)?)?,
                counter: read_counter(row)?,
                branch: row.get(11)?,
            });
            Ok(())
        })?;
        read.rules = self.rules()?.into_iter().map(|r| r.rule).collect();
        read.handoff_schemas = self.handoff_schemas()?;
        read.windows = self.all_detect_windows()?;
        Ok(read)
    }
}
