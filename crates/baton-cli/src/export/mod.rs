//! `baton export`: the store's agents and rules written as a `baton.toml`, in a stable order so
//! that two exports diff line by line:
//!
//! * agents by name (case-insensitively, then byte order), keys `name`, `url`,
//!   `poll_interval_ms`, `timeout_ms`, `protocol`, then `windows` when the detectors' windows
//!   were changed for it and `declares` when the user typed a manifest in;
//! * rules by kind (`trigger`, `data`, `output`, `exception`), pattern, owner (then readers,
//!   sequence, SLA and note), keys `kind`, `pattern`, `owner`, `readers`, `sequence`,
//!   `sla_seconds`, `note`, the last four only when set.
//!
//! * then the fleet's settings ([`settings`]): quotas, pressure settings, handoff schemas.
//!
//! * then the routes (`[[notify]]`, by name), each with its token's reference, never a token.
//!
//! Agents' tokens are never written, not even a reference: one comment line says so.

use std::cmp::Ordering;
use std::fmt::Write;

use baton_core::agent::{name_key, AdapterKind};
use baton_core::detect::windows::WindowOverrides;
use baton_core::rules::{AgentManifest, Rule};

use crate::config::Protocol;

mod notify;
mod settings;
mod toml_text;

pub use notify::render_routes;
pub use settings::{render_settings, SchemaPlace};
pub(crate) use toml_text::{quote, toml_float};

/// One agent as exported.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportAgent {
    pub name: String,
    pub url: String,
    pub poll_interval_ms: u64,
    pub timeout_ms: u64,
    pub adapter: AdapterKind,
    /// The detectors' windows set for it (empty: the defaults).
    pub windows: WindowOverrides,
    /// What the user declared for it in Baton (not what the agent declares itself).
    pub declares: Option<AgentManifest>,
    /// Its daily budget, in dollars.
    pub daily_budget_usd: Option<f64>,
}

/// The first lines of every export.
pub const HEADER: &str = "\
# Baton: agents, ownership rules and settings, written by `baton export`.
# Check it with `baton check FILE`, load it into Baton with `baton import FILE`.
# Tokens are not exported. For `baton watch`, give an agent token = { env = \"VAR\" } or
# token = { keyring = \"service/user\" }; the app keeps its tokens in the OS keyring.
";

fn agent_order(a: &ExportAgent, b: &ExportAgent) -> Ordering {
    name_key(&a.name)
        .cmp(&name_key(&b.name))
        .then_with(|| a.name.cmp(&b.name))
}

fn rule_order(a: &Rule, b: &Rule) -> Ordering {
    a.kind
        .cmp(&b.kind)
        .then_with(|| a.pattern.cmp(&b.pattern))
        .then_with(|| a.owner.cmp(&b.owner))
        .then_with(|| a.readers.cmp(&b.readers))
        .then_with(|| a.sequence.cmp(&b.sequence))
        .then_with(|| a.sla_seconds.cmp(&b.sla_seconds))
        .then_with(|| a.note.cmp(&b.note))
}

fn list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|item| quote(item)).collect();
    format!("[{}]", quoted.join(", "))
}

/// `{ stall_seconds = 600, unreachable_polls = 5 }`: the fields set, by name.
fn windows_table(windows: &WindowOverrides) -> String {
    let fields = serde_json::to_value(windows).unwrap_or_default();
    let set: Vec<String> = fields
        .as_object()
        .into_iter()
        .flatten()
        .map(|(key, value)| format!("{key} = {value}"))
        .collect();
    format!("{{ {} }}", set.join(", "))
}

/// The whole file.
pub fn render(agents: &[ExportAgent], rules: &[Rule]) -> String {
    render_with_header(HEADER, agents, rules)
}

