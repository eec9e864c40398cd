//! An item's words and evidence: its title following its finding's, and the evidence of its
//! findings as the queue shows it.

use baton_core::detect::EvidenceRef;
use baton_core::escalations::group_title;

use std::collections::HashMap;

use crate::changes::{self, ChangeKind};
use crate::codec::parse_json;
use crate::db::{params, Db, ReadAhead, RowsSql, Value};
use crate::error::Result;

/// Findings whose words changed: their open items say so (as the group's title when grouped),
/// in the order given (a group's title follows the last of its findings). The items are read
/// in one flight and their titles written with the write's end: no round trip per finding.
/// The items whose title changed, each once.
pub(crate) fn retitle(tx: &Db, reworded: &[(i64, String)]) -> Result<Vec<i64>> {
    if reworded.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Value> = reworded.iter().map(|(id, _)| Value::Int(*id)).collect();
    let mut ahead = ReadAhead::default();
    let reads = ahead.read_in(
        |list| {
            format!(
                "SELECT f.id, e.id, e.occurrences, e.scope, e.title FROM escalations e
                   JOIN findings f ON f.escalation_id = e.id OR e.finding_id = f.id
                  WHERE f.id IN ({list}) AND e.state = 'open'
                  ORDER BY f.id, e.id DESC"
            )
        },
        params![],
        &ids,
    );
    // Each finding's open item (the newest), with its count, scope and title.
    let mut items: HashMap<i64, (i64, i64, Option<String>)> = HashMap::new();
    let mut titles: HashMap<i64, String> = HashMap::new();
    for row in tx.read_ahead(&ahead)?.next_many(reads)? {
        let finding: i64 = row.get(0)?;
        let item: i64 = row.get(1)?;
        if items.contains_key(&finding) {
            continue;
        }
        items.insert(finding, (item, row.get(2)?, row.get(3)?));
        titles.entry(item).or_insert(row.get(4)?);
    }
    let mut changed = Vec::new();
    for (finding, summary) in reworded {
        let Some((item, occurrences, scope)) = items.get(finding) else {
            continue;
        };
        let count = u32::try_from(*occurrences).unwrap_or(u32::MAX);
        let title = group_title(summary, count, scope.as_deref());
        if titles.get(item) == Some(&title) {
            continue;
        }
        tx.write_row(&RETITLED, params![*item, title])?;
        titles.insert(*item, title);
        if !changed.contains(item) {
            changes::record(tx, ChangeKind::EscalationChanged, *item, "")?;
            changed.push(*item);
        }
    }
    Ok(changed)
}

/// An item's new title (a run's in one statement on PostgreSQL).
static RETITLED: RowsSql = RowsSql {
    before: "UPDATE escalations SET title = v.column2 FROM (VALUES",
    columns: 2,
    after: ") AS v WHERE escalations.id = v.column1",
    key: &[0],
    one: Some("UPDATE escalations SET title = ?2 WHERE id = ?1"),
    numbered: false,
    anytime: false,
};

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
