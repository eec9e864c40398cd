//! What the detectors read (recent events, tasks, agents, rules) and what they found.
//!
//! One row per cause may be open: recording a finding whose `dedupe_key` is open updates that
//! row (agents and evidence united). A closed row for the same key blocks nothing new: when the
//! finding brings evidence the closed one did not have, the closed row's key is archived
//! (`key@<id>`) and a new finding opens; the same evidence seen again opens nothing. Findings
//! about lasting conditions carry their episode in the key (see `baton_core::detect`), so a
//! closed one stays closed while the episode lasts.

use baton_core::detect::{
    AgentStatus, EvidenceRef, Finding, FindingKind, ObservedEvent, ObservedTask, Severity,
};
use baton_core::protocol::{Event, Task};
use baton_core::rules::Rule;
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Row, Transaction, TransactionBehavior};
use serde::Serialize;

use crate::codec::{corrupt, parse_json_list, parse_opt_ts, parse_task_state, parse_ts, ts};
use crate::error::{Result, StoreError};
use crate::escalations::open_for_findings;
use crate::Store;

/// A finding as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredFinding {
    pub id: i64,
    pub kind: FindingKind,
    pub severity: Severity,
    pub agents: Vec<i64>,
    pub resource: Option<String>,
    pub summary: String,
    pub evidence: Vec<EvidenceRef>,
    pub opened_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub dedupe_key: String,
}

/// What [`Store::record_findings`] did, by finding id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RecordedFindings {
    pub opened: Vec<i64>,
    pub updated: Vec<i64>,
    /// The escalations opened for the new findings (one each).
    pub escalations: Vec<i64>,
    /// Open escalations whose title followed their finding's new summary (e.g. "combined use
    /// at 90 %" became "3 × 429 in the last 5 min; …").
    pub retitled: Vec<i64>,
}

impl RecordedFindings {
    pub fn is_empty(&self) -> bool {
        self.opened.is_empty() && self.updated.is_empty()
    }
}

/// Everything but the clock and the windows that `baton_core::detect::DetectInput` needs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DetectSnapshot {
    /// Events at or after the `since` given, oldest first.
    pub recent: Vec<ObservedEvent>,
    /// Events Baton received after the `received_after` given (whatever their `at`), oldest
    /// first: what the detectors have not looked at yet.
    pub new_events: Vec<ObservedEvent>,
    /// When Baton received the newest of them (the next `received_after`).
    pub received_up_to: Option<DateTime<Utc>>,
    pub tasks: Vec<ObservedTask>,
    pub agents: Vec<AgentStatus>,
    pub rules: Vec<Rule>,
    /// The JSON Schema of each handoff type.
    pub handoff_schemas: Vec<(String, serde_json::Value)>,
}

const COLS: &str = "id, kind, severity, agents, resource, summary, evidence, opened_at, \
     updated_at, closed_at, dedupe_key";

fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("ids and evidence always serialise")
}

pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|_| corrupt(what, text))
}

pub(crate) fn parse_kind(text: &str) -> Result<FindingKind> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|_| corrupt("finding kind", text))
}

pub(crate) fn parse_severity(text: &str) -> Result<Severity> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|_| corrupt("finding severity", text))
}

fn read_finding(row: &Row<'_>) -> Result<StoredFinding> {
    Ok(StoredFinding {
        id: row.get(0)?,
        kind: parse_kind(&row.get::<_, String>(1)?)?,
        severity: parse_severity(&row.get::<_, String>(2)?)?,
        agents: parse_json(&row.get::<_, String>(3)?, "finding agents")?,
        resource: row.get(4)?,
        summary: row.get(5)?,
        evidence: parse_json(&row.get::<_, String>(6)?, "finding evidence")?,
        opened_at: parse_ts(&row.get::<_, String>(7)?)?,
        updated_at: parse_ts(&row.get::<_, String>(8)?)?,
        closed_at: parse_opt_ts(row.get(9)?)?,
        dedupe_key: row.get(10)?,
    })
}

