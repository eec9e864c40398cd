//! File leases and the permit a write asks for before it happens, and the queue item for a
//! write that met another agent's claim.

use crate::db::{params, Db};
use baton_core::agent::AdapterKind;
use baton_core::detect::{EvidenceRef, Finding, FindingKind, Severity};
use baton_core::hooks::{
    deny_reason, file_resource, permit, ClashOutcome, HookAnswer, Lease, Permit, PermitConflict,
    PermitVerdict,
};
use baton_core::rules::{CompiledRules, MapLease, RuleKind};
use chrono::{DateTime, Duration, Utc};

use super::parallel::{last_write, meet_other_branches};
use super::record::{HookRecord, PermitClash, PermitSettings, SessionRef, SessionRow};
use crate::agents::agent_id_by_name;
use crate::codec::{parse_adapter, parse_ts, ts};
use crate::error::Result;
use crate::rules::rules_in;
use crate::Store;

impl Store {
    /// Live leases (at `now`, for `lease_time`), oldest first.
    pub fn leases(&self, now: DateTime<Utc>, lease_time: Duration) -> Result<Vec<Lease>> {
        let stmt_sql = "SELECT l.resource, a.name, l.since, l.last_write_at
               FROM leases l JOIN agents a ON a.id = l.holder
              WHERE l.last_write_at > ?1 ORDER BY l.since, l.resource";
        let mut out = Vec::new();
        self.db
            .query_each(stmt_sql, params![ts(now - lease_time)], |row| {
                out.push(Lease {
                    resource: row.get(0)?,
                    holder: row.get(1)?,
                    since: parse_ts(&row.get::<String>(2)?)?,
                    last_write_at: parse_ts(&row.get::<String>(3)?)?,
                });
                Ok(())
            })?;
        Ok(out)
    }
}

/// Every lease, lapsed or not (the map shows its age), oldest first.
pub(crate) fn map_leases(conn: &Db) -> Result<Vec<MapLease>> {
    let stmt_sql = "SELECT l.holder, a.name, l.resource, l.since, l.last_write_at
           FROM leases l JOIN agents a ON a.id = l.holder ORDER BY l.since, l.resource";
    let mut out = Vec::new();
    conn.query_each(stmt_sql, params![], |row| {
        out.push(MapLease {
            holder_id: row.get(0)?,
            holder: row.get(1)?,
            resource: row.get(2)?,
            since: parse_ts(&row.get::<String>(3)?)?,
            last_write_at: parse_ts(&row.get::<String>(4)?)?,
        });
        Ok(())
    })?;
    Ok(out)
}

pub(super) fn release_leases(tx: &Db, agent_id: i64) -> Result<()> {
    tx.execute("DELETE FROM leases WHERE holder = ?1", params![agent_id])?;
    Ok(())
}

/// The permit for writing `paths`: every path is checked; the session takes (or keeps) the
/// lease of each path nobody else has a claim on.
pub(super) fn ask_permit(
    tx: &Db,
    session: &SessionRef,
    row: &SessionRow,
    paths: &[String],
    settings: &PermitSettings,
    now: DateTime<Utc>,
    record: &mut HookRecord,
) -> Result<()> {
    let rules = CompiledRules::new(rules_in(tx)?.into_iter().map(|r| r.rule).collect());
    for path in paths {
        // Leases are on the repository's file (one in all its checkouts); a rule holds on
        // either name (`repo://<identity>/src/**`, or today's `file:///<folder>/src/**`), and
        // the repository's per-path modes are written for its folder.
        let resource = session.resource(path);
        let file = file_resource(path);
        let by_rule = [&resource, &file]
            .into_iter()
            .find(|name| rules.covering(&[RuleKind::Data], name).next().is_some())
            .unwrap_or(&resource);
        let mut leases = leases_on(tx, &resource, session.branch.as_deref())?;
        for lease in &mut leases {
            lease.resource.clone_from(by_rule);
        }
        let Permit { verdict, conflict } = permit(
            &row.name,
            by_rule,
            &rules,
            &leases,
            settings.mode_for(&file),
            settings.lease_time,
            now,
        );
        // Another branch of the repository changed the file too: a parallel edit (refused
        // in `enforce`, or by the person's choice on it). A refused write changes nothing: the
        // file's lease stays where it is, and it is no write collision either.
        let refused =
            meet_other_branches(tx, session, row, &resource, settings.parallel, now, record)?;
        match conflict {
            _ if refused => {}
            None => take_lease(tx, &resource, row.agent_id, now)?,
            // The person allowed this session one more write while the holder keeps the file.
            Some(_) if use_exemption(tx, &resource, row.agent_id)? => {}
            Some(conflict) => {
                let holder_id = agent_id_by_name(tx, conflict.holder())?;
                let holder_seq = match holder_id {
                    Some(id) => last_write(tx, id, &resource)?,
                    None => None,
                };
                if verdict == PermitVerdict::Deny && record.answer == HookAnswer::GoOn {
                    record.answer =
                        HookAnswer::Deny(deny_reason(path, &conflict, settings.lease_time, now));
                }
                record.clashes.push(PermitClash {
                    path: path.clone(),
                    resource: resource.clone(),
                    conflict,
                    holder_id,
                    holder_seq,
                    verdict,
                });
            }
        }
    }
    Ok(())
}

