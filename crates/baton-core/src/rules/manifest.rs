//! Agent manifests (what an agent declares it triggers on, reads, writes and outputs to) and the
//! pre-deploy check run before a new or changed agent goes live.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::lint::same_owner;
use super::pattern::{PatternError, ResourcePattern};
use super::{Rule, RuleKind};

/// What an agent declares it triggers on, reads, writes and outputs to: resource patterns in
/// the rules pattern language (`docs/rules.md`, [`ResourcePattern`]). It is both the agent's own
/// declaration in its status document (`agent.declares`) and the body of an [`AgentManifest`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Declares {
    /// What it acts on (competes under rule kind `trigger`).
    #[serde(default)]
    pub triggers: Vec<String>,
    /// What it reads (never a conflict on its own).
    #[serde(default)]
    pub reads: Vec<String>,
    /// What it writes (competes under rule kind `data`).
    #[serde(default)]
    pub writes: Vec<String>,
    /// Where it writes its results (competes under rule kind `output`).
    #[serde(default)]
    pub outputs: Vec<String>,
}

/// What an agent declares, as resource patterns (see [`ResourcePattern`]), under the agent's
/// name in Baton. Serialised flat: `agent` next to the four lists of [`Declares`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AgentManifest {
    /// The agent's name in Baton.
    pub agent: String,
    /// The four lists.
    #[serde(flatten)]
    pub declares: Declares,
}

/// Who declared a manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ManifestSource {
    /// The agent, in its status document.
    Agent,
    /// The user, in Baton.
    User,
}

impl ManifestSource {
    pub fn as_str(self) -> &'static str {
        match self {
            ManifestSource::Agent => "agent",
            ManifestSource::User => "user",
        }
    }

    pub fn parse(text: &str) -> Option<ManifestSource> {
        [ManifestSource::Agent, ManifestSource::User]
            .into_iter()
            .find(|source| source.as_str() == text)
    }
}

/// Which list of a manifest a pattern came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ManifestList {
    Triggers,
    Reads,
    Writes,
    Outputs,
}

impl ManifestList {
    pub const ALL: [ManifestList; 4] = [
        ManifestList::Triggers,
        ManifestList::Reads,
        ManifestList::Writes,
        ManifestList::Outputs,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ManifestList::Triggers => "triggers",
            ManifestList::Reads => "reads",
            ManifestList::Writes => "writes",
            ManifestList::Outputs => "outputs",
        }
    }

    /// The rule kind a declaration in this list competes under (`None` for reads).
    pub fn kind(self) -> Option<RuleKind> {
        match self {
            ManifestList::Triggers => Some(RuleKind::Trigger),
            ManifestList::Reads => None,
            ManifestList::Writes => Some(RuleKind::Data),
            ManifestList::Outputs => Some(RuleKind::Output),
        }
    }
}

impl Declares {
    /// The patterns of one list.
    pub fn list(&self, list: ManifestList) -> &[String] {
        match list {
            ManifestList::Triggers => &self.triggers,
            ManifestList::Reads => &self.reads,
            ManifestList::Writes => &self.writes,
            ManifestList::Outputs => &self.outputs,
        }
    }

    /// The four lists with their names, in the order `triggers`, `reads`, `writes`, `outputs`.
    pub fn lists(&self) -> [(&'static str, &[String]); 4] {
        ManifestList::ALL.map(|list| (list.as_str(), self.list(list)))
    }

    /// The declaration as a manifest for the agent named `agent` in Baton.
    pub fn to_manifest(&self, agent: impl Into<String>) -> AgentManifest {
        AgentManifest {
            agent: agent.into(),
            declares: self.clone(),
        }
    }

    /// The declarations that can conflict: (kind, pattern) for triggers, writes and outputs.
    fn claims(&self) -> impl Iterator<Item = (RuleKind, &String)> {
        ManifestList::ALL.into_iter().flat_map(move |list| {
            let kind = list.kind();
            self.list(list)
                .iter()
                .filter_map(move |pattern| kind.map(|kind| (kind, pattern)))
        })
    }
}

/// Why a manifest was refused.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ManifestError {
    #[error("the agent name is empty")]
    EmptyAgent,
    #[error("{list}[{index}] \"{pattern}\": {error}")]
    Pattern {
        list: &'static str,
        index: usize,
        pattern: String,
        error: PatternError,
    },
}

impl ManifestError {
    /// The field the error is about: `agent`, or the list (`triggers`, `reads`, `writes`,
    /// `outputs`).
    pub fn field(&self) -> &'static str {
        match self {
            ManifestError::EmptyAgent => "agent",
            ManifestError::Pattern { list, .. } => list,
        }
    }
}

