//! A session's agent row and its turns: the task each prompt starts, and the events of its
//! tool calls.

use crate::changes::{self, ChangeKind};
use crate::db::{params, Db, Param};
use baton_core::agent::AdapterKind;
use baton_core::hooks::{short_session_id, tool_effect, ToolCall, ToolEffect};
use baton_core::protocol::{Event, EventKind, Task};
use baton_core::task::TaskState;
use chrono::{DateTime, Utc};

use super::permit_reads::PermitReads;
use super::record::{HookRecord, SessionRef, SessionRow, TITLE_CHARS};
use crate::agents::add_heard_agent;
use crate::codec::{parse_opt_ts, ts};
use crate::coding_usage::{cursor_from, PAUSE_OF_SESSION};
use crate::error::Result;
use crate::events::{insert_events_known, StoredEvents};
use crate::tasks::upsert_task;

/// The session whose row meets `condition` (over `sessions s`), with its agent's name.
pub(super) fn find_session(
    tx: &Db,
    condition: &str,
    values: &[&dyn Param],
) -> Result<Option<SessionRow>> {
    find_session_reading(tx, condition, values, None)
}

/// [`find_session`], and what a write's permit reads, in the same round trip.
fn find_session_reading(
    tx: &Db,
    condition: &str,
    values: &[&dyn Param],
    permit: Option<&mut PermitReads>,
) -> Result<Option<SessionRow>> {
    // The account's pause and where the reading of its record file stands come along.
    let sql = format!(
        "SELECT s.agent_id, a.name, s.turns, s.turn_open, s.branch, s.account, {PAUSE_OF_SESSION},
                u.path, u.file_key, u.read_to, u.model,
                (SELECT coalesce(max(e.seq), 0) + 1 FROM events e WHERE e.agent_id = s.agent_id),
                (SELECT count(*) FROM subagents sa
                  WHERE sa.session_agent_id = s.agent_id AND sa.stopped_at IS NULL),
                s.prompt,
                EXISTS (SELECT 1 FROM leases l WHERE l.holder = s.agent_id)
               FROM sessions s JOIN agents a ON a.id = s.agent_id
               LEFT JOIN usage_sources u ON u.agent_id = s.agent_id
              WHERE {condition}"
    );
    let mut reads: Vec<(&str, &[&dyn Param])> = vec![(sql.as_str(), values)];
    let (permit_sql, permit_values) = match &permit {
        Some(permit) => permit.statements(),
        None => Default::default(),
    };
    let permit_params: Vec<Vec<&dyn Param>> = permit_values
        .iter()
        .map(|values| values.iter().map(|v| v as &dyn Param).collect())
        .collect();
    for (sql, params) in permit_sql.iter().zip(&permit_params) {
        reads.push((sql.as_str(), params.as_slice()));
    }
    let mut found = None;
    let mut permit = permit;
    tx.query_together(&reads, |i, row| {
        if i == 0 {
            found.get_or_insert(SessionRow {
                agent_id: row.get(0)?,
                name: row.get(1)?,
                turns: row.get(2)?,
                turn_open: row.get(3)?,
                branch: row.get(4)?,
                account: row.get(5)?,
                paused: match (parse_opt_ts(row.get(6)?)?, row.get::<Option<String>>(7)?) {
                    (Some(until), Some(reason)) => Some((until, reason)),
                    _ => None,
                },
                usage: cursor_from(row, 8)?,
                next_seq: std::cell::Cell::new(Some(row.get(12)?)),
                working_subagents: Some(row.get(13)?),
                prompt: row.get(14)?,
                held_leases: Some(row.get(15)?),
            });
            Ok(())
        } else {
            match permit.as_deref_mut() {
                Some(permit) => permit.take(i - 1, row),
                None => Ok(()),
            }
        }
    })?;
    Ok(found)
}

/// The session's agent and turn, added on its first call; its whereabouts refreshed. What a
/// write's permit reads (`permit`) is read in the same round trip.
pub(super) fn session_row(
    tx: &Db,
    session: &SessionRef,
    now: DateTime<Utc>,
    permit: Option<&mut PermitReads>,
) -> Result<SessionRow> {
    let found = find_session_reading(
        tx,
        "s.client = ?1 AND s.session_id = ?2",
        params![session.client.as_str(), session.session_id],
        permit,
    )?;
    let mut row = match found {
        Some(row) => row,
        None => add_session(tx, session, now)?,
    };
    // The branch as the update below leaves it (a call that reads none keeps the last one).
    if session.branch.is_some() {
        row.branch.clone_from(&session.branch);
    }
    if session.account.is_some() {
        row.account.clone_from(&session.account);
    }
    // Writes nobody reads back: they go out with the call's next statement (one round trip
    // for all on PostgreSQL).
    tx.execute_later(
        "UPDATE sessions
            SET cwd = coalesce(?2, cwd), repo_root = coalesce(?3, repo_root),
                branch = coalesce(?4, branch), last_seen_at = ?5,
                repository = coalesce(?6, repository), host = coalesce(?7, host),
                account = coalesce(?8, account)
          WHERE agent_id = ?1",
        params![
            row.agent_id,
            session.cwd,
            session.repo_root,
            session.branch,
            ts(now),
            session.repository,
            session.host,
            session.account
        ],
    )?;
    // A session is "up" while it calls: its last call is its last success.
    tx.execute_later(
        "UPDATE agents SET reachability = 'up', last_success_at = ?2, last_attempt_at = ?2
          WHERE id = ?1",
        params![row.agent_id, ts(now)],
    )?;
    Ok(row)
}

