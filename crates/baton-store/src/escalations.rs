//! The escalation queue: one escalation per finding, opened in the transaction that records the
//! finding, with its SLA from the matching `exception` rule (default 24 h). An escalation is
//! open until a human decides (see `decide.rs`) or its SLA lapses: then it is **expired**, and
//! the expiry is logged (`expire`, by `baton`). Reads give the queue, one escalation, and the
//! involved agents' events around it on one time axis.

use crate::changes::{self, ChangeKind};
use crate::db::{params, Db, Row};
use baton_core::detect::{EvidenceRef, FindingKind};
use baton_core::escalations::{
    Delivery, DeliveryState, Escalation, EscalationDecision, EscalationState, EscalationTimeline,
    Knot, TimelineEvent,
};
use baton_core::protocol::Event;
use baton_core::views::summarize_event;
use chrono::{DateTime, Duration, Utc};

use crate::codec::{corrupt, from_sql_int, parse_opt_ts, parse_ts, ts};
use crate::codec::{parse_json, parse_kind, parse_severity};
use crate::decisions::{append_decision_in, NewDecision};
use crate::error::{Result, StoreError};
use crate::evidence::evidence_events;
use crate::sessions::edits::branches_in;
use crate::Store;

/// Who the log names for what Baton decides itself (an expiry).
pub const BATON: &str = "baton";

/// How far the time axis reaches before the first and after the last evidence event.
pub const TIMELINE_MARGIN: Duration = Duration::minutes(2);
/// Most events on one time axis (the evidence always included).
pub const TIMELINE_LIMIT: usize = 200;

const COLS: &str = "e.id, e.finding_id, f.kind, f.severity, f.agents, f.resource, e.title, \
     e.agent_id, e.task_id, e.state, e.opened_at, e.due_at, e.assignee, e.snoozed_until, \
     e.resolved_at, d.seq, d.action, d.who, d.reason, d.at, e.occurrences, e.since_decision, \
     e.scope, e.resources, e.resource_count, e.last_seen_at, f.dedupe_key, d.host";

const FROM: &str = "escalations e JOIN findings f ON f.id = e.finding_id \
     LEFT JOIN decisions d ON d.seq = e.decision_id";

/// Which escalations [`Store::escalations`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EscalationFilter {
    /// Every open one (snoozed included) …
    pub open: bool,
    /// … and at most this many closed ones (resolved or expired), the latest closed first.
    pub closed: usize,
}

impl Default for EscalationFilter {
    fn default() -> Self {
        EscalationFilter {
            open: true,
            closed: 100,
        }
    }
}

fn read_escalation(row: &Row<'_>) -> Result<Escalation> {
    let state_text: String = row.get(9)?;
    let decision = match row.get::<Option<i64>>(15)? {
        Some(seq) => Some(EscalationDecision {
            seq,
            action: row.get(16)?,
            who: row.get(17)?,
            host: row.get(27)?,
            reason: row.get(18)?,
            at: parse_ts(&row.get::<String>(19)?)?,
        }),
        None => None,
    };
    let kind = parse_kind(&row.get::<String>(2)?)?;
    let knot = match kind {
        FindingKind::Deadlock => Knot::of_key(&row.get::<String>(26)?),
        _ => None,
    };
    Ok(Escalation {
        id: row.get(0)?,
        finding_id: row.get(1)?,
        kind,
        severity: parse_severity(&row.get::<String>(3)?)?,
        agents: parse_json(&row.get::<String>(4)?, "escalation agents")?,
        resource: row.get(5)?,
        title: row.get(6)?,
        agent_id: row.get(7)?,
        task_id: row.get(8)?,
        state: EscalationState::parse(&state_text)
            .ok_or_else(|| corrupt("escalation state", &state_text))?,
        opened_at: parse_ts(&row.get::<String>(10)?)?,
        due_at: parse_ts(&row.get::<String>(11)?)?,
        assignee: row.get(12)?,
        snoozed_until: parse_opt_ts(row.get(13)?)?,
        closed_at: parse_opt_ts(row.get(14)?)?,
        occurrences: u32::try_from(row.get::<i64>(20)?).unwrap_or(u32::MAX),
        since_decision: u32::try_from(row.get::<i64>(21)?).unwrap_or(u32::MAX),
        scope: row.get(22)?,
        resources: parse_json(&row.get::<String>(23)?, "escalation resources")?,
        resource_count: u32::try_from(row.get::<i64>(24)?).unwrap_or(u32::MAX),
        last_seen_at: match row.get::<Option<String>>(25)? {
            Some(at) => parse_ts(&at)?,
            None => parse_ts(&row.get::<String>(10)?)?,
        },
        decision,
        deliveries: Vec::new(),
        knot,
        // Read after the row ([`details_in`]).
        parallel: None,
    })
}

