//! `baton escalations` and `baton escalation show`: the escalation queue from the terminal, as
//! a table or JSON.

use std::collections::HashMap;

use baton_core::agent::AgentConfig;
use baton_core::escalations::{DeliveryState, Escalation, EscalationState, EscalationTimeline};
use baton_store::escalations::EscalationFilter;
use chrono::{DateTime, Utc};

use super::error::CliError;
use super::text::{clip, plain, span};
use baton_store::StorePlace;

/// `baton escalations [--all] [--json]`.
pub fn escalations(place: &StorePlace, all: bool, json: bool) -> Result<(), CliError> {
    let store = place.open()?;
    let filter = EscalationFilter {
        open: true,
        closed: if all { 100 } else { 0 },
    };
    let found = store.escalations(filter)?;
    if json {
        println!("{}", to_json(&found)?);
    } else {
        let names = agent_names(&store.agents()?);
        if found.is_empty() && all {
            println!("No escalations.");
        } else {
            print!("{}", render_queue(&found, &names, Utc::now()));
        }
    }
    Ok(())
}

/// `baton escalation show ID [--json]`.
pub fn escalation_show(place: &StorePlace, id: i64, json: bool) -> Result<(), CliError> {
    let store = place.open()?;
    let escalation = store.escalation(id)?;
    let timeline = store.escalation_timeline(id)?;
    if json {
        let both = serde_json::json!({ "escalation": escalation, "evidence": timeline });
        println!("{}", to_json(&both)?);
    } else {
        let names = agent_names(&store.agents()?);
        print!(
            "{}",
            render_escalation(&escalation, &timeline, &names, Utc::now())
        );
    }
    Ok(())
}

fn to_json(value: &impl serde::Serialize) -> Result<String, CliError> {
    serde_json::to_string_pretty(value).map_err(|e| CliError::Io(e.into()))
}

/// Agents' names by id, for the tables.
pub(crate) fn agent_names(agents: &[AgentConfig]) -> HashMap<i64, String> {
    agents.iter().map(|a| (a.id, a.name.clone())).collect()
}

fn name_of(names: &HashMap<i64, String>, id: i64) -> String {
    names
        .get(&id)
        .map_or_else(|| format!("agent {id} (removed)"), |name| plain(name))
}

/// "in 14m", "3h ago".
fn relative(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    if at >= now {
        format!("in {}", span(at - now))
    } else {
        format!("{} ago", span(now - at))
    }
}

/// The state column: open, snoozed, resolved, expired.
fn state_word(e: &Escalation, now: DateTime<Utc>) -> &'static str {
    match e.state {
        EscalationState::Open if !e.is_awake(now) => "snoozed",
        state => state.as_str(),
    }
}

/// The table `baton escalations` prints.
pub fn render_queue(
    found: &[Escalation],
    names: &HashMap<i64, String>,
    now: DateTime<Utc>,
) -> String {
    if found.is_empty() {
        return "No open escalations.\n".into();
    }
    let mut out = format!(
        "{:>5}  {:<8} {:<8} {:<14} {:<24} {}\n",
        "ID", "STATE", "SEVERITY", "DUE / CLOSED", "AGENTS", "TITLE"
    );
    for e in found {
        let when = match (e.state, e.closed_at) {
            (EscalationState::Open, _) if e.due_at <= now => "lapsed".to_owned(),
            (EscalationState::Open, _) => relative(e.due_at, now),
            (_, Some(closed)) => relative(closed, now),
            (_, None) => "-".to_owned(),
        };
        let agents = e
            .agents
            .iter()
            .map(|id| name_of(names, *id))
            .collect::<Vec<_>>()
            .join(", ");
        let mut title = plain(&e.title);
        if e.occurrences > 1 {
            title.push_str(&format!(" (×{})", e.occurrences));
        }
        out.push_str(&format!(
            "{:>5}  {:<8} {:<8} {:<14} {:<24} {}\n",
            e.id,
            state_word(e, now),
            e.severity.as_str(),
            when,
            clip(&agents, 24),
            title
        ));
    }
    out
}

