//! Findings into queue items: each new finding joins the escalation of its group (same kind,
//! same agents, resources under one scope: `baton_core::escalations::group`) when that item took
//! a finding within the last `GROUP_WINDOW` and has not expired, or opens one. An open item
//! grows (count, resources, title); a decided one counts the finding as `since_decision` and the
//! finding is closed at once, settled by the decision already taken: the cause keeps firing,
//! the queue does not fill. A finding that is never grouped (an agent's own question, pressure
//! on one API) opens an item of its own, as does the first of a group — unless
//! `MAX_OPEN_PER_SCOPE` items of its kind under its scope are open already (other pairs of
//! agents): then it joins the newest of them, whose agents grow.
//!
//! The SLA of a new item comes from the `exception` rule matching its resource (default 24 h).

use crate::changes::{self, ChangeKind};
use crate::db::{params, Db};
use baton_core::detect::{cap_evidence, EvidenceRef, FindingKind, Severity};
use baton_core::escalations::{
    group_of, group_title, sla_for, Group, GROUP_WINDOW, MAX_GROUP_RESOURCES, MAX_OPEN_PER_SCOPE,
};
use baton_core::rules::CompiledRules;
use chrono::{DateTime, Utc};

use crate::codec::{json, parse_json, parse_kind, parse_severity, ts};
use crate::error::Result;
use crate::escalations::{evidence_events, task_of};
use crate::rules::rules_in;

/// What filing new findings did to the queue, by escalation id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Filed {
    /// Items opened.
    pub opened: Vec<i64>,
    /// Open items that took a finding (their count and title changed).
    pub grown: Vec<i64>,
    /// Decided items whose cause fired again (updated, not reopened).
    pub recurred: Vec<i64>,
}

struct NewFinding {
    kind: FindingKind,
    severity: Severity,
    agents: Vec<i64>,
    resource: Option<String>,
    summary: String,
    evidence: Vec<EvidenceRef>,
}

fn read_new(tx: &Db, finding_id: i64) -> Result<NewFinding> {
    let (kind, severity, agents, resource, summary, evidence): (
        String,
        String,
        String,
        Option<String>,
        String,
        String,
    ) = tx.query_row(
        "SELECT kind, severity, agents, resource, summary, evidence FROM findings WHERE id = ?1",
        params![finding_id],
        |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
                row.get(5)?,
            ))
        },
    )?;
    Ok(NewFinding {
        kind: parse_kind(&kind)?,
        severity: parse_severity(&severity)?,
        agents: parse_json(&agents, "finding agents")?,
        resource,
        summary,
        evidence: parse_json(&evidence, "finding evidence")?,
    })
}

/// Files each of `finding_ids` (just recorded, inside the caller's transaction).
pub(crate) fn file_findings(tx: &Db, finding_ids: &[i64], now: DateTime<Utc>) -> Result<Filed> {
    let mut filed = Filed::default();
    if finding_ids.is_empty() {
        return Ok(filed);
    }
    let rules: Vec<_> = rules_in(tx)?.into_iter().map(|r| r.rule).collect();
    let compiled = CompiledRules::new(rules.clone());
    for &finding_id in finding_ids {
        let f = read_new(tx, finding_id)?;
        let group = group_of(f.kind, &f.agents, f.resource.as_deref(), &compiled);
        if let Some(group) = &group {
            let item = match taking(tx, &group.key, now)? {
                Some(item) => Some(item),
                None => crowded(tx, f.kind, group.scope.as_deref(), now)?.map(|item| (item, true)),
            };
            if let Some((item, open)) = item {
                // The finding joins the item (closed with it when the item is decided).
                tx.execute(
                    "UPDATE findings SET escalation_id = ?2,
                            closed_at = CASE WHEN ?3 = 1 THEN closed_at ELSE ?4 END
                      WHERE id = ?1",
                    params![finding_id, item, open, ts(now)],
                )?;
                count_in(tx, item, open, finding_id, &f, now)?;
                if open {
                    push_once(&mut filed.grown, item);
                } else {
                    push_once(&mut filed.recurred, item);
                }
                continue;
            }
        }
        filed
            .opened
            .push(open_item(tx, finding_id, &f, group.as_ref(), &rules, now)?);
    }
    // An item opened and grown in the same run is simply opened.
    filed.grown.retain(|id| !filed.opened.contains(id));
    Ok(filed)
}

fn push_once(ids: &mut Vec<i64>, id: i64) {
    if !ids.contains(&id) {
        ids.push(id);
    }
}

/// The item of group `key` that still takes findings: the newest one that took a finding within
/// the window and has not expired; and whether it is open.
fn taking(tx: &Db, key: &str, now: DateTime<Utc>) -> Result<Option<(i64, bool)>> {
    tx.query_opt(
        "SELECT id, state = 'open' FROM escalations
              WHERE group_key = ?1 AND last_seen_at >= ?2 AND state != 'expired'
              ORDER BY id DESC LIMIT 1",
        params![key, ts(now - GROUP_WINDOW)],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )
}