/// What an escalation read from its row does not carry yet: its decision's deliveries, and a
/// parallel edit's branches and files.
fn details_in(conn: &Db, escalation: &mut Escalation) -> Result<()> {
    if let Some(decision) = &escalation.decision {
        escalation.deliveries = deliveries_in(conn, decision.seq)?;
    }
    if let (FindingKind::ParallelEdit, Some(finding)) = (escalation.kind, escalation.finding_id) {
        escalation.parallel = branches_in(conn, finding)?;
    }
    Ok(())
}

fn deliveries_in(conn: &Db, decision_seq: i64) -> Result<Vec<Delivery>> {
    let stmt_sql = "SELECT agent_id, attempts, last_error, next_attempt_at, delivered_at, accepted
         FROM outbox WHERE decision_id = ?1 ORDER BY agent_id";
    let mut deliveries = Vec::new();
    conn.query_each(stmt_sql, params![decision_seq], |row| {
        let attempts: i64 = row.get(1)?;
        let delivered_at = parse_opt_ts(row.get(4)?)?;
        let accepted: Option<i64> = row.get(5)?;
        let state = match (delivered_at, accepted, attempts) {
            (Some(_), Some(0), _) => DeliveryState::Declined,
            (Some(_), _, _) => DeliveryState::Delivered,
            (None, _, 0) => DeliveryState::Pending,
            (None, _, _) => DeliveryState::Retrying,
        };
        deliveries.push(Delivery {
            agent_id: row.get(0)?,
            state,
            attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
            last_error: row.get(2)?,
            next_attempt_at: parse_ts(&row.get::<String>(3)?)?,
            delivered_at,
        });
        Ok(())
    })?;
    Ok(deliveries)
}

pub(crate) fn escalation_in(conn: &Db, id: i64) -> Result<Escalation> {
    let found = conn
        .query_opt(
            &format!("SELECT {COLS} FROM {FROM} WHERE e.id = ?1"),
            params![id],
            |row| Ok(read_escalation(row)),
        )?
        .transpose()?;
    let mut escalation = found.ok_or(StoreError::EscalationNotFound(id))?;
    details_in(conn, &mut escalation)?;
    Ok(escalation)
}

/// Marks `id` expired at `now` and logs it, inside the caller's transaction.
pub(crate) fn expire_in(tx: &Db, escalation: &Escalation, now: DateTime<Utc>) -> Result<()> {
    let why = format!(
        "no decision before its SLA lapsed at {}",
        escalation.due_at.format("%Y-%m-%d %H:%M UTC")
    );
    expire_with(tx, escalation.id, &why, now)
}

/// Marks escalation `id` expired at `now`, logged by Baton with `why`, inside the caller's
/// transaction.
pub(crate) fn expire_with(tx: &Db, id: i64, why: &str, now: DateTime<Utc>) -> Result<()> {
    let entry = append_decision_in(
        tx,
        NewDecision::new(BATON, "expire", &format!("escalation:{id}"))
            .at(now)
            .escalation(id)
            .reason(why),
    )?;
    tx.execute(
        "UPDATE escalations SET state = 'expired', resolved_at = ?2, decision_id = ?3
         WHERE id = ?1",
        params![id, ts(now), entry.seq],
    )?;
    changes::record(tx, ChangeKind::EscalationChanged, id, "")?;
    Ok(())
}

