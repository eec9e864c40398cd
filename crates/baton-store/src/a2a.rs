//! What Baton keeps about A2A agents beyond their tasks: the card last read (with its ETag, so
//! the next read can be a 304) and whether the agent lists its tasks; and the requests for
//! input that settle themselves when the agent's task moves on.

use std::collections::HashMap;

use crate::changes::{self, ChangeKind};
use crate::db::{params, Db, KeyedIn, ReadAhead, ReadRows, RowsSql, Value};
use baton_core::a2a::AgentCard;
use baton_core::agent::{AdapterKind, AgentConfig};
use baton_core::task::TaskState;
use baton_core::views::A2aSummary;
use chrono::{DateTime, Utc};
use serde_json::json;

use crate::codec::parse_json;
use crate::codec::{parse_task_state, ts};
use crate::decide::resolve_in;
use crate::decisions::{append_decision_in, NewDecision};
use crate::error::{Result, StoreError};
use crate::Store;

/// An A2A agent's card as last read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCard {
    pub card: AgentCard,
    pub etag: Option<String>,
    pub fetched_at: DateTime<Utc>,
    /// None until Baton has tried; false when the agent cannot list its tasks.
    pub lists_tasks: Option<bool>,
}

impl Store {
    /// The A2A part of an agent's row: its card as last read, for an agent that speaks A2A.
    pub(crate) fn a2a_summary(&self, agent: &AgentConfig) -> Result<Option<A2aSummary>> {
        if agent.adapter != AdapterKind::A2a {
            return Ok(None);
        }
        Ok(self.a2a_card(agent.id)?.map(|stored| A2aSummary {
            card: stored.card,
            card_read_at: stored.fetched_at,
            lists_tasks: stored.lists_tasks,
        }))
    }

    pub fn a2a_card(&self, agent_id: i64) -> Result<Option<StoredCard>> {
        let row: Option<(String, Option<String>, String, Option<bool>)> = self.db.query_opt(
            "SELECT card, etag, fetched_at, lists_tasks FROM a2a_cards WHERE agent_id = ?1",
            params![agent_id],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
        )?;
        row.map(|(card, etag, fetched_at, lists_tasks)| {
            Ok(StoredCard {
                card: parse_json(&card, "agent card")?,
                etag,
                fetched_at: crate::codec::parse_ts(&fetched_at)?,
                lists_tasks,
            })
        })
        .transpose()
    }

    /// Keeps a card just read (its ETag too); what is known about listing stays unless the
    /// card's preferred interface changed.
    pub fn set_a2a_card(
        &mut self,
        agent_id: i64,
        card: &AgentCard,
        etag: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.agent_exists(agent_id)?;
        let before = self.a2a_card(agent_id)?;
        let same_interface = before
            .as_ref()
            .is_some_and(|b| b.card.preferred() == card.preferred());
        let text = serde_json::to_string(card).expect("a card always serialises");
        self.db.execute(
            "INSERT INTO a2a_cards (agent_id, card, etag, fetched_at, lists_tasks)
                 VALUES (?1, ?2, ?3, ?4, NULL)
                 ON CONFLICT (agent_id) DO UPDATE SET card = excluded.card, etag = excluded.etag,
                    fetched_at = excluded.fetched_at,
                    lists_tasks = CASE WHEN ?5 = 1 THEN a2a_cards.lists_tasks ELSE NULL END",
            params![agent_id, text, etag, ts(now), same_interface],
        )?;
        Ok(())
    }

    /// Notes whether the agent lists its tasks (`ListTasks`).
    pub fn set_a2a_lists_tasks(&mut self, agent_id: i64, lists: bool) -> Result<()> {
        self.db.execute(
            "UPDATE a2a_cards SET lists_tasks = ?2 WHERE agent_id = ?1",
            params![agent_id, lists],
        )?;
        Ok(())
    }

    fn agent_exists(&self, agent_id: i64) -> Result<()> {
        let exists: bool = self.db.query_row(
            "SELECT EXISTS (SELECT 1 FROM agents WHERE id = ?1)",
            params![agent_id],
            |row| row.get(0),
        )?;
        if exists {
            Ok(())
        } else {
            Err(StoreError::AgentNotFound(agent_id))
        }
    }

    /// The state Baton holds for each of the agent's tasks.
    pub fn task_states(&self, agent_id: i64) -> Result<HashMap<String, TaskState>> {
        let rows = self.db.query_map(
            "SELECT task_id, state FROM tasks WHERE agent_id = ?1",
            params![agent_id],
            |row| {
                Ok((
                    row.get::<String>(0)?,
                    parse_task_state(&row.get::<String>(1)?)?,
                ))
            },
        )?;
        Ok(rows.into_iter().collect())
    }

