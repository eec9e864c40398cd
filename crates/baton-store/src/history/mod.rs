//! The store's memory of the past: every version of a task (`task_history`, written by SQL
//! triggers whoever changes `tasks`) and every change of an agent's health (`agent_history`).
//! From them: the replay of a past moment (the board and the agents as they were), the fleet
//! timeline ([`timeline`]), and the retention that keeps the store bounded ([`retention`]).

use std::collections::HashMap;

use crate::db::{params, Db};
use baton_core::escalations::EscalationState;
use baton_core::task::TaskState;
use baton_core::timeline::{AgentAt, ReplayFrame, TimelineEscalation};
use baton_core::views::{ColumnCounts, TaskCard, FINISHED_CARDS_KEPT};
use chrono::{DateTime, Utc};

use crate::tasks::read_card;

use crate::codec::{
    corrupt, parse_agent_state, parse_json, parse_kind, parse_opt_ts, parse_reachability,
    parse_severity, parse_task_state, parse_ts, ts,
};
use crate::error::Result;
use crate::Store;

pub mod retention;
pub mod size;
pub mod timeline;

/// Each task's last version recorded by `?1` (gone ones left out), shaped like `tasks` for the
/// board's query.
const AS_OF: &str = "
    WITH last AS (
        SELECT max(version) AS version FROM task_history
         WHERE recorded_at <= ?1 GROUP BY agent_id, task_id
    ), asof AS (
        SELECT h.agent_id, h.task_id, h.title, h.state, h.state_since,
               h.recorded_at AS updated_at, h.depends_on,
               coalesce(h.detail, (SELECT body FROM texts WHERE texts.id = h.detail_text))
                   AS detail
          FROM task_history h JOIN last USING (version)
         WHERE h.gone = 0
    )";

/// The board's query over the versions as of `?1` (`?2`: finished cards kept per column), as
/// [`Store::task_cards`] asks it of `tasks`, in the columns [`read_card`] reads.
fn board_sql() -> String {
    let card = "SELECT t.agent_id, a.name, t.task_id, t.title, t.state, t.state_since, \
                t.updated_at, t.depends_on, t.detail FROM asof t JOIN agents a ON a.id = t.agent_id";
    format!(
        "{AS_OF}
         SELECT * FROM (SELECT * FROM ({card}
              WHERE t.state NOT IN ('completed', 'failed', 'canceled', 'rejected')) AS open_cards)
              AS unfinished
         UNION ALL
         SELECT * FROM ({card} WHERE t.state = 'completed' ORDER BY t.state_since DESC LIMIT ?2)
              AS done
         UNION ALL
         SELECT * FROM ({card} WHERE t.state IN ('failed', 'canceled', 'rejected')
              ORDER BY t.state_since DESC LIMIT ?2) AS failed
         ORDER BY 6, 1, 3"
    )
}

/// Escalations open at `at` (opened by then, closed after it or not at all), soonest opened first.
pub(crate) fn open_escalations_at(conn: &Db, at: DateTime<Utc>) -> Result<Vec<TimelineEscalation>> {
    escalations_between(conn, at, at, usize::MAX)
}

/// Escalations open at some moment of `[from, to]`, at most `limit` (the newest), oldest first.
pub(crate) fn escalations_between(
    conn: &Db,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<TimelineEscalation>> {
    let stmt_sql = "SELECT * FROM (
             SELECT e.id, f.kind, f.severity, f.agents, e.title, e.state, e.opened_at,
                    e.resolved_at
               FROM escalations e JOIN findings f ON f.id = e.finding_id
              WHERE e.opened_at <= ?2 AND (e.resolved_at IS NULL OR e.resolved_at >= ?1)
              ORDER BY e.opened_at DESC LIMIT ?3) AS newest
          ORDER BY opened_at, id";
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut out = Vec::new();
    conn.query_each(stmt_sql, params![ts(from), ts(to), limit], |row| {
        let state: String = row.get(5)?;
        let closed_at = parse_opt_ts(row.get(7)?)?;
        // Open at `to` reads as open, whatever it became since.
        let state = match closed_at {
            Some(closed) if closed <= to => {
                EscalationState::parse(&state).ok_or_else(|| corrupt("escalation state", &state))?
            }
            _ => EscalationState::Open,
        };
        out.push(TimelineEscalation {
            id: row.get(0)?,
            kind: parse_kind(&row.get::<String>(1)?)?,
            severity: parse_severity(&row.get::<String>(2)?)?,
            agents: parse_json(&row.get::<String>(3)?, "escalation agents")?,
            title: row.get(4)?,
            state,
            opened_at: parse_ts(&row.get::<String>(6)?)?,
            closed_at: closed_at.filter(|closed| *closed <= to),
        });
        Ok(())
    })?;
    Ok(out)
}

