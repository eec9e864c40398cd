//! Every conflict on the ownership map at once: rules that overlap each other, and agents'
//! declarations that collide with a rule or with each other.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::lint::lint;
use super::manifest::{AgentManifest, Declares, ManifestSource};
use super::predeploy::{ConflictSide, Prepared};
use super::{Rule, RuleKind, StoredRule};
use crate::agent::same_name;

/// Everything the ownership map view shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct OwnershipMap {
    /// Every agent, by name.
    pub agents: Vec<MapAgent>,
    /// Every rule, in the store's stable order.
    pub rules: Vec<StoredRule>,
    /// [`map_conflicts`] of those rules and the agents' declarations; rule indexes point into
    /// `rules`.
    pub conflicts: Vec<MapConflict>,
    /// Files coding sessions hold (leases taken by their writes), oldest first.
    pub leases: Vec<MapLease>,
    /// Files of repositories that live sessions changed, one per session and file, with the
    /// session's branch: each branch's edge to the files it edits (two branches on one file
    /// are a parallel edit). By file, then branch.
    pub branch_edits: Vec<MapBranchEdit>,
}

/// A file of a repository a live coding session on a branch changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct MapBranchEdit {
    pub agent_id: i64,
    pub agent: String,
    pub branch: String,
    /// `repo://<repository>/<path>`: one file in every worktree and clone.
    pub resource: String,
    #[ts(type = "string")]
    pub last_write_at: chrono::DateTime<chrono::Utc>,
}

/// A file a coding session holds, on the map: the holder's edge to the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct MapLease {
    pub holder_id: i64,
    pub holder: String,
    /// `repo://<repository>/<path>`, or `file:///…`
    pub resource: String,
    /// The branch the lease is kept for (a repository's file has one per branch); None for a
    /// file with one lease whoever writes it.
    pub branch: Option<String>,
    pub since: chrono::DateTime<chrono::Utc>,
    pub last_write_at: chrono::DateTime<chrono::Utc>,
}

/// An agent on the map, with what it declares (empty when it declares nothing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct MapAgent {
    pub id: i64,
    pub name: String,
    pub declares: Declares,
    /// Whose declaration this is: what the user typed in Baton replaces what the agent says.
    pub source: Option<ManifestSource>,
    /// What the agent itself declares, when the user's declaration replaces it.
    pub agent_declares: Option<Declares>,
}

impl OwnershipMap {
    /// Builds the map, computing its conflicts.
    pub fn new(agents: Vec<MapAgent>, rules: Vec<StoredRule>) -> OwnershipMap {
        let plain: Vec<Rule> = rules.iter().map(|stored| stored.rule.clone()).collect();
        let conflicts = map_conflicts(&plain, &manifests_of(&agents));
        OwnershipMap {
            agents,
            rules,
            conflicts,
            leases: Vec::new(),
            branch_edits: Vec::new(),
        }
    }
}

/// The declarations of agents that declare something, as manifests.
pub fn manifests_of(agents: &[MapAgent]) -> Vec<AgentManifest> {
    agents
        .iter()
        .filter(|agent| agent.source.is_some())
        .map(|agent| agent.declares.to_manifest(agent.name.clone()))
        .collect()
}

/// One agent's declared claim: what it says it triggers on, writes or outputs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DeclaredClaim {
    pub agent: String,
    pub kind: RuleKind,
    pub pattern: String,
}

/// A conflict on the map: the rules and declared claims involved, a resource they share, and a
/// sentence saying why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct MapConflict {
    pub kind: RuleKind,
    /// Indexes into the rules given to [`map_conflicts`].
    pub rules: Vec<usize>,
    pub claims: Vec<DeclaredClaim>,
    /// A resource every side matches.
    pub example: String,
    pub message: String,
}

impl MapConflict {
    /// Whether `agent` is one side of this conflict (as a rule's owner or by its declaration).
    pub fn involves(&self, agent: &str, rules: &[Rule]) -> bool {
        self.claims.iter().any(|c| same_name(&c.agent, agent))
            || self
                .rules
                .iter()
                .any(|&i| same_name(&rules[i].owner, agent))
    }
}