/// The leases on `resource` that stand in the way of a session on `branch`: a holder on another
/// branch of the repository edits in parallel (its own checkout), not over this one's file.
fn leases_on(tx: &Db, resource: &str, branch: Option<&str>) -> Result<Vec<Lease>> {
    let found = tx.query_opt(
        "SELECT a.name, l.since, l.last_write_at
               FROM leases l JOIN agents a ON a.id = l.holder
               LEFT JOIN sessions s ON s.agent_id = l.holder
              WHERE l.resource = ?1
                AND (?2 IS NULL OR s.branch IS NULL OR s.branch = ?2)",
        params![resource, branch],
        |r| {
            Ok((
                r.get::<String>(0)?,
                r.get::<String>(1)?,
                r.get::<String>(2)?,
            ))
        },
    )?;
    match found {
        None => Ok(Vec::new()),
        Some((holder, since, last)) => Ok(vec![Lease {
            resource: resource.to_owned(),
            holder,
            since: parse_ts(&since)?,
            last_write_at: parse_ts(&last)?,
        }]),
    }
}

/// Whether agent `agent_id` is a coding session (false for an agent Baton does not know).
pub(crate) fn is_session(tx: &Db, agent_id: i64) -> Result<bool> {
    let adapter: Option<String> = tx.query_opt(
        "SELECT adapter FROM agents WHERE id = ?1",
        params![agent_id],
        |row| row.get(0),
    )?;
    Ok(match adapter {
        Some(adapter) => parse_adapter(&adapter)? == AdapterKind::Session,
        None => false,
    })
}

/// The agent holding the file's lease, live or not.
pub(crate) fn lease_holder(tx: &Db, resource: &str) -> Result<Option<i64>> {
    tx.query_opt(
        "SELECT holder FROM leases WHERE resource = ?1",
        params![resource],
        |row| row.get(0),
    )
}

/// Takes the file's lease for `agent_id` (or refreshes one it holds, keeping since when); a
/// lease another session holds, lapsed or granted away from it, moves.
pub(crate) fn take_lease(tx: &Db, resource: &str, agent_id: i64, now: DateTime<Utc>) -> Result<()> {
    tx.execute(
        "INSERT INTO leases (resource, holder, since, last_write_at) VALUES (?1, ?2, ?3, ?3)
         ON CONFLICT (resource) DO UPDATE SET
            since = CASE WHEN leases.holder = excluded.holder THEN leases.since
                         ELSE excluded.since END,
            holder = excluded.holder, last_write_at = excluded.last_write_at",
        params![resource, agent_id, ts(now)],
    )?;
    Ok(())
}

/// The queue's view of a write that met another's claim. Its key is the one the write-collision
/// (or ownership) detector gives the same resource, so the detector's later finding on the same
/// writes joins this one: one cause, one queue item.
pub(super) fn clash_finding(record: &HookRecord, clash: &PermitClash) -> Finding {
    let me = &record.agent_name;
    let outcome = ClashOutcome::of(clash.verdict);
    let refused = outcome == ClashOutcome::Refused;
    let (kind, summary) = match &clash.conflict {
        PermitConflict::Lease { holder, since } => (
            FindingKind::WriteCollision,
            format!(
                "{me} tried to write {} while {holder} holds it (since {} UTC): {outcome}",
                clash.path,
                since.format("%H:%M")
            ),
        ),
        PermitConflict::Owner { owner, pattern } => (
            FindingKind::OwnershipViolation,
            format!(
                "{me} tried to write {}, which the data rule {pattern} gives to {owner}: {outcome}",
                clash.path
            ),
        ),
    };
    let mut agents: Vec<i64> = clash
        .holder_id
        .into_iter()
        .chain([record.agent_id])
        .collect();
    agents.sort_unstable();
    agents.dedup();
    let evidence = match (clash.holder_id, clash.holder_seq) {
        (Some(agent_id), Some(seq)) => vec![EvidenceRef { agent_id, seq }],
        _ => Vec::new(),
    };
    Finding {
        kind,
        severity: if refused {
            Severity::Critical
        } else {
            Severity::Warning
        },
        agents,
        resource: Some(clash.resource.clone()),
        summary,
        evidence,
        dedupe_key: format!("{}:{}", kind.as_str(), clash.resource),
        continues: None,
    }
}

/// Spends the session's "allowed once" for the file, if it has one.
fn use_exemption(tx: &Db, resource: &str, agent_id: i64) -> Result<bool> {
    let used = tx.execute(
        "DELETE FROM lease_exemptions WHERE resource = ?1 AND agent_id = ?2",
        params![resource, agent_id],
    )?;
    Ok(used > 0)
}

impl crate::Store {
    /// Sessions refused a file another session holds whose refusal is still undecided: they
    /// wait for it (the deadlock detector's lease edges).
    pub fn lease_waits(&self) -> Result<Vec<baton_core::detect::deadlock::LeaseWait>> {
        let stmt_sql = "SELECT f.resource, l.holder, f.agents FROM findings f
               JOIN leases l ON l.resource = f.resource
              WHERE f.kind = 'write_collision' AND f.closed_at IS NULL
                AND f.summary LIKE '%: ' || ?1";
        let mut waits = Vec::new();
        // A refused write's finding ends with its outcome (see `clash_finding`).
        let refused = ClashOutcome::Refused.as_str();
        self.db.query_each(stmt_sql, params![refused], |row| {
            let resource: String = row.get(0)?;
            let holder: i64 = row.get(1)?;
            let agents: Vec<i64> =
                crate::codec::parse_json(&row.get::<String>(2)?, "finding agents")?;
            for waiter in agents.into_iter().filter(|a| *a != holder) {
                waits.push(baton_core::detect::deadlock::LeaseWait {
                    waiter,
                    holder,
                    resource: resource.clone(),
                });
            }
            Ok(())
        })?;
        waits.sort_unstable();
        waits.dedup();
        Ok(waits)
    }
}
