//! The ownership map's commands: read the map, edit rules and declarations, check a draft
//! rule, run the pre-deploy check of an agent, and resolve a conflict. Each validates with
//! baton-core first, then changes the store (audited there, in the change's transaction), and
//! answers with the new map so the view and its lint stay in step.

use super::Engine;
use crate::error::EngineError;
use baton_core::rules::map::{manifests_of, MapAgent};
use baton_core::rules::{
    check_draft, plan_resolution, predeploy_check, validate_manifest, validate_rule, ConflictSide,
    Declares, Dispute, DraftCheck, OwnershipMap, PredeployConflict, Resolution, Resolved, Rule,
    StoredRule,
};

impl Engine {
    /// The stored rules and the agents' declarations in force, without linting them (what a
    /// pre-deploy check or a resolution plan needs; the map's own conflicts are not).
    async fn rules_and_agents(&self) -> Result<(Vec<StoredRule>, Vec<MapAgent>), EngineError> {
        self.shared()
            .read(|store| Ok((store.rules()?, store.map_agents()?)))
            .await
    }

    /// Every agent with its declaration, every rule, and their conflicts.
    pub async fn ownership_map(&self) -> Result<OwnershipMap, EngineError> {
        self.shared().read(|store| store.ownership_map()).await
    }

    /// Adds a rule (validated first) recorded as `who`'s change.
    pub async fn add_rule(&self, rule: Rule, who: String) -> Result<OwnershipMap, EngineError> {
        validate_rule(&rule)?;
        self.shared()
            .write(move |store| store.add_rule(&rule, &who))
            .await?;
        self.ownership_map().await
    }

    pub async fn update_rule(
        &self,
        id: i64,
        rule: Rule,
        who: String,
    ) -> Result<OwnershipMap, EngineError> {
        validate_rule(&rule)?;
        self.shared()
            .write(move |store| store.update_rule(id, &rule, &who))
            .await?;
        self.ownership_map().await
    }

    pub async fn remove_rule(&self, id: i64, who: String) -> Result<OwnershipMap, EngineError> {
        self.shared()
            .write(move |store| store.remove_rule(id, &who))
            .await?;
        self.ownership_map().await
    }

    /// Checks a rule being edited against the stored ones (`editing`: its id, if stored).
    pub async fn check_rule(
        &self,
        rule: Rule,
        editing: Option<i64>,
    ) -> Result<DraftCheck, EngineError> {
        let stored = self.shared().read(|store| store.rules()).await?;
        let skip = editing.and_then(|id| stored.iter().position(|r| r.id == id));
        let others: Vec<Rule> = stored.into_iter().map(|r| r.rule).collect();
        Ok(check_draft(&rule, &others, skip))
    }

    /// What the user declares for an agent (`None`: back to the agent's own declaration).
    pub async fn set_declaration(
        &self,
        agent_id: i64,
        declares: Option<Declares>,
        who: String,
    ) -> Result<OwnershipMap, EngineError> {
        if let Some(declares) = &declares {
            validate_manifest(&declares.to_manifest("agent"))?;
        }
        self.shared()
            .write(move |store| store.set_declaration(agent_id, declares.as_ref(), &who))
            .await?;
        self.ownership_map().await
    }

    /// The pre-deploy check of an agent named `agent` declaring `declares`, against the stored
    /// rules and every other agent's declaration (its own stored one is ignored).
    pub async fn predeploy_check(
        &self,
        agent: String,
        declares: Declares,
    ) -> Result<Vec<PredeployConflict>, EngineError> {
        let manifest = declares.to_manifest(agent);
        validate_manifest(&manifest)?;
        let (rules, agents) = self.rules_and_agents().await?;
        let rules: Vec<Rule> = rules.into_iter().map(|r| r.rule).collect();
        let mut conflicts = predeploy_check(&manifest, &rules, &manifests_of(&agents));
        if conflicts.is_empty() {
            return Ok(conflicts);
        }
        // An agent it overlaps with that is not ready for a second agent beside it: said.
        let now = chrono::Utc::now();
        let (readiness, rows) = self
            .read(move |s| Ok((s.readiness(now)?, s.agent_rows()?)))
            .await?;
        let not_ready: std::collections::HashMap<String, String> = readiness
            .into_iter()
            .filter(|r| !r.ready)
            .filter_map(|r| {
                let row = rows.iter().find(|a| a.config.id == r.agent_id)?;
                Some((
                    baton_core::agent::name_key(&row.config.name),
                    format!("{} is not ready: {}", row.config.name, r.summary),
                ))
            })
            .collect();
        for conflict in &mut conflicts {
            let other = match &conflict.other {
                ConflictSide::Rule { owner, .. } => owner,
                ConflictSide::Agent { name, .. } => name,
            };
            conflict.other_not_ready = not_ready.get(&baton_core::agent::name_key(other)).cloned();
        }
        Ok(conflicts)
    }

    /// Settles one conflict: plans it against the current map, then applies the plan in one
    /// transaction (refused as stale if the rule it changes moved meanwhile).
    pub async fn resolve_conflict(
        &self,
        dispute: Dispute,
        resolution: Resolution,
        who: String,
    ) -> Result<Resolved, EngineError> {
        let (seen, agents) = self.rules_and_agents().await?;
        let rules: Vec<Rule> = seen.iter().map(|r| r.rule.clone()).collect();
        let plan = plan_resolution(&dispute, &resolution, &rules, &manifests_of(&agents))?;
        let summary = plan.summary.clone();
        self.shared()
            .write(move |store| store.apply_resolution(&plan, &seen, &who))
            .await?;
        let map = self.ownership_map().await?;
        Ok(Resolved { summary, map })
    }
}
