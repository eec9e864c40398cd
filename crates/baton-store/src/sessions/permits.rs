//! File leases and the permit a write asks for before it happens, and the queue item for a
//! write that met another agent's claim.

use crate::changes::{self, ChangeKind};
use crate::db::{params, Db};
use baton_core::agent::AdapterKind;
use baton_core::detect::{EvidenceRef, Finding, FindingKind, Severity};
use baton_core::hooks::{
    deny_reason, file_resource, lease_branch, lease_meets, permit, ClashOutcome, HookAnswer, Lease,
    Permit, PermitConflict, PermitVerdict,
};
use baton_core::rules::{MapLease, RuleKind};
use chrono::{DateTime, Duration, Utc};

use super::parallel::{last_write, meet_other_branches};
use super::permit_reads::{named_branch, read_lease, PermitReads, LEASE_ROWS};
use super::record::{HookRecord, PermitClash, PermitSettings, SessionRef, SessionRow};
use crate::agents::agent_id_by_name;
use crate::codec::{parse_adapter, parse_ts, ts};
use crate::error::Result;
use crate::Store;

impl Store {
    /// Live leases (at `now`, for `lease_time`), oldest first.
    pub fn leases(&self, now: DateTime<Utc>, lease_time: Duration) -> Result<Vec<Lease>> {
        let stmt_sql = format!(
            "{LEASE_ROWS} WHERE l.last_write_at > ?1 ORDER BY l.since, l.resource, l.branch"
        );
        self.db
            .query_map(&stmt_sql, params![ts(now - lease_time)], read_lease)
    }
}

/// Every lease, lapsed or not (the map shows its age), oldest first.
pub(crate) fn map_leases(conn: &Db) -> Result<Vec<MapLease>> {
    let stmt_sql = "SELECT l.holder, a.name, l.resource, l.branch, l.since, l.last_write_at
           FROM leases l JOIN agents a ON a.id = l.holder
          ORDER BY l.since, l.resource, l.branch";
    conn.query_map(stmt_sql, params![], |row| {
        Ok(MapLease {
            holder_id: row.get(0)?,
            holder: row.get(1)?,
            resource: row.get(2)?,
            branch: named_branch(row.get(3)?),
            since: parse_ts(&row.get::<String>(4)?)?,
            last_write_at: parse_ts(&row.get::<String>(5)?)?,
        })
    })
}

/// [`release_leases`] of the worker of `row`, as read with it (the call took none since: only
/// a write's permit takes one): none held, nothing to do; some, released with the call's other
/// writes.
pub(super) fn release_row_leases(tx: &Db, row: &SessionRow) -> Result<()> {
    match row.held_leases {
        Some(false) => Ok(()),
        Some(true) => {
            tx.execute_later(
                "DELETE FROM leases WHERE holder = ?1",
                params![row.agent_id],
            )?;
            changes::record(tx, ChangeKind::Leases, 0, "")
        }
        None => release_leases(tx, row.agent_id),
    }
}

pub(super) fn release_leases(tx: &Db, agent_id: i64) -> Result<()> {
    if tx.execute("DELETE FROM leases WHERE holder = ?1", params![agent_id])? > 0 {
        changes::record(tx, ChangeKind::Leases, 0, "")?;
    }
    Ok(())
}

