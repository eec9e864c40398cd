//! A session's subagents, each a worker of its own (issue 58): an agent of its own (adapter
//! `session`, named "<session> › <type> #<n>") tied to its session by a `subagents` row. Its
//! hook calls take and hold its own leases and ask its own permits; its task (`turn-1`) works
//! from its start to its stop. Its leases end at its `SubagentStop`, not at the main thread's
//! `Stop`; one that never stops ends with its session. The session's turn stays working while
//! any of its subagents works.

use crate::changes::{self, ChangeKind};
use crate::db::{params, Db};
use baton_core::agent::AdapterKind;
use baton_core::hooks::{subagent_name, subagent_type_label, subagents_working, SubagentRef};
use baton_core::protocol::{EventKind, Task};
use baton_core::task::TaskState;
use chrono::{DateTime, Utc};

use super::permits::release_leases;
use super::record::{HookRecord, SessionRef, SessionRow};
use super::turns::{end_turn, push_event, set_turn_state};
use crate::codec::ts;
use crate::error::Result;
use crate::tasks::upsert_task;

/// A subagent as its calls find it: the row its events, leases and permits are under (its
/// session's branch, account and pause), its type as a title, and whether it had stopped.
pub(super) struct SubagentRow {
    pub(super) row: SessionRow,
    pub(super) title: String,
    pub(super) stopped: bool,
    /// A person's decision that it stops: the reason its writes are refused with.
    pub(super) stop_reason: Option<String>,
}

/// The subagent `sub` of `session` (its row `parent`), None when the session has none by that
/// id.
pub(super) fn find_subagent(
    tx: &Db,
    parent: &SessionRow,
    sub: &SubagentRef,
) -> Result<Option<SubagentRow>> {
    type Found = (i64, String, Option<String>, Option<String>, Option<String>);
    let found: Option<Found> = tx.query_opt(
        "SELECT sa.agent_id, a.name, sa.agent_type, sa.stopped_at, sa.stop_reason
           FROM subagents sa JOIN agents a ON a.id = sa.agent_id
          WHERE sa.session_agent_id = ?1 AND sa.subagent_id = ?2",
        params![parent.agent_id, sub.id],
        |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
            ))
        },
    )?;
    Ok(found.map(
        |(agent_id, name, agent_type, stopped_at, stop_reason)| SubagentRow {
            row: worker_row(parent, agent_id, name, stopped_at.is_none()),
            title: subagent_type_label(agent_type.as_deref()),
            stopped: stopped_at.is_some(),
            stop_reason,
        },
    ))
}

/// The row a subagent works under: its own agent and turn, its session's whereabouts.
fn worker_row(parent: &SessionRow, agent_id: i64, name: String, working: bool) -> SessionRow {
    SessionRow {
        agent_id,
        name,
        turns: 1,
        turn_open: working,
        branch: parent.branch.clone(),
        account: parent.account.clone(),
        paused: parent.paused.clone(),
        usage: None,
        next_seq: Default::default(),
        working_subagents: None,
        // A subagent's turn has no prompt of its own.
        prompt: None,
        held_leases: None,
    }
}

/// The subagent `sub` of the session, added (working) on its first call, started again when a
/// call comes after its stop; its last call noted.
pub(super) fn subagent_row(
    tx: &Db,
    session: &SessionRef,
    parent: &SessionRow,
    sub: &SubagentRef,
    now: DateTime<Utc>,
    record: &mut HookRecord,
) -> Result<SubagentRow> {
    let mut found = match find_subagent(tx, parent, sub)? {
        Some(found) => found,
        None => add_subagent(tx, session, parent, sub, now, record)?,
    };
    if found.stopped {
        tx.execute_later(
            "UPDATE subagents SET stopped_at = NULL WHERE agent_id = ?1",
            params![found.row.agent_id],
        )?;
        found.stopped = false;
        found.row.turn_open = true;
        set_state(tx, &found, TaskState::Working, now, record)?;
    }
    tx.execute_later(
        "UPDATE subagents SET last_seen_at = ?2 WHERE agent_id = ?1",
        params![found.row.agent_id, ts(now)],
    )?;
    tx.execute_later(
        "UPDATE agents SET reachability = 'up', last_success_at = ?2, last_attempt_at = ?2
          WHERE id = ?1",
        params![found.row.agent_id, ts(now)],
    )?;
    Ok(found)
}

