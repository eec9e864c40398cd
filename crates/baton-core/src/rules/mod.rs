//! Ownership rules: who owns which trigger, data field and output destination, and which person
//! handles the exceptions. A rule names resources by a pattern over resource URIs.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What a rule is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// Which agent acts on a trigger (an inbox, a channel, a webhook).
    Trigger,
    /// Which agent writes a data field; `readers` may read it.
    Data,
    /// Which agent writes to an output destination.
    Output,
    /// Which person handles what no rule covers, within an SLA.
    Exception,
}

impl RuleKind {
    pub const ALL: [RuleKind; 4] = [
        RuleKind::Trigger,
        RuleKind::Data,
        RuleKind::Output,
        RuleKind::Exception,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RuleKind::Trigger => "trigger",
            RuleKind::Data => "data",
            RuleKind::Output => "output",
            RuleKind::Exception => "exception",
        }
    }

    pub fn parse(s: &str) -> Option<RuleKind> {
        RuleKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One ownership rule, as written in `baton.toml` or made in the ownership map.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
pub struct Rule {
    pub kind: RuleKind,
    /// A resource pattern: `*` matches within one path segment, `**` across segments, and an
    /// optional fragment `#field` or `#*`. Example: `crm://contacts/*#status`.
    pub pattern: String,
    /// The owning agent (by its name in Baton), or for `exception` the person.
    pub owner: String,
    /// `data` only: agents that may read what the owner writes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub readers: Vec<String>,
    /// `trigger`, `data`, `output`: agents that may also act here after the owner, in this
    /// order. An overlap accepted on purpose (e.g. a writer then an editor on one draft).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sequence: Vec<String>,
    /// `exception` only: how long the person has (default: by the item's severity, 4 h when
    /// critical, 24 h for a warning, 72 h for a note).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla_seconds: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Rule {
    /// A rule with no readers, sequence, SLA or note.
    pub fn new(kind: RuleKind, pattern: impl Into<String>, owner: impl Into<String>) -> Rule {
        Rule {
            kind,
            pattern: pattern.into(),
            owner: owner.into(),
            readers: Vec::new(),
            sequence: Vec::new(),
            sla_seconds: None,
            note: None,
        }
    }

    /// Whether `agent` may act on what this rule covers: the owner, or an agent in its sequence.
    /// (Readers of a `data` rule may read, not write.)
    pub fn allows(&self, agent: &str) -> bool {
        crate::agent::same_name(&self.owner, agent)
            || self
                .sequence
                .iter()
                .any(|a| crate::agent::same_name(a, agent))
    }
}

/// A rule as stored, with its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct StoredRule {
    pub id: i64,
    #[serde(flatten)]
    pub rule: Rule,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

pub mod compiled;
pub mod draft;
pub mod lint;
pub mod manifest;
pub mod map;
pub mod pattern;
pub mod predeploy;
pub mod resolve;

pub use compiled::CompiledRules;
pub use draft::{check_draft, DraftCheck, DraftOverlap, RuleProblem};
pub use lint::{check, lint, validate_rule, InvalidRule, Overlap, RuleError};
pub use manifest::{
    predeploy_check, validate_manifest, AgentManifest, ConflictSide, Declares, ManifestError,
    ManifestList, ManifestSource, PredeployConflict,
};
pub use map::{
    map_conflicts, DeclaredClaim, MapAgent, MapBranchEdit, MapConflict, MapLease, OwnershipMap,
};
pub use pattern::{PatternError, ResourcePattern};
pub use resolve::{
    plan_resolution, Dispute, Resolution, ResolutionPlan, ResolveError, Resolved, RuleChange,
};
