//! Baton's configured agents: endpoint configuration, cursor, remote self-description (their
//! health: `agent_health.rs`).

use std::collections::{HashMap, HashSet};

use crate::changes::{self, ChangeKind};
use crate::db::{params, Db, Row};
use baton_core::agent::{AdapterKind, AgentConfig, AgentDraft};
use baton_core::views::AgentRow;
use chrono::DateTime;
use chrono::Utc;

use crate::agent_health::{health_columns, read_health};
use crate::codec::{adapter_str, from_sql_int, parse_adapter, parse_agent_state, ts};
use crate::error::{Result, StoreError};
use crate::Store;

const CONFIG_COLS: &str = "id, name, base_url, poll_interval_ms, timeout_ms, adapter, has_token";
const ROW_COLS: &str = concat!(
    "id, name, base_url, poll_interval_ms, timeout_ms, adapter, has_token, ",
    health_columns!(),
    ", remote_id, remote_name, remote_version, remote_state, remote_detail"
);

pub(crate) use baton_core::agent::name_key;

/// The id of the agent named `name` (ignoring case and surrounding spaces, as names are unique).
pub(crate) fn agent_id_by_name(conn: &Db, name: &str) -> Result<Option<i64>> {
    conn.query_opt(
        "SELECT id FROM agents WHERE name_key = ?1",
        params![name_key(name)],
        |row| row.get(0),
    )
}

/// Adds the agent row of a session or a subagent Baton hears through hooks, or of an agent
/// heard through OpenTelemetry (`adapter`; up from `now`), named `base`, or `base·2`,
/// `base·3`… when another agent has the name; its id and name.
pub(crate) fn add_heard_agent(
    tx: &Db,
    base: &str,
    url: &str,
    adapter: AdapterKind,
    now: DateTime<Utc>,
) -> Result<(i64, String)> {
    let mut name = base.to_owned();
    let mut n = 1;
    while agent_id_by_name(tx, &name)?.is_some() {
        n += 1;
        name = format!("{base}·{n}");
    }
    let agent_id: i64 = tx.query_row(
        "INSERT INTO agents (name, name_key, base_url, poll_interval_ms, timeout_ms, adapter,
                             created_at, reachability, last_success_at)
         VALUES (?1, ?2, ?3, 1000, 500, ?5, ?4, 'up', ?4) RETURNING id",
        params![name, name_key(&name), url, ts(now), adapter_str(adapter)],
        |row| row.get(0),
    )?;
    Ok((agent_id, name))
}

fn read_config(row: &Row<'_>) -> Result<AgentConfig> {
    Ok(AgentConfig {
        id: row.get(0)?,
        name: row.get(1)?,
        base_url: row.get(2)?,
        poll_interval_ms: from_sql_int(row.get(3)?, "poll_interval_ms")?,
        timeout_ms: from_sql_int(row.get(4)?, "timeout_ms")?,
        adapter: parse_adapter(&row.get::<String>(5)?)?,
        has_token: row.get(6)?,
    })
}

fn read_row(row: &Row<'_>) -> Result<AgentRow> {
    Ok(AgentRow {
        config: read_config(row)?,
        health: read_health(row, 7)?,
        remote_id: row.get(14)?,
        remote_name: row.get(15)?,
        remote_version: row.get(16)?,
        remote_state: row
            .get::<Option<String>>(17)?
            .as_deref()
            .map(parse_agent_state)
            .transpose()?,
        remote_detail: row.get(18)?,
        task_counts: Default::default(),
        a2a: None,
        session: None,
        subagent: None,
    })
}

impl Store {
    /// Fails with [`StoreError::DuplicateAgentName`] when another agent (not `except`) has the
    /// same name, ignoring case and surrounding spaces.
    fn check_name_free(&self, name: &str, except: Option<i64>) -> Result<()> {
        let taken: Option<i64> = self.db.query_opt(
            "SELECT id FROM agents WHERE name_key = ?1 AND id IS DISTINCT FROM ?2",
            params![name_key(name), except],
            |row| row.get(0),
        )?;
        match taken {
            Some(_) => Err(StoreError::DuplicateAgentName(name.trim().to_owned())),
            None => Ok(()),
        }
    }

    /// Refuses a URL another agent (other than `except`) is polled at.
    fn check_url_free(&self, url: &str, except: Option<i64>) -> Result<()> {
        let taken: Option<String> = self.db.query_opt(
            "SELECT name FROM agents WHERE base_url = ?1 AND id IS DISTINCT FROM ?2",
            params![url, except],
            |row| row.get(0),
        )?;
        match taken {
            Some(name) => Err(StoreError::DuplicateAgentUrl {
                name,
                url: url.to_owned(),
            }),
            None => Ok(()),
        }
    }

