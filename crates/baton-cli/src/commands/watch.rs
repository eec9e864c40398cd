//! `baton watch`: poll agents headless into the store, with tokens from the config file or the
//! app's keyring.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use baton_core::agent::Reachability;
use baton_core::views::{ChangeEvent, SecretsStatus};
use baton_engine::{Engine, EngineConfig, KeyringTokens, MemoryTokens, SecretError, TokenStore};
use baton_store::handle::DEFAULT_READERS;
use baton_store::{Store, StoreHandle};

use super::{reachability_word, store_path, CliError};
use crate::config;

/// Looks up every token the file references, before anything is stored: one reference that
/// cannot be resolved refuses the whole file.
fn resolve_tokens(
    file: &config::ConfigFile,
) -> Result<Vec<(&config::AgentEntry, Option<String>)>, CliError> {
    file.agents
        .iter()
        .map(|entry| Ok((entry, entry.resolve_token()?)))
        .collect()
}

/// Adds the file's agents to the store, or updates those with the same name; returns
/// (agent id, token) for every agent that has one.
fn sync_agents(
    store: &mut Store,
    agents: Vec<(&config::AgentEntry, Option<String>)>,
) -> Result<Vec<(i64, String)>, CliError> {
    let existing = store.agents()?;
    let mut tokens = Vec::new();
    for (entry, token) in agents {
        let draft = entry.draft();
        let known = existing
            .iter()
            .find(|a| a.name.trim().eq_ignore_ascii_case(entry.name.trim()));
        let agent = match known {
            Some(agent) => store.update_agent(agent.id, &draft)?,
            None => store.add_agent(&draft)?,
        };
        store.set_has_token(agent.id, token.is_some())?;
        if let Some(token) = token {
            tokens.push((agent.id, token));
        }
    }
    Ok(tokens)
}

/// The tokens `baton watch` polls with: those the config file references (kept in memory), and
/// for the store's other agents the ones the desktop app keeps in the OS keyring (read only).
/// Without the keyring, an agent stored with a token fails every poll saying why, rather than
/// being polled without its token.
struct WatchTokens {
    from_config: MemoryTokens,
    app: Box<dyn TokenStore>,
}

impl WatchTokens {
    fn new() -> WatchTokens {
        WatchTokens {
            from_config: MemoryTokens::new(None),
            app: Box::new(KeyringTokens::new()),
        }
    }
}

impl TokenStore for WatchTokens {
    fn get(&self, agent_id: i64) -> Result<Option<String>, SecretError> {
        match self.from_config.get(agent_id)? {
            Some(token) => Ok(Some(token)),
            None => self.app.get(agent_id),
        }
    }

    fn set(&self, agent_id: i64, token: &str) -> Result<(), SecretError> {
        self.from_config.set(agent_id, token)
    }

    fn delete(&self, agent_id: i64) -> Result<(), SecretError> {
        self.from_config.delete(agent_id)
    }

    fn status(&self) -> SecretsStatus {
        self.app.status()
    }
}

pub async fn watch(
    db: Option<PathBuf>,
    config_path: Option<PathBuf>,
    duration: Option<u64>,
    stats: bool,
) -> Result<(), CliError> {
    let file = config_path.as_deref().map(config::load).transpose()?;
    let agents = file.as_ref().map(resolve_tokens).transpose()?;
    let path = store_path(db)?;
    let mut store = Store::open(&path)?;
    let tokens = WatchTokens::new();
    if let Some(agents) = agents {
        for (agent_id, token) in sync_agents(&mut store, agents)? {
            tokens
                .set(agent_id, &token)
                .map_err(|err| CliError::Io(std::io::Error::other(err.to_string())))?;
        }
    }
    drop(store);
    let engine = Engine::new(
        StoreHandle::open(&path, DEFAULT_READERS)?,
        Arc::new(tokens),
        EngineConfig::default(),
    );
    let mut changes = engine.subscribe();
    let started = engine.start_all().await?;
    println!("baton: watching {started} agent(s); Ctrl-C to stop");
    let stop = async {
        match duration {
            Some(seconds) => tokio::time::sleep(Duration::from_secs(seconds)).await,
            None => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    };
    tokio::pin!(stop);
    let mut last_reachability = std::collections::HashMap::new();
    let mut sessions_waiting = 0;
    loop {
        tokio::select! {
            _ = &mut stop => break,
            change = changes.recv() => match change {
                Ok(ChangeEvent::Ingested { agent_id, tasks, new_events, .. }) => {
                    println!("agent {agent_id}: {} task(s) changed, {new_events} new event(s)", tasks.len());
                }
                Ok(ChangeEvent::Health { agent_id, health }) => {
                    if last_reachability.insert(agent_id, health.reachability) != Some(health.reachability) {
                        match health.reachability {
                            Reachability::Down => println!(
                                "agent {agent_id}: down ({})",
                                health.last_error.as_deref().unwrap_or("unknown error")
                            ),
                            other => println!("agent {agent_id}: {}", reachability_word(other)),
                        }
                    }
                }
                Ok(ChangeEvent::DeclarationsChanged { agent_id }) => {
                    println!("agent {agent_id}: its declaration changed; run `baton check` on an export");
                }
                Ok(ChangeEvent::Findings { opened, .. }) => {
                    match engine.read(move |store| store.findings(&opened)).await {
                        Ok(found) => {
                            for finding in &found {
                                println!(
                                    "{} {}: {}",
                                    finding.severity.as_str(),
                                    finding.kind.as_str(),
                                    finding.summary
                                );
                            }
                        }
                        Err(err) => eprintln!("baton: cannot read the findings: {err}"),
                    }
                }
                Ok(ChangeEvent::Escalations { opened, changed, lapsing }) => {
                    for id in opened {
                        println!("escalation {id}: opened");
                    }
                    for id in lapsing {
                        println!("escalation {id}: its SLA lapses within 15 min");
                    }
                    for id in changed {
                        println!("escalation {id}: changed");
                    }
                }
                Ok(ChangeEvent::SessionsHeard { waiting, .. }) => {
                    if waiting != sessions_waiting {
                        sessions_waiting = waiting;
                        println!("coding sessions: {waiting} waiting for a person");
                    }
                }
                Ok(ChangeEvent::AgentsChanged) => {}
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    }
    engine.shutdown().await;
    if stats {
        // One line a benchmark (or a person) can read: the engine's own figures.
        let figures = serde_json::to_string(&engine.stats()).unwrap_or_default();
        println!("stats: {figures}");
    }
    Ok(())
}