/// Opens escalation `id` again: the decision that resolved it reached agent `agent_id` but
/// was not taken (`why`, an A2A server that started a new task instead of continuing the one
/// that waits). The person's decision stays on it; its findings open again; an SLA that has
/// passed meanwhile starts over. The agent's word goes to the decision log. Only a resolved
/// escalation opens again.
/// The agent's name in Baton (`agent 7` when it is gone): who an agent's entries in the
/// decision log are by.
pub(crate) fn agent_name_in(tx: &Db, agent_id: i64) -> Result<String> {
    Ok(tx
        .query_opt(
            "SELECT name FROM agents WHERE id = ?1",
            params![agent_id],
            |row| row.get(0),
        )?
        .unwrap_or_else(|| format!("agent {agent_id}")))
}

pub(crate) fn reopen_in(
    tx: &Db,
    id: i64,
    agent_id: i64,
    why: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let escalation = escalation_in(tx, id)?;
    if escalation.state != EscalationState::Resolved {
        return Ok(());
    }
    let agent_name = agent_name_in(tx, agent_id)?;
    append_decision_in(
        tx,
        NewDecision::new(&agent_name, "reopen", &format!("escalation:{id}"))
            .at(now)
            .escalation(id)
            .reason(why),
    )?;
    let sla = (escalation.due_at - escalation.opened_at).max(Duration::minutes(1));
    let due_at = escalation.due_at.max(now + sla);
    tx.execute(
        "UPDATE escalations SET state = 'open', resolved_at = NULL, due_at = ?2 WHERE id = ?1",
        params![id, ts(due_at)],
    )?;
    changes::record(tx, ChangeKind::EscalationChanged, id, "")?;
    tx.execute(
        "UPDATE findings SET closed_at = NULL WHERE id = ?1 OR escalation_id = ?2",
        params![escalation.finding_id, id],
    )?;
    Ok(())
}

impl Store {
    /// The queue: open escalations by due time (soonest first), then the latest closed ones.
    pub fn escalations(&self, filter: EscalationFilter) -> Result<Vec<Escalation>> {
        let mut found = Vec::new();
        if filter.open {
            let stmt_sql = &format!(
                "SELECT {COLS} FROM {FROM} WHERE e.state = 'open' ORDER BY e.due_at, e.id"
            );
            self.db.query_each(stmt_sql, params![], |row| {
                found.push(read_escalation(row)?);
                Ok(())
            })?;
        }
        if filter.closed > 0 {
            let stmt_sql = &format!(
                "SELECT {COLS} FROM {FROM} WHERE e.state != 'open'
                 ORDER BY e.resolved_at DESC, e.id DESC LIMIT ?1"
            );
            self.db.query_each(
                stmt_sql,
                params![i64::try_from(filter.closed).unwrap_or(i64::MAX)],
                |row| {
                    found.push(read_escalation(row)?);
                    Ok(())
                },
            )?;
        }
        for escalation in &mut found {
            details_in(&self.db, escalation)?;
        }
        Ok(found)
    }

    pub fn escalation(&self, id: i64) -> Result<Escalation> {
        escalation_in(&self.db, id)
    }

    /// How many escalations are open (snoozed ones included).
    pub fn open_escalation_count(&self) -> Result<u64> {
        let n: i64 = self.db.query_row(
            "SELECT count(*) FROM escalations WHERE state = 'open'",
            params![],
            |row| row.get(0),
        )?;
        from_sql_int(n, "count")
    }

