//! Ownership map and decision log commands: unpack, call the engine or the store, return.

use baton_core::decisions::{ChainCheck, DecisionEntry};
use baton_core::rules::{
    Declares, Dispute, DraftCheck, OwnershipMap, PredeployConflict, Resolution, Resolved, Rule,
};
use baton_store::DecisionFilter;

use crate::error::CommandResult;
use crate::Commands;

/// Most decision-log entries one call returns (the newest).
const DECISION_LIMIT: usize = 2_000;

/// Who a change or a decision is recorded as, the one rule for the app, the preview and the
/// command line: the name given (`--who`), else `BATON_USER`, else the OS user (`USER`,
/// `USERNAME`), else `fallback`.
pub fn person(given: Option<String>, fallback: &str) -> String {
    given
        .into_iter()
        .chain(
            ["BATON_USER", "USER", "USERNAME"]
                .iter()
                .filter_map(|key| std::env::var(key).ok()),
        )
        .map(|name| name.trim().to_owned())
        .find(|name| !name.is_empty())
        .unwrap_or_else(|| fallback.to_owned())
}

/// Who changes made in the app are recorded as ([`person`], else "desktop user").
pub fn who() -> String {
    person(None, "desktop user")
}

pub async fn ownership_map(c: &Commands) -> CommandResult<OwnershipMap> {
    Ok(c.engine().ownership_map().await?)
}

pub async fn add_rule(c: &Commands, rule: Rule) -> CommandResult<OwnershipMap> {
    Ok(c.engine().add_rule(rule, who()).await?)
}

pub async fn update_rule(c: &Commands, id: i64, rule: Rule) -> CommandResult<OwnershipMap> {
    Ok(c.engine().update_rule(id, rule, who()).await?)
}

pub async fn remove_rule(c: &Commands, id: i64) -> CommandResult<OwnershipMap> {
    Ok(c.engine().remove_rule(id, who()).await?)
}

pub async fn check_rule(
    c: &Commands,
    rule: Rule,
    editing: Option<i64>,
) -> CommandResult<DraftCheck> {
    Ok(c.engine().check_rule(rule, editing).await?)
}

pub async fn set_declaration(
    c: &Commands,
    agent_id: i64,
    declares: Option<Declares>,
) -> CommandResult<OwnershipMap> {
    Ok(c.engine()
        .set_declaration(agent_id, declares, who())
        .await?)
}

pub async fn predeploy_check(
    c: &Commands,
    agent: String,
    declares: Declares,
) -> CommandResult<Vec<PredeployConflict>> {
    Ok(c.engine().predeploy_check(agent, declares).await?)
}

pub async fn resolve_conflict(
    c: &Commands,
    dispute: Dispute,
    resolution: Resolution,
) -> CommandResult<Resolved> {
    Ok(c.engine()
        .resolve_conflict(dispute, resolution, who())
        .await?)
}

pub async fn decision_log(
    c: &Commands,
    subject_prefix: Option<String>,
) -> CommandResult<Vec<DecisionEntry>> {
    let filter = DecisionFilter {
        subject_prefix: subject_prefix.filter(|p| !p.is_empty()),
        limit: Some(DECISION_LIMIT),
        ..DecisionFilter::default()
    };
    Ok(c.engine()
        .read(move |store| store.decisions(&filter))
        .await?)
}

pub async fn verify_decisions(c: &Commands) -> CommandResult<ChainCheck> {
    Ok(c.engine().read(|store| store.verify_decisions()).await?)
}
