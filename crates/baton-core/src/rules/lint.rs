//! The overlap lint: rules of one kind whose patterns share a resource but name different owners.
//!
//! Each pattern is parsed once; only rules of the same kind with the same scheme and authority
//! are compared pairwise, and each comparison is the exact product search of
//! [`ResourcePattern::example_overlap`].

use serde::Serialize;
use thiserror::Error;
use ts_rs::TS;

use super::pattern::{PatternError, ResourcePattern};
use super::{Rule, RuleKind};

/// Two rules of one kind that can both apply to one resource, with different owners.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct Overlap {
    pub kind: RuleKind,
    /// Index of the first rule in the slice given to [`lint`] (the smaller index).
    pub first: usize,
    /// Index of the second rule.
    pub second: usize,
    /// A resource both patterns match.
    pub example: String,
    /// A sentence for people, e.g. `data rules 3 (crm://contacts/*#status → Researcher) and 7
    /// (crm://contacts/42#* → Writer) both match crm://contacts/42#status`.
    pub message: String,
}

/// Why a rule is not valid on its own.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum RuleError {
    #[error("bad pattern: {0}")]
    Pattern(#[from] PatternError),
    #[error("the owner is empty")]
    EmptyOwner,
    #[error("a reader name is empty")]
    EmptyReader,
    #[error("only data rules have readers (this is a {0} rule)")]
    ReadersOnNonData(&'static str),
    #[error("only exception rules have an SLA (this is a {0} rule)")]
    SlaOnNonException(&'static str),
    #[error("an agent name in the sequence is empty")]
    EmptySequenceAgent,
    #[error("exception rules name a person, not a sequence of agents")]
    SequenceOnException,
}

impl RuleError {
    /// The rule field the error is about (`pattern`, `owner`, `readers`, `sequence`, `sla_seconds`).
    pub fn field(&self) -> &'static str {
        match self {
            RuleError::Pattern(_) => "pattern",
            RuleError::EmptyOwner => "owner",
            RuleError::EmptyReader | RuleError::ReadersOnNonData(_) => "readers",
            RuleError::SlaOnNonException(_) => "sla_seconds",
            RuleError::EmptySequenceAgent | RuleError::SequenceOnException => "sequence",
        }
    }
}

/// A rule that failed [`validate_rule`], with its index.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("rule {index}: {error}")]
pub struct InvalidRule {
    pub index: usize,
    pub error: RuleError,
}

/// Checks one rule on its own and returns its parsed pattern.
pub fn validate_rule(rule: &Rule) -> Result<ResourcePattern, RuleError> {
    let pattern = ResourcePattern::parse(&rule.pattern)?;
    if rule.owner.trim().is_empty() {
        return Err(RuleError::EmptyOwner);
    }
    if !rule.readers.is_empty() && rule.kind != RuleKind::Data {
        return Err(RuleError::ReadersOnNonData(rule.kind.as_str()));
    }
    if rule.readers.iter().any(|r| r.trim().is_empty()) {
        return Err(RuleError::EmptyReader);
    }
    if rule.sla_seconds.is_some() && rule.kind != RuleKind::Exception {
        return Err(RuleError::SlaOnNonException(rule.kind.as_str()));
    }
    if !rule.sequence.is_empty() && rule.kind == RuleKind::Exception {
        return Err(RuleError::SequenceOnException);
    }
    if rule.sequence.iter().any(|a| a.trim().is_empty()) {
        return Err(RuleError::EmptySequenceAgent);
    }
    Ok(pattern)
}

/// Validates every rule (the first invalid one is returned), then lints them.
pub fn check(rules: &[Rule]) -> Result<Vec<Overlap>, InvalidRule> {
    let patterns = rules
        .iter()
        .enumerate()
        .map(|(index, rule)| validate_rule(rule).map_err(|error| InvalidRule { index, error }))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(lint_parsed(
        rules,
        &patterns.into_iter().map(Some).collect::<Vec<_>>(),
    ))
}

/// Every pair of same-kind rules with different owners whose patterns share a resource, ordered by
/// (first, second). Rules whose pattern does not parse are skipped; use [`check`] to report them.
/// Readers do not excuse a `data` overlap: two different writers of one field conflict.
pub fn lint(rules: &[Rule]) -> Vec<Overlap> {
    let patterns: Vec<Option<ResourcePattern>> = rules
        .iter()
        .map(|rule| ResourcePattern::parse(&rule.pattern).ok())
        .collect();
    lint_parsed(rules, &patterns)
}

fn lint_parsed(rules: &[Rule], patterns: &[Option<ResourcePattern>]) -> Vec<Overlap> {
    let mut overlaps = Vec::new();
    for (first, a) in rules.iter().enumerate() {
        let Some(pa) = &patterns[first] else { continue };
        for (offset, b) in rules[first + 1..].iter().enumerate() {
            let second = first + 1 + offset;
            if a.kind != b.kind || crate::agent::same_name(&a.owner, &b.owner) {
                continue;
            }
            let Some(pb) = &patterns[second] else {
                continue;
            };
            if let Some(example) = pa.example_overlap(pb) {
                let message = format!(
                    "{} rules {first} ({} → {}) and {second} ({} → {}) both match {example}",
                    a.kind.as_str(),
                    a.pattern,
                    a.owner,
                    b.pattern,
                    b.owner,
                );
                overlaps.push(Overlap {
                    kind: a.kind,
                    first,
                    second,
                    example,
                    message,
                });
            }
        }
    }
    overlaps
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(kind: RuleKind, pattern: &str, owner: &str) -> Rule {
        Rule::new(kind, pattern, owner)
    }

    #[test]
    fn overlapping_rules_with_different_owners_conflict() {
        let mut data = rule(RuleKind::Data, "crm://contacts/*#status", "Researcher");
        data.readers = vec!["Writer".into()];
        let rules = vec![
            data,
            rule(RuleKind::Trigger, "slack://billing", "Triage"),
            rule(RuleKind::Data, "crm://contacts/42#*", "Writer"),
            rule(RuleKind::Trigger, "slack://billing", "triage"),
            rule(RuleKind::Output, "file:///drafts/**", "Writer"),
            rule(RuleKind::Trigger, "slack://support", "Other"),
            rule(RuleKind::Output, "file:///drafts/brief-*.md", "Researcher"),
            rule(RuleKind::Data, "crm://contacts/42#status", "Researcher"),
        ];
        let overlaps = lint(&rules);
        let pairs: Vec<_> = overlaps.iter().map(|o| (o.first, o.second)).collect();
        assert_eq!(pairs, vec![(0, 2), (2, 7), (4, 6)]);
        assert_eq!(
            overlaps[0].message,
            "data rules 0 (crm://contacts/*#status → Researcher) and 2 (crm://contacts/42#* → Writer) both match crm://contacts/42#status"
        );
        assert_eq!(overlaps[2].example, "file:///drafts/brief-x.md");
        assert_eq!(overlaps[2].kind, RuleKind::Output);
        assert_eq!(check(&rules).unwrap(), overlaps);
    }

    #[test]
    fn different_kinds_and_disjoint_patterns_do_not_conflict() {
        let rules = vec![
            rule(RuleKind::Data, "crm://contacts/*#status", "A"),
            rule(RuleKind::Output, "crm://contacts/*#status", "B"),
            rule(RuleKind::Data, "crm://contacts/*#owner", "B"),
            rule(RuleKind::Data, "crm://deals/**", "B"),
            rule(RuleKind::Data, "crm://contacts/*/notes", "B"),
        ];
        assert!(lint(&rules).is_empty());
    }

    #[test]
    fn invalid_rules_are_reported_with_their_index() {
        let mut rules = vec![rule(RuleKind::Data, "crm://a", "A")];
        rules.push(rule(RuleKind::Data, "crm://a/***", "B"));
        assert_eq!(
            check(&rules).unwrap_err(),
            InvalidRule {
                index: 1,
                error: RuleError::Pattern(PatternError::TripleStar { column: 9 })
            }
        );
        assert_eq!(lint(&rules), vec![]);
        let mut r = rule(RuleKind::Data, "crm://a", " ");
        assert_eq!(validate_rule(&r), Err(RuleError::EmptyOwner));
        r.owner = "A".into();
        r.sla_seconds = Some(60);
        assert_eq!(validate_rule(&r), Err(RuleError::SlaOnNonException("data")));
        r.sla_seconds = None;
        r.readers = vec![String::new()];
        assert_eq!(validate_rule(&r), Err(RuleError::EmptyReader));
        r.kind = RuleKind::Trigger;
        r.readers = vec!["B".into()];
        assert_eq!(
            validate_rule(&r).unwrap_err().to_string(),
            "only data rules have readers (this is a trigger rule)"
        );
        let mut e = rule(RuleKind::Exception, "crm://contacts/**", "Dana");
        e.sla_seconds = Some(3600);
        assert!(validate_rule(&e).is_ok());
    }

    #[test]
    fn five_hundred_rules_lint_and_their_overlaps_are_found() {
        let rules: Vec<Rule> = (0..500)
            .map(|i| {
                let kind = RuleKind::ALL[i % 3];
                rule(
                    kind,
                    &format!("crm://contacts/{}/**/f-{}*#x{}", i % 10, i % 4, i % 5),
                    &format!("agent{}", i % 11),
                )
            })
            .collect();
        // How fast: `make bench` (`rules_bench`), never a timing assertion here.
        let overlaps = lint(&rules);
        assert!(!overlaps.is_empty());
    }
}
