//! What `baton watch` prints: one line per real change, with its time (RFC 3339, UTC) and the
//! agent's name, as text or (`--json`) as JSON Lines. An escalation prints when it opens, is
//! about to lapse, is decided, snoozed, expired or delivered; the updates of a grouped item
//! (its title, its count) only with `-v`, as what another watcher or a hook stored (that
//! watcher prints its own). Agents' words are escaped ([`plain`]).

use std::collections::HashMap;

use baton_core::agent::{AgentHealth, Reachability};
use baton_core::escalations::{DeliveryState, Escalation, EscalationState};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};

use super::text::plain;
use super::text::reachability_word;

/// One line of the log.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub at: DateTime<Utc>,
    /// What happened, for JSON readers: `agent_up`, `escalation_opened`, …
    pub kind: &'static str,
    pub agent: Option<(i64, String)>,
    pub escalation: Option<i64>,
    /// The rest of the line, for a person.
    pub message: String,
    /// For `ingested` on a shared store: the term of the lease the poll was stored under
    /// (JSON only).
    pub lease_epoch: Option<i64>,
}

impl Line {
    pub fn new(at: DateTime<Utc>, kind: &'static str, message: String) -> Line {
        Line {
            at,
            kind,
            agent: None,
            escalation: None,
            message,
            lease_epoch: None,
        }
    }

    /// `2026-11-23T18:40:01Z Researcher down: timed out after 1.5 s`.
    pub fn text(&self) -> String {
        let mut out = self.at.to_rfc3339_opts(SecondsFormat::Secs, true);
        if let Some((_, name)) = &self.agent {
            out.push(' ');
            out.push_str(name);
        }
        if let Some(id) = self.escalation {
            out.push_str(&format!(" escalation {id}"));
        }
        out.push(' ');
        out.push_str(&self.message);
        out
    }

    /// One JSON object (a line of JSON Lines).
    pub fn json(&self) -> Value {
        let mut line = json!({
            "at": self.at.to_rfc3339_opts(SecondsFormat::Millis, true),
            "kind": self.kind,
            "message": self.message,
        });
        if let Some((id, name)) = &self.agent {
            line["agent_id"] = json!(id);
            line["agent"] = json!(name);
        }
        if let Some(id) = self.escalation {
            line["escalation"] = json!(id);
        }
        if let Some(epoch) = self.lease_epoch {
            line["lease_epoch"] = json!(epoch);
        }
        line
    }
}

/// What was last printed about an escalation, to tell a real change from an update.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    state: EscalationState,
    snoozed_until: Option<DateTime<Utc>>,
    decision: Option<i64>,
    deliveries: Vec<(i64, DeliveryState)>,
    title: String,
    occurrences: u32,
}

impl Seen {
    fn of(e: &Escalation) -> Seen {
        Seen {
            state: e.state,
            snoozed_until: e.snoozed_until,
            decision: e.decision.as_ref().map(|d| d.seq),
            deliveries: e.deliveries.iter().map(|d| (d.agent_id, d.state)).collect(),
            title: e.title.clone(),
            occurrences: e.occurrences,
        }
    }
}

/// The log's memory: agents' names, their last reachability, what each escalation looked like.
#[derive(Debug, Default)]
pub struct WatchLog {
    names: HashMap<i64, String>,
    reachability: HashMap<i64, Reachability>,
    escalations: HashMap<i64, Seen>,
    sessions_waiting: u32,
    /// `-v`: updates of an escalation too.
    pub verbose: bool,
}

impl WatchLog {
    pub fn new(verbose: bool) -> WatchLog {
        WatchLog {
            verbose,
            ..WatchLog::default()
        }
    }

    /// Names the agents (again, after agents changed).
    pub fn set_names(&mut self, names: impl IntoIterator<Item = (i64, String)>) {
        self.names = names.into_iter().collect();
    }

    /// Whether `id` has a name yet.
    pub fn knows(&self, id: i64) -> bool {
        self.names.contains_key(&id)
    }

