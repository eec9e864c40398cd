//! `baton check`: lint a rules file (and a new agent's manifest).

use std::path::Path;

use super::checked::{findings, load_checked};
use super::error::CliError;
use super::text::{plain, plain_lines};
use crate::config;

/// `baton check`: validates the rules file (and a manifest), then lints it. `Ok(true)` when
/// clean (one `ok:` line printed), `Ok(false)` after printing a report of every overlap and
/// conflict; malformed files and bad patterns are `Err` (exit 2).
pub fn check(file: &Path, manifest: Option<&Path>) -> Result<bool, CliError> {
    let checked = load_checked(file)?;
    let new = match manifest {
        Some(path) => {
            let (shown, text) = config::read(path)?;
            Some((shown.clone(), config::parse_manifest(&shown, &text)?))
        }
        None => None,
    };
    let found = findings(
        &checked,
        new.as_ref()
            .map(|(shown, manifest)| (shown.as_str(), manifest)),
    );
    let agents = checked.parsed.agents.len() + usize::from(new.is_some());
    if found.report.is_empty() {
        println!(
            "ok: {} rules, {agents} agents, no overlaps",
            checked.rules.len()
        );
        return Ok(true);
    }
    println!(
        "{}: {} overlap(s) between rules, {} conflict(s) with declarations ({} rules, {agents} agents)\n",
        plain(&checked.shown),
        found.overlaps,
        found.conflicts,
        checked.rules.len(),
    );
    println!("{}", plain_lines(&found.report.join("\n\n")));
    Ok(false)
}