    /// Open escalations whose SLA lapses before `until`, with when, soonest first. One read
    /// answers both of a detector run's questions: whether one has lapsed (to expire) and which
    /// lapse soon (to warn of), so a run with neither takes no write lock.
    pub fn escalations_due_before(
        &self,
        until: DateTime<Utc>,
    ) -> Result<Vec<(i64, DateTime<Utc>)>> {
        let rows = self.db.query_map(
            "SELECT id, due_at FROM escalations WHERE state = 'open' AND due_at < ?1
             ORDER BY due_at, id",
            params![ts(until)],
            |row| Ok((row.get::<i64>(0)?, row.get::<String>(1)?)),
        )?;
        rows.into_iter()
            .map(|(id, due)| Ok((id, parse_ts(&due)?)))
            .collect()
    }

    /// Expires every open escalation whose SLA has lapsed at `now`, each logged; returns their
    /// ids. One transaction.
    pub fn expire_escalations(&mut self, now: DateTime<Utc>) -> Result<Vec<i64>> {
        let tx = self.write_tx()?;
        let ids: Vec<i64> = {
            let stmt_sql =
                "SELECT id FROM escalations WHERE state = 'open' AND due_at <= ?1 ORDER BY id";
            let rows = tx.query_map(stmt_sql, params![ts(now)], |row| row.get(0))?;
            rows.into_iter().collect()
        };
        for &id in &ids {
            let escalation = escalation_in(&tx, id)?;
            expire_in(&tx, &escalation, now)?;
        }
        tx.commit()?;
        Ok(ids)
    }

    /// The involved agents' events around the escalation's evidence, on one time axis: from
    /// [`TIMELINE_MARGIN`] before the first evidence event to as long after the last, at most
    /// [`TIMELINE_LIMIT`] events (the evidence always kept), oldest first.
    pub fn escalation_timeline(&self, id: i64) -> Result<EscalationTimeline> {
        let escalation = escalation_in(&self.db, id)?;
        let evidence = crate::groups::item_evidence(&self.db, id)?;
        let named = evidence_events(&self.db, &evidence)?;
        let mut events: Vec<TimelineEvent> = Vec::new();
        if let (Some(first), Some(last)) = (named.first(), named.last()) {
            let (from, to) = (first.1.at - TIMELINE_MARGIN, last.1.at + TIMELINE_MARGIN);
            let stmt_sql =
                "SELECT raw FROM events_as_sent WHERE agent_id = ?1 AND at >= ?2 AND at <= ?3
                 ORDER BY at LIMIT ?4";
            for &agent_id in &escalation.agents {
                let limit = i64::try_from(TIMELINE_LIMIT).unwrap_or(i64::MAX);
                self.db.query_each(
                    stmt_sql,
                    params![agent_id, ts(from), ts(to), limit],
                    |row| {
                        let raw: String = row.get(0)?;
                        if let Ok(event) = serde_json::from_str::<Event>(&raw) {
                            events.push(timeline_event(agent_id, &event, &evidence));
                        }
                        Ok(())
                    },
                )?;
            }
            for (agent_id, event) in &named {
                let listed = events
                    .iter()
                    .any(|t| t.agent_id == *agent_id && t.seq == event.seq);
                if !listed {
                    events.push(timeline_event(*agent_id, event, &evidence));
                }
            }
        }
        events.sort_by_key(|e| (e.at, e.agent_id, e.seq));
        while events.len() > TIMELINE_LIMIT {
            // Drop context furthest from the evidence first: the oldest non-evidence event.
            match events.iter().position(|e| !e.evidence) {
                Some(i) => {
                    events.remove(i);
                }
                None => break,
            }
        }
        Ok(EscalationTimeline {
            escalation_id: id,
            agents: escalation.agents,
            events,
        })
    }
}

fn timeline_event(agent_id: i64, event: &Event, evidence: &[EvidenceRef]) -> TimelineEvent {
    TimelineEvent {
        agent_id,
        seq: event.seq,
        at: event.at,
        kind: event.kind.as_str().to_owned(),
        task_id: event.task_id.clone(),
        resource: event.resource.clone(),
        text: summarize_event(event),
        evidence: evidence.contains(&EvidenceRef {
            agent_id,
            seq: event.seq,
        }),
    }
}
