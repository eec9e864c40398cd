//! One cause, one queue item: findings of the same kind between the same agents, on resources
//! under one rule or one common prefix, within [`GROUP_WINDOW`] of each other, are shown and
//! decided as one escalation (a group) with a count and the list of resources.
//!
//! The scope of a finding's resource is the pattern of the most specific rule covering it (not
//! an exception rule), else its parent: the last path segment becomes `*`, the field stays
//! (`file:///drafts/brief-3.md` → `file:///drafts/*`, `crm://contacts/42#status` →
//! `crm://contacts/*#status`). A key that is not a URI (a claim's key) has its numbers replaced
//! (`contacts/42/tier` → `contacts/*/tier`). Findings without a resource group by kind and
//! agents alone.
//!
//! An agent's own question (`needs_approval`), rate-limit pressure and parallel edits are never
//! grouped: each question needs its own answer, pressure on one API is already one item, and
//! so is a parallel edit (one per repository and pair of branches, with its files).

use chrono::Duration;

use crate::detect::FindingKind;
use crate::rules::{CompiledRules, ResourcePattern, RuleKind};

/// How long after its last finding a group still takes in new ones (open or decided).
pub const GROUP_WINDOW: Duration = Duration::hours(1);

/// Most items of one kind under one scope open at once (for different agents); past it, new
/// findings of that kind and scope join the newest of them.
pub const MAX_OPEN_PER_SCOPE: usize = 3;

/// Most resources a group lists (the count goes on).
pub const MAX_GROUP_RESOURCES: usize = 50;

/// Which queue item a finding belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Same key, same item: `kind|agents|scope`.
    pub key: String,
    /// What the item covers (a rule pattern or a prefix pattern), when the finding names a
    /// resource.
    pub scope: Option<String>,
}

/// The group of a finding, or None when it is always an item of its own.
pub fn group_of(
    kind: FindingKind,
    agents: &[i64],
    resource: Option<&str>,
    rules: &CompiledRules,
) -> Option<Group> {
    if matches!(
        kind,
        FindingKind::NeedsApproval
            | FindingKind::RateLimitPressure
            | FindingKind::ParallelEdit
            | FindingKind::UsageWindow
    ) {
        return None;
    }
    let scope = resource.map(|r| scope_of(r, rules));
    let mut agents = agents.to_vec();
    agents.sort_unstable();
    agents.dedup();
    let ids: Vec<String> = agents.iter().map(i64::to_string).collect();
    Some(Group {
        key: format!(
            "{}|{}|{}",
            kind.as_str(),
            ids.join(","),
            scope.as_deref().unwrap_or_default()
        ),
        scope,
    })
}

/// The pattern a resource is grouped under (see the module docs).
pub fn scope_of(resource: &str, rules: &CompiledRules) -> String {
    let kinds = [RuleKind::Trigger, RuleKind::Data, RuleKind::Output];
    if let Some(rule) = rules
        .covering(&kinds, resource)
        .max_by_key(|r| r.pattern.len())
    {
        return rule.pattern.clone();
    }
    match resource.split_once("://") {
        Some((scheme, rest)) => {
            let (body, field) = match rest.split_once('#') {
                Some((body, field)) => (body, Some(field)),
                None => (rest, None),
            };
            let Some(slash) = body.rfind('/') else {
                return resource.to_owned();
            };
            let mut scope = format!("{scheme}://{}*", &body[..=slash]);
            if let Some(field) = field {
                scope.push('#');
                scope.push_str(field);
            }
            if ResourcePattern::parse(&scope).is_ok() {
                scope
            } else {
                resource.to_owned()
            }
        }
        None => {
            let mut scope = String::with_capacity(resource.len());
            let mut in_number = false;
            for c in resource.chars() {
                if c.is_ascii_digit() {
                    if !in_number {
                        scope.push('*');
                    }
                    in_number = true;
                } else {
                    scope.push(c);
                    in_number = false;
                }
            }
            scope
        }
    }
}

