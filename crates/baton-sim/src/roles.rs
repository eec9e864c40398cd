//! The roles simulated agents play, and the task each role invents when it takes on new work.
//!
//! Resources are drawn from small ranges (30 briefs, 60 contacts) on purpose: agents of different
//! roles keep touching the same `file:///drafts/brief-N.md` or `crm://contacts/N#status`, which is
//! what makes overlaps (write collisions, reads during writes, divergent claims) show up.

use baton_core::protocol::Declares;
use rand::rngs::StdRng;
use rand::Rng;
use serde_json::Value;

/// One role in the fleet. Agent `i` plays `ROLES[i % ROLES.len()]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Role {
    /// Lower-case key, used in agent ids (`researcher-1`).
    pub key: &'static str,
    /// Capitalised, used in agent names (`Researcher 1`).
    pub label: &'static str,
    /// Prefix of the role's task ids (`draft-7`).
    pub task_prefix: &'static str,
    /// The API the role mostly calls.
    pub api: &'static str,
    /// The role that picks up this role's output, if any.
    pub next: Option<&'static str>,
    /// Chance that a task of this role stops once to ask a human.
    pub asks_human: f64,
}

pub const ROLES: [Role; 6] = [
    Role {
        key: "researcher",
        label: "Researcher",
        task_prefix: "research",
        api: "openai",
        next: Some("writer"),
        asks_human: 0.08,
    },
    Role {
        key: "writer",
        label: "Writer",
        task_prefix: "draft",
        api: "anthropic",
        next: Some("editor"),
        asks_human: 0.10,
    },
    Role {
        key: "editor",
        label: "Editor",
        task_prefix: "edit",
        api: "anthropic",
        next: Some("publisher"),
        asks_human: 0.12,
    },
    Role {
        key: "publisher",
        label: "Publisher",
        task_prefix: "publish",
        api: "openai",
        next: None,
        asks_human: 0.45,
    },
    Role {
        key: "analyst",
        label: "Analyst",
        task_prefix: "score",
        api: "openai",
        next: None,
        asks_human: 0.10,
    },
    Role {
        key: "support",
        label: "Support",
        task_prefix: "ticket",
        api: "anthropic",
        next: None,
        asks_human: 0.20,
    },
];

/// The role of agent `index`.
pub fn role_of(index: usize) -> &'static Role {
    &ROLES[index % ROLES.len()]
}

/// The agent's id and display name: `researcher-1` / `Researcher 1`, `writer-1`, …,
/// and after every role has one agent, `researcher-2`, and so on.
pub fn identity(index: usize) -> (String, String) {
    let role = role_of(index);
    let number = index / ROLES.len() + 1;
    (
        format!("{}-{number}", role.key),
        format!("{} {number}", role.label),
    )
}

/// The id of the agent that receives handoffs from agent `index` in a fleet of `agents`:
/// an agent of the next role, with the same number when the fleet has one, else the highest.
pub fn handoff_target(index: usize, agents: usize) -> Option<String> {
    let next = role_of(index).next?;
    let count = (0..agents).filter(|&j| role_of(j).key == next).count();
    if count == 0 {
        return None;
    }
    let own_number = index / ROLES.len() + 1;
    Some(format!("{next}-{}", own_number.min(count)))
}

/// What a new task is about: its title and the resources it touches.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub title: String,
    pub trigger: Option<String>,
    pub reads: Vec<String>,
    pub writes: Vec<String>,
    pub output: String,
    /// A `claim` the task states when it completes: key and value.
    pub claim: Option<(String, Value)>,
    /// The question asked when the task needs a human.
    pub question: String,
}

/// What agents of `role` declare in their status document (`agent.declares`): patterns covering
/// every resource [`plan`] gives the role's tasks, list by list. A task's trigger is a trigger,
/// its reads are reads, its writes are writes and its output is an output (the output is also
/// written, so it is under `writes` too). API calls are quota, not ownership: not declared.
///
/// The roles overlap on purpose, as real fleets do: writers and editors both write the drafts,
/// analysts and support agents both read contact statuses (support also writes them).
pub fn declares(role: &Role) -> Declares {
    let list = |patterns: &[&str]| patterns.iter().map(|p| (*p).to_owned()).collect();
    match role.key {
        "researcher" => Declares {
            triggers: list(&["slack://research-requests"]),
            reads: list(&["api://search", "crm://contacts/*#industry"]),
            writes: list(&["file:///research/**"]),
            outputs: list(&["file:///research/**"]),
        },
        "writer" => Declares {
            triggers: list(&[]),
            reads: list(&["file:///research/**"]),
            writes: list(&["file:///drafts/**"]),
            outputs: list(&["file:///drafts/**"]),
        },
        "editor" => Declares {
            triggers: list(&[]),
            reads: list(&["file:///drafts/**"]),
            writes: list(&["file:///drafts/**"]),
            outputs: list(&["file:///drafts/**"]),
        },
        "publisher" => Declares {
            triggers: list(&[]),
            reads: list(&["file:///drafts/**"]),
            writes: list(&["cms://posts/*", "slack://marketing"]),
            outputs: list(&["cms://posts/*"]),
        },
        "analyst" => Declares {
            triggers: list(&["cron://hourly"]),
            reads: list(&["crm://contacts/*#status"]),
            writes: list(&["crm://contacts/*#score"]),
            outputs: list(&["crm://contacts/*#score"]),
        },
        _ => Declares {
            triggers: list(&["mail://inbox/support/*"]),
            reads: list(&["crm://contacts/*#status"]),
            writes: list(&[
                "crm://contacts/*#status",
                "slack://billing",
                "mail://outbox/support/*",
            ]),
            outputs: list(&["mail://outbox/support/*"]),
        },
    }
}

