//! Per-agent overrides of the detectors' windows (`agents.detect_windows`), audited in the
//! decision log (`windows.set`, subject `agent:<id>`, detail `{"before", "after"}`).

use crate::db::params;
use baton_core::detect::windows::WindowOverrides;
use chrono::{DateTime, Utc};
use serde_json::json;

use crate::codec::parse_json;
use crate::decisions::{append_decision_in, NewDecision};
use crate::error::{Result, StoreError};
use crate::rules::check_who;
use crate::Store;

fn decode(text: Option<String>) -> Result<WindowOverrides> {
    text.as_deref()
        .map(|t| parse_json(t, "detector windows"))
        .transpose()
        .map(Option::unwrap_or_default)
}

impl Store {
    /// The agent's overrides (empty when it has none).
    pub fn detect_windows(&self, agent_id: i64) -> Result<WindowOverrides> {
        let text: Option<Option<String>> = self.db.query_opt(
            "SELECT detect_windows FROM agents WHERE id = ?1",
            params![agent_id],
            |row| row.get(0),
        )?;
        decode(text.ok_or(StoreError::AgentNotFound(agent_id))?)
    }

    /// Every agent's overrides, for the agents that have some.
    pub fn all_detect_windows(&self) -> Result<Vec<(i64, WindowOverrides)>> {
        let stmt_sql =
            "SELECT id, detect_windows FROM agents WHERE detect_windows IS NOT NULL ORDER BY id";
        let mut all = Vec::new();
        self.db.query_each(stmt_sql, params![], |row| {
            all.push((row.get(0)?, decode(row.get(1)?)?));
            Ok(())
        })?;
        Ok(all)
    }

    /// Sets the agent's overrides (checked; empty clears them), audited.
    pub fn set_detect_windows(
        &mut self,
        agent_id: i64,
        windows: &WindowOverrides,
        who: &str,
        now: DateTime<Utc>,
    ) -> Result<WindowOverrides> {
        check_who(who)?;
        windows.check().map_err(|err| StoreError::InvalidWindows {
            field: err.field,
            message: err.message,
        })?;
        let tx = self.write_tx()?;
        let before: Option<Option<String>> = tx.query_opt(
            "SELECT detect_windows FROM agents WHERE id = ?1",
            params![agent_id],
            |row| row.get(0),
        )?;
        let before = decode(before.ok_or(StoreError::AgentNotFound(agent_id))?)?;
        if before == *windows {
            return Ok(before);
        }
        let text = (!windows.is_empty())
            .then(|| serde_json::to_string(windows).expect("windows always serialise"));
        tx.execute(
            "UPDATE agents SET detect_windows = ?2 WHERE id = ?1",
            params![agent_id, text],
        )?;
        append_decision_in(
            &tx,
            NewDecision::new(who, "windows.set", &format!("agent:{agent_id}"))
                .at(now)
                .detail(json!({ "before": before, "after": windows })),
        )?;
        tx.commit()?;
        Ok(windows.clone())
    }
}
