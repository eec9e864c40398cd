//! `baton import`: load a `baton.toml` into the store.

use std::path::Path;

use super::checked::{findings, load_checked};
use super::error::CliError;
use super::sync::{apply_sync, plan_sync};
use super::text::plain_lines;
use baton_store::StorePlace;

/// Who the command line records a change or a decision as ([`baton_commands::person`], else
/// "cli").
pub fn import_who(who: Option<String>) -> String {
    baton_commands::person(who, "cli")
}

/// `baton import`: checks the file like `baton check` (nothing changes when it is malformed or a
/// pattern is bad), warns about overlaps and conflicts without refusing them, then makes the
/// store's rules exactly the file's (one audit entry per change), makes each of the quotas,
/// pressure settings and handoff schemas the file has exactly the file's (a part it leaves out
/// stays as it is), and adds or updates the file's agents by name (never deleting any; their
/// tokens are left as they are). `[watch] app` sets whether the app of this data folder
/// watches.
pub async fn import(place: &StorePlace, file: &Path, who: Option<String>) -> Result<(), CliError> {
    let checked = load_checked(file)?;
    let who = import_who(who);
    let found = findings(&checked, None);
    if !found.report.is_empty() {
        eprintln!(
            "warning: {}: {} overlap(s) between rules, {} conflict(s) with declarations; importing anyway (the ownership map shows them)\n",
            checked.shown, found.overlaps, found.conflicts
        );
        for block in &found.report {
            eprintln!("warning: {}\n", plain_lines(block));
        }
    }
    let place = checked.parsed.place(place)?;
    let mut store = place.open()?;
    let token_refs: Vec<String> = checked
        .parsed
        .agents
        .iter()
        .filter(|entry| entry.token.is_some())
        .map(|entry| entry.name.trim().to_owned())
        .collect();
    let agents = checked
        .parsed
        .agents
        .iter()
        .map(|entry| (entry, None))
        .collect();
    // Agents that leave their protocol to `auto` are asked first; then the whole file (rules,
    // settings, agents) goes in as one transaction: if the store refuses any of it, nothing
    // has changed.
    let plan = plan_sync(&store, agents).await?;
    let settings = &checked.settings;
    let routes = crate::config::notify_routes(&checked.shown, &checked.parsed, &who)?;
    let (summary, changed, synced, routed) = store.all_or_nothing(|store| {
        let summary = store.replace_rules(&checked.rules, &who)?;
        let changed = store.replace_fleet_settings(settings, &who, chrono::Utc::now())?;
        let synced = apply_sync(store, plan, false, &who)?;
        let routed = match &routes {
            Some(routes) => Some(store.replace_routes(routes, chrono::Utc::now())?),
            None => None,
        };
        Ok::<_, CliError>((summary, changed, synced, routed))
    })?;
    for note in &synced.notes {
        eprintln!("note: {}", plain_lines(note));
    }
    let (added, updated, unchanged) = (synced.added, synced.updated, synced.unchanged);
    println!("{added} agents added, {updated} updated, {unchanged} unchanged");
    println!(
        "{} rules added, {} updated, {} removed, {} unchanged",
        summary.added.len(),
        summary.updated.len(),
        summary.removed.len(),
        summary.unchanged
    );
    let mut parts = Vec::new();
    if settings.quotas.is_some() {
        parts.push(format!("{} quota(s)", changed.quotas));
    }
    if settings.pressure.is_some() {
        parts.push(format!("{} pressure setting(s)", changed.pressure));
    }
    if settings.handoff_schemas.is_some() {
        parts.push(format!("{} handoff schema(s)", changed.handoff_schemas));
    }
    if settings.prices.is_some() {
        parts.push(format!("{} price(s)", changed.prices));
    }
    if settings.readiness.is_some() {
        parts.push(format!("readiness {}", changed_word(changed.readiness)));
    }
    if settings.retention_days.is_some() {
        parts.push(format!("retention {}", changed_word(changed.retention)));
    }
    if settings.otlp.is_some() {
        parts.push(format!("OTLP receiver {}", changed_word(changed.otlp)));
    }
    if !parts.is_empty() {
        println!("{} changed", parts.join(", "));
    }
    if let Some(r) = routed {
        println!(
            "{} routes added, {} updated, {} removed, {} unchanged",
            r.added, r.updated, r.removed, r.unchanged
        );
    }
    if synced.budgets > 0 {
        println!("{} daily budget(s) set", synced.budgets);
    }
    // A choice of this machine's data folder, not of the store.
    if let Some(app) = checked.parsed.watch.as_ref().and_then(|w| w.app) {
        baton_store::watching::save_choice(place.data_dir(), Some(app))?;
        println!("{}", super::store::watching_words(place.data_dir(), app));
    }
    if !token_refs.is_empty() {
        eprintln!(
            "note: token references are not imported ({}); the app keeps tokens in the OS keyring, `baton watch --config` reads them from the file",
            token_refs.join(", ")
        );
    }
    Ok(())
}

/// "1 (changed)" / "0 (as it was)" read better as a word.
fn changed_word(n: usize) -> &'static str {
    if n > 0 {
        "(new)"
    } else {
        "(as it was)"
    }
}
