//! What the detectors found (what they read is in [`crate::detect_reads`]).
//!
//! One row per cause may be open: recording a finding whose `dedupe_key` is open updates that
//! row (agents and evidence united). A closed row for the same key blocks nothing new: when the
//! finding brings evidence the closed one did not have, the closed row's key is archived
//! (`key@<id>`) and a new finding opens; the same evidence seen again opens nothing. Findings
//! about lasting conditions carry their episode in the key (see `baton_core::detect`), so a
//! closed one stays closed while the episode lasts.

use crate::db::{in_list_reads, params, Columns, Db, ReadAhead, RowsSql, Value};
use baton_core::detect::{cap_evidence, EvidenceRef, Finding, FindingKind, Severity};
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::codec::{json, parse_json, parse_kind, parse_opt_ts, parse_severity, parse_ts, ts};
use crate::error::{Result, StoreError};
use crate::groups::{file_findings, recur, retitle, Filing, NewFinding};
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
    /// The escalations opened for new findings (the first of each group, or one of its own).
    pub escalations: Vec<i64>,
    /// Open escalations that took new findings of their cause (count, resources, title).
    pub grown: Vec<i64>,
    /// Decided escalations whose cause fired again: updated (`since_decision`), not reopened.
    pub recurred: Vec<i64>,
    /// Open escalations whose title followed their finding's new summary (e.g. "combined use
    /// at 90 %" became "3 × 429 in the last 5 min; …").
    pub retitled: Vec<i64>,
}

impl RecordedFindings {
    pub fn is_empty(&self) -> bool {
        self.opened.is_empty() && self.updated.is_empty()
    }

    /// Adds what a later write of the same run recorded (its findings written in slices).
    pub fn absorb(&mut self, later: RecordedFindings) {
        fn each_once(into: &mut Vec<i64>, more: Vec<i64>) {
            let mut have: std::collections::HashSet<i64> = into.iter().copied().collect();
            into.extend(more.into_iter().filter(|id| have.insert(*id)));
        }
        each_once(&mut self.opened, later.opened);
        each_once(&mut self.updated, later.updated);
        each_once(&mut self.escalations, later.escalations);
        each_once(&mut self.grown, later.grown);
        each_once(&mut self.recurred, later.recurred);
        each_once(&mut self.retitled, later.retitled);
    }

    /// Escalations that changed without opening: grown, recurred or retitled, each once.
    pub fn changed_escalations(&self) -> Vec<i64> {
        let mut changed: Vec<i64> = Vec::new();
        for &id in self
            .grown
            .iter()
            .chain(&self.recurred)
            .chain(&self.retitled)
        {
            if !changed.contains(&id) && !self.escalations.contains(&id) {
                changed.push(id);
            }
        }
        changed
    }
}