    fn agent(&self, id: i64) -> (i64, String) {
        let name = self
            .names
            .get(&id)
            .map_or_else(|| format!("agent#{id}"), |name| plain(name));
        (id, name)
    }

    fn for_agent(&self, mut line: Line, id: i64) -> Line {
        line.agent = Some(self.agent(id));
        line
    }

    /// An agent's health changed: a line only when it went up or down.
    pub fn health(&mut self, at: DateTime<Utc>, id: i64, health: &AgentHealth) -> Option<Line> {
        if self.reachability.insert(id, health.reachability) == Some(health.reachability) {
            return None;
        }
        let line = match health.reachability {
            Reachability::Down => Line::new(
                at,
                "agent_down",
                format!(
                    "down: {}",
                    plain(health.last_error.as_deref().unwrap_or("unknown error"))
                ),
            ),
            Reachability::Up => Line::new(at, "agent_up", "up".into()),
            other => Line::new(at, "agent_unknown", reachability_word(other).into()),
        };
        Some(self.for_agent(line, id))
    }

    /// A poll stored something new, under the lease term `lease_epoch` on a shared store.
    pub fn ingested(
        &self,
        at: DateTime<Utc>,
        id: i64,
        (tasks, events): (usize, u32),
        lease_epoch: Option<i64>,
    ) -> Line {
        let message = format!("{tasks} task(s) changed, {events} new event(s)");
        let mut line = self.for_agent(Line::new(at, "ingested", message), id);
        line.lease_epoch = lease_epoch;
        line
    }

    /// Another Baton process (another watcher, a hook) stored something of this agent: a line
    /// only with `-v`. The watcher polling the agent prints its own line; with 1,000 busy agents
    /// shared by two watchers, each one's log said so again for the other's every poll
    /// (650,000 lines in 12 minutes).
    pub fn stored_elsewhere(&self, at: DateTime<Utc>, id: i64, tasks: usize) -> Option<Line> {
        if !self.verbose {
            return None;
        }
        let message = format!("another Baton stored it: {tasks} task(s) changed");
        Some(self.for_agent(Line::new(at, "stored_elsewhere", message), id))
    }

    pub fn declarations(&self, at: DateTime<Utc>, id: i64) -> Line {
        let message = "its declaration changed; run `baton check` on an export".to_owned();
        self.for_agent(Line::new(at, "declaration_changed", message), id)
    }

    /// A finding opened: `critical needs_approval: …`, under its first agent's name.
    pub fn finding(
        &self,
        at: DateTime<Utc>,
        agents: &[i64],
        severity: &str,
        kind: &str,
        summary: &str,
    ) -> Line {
        let line = Line::new(
            at,
            "finding",
            format!("{severity} {kind}: {}", plain(summary)),
        );
        match agents.first() {
            Some(id) => self.for_agent(line, *id),
            None => line,
        }
    }

    /// The store stopped answering, or answers again.
    pub fn store(
        &self,
        at: DateTime<Utc>,
        unreachable_since: Option<DateTime<Utc>>,
        detail: Option<&str>,
    ) -> Line {
        match unreachable_since {
            Some(since) => Line::new(
                at,
                "store_unreachable",
                format!(
                    "store unreachable since {}: {}; polling waits for it (the agents keep what they have not delivered)",
                    since.format("%H:%M:%S UTC"),
                    detail.unwrap_or("no answer")
                ),
            ),
            None => Line::new(
                at,
                "store_back",
                "the store answers again; polling goes on".into(),
            ),
        }
    }

    pub fn lapsing(&self, at: DateTime<Utc>, id: i64) -> Line {
        let mut line = Line::new(
            at,
            "escalation_lapsing",
            "its SLA lapses within 15 min".into(),
        );
        line.escalation = Some(id);
        line
    }

    pub fn sessions_waiting(&mut self, at: DateTime<Utc>, waiting: u32) -> Option<Line> {
        if waiting == self.sessions_waiting {
            return None;
        }
        self.sessions_waiting = waiting;
        Some(Line::new(
            at,
            "sessions_waiting",
            format!("coding sessions: {waiting} waiting for a person"),
        ))
    }