    /// Fails with [`StoreError::AgentNotFound`] unless the agent exists.
    pub(crate) fn require_agent(&self, id: i64) -> Result<()> {
        let found: Option<i64> =
            self.db
                .query_opt("SELECT id FROM agents WHERE id = ?1", params![id], |row| {
                    row.get(0)
                })?;
        found.map(|_| ()).ok_or(StoreError::AgentNotFound(id))
    }

    /// Adds an agent: validates the draft, stores the trimmed name and the normalised URL.
    pub fn add_agent(&mut self, draft: &AgentDraft) -> Result<AgentConfig> {
        self.add_agents(std::slice::from_ref(draft))?
            .pop()
            .ok_or_else(|| StoreError::Writer("the agent added was not read back".into()))
    }

    /// Adds agents, all or none, in one write: each draft validated, no two named alike or
    /// polled at one URL (among themselves or with the agents stored). A fixed number of round
    /// trips on PostgreSQL whatever their number (a `baton.toml` of 1,000 agents took 5,000,
    /// 25 s with the server 5 ms away, holding the store's write lock). In the drafts' order.
    pub fn add_agents(&mut self, drafts: &[AgentDraft]) -> Result<Vec<AgentConfig>> {
        if drafts.is_empty() {
            // A file with no new agent (every `baton watch` after the first): no write.
            return Ok(Vec::new());
        }
        for draft in drafts {
            draft.validate()?;
        }
        let tx = self.write_tx()?;
        // Read under the write lock: nobody adds one of these names meanwhile.
        let stored: Vec<(String, String, String)> = tx.query_map(
            "SELECT name, name_key, base_url FROM agents",
            params![],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )?;
        let mut names: HashSet<String> = stored.iter().map(|(_, key, _)| key.clone()).collect();
        let mut urls: HashMap<String, String> = stored
            .into_iter()
            .map(|(name, _, url)| (url, name))
            .collect();
        let now = ts(Utc::now());
        for draft in drafts {
            let name = draft.name.trim();
            let url = draft.normalised_base_url();
            if !names.insert(name_key(name)) {
                return Err(StoreError::DuplicateAgentName(name.to_owned()));
            }
            if let Some(other) = urls.insert(url.clone(), name.to_owned()) {
                return Err(StoreError::DuplicateAgentUrl { name: other, url });
            }
            tx.execute_later(
                "INSERT INTO agents (name, name_key, base_url, poll_interval_ms, timeout_ms,
                                     adapter, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    name,
                    name_key(name),
                    url,
                    // validate() bounds both well inside i64.
                    draft.poll_interval_ms as i64,
                    draft.timeout_ms as i64,
                    adapter_str(draft.adapter),
                    now.as_str(),
                ],
            )?;
        }
        let mut added: HashMap<String, AgentConfig> = HashMap::new();
        let rows = tx.query_map(
            &format!("SELECT {CONFIG_COLS} FROM agents WHERE created_at = ?1"),
            params![now.as_str()],
            read_config,
        )?;
        for agent in rows {
            added.insert(name_key(&agent.name), agent);
        }
        let added: Vec<AgentConfig> = drafts
            .iter()
            .filter_map(|draft| added.remove(&name_key(draft.name.trim())))
            .collect();
        if added.len() != drafts.len() {
            return Err(StoreError::Writer(format!(
                "{} agent(s) added, {} read back",
                drafts.len(),
                added.len()
            )));
        }
        for agent in &added {
            changes::record(&tx, ChangeKind::Agent, agent.id, "")?;
        }
        tx.commit()?;
        tracing::debug!(count = added.len(), "agents added");
        Ok(added)
    }

    /// Replaces an agent's configuration (its token flag, health and data stay). When the base
    /// URL changes, the cursor is cleared: the next poll starts from the beginning of whatever
    /// now answers there (re-delivered events are deduplicated).
    pub fn update_agent(&mut self, id: i64, draft: &AgentDraft) -> Result<AgentConfig> {
        draft.validate()?;
        self.require_agent(id)?;
        let name = draft.name.trim();
        self.check_name_free(name, Some(id))?;
        self.check_url_free(&draft.normalised_base_url(), Some(id))?;
        let tx = self.write_tx()?;
        tx.execute(
            "UPDATE agents
                    SET name = ?2, name_key = ?3,
                        cursor = CASE WHEN base_url = ?4 THEN cursor ELSE NULL END,
                        base_url = ?4, poll_interval_ms = ?5, timeout_ms = ?6, adapter = ?7
                  WHERE id = ?1",
            params![
                id,
                name,
                name_key(name),
                draft.normalised_base_url(),
                draft.poll_interval_ms as i64,
                draft.timeout_ms as i64,
                adapter_str(draft.adapter),
            ],
        )
        .map_err(|err| name_taken(err, name))?;
        changes::record(&tx, ChangeKind::Agent, id, "")?;
        tx.commit()?;
        self.agent(id)
    }

    /// Removes an agent and everything it reported (tasks, events, usage, pending deliveries);
    /// a coding session's subagents (agents of their own) go with it.
    pub fn remove_agent(&mut self, id: i64) -> Result<()> {
        let tx = self.write_tx()?;
        tx.execute(
            "DELETE FROM agents WHERE id IN
                (SELECT agent_id FROM subagents WHERE session_agent_id = ?1)",
            params![id],
        )?;
        let removed = tx.execute("DELETE FROM agents WHERE id = ?1", params![id])?;
        if removed == 0 {
            return Err(StoreError::AgentNotFound(id));
        }
        // Its long texts went with its rows, unless another agent sent the same.
        crate::texts::forget_unused(&tx)?;
        changes::record(&tx, ChangeKind::Agent, id, "")?;
        tx.commit()?;
        tracing::debug!(id, "agent removed");
        Ok(())
    }

    /// Records whether a token is stored in the keyring for this agent.
    pub fn set_has_token(&mut self, id: i64, has_token: bool) -> Result<()> {
        let tx = self.write_tx()?;
        let n = tx.execute(
            "UPDATE agents SET has_token = ?2 WHERE id = ?1",
            params![id, has_token],
        )?;
        if n == 0 {
            return Err(StoreError::AgentNotFound(id));
        }
        changes::record(&tx, ChangeKind::Agent, id, "")?;
        tx.commit()
    }

    /// One agent's configuration.
    pub fn agent(&self, id: i64) -> Result<AgentConfig> {
        self.db
            .query_opt(
                &format!("SELECT {CONFIG_COLS} FROM agents WHERE id = ?1"),
                params![id],
                read_config,
            )?
            .ok_or(StoreError::AgentNotFound(id))
    }

    /// Every agent, ordered by id.
    pub fn agents(&self) -> Result<Vec<AgentConfig>> {
        self.db.query_map(
            &format!("SELECT {CONFIG_COLS} FROM agents ORDER BY id"),
            params![],
            read_config,
        )
    }

    /// Every agent with its health, self-description and task counts, ordered by id.
    pub fn agent_rows(&self) -> Result<Vec<AgentRow>> {
        let mut counts = self.counts_by_agent(None)?;
        let mut out = self.db.query_map(
            &format!("SELECT {ROW_COLS} FROM agents ORDER BY id"),
            params![],
            read_row,
        )?;
        for agent in &mut out {
            agent.task_counts = counts.remove(&agent.config.id).unwrap_or_default();
            agent.a2a = self.a2a_summary(&agent.config)?;
            agent.session = self.session_summary(&agent.config)?;
            agent.subagent = self.subagent_summary(&agent.config)?;
        }
        Ok(out)
    }

    /// One agent's row of the Agents view.
    pub fn agent_row(&self, id: i64) -> Result<AgentRow> {
        let mut agent = self
            .db
            .query_opt(
                &format!("SELECT {ROW_COLS} FROM agents WHERE id = ?1"),
                params![id],
                read_row,
            )?
            .ok_or(StoreError::AgentNotFound(id))?;
        agent.task_counts = self.column_counts(Some(id))?;
        agent.a2a = self.a2a_summary(&agent.config)?;
        agent.session = self.session_summary(&agent.config)?;
        agent.subagent = self.subagent_summary(&agent.config)?;
        Ok(agent)
    }

    /// The `cursor` of the last ingested document, to send back as `since`.
    pub fn cursor(&self, id: i64) -> Result<Option<String>> {
        self.db
            .query_opt(
                "SELECT cursor FROM agents WHERE id = ?1",
                params![id],
                |row| row.get(0),
            )?
            .ok_or(StoreError::AgentNotFound(id))
    }
}

/// A unique violation of an agent's name said as such (two writers racing for one name).
fn name_taken(err: StoreError, name: &str) -> StoreError {
    if err.is_unique_violation() {
        StoreError::DuplicateAgentName(name.to_owned())
    } else {
        err
    }
}