/// The permit for writing `paths`: every path is checked; the session takes (or keeps) the
/// lease of each path nobody else on its branch has a claim on. `reads` holds the rules and
/// the leases on the paths' files, read with the session's row.
#[allow(clippy::too_many_arguments)]
pub(super) fn ask_permit(
    tx: &Db,
    session: &SessionRef,
    row: &SessionRow,
    paths: &[String],
    reads: &PermitReads,
    settings: &PermitSettings,
    now: DateTime<Utc>,
    record: &mut HookRecord,
) -> Result<()> {
    let rules = reads.rules();
    let branch = row.branch.clone();
    for path in paths {
        // Leases are on the repository's file (one in all its checkouts) and branch; a rule holds on
        // either name (`repo://<identity>/src/**`, or today's `file:///<folder>/src/**`), and
        // the repository's per-path modes are written for its folder.
        let resource = session.resource(path);
        let file = file_resource(path);
        let by_rule = [&resource, &file]
            .into_iter()
            .find(|name| rules.covering(&[RuleKind::Data], name).next().is_some())
            .unwrap_or(&resource);
        let kept_for = lease_branch(&resource, branch.as_deref());
        let mut leases = reads.leases_on(&resource, kept_for);
        // A call recorded late: the files others wrote since its lease time before it held
        // them then (or took them since), whether or not their leases are still kept.
        if settings.unchecked.is_some() {
            let since = now - settings.lease_time;
            leases.extend(writers_since(tx, &resource, kept_for, row.agent_id, since)?);
        }
        for lease in &mut leases {
            lease.resource.clone_from(by_rule);
            // The holder's machine is named when it is another than this session's.
            if lease.host.is_some() && lease.host == session.host {
                lease.host = None;
            }
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
            meet_other_branches(reads, session, row, &resource, settings.parallel, record);
        match conflict {
            _ if refused => {}
            None => take_lease_on(tx, &resource, row.agent_id, branch.as_deref(), now)?,
            // The person allowed this session one more write while the holder keeps the file.
            Some(_) if reads.exempted(&resource, row.agent_id) => {
                use_exemption(tx, &resource, row.agent_id)?;
            }
            Some(conflict) => {
                // A lease's holder was read with the permit; a rule's owner is looked up.
                let (holder_id, holder_seq) = match reads.holder(&resource, conflict.holder()) {
                    Some(holder) => (Some(holder.agent_id), holder.last_write),
                    None => match agent_id_by_name(tx, conflict.holder())? {
                        Some(id) => (Some(id), last_write(tx, id, &resource)?),
                        None => (None, None),
                    },
                };
                let checked = settings.unchecked.is_none();
                if verdict == PermitVerdict::Deny && record.answer == HookAnswer::GoOn && checked {
                    record.answer =
                        HookAnswer::Deny(deny_reason(path, &conflict, settings.lease_time, now));
                }
                // A holder on another machine: the item names both.
                let writer_host = match &conflict {
                    PermitConflict::Lease { host: Some(_), .. } => session.host.clone(),
                    _ => None,
                };
                record.clashes.push(PermitClash {
                    writer_host,
                    path: path.clone(),
                    resource: resource.clone(),
                    conflict,
                    holder_id,
                    holder_seq,
                    verdict,
                    unchecked: settings.unchecked.clone(),
                });
            }
        }
    }
    Ok(())
}

/// The branch session `agent_id` is on (a subagent: its session's; None: no branch, or no
/// session).
pub(crate) fn session_branch(tx: &Db, agent_id: i64) -> Result<Option<String>> {
    Ok(tx
        .query_opt(
            "SELECT s.branch FROM sessions s
              WHERE s.agent_id = coalesce(
                    (SELECT sa.session_agent_id FROM subagents sa WHERE sa.agent_id = ?1), ?1)",
            params![agent_id],
            |row| row.get::<Option<String>>(0),
        )?
        .flatten())
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

/// Whether agent `agent_id` holds a lease on the file (on any branch, live or not).
pub(crate) fn holds_lease(tx: &Db, resource: &str, agent_id: i64) -> Result<bool> {
    Ok(tx
        .query_opt(
            "SELECT 1 FROM leases WHERE resource = ?1 AND holder = ?2",
            params![resource, agent_id],
            |row| row.get::<i64>(0),
        )?
        .is_some())
}

/// Takes the file's lease on the branch of session `agent_id` (or refreshes one it holds,
/// keeping since when); a lease another session holds there, lapsed or granted away from it,
/// moves, and so do the leases with no branch that meet it (all of the file's, for a session
/// with no branch): after it, no other lease stands in the session's way.
pub(crate) fn take_lease(tx: &Db, resource: &str, agent_id: i64, now: DateTime<Utc>) -> Result<()> {
    let branch = session_branch(tx, agent_id)?;
    take_lease_on(tx, resource, agent_id, branch.as_deref(), now)
}

/// [`take_lease`] for a session known to be on `branch`. Nobody reads what these writes
/// return: they go out with the call's next statement or its commit.
fn take_lease_on(
    tx: &Db,
    resource: &str,
    agent_id: i64,
    branch: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    let branch = lease_branch(resource, branch);
    tx.execute_later(
        "DELETE FROM leases WHERE resource = ?1 AND branch <> ?2 AND (branch = '' OR ?2 = '')",
        params![resource, branch],
    )?;
    tx.execute_later(
        "INSERT INTO leases (resource, branch, holder, since, last_write_at)
         VALUES (?1, ?2, ?3, ?4, ?4)
         ON CONFLICT (resource, branch) DO UPDATE SET
            since = CASE WHEN leases.holder = excluded.holder THEN leases.since
                         ELSE excluded.since END,
            holder = excluded.holder, last_write_at = excluded.last_write_at",
        params![resource, branch, agent_id, ts(now)],
    )?;
    changes::record(tx, ChangeKind::Leases, 0, "")
}

/// The other workers that wrote `resource` since `since`, as the leases they held or took
/// (kept for `kept_for`'s branch): what a call recorded late meets, whether or not their
/// turns have ended and their leases gone since.
fn writers_since(
    tx: &Db,
    resource: &str,
    kept_for: &str,
    writer: i64,
    since: DateTime<Utc>,
) -> Result<Vec<Lease>> {
    let found = tx.query_map(
        "SELECT a.name, s.branch, min(e.at), max(e.at), s.host, sa.agent_id IS NOT NULL
           FROM events e JOIN agents a ON a.id = e.agent_id
           LEFT JOIN subagents sa ON sa.agent_id = e.agent_id
           LEFT JOIN sessions s ON s.agent_id = coalesce(sa.session_agent_id, e.agent_id)
          WHERE e.resource = ?1 AND e.kind = 'write' AND e.agent_id <> ?2 AND e.at > ?3
          GROUP BY a.name, s.branch, s.host, sa.agent_id",
        params![resource, writer, ts(since)],
        |row| {
            let branch: Option<String> = row.get(1)?;
            Ok(Lease {
                resource: resource.to_owned(),
                branch: Some(lease_branch(resource, branch.as_deref()).to_owned())
                    .filter(|kept| !kept.is_empty()),
                holder: row.get(0)?,
                host: row.get(4)?,
                by_subagent: row.get(5)?,
                since: parse_ts(&row.get::<String>(2)?)?,
                last_write_at: parse_ts(&row.get::<String>(3)?)?,
            })
        },
    )?;
    Ok(found
        .into_iter()
        .filter(|lease| lease_meets(lease.branch.as_deref().unwrap_or_default(), kept_for))
        .collect())
}

/// The queue's view of a write that met another's claim. Its key is the one the write-collision
/// (or ownership) detector gives the same resource, so the detector's later finding on the same
/// writes joins this one: one cause, one queue item.
pub(super) fn clash_finding(record: &HookRecord, clash: &PermitClash) -> Finding {
    let me = &record.agent_name;
    let outcome = ClashOutcome::of(clash.verdict);
    let refused = outcome == ClashOutcome::Refused;
    // On two machines, each is named (on one, neither).
    let on = |host: Option<&str>| host.map_or(String::new(), |h| format!(" on {h}"));
    let mine = on(clash.writer_host.as_deref());
    let (kind, summary) = match (&clash.conflict, &clash.unchecked) {
        (PermitConflict::Lease { holder, host, .. }, Some(late)) => (
            FindingKind::WriteCollision,
            format!(
                "{me}{mine} wrote {} unchecked at {} UTC while {holder}{} held it: {}",
                clash.path,
                late.at.format("%H:%M"),
                on(host.as_deref()),
                late.why
            ),
        ),
        (
            PermitConflict::Lease {
                holder,
                host,
                since,
                ..
            },
            None,
        ) => (
            FindingKind::WriteCollision,
            format!(
                "{me}{mine} tried to write {} while {holder}{} holds it (since {} UTC): \
                 {outcome}",
                clash.path,
                on(host.as_deref()),
                since.format("%H:%M")
            ),
        ),
        (PermitConflict::Owner { owner, pattern }, Some(late)) => (
            FindingKind::OwnershipViolation,
            format!(
                "{me} wrote {} unchecked at {} UTC, which the data rule {pattern} gives to \
                 {owner}: {}",
                clash.path,
                late.at.format("%H:%M"),
                late.why
            ),
        ),
        (PermitConflict::Owner { owner, pattern }, None) => (
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

/// Spends the session's "allowed once" for the file (read with the permit): with the call's
/// other writes.
fn use_exemption(tx: &Db, resource: &str, agent_id: i64) -> Result<()> {
    tx.execute_later(
        "DELETE FROM lease_exemptions WHERE resource = ?1 AND agent_id = ?2",
        params![resource, agent_id],
    )
}

impl crate::Store {
    /// Sessions refused a file another session holds on their branch whose refusal is still
    /// undecided: they wait for it (the deadlock detector's lease edges).
    pub fn lease_waits(&self) -> Result<Vec<baton_core::detect::deadlock::LeaseWait>> {
        // Without leases nothing waits: the `EXISTS` (one test, before any row is read) spares
        // a fleet with no coding sessions a scan of its findings at every detector run (12.9
        // ms a call at 1,000 polled agents, where PostgreSQL planned from `findings`).
        let stmt_sql = "SELECT f.resource, l.holder, l.branch, f.agents FROM findings f
               JOIN leases l ON l.resource = f.resource
              WHERE EXISTS (SELECT 1 FROM leases)
                AND f.kind = 'write_collision' AND f.closed_at IS NULL
                AND f.summary LIKE '%: ' || ?1";
        // A refused write's finding ends with its outcome (see `clash_finding`).
        let refused = ClashOutcome::Refused.as_str();
        let held: Vec<(String, i64, String, Vec<i64>)> =
            self.db.query_map(stmt_sql, params![refused], |row| {
                let agents = crate::codec::parse_json(&row.get::<String>(3)?, "finding agents")?;
                Ok((row.get(0)?, row.get(1)?, row.get(2)?, agents))
            })?;
        let mut waits = Vec::new();
        for (resource, holder, held_for, agents) in held {
            for waiter in agents.into_iter().filter(|a| *a != holder) {
                // A holder on another branch is a parallel edit: nobody waits for it.
                let branch = session_branch(&self.db, waiter)?;
                if !lease_meets(&held_for, lease_branch(&resource, branch.as_deref())) {
                    continue;
                }
                waits.push(baton_core::detect::deadlock::LeaseWait {
                    waiter,
                    holder,
                    resource: resource.clone(),
                });
            }
        }
        waits.sort_unstable();
        waits.dedup();
        Ok(waits)
    }
}