/// The whole file under other first lines (comments, each line starting with `#`).
pub fn render_with_header(header: &str, agents: &[ExportAgent], rules: &[Rule]) -> String {
    let mut agents: Vec<&ExportAgent> = agents.iter().collect();
    agents.sort_by(|a, b| agent_order(a, b));
    let mut rules: Vec<&Rule> = rules.iter().collect();
    rules.sort_by(|a, b| rule_order(a, b));

    let mut out = String::from(header);
    for agent in agents {
        out.push_str("\n[[agents]]\n");
        let _ = writeln!(out, "name = {}", quote(&agent.name));
        let _ = writeln!(out, "url = {}", quote(&agent.url));
        let _ = writeln!(out, "poll_interval_ms = {}", agent.poll_interval_ms);
        let _ = writeln!(out, "timeout_ms = {}", agent.timeout_ms);
        let _ = writeln!(out, "protocol = {}", quote(Protocol::word(agent.adapter)));
        if !agent.windows.is_empty() {
            let _ = writeln!(out, "windows = {}", windows_table(&agent.windows));
        }
        if let Some(usd) = agent.daily_budget_usd {
            let _ = writeln!(out, "daily_budget_usd = {}", toml_float(usd));
        }
        if let Some(d) = agent.declares.as_ref().map(|m| &m.declares) {
            let _ = writeln!(
                out,
                "declares = {{ triggers = {}, reads = {}, writes = {}, outputs = {} }}",
                list(&d.triggers),
                list(&d.reads),
                list(&d.writes),
                list(&d.outputs)
            );
        }
    }
    for rule in rules {
        out.push_str("\n[[rules]]\n");
        let _ = writeln!(out, "kind = {}", quote(rule.kind.as_str()));
        let _ = writeln!(out, "pattern = {}", quote(&rule.pattern));
        let _ = writeln!(out, "owner = {}", quote(&rule.owner));
        if !rule.readers.is_empty() {
            let _ = writeln!(out, "readers = {}", list(&rule.readers));
        }
        if !rule.sequence.is_empty() {
            let _ = writeln!(out, "sequence = {}", list(&rule.sequence));
        }
        if let Some(sla) = rule.sla_seconds {
            let _ = writeln!(out, "sla_seconds = {sla}");
        }
        if let Some(note) = &rule.note {
            let _ = writeln!(out, "note = {}", quote(note));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use baton_core::rules::{Declares, RuleKind};

    fn rule(kind: RuleKind, pattern: &str, owner: &str) -> Rule {
        Rule::new(kind, pattern, owner)
    }

    fn agent(name: &str) -> ExportAgent {
        ExportAgent {
            name: name.into(),
            url: format!("http://127.0.0.1/{name}"),
            poll_interval_ms: 2000,
            timeout_ms: 1500,
            adapter: AdapterKind::Baton,
            windows: WindowOverrides::default(),
            declares: None,
            daily_budget_usd: None,
        }
    }

    #[test]
    fn order_is_stable_whatever_order_things_come_in() {
        let agents = vec![agent("writer"), agent("Analyst"), agent("Researcher")];
        let mut data = rule(RuleKind::Data, "crm://contacts/*#status", "Researcher");
        data.readers = vec!["Writer".into(), "Analyst".into()];
        let mut exception = rule(RuleKind::Exception, "crm://contacts/**", "Dana");
        exception.sla_seconds = Some(3600);
        exception.note = Some("say \"hi\"\\\nthen\tgo\u{7}".into());
        let rules = vec![
            exception,
            rule(RuleKind::Output, "file:///drafts/**", "Writer"),
            data,
            rule(RuleKind::Trigger, "slack://support", "Triage"),
            rule(RuleKind::Trigger, "slack://billing", "Triage"),
            rule(RuleKind::Trigger, "slack://billing", "Other"),
        ];
        let text = render(&agents, &rules);
        let mut reversed_agents = agents.clone();
        reversed_agents.reverse();
        let mut reversed_rules = rules.clone();
        reversed_rules.reverse();
        assert_eq!(render(&reversed_agents, &reversed_rules), text);

        let names: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("name = "))
            .collect();
        assert_eq!(names, ["\"Analyst\"", "\"Researcher\"", "\"writer\""]);
        let patterns: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("pattern = ") || l.starts_with("owner = "))
            .collect();
        assert_eq!(
            patterns,
            [
                "pattern = \"slack://billing\"",
                "owner = \"Other\"",
                "pattern = \"slack://billing\"",
                "owner = \"Triage\"",
                "pattern = \"slack://support\"",
                "owner = \"Triage\"",
                "pattern = \"crm://contacts/*#status\"",
                "owner = \"Researcher\"",
                "pattern = \"file:///drafts/**\"",
                "owner = \"Writer\"",
                "pattern = \"crm://contacts/**\"",
                "owner = \"Dana\"",
            ]
        );
        assert!(
            text.contains("readers = [\"Writer\", \"Analyst\"]\n"),
            "{text}"
        );
        assert!(
            text.ends_with(
                "owner = \"Dana\"\nsla_seconds = 3600\nnote = \"say \\\"hi\\\"\\\\\\nthen\\tgo\\u0007\"\n"
            ),
            "{text}"
        );
        // What is written reads back as the same values.
        let parsed: toml::Table = toml::from_str(&text).unwrap();
        let note = parsed["rules"].as_array().unwrap()[5]["note"].as_str();
        assert_eq!(note, Some("say \"hi\"\\\nthen\tgo\u{7}"));
    }

    #[test]
    fn an_empty_store_exports_only_the_header_and_declares_keep_their_lists() {
        assert_eq!(render(&[], &[]), HEADER);
        let mut a = agent("A");
        a.declares = Some(
            Declares {
                triggers: vec!["slack://a".into()],
                reads: vec![],
                writes: vec!["crm://x/*#y".into(), "crm://z".into()],
                outputs: vec![],
            }
            .to_manifest("A"),
        );
        let text = render(&[a], &[]);
        assert!(text.ends_with(
            "timeout_ms = 1500\nprotocol = \"baton\"\ndeclares = { triggers = [\"slack://a\"], reads = [], writes = [\"crm://x/*#y\", \"crm://z\"], outputs = [] }\n"
        ), "{text}");
        assert!(!text.contains("\ntoken"), "{text}");
    }
}