    /// An escalation opened or changed: a line per real change since it was last printed.
    pub fn escalation(&mut self, at: DateTime<Utc>, e: &Escalation) -> Vec<Line> {
        let now = Seen::of(e);
        let before = self.escalations.insert(e.id, now.clone());
        let mut lines = Vec::new();
        let mut push = |kind: &'static str, message: String| {
            let mut line = Line::new(at, kind, message);
            line.escalation = Some(e.id);
            lines.push(line);
        };
        let Some(before) = before else {
            push("escalation_opened", format!("opened: {}", plain(&e.title)));
            return lines;
        };
        if now.decision != before.decision {
            if let Some(d) = &e.decision {
                let mut message = format!("{} by {}", d.action, plain(&d.who));
                if let Some(host) = &d.host {
                    message.push_str(&format!(" on {}", plain(host)));
                }
                if let Some(reason) = &d.reason {
                    message.push_str(&format!(": {}", plain(reason)));
                }
                push("escalation_decided", message);
            }
        }
        if now.state != before.state {
            push(
                match e.state {
                    EscalationState::Open => "escalation_reopened",
                    EscalationState::Resolved => "escalation_resolved",
                    EscalationState::Expired => "escalation_expired",
                },
                e.state.as_str().to_owned(),
            );
        }
        if now.snoozed_until != before.snoozed_until {
            if let Some(until) = e.snoozed_until {
                push(
                    "escalation_snoozed",
                    format!(
                        "snoozed until {}",
                        until.to_rfc3339_opts(SecondsFormat::Secs, true)
                    ),
                );
            }
        }
        for d in &e.deliveries {
            let was = before
                .deliveries
                .iter()
                .find(|(agent, _)| *agent == d.agent_id)
                .map(|(_, state)| *state);
            if was == Some(d.state) {
                continue;
            }
            let (_, name) = self.agent(d.agent_id);
            match d.state {
                DeliveryState::Delivered => {
                    push("decision_delivered", format!("delivered to {name}"))
                }
                DeliveryState::Declined => push(
                    "decision_declined",
                    match d.last_error.as_deref() {
                        Some(why) => format!("{name} declined it: {}", plain(why)),
                        None => format!("{name} declined it"),
                    },
                ),
                DeliveryState::Retrying if was != Some(DeliveryState::Retrying) => push(
                    "decision_not_delivered",
                    format!(
                        "not delivered to {name} yet: {}",
                        plain(d.last_error.as_deref().unwrap_or("no answer"))
                    ),
                ),
                _ => {}
            }
        }
        if self.verbose && (now.title != before.title || now.occurrences != before.occurrences) {
            push(
                "escalation_updated",
                format!("updated: {} (×{})", plain(&e.title), e.occurrences),
            );
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::test_support::write_collision;
    use baton_core::escalations::{Delivery, EscalationDecision};
    use chrono::TimeZone;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 18, 40, 1).unwrap()
    }

    fn item() -> Escalation {
        write_collision(12, at())
    }

    fn log(verbose: bool) -> WatchLog {
        let mut log = WatchLog::new(verbose);
        log.set_names([
            (1, "Writer".to_owned()),
            (2, "Re\u{1b}[2Jsearcher".to_owned()),
        ]);
        log
    }

    #[test]
    fn lines_carry_the_time_and_the_agents_name_escaped() {
        let mut log = log(false);
        let down = AgentHealth {
            reachability: Reachability::Down,
            last_error: Some("timed out after 1.5 s".into()),
            ..AgentHealth::default()
        };
        let line = log.health(at(), 2, &down).unwrap();
        assert_eq!(
            line.text(),
            "2026-11-23T18:40:01Z Re\\u{1b}[2Jsearcher down: timed out after 1.5 s"
        );
        assert!(log.health(at(), 2, &down).is_none(), "no change, no line");
        assert_eq!(
            line.json(),
            json!({"at": "2026-11-23T18:40:01.000Z", "kind": "agent_down", "agent_id": 2,
                   "agent": "Re\\u{1b}[2Jsearcher", "message": "down: timed out after 1.5 s"})
        );
        let up = AgentHealth {
            reachability: Reachability::Up,
            ..AgentHealth::default()
        };
        assert_eq!(log.health(at(), 2, &up).unwrap().kind, "agent_up");
        assert_eq!(
            log.ingested(at(), 1, (3, 5), Some(4)).text(),
            "2026-11-23T18:40:01Z Writer 3 task(s) changed, 5 new event(s)"
        );
        assert_eq!(
            log.ingested(at(), 1, (3, 5), Some(4)).json()["lease_epoch"],
            4
        );
        let alone = log.ingested(at(), 9, (0, 1), None);
        assert_eq!(alone.agent, Some((9, "agent#9".into())));
        assert!(alone.json().get("lease_epoch").is_none());
    }

    #[test]
    fn what_another_watcher_stored_prints_only_with_verbose() {
        let quiet = log(false);
        assert_eq!(quiet.stored_elsewhere(at(), 1, 3), None);
        let verbose = log(true);
        assert_eq!(
            verbose.stored_elsewhere(at(), 1, 3).unwrap().text(),
            "2026-11-23T18:40:01Z Writer another Baton stored it: 3 task(s) changed"
        );
    }

    #[test]
    fn an_escalation_prints_when_it_opens_and_changes_not_when_its_title_updates() {
        let mut log = log(false);
        let mut e = item();
        let opened = log.escalation(at(), &e);
        assert_eq!(
            opened.iter().map(Line::text).collect::<Vec<_>>(),
            ["2026-11-23T18:40:01Z escalation 12 opened: Two writers on crm://contacts/42"]
        );
        // A grouped item's title and count move on every poll: no line (107 lines in 107 s).
        for n in 2..50 {
            e.title = format!("Two writers on {n} contacts");
            e.occurrences = n;
            assert!(log.escalation(at(), &e).is_empty());
        }
        let mut verbose = self::log(true);
        verbose.escalation(at(), &e);
        e.occurrences += 1;
        assert_eq!(verbose.escalation(at(), &e)[0].kind, "escalation_updated");
        // Decided, resolved and delivered: one line each.
        e.state = EscalationState::Resolved;
        e.decision = Some(EscalationDecision {
            seq: 4,
            action: "dismiss".into(),
            who: "ana".into(),
            host: Some("laptop-a".into()),
            reason: Some("test data".into()),
            at: at(),
        });
        e.deliveries = vec![Delivery {
            agent_id: 1,
            state: DeliveryState::Retrying,
            attempts: 1,
            last_error: Some("connection refused".into()),
            next_attempt_at: at(),
            delivered_at: None,
        }];
        let lines: Vec<String> = log.escalation(at(), &e).iter().map(Line::text).collect();
        assert_eq!(
            lines,
            [
                "2026-11-23T18:40:01Z escalation 12 dismiss by ana on laptop-a: test data",
                "2026-11-23T18:40:01Z escalation 12 resolved",
                "2026-11-23T18:40:01Z escalation 12 not delivered to Writer yet: connection refused",
            ]
        );
        // Retried again: nothing new to say; delivered: said once.
        e.deliveries[0].attempts = 2;
        assert!(log.escalation(at(), &e).is_empty());
        e.deliveries[0].state = DeliveryState::Delivered;
        let lines: Vec<String> = log.escalation(at(), &e).iter().map(Line::text).collect();
        assert_eq!(
            lines,
            ["2026-11-23T18:40:01Z escalation 12 delivered to Writer"]
        );
    }

    #[test]
    fn sessions_waiting_print_only_when_the_count_moves() {
        let mut log = log(false);
        assert!(log.sessions_waiting(at(), 0).is_none());
        assert_eq!(
            log.sessions_waiting(at(), 2).unwrap().kind,
            "sessions_waiting"
        );
        assert!(log.sessions_waiting(at(), 2).is_none());
    }
}
