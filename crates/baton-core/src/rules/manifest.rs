//! Agent manifests (what an agent declares it triggers on, reads, writes and outputs to) and the
//! pre-deploy check run before a new or changed agent goes live.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::pattern::{PatternError, ResourcePattern};
pub use super::predeploy::{predeploy_check, ConflictSide, PredeployConflict};
use super::RuleKind;

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
    pub(crate) fn claims(&self) -> impl Iterator<Item = (RuleKind, &String)> {
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

#[cfg(test)]
mod tests;
