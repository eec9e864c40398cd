//! The ownership map as one read (agents with their declarations, rules, conflicts), the user's
//! declaration of an agent, and applying the resolution of a conflict. Every change is audited
//! in the decision log in the same transaction: `declares.set` / `declares.clear` with subject
//! `agent:<id>` and detail `{"agent", "before", "after"}`, and the rule entries of `rules.rs`.

use crate::changes::{self, ChangeKind};
use crate::db::{params, Db};
use baton_core::rules::map::{MapAgent, OwnershipMap};
use baton_core::rules::{Declares, ManifestSource, ResolutionPlan, RuleChange, StoredRule};
use chrono::{DateTime, Utc};
use serde_json::json;

use crate::decisions::{append_decision_in, NewDecision};
use crate::error::{Result, StoreError};
use crate::manifests::{decode_lists, upsert};
use crate::rules::{audit_in, check_who, insert_in, rule_in, rules_in, update_in, validate};
use crate::Store;

fn declares_in(conn: &Db, agent_id: i64, source: ManifestSource) -> Result<Option<Declares>> {
    let text: Option<String> = conn.query_opt(
        "SELECT declares FROM manifests WHERE agent_id = ?1 AND source = ?2",
        params![agent_id, source.as_str()],
        |row| row.get(0),
    )?;
    text.map(|text| decode_lists(&text)).transpose()
}

fn agents_in(conn: &Db) -> Result<Vec<MapAgent>> {
    let named: Vec<(i64, String)> = conn.query_map(
        "SELECT id, name FROM agents ORDER BY name_key, id",
        params![],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    let mut agents = Vec::with_capacity(named.len());
    for (id, name) in named {
        let user = declares_in(conn, id, ManifestSource::User)?;
        let own = declares_in(conn, id, ManifestSource::Agent)?;
        let agent = match (user, own) {
            (Some(user), own) => MapAgent {
                id,
                name,
                declares: user,
                source: Some(ManifestSource::User),
                agent_declares: own,
            },
            (None, Some(own)) => MapAgent {
                id,
                name,
                declares: own,
                source: Some(ManifestSource::Agent),
                agent_declares: None,
            },
            (None, None) => MapAgent {
                id,
                name,
                declares: Declares::default(),
                source: None,
                agent_declares: None,
            },
        };
        agents.push(agent);
    }
    Ok(agents)
}

fn agent_id_named(conn: &Db, name: &str) -> Result<i64> {
    conn.query_opt(
        "SELECT id FROM agents WHERE name_key = ?1",
        params![crate::agents::name_key(name)],
        |row| row.get(0),
    )?
    .ok_or_else(|| StoreError::AgentNameNotFound(name.to_owned()))
}

/// Stores (or with `None` clears) what the user declares for `agent_id`, with its entry.
/// Nothing is written when it would not change.
fn set_declaration_in(
    tx: &Db,
    agent_id: i64,
    declares: Option<&Declares>,
    who: &str,
    at: DateTime<Utc>,
) -> Result<bool> {
    let name: String = tx
        .query_opt(
            "SELECT name FROM agents WHERE id = ?1",
            params![agent_id],
            |row| row.get(0),
        )?
        .ok_or(StoreError::AgentNotFound(agent_id))?;
    let before = declares_in(tx, agent_id, ManifestSource::User)?;
    if before.as_ref() == declares {
        return Ok(false);
    }
    let action = match declares {
        Some(declares) => {
            upsert(tx, agent_id, ManifestSource::User, declares, at)?;
            "declares.set"
        }
        None => {
            tx.execute(
                "DELETE FROM manifests WHERE agent_id = ?1 AND source = 'user'",
                params![agent_id],
            )?;
            changes::record(tx, ChangeKind::Declarations, agent_id, "")?;
            "declares.clear"
        }
    };
    let entry = NewDecision::new(who, action, &format!("agent:{agent_id}"))
        .at(at)
        .detail(json!({ "agent": name, "before": before, "after": declares }));
    append_decision_in(tx, entry)?;
    Ok(true)
}

impl Store {
    /// Every agent with the declaration in force (the user's, else the agent's own), by name.
    pub fn map_agents(&self) -> Result<Vec<MapAgent>> {
        agents_in(&self.db)
    }

    /// Every agent with its declaration, every rule, and their conflicts; the files coding
    /// sessions hold, and each live branch's edits.
    pub fn ownership_map(&self) -> Result<OwnershipMap> {
        self.ownership_map_at(chrono::Utc::now())
    }

    /// [`Store::ownership_map`] as it is at `now` (which sessions are live).
    pub fn ownership_map_at(&self, now: DateTime<Utc>) -> Result<OwnershipMap> {
        let mut map = OwnershipMap::new(agents_in(&self.db)?, rules_in(&self.db)?);
        map.leases = crate::sessions::permits::map_leases(&self.db)?;
        map.branch_edits = crate::sessions::edits::branch_edits(&self.db, now)?;
        Ok(map)
    }

    /// What the user declares for an agent, replacing what the agent says about itself (`None`
    /// goes back to the agent's own declaration). The caller has checked the patterns. Returns
    /// whether anything changed.
    pub fn set_declaration(
        &mut self,
        agent_id: i64,
        declares: Option<&Declares>,
        who: &str,
    ) -> Result<bool> {
        check_who(who)?;
        let tx = self.write_tx()?;
        let changed = set_declaration_in(&tx, agent_id, declares, who, Utc::now())?;
        tx.commit()?;
        Ok(changed)
    }

    /// Applies a resolution plan made from `rules_seen` (the rules as they were read for the
    /// plan) in ONE transaction: its rule change and its declarations, each with its entry.
    /// Fails with [`StoreError::Stale`] when the rule it changes is no longer as it was seen.
    pub fn apply_resolution(
        &mut self,
        plan: &ResolutionPlan,
        rules_seen: &[StoredRule],
        who: &str,
    ) -> Result<()> {
        check_who(who)?;
        let now = Utc::now();
        let tx = self.write_tx()?;
        match &plan.rule {
            Some(RuleChange::Add(rule)) => {
                validate(rule)?;
                let id = insert_in(&tx, rule, now)?;
                audit_in(&tx, who, "rule.add", id, (None, Some(rule)), now)?;
            }
            Some(RuleChange::Update { index, rule }) => {
                validate(rule)?;
                let seen = rules_seen.get(*index).ok_or_else(stale)?;
                let before = rule_in(&tx, seen.id).map_err(|_| stale())?;
                if before.rule != seen.rule {
                    return Err(stale());
                }
                update_in(&tx, seen.id, rule, now)?;
                let change = (Some(&before.rule), Some(rule));
                audit_in(&tx, who, "rule.update", seen.id, change, now)?;
            }
            None => {}
        }
        for manifest in &plan.declarations {
            let agent_id = agent_id_named(&tx, &manifest.agent)?;
            set_declaration_in(&tx, agent_id, Some(&manifest.declares), who, now)?;
        }
        tx.commit()?;
        tracing::debug!(who, summary = ?plan.summary, "conflict resolved");
        Ok(())
    }
}

fn stale() -> StoreError {
    StoreError::Stale(
        "the rules changed since this conflict was found; look at the map again".into(),
    )
}
