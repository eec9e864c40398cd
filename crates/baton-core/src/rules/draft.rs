//! Checking one rule while it is being edited: is it valid, and which existing rules would it
//! overlap. The ownership map's side panel shows this on every keystroke.

use serde::Serialize;
use ts_rs::TS;

use super::lint::validate_rule;
use super::pattern::ResourcePattern;
use super::Rule;
use crate::agent::same_name;

/// Why a draft rule is not valid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct RuleProblem {
    /// `pattern`, `owner`, `readers`, `sequence` or `sla_seconds`.
    pub field: String,
    pub message: String,
    /// For a pattern: the 1-based character column of the problem.
    pub column: Option<usize>,
}

/// One existing rule a draft would overlap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct DraftOverlap {
    /// Index into the rules given to [`check_draft`].
    pub index: usize,
    pub example: String,
    pub message: String,
}

/// What [`check_draft`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
pub struct DraftCheck {
    pub problem: Option<RuleProblem>,
    pub overlaps: Vec<DraftOverlap>,
}

/// Validates `draft` and lists the rules of `others` it would overlap (same kind, a shared
/// resource, a different owner). `skip` is the index of the rule being edited, if it is among
/// `others`.
pub fn check_draft(draft: &Rule, others: &[Rule], skip: Option<usize>) -> DraftCheck {
    let pattern = match validate_rule(draft) {
        Ok(pattern) => pattern,
        Err(error) => {
            let column = match &error {
                super::RuleError::Pattern(err) => Some(err.column()),
                _ => None,
            };
            return DraftCheck {
                problem: Some(RuleProblem {
                    field: error.field().to_owned(),
                    message: error.to_string(),
                    column,
                }),
                overlaps: Vec::new(),
            };
        }
    };
    let overlaps = others
        .iter()
        .enumerate()
        .filter(|(index, other)| {
            Some(*index) != skip
                && other.kind == draft.kind
                && !same_name(&other.owner, &draft.owner)
        })
        .filter_map(|(index, other)| {
            let theirs = ResourcePattern::parse(&other.pattern).ok()?;
            let example = pattern.example_overlap(&theirs)?;
            Some(DraftOverlap {
                index,
                message: format!(
                    "{} → {} would share {example} with {} → {}",
                    draft.pattern, draft.owner, other.pattern, other.owner
                ),
                example,
            })
        })
        .collect();
    DraftCheck {
        problem: None,
        overlaps,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleKind;

    #[test]
    fn a_bad_pattern_names_its_column() {
        let draft = Rule::new(RuleKind::Data, "crm://con*/x", "Writer");
        let check = check_draft(&draft, &[], None);
        let problem = check.problem.unwrap();
        assert_eq!(problem.field, "pattern");
        assert_eq!(problem.column, Some(10));
        let no_owner = Rule::new(RuleKind::Data, "crm://c/x", " ");
        assert_eq!(
            check_draft(&no_owner, &[], None).problem.unwrap().field,
            "owner"
        );
    }

    #[test]
    fn overlaps_skip_the_rule_being_edited_and_same_owner_rules() {
        let others = [
            Rule::new(RuleKind::Data, "crm://contacts/*#status", "Researcher"),
            Rule::new(RuleKind::Data, "crm://contacts/**", "Writer"),
            Rule::new(RuleKind::Output, "crm://contacts/**", "Analyst"),
            Rule::new(RuleKind::Data, "crm://contacts/1#*", "Editor"),
        ];
        let draft = Rule::new(RuleKind::Data, "crm://contacts/*#*", "Writer");
        let check = check_draft(&draft, &others, Some(3));
        assert_eq!(check.problem, None);
        let hit: Vec<usize> = check.overlaps.iter().map(|o| o.index).collect();
        assert_eq!(hit, [0]);
        assert_eq!(check.overlaps[0].example, "crm://contacts/x#status");
    }
}