/// When `MAX_OPEN_PER_SCOPE` items of `kind` under `scope` are already open (other pairs of
/// agents), the newest of them: a storm across many agents is a few items, not hundreds.
fn crowded(
    tx: &Db,
    kind: FindingKind,
    scope: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Option<i64>> {
    let stmt_sql = "SELECT e.id FROM escalations e JOIN findings f ON f.id = e.finding_id
          WHERE e.state = 'open' AND e.group_key IS NOT NULL AND f.kind = ?1
            AND e.scope IS NOT DISTINCT FROM ?2 AND e.last_seen_at >= ?3
          ORDER BY e.id DESC LIMIT ?4";
    let open = tx.query_map(
        stmt_sql,
        params![
            kind.as_str(),
            scope,
            ts(now - GROUP_WINDOW),
            MAX_OPEN_PER_SCOPE as i64
        ],
        |row| row.get::<i64>(0),
    )?;
    Ok((open.len() >= MAX_OPEN_PER_SCOPE)
        .then(|| open.first().copied())
        .flatten())
}

/// Counts one more occurrence on an item: its count, resources, `since_decision` when decided,
/// and (while open) its title and agents.
fn count_in(
    tx: &Db,
    item: i64,
    open: bool,
    finding_id: i64,
    f: &NewFinding,
    now: DateTime<Utc>,
) -> Result<()> {
    let (occurrences, scope, resources_text): (i64, Option<String>, String) = tx.query_row(
        "SELECT occurrences, scope, resources FROM escalations WHERE id = ?1",
        params![item],
        |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
    )?;
    let mut resources: Vec<String> = parse_json(&resources_text, "escalation resources")?;
    if open {
        join_agents(tx, item, &f.agents)?;
    }
    let new_resource = match &f.resource {
        Some(resource) => !tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM findings
                             WHERE escalation_id = ?1 AND resource = ?2 AND id != ?3)",
            params![item, resource, finding_id],
            |row| row.get::<bool>(0),
        )?,
        None => false,
    };
    if new_resource && resources.len() < MAX_GROUP_RESOURCES {
        resources.extend(f.resource.clone());
    }
    let occurrences = occurrences + 1;
    let count = u32::try_from(occurrences).unwrap_or(u32::MAX);
    tx.execute(
        "UPDATE escalations SET occurrences = ?2, last_seen_at = ?3, resources = ?4,
                resource_count = resource_count + ?5,
                since_decision = since_decision + ?6,
                title = CASE WHEN state = 'open' THEN ?7 ELSE title END
          WHERE id = ?1",
        params![
            item,
            occurrences,
            ts(now),
            json(&resources),
            i64::from(new_resource),
            i64::from(!open),
            group_title(&f.summary, count, scope.as_deref()),
        ],
    )?;
    changes::record(tx, ChangeKind::EscalationChanged, item, "")
}

/// The item's agents (its lead finding's) take in `agents`; an item of several agents is no
/// longer about one agent's task.
fn join_agents(tx: &Db, item: i64, agents: &[i64]) -> Result<()> {
    let (lead, text): (i64, String) = tx.query_row(
        "SELECT f.id, f.agents FROM escalations e JOIN findings f ON f.id = e.finding_id
          WHERE e.id = ?1",
        params![item],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    let mut all: Vec<i64> = parse_json(&text, "finding agents")?;
    let before = all.len();
    all.extend_from_slice(agents);
    all.sort_unstable();
    all.dedup();
    if all.len() == before {
        return Ok(());
    }
    tx.execute(
        "UPDATE findings SET agents = ?2 WHERE id = ?1",
        params![lead, json(&all)],
    )?;
    tx.execute(
        "UPDATE escalations SET agent_id = NULL, task_id = NULL WHERE id = ?1",
        params![item],
    )?;
    Ok(())
}

/// Opens an item for a finding (the first of its group, or one never grouped).
fn open_item(
    tx: &Db,
    finding_id: i64,
    f: &NewFinding,
    group: Option<&Group>,
    rules: &[baton_core::rules::Rule],
    now: DateTime<Utc>,
) -> Result<i64> {
    let (sla, assignee) = sla_for(f.resource.as_deref(), f.severity, rules);
    let (agent_id, task_id) = match f.agents.as_slice() {
        [only] => {
            let events = evidence_events(tx, &f.evidence)?;
            (Some(*only), task_of(&events, *only))
        }
        _ => (None, None),
    };
    let resources: Vec<&String> = f.resource.iter().collect();
    let item: i64 = tx.query_row(
        "INSERT INTO escalations (finding_id, agent_id, task_id, title, opened_at, due_at,
                                  assignee, group_key, scope, resources, resource_count,
                                  last_seen_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?5) RETURNING id",
        params![
            finding_id,
            agent_id,
            task_id,
            f.summary,
            ts(now),
            ts(now + sla),
            assignee,
            group.map(|g| g.key.as_str()),
            group.and_then(|g| g.scope.as_deref()),
            json(&resources),
            resources.len() as i64,
        ],
        |row| row.get(0),
    )?;
    tx.execute(
        "UPDATE findings SET escalation_id = ?2 WHERE id = ?1",
        params![finding_id, item],
    )?;
    changes::record(tx, ChangeKind::EscalationOpened, item, "")?;
    Ok(item)
}