/// An open finding's new words and evidence (a run's in one statement on PostgreSQL: a busy
/// fleet's detectors update a few hundred findings a second, each as its counts grow).
static FINDING_GREW: RowsSql = RowsSql {
    before: "UPDATE findings
                SET severity = v.column2, agents = v.column3, summary = v.column4,
                    evidence = v.column5, updated_at = v.column6
               FROM (VALUES",
    columns: 6,
    after: ") AS v WHERE findings.id = v.column1",
    key: &[0],
    one: Some(
        "UPDATE findings SET severity = ?2, agents = ?3, summary = ?4, evidence = ?5,
                updated_at = ?6
          WHERE id = ?1",
    ),
    numbered: false,
    anytime: false,
};

const COLS: &str = "id, kind, severity, agents, resource, summary, evidence, opened_at, \
     updated_at, closed_at, dedupe_key";

fn read_finding(row: &impl Columns) -> Result<StoredFinding> {
    Ok(StoredFinding {
        id: row.column(0)?,
        kind: parse_kind(&row.column::<String>(1)?)?,
        severity: parse_severity(&row.column::<String>(2)?)?,
        agents: parse_json(&row.column::<String>(3)?, "finding agents")?,
        resource: row.column(4)?,
        summary: row.column(5)?,
        evidence: parse_json(&row.column::<String>(6)?, "finding evidence")?,
        opened_at: parse_ts(&row.column::<String>(7)?)?,
        updated_at: parse_ts(&row.column::<String>(8)?)?,
        closed_at: parse_opt_ts(row.column(9)?)?,
        dedupe_key: row.column(10)?,
    })
}

/// The open finding `f` carries on (the newest whose key starts with `prefix`), re-keyed as `f`;
/// its escalation takes `f`'s words and, when `f` names several agents, no longer one agent's.
/// Also the key it had.
fn carry_on(tx: &Db, prefix: &str, f: &Finding) -> Result<Option<(StoredFinding, String)>> {
    let earlier = tx
        .query_opt(
            &format!(
                "SELECT {COLS} FROM findings
                 WHERE closed_at IS NULL AND substr(dedupe_key, 1, CAST(?2 AS INTEGER)) = ?1
                 ORDER BY id DESC LIMIT 1"
            ),
            params![prefix, prefix.chars().count() as i64],
            |row| Ok(read_finding(row)),
        )?
        .transpose()?;
    let Some(mut earlier) = earlier else {
        return Ok(None);
    };
    tx.execute_later(
        "UPDATE findings SET dedupe_key = ?2 WHERE id = ?1",
        params![earlier.id, f.dedupe_key],
    )?;
    // Its title follows with the update (`groups::retitle`).
    let several = union(&earlier.agents, &f.agents).len() > 1;
    tx.execute_later(
        "UPDATE escalations SET
                agent_id = CASE WHEN ?2 = 1 THEN NULL ELSE agent_id END,
                task_id = CASE WHEN ?2 = 1 THEN NULL ELSE task_id END
         WHERE finding_id = ?1 AND state = 'open'",
        params![earlier.id, several],
    )?;
    let was = std::mem::replace(&mut earlier.dedupe_key, f.dedupe_key.clone());
    Ok(Some((earlier, was)))
}

/// The stored findings under the keys of `findings` (read in one flight), by key.
fn stored_findings(
    tx: &Db,
    findings: &[Finding],
) -> Result<std::collections::HashMap<String, StoredFinding>> {
    let keys: Vec<Value> = findings
        .iter()
        .map(|f| Value::Text(&f.dedupe_key))
        .collect();
    let mut ahead = ReadAhead::default();
    ahead.read_in(
        |list| format!("SELECT {COLS} FROM findings WHERE dedupe_key IN ({list})"),
        params![],
        &keys,
    );
    let mut rows = tx.read_ahead(&ahead)?;
    rows.next_many(in_list_reads(keys.len()))?
        .iter()
        .map(|row| read_finding(row).map(|f| (f.dedupe_key.clone(), f)))
        .collect()
}

/// New findings waiting to be inserted: all at once, in one round trip on PostgreSQL (each
/// insert returns its id), before anything that could read them.
struct NewRows<'f> {
    now: DateTime<Utc>,
    inserts: ReadAhead,
    findings: Vec<&'f Finding>,
}

