//! What the Agents view shows of a coding session: where it works, its prompt and last tool,
//! whether it ended, and the files it holds.

use crate::codec::{parse_opt_ts, parse_ts};
use crate::db::params;
use crate::error::Result;
use crate::Store;
use baton_core::agent::{AdapterKind, AgentConfig};
use baton_core::hooks::{repository_label, HookClient};
use baton_core::views::{SessionLease, SessionSummary, SubagentSummary};

impl Store {
    /// The session part of an agent's row, for a coding session.
    pub(crate) fn session_summary(&self, agent: &AgentConfig) -> Result<Option<SessionSummary>> {
        if agent.adapter != AdapterKind::Session {
            return Ok(None);
        }
        let stmt_sql = "SELECT client, session_id, repo_root, branch, prompt, last_tool, turn_open,
                    started_at, last_seen_at, ended_at, repository, host
               FROM sessions WHERE agent_id = ?1";
        let Some(mut summary) = self.db.query_opt(stmt_sql, params![agent.id], |row| {
            Ok(SessionSummary {
                client: row.get(0)?,
                session_id: row.get(1)?,
                repo_root: row.get(2)?,
                repository: row.get(10)?,
                // By its identity; the commands name it by its main checkout where they can
                // look at the checkout.
                repository_name: row
                    .get::<Option<String>>(10)?
                    .map(|identity| repository_label(&identity, None)),
                branch: row.get(3)?,
                host: row.get(11)?,
                prompt: row.get(4)?,
                last_tool: row.get(5)?,
                turn_open: row.get(6)?,
                started_at: parse_ts(&row.get::<String>(7)?)?,
                last_seen_at: parse_ts(&row.get::<String>(8)?)?,
                ended_at: parse_opt_ts(row.get(9)?)?,
                leases: Vec::new(),
                base: None,
                base_line: None,
                usage: None,
                subagents: Vec::new(),
            })
        })?
        else {
            return Ok(None);
        };
        summary.leases = self.leases_of(agent.id)?;
        summary.subagents = self.subagents_of(agent.id)?;
        if let Some(client) = HookClient::parse(&summary.client) {
            summary.usage = self.session_usage(agent.id, client, chrono::Utc::now())?;
        }
        summary.base = self.base_drift(agent.id)?;
        summary.base_line = summary
            .base
            .as_ref()
            .map(|drift| drift.sentence(summary.branch.as_deref().unwrap_or("this branch")));
        Ok(Some(summary))
    }

    /// The subagent part of an agent's row, for a subagent of a coding session.
    pub(crate) fn subagent_summary(&self, agent: &AgentConfig) -> Result<Option<SubagentSummary>> {
        if agent.adapter != AdapterKind::Session {
            return Ok(None);
        }
        let found = self.subagents_where("sa.agent_id = ?1", agent.id)?;
        Ok(found.into_iter().next())
    }

    /// The subagents of session `session_agent_id`, in the order they started.
    fn subagents_of(&self, session_agent_id: i64) -> Result<Vec<SubagentSummary>> {
        self.subagents_where("sa.session_agent_id = ?1", session_agent_id)
    }

    fn subagents_where(&self, condition: &str, id: i64) -> Result<Vec<SubagentSummary>> {
        let stmt_sql = format!(
            "SELECT sa.agent_id, a.name, sa.session_agent_id, sa.agent_type, sa.started_at,
                    sa.last_seen_at, sa.stopped_at, sa.last_tool
               FROM subagents sa JOIN agents a ON a.id = sa.agent_id
              WHERE {condition} ORDER BY sa.started_at, sa.agent_id"
        );
        let mut found = self.db.query_map(&stmt_sql, params![id], |row| {
            Ok(SubagentSummary {
                agent_id: row.get(0)?,
                name: row.get(1)?,
                session_agent_id: row.get(2)?,
                agent_type: row.get(3)?,
                started_at: parse_ts(&row.get::<String>(4)?)?,
                last_seen_at: parse_ts(&row.get::<String>(5)?)?,
                stopped_at: parse_opt_ts(row.get(6)?)?,
                last_tool: row.get(7)?,
                leases: Vec::new(),
            })
        })?;
        for sub in &mut found {
            sub.leases = self.leases_of(sub.agent_id)?;
        }
        Ok(found)
    }

    fn leases_of(&self, agent_id: i64) -> Result<Vec<SessionLease>> {
        let stmt_sql = "SELECT resource, since, last_write_at FROM leases
              WHERE holder = ?1 ORDER BY since, resource";
        self.db.query_map(stmt_sql, params![agent_id], |row| {
            Ok(SessionLease {
                resource: row.get(0)?,
                since: parse_ts(&row.get::<String>(1)?)?,
                last_write_at: parse_ts(&row.get::<String>(2)?)?,
            })
        })
    }
}

impl Store {
    /// How many coding sessions' turns wait for a person (a permission or an idle prompt): the
    /// tray counts them.
    pub fn sessions_waiting(&self) -> Result<u32> {
        self.db.query_row(
            "SELECT count(DISTINCT s.agent_id) FROM sessions s
               JOIN tasks t ON t.agent_id = s.agent_id
              WHERE s.ended_at IS NULL AND t.state = 'input_required'",
            params![],
            |row| row.get(0),
        )
    }

    /// The ids of the items opened after `id`, oldest first.
    pub fn escalation_ids_after(&self, id: i64) -> Result<Vec<i64>> {
        self.db.query_map(
            "SELECT id FROM escalations WHERE id > ?1 ORDER BY id",
            params![id],
            |row| row.get(0),
        )
    }
}