/// The open finding `f` carries on (the newest whose key starts with `prefix`), re-keyed as `f`;
/// its escalation takes `f`'s words and, when `f` names several agents, no longer one agent's.
fn carry_on(tx: &Transaction<'_>, prefix: &str, f: &Finding) -> Result<Option<StoredFinding>> {
    let earlier = tx
        .query_row(
            &format!(
                "SELECT {COLS} FROM findings
                 WHERE closed_at IS NULL AND substr(dedupe_key, 1, ?2) = ?1
                 ORDER BY id DESC LIMIT 1"
            ),
            params![prefix, prefix.chars().count() as i64],
            |row| Ok(read_finding(row)),
        )
        .optional()?
        .transpose()?;
    let Some(mut earlier) = earlier else {
        return Ok(None);
    };
    tx.execute(
        "UPDATE findings SET dedupe_key = ?2 WHERE id = ?1",
        params![earlier.id, f.dedupe_key],
    )?;
    // Its title follows with the update (`retitle_open_escalations`).
    let several = union(&earlier.agents, &f.agents).len() > 1;
    tx.execute(
        "UPDATE escalations SET
                agent_id = CASE WHEN ?2 THEN NULL ELSE agent_id END,
                task_id = CASE WHEN ?2 THEN NULL ELSE task_id END
         WHERE finding_id = ?1 AND state = 'open'",
        params![earlier.id, several],
    )?;
    earlier.dedupe_key = f.dedupe_key.clone();
    Ok(Some(earlier))
}

/// An open escalation says what its finding says now; a closed one keeps the words it was
/// decided on.
fn retitle_open_escalations(
    tx: &Transaction<'_>,
    finding_id: i64,
    title: &str,
) -> Result<Vec<i64>> {
    let mut stmt = tx.prepare(
        "UPDATE escalations SET title = ?2 WHERE finding_id = ?1 AND state = 'open' RETURNING id",
    )?;
    let ids = stmt
        .query_map(params![finding_id, title], |row| row.get(0))?
        .collect::<rusqlite::Result<Vec<i64>>>()?;
    Ok(ids)
}

fn union<T: Ord + Clone>(a: &[T], b: &[T]) -> Vec<T> {
    let mut all: Vec<T> = a.iter().chain(b).cloned().collect();
    all.sort_unstable();
    all.dedup();
    all
}

