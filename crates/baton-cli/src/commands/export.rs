//! `baton export`: the store's agents and rules as a `baton.toml`.

use std::io::Write;
use std::path::{Path, PathBuf};

use baton_store::ManifestSource;

use super::{open_store, CliError};
use crate::export::{render, ExportAgent};

/// `baton export`: the store's agents (never their tokens) and rules as a `baton.toml`, to `out`
/// or stdout.
pub fn export(db: Option<PathBuf>, out: Option<&Path>) -> Result<(), CliError> {
    let store = open_store(db)?;
    let mut agents = Vec::new();
    // Coding sessions join by themselves through their hooks: they are not configuration.
    for agent in store
        .agents()?
        .into_iter()
        .filter(|a| a.adapter.is_polled())
    {
        let declares = store
            .manifest(agent.id, ManifestSource::User)?
            .map(|stored| stored.manifest);
        let windows = store.detect_windows(agent.id)?;
        agents.push(ExportAgent {
            name: agent.name,
            url: agent.base_url,
            poll_interval_ms: agent.poll_interval_ms,
            timeout_ms: agent.timeout_ms,
            adapter: agent.adapter,
            windows,
            declares,
        });
    }
    let rules: Vec<baton_core::rules::Rule> = store
        .rules()?
        .into_iter()
        .map(|stored| stored.rule)
        .collect();
    let text = render(&agents, &rules);
    match out {
        Some(path) => {
            std::fs::write(path, &text).map_err(|err| {
                std::io::Error::new(
                    err.kind(),
                    format!("cannot write {}: {err}", path.display()),
                )
            })?;
            eprintln!(
                "baton: wrote {} agent(s) and {} rule(s) to {}",
                agents.len(),
                rules.len(),
                path.display()
            );
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(text.as_bytes())?;
            stdout.flush()?;
        }
    }
    Ok(())
}
