//! Settling a conflict between an agent's declaration and a rule or another agent's declaration:
//! give ownership to one side, make one side a reader, or accept the overlap with a sequence. A
//! resolution becomes a plan (one rule added or changed, and the declarations that change with
//! it) that the store applies in one transaction.

use serde::{Deserialize, Serialize};
use thiserror::Error;
use ts_rs::TS;

use super::manifest::{AgentManifest, ConflictSide, ManifestList};
use super::pattern::ResourcePattern;
use super::{Rule, RuleKind};
use crate::agent::same_name;

/// A conflict to settle: `agent` declares `pattern` under `kind`, and `other` disagrees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Dispute {
    pub agent: String,
    pub kind: RuleKind,
    pub pattern: String,
    pub other: ConflictSide,
}

/// How the user settles a dispute. Names are agents' names in Baton.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Resolution {
    /// `owner` (one side) owns what they share; the other side stops declaring it.
    GiveOwnership { owner: String },
    /// `data` only: the other side owns the field, `reader` may read it and reads it instead of
    /// writing it.
    MakeReader { reader: String },
    /// Both act, in this order: the first owns, the second follows in the rule's sequence.
    AcceptSequence { order: Vec<String> },
}

impl Resolution {
    /// `owner` owns what the two share.
    pub fn give_ownership(owner: impl Into<String>) -> Resolution {
        Resolution::GiveOwnership {
            owner: owner.into(),
        }
    }
}

/// The rule a plan adds or changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum RuleChange {
    Add(Rule),
    /// Replace the rule at `index` of the rules the plan was made from.
    Update {
        index: usize,
        rule: Rule,
    },
}

/// What a resolution changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResolutionPlan {
    /// `None` when the existing rule already says it (the owner kept it).
    pub rule: Option<RuleChange>,
    /// Declarations that change, whole; stored as what the user declares for that agent.
    pub declarations: Vec<AgentManifest>,
    /// What the plan does, one sentence per change.
    pub summary: Vec<String>,
}

/// What resolving a conflict did, and the ownership map after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct Resolved {
    /// One sentence per change, e.g. `New data rule crm://contacts/*#status → Writer`.
    pub summary: Vec<String>,
    pub map: super::map::OwnershipMap,
}

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ResolveError {
    #[error("{0} is not a side of this conflict")]
    NotASide(String),
    #[error("only a data conflict can be settled by making one side a reader")]
    ReaderOnNonData,
    #[error("a sequence names both sides of the conflict, each once")]
    BadSequence,
    #[error("the rules changed since this conflict was found; check again")]
    Stale,
}

/// The two sides of a dispute, and the rule it is about (if any).
struct Sides<'a> {
    agent: &'a str,
    agent_pattern: &'a str,
    other: &'a str,
    other_pattern: &'a str,
    rule: Option<(usize, &'a Rule)>,
}

impl<'a> Sides<'a> {
    fn of(dispute: &'a Dispute, rules: &'a [Rule]) -> Result<Sides<'a>, ResolveError> {
        let (other, other_pattern, rule) = match &dispute.other {
            ConflictSide::Rule {
                index,
                pattern,
                owner,
            } => {
                // The index is where the rule was when the conflict was found; other changes
                // since may have moved it, so fall back to finding the same rule by content.
                let same = |rule: &Rule| {
                    rule.kind == dispute.kind && rule.pattern == *pattern && rule.owner == *owner
                };
                let index = match rules.get(*index) {
                    Some(rule) if same(rule) => *index,
                    _ => rules.iter().position(same).ok_or(ResolveError::Stale)?,
                };
                (
                    owner.as_str(),
                    pattern.as_str(),
                    Some((index, &rules[index])),
                )
            }
            ConflictSide::Agent { name, pattern } => (name.as_str(), pattern.as_str(), None),
        };
        Ok(Sides {
            agent: &dispute.agent,
            agent_pattern: &dispute.pattern,
            other,
            other_pattern,
            rule,
        })
    }

    /// `name` as one of the sides: (the side, its pattern, the other side, its pattern).
    fn pick(&self, name: &str) -> Result<(&'a str, &'a str, &'a str, &'a str), ResolveError> {
        if same_name(name, self.agent) {
            Ok((
                self.agent,
                self.agent_pattern,
                self.other,
                self.other_pattern,
            ))
        } else if same_name(name, self.other) {
            Ok((
                self.other,
                self.other_pattern,
                self.agent,
                self.agent_pattern,
            ))
        } else {
            Err(ResolveError::NotASide(name.to_owned()))
        }
    }
}