/// Checks the agent name and every pattern of a manifest.
pub fn validate_manifest(manifest: &AgentManifest) -> Result<(), ManifestError> {
    if manifest.agent.trim().is_empty() {
        return Err(ManifestError::EmptyAgent);
    }
    for list in ManifestList::ALL {
        for (index, pattern) in manifest.declares.list(list).iter().enumerate() {
            ResourcePattern::parse(pattern).map_err(|error| ManifestError::Pattern {
                list: list.as_str(),
                index,
                pattern: pattern.clone(),
                error,
            })?;
        }
    }
    Ok(())
}

/// The other side of a pre-deploy conflict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "side", rename_all = "snake_case")]
pub enum ConflictSide {
    /// An existing rule owned by someone else (index into the rules given).
    Rule {
        index: usize,
        pattern: String,
        owner: String,
    },
    /// Another agent's declaration of the same kind.
    Agent { name: String, pattern: String },
}

/// One declaration of the new agent that collides with a rule or another agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct PredeployConflict {
    pub kind: RuleKind,
    /// The new agent's pattern.
    pub pattern: String,
    pub other: ConflictSide,
    /// A resource both sides match.
    pub example: String,
    pub message: String,
}

/// Every trigger / write / output of `new` that overlaps (a) a rule of the matching kind that does
/// not allow `new` (it is neither the owner nor in the rule's sequence; for `data`, being listed
/// as a reader does not allow writing), or (b) another agent's declaration of the same kind where
/// no rule of that kind covers the shared example resource (where one does, the rule decides and
/// whoever it does not allow gets a conflict of kind (a)). Reads never conflict. Manifests with
/// the same agent name as `new` (its previous declaration) are ignored. Patterns that do not parse
/// are skipped: run [`validate_manifest`] and [`super::lint::check`] first to report them.
pub fn predeploy_check(
    new: &AgentManifest,
    rules: &[Rule],
    others: &[AgentManifest],
) -> Vec<PredeployConflict> {
    let rule_patterns: Vec<Option<ResourcePattern>> = rules
        .iter()
        .map(|rule| ResourcePattern::parse(&rule.pattern).ok())
        .collect();
    let other_claims: Vec<(&AgentManifest, RuleKind, &String, ResourcePattern)> = others
        .iter()
        .filter(|other| !same_owner(&other.agent, &new.agent))
        .flat_map(|other| {
            other.declares.claims().filter_map(move |(kind, pattern)| {
                ResourcePattern::parse(pattern)
                    .ok()
                    .map(|parsed| (other, kind, pattern, parsed))
            })
        })
        .collect();
    let mut conflicts = Vec::new();
    for (kind, pattern) in new.declares.claims() {
        let Ok(mine) = ResourcePattern::parse(pattern) else {
            continue;
        };
        for (index, rule) in rules.iter().enumerate() {
            if rule.kind != kind || rule.allows(&new.agent) {
                continue;
            }
            let Some(theirs) = &rule_patterns[index] else {
                continue;
            };
            if let Some(example) = mine.example_overlap(theirs) {
                let reader = kind == RuleKind::Data
                    && rule.readers.iter().any(|r| same_owner(r, &new.agent));
                let message = format!(
                    "{} declares {} {pattern}, but {} rule {index} ({} → {}) gives {example} to {}{}",
                    new.agent,
                    verb(kind),
                    kind.as_str(),
                    rule.pattern,
                    rule.owner,
                    rule.owner,
                    if reader {
                        format!(" ({} may only read it)", new.agent)
                    } else {
                        String::new()
                    },
                );
                conflicts.push(PredeployConflict {
                    kind,
                    pattern: pattern.clone(),
                    other: ConflictSide::Rule {
                        index,
                        pattern: rule.pattern.clone(),
                        owner: rule.owner.clone(),
                    },
                    example,
                    message,
                });
            }
        }
        for (other, other_kind, other_pattern, theirs) in &other_claims {
            if *other_kind != kind {
                continue;
            }
            let Some(example) = mine.example_overlap(theirs) else {
                continue;
            };
            let decided = rules.iter().zip(&rule_patterns).any(|(rule, parsed)| {
                rule.kind == kind && parsed.as_ref().is_some_and(|p| p.matches(&example))
            });
            if !decided {
                let message = format!(
                    "{} and {} both declare {} {example} ({pattern} and {other_pattern})",
                    new.agent,
                    other.agent,
                    verb(kind),
                );
                conflicts.push(PredeployConflict {
                    kind,
                    pattern: pattern.clone(),
                    other: ConflictSide::Agent {
                        name: other.agent.clone(),
                        pattern: (*other_pattern).clone(),
                    },
                    example,
                    message,
                });
            }
        }
    }
    conflicts
}

fn verb(kind: RuleKind) -> &'static str {
    match kind {
        RuleKind::Trigger => "the trigger",
        RuleKind::Data => "writes to",
        RuleKind::Output => "output to",
        RuleKind::Exception => "exceptions on",
    }
}

#[cfg(test)]
mod tests;