impl<'f> NewRows<'f> {
    fn new(now: DateTime<Utc>) -> NewRows<'f> {
        NewRows {
            now,
            inserts: ReadAhead::default(),
            findings: Vec::new(),
        }
    }

    /// Inserts what waits; the new ids go to `recorded` and `opened`, in order.
    fn insert(
        &mut self,
        tx: &Db,
        recorded: &mut RecordedFindings,
        opened: &mut Vec<(i64, NewFinding)>,
    ) -> Result<()> {
        if self.findings.is_empty() {
            return Ok(());
        }
        let mut rows = tx.read_ahead(&std::mem::take(&mut self.inserts))?;
        for f in self.findings.drain(..) {
            let id: i64 = match rows.take()?.first() {
                Some(row) => row.get(0)?,
                None => {
                    return Err(StoreError::Corrupt(
                        "a finding inserted without an id".into(),
                    ))
                }
            };
            recorded.opened.push(id);
            opened.push((id, NewFinding::of(f)));
        }
        Ok(())
    }

    fn push(&mut self, f: &'f Finding) {
        self.inserts.read(
            "INSERT INTO findings (kind, severity, agents, resource, summary, evidence,
                                   opened_at, updated_at, dedupe_key)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8) RETURNING id",
            params![
                f.kind.as_str(),
                f.severity.as_str(),
                json(&f.agents),
                f.resource,
                f.summary,
                json(&f.evidence),
                ts(self.now),
                f.dedupe_key
            ],
        );
        self.findings.push(f);
    }
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
        let tx = self.write_tx()?;
        let mut recorded = RecordedFindings::default();
        let mut filing = Filing::default();
        let mut known = stored_findings(&tx, findings)?;
        // Keys whose row changed in this write: looked up again rather than as read ahead.
        let mut moved: std::collections::HashSet<String> = Default::default();
        let mut opened: Vec<(i64, NewFinding)> = Vec::new();
        let mut reworded: Vec<(i64, String)> = Vec::new();
        let mut new = NewRows::new(now);
        for f in findings {
            let existing = if moved.insert(f.dedupe_key.clone()) {
                known.remove(&f.dedupe_key)
            } else {
                // The same key again: its row may be one of the new ones.
                new.insert(&tx, &mut recorded, &mut opened)?;
                tx.query_opt(
                    &format!("SELECT {COLS} FROM findings WHERE dedupe_key = ?1"),
                    params![&f.dedupe_key],
                    |row| Ok(read_finding(row)),
                )?
                .transpose()?
            };
            let existing = match (existing, &f.continues) {
                (None, Some(prefix)) => {
                    // It may carry on a finding opened a moment ago, in this write.
                    new.insert(&tx, &mut recorded, &mut opened)?;
                    let carried = carry_on(&tx, prefix, f)?;
                    if let Some((_, was)) = &carried {
                        moved.insert(was.clone());
                    }
                    carried.map(|(finding, _)| finding)
                }
                (existing, _) => existing,
            };
            match existing {
                Some(open) if open.closed_at.is_none() => {
                    let agents = union(&open.agents, &f.agents);
                    let evidence = cap_evidence(union(&open.evidence, &f.evidence));
                    if agents == open.agents
                        && evidence == open.evidence
                        && open.summary == f.summary
                        && open.severity == f.severity
                    {
                        continue;
                    }
                    tx.write_row(
                        &FINDING_GREW,
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
                        reworded.push((open.id, f.summary.clone()));
                    }
                    continue;
                }
                Some(closed) => {
                    if f.evidence.iter().all(|e| closed.evidence.contains(e)) {
                        continue;
                    }
                    // Decided a moment ago and firing again: the decided item counts it.
                    if let Some(item) = recur(&tx, &mut filing, closed.id, f, now)? {
                        if !recorded.recurred.contains(&item) {
                            recorded.recurred.push(item);
                        }
                        continue;
                    }
                    tx.execute_later(
                        "UPDATE findings SET dedupe_key = dedupe_key || '@' || id WHERE id = ?1",
                        params![closed.id],
                    )?;
                }
                None => {}
            }
            new.push(f);
        }
        new.insert(&tx, &mut recorded, &mut opened)?;
        recorded.retitled = retitle(&tx, &reworded)?;
        let filed = file_findings(&tx, &mut filing, &opened, now)?;
        recorded.escalations = filed.opened;
        recorded.grown = filed.grown;
        for item in filed.recurred {
            if !recorded.recurred.contains(&item) {
                recorded.recurred.push(item);
            }
        }
        tx.commit()?;
        Ok(recorded)
    }

    /// Open findings, newest first.
    pub fn open_findings(&self) -> Result<Vec<StoredFinding>> {
        let stmt_sql = &format!(
            "SELECT {COLS} FROM findings WHERE closed_at IS NULL ORDER BY opened_at DESC, id DESC"
        );
        let mut found = Vec::new();
        self.db.query_each(stmt_sql, params![], |row| {
            found.push(read_finding(row)?);
            Ok(())
        })?;
        Ok(found)
    }

    /// The findings with these ids (those that exist), in the order given.
    pub fn findings(&self, ids: &[i64]) -> Result<Vec<StoredFinding>> {
        let sql = format!("SELECT {COLS} FROM findings WHERE id = ?1");
        let mut found = Vec::with_capacity(ids.len());
        for &id in ids {
            if let Some(finding) = self.db.query_opt(&sql, params![id], |r| read_finding(r))? {
                found.push(finding);
            }
        }
        Ok(found)
    }

    /// Closes a finding (its escalation was settled). Closing a closed one changes nothing.
    pub fn close_finding(&mut self, id: i64, now: DateTime<Utc>) -> Result<()> {
        let changed = self.db.execute(
            "UPDATE findings SET closed_at = coalesce(closed_at, ?2), updated_at = ?2
             WHERE id = ?1",
            params![id, ts(now)],
        )?;
        if changed == 0 {
            return Err(StoreError::FindingNotFound(id));
        }
        Ok(())
    }
}
