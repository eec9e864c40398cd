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
use ahead::{item_of, read_before_filing, CROWDED_SQL, ITEM_SQL, TAKING_SQL};
use baton_core::detect::{cap_evidence, EvidenceRef, FindingKind};
use baton_core::escalations::{
    group_of, group_title, sla_for, Group, GROUP_WINDOW, MAX_GROUP_RESOURCES, MAX_OPEN_PER_SCOPE,
};
use baton_core::rules::CompiledRules;
use chrono::{DateTime, Utc};

use crate::codec::{json, parse_json, ts};
use crate::error::Result;
use crate::evidence::{evidence_events, task_of};
use crate::rules::rules_in;

mod ahead;
mod filing;
mod item;
use filing::Item;
pub(crate) use filing::{Filing, NewFinding};
pub(crate) use item::{item_evidence, retitle};

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

/// Files each of `new` (findings just recorded, with their ids, inside the caller's
/// transaction).
pub(crate) fn file_findings(
    tx: &Db,
    filing: &mut Filing,
    new: &[(i64, NewFinding)],
    now: DateTime<Utc>,
) -> Result<Filed> {
    let mut filed = Filed::default();
    if new.is_empty() {
        return Ok(filed);
    }
    let rules: Vec<_> = rules_in(tx)?.into_iter().map(|r| r.rule).collect();
    let compiled = CompiledRules::new(rules.clone());
    let groups: Vec<Option<Group>> = new
        .iter()
        .map(|(_, f)| group_of(f.kind, &f.agents, f.resource.as_deref(), &compiled))
        .collect();
    read_before_filing(tx, filing, new, &groups, now)?;
    for ((finding_id, f), group) in new.iter().zip(groups) {
        let finding_id = *finding_id;
        if let Some(group) = &group {
            let item = match taking(tx, filing, &group.key, now)? {
                Some(item) => Some(item),
                None => crowded(tx, filing, f.kind, group.scope.as_deref(), now)?
                    .map(|item| (item, true)),
            };
            if let Some((item, open)) = item {
                // The finding joins the item (closed with it when the item is decided).
                tx.execute_later(
                    "UPDATE findings SET escalation_id = ?2,
                            closed_at = CASE WHEN ?3 = 1 THEN closed_at ELSE ?4 END
                      WHERE id = ?1",
                    params![finding_id, item, open, ts(now)],
                )?;
                count_in(tx, filing, item, open, finding_id, f, now)?;
                if open {
                    push_once(&mut filed.grown, item);
                } else {
                    push_once(&mut filed.recurred, item);
                }
                continue;
            }
        }
        filed.opened.push(open_item(
            tx,
            filing,
            finding_id,
            f,
            group.as_ref(),
            &rules,
            now,
        )?);
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
fn taking(
    tx: &Db,
    filing: &mut Filing,
    key: &str,
    now: DateTime<Utc>,
) -> Result<Option<(i64, bool)>> {
    if let Some(known) = filing.taking.get(key) {
        return Ok(*known);
    }
    let found = tx.query_opt(TAKING_SQL, params![key, ts(now - GROUP_WINDOW)], |row| {
        Ok((row.get(0)?, row.get(1)?))
    })?;
    filing.taking.insert(key.to_owned(), found);
    Ok(found)
}

/// When `MAX_OPEN_PER_SCOPE` items of `kind` under `scope` are already open (other pairs of
/// agents), the newest of them: a storm across many agents is a few items, not hundreds.
fn crowded(
    tx: &Db,
    filing: &mut Filing,
    kind: FindingKind,
    scope: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Option<i64>> {
    let at = (kind, scope.map(str::to_owned));
    if let Some(open) = filing.crowded.get(&at) {
        return Ok((open.len() >= MAX_OPEN_PER_SCOPE)
            .then(|| open.first().copied())
            .flatten());
    }
    let open = tx.query_map(
        CROWDED_SQL,
        params![
            kind.as_str(),
            scope,
            ts(now - GROUP_WINDOW),
            MAX_OPEN_PER_SCOPE as i64
        ],
        |row| row.get::<i64>(0),
    )?;
    let newest = (open.len() >= MAX_OPEN_PER_SCOPE)
        .then(|| open.first().copied())
        .flatten();
    filing.crowded.insert(at, open);
    Ok(newest)
}

/// Counts one more occurrence on an item: its count, resources, `since_decision` when decided,
/// and (while open) its title and agents.
fn count_in(
    tx: &Db,
    filing: &mut Filing,
    item: i64,
    open: bool,
    finding_id: i64,
    f: &NewFinding,
    now: DateTime<Utc>,
) -> Result<()> {
    let known = match filing.items.entry(item) {
        std::collections::hash_map::Entry::Occupied(known) => known.into_mut(),
        std::collections::hash_map::Entry::Vacant(slot) => slot.insert(read_item(tx, item)?),
    };
    if open {
        join_agents(tx, item, known, &f.agents)?;
    }
    // Under the cap the list holds every resource of the item's findings: one not in it is
    // new. The count asks the findings themselves (beyond the cap too).
    if let Some(resource) = &f.resource {
        if known.resources.len() < MAX_GROUP_RESOURCES && !known.resources.contains(resource) {
            known.resources.push(resource.clone());
        }
    }
    known.occurrences += 1;
    let count = u32::try_from(known.occurrences).unwrap_or(u32::MAX);
    tx.execute_later(
        "UPDATE escalations SET occurrences = ?2, last_seen_at = ?3, resources = ?4,
                resource_count = resource_count
                    + CASE WHEN ?8 IS NULL OR EXISTS (SELECT 1 FROM findings
                            WHERE escalation_id = ?1 AND resource = ?8 AND id != ?5)
                      THEN 0 ELSE 1 END,
                since_decision = since_decision + ?6,
                title = CASE WHEN state = 'open' THEN ?7 ELSE title END
          WHERE id = ?1",
        params![
            item,
            known.occurrences,
            ts(now),
            json(&known.resources),
            finding_id,
            i64::from(!open),
            group_title(&f.summary, count, known.scope.as_deref()),
            f.resource,
        ],
    )?;
    changes::record(tx, ChangeKind::EscalationChanged, item, "")
}

/// An item as filing counts into it, read from the store.
fn read_item(tx: &Db, item: i64) -> Result<Item> {
    tx.query_row(ITEM_SQL, params![item], |row| item_of(row))
}

/// The item's agents (its lead finding's) take in `agents`; an item of several agents is no
/// longer about one agent's task.
fn join_agents(tx: &Db, item: i64, known: &mut Item, agents: &[i64]) -> Result<()> {
    let before = known.agents.len();
    known.agents.extend_from_slice(agents);
    known.agents.sort_unstable();
    known.agents.dedup();
    if known.agents.len() == before {
        return Ok(());
    }
    tx.execute_later(
        "UPDATE findings SET agents = ?2 WHERE id = ?1",
        params![known.lead, json(&known.agents)],
    )?;
    tx.execute_later(
        "UPDATE escalations SET agent_id = NULL, task_id = NULL WHERE id = ?1",
        params![item],
    )?;
    Ok(())
}

/// An item's insert: with its id (`?12`, taken ahead), or returning the one the table gives.
fn insert_item_sql(with_id: bool) -> String {
    let (column, value, returning) = match with_id {
        true => (", id", ", ?12", ""),
        false => ("", "", " RETURNING id"),
    };
    format!(
        "INSERT INTO escalations (finding_id, agent_id, task_id, title, opened_at, due_at,
                                  assignee, group_key, scope, resources, resource_count,
                                  last_seen_at{column})
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?5{value}){returning}"
    )
}

/// Opens an item for a finding (the first of its group, or one never grouped).
fn open_item(
    tx: &Db,
    filing: &mut Filing,
    finding_id: i64,
    f: &NewFinding,
    group: Option<&Group>,
    rules: &[baton_core::rules::Rule],
    now: DateTime<Utc>,
) -> Result<i64> {
    let (sla, assignee) = sla_for(f.resource.as_deref(), f.severity, rules);
    let (agent_id, task_id) = match f.agents.as_slice() {
        [only] => {
            let events = match filing.evidence.remove(&finding_id) {
                Some(read) => read,
                None => evidence_events(tx, &f.evidence)?,
            };
            (Some(*only), task_of(&events, *only))
        }
        _ => (None, None),
    };
    let resources: Vec<&String> = f.resource.iter().collect();
    // An id taken ahead when there is one (no round trip: the insert goes out with the write).
    let taken = filing.item_ids.pop();
    let values = params![
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
        taken,
    ];
    let item: i64 = match taken {
        Some(id) => {
            tx.execute_later(&insert_item_sql(true), values)?;
            id
        }
        None => tx.query_row(&insert_item_sql(false), &values[..11], |row| row.get(0))?,
    };
    tx.execute_later(
        "UPDATE findings SET escalation_id = ?2 WHERE id = ?1",
        params![finding_id, item],
    )?;
    filing.items.insert(
        item,
        Item {
            occurrences: 1,
            scope: group.and_then(|g| g.scope.clone()),
            resources: f.resource.iter().cloned().collect(),
            lead: finding_id,
            agents: f.agents.clone(),
        },
    );
    if let Some(group) = group {
        // The newest of its group and, open, of its kind under its scope.
        filing.taking.insert(group.key.clone(), Some((item, true)));
        if let Some(open) = filing.crowded.get_mut(&(f.kind, group.scope.clone())) {
            open.insert(0, item);
            open.truncate(MAX_OPEN_PER_SCOPE);
        }
    }
    changes::record(tx, ChangeKind::EscalationOpened, item, "")?;
    Ok(item)
}

/// A closed finding's cause fired again with new evidence. When its item is a group that was
/// decided (not expired) within the window, the item counts it (`since_decision`, resources)
/// and the finding takes the evidence, still closed: no new row, no new item. Returns the item.
pub(crate) fn recur(
    tx: &Db,
    filing: &mut Filing,
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
    tx.execute_later(
        "UPDATE findings SET evidence = ?2, updated_at = ?3 WHERE id = ?1",
        params![closed_finding, json(&cap_evidence(evidence)), ts(now)],
    )?;
    // The finding is a member already: its resource is counted (no finding is left out of
    // the "already there" check).
    count_in(tx, filing, item, false, 0, &NewFinding::of(f), now)?;
    Ok(Some(item))
}