impl Store {
    /// The board's cards as they were at `at`: the same cards, fields and order
    /// [`Store::task_cards`] gave then (agents since removed are left out, with their past).
    pub fn task_cards_at(&self, at: DateTime<Utc>) -> Result<Vec<TaskCard>> {
        let kept = i64::try_from(FINISHED_CARDS_KEPT).unwrap_or(i64::MAX);
        let stmt_sql = &board_sql();
        let mut out = Vec::new();
        self.db.query_each(stmt_sql, params![ts(at), kept], |row| {
            out.push(read_card(row)?);
            Ok(())
        })?;
        Ok(out)
    }

    /// Each agent's tasks per board column at `at`.
    fn counts_at(&self, at: DateTime<Utc>) -> Result<HashMap<i64, ColumnCounts>> {
        let stmt_sql =
            &format!("{AS_OF} SELECT agent_id, state, count(*) FROM asof GROUP BY agent_id, state");
        let mut counts: HashMap<i64, ColumnCounts> = HashMap::new();
        self.db.query_each(stmt_sql, params![ts(at)], |row| {
            let state: TaskState = parse_task_state(&row.get::<String>(1)?)?;
            let n = u32::try_from(row.get::<i64>(2)?).unwrap_or(u32::MAX);
            counts
                .entry(row.get(0)?)
                .or_default()
                .add(state.column(), n);
            Ok(())
        })?;
        Ok(counts)
    }

    /// The agents that existed at `at` (and still do), as they were then, by name.
    pub fn agents_at(&self, at: DateTime<Utc>) -> Result<Vec<AgentAt>> {
        let mut counts = self.counts_at(at)?;
        let stmt_sql = "WITH last AS (
                 SELECT max(version) AS version FROM agent_history
                  WHERE recorded_at <= ?1 GROUP BY agent_id)
             SELECT a.id, a.name, h.reachability, h.remote_state, h.last_error
               FROM agent_history h JOIN last USING (version) JOIN agents a ON a.id = h.agent_id
              ORDER BY a.name_key, a.id";
        let mut out = Vec::new();
        self.db.query_each(stmt_sql, params![ts(at)], |row| {
            let id: i64 = row.get(0)?;
            out.push(AgentAt {
                agent_id: id,
                name: row.get(1)?,
                reachability: parse_reachability(&row.get::<String>(2)?)?,
                remote_state: row
                    .get::<Option<String>>(3)?
                    .as_deref()
                    .map(parse_agent_state)
                    .transpose()?,
                last_error: row.get(4)?,
                task_counts: counts.remove(&id).unwrap_or_default(),
            });
            Ok(())
        })?;
        Ok(out)
    }

    /// How many task versions are kept (for benchmarks and the retention's report).
    pub fn history_rows(&self) -> Result<i64> {
        self.db
            .query_row("SELECT count(*) FROM task_history", params![], |row| {
                row.get(0)
            })
    }

    /// The board, the agents and the open escalations as they were at `at`.
    pub fn replay_at(&self, at: DateTime<Utc>) -> Result<ReplayFrame> {
        Ok(ReplayFrame {
            at,
            board: self.task_cards_at(at)?,
            agents: self.agents_at(at)?,
            open_escalations: open_escalations_at(&self.db, at)?,
            compacted: self.compacted_before()?.is_some_and(|before| at < before),
        })
    }
}