/// Rule overlaps (as [`lint`] reports them) followed by every agent's pre-deploy conflicts
/// against the rules and the other agents. A collision between two agents' declarations is
/// reported once, under the agent whose name sorts first.
pub fn map_conflicts(rules: &[Rule], manifests: &[AgentManifest]) -> Vec<MapConflict> {
    let mut conflicts: Vec<MapConflict> = lint(rules)
        .into_iter()
        .map(|overlap| MapConflict {
            kind: overlap.kind,
            rules: vec![overlap.first, overlap.second],
            claims: Vec::new(),
            example: overlap.example,
            message: overlap.message,
        })
        .collect();
    let prepared = Prepared::new(rules, manifests);
    for manifest in manifests {
        let mine = crate::agent::name_key(&manifest.agent);
        // A collision between two declarations is reported once, under the first name.
        let later = |other: &str| crate::agent::name_key(other) > mine;
        for conflict in prepared.check(manifest, later) {
            let claim = DeclaredClaim {
                agent: manifest.agent.clone(),
                kind: conflict.kind,
                pattern: conflict.pattern,
            };
            let (rules, claims) = match conflict.other {
                ConflictSide::Rule { index, .. } => (vec![index], vec![claim]),
                ConflictSide::Agent { name, pattern } => {
                    let theirs = DeclaredClaim {
                        agent: name,
                        kind: conflict.kind,
                        pattern,
                    };
                    (Vec::new(), vec![claim, theirs])
                }
            };
            conflicts.push(MapConflict {
                kind: conflict.kind,
                rules,
                claims,
                example: conflict.example,
                message: conflict.message,
            });
        }
    }
    conflicts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Declares;

    fn writes(agent: &str, patterns: &[&str]) -> AgentManifest {
        Declares {
            writes: patterns.iter().map(|p| p.to_string()).collect(),
            ..Declares::default()
        }
        .to_manifest(agent)
    }

    #[test]
    fn two_agents_writing_one_field_conflict_once() {
        let manifests = [
            writes("Writer", &["crm://contacts/*#status"]),
            writes("Researcher", &["crm://contacts/42#*"]),
        ];
        let conflicts = map_conflicts(&[], &manifests);
        assert_eq!(conflicts.len(), 1, "{conflicts:#?}");
        let conflict = &conflicts[0];
        assert_eq!(conflict.kind, RuleKind::Data);
        assert_eq!(conflict.example, "crm://contacts/42#status");
        let agents: Vec<&str> = conflict.claims.iter().map(|c| c.agent.as_str()).collect();
        assert_eq!(agents, ["Researcher", "Writer"]);
        assert!(conflict.involves("writer", &[]));
        assert!(!conflict.involves("Editor", &[]));
    }

    #[test]
    fn a_rule_decides_between_declarations() {
        let manifests = [
            writes("Writer", &["crm://contacts/*#status"]),
            writes("Researcher", &["crm://contacts/*#status"]),
        ];
        let rule = Rule::new(RuleKind::Data, "crm://contacts/*#status", "Writer");
        let conflicts = map_conflicts(std::slice::from_ref(&rule), &manifests);
        assert_eq!(
            conflicts.len(),
            1,
            "only Researcher is not allowed: {conflicts:#?}"
        );
        assert_eq!(conflicts[0].rules, [0]);
        assert_eq!(conflicts[0].claims[0].agent, "Researcher");
        assert!(conflicts[0].involves("Writer", std::slice::from_ref(&rule)));

        let accepted = Rule {
            sequence: vec!["Researcher".into()],
            ..rule
        };
        assert!(map_conflicts(&[accepted], &manifests).is_empty());
    }

    #[test]
    fn rule_overlaps_come_first() {
        let rules = [
            Rule::new(RuleKind::Output, "slack://channels/billing", "Support"),
            Rule::new(RuleKind::Output, "slack://channels/*", "Analyst"),
        ];
        let manifests = [writes("Writer", &["crm://deals/*#stage"])];
        let conflicts = map_conflicts(&rules, &manifests);
        assert_eq!(conflicts.len(), 1);
        assert_eq!(conflicts[0].rules, [0, 1]);
        assert!(conflicts[0].claims.is_empty());
    }
}