fn add_subagent(
    tx: &Db,
    session: &SessionRef,
    parent: &SessionRow,
    sub: &SubagentRef,
    now: DateTime<Utc>,
    record: &mut HookRecord,
) -> Result<SubagentRow> {
    let number: i64 = tx.query_row(
        "SELECT count(*) + 1 FROM subagents
          WHERE session_agent_id = ?1 AND coalesce(agent_type, '') = coalesce(?2, '')",
        params![parent.agent_id, sub.agent_type],
        |row| row.get(0),
    )?;
    let base = subagent_name(
        &parent.name,
        sub.agent_type.as_deref(),
        u32::try_from(number).unwrap_or(u32::MAX),
    );
    // A name another agent has gets a number, as a session's does.
    let url = format!(
        "session://{}/{}/{}",
        session.client.as_str(),
        session.session_id,
        sub.id
    );
    let (agent_id, name) =
        crate::agents::add_heard_agent(tx, &base, &url, AdapterKind::Session, now)?;
    tx.execute(
        "INSERT INTO subagents (agent_id, session_agent_id, subagent_id, agent_type, number,
                                started_at, last_seen_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
        params![
            agent_id,
            parent.agent_id,
            sub.id,
            sub.agent_type,
            number,
            ts(now)
        ],
    )?;
    changes::record(tx, ChangeKind::Agent, agent_id, "")?;
    tracing::debug!(agent_id, name, "subagent joined");
    let found = SubagentRow {
        row: worker_row(parent, agent_id, name, true),
        title: subagent_type_label(sub.agent_type.as_deref()),
        stopped: false,
        stop_reason: None,
    };
    // Its task works from its first call.
    set_state(tx, &found, TaskState::Working, now, record)?;
    Ok(found)
}

/// The subagent's task (`turn-1`, titled by its type) in `state`.
fn set_state(
    tx: &Db,
    sub: &SubagentRow,
    state: TaskState,
    now: DateTime<Utc>,
    record: &mut HookRecord,
) -> Result<()> {
    let mut task = Task::new("turn-1", sub.title.clone(), state);
    task.updated_at = Some(now);
    task.state_since = Some(now);
    upsert_task(tx, sub.row.agent_id, &sub.row.name, &task, now)?;
    push_event(
        tx,
        &sub.row,
        EventKind::State,
        None,
        Some(state),
        now,
        record,
    )
}

/// Notes the tool a subagent called ("Write /repo/src/app.rs").
pub(super) fn note_subagent_tool(tx: &Db, agent_id: i64, what: &str) -> Result<()> {
    tx.execute_later(
        "UPDATE subagents SET last_tool = ?2 WHERE agent_id = ?1",
        params![agent_id, what],
    )?;
    Ok(())
}

/// The subagent stopped: its leases end, its task completes; the session's turn, when its main
/// thread had ended it, ends with its last subagent.
pub(super) fn stop_subagent(
    tx: &Db,
    parent: &SessionRow,
    sub: &SubagentRow,
    now: DateTime<Utc>,
    record: &mut HookRecord,
) -> Result<()> {
    if !sub.stopped {
        tx.execute(
            "UPDATE subagents SET stopped_at = ?2 WHERE agent_id = ?1",
            params![sub.row.agent_id, ts(now)],
        )?;
        set_state(tx, sub, TaskState::Completed, now, record)?;
    }
    release_leases(tx, sub.row.agent_id)?;
    settle_turn(tx, parent, now, record)
}

/// The subagents the main thread's Stop says are running, added when their start was not heard
/// yet (the client runs the hooks of a Stop and of a subagent's start side by side). One heard
/// stopping stays stopped: a subagent's own stop lists it as running still. How many were
/// added.
pub(super) fn note_running(
    tx: &Db,
    session: &SessionRef,
    parent: &SessionRow,
    running: &[SubagentRef],
    now: DateTime<Utc>,
    record: &mut HookRecord,
) -> Result<u32> {
    let mut added = 0;
    for sub in running {
        if find_subagent(tx, parent, sub)?.is_none() {
            add_subagent(tx, session, parent, sub, now, record)?;
            added += 1;
        }
    }
    Ok(added)
}

