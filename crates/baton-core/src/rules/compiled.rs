//! Rules with their patterns parsed once (per change of the rules, not per event).

use super::{ResourcePattern, Rule, RuleKind};

/// The rules in force, each with its parsed pattern (None when the pattern does not parse: such
/// a rule covers nothing).
#[derive(Debug, Clone, Default)]
pub struct CompiledRules {
    rules: Vec<(Rule, Option<ResourcePattern>)>,
}

impl CompiledRules {
    pub fn new(rules: Vec<Rule>) -> CompiledRules {
        CompiledRules {
            rules: rules
                .into_iter()
                .map(|rule| {
                    let pattern = ResourcePattern::parse(&rule.pattern).ok();
                    (rule, pattern)
                })
                .collect(),
        }
    }

    /// Whether these are exactly `rules` (in order): then nothing needs compiling again.
    pub fn same_as(&self, rules: &[Rule]) -> bool {
        self.rules.len() == rules.len() && self.rules.iter().zip(rules).all(|((a, _), b)| a == b)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Rule> {
        self.rules.iter().map(|(rule, _)| rule)
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The rules of one of `kinds` whose pattern matches `resource`, in order.
    pub fn covering<'a>(
        &'a self,
        kinds: &'a [RuleKind],
        resource: &'a str,
    ) -> impl Iterator<Item = &'a Rule> + 'a {
        self.rules
            .iter()
            .filter(move |(rule, pattern)| {
                kinds.contains(&rule.kind) && pattern.as_ref().is_some_and(|p| p.matches(resource))
            })
            .map(|(rule, _)| rule)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covering_rules_match_by_kind_and_pattern_and_bad_patterns_cover_nothing() {
        let rules = vec![
            Rule::new(RuleKind::Data, "crm://contacts/*#status", "Billing"),
            Rule::new(RuleKind::Trigger, "crm://contacts/*#status", "Support"),
            Rule::new(RuleKind::Data, "not a pattern", "Nobody"),
        ];
        let compiled = CompiledRules::new(rules.clone());
        let owners: Vec<&str> = compiled
            .covering(&[RuleKind::Data], "crm://contacts/7#status")
            .map(|r| r.owner.as_str())
            .collect();
        assert_eq!(owners, ["Billing"]);
        assert!(compiled.same_as(&rules));
        assert!(!compiled.same_as(&rules[..2]));
    }
}
