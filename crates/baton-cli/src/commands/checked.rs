//! A rules file read, parsed and validated, and what the lint finds in it: what `baton check`
//! and `baton import` share.

use std::path::Path;

use super::error::CliError;
use crate::config;

/// A rules file that parsed and whose rules and declared patterns are all valid.
pub struct Checked {
    /// The path as given, for messages.
    pub shown: String,
    text: String,
    pub parsed: config::ConfigFile,
    pub rules: Vec<baton_core::rules::Rule>,
    /// Quotas, pressure settings and handoff schemas (schema files read and compiled).
    pub settings: baton_store::settings::FleetSettings,
}

/// Reads, parses and validates a rules file: what `baton check` and `baton import` both require
/// before anything else (errors exit 2 with line and column).
pub fn load_checked(file: &Path) -> Result<Checked, CliError> {
    let (shown, text) = config::read(file)?;
    let parsed = config::parse(&shown, &text)?;
    let rules = config::validate_rules(&shown, &text, &parsed)?;
    let settings = config::read_settings(&shown, file, &parsed)?;
    Ok(Checked {
        shown,
        text,
        parsed,
        rules,
        settings,
    })
}

/// What the lint found in a checked file (and a new agent's manifest).
pub struct Findings {
    pub overlaps: usize,
    pub conflicts: usize,
    /// One readable block per overlap and conflict.
    pub report: Vec<String>,
}

/// Lints a checked file's rules, its agents' declarations (each against the rules and the agents
/// declared before it) and optionally a new agent's manifest (`(file shown, manifest)`).
pub fn findings(
    checked: &Checked,
    new: Option<(&str, &baton_core::rules::AgentManifest)>,
) -> Findings {
    let (shown, text, parsed, rules) = (
        &checked.shown,
        &checked.text,
        &checked.parsed,
        &checked.rules,
    );
    let rule_line =
        |index: usize| config::line_column(text, parsed.rules[index].pattern.span().start).0;
    let describe_rule = |index: usize| {
        let rule = &rules[index];
        let mut readers = String::new();
        if !rule.readers.is_empty() {
            readers.push_str(&format!(" (readers: {})", rule.readers.join(", ")));
        }
        if !rule.sequence.is_empty() {
            readers.push_str(&format!(" (then: {})", rule.sequence.join(", ")));
        }
        format!(
            "rule {index} at line {}: {} {} → {}{readers}",
            rule_line(index),
            rule.kind.as_str(),
            rule.pattern,
            rule.owner
        )
    };

    let mut report = Vec::new();
    let overlaps = baton_core::rules::lint(rules);
    for overlap in &overlaps {
        report.push(format!(
            "overlap ({}): {}
  {}
  {}
  example resource: {}",
            overlap.kind.as_str(),
            overlap.message,
            describe_rule(overlap.first),
            describe_rule(overlap.second),
            overlap.example
        ));
    }
    // The file's own declarations, each pair once: every agent against the rules and the agents
    // declared before it.
    let declared: Vec<baton_core::rules::AgentManifest> = parsed
        .agents
        .iter()
        .filter_map(|agent| agent.declares.as_ref().map(|d| d.manifest(&agent.name)))
        .collect();
    let mut conflicts = Vec::new();
    for (i, agent) in declared.iter().enumerate() {
        for conflict in baton_core::rules::predeploy_check(agent, rules, &declared[..i]) {
            conflicts.push((format!("agent \"{}\" in {shown}", agent.agent), conflict));
        }
    }
    if let Some((manifest_path, new)) = new {
        for conflict in baton_core::rules::predeploy_check(new, rules, &declared) {
            conflicts.push((
                format!("manifest {manifest_path} (agent \"{}\")", new.agent),
                conflict,
            ));
        }
    }
    for (whose, conflict) in &conflicts {
        let other = match &conflict.other {
            baton_core::rules::ConflictSide::Rule { index, .. } => describe_rule(*index),
            baton_core::rules::ConflictSide::Agent { name, pattern } => {
                format!("agent \"{name}\" declares {pattern}")
            }
        };
        report.push(format!(
            "conflict ({}) of {whose}: {}
  declared: {}
  against:  {other}
  example resource: {}",
            conflict.kind.as_str(),
            conflict.message,
            conflict.pattern,
            conflict.example
        ));
    }
    Findings {
        overlaps: overlaps.len(),
        conflicts: conflicts.len(),
        report,
    }
}
