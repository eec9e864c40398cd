//! The pre-deploy check: what a new or changed agent declares against the rules and the other
//! agents' declarations, before it goes live. Patterns are parsed once and bucketed by (kind,
//! scheme, authority): only patterns in the same bucket can overlap, which keeps the whole map's
//! check (every agent against everything, on every edit) fast.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::manifest::AgentManifest;
use super::pattern::ResourcePattern;
use super::{Rule, RuleKind};
use crate::agent::same_name;

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
    /// The other side's agent is not ready for a second agent beside it (readiness): what it
    /// lacks, e.g. "Writer is not ready: 19 of 28 days; approval 81 %". Set by the engine.
    pub other_not_ready: Option<String>,
}

type Bucket = (RuleKind, String, String);

fn bucket(kind: RuleKind, pattern: &ResourcePattern) -> Bucket {
    let (scheme, authority) = pattern.scope();
    (kind, scheme.to_owned(), authority.to_owned())
}

/// Rules and declared claims, parsed once and bucketed; indexes are into the slices given.
pub(crate) struct Prepared<'a> {
    rules: &'a [Rule],
    rule_buckets: HashMap<Bucket, Vec<(usize, ResourcePattern)>>,
    /// (manifest index, pattern as written, parsed).
    claim_buckets: HashMap<Bucket, Vec<(usize, &'a String, ResourcePattern)>>,
    manifests: &'a [AgentManifest],
}

impl<'a> Prepared<'a> {
    /// Patterns that do not parse are left out (validate them first to report them).
    pub(crate) fn new(rules: &'a [Rule], manifests: &'a [AgentManifest]) -> Prepared<'a> {
        let mut rule_buckets: HashMap<Bucket, Vec<_>> = HashMap::new();
        for (index, rule) in rules.iter().enumerate() {
            if let Ok(parsed) = ResourcePattern::parse(&rule.pattern) {
                rule_buckets
                    .entry(bucket(rule.kind, &parsed))
                    .or_default()
                    .push((index, parsed));
            }
        }
        let mut claim_buckets: HashMap<Bucket, Vec<_>> = HashMap::new();
        for (index, manifest) in manifests.iter().enumerate() {
            for (kind, pattern) in manifest.declares.claims() {
                if let Ok(parsed) = ResourcePattern::parse(pattern) {
                    claim_buckets
                        .entry(bucket(kind, &parsed))
                        .or_default()
                        .push((index, pattern, parsed));
                }
            }
        }
        Prepared {
            rules,
            rule_buckets,
            claim_buckets,
            manifests,
        }
    }

    /// Whether a rule of `kind` covers `example` (then the rule decides between declarations).
    fn decided(&self, key: &Bucket, example: &str) -> bool {
        self.rule_buckets
            .get(key)
            .is_some_and(|rules| rules.iter().any(|(_, p)| p.matches(example)))
    }

    /// The conflicts of `new`; other agents' declarations count only when `versus(name)`.
    pub(crate) fn check(
        &self,
        new: &AgentManifest,
        versus: impl Fn(&str) -> bool,
    ) -> Vec<PredeployConflict> {
        let mut conflicts = Vec::new();
        for (kind, pattern) in new.declares.claims() {
            let Ok(mine) = ResourcePattern::parse(pattern) else {
                continue;
            };
            let key = bucket(kind, &mine);
            for (index, theirs) in self.rule_buckets.get(&key).into_iter().flatten() {
                let rule = &self.rules[*index];
                if rule.allows(&new.agent) {
                    continue;
                }
                if let Some(example) = mine.example_overlap(theirs) {
                    conflicts.push(against_rule(new, kind, pattern, *index, rule, example));
                }
            }
            for (index, other_pattern, theirs) in self.claim_buckets.get(&key).into_iter().flatten()
            {
                let other = &self.manifests[*index].agent;
                if same_name(other, &new.agent) || !versus(other) {
                    continue;
                }
                let Some(example) = mine.example_overlap(theirs) else {
                    continue;
                };
                if self.decided(&key, &example) {
                    continue;
                }
                conflicts.push(PredeployConflict {
                    other_not_ready: None,
                    kind,
                    pattern: pattern.clone(),
                    message: if pattern == *other_pattern {
                        format!(
                            "{} and {other} both declare {} {pattern}",
                            new.agent,
                            verb(kind)
                        )
                    } else {
                        format!(
                            "{} and {other} both declare {} {example} ({pattern} and {other_pattern})",
                            new.agent,
                            verb(kind),
                        )
                    },
                    other: ConflictSide::Agent {
                        name: other.clone(),
                        pattern: (*other_pattern).clone(),
                    },
                    example,
                });
            }
        }
        conflicts
    }
}

fn against_rule(
    new: &AgentManifest,
    kind: RuleKind,
    pattern: &str,
    index: usize,
    rule: &Rule,
    example: String,
) -> PredeployConflict {
    let reader = kind == RuleKind::Data && rule.readers.iter().any(|r| same_name(r, &new.agent));
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
    PredeployConflict {
        kind,
        pattern: pattern.to_owned(),
        other: ConflictSide::Rule {
            index,
            pattern: rule.pattern.clone(),
            owner: rule.owner.clone(),
        },
        example,
        message,
        other_not_ready: None,
    }
}

/// Every trigger / write / output of `new` that overlaps (a) a rule of the matching kind that does
/// not allow `new` (it is neither the owner nor in the rule's sequence; for `data`, being listed
/// as a reader does not allow writing), or (b) another agent's declaration of the same kind where
/// no rule of that kind covers the shared example resource (where one does, the rule decides and
/// whoever it does not allow gets a conflict of kind (a)). Reads never conflict. Manifests with
/// the same agent name as `new` (its previous declaration) are ignored. Patterns that do not parse
/// are skipped: run [`super::validate_manifest`] and [`super::lint::check`] first to report them.
pub fn predeploy_check(
    new: &AgentManifest,
    rules: &[Rule],
    others: &[AgentManifest],
) -> Vec<PredeployConflict> {
    Prepared::new(rules, others).check(new, |_| true)
}

fn verb(kind: RuleKind) -> &'static str {
    match kind {
        RuleKind::Trigger => "the trigger",
        RuleKind::Data => "writes to",
        RuleKind::Output => "output to",
        RuleKind::Exception => "exceptions on",
    }
}