/// A closed finding's cause fired again with new evidence. When its item is a group that was
/// decided (not expired) within the window, the item counts it (`since_decision`, resources)
/// and the finding takes the evidence, still closed: no new row, no new item. Returns the item.
pub(crate) fn recur(
    tx: &Db,
    closed_finding: i64,
    f: &baton_core::detect::Finding,
    now: DateTime<Utc>,
) -> Result<Option<i64>> {
    let item: Option<i64> = tx.query_opt(
        "SELECT e.id FROM escalations e JOIN findings f
                 ON f.escalation_id = e.id OR e.finding_id = f.id
              WHERE f.id = ?1 AND e.state = 'resolved' AND e.group_key IS NOT NULL
                AND e.last_seen_at >= ?2
              ORDER BY e.id DESC LIMIT 1",
        params![closed_finding, ts(now - GROUP_WINDOW)],
        |row| row.get(0),
    )?;
    let Some(item) = item else {
        return Ok(None);
    };
    let evidence_text: String = tx.query_row(
        "SELECT evidence FROM findings WHERE id = ?1",
        params![closed_finding],
        |row| row.get(0),
    )?;
    let mut evidence: Vec<EvidenceRef> = parse_json(&evidence_text, "finding evidence")?;
    evidence.extend_from_slice(&f.evidence);
    tx.execute(
        "UPDATE findings SET evidence = ?2, updated_at = ?3 WHERE id = ?1",
        params![closed_finding, json(&cap_evidence(evidence)), ts(now)],
    )?;
    let new = NewFinding {
        kind: f.kind,
        severity: f.severity,
        agents: f.agents.clone(),
        resource: f.resource.clone(),
        summary: f.summary.clone(),
        evidence: f.evidence.clone(),
    };
    // The finding is a member already: its resource is counted (no finding is left out of
    // the "already there" check).
    count_in(tx, item, false, 0, &new, now)?;
    Ok(Some(item))
}

/// A finding's words changed: its open item says so (as the group's title when grouped).
pub(crate) fn retitle(tx: &Db, finding_id: i64, summary: &str) -> Result<Vec<i64>> {
    let item: Option<(i64, i64, Option<String>)> = tx.query_opt(
        "SELECT e.id, e.occurrences, e.scope FROM escalations e
               JOIN findings f ON f.escalation_id = e.id OR e.finding_id = f.id
              WHERE f.id = ?1 AND e.state = 'open'
              ORDER BY e.id DESC LIMIT 1",
        params![finding_id],
        |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
    )?;
    let Some((id, occurrences, scope)) = item else {
        return Ok(Vec::new());
    };
    let count = u32::try_from(occurrences).unwrap_or(u32::MAX);
    let title = group_title(summary, count, scope.as_deref());
    let changed = tx.execute(
        "UPDATE escalations SET title = ?2 WHERE id = ?1 AND title != ?2",
        params![id, title],
    )?;
    if changed == 0 {
        return Ok(Vec::new());
    }
    changes::record(tx, ChangeKind::EscalationChanged, id, "")?;
    Ok(vec![id])
}

/// Most findings of one item whose evidence is read (the lead's, then the newest).
const EVIDENCE_FINDINGS: i64 = 100;

/// The evidence of an item's findings: its lead's first, then the newest findings'.
pub(crate) fn item_evidence(tx: &Db, item: i64) -> Result<Vec<EvidenceRef>> {
    let stmt_sql = "SELECT f.evidence FROM findings f JOIN escalations e ON e.id = ?1
          WHERE f.id = e.finding_id OR f.escalation_id = ?1
          ORDER BY f.id = e.finding_id DESC, f.id DESC LIMIT ?2";
    let texts = tx.query_map(stmt_sql, params![item, EVIDENCE_FINDINGS], |row| {
        row.get::<String>(0)
    })?;
    let mut all = Vec::new();
    for text in texts {
        let evidence: Vec<EvidenceRef> = parse_json(&text, "finding evidence")?;
        for e in evidence {
            if !all.contains(&e) {
                all.push(e);
            }
        }
    }
    Ok(all)
}
