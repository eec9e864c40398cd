//! `[[rules]]` and what agents declare (`declares`, `--manifest` files), kept with where each
//! pattern sits in the file so that a bad one is reported at its line and column.

use baton_core::rules::{
    AgentManifest, ManifestList, PatternError, ResourcePattern, Rule, RuleKind,
};
use serde::Deserialize;
use toml::Spanned;

use super::load::{describe_toml_error, line_column};
use super::{ConfigFile, ConfigFileError};

/// One `[[rules]]` table: a [`Rule`], with where its pattern sits in the file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleEntry {
    pub kind: RuleKind,
    pub pattern: Spanned<String>,
    pub owner: String,
    #[serde(default)]
    pub readers: Vec<String>,
    #[serde(default)]
    pub sequence: Vec<String>,
    #[serde(default)]
    pub sla_seconds: Option<u64>,
    #[serde(default)]
    pub note: Option<String>,
}

impl RuleEntry {
    pub fn rule(&self) -> Rule {
        Rule {
            kind: self.kind,
            pattern: self.pattern.get_ref().clone(),
            owner: self.owner.clone(),
            readers: self.readers.clone(),
            sequence: self.sequence.clone(),
            sla_seconds: self.sla_seconds,
            note: self.note.clone(),
        }
    }
}

/// What an agent declares it triggers on, reads, writes and outputs to (resource patterns).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Declares {
    #[serde(default)]
    pub triggers: Vec<Spanned<String>>,
    #[serde(default)]
    pub reads: Vec<Spanned<String>>,
    #[serde(default)]
    pub writes: Vec<Spanned<String>>,
    #[serde(default)]
    pub outputs: Vec<Spanned<String>>,
}

impl Declares {
    fn list(&self, list: ManifestList) -> &[Spanned<String>] {
        match list {
            ManifestList::Triggers => &self.triggers,
            ManifestList::Reads => &self.reads,
            ManifestList::Writes => &self.writes,
            ManifestList::Outputs => &self.outputs,
        }
    }

    pub fn manifest(&self, agent: &str) -> AgentManifest {
        let plain = |list: ManifestList| {
            self.list(list)
                .iter()
                .map(|p| p.get_ref().clone())
                .collect()
        };
        baton_core::rules::Declares {
            triggers: plain(ManifestList::Triggers),
            reads: plain(ManifestList::Reads),
            writes: plain(ManifestList::Writes),
            outputs: plain(ManifestList::Outputs),
        }
        .to_manifest(agent)
    }
}

/// A `--manifest` file: `name = "..."` and the four lists at the top level.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestFile {
    pub name: String,
    #[serde(default)]
    pub triggers: Vec<Spanned<String>>,
    #[serde(default)]
    pub reads: Vec<Spanned<String>>,
    #[serde(default)]
    pub writes: Vec<Spanned<String>>,
    #[serde(default)]
    pub outputs: Vec<Spanned<String>>,
}

impl ManifestFile {
    pub fn declares(&self) -> Declares {
        Declares {
            triggers: self.triggers.clone(),
            reads: self.reads.clone(),
            writes: self.writes.clone(),
            outputs: self.outputs.clone(),
        }
    }
}

/// Where in the file a problem inside a spanned string value sits: the value's line, and its
/// column plus `column_in_value - 1` (past the opening quote).
fn value_position(text: &str, value: &Spanned<String>, column_in_value: usize) -> (usize, usize) {
    let start = value.span().start;
    let (line, column) = line_column(text, start);
    let quote = text[start.min(text.len())..]
        .chars()
        .next()
        .map_or(0, |c| usize::from(c == '"' || c == '\''));
    (line, column + quote + column_in_value.saturating_sub(1))
}

fn pattern_problem(
    path: &str,
    text: &str,
    value: &Spanned<String>,
    what: String,
    err: &PatternError,
) -> ConfigFileError {
    let (line, column) = value_position(text, value, err.column());
    ConfigFileError::Rule {
        path: path.to_owned(),
        line,
        column,
        what: format!("{what} \"{}\"", value.get_ref()),
        message: err.to_string(),
    }
}

/// Checks every rule (pattern, owner, readers, SLA) and every declared pattern of the file's
/// agents; the error points at the line and column of the problem.
pub fn validate_rules(
    path: &str,
    text: &str,
    file: &ConfigFile,
) -> Result<Vec<Rule>, ConfigFileError> {
    let mut rules = Vec::with_capacity(file.rules.len());
    for (index, entry) in file.rules.iter().enumerate() {
        let rule = entry.rule();
        let what = format!("rule {index} ({})", rule.kind.as_str());
        if let Err(err) = ResourcePattern::parse(entry.pattern.get_ref()) {
            return Err(pattern_problem(path, text, &entry.pattern, what, &err));
        }
        if let Err(err) = baton_core::rules::validate_rule(&rule) {
            let (line, column) = line_column(text, entry.pattern.span().start);
            return Err(ConfigFileError::Rule {
                path: path.to_owned(),
                line,
                column,
                what,
                message: err.to_string(),
            });
        }
        rules.push(rule);
    }
    for agent in &file.agents {
        if let Some(declares) = &agent.declares {
            validate_declares(path, text, &agent.name, declares)?;
        }
    }
    Ok(rules)
}

/// Checks every pattern an agent declares.
pub fn validate_declares(
    path: &str,
    text: &str,
    agent: &str,
    declares: &Declares,
) -> Result<(), ConfigFileError> {
    for list in ManifestList::ALL {
        for (index, value) in declares.list(list).iter().enumerate() {
            if let Err(err) = ResourcePattern::parse(value.get_ref()) {
                let what = format!("agent \"{agent}\" {}[{index}]", list.as_str());
                return Err(pattern_problem(path, text, value, what, &err));
            }
        }
    }
    Ok(())
}

/// Parses a `--manifest` file and checks its patterns.
pub fn parse_manifest(path: &str, text: &str) -> Result<AgentManifest, ConfigFileError> {
    let file: ManifestFile = toml::from_str(text).map_err(|err| ConfigFileError::Parse {
        path: path.to_owned(),
        message: describe_toml_error(text, &err),
    })?;
    if file.name.trim().is_empty() {
        return Err(ConfigFileError::Parse {
            path: path.to_owned(),
            message: "name must not be empty".into(),
        });
    }
    let declares = file.declares();
    validate_declares(path, text, &file.name, &declares)?;
    Ok(declares.manifest(&file.name))
}
