//! An item's words and evidence: its title following its finding's, and the evidence of its
//! findings as the queue shows it.

use baton_core::detect::EvidenceRef;
use baton_core::escalations::group_title;

use crate::changes::{self, ChangeKind};
use crate::codec::parse_json;
use crate::db::{params, Db};
use crate::error::Result;

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