/// What `baton escalation show` prints: the item, its evidence, its decision and delivery.
pub fn render_escalation(
    e: &Escalation,
    timeline: &EscalationTimeline,
    names: &HashMap<i64, String>,
    now: DateTime<Utc>,
) -> String {
    let mut out = format!(
        "Escalation {} · {} · {} · {}\n  {}\n",
        e.id,
        state_word(e, now),
        e.severity.as_str(),
        e.kind.as_str(),
        plain(&e.title)
    );
    let agents: Vec<String> = e
        .agents
        .iter()
        .map(|id| format!("{} (#{id})", name_of(names, *id)))
        .collect();
    out.push_str(&format!("  agents: {}\n", agents.join(", ")));
    if let (Some(agent), Some(task)) = (e.agent_id, &e.task_id) {
        out.push_str(&format!(
            "  task: {} of {}\n",
            plain(task),
            name_of(names, agent)
        ));
    }
    if let Some(resource) = &e.resource {
        out.push_str(&format!("  resource: {}\n", plain(resource)));
    }
    if e.resource_count > 1 {
        let shown: Vec<String> = e.resources.iter().map(|r| plain(r)).collect();
        out.push_str(&format!(
            "  resources ({}): {}\n",
            e.resource_count,
            shown.join(", ")
        ));
    }
    out.push_str(&format!(
        "  opened {} ({}); due {} ({})",
        e.opened_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        relative(e.opened_at, now),
        e.due_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        relative(e.due_at, now)
    ));
    if e.occurrences > 1 {
        out.push_str(&format!("; {} occurrences", e.occurrences));
    }
    out.push('\n');
    if let Some(until) = e.snoozed_until.filter(|until| *until > now) {
        out.push_str(&format!("  snoozed until {}\n", relative(until, now)));
    }
    if let Some(assignee) = &e.assignee {
        out.push_str(&format!("  assignee: {}\n", plain(assignee)));
    }
    if e.since_decision > 0 {
        out.push_str(&format!(
            "  {} more finding(s) of the same cause since the decision\n",
            e.since_decision
        ));
    }
    out.push_str("\nEvidence (oldest first; * the finding's own):\n");
    if timeline.events.is_empty() {
        out.push_str("  (no events stored)\n");
    }
    for event in &timeline.events {
        out.push_str(&format!(
            "{} {}  {:<20} {}\n",
            if event.evidence { "*" } else { " " },
            event
                .at
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            clip(&name_of(names, event.agent_id), 20),
            plain(&event.text)
        ));
    }
    match &e.decision {
        Some(d) => {
            out.push_str(&format!(
                "\nDecision: {} by {}, {}",
                d.action,
                plain(&d.who),
                d.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ));
            if let Some(reason) = &d.reason {
                out.push_str(&format!(": {}", plain(reason)));
            }
            out.push('\n');
        }
        None if e.state == EscalationState::Open => {
            out.push_str(&format!(
                "\nDecide with `baton decide {} <action>` (`baton decide --help` lists them).\n",
                e.id
            ));
        }
        None => {}
    }
    out.push_str(&render_deliveries(e, names));
    out
}

/// One line per agent the decision goes to.
pub fn render_deliveries(e: &Escalation, names: &HashMap<i64, String>) -> String {
    let mut out = String::new();
    for d in &e.deliveries {
        let who = name_of(names, d.agent_id);
        let line = match d.state {
            DeliveryState::Delivered => format!("delivered to {who}"),
            DeliveryState::Declined => match d.last_error.as_deref() {
                Some(why) => format!("{who} declined it: {}", plain(why)),
                None => format!("{who} declined it"),
            },
            DeliveryState::Pending => format!("not sent to {who} yet"),
            DeliveryState::Retrying => format!(
                "not delivered to {who} after {} attempt(s): {}; tried again {}",
                d.attempts,
                plain(d.last_error.as_deref().unwrap_or("no answer")),
                d.next_attempt_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ),
        };
        out.push_str(&format!("  {line}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::test_support::write_collision;
    use baton_core::escalations::TimelineEvent;
    use chrono::TimeZone;

    fn item(now: DateTime<Utc>) -> Escalation {
        Escalation {
            resource: Some("crm://contacts/42".into()),
            title: "Two writers on crm://contacts/42\u{1b}]0;owned\u{7}".into(),
            due_at: now + chrono::Duration::minutes(10),
            occurrences: 3,
            last_seen_at: now,
            ..write_collision(7, now - chrono::Duration::minutes(5))
        }
    }

    fn names() -> HashMap<i64, String> {
        HashMap::from([(1, "Writer".to_owned()), (2, "Researcher".to_owned())])
    }

    #[test]
    fn the_queue_names_agents_says_when_it_lapses_and_escapes_what_agents_wrote() {
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap();
        let table = render_queue(&[item(now)], &names(), now);
        assert!(table.contains("Writer, Researcher"), "{table}");
        assert!(table.contains("in 10m"), "{table}");
        assert!(table.contains("(×3)"), "{table}");
        assert!(
            !table.contains('\u{1b}') && !table.contains('\u{7}'),
            "{table:?}"
        );
        assert!(table.contains("\\u{1b}]0;owned\\u{7}"), "{table}");
        assert_eq!(render_queue(&[], &names(), now), "No open escalations.\n");
        let mut snoozed = item(now);
        snoozed.snoozed_until = Some(now + chrono::Duration::minutes(30));
        assert!(render_queue(&[snoozed], &names(), now).contains("snoozed"));
    }

    #[test]
    fn one_escalation_shows_its_evidence_and_how_to_decide() {
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap();
        let timeline = EscalationTimeline {
            escalation_id: 7,
            agents: vec![1, 2],
            events: vec![TimelineEvent {
                agent_id: 2,
                seq: 9,
                at: now - chrono::Duration::minutes(6),
                kind: "write".into(),
                task_id: None,
                resource: Some("crm://contacts/42".into()),
                text: "write crm://contacts/42".into(),
                evidence: true,
            }],
        };
        let text = render_escalation(&item(now), &timeline, &names(), now);
        assert!(
            text.starts_with("Escalation 7 · open · warning · write_collision"),
            "{text}"
        );
        assert!(
            text.contains("agents: Writer (#1), Researcher (#2)"),
            "{text}"
        );
        assert!(
            text.contains("* 2026-11-23T11:54:00.000Z  Researcher"),
            "{text}"
        );
        assert!(text.contains("baton decide 7 <action>"), "{text}");
        assert!(!text.contains('\u{1b}'));
    }
}
