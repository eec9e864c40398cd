//! A file's `[[agents]]` into the store, for `baton watch --config` and `baton import`: each
//! added, or updated by name (ignoring case), and only in what the file says. A protocol left
//! to `auto` is found out first by asking the agent, as the app's "Test connection" does.

use std::sync::Arc;

use baton_core::agent::{same_name, AdapterKind, AgentConfig};
use baton_engine::{Engine, EngineConfig, MemoryTokens};
use baton_store::{ManifestSource, Store, StoreHandle};
use chrono::Utc;
use futures_util::StreamExt;

use super::error::CliError;
use super::text::plain;
use crate::config::AgentEntry;

/// What a sync did.
#[derive(Debug, Default)]
pub struct Synced {
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// (agent id, token) for each agent whose entry references one.
    pub tokens: Vec<(i64, String)>,
    /// Protocols found out, or not: one line each, for the person.
    pub notes: Vec<String>,
    /// Agents whose daily budget the file sets (or clears with 0).
    pub budgets: usize,
}

fn known<'a>(existing: &'a [AgentConfig], entry: &AgentEntry) -> Option<&'a AgentConfig> {
    existing.iter().find(|a| same_name(&a.name, &entry.name))
}

/// How many agents are asked their protocol at once.
const DETECT_AT_ONCE: usize = 32;
/// The shortest wait for an agent asked its protocol: asked once, it may take longer than a
/// poll (the LangGraph dev server looks up its assistant for every A2A call), and an answer
/// missed here leaves a new agent polled as `baton/1`.
const DETECT_TIMEOUT_MS: u64 = 5_000;

/// The protocol of each entry that leaves it to `auto`, asked of the agents (a few at once;
/// nothing is stored): `None` where there is nothing to find out, else the protocol or why it
/// is not known.
async fn detect(
    agents: &[(&AgentEntry, Option<String>)],
    existing: &[AgentConfig],
) -> Result<Vec<Option<Result<AdapterKind, String>>>, CliError> {
    if !agents
        .iter()
        .any(|(entry, _)| entry.needs_detection(known(existing, entry)))
    {
        return Ok(vec![None; agents.len()]);
    }
    let engine = Engine::new(
        StoreHandle::in_memory()?,
        Arc::new(MemoryTokens::new(None)),
        EngineConfig::default(),
    );
    let asks = agents.iter().map(|(entry, token)| {
        let engine = engine.clone();
        let was = known(existing, entry);
        let ask = entry.needs_detection(was).then(|| {
            let mut draft = entry.draft_over(was);
            draft.timeout_ms = draft.timeout_ms.max(DETECT_TIMEOUT_MS);
            draft.poll_interval_ms = draft.poll_interval_ms.max(draft.timeout_ms + 1);
            draft
        });
        let token = token.clone();
        async move {
            let draft = ask?;
            let report = engine.test_connection(&draft, token).await;
            Some(match report.adapter {
                Some(adapter) if report.ok => Ok(adapter),
                _ => Err(report.message),
            })
        }
    });
    Ok(futures_util::stream::iter(asks)
        .buffered(DETECT_AT_ONCE)
        .collect()
        .await)
}

/// The file's agents, with the protocols found out for those that leave it to `auto`: what
/// [`apply_sync`] writes. Made before any write, so that no transaction waits for an agent.
pub struct SyncPlan<'a> {
    agents: Vec<(&'a AgentEntry, Option<String>)>,
    detected: Vec<Option<Result<AdapterKind, String>>>,
}

/// Asks the agents that leave their protocol to `auto` (nothing is written).
pub async fn plan_sync<'a>(
    store: &Store,
    agents: Vec<(&'a AgentEntry, Option<String>)>,
) -> Result<SyncPlan<'a>, CliError> {
    let existing = store.agents()?;
    let detected = detect(&agents, &existing).await?;
    Ok(SyncPlan { agents, detected })
}

/// Adds the file's agents to the store, or updates those it names, in what it says, in one
/// transaction: a file that fails half-way leaves the store as it was. With `tokens_read`
/// (`watch`: the file's token references were looked up), an agent whose entry names a token
/// is marked as having one; `import` leaves tokens to the app.
pub async fn sync_agents(
    store: &mut Store,
    agents: Vec<(&AgentEntry, Option<String>)>,
    tokens_read: bool,
    who: &str,
) -> Result<Synced, CliError> {
    let plan = plan_sync(store, agents).await?;
    store.all_or_nothing(|store| apply_sync(store, plan, tokens_read, who))
}

/// Writes a [`SyncPlan`]; the caller holds the transaction.
pub fn apply_sync(
    store: &mut Store,
    plan: SyncPlan<'_>,
    tokens_read: bool,
    who: &str,
) -> Result<Synced, CliError> {
    let existing = store.agents()?;
    let mut synced = Synced::default();
    // Each entry's agent: stored as it is, updated, or new (added together below, in one
    // write whatever their number).
    let mut entries = Vec::with_capacity(plan.agents.len());
    let mut new_drafts = Vec::new();
    for ((entry, token), detected) in plan.agents.into_iter().zip(plan.detected) {
        let was = known(&existing, entry);
        let mut draft = entry.draft_over(was);
        if entry.needs_detection(was) {
            match detected {
                Some(Ok(adapter)) => {
                    draft.adapter = adapter;
                    synced.notes.push(format!(
                        "{}: answered in {}",
                        plain(entry.name.trim()),
                        if adapter == AdapterKind::A2a { "A2A" } else { "baton/1" }
                    ));
                }
                Some(Err(why)) => synced.notes.push(format!(
                    "{}: protocol not found out ({}); polled as {} (say protocol = \"baton\" or \"a2a\" in the file)",
                    plain(entry.name.trim()),
                    plain(&why),
                    if draft.adapter == AdapterKind::A2a { "A2A" } else { "baton/1" }
                )),
                None => {}
            }
        }
        let id = match was {
            Some(agent)
                if agent.name == draft.name.trim()
                    && agent.base_url == draft.normalised_base_url()
                    && agent.poll_interval_ms == draft.poll_interval_ms
                    && agent.timeout_ms == draft.timeout_ms
                    && agent.adapter == draft.adapter =>
            {
                synced.unchanged += 1;
                Some(agent.id)
            }
            Some(agent) => {
                synced.updated += 1;
                Some(store.update_agent(agent.id, &draft)?.id)
            }
            None => {
                synced.added += 1;
                new_drafts.push(draft.clone());
                None
            }
        };
        entries.push((entry, token, id, draft.name));
    }
    // One per draft, in their order (it fails otherwise).
    let mut added = store
        .add_agents(&new_drafts)?
        .into_iter()
        .map(|agent| agent.id);
    for (entry, token, id, name) in entries {
        let Some(id) = id.or_else(|| added.next()) else {
            continue;
        };
        if let Some(windows) = &entry.windows {
            store.set_detect_windows(id, windows, who, Utc::now())?;
        }
        if let Some(usd) = entry.daily_budget_usd {
            store.set_daily_budget(id, (usd > 0.0).then_some(usd), Utc::now())?;
            synced.budgets += 1;
        }
        if let Some(declares) = &entry.declares {
            store.set_manifest(id, ManifestSource::User, &declares.manifest(&name))?;
        }
        if tokens_read && entry.token.is_some() {
            store.set_has_token(id, token.is_some())?;
        }
        if let Some(token) = token {
            synced.tokens.push((id, token));
        }
    }
    Ok(synced)
}