pub(super) fn add_session(tx: &Db, session: &SessionRef, now: DateTime<Utc>) -> Result<SessionRow> {
    let base = session
        .name
        .as_deref()
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .unwrap_or_else(|| default_name(session));
    let url = format!(
        "session://{}/{}",
        session.client.as_str(),
        session.session_id
    );
    let (agent_id, name) = add_heard_agent(tx, &base, &url, AdapterKind::Session, now)?;
    tx.execute_later(
        "INSERT INTO sessions (agent_id, client, session_id, started_at, last_seen_at)
         VALUES (?1, ?2, ?3, ?4, ?4)",
        params![
            agent_id,
            session.client.as_str(),
            session.session_id,
            ts(now)
        ],
    )?;
    // A new agent: the views name it at once.
    changes::record(tx, ChangeKind::Agent, agent_id, "")?;
    tracing::debug!(agent_id, name, "session joined");
    Ok(SessionRow {
        agent_id,
        name,
        turns: 0,
        turn_open: false,
        branch: None,
        account: None,
        paused: None,
        usage: None,
        // A new agent has no events yet, and no subagents.
        next_seq: std::cell::Cell::new(Some(1)),
        working_subagents: Some(0),
        prompt: None,
        held_leases: Some(false),
    })
}

/// `<repository>·<short id>`: the repository's (or working directory's) last path segment and
/// the session id's short form ([`short_session_id`]).
pub(super) fn default_name(session: &SessionRef) -> String {
    let place = session
        .repo_root
        .as_deref()
        .or(session.cwd.as_deref())
        .and_then(|path| path.trim_end_matches('/').rsplit('/').next())
        .filter(|segment| !segment.is_empty())
        .unwrap_or(session.client.as_str());
    format!("{place}·{}", short_session_id(&session.session_id))
}

pub(super) fn turn_title(prompt: &str) -> String {
    let line = prompt.lines().map(str::trim).find(|l| !l.is_empty());
    let title: String = line
        .unwrap_or("(no prompt)")
        .chars()
        .take(TITLE_CHARS)
        .collect();
    title
}

pub(super) fn turn_id(row: &SessionRow) -> String {
    format!("turn-{}", row.turns)
}

/// Notes the tool a session called; returns how it reads ("Write /repo/src/app.rs").
pub(super) fn note_tool(
    tx: &Db,
    agent_id: i64,
    tool: &ToolCall,
    cwd: Option<&str>,
) -> Result<String> {
    let what = match tool_effect(tool, cwd) {
        ToolEffect::Writes(paths) | ToolEffect::Reads(paths) if !paths.is_empty() => {
            format!("{} {}", tool.name, paths.join(", "))
        }
        ToolEffect::Shell(command) if !command.is_empty() => {
            format!("{} {command}", tool.name)
        }
        _ => tool.name.clone(),
    };
    let what: String = what.chars().take(TITLE_CHARS).collect();
    tx.execute_later(
        "UPDATE sessions SET last_tool = ?2 WHERE agent_id = ?1",
        params![agent_id, what],
    )?;
    Ok(what)
}

pub(super) fn push_event(
    tx: &Db,
    row: &SessionRow,
    kind: EventKind,
    resource: Option<String>,
    state: Option<TaskState>,
    now: DateTime<Utc>,
    record: &mut HookRecord,
) -> Result<()> {
    let seq = next_seq(tx, row)?;
    let mut event = Event::new(u64::try_from(seq).unwrap_or(1), now, kind);
    event.task_id = (row.turns > 0).then(|| turn_id(row));
    event.resource = resource;
    event.state = state;
    // Nothing is stored under the session's next seq (read in this transaction): no read of
    // what is, and the row goes out with the call's next statement.
    let stored = StoredEvents::default();
    let inserted =
        insert_events_known(tx, row.agent_id, std::slice::from_ref(&event), now, &stored)?;
    if inserted.first().is_some_and(|i| i.is_new()) {
        record.new_events += 1;
    }
    Ok(())
}

/// The seq of the worker's next event: read with its row (else now), and taken.
pub(super) fn next_seq(tx: &Db, row: &SessionRow) -> Result<i64> {
    let seq = match row.next_seq.get() {
        Some(seq) => seq,
        None => tx.query_row(
            "SELECT coalesce(max(seq), 0) + 1 FROM events WHERE agent_id = ?1",
            params![row.agent_id],
            |r| r.get(0),
        )?,
    };
    row.next_seq.set(Some(seq + 1));
    Ok(seq)
}

pub(super) fn set_turn_state(
    tx: &Db,
    row: &SessionRow,
    state: TaskState,
    detail: Option<String>,
    now: DateTime<Utc>,
    record: &mut HookRecord,
) -> Result<()> {
    let prompt = row.prompt.clone().unwrap_or_default();
    let mut task = Task::new(turn_id(row), prompt, state);
    task.updated_at = Some(now);
    task.state_since = Some(now);
    task.detail = detail;
    upsert_task(tx, row.agent_id, &row.name, &task, now)?;
    push_event(tx, row, EventKind::State, None, Some(state), now, record)
}

pub(super) fn end_turn(
    tx: &Db,
    row: &SessionRow,
    state: TaskState,
    now: DateTime<Utc>,
    record: &mut HookRecord,
) -> Result<()> {
    set_turn_state(tx, row, state, None, now, record)?;
    tx.execute_later(
        "UPDATE sessions SET turn_open = 0 WHERE agent_id = ?1",
        params![row.agent_id],
    )
}