impl Store {
    /// Records what the detectors found, in one transaction (see the module docs).
    pub fn record_findings(
        &mut self,
        findings: &[Finding],
        now: DateTime<Utc>,
    ) -> Result<RecordedFindings> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut recorded = RecordedFindings::default();
        for f in findings {
            let existing = tx
                .query_row(
                    &format!("SELECT {COLS} FROM findings WHERE dedupe_key = ?1"),
                    [&f.dedupe_key],
                    |row| Ok(read_finding(row)),
                )
                .optional()?
                .transpose()?;
            let existing = match (existing, &f.continues) {
                (None, Some(prefix)) => carry_on(&tx, prefix, f)?,
                (existing, _) => existing,
            };
            match existing {
                Some(open) if open.closed_at.is_none() => {
                    let agents = union(&open.agents, &f.agents);
                    let evidence = union(&open.evidence, &f.evidence);
                    if agents == open.agents
                        && evidence == open.evidence
                        && open.summary == f.summary
                        && open.severity == f.severity
                    {
                        continue;
                    }
                    tx.execute(
                        "UPDATE findings SET severity = ?2, agents = ?3, summary = ?4,
                                evidence = ?5, updated_at = ?6 WHERE id = ?1",
                        params![
                            open.id,
                            f.severity.as_str(),
                            json(&agents),
                            f.summary,
                            json(&evidence),
                            ts(now)
                        ],
                    )?;
                    recorded.updated.push(open.id);
                    if open.summary != f.summary {
                        recorded
                            .retitled
                            .extend(retitle_open_escalations(&tx, open.id, &f.summary)?);
                    }
                    continue;
                }
                Some(closed) => {
                    if f.evidence.iter().all(|e| closed.evidence.contains(e)) {
                        continue;
                    }
                    tx.execute(
                        "UPDATE findings SET dedupe_key = dedupe_key || '@' || id WHERE id = ?1",
                        [closed.id],
                    )?;
                }
                None => {}
            }
            tx.execute(
                "INSERT INTO findings (kind, severity, agents, resource, summary, evidence,
                                       opened_at, updated_at, dedupe_key)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8)",
                params![
                    f.kind.as_str(),
                    f.severity.as_str(),
                    json(&f.agents),
                    f.resource,
                    f.summary,
                    json(&f.evidence),
                    ts(now),
                    f.dedupe_key
                ],
            )?;
            recorded.opened.push(tx.last_insert_rowid());
        }
        recorded.escalations = open_for_findings(&tx, &recorded.opened, now)?;
        tx.commit()?;
        Ok(recorded)
    }

    /// Open findings, newest first.
    pub fn open_findings(&self) -> Result<Vec<StoredFinding>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {COLS} FROM findings WHERE closed_at IS NULL ORDER BY opened_at DESC, id DESC"
        ))?;
        let mut rows = stmt.query([])?;
        let mut found = Vec::new();
        while let Some(row) = rows.next()? {
            found.push(read_finding(row)?);
        }
        Ok(found)
    }

    /// Closes a finding (its escalation was settled). Closing a closed one changes nothing.
    pub fn close_finding(&mut self, id: i64, now: DateTime<Utc>) -> Result<()> {
        let changed = self.conn.execute(
            "UPDATE findings SET closed_at = coalesce(closed_at, ?2), updated_at = ?2
             WHERE id = ?1",
            params![id, ts(now)],
        )?;
        if changed == 0 {
            return Err(StoreError::FindingNotFound(id));
        }
        Ok(())
    }

    /// What the detectors read: events since `since` (none when `since` is None: the caller
    /// keeps its own window), the events received after `received_after`, every task, every
    /// agent's health, every rule, every handoff schema.
    pub fn detect_snapshot(
        &self,
        since: Option<DateTime<Utc>>,
        received_after: DateTime<Utc>,
    ) -> Result<DetectSnapshot> {
        let mut new_events = Vec::new();
        let mut received_up_to = None;
        let mut stmt = self.conn.prepare_cached(
            "SELECT agent_id, seq, raw, received_at FROM events WHERE received_at > ?1
             ORDER BY received_at, agent_id, seq",
        )?;
        let mut rows = stmt.query([ts(received_after)])?;
        while let Some(row) = rows.next()? {
            received_up_to = Some(parse_ts(&row.get::<_, String>(3)?)?);
            if let Ok(event) = serde_json::from_str::<Event>(&row.get::<_, String>(2)?) {
                new_events.push(ObservedEvent {
                    agent_id: row.get(0)?,
                    event,
                });
            }
        }

        let mut recent = Vec::new();
        let mut stmt = self.conn.prepare_cached(
            "SELECT agent_id, seq, raw FROM events WHERE at >= ?1 ORDER BY at, agent_id, seq",
        )?;
        // Far in the future: no rows.
        let from = since.map_or_else(|| "9999".to_owned(), ts);
        let mut rows = stmt.query([from])?;
        while let Some(row) = rows.next()? {
            let raw: String = row.get(2)?;
            // An event stored by an older Baton that no longer parses is left out, not fatal.
            if let Ok(event) = serde_json::from_str::<Event>(&raw) {
                recent.push(ObservedEvent {
                    agent_id: row.get(0)?,
                    event,
                });
            }
        }

        let mut tasks = Vec::new();
        let mut stmt = self.conn.prepare_cached(
            "SELECT agent_id, task_id, title, state, state_since, created_at, remote_updated_at,
                    depends_on, trigger, reads, writes, output, next_stage, detail, updated_at
             FROM tasks",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            tasks.push(ObservedTask {
                agent_id: row.get(0)?,
                task: Task {
                    id: row.get(1)?,
                    title: row.get(2)?,
                    state: parse_task_state(&row.get::<_, String>(3)?)?,
                    state_since: Some(parse_ts(&row.get::<_, String>(4)?)?),
                    created_at: parse_opt_ts(row.get(5)?)?,
                    updated_at: parse_opt_ts(row.get(6)?)?,
                    depends_on: parse_json_list(&row.get::<_, String>(7)?)?,
                    trigger: row.get(8)?,
                    reads: parse_json_list(&row.get::<_, String>(9)?)?,
                    writes: parse_json_list(&row.get::<_, String>(10)?)?,
                    output: row.get(11)?,
                    next_stage: row.get(12)?,
                    detail: row.get(13)?,
                },
                updated_at: parse_ts(&row.get::<_, String>(14)?)?,
            });
        }

        let mut agents = Vec::new();
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, name, remote_id, consecutive_failures, last_error, last_success_at
             FROM agents ORDER BY id",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            agents.push(AgentStatus {
                id: row.get(0)?,
                name: row.get(1)?,
                remote_id: row.get(2)?,
                consecutive_failures: u32::try_from(row.get::<_, i64>(3)?).unwrap_or(u32::MAX),
                last_error: row.get(4)?,
                last_success: parse_opt_ts(row.get(5)?)?,
            });
        }

        let rules = self.rules()?.into_iter().map(|r| r.rule).collect();
        let handoff_schemas = self.handoff_schemas()?;
        Ok(DetectSnapshot {
            handoff_schemas,
            recent,
            new_events,
            received_up_to,
            tasks,
            agents,
            rules,
        })
    }
}