/// The title of a group of `count` findings: the latest one's words, and how many more there
/// are under the scope.
pub fn group_title(latest: &str, count: u32, scope: Option<&str>) -> String {
    match (count, scope) {
        (0 | 1, _) => latest.to_owned(),
        (n, Some(scope)) => format!("{latest} (and {} more like it under {scope})", n - 1),
        (n, None) => format!("{latest} (and {} more like it)", n - 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Rule;

    #[test]
    fn resources_group_under_their_rule_or_their_parent() {
        let none = CompiledRules::default();
        assert_eq!(
            scope_of("file:///drafts/brief-3.md", &none),
            "file:///drafts/*"
        );
        assert_eq!(
            scope_of("crm://contacts/42#status", &none),
            "crm://contacts/*#status"
        );
        assert_eq!(scope_of("slack://billing", &none), "slack://billing");
        assert_eq!(scope_of("contacts/42/tier", &none), "contacts/*/tier");
        assert_eq!(scope_of("invoice/881.status", &none), "invoice/*.status");
        let rules = CompiledRules::new(vec![
            Rule::new(RuleKind::Data, "file:///drafts/**", "Editor"),
            Rule::new(RuleKind::Exception, "file:///drafts/launch/*", "ana"),
        ]);
        assert_eq!(
            scope_of("file:///drafts/launch/a.md", &rules),
            "file:///drafts/**",
            "the covering rule, never an exception rule"
        );
    }

    #[test]
    fn same_kind_same_agents_same_scope_is_one_group() {
        let rules = CompiledRules::default();
        let a = group_of(
            FindingKind::OwnershipViolation,
            &[4, 2],
            Some("file:///drafts/brief-3.md"),
            &rules,
        )
        .unwrap();
        let b = group_of(
            FindingKind::OwnershipViolation,
            &[2, 4],
            Some("file:///drafts/brief-9.md"),
            &rules,
        )
        .unwrap();
        assert_eq!(a, b);
        assert_eq!(a.key, "ownership_violation|2,4|file:///drafts/*");
        assert_eq!(a.scope.as_deref(), Some("file:///drafts/*"));
        // Another kind, other agents, or another folder: another group.
        let other = |kind, agents: &[i64], r| group_of(kind, agents, Some(r), &rules).unwrap();
        assert_ne!(
            other(FindingKind::WriteCollision, &[2, 4], "file:///drafts/x.md"),
            a
        );
        assert_ne!(
            other(
                FindingKind::OwnershipViolation,
                &[2, 5],
                "file:///drafts/x.md"
            ),
            a
        );
        assert_ne!(
            other(
                FindingKind::OwnershipViolation,
                &[2, 4],
                "file:///posts/x.md"
            ),
            a
        );
        // Questions, pressure and parallel edits are items of their own.
        assert_eq!(
            group_of(FindingKind::NeedsApproval, &[2], None, &rules),
            None
        );
        assert_eq!(
            group_of(
                FindingKind::ParallelEdit,
                &[1, 2],
                Some("repo://x/"),
                &rules
            ),
            None
        );
        assert_eq!(
            group_of(
                FindingKind::RateLimitPressure,
                &[2, 4],
                Some("api:openai"),
                &rules
            ),
            None
        );
        // Without a resource: by kind and agents.
        assert_eq!(
            group_of(FindingKind::Stall, &[7], None, &rules)
                .unwrap()
                .key,
            "stall|7|"
        );
    }

    #[test]
    fn a_group_title_says_how_many_more() {
        assert_eq!(group_title("A wrote x", 1, Some("s")), "A wrote x");
        assert_eq!(
            group_title("A wrote x", 3, Some("file:///drafts/*")),
            "A wrote x (and 2 more like it under file:///drafts/*)"
        );
        assert_eq!(
            group_title("A stalled", 2, None),
            "A stalled (and 1 more like it)"
        );
    }
}