    /// Follows a task Baton was not shown (an agent that cannot list its tasks): stored as
    /// submitted until the next poll reads it. A task already known is left as it is.
    pub fn follow_task(
        &mut self,
        agent_id: i64,
        task_id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let task_id = task_id.trim();
        if task_id.is_empty() || task_id.len() > baton_core::protocol::MAX_ID_LEN {
            return Err(StoreError::InvalidTaskId(
                task_id.chars().take(60).collect(),
            ));
        }
        self.agent_exists(agent_id)?;
        let tx = self.write_tx()?;
        let added = tx.execute(
            "INSERT INTO tasks (agent_id, task_id, title, state, state_since, first_seen_at,
                                    updated_at)
                 VALUES (?1, ?2, ?3, 'submitted', ?4, ?4, ?4)
                 ON CONFLICT (agent_id, task_id) DO NOTHING",
            params![agent_id, task_id, format!("A2A task {task_id}"), ts(now)],
        )?;
        changes::record(&tx, ChangeKind::Agent, agent_id, "")?;
        tx.commit()?;
        Ok(added > 0)
    }

    /// Forgets a task of the agent (one it followed and its server no longer knows): its row
    /// goes, its events stay. False when there was none.
    pub fn unfollow_task(&mut self, agent_id: i64, task_id: &str) -> Result<bool> {
        self.agent_exists(agent_id)?;
        let tx = self.write_tx()?;
        // The replay shows the task gone from this moment on.
        tx.execute(
            "INSERT INTO task_history (agent_id, task_id, recorded_at, title, state, state_since,
                                       depends_on, gone)
             SELECT agent_id, task_id, ?3, title, state, state_since, depends_on, 1
               FROM tasks WHERE agent_id = ?1 AND task_id = ?2",
            params![agent_id, task_id.trim(), ts(Utc::now())],
        )?;
        let removed = tx.execute(
            "DELETE FROM tasks WHERE agent_id = ?1 AND task_id = ?2",
            params![agent_id, task_id.trim()],
        )?;
        crate::texts::forget_unused(&tx)?;
        changes::record(&tx, ChangeKind::Agent, agent_id, "")?;
        tx.commit()?;
        Ok(removed > 0)
    }
}

/// Lists the read of the agent's open requests for input (its needs-approval escalations) on
/// `tasks`, which an ingest settles when their task moves on: taken by [`open_requests`]. By
/// task id, so that the server looks up each
/// task's items rather than every open item: "open" is said as `resolved_at IS NULL` (the same,
/// by the table's check), which no index offers, so PostgreSQL's planner does not intersect
/// the task's items with every open item of the store (0.5–2 ms a poll at 1,000 agents).
/// The finding's kind is a scalar subquery, not a join, so that no plan can start from
/// `findings`: with the join, a plan made before the tables had statistics scanned every
/// finding for each call (2.2 ms a call at 1,000 agents, `findings` read 22.9 M rows in 20 s).
pub(crate) fn open_requests_read(agent_id: i64, tasks: &[&str], ahead: &mut ReadAhead) {
    let ids: Vec<Value> = tasks.iter().map(|id| Value::Text(id)).collect();
    ahead.read_keyed_in(&OPEN_REQUESTS, params![agent_id], &ids);
}

/// See [`open_requests_read`] (a group's agents in one statement on PostgreSQL).
static OPEN_REQUESTS: KeyedIn = KeyedIn {
    many: RowsSql {
        before: "SELECT v.column1, x.* FROM (VALUES",
        columns: 2,
        after: ") AS v, LATERAL (
                    SELECT e.id, e.finding_id, e.task_id FROM escalations e
                     WHERE e.agent_id = v.column2 AND e.task_id = v.column3
                       AND e.resolved_at IS NULL
                       AND (SELECT f.kind FROM findings f WHERE f.id = e.finding_id)
                           = 'needs_approval'
                    OFFSET 0) AS x",
        key: &[],
        one: None,
        numbered: true,
        anytime: false,
    },
    alone: |list| {
        format!(
            "SELECT e.id, e.finding_id, e.task_id FROM escalations e
              WHERE e.agent_id = ?1 AND e.task_id IN ({list}) AND e.resolved_at IS NULL
                AND (SELECT f.kind FROM findings f WHERE f.id = e.finding_id)
                    = 'needs_approval'"
        )
    },
};

/// An open request for input: its escalation, its finding and its task.
pub(crate) struct OpenRequest {
    id: i64,
    finding_id: i64,
    task_id: Option<String>,
}

/// The agent's open requests, as [`open_requests_read`] read them, oldest first (a task
/// listed twice gives its rows twice: each counts once).
pub(crate) fn open_requests(rows: &mut ReadRows) -> Result<Vec<OpenRequest>> {
    let mut found: Vec<OpenRequest> = Vec::new();
    for row in rows.take()? {
        let id: i64 = row.get(0)?;
        if !found.iter().any(|r| r.id == id) {
            found.push(OpenRequest {
                id,
                finding_id: row.get(1)?,
                task_id: row.get(2)?,
            });
        }
    }
    found.sort_by_key(|r| r.id);
    Ok(found)
}

/// The agent's task `task_id` left an interrupted state for `now_state`: its open request for
/// input (a needs-approval escalation, among `open` read ahead) is settled, as the agent's
/// doing, in the decision log. Returns the escalations settled.
pub(crate) fn settle_requests_in(
    tx: &Db,
    open: &[OpenRequest],
    agent_name: &str,
    task_id: &str,
    now_state: TaskState,
    now: DateTime<Utc>,
) -> Result<Vec<i64>> {
    let open = open
        .iter()
        .filter(|r| r.task_id.as_deref() == Some(task_id))
        .map(|r| (r.id, r.finding_id));
    let mut settled = Vec::new();
    for (id, finding_id) in open {
        let decision = append_decision_in(
            tx,
            NewDecision::new(agent_name, "settled", &format!("escalation:{id}"))
                .at(now)
                .escalation(id)
                .reason(&format!("the task moved on to {}", now_state.as_str()))
                .detail(json!({ "task_id": task_id, "state": now_state.as_str() })),
        )?;
        resolve_in(tx, id, Some(finding_id), decision.seq, now)?;
        settled.push(id);
    }
    Ok(settled)
}
