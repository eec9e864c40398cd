//! The events a finding's evidence names (each by agent and `seq`), read back from what was
//! ingested: for an item's time axis, the task an item of one agent is about, a decision's
//! delivery.

use baton_core::detect::EvidenceRef;
use baton_core::protocol::Event;

use crate::codec::to_sql_int;
use crate::db::{params, Db, ReadAhead, ReadRows};
use crate::error::Result;

/// The stored events an evidence list names (those still stored), oldest first.
pub(crate) fn evidence_events(conn: &Db, evidence: &[EvidenceRef]) -> Result<Vec<(i64, Event)>> {
    // Read together (one round trip on PostgreSQL).
    let mut ahead = ReadAhead::default();
    evidence_reads(evidence, &mut ahead)?;
    evidence_read(&mut conn.read_ahead(&ahead)?, evidence)
}

/// Lists the reads of the events `evidence` names (one each), to go out with others.
pub(crate) fn evidence_reads(evidence: &[EvidenceRef], ahead: &mut ReadAhead) -> Result<()> {
    for e in evidence {
        ahead.read(
            "SELECT raw FROM events_as_sent WHERE agent_id = ?1 AND seq = ?2",
            params![e.agent_id, to_sql_int(e.seq, "seq")?],
        );
    }
    Ok(())
}

/// The events [`evidence_reads`] read (those still stored), oldest first.
pub(crate) fn evidence_read(
    rows: &mut ReadRows,
    evidence: &[EvidenceRef],
) -> Result<Vec<(i64, Event)>> {
    let mut events = Vec::with_capacity(evidence.len());
    for e in evidence {
        let raw: Option<String> = rows.take()?.first().map(|row| row.get(0)).transpose()?;
        if let Some(event) = raw.and_then(|raw| serde_json::from_str::<Event>(&raw).ok()) {
            events.push((e.agent_id, event));
        }
    }
    events.sort_by_key(|(_, e)| e.at);
    Ok(events)
}

/// The task an agent's evidence names first, if any.
pub(crate) fn task_of(evidence: &[(i64, Event)], agent_id: i64) -> Option<String> {
    evidence
        .iter()
        .filter(|(agent, _)| *agent == agent_id)
        .find_map(|(_, e)| e.task_id.clone())
}