/// How many of the session's subagents work (started, not stopped).
pub(super) fn working_subagents(tx: &Db, session_agent_id: i64) -> Result<u32> {
    tx.query_row(
        "SELECT count(*) FROM subagents WHERE session_agent_id = ?1 AND stopped_at IS NULL",
        params![session_agent_id],
        |row| row.get(0),
    )
}

/// The main thread ended its turn (`Stop`), having just added `added` subagents: with
/// subagents working, the turn stays working ("2 subagents working") and waits for them; true
/// when it does.
pub(super) fn turn_waits(
    tx: &Db,
    row: &SessionRow,
    added: u32,
    now: DateTime<Utc>,
    record: &mut HookRecord,
) -> Result<bool> {
    // Counted with the session's row, when it was.
    let working = match row.working_subagents {
        Some(read) => read + added,
        None => working_subagents(tx, row.agent_id)?,
    };
    if working == 0 || !row.turn_open {
        return Ok(false);
    }
    tx.execute(
        "UPDATE sessions SET waits_for_subagents = 1 WHERE agent_id = ?1",
        params![row.agent_id],
    )?;
    let detail = Some(subagents_working(working));
    set_turn_state(tx, row, TaskState::Working, detail, now, record)?;
    Ok(true)
}

/// After a subagent stopped: a turn that waits for subagents ends once none works, or says how
/// many still do.
fn settle_turn(
    tx: &Db,
    parent: &SessionRow,
    now: DateTime<Utc>,
    record: &mut HookRecord,
) -> Result<()> {
    let waits: i64 = tx.query_row(
        "SELECT waits_for_subagents FROM sessions WHERE agent_id = ?1",
        params![parent.agent_id],
        |row| row.get(0),
    )?;
    if waits == 0 || !parent.turn_open {
        return Ok(());
    }
    match working_subagents(tx, parent.agent_id)? {
        0 => {
            main_thread_works(tx, parent.agent_id)?;
            end_turn(tx, parent, TaskState::Completed, now, record)
        }
        n => set_turn_state(
            tx,
            parent,
            TaskState::Working,
            Some(subagents_working(n)),
            now,
            record,
        ),
    }
}

/// The main thread works again (a prompt, a subagent's result handed to it): its turn no
/// longer only waits for subagents.
pub(super) fn main_thread_works(tx: &Db, session_agent_id: i64) -> Result<()> {
    tx.execute_later(
        "UPDATE sessions SET waits_for_subagents = 0 WHERE agent_id = ?1",
        params![session_agent_id],
    )?;
    Ok(())
}

/// The session ended: its subagents that never stopped end with it (their leases too).
pub(super) fn end_subagents(
    tx: &Db,
    parent: &SessionRow,
    now: DateTime<Utc>,
    record: &mut HookRecord,
) -> Result<()> {
    let working: Vec<(i64, String, Option<String>)> = tx.query_map(
        "SELECT sa.agent_id, a.name, sa.agent_type
           FROM subagents sa JOIN agents a ON a.id = sa.agent_id
          WHERE sa.session_agent_id = ?1 AND sa.stopped_at IS NULL",
        params![parent.agent_id],
        |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
    )?;
    for (agent_id, name, agent_type) in working {
        let sub = SubagentRow {
            row: worker_row(parent, agent_id, name, true),
            title: subagent_type_label(agent_type.as_deref()),
            stopped: false,
            stop_reason: None,
        };
        tx.execute(
            "UPDATE subagents SET stopped_at = ?2 WHERE agent_id = ?1",
            params![agent_id, ts(now)],
        )?;
        set_state(tx, &sub, TaskState::Completed, now, record)?;
        release_leases(tx, agent_id)?;
    }
    main_thread_works(tx, parent.agent_id)
}