const TIERS: [&str; 3] = ["gold", "silver", "bronze"];

/// Invents the next task for `role`. Always draws the same number of values from `rng`.
pub fn plan(role: &Role, rng: &mut StdRng) -> Plan {
    let brief: u32 = rng.random_range(1..=30);
    let contact: u32 = rng.random_range(1..=60);
    let ticket: u32 = rng.random_range(100..=999);
    let tier = TIERS[rng.random_range(0..TIERS.len())];
    let claim = Some((
        format!("contacts/{contact}/tier"),
        Value::String(tier.to_owned()),
    ));
    let draft = format!("file:///drafts/brief-{brief}.md");
    match role.key {
        "researcher" => Plan {
            title: format!("Collect sources for brief {brief}"),
            trigger: Some("slack://research-requests".into()),
            reads: vec![
                "api://search".into(),
                format!("crm://contacts/{contact}#industry"),
            ],
            writes: vec![format!("file:///research/brief-{brief}.md")],
            output: format!("file:///research/brief-{brief}.md"),
            claim: None,
            question: format!("Quote the paywalled report in brief {brief}?"),
        },
        "writer" => Plan {
            title: format!("Draft brief {brief}"),
            trigger: None,
            reads: vec![format!("file:///research/brief-{brief}.md")],
            writes: vec![draft.clone()],
            output: draft,
            claim: None,
            question: format!("Brief {brief} runs 2,400 words: keep the long version?"),
        },
        "editor" => Plan {
            title: format!("Edit brief {brief}"),
            trigger: None,
            reads: vec![draft.clone()],
            writes: vec![
                draft.clone(),
                format!("file:///drafts/brief-{brief}.notes.md"),
            ],
            output: draft,
            claim: None,
            question: format!("Cut the pricing section from brief {brief}?"),
        },
        "publisher" => Plan {
            title: format!("Publish brief {brief}"),
            trigger: None,
            reads: vec![draft],
            writes: vec![
                format!("cms://posts/brief-{brief}"),
                "slack://marketing".into(),
            ],
            output: format!("cms://posts/brief-{brief}"),
            claim: None,
            question: format!("Publish brief {brief} to the blog now?"),
        },
        "analyst" => Plan {
            title: format!("Score contact {contact}"),
            trigger: Some("cron://hourly".into()),
            reads: vec![format!("crm://contacts/{contact}#status")],
            writes: vec![format!("crm://contacts/{contact}#score")],
            output: format!("crm://contacts/{contact}#score"),
            claim,
            question: format!("Move contact {contact} to the {tier} tier?"),
        },
        _ => Plan {
            title: format!("Answer ticket {ticket}"),
            trigger: Some(format!("mail://inbox/support/{ticket}")),
            reads: vec![format!("crm://contacts/{contact}#status")],
            writes: vec![
                format!("crm://contacts/{contact}#status"),
                "slack://billing".into(),
            ],
            output: format!("mail://outbox/support/{ticket}"),
            claim,
            question: format!("Refund $120 to contact {contact} (ticket {ticket})?"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn identities_cycle_through_roles() {
        let ids: Vec<String> = (0..8).map(|i| identity(i).0).collect();
        assert_eq!(
            ids,
            [
                "researcher-1",
                "writer-1",
                "editor-1",
                "publisher-1",
                "analyst-1",
                "support-1",
                "researcher-2",
                "writer-2"
            ]
        );
        assert_eq!(identity(7).1, "Writer 2");
    }

    #[test]
    fn handoffs_go_to_an_agent_that_exists() {
        assert_eq!(handoff_target(0, 5).as_deref(), Some("writer-1"));
        assert_eq!(handoff_target(0, 1), None, "no writer in a fleet of one");
        assert_eq!(handoff_target(6, 7).as_deref(), Some("writer-1"));
        assert_eq!(handoff_target(6, 8).as_deref(), Some("writer-2"));
        assert_eq!(handoff_target(3, 5), None, "publishers hand off to no one");
    }

    #[test]
    fn every_role_declares_what_its_tasks_touch() {
        use baton_core::rules::manifest::validate_manifest;
        use baton_core::rules::ResourcePattern;
        let covered = |patterns: &[String], uri: &str| {
            patterns
                .iter()
                .any(|p| ResourcePattern::parse(p).unwrap().matches(uri))
        };
        let mut rng = StdRng::seed_from_u64(7);
        for role in &ROLES {
            let declared = declares(role);
            validate_manifest(&declared.to_manifest(role.label)).unwrap();
            for _ in 0..200 {
                let plan = plan(role, &mut rng);
                let key = role.key;
                if let Some(trigger) = &plan.trigger {
                    assert!(covered(&declared.triggers, trigger), "{key}: {trigger}");
                }
                for uri in &plan.reads {
                    assert!(covered(&declared.reads, uri), "{key} reads {uri}");
                }
                for uri in plan.writes.iter().chain([&plan.output]) {
                    assert!(covered(&declared.writes, uri), "{key} writes {uri}");
                }
                assert!(
                    covered(&declared.outputs, &plan.output),
                    "{key}: {}",
                    plan.output
                );
            }
            if plan(role, &mut rng).trigger.is_none() {
                assert!(declared.triggers.is_empty(), "{key}", key = role.key);
            }
        }
    }

    #[test]
    fn every_role_plans_resources_with_a_scheme() {
        let mut rng = StdRng::seed_from_u64(1);
        for role in &ROLES {
            let plan = plan(role, &mut rng);
            assert!(!plan.title.is_empty());
            for uri in plan.reads.iter().chain(&plan.writes).chain([&plan.output]) {
                assert!(uri.contains("://"), "{uri}");
            }
        }
    }
}
