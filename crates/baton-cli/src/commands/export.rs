//! `baton export`: the store's agents, rules and settings as a `baton.toml` (handoff schemas in
//! files beside it, or inline when it goes to stdout).

use std::io::Write;
use std::path::Path;

use baton_store::ManifestSource;

use super::error::CliError;
use crate::export::{render, render_routes, render_settings, ExportAgent, SchemaPlace};
use baton_store::StorePlace;

/// `baton export`: the store's agents (never their tokens) and rules as a `baton.toml`, to `out`
/// or stdout.
pub fn export(place: &StorePlace, out: Option<&Path>) -> Result<(), CliError> {
    let place_of_store = place;
    let store = place.open()?;
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
            daily_budget_usd: store.daily_budget(agent.id)?,
        });
    }
    let rules: Vec<baton_core::rules::Rule> = store
        .rules()?
        .into_iter()
        .map(|stored| stored.rule)
        .collect();
    let mut text = render(&agents, &rules);
    let settings = store.fleet_settings()?;
    let place = match out {
        Some(_) => SchemaPlace::Files,
        None => SchemaPlace::Inline,
    };
    let (settings_text, schema_files) = render_settings(&settings, place);
    text.push_str(&settings_text);
    let routes: Vec<_> = store.routes()?.into_iter().map(|r| r.route.draft).collect();
    text.push_str(&render_routes(&routes));
    // A shared store chosen for the data folder (`baton store use`, the app's store dialog) is
    // part of the fleet's description, as the app keeps it; the folder's own file is not, nor a
    // store named for one run (`--store`, `BATON_STORE`): an export is imported elsewhere.
    let saved = place_of_store.source == baton_store::PlaceSource::Saved;
    if let (true, baton_store::StoreLocation::Postgres(target)) = (saved, &place_of_store.location)
    {
        text.push_str(&format!(
            "\n[store]\nurl = {}\n",
            crate::export::quote(&target.public_url())
        ));
    }
    let cannot_write = |path: &Path, err: std::io::Error| {
        std::io::Error::new(
            err.kind(),
            format!("cannot write {}: {err}", path.display()),
        )
    };
    match out {
        Some(path) => {
            // Schema files first: a file naming a schema that is not there would not import.
            let dir = path.parent().unwrap_or(Path::new(""));
            for file in &schema_files {
                let at = dir.join(&file.path);
                if let Some(parent) = at.parent() {
                    std::fs::create_dir_all(parent).map_err(|err| cannot_write(parent, err))?;
                }
                std::fs::write(&at, &file.text).map_err(|err| cannot_write(&at, err))?;
            }
            std::fs::write(path, &text).map_err(|err| cannot_write(path, err))?;
            let quotas = settings.quotas.as_ref().map_or(0, Vec::len);
            let pressure = settings.pressure.as_ref().map_or(0, |p| p.len());
            let mut wrote = vec![
                format!("{} agent(s)", agents.len()),
                format!("{} rule(s)", rules.len()),
            ];
            let prices = settings.prices.as_ref().map_or(0, Vec::len);
            for (n, what) in [
                (quotas, "quota(s)"),
                (pressure, "pressure setting(s)"),
                (schema_files.len(), "handoff schema(s)"),
                (prices, "price(s)"),
                (routes.len(), "route(s)"),
            ] {
                if n > 0 {
                    wrote.push(format!("{n} {what}"));
                }
            }
            let last = wrote.pop().expect("agents and rules are always named");
            eprintln!(
                "baton: wrote {} and {last} to {}",
                wrote.join(", "),
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