/// Turns a resolution into a plan against the current `rules` and the agents' current
/// declarations (`manifests`, one per agent, including the disputing agent's).
pub fn plan_resolution(
    dispute: &Dispute,
    resolution: &Resolution,
    rules: &[Rule],
    manifests: &[AgentManifest],
) -> Result<ResolutionPlan, ResolveError> {
    let kind = dispute.kind;
    let sides = Sides::of(dispute, rules)?;
    let mut plan = Planner {
        kind,
        manifests,
        declarations: Vec::new(),
        summary: Vec::new(),
    };
    let rule = match resolution {
        Resolution::GiveOwnership { owner } => {
            let (winner, winner_pattern, loser, _) = sides.pick(owner)?;
            let rule = match sides.rule {
                Some((_, rule)) if same_name(&rule.owner, winner) => None,
                Some((index, rule)) => {
                    let mut changed = rule.clone();
                    changed.owner = winner.to_owned();
                    changed.readers.retain(|r| !same_name(r, winner));
                    changed.sequence.retain(|a| !same_name(a, winner));
                    Some(RuleChange::Update {
                        index,
                        rule: changed,
                    })
                }
                None => Some(RuleChange::Add(Rule::new(kind, winner_pattern, winner))),
            };
            let covered = covered_pattern(&rule, sides.rule);
            plan.stop_claiming(loser, covered, false);
            rule
        }
        Resolution::MakeReader { reader } => {
            if kind != RuleKind::Data {
                return Err(ResolveError::ReaderOnNonData);
            }
            let (reader, _, owner, owner_pattern) = sides.pick(reader)?;
            let mut rule = match sides.rule {
                Some((_, rule)) => rule.clone(),
                None => Rule::new(kind, owner_pattern, owner),
            };
            rule.owner = owner.to_owned();
            rule.sequence
                .retain(|a| !same_name(a, reader) && !same_name(a, owner));
            rule.readers.retain(|r| !same_name(r, owner));
            if !rule.readers.iter().any(|r| same_name(r, reader)) {
                rule.readers.push(reader.to_owned());
            }
            let change = match sides.rule {
                Some((index, _)) => RuleChange::Update { index, rule },
                None => RuleChange::Add(rule),
            };
            let change = Some(change);
            let covered = covered_pattern(&change, sides.rule);
            plan.stop_claiming(reader, covered, true);
            change
        }
        Resolution::AcceptSequence { order } => {
            let [first, second] = order.as_slice() else {
                return Err(ResolveError::BadSequence);
            };
            let (first, first_pattern, other_side, _) = sides.pick(first)?;
            if !same_name(second, other_side) {
                return Err(ResolveError::BadSequence);
            }
            let second = other_side;
            let mut rule = match sides.rule {
                Some((_, rule)) => rule.clone(),
                None => Rule::new(kind, first_pattern, first),
            };
            rule.owner = first.to_owned();
            rule.readers
                .retain(|r| !same_name(r, first) && !same_name(r, second));
            rule.sequence
                .retain(|a| !same_name(a, first) && !same_name(a, second));
            rule.sequence.insert(0, second.to_owned());
            Some(match sides.rule {
                Some((index, _)) => RuleChange::Update { index, rule },
                None => RuleChange::Add(rule),
            })
        }
    };
    if let Some(change) = &rule {
        plan.summary.insert(0, describe_change(change, rules));
    }
    Ok(ResolutionPlan {
        rule,
        declarations: plan.declarations,
        summary: plan.summary,
    })
}

/// The pattern the settled rule covers: the changed rule's, else the existing rule's.
fn covered_pattern<'a>(
    change: &'a Option<RuleChange>,
    existing: Option<(usize, &'a Rule)>,
) -> &'a str {
    match change {
        Some(RuleChange::Add(rule)) | Some(RuleChange::Update { rule, .. }) => &rule.pattern,
        None => existing.map_or("", |(_, rule)| rule.pattern.as_str()),
    }
}

fn describe_change(change: &RuleChange, rules: &[Rule]) -> String {
    let describe = |rule: &Rule| {
        let mut text = format!(
            "{} rule {} → {}",
            rule.kind.as_str(),
            rule.pattern,
            rule.owner
        );
        if !rule.readers.is_empty() {
            text.push_str(&format!(", read by {}", rule.readers.join(", ")));
        }
        if !rule.sequence.is_empty() {
            text.push_str(&format!(", then {}", rule.sequence.join(", then ")));
        }
        text
    };
    match change {
        RuleChange::Add(rule) => format!("New {}", describe(rule)),
        RuleChange::Update { index, rule } => {
            format!(
                "Changed {} (was {})",
                describe(rule),
                describe(&rules[*index])
            )
        }
    }
}

struct Planner<'a> {
    kind: RuleKind,
    manifests: &'a [AgentManifest],
    declarations: Vec<AgentManifest>,
    summary: Vec<String>,
}

impl Planner<'_> {
    /// Removes from `agent`'s declaration every claim of the plan's kind that overlaps
    /// `pattern`; with `as_reads`, those patterns move to its reads.
    fn stop_claiming(&mut self, agent: &str, pattern: &str, as_reads: bool) {
        let Ok(covered) = ResourcePattern::parse(pattern) else {
            return;
        };
        let Some(manifest) = self.manifests.iter().find(|m| same_name(&m.agent, agent)) else {
            return;
        };
        let list = match self.kind {
            RuleKind::Trigger => ManifestList::Triggers,
            RuleKind::Data => ManifestList::Writes,
            RuleKind::Output => ManifestList::Outputs,
            RuleKind::Exception => return,
        };
        let mut changed = manifest.clone();
        let claims = match list {
            ManifestList::Triggers => &mut changed.declares.triggers,
            ManifestList::Writes => &mut changed.declares.writes,
            _ => &mut changed.declares.outputs,
        };
        let (dropped, kept): (Vec<String>, Vec<String>) =
            std::mem::take(claims).into_iter().partition(|claim| {
                ResourcePattern::parse(claim)
                    .is_ok_and(|claim| claim.example_overlap(&covered).is_some())
            });
        *claims = kept;
        if dropped.is_empty() {
            return;
        }
        for claim in &dropped {
            if as_reads {
                self.summary.push(format!(
                    "{} reads {claim} instead of writing it",
                    manifest.agent
                ));
                if !changed.declares.reads.contains(claim) {
                    changed.declares.reads.push(claim.clone());
                }
            } else {
                self.summary.push(format!(
                    "{} no longer declares {} {claim}",
                    manifest.agent,
                    list.as_str()
                ));
            }
        }
        self.declarations.push(changed);
    }
}

#[cfg(test)]
mod tests;
