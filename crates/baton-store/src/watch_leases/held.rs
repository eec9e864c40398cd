//! What a watcher holds and the statements that read and renew it, shared by the heartbeat's
//! two steps: the renewal without the store's write lock (`renewal`) and the share-out under it.

use crate::db::{params, Row};
use crate::error::Result;

/// The subject of the detectors' lease: one watcher runs them for the whole store.
pub const DETECTORS: &str = "detectors";

/// The subject of an agent's lease.
pub fn agent_subject(agent_id: i64) -> String {
    format!("agent:{agent_id}")
}

/// What a holder's writes carry: the watcher and the epoch of its lease on the subject.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fence {
    pub subject: String,
    pub watcher_id: i64,
    pub epoch: i64,
}

/// What a watcher holds after a heartbeat, each lease with its epoch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Holdings {
    /// (agent id, epoch), by agent id.
    pub agents: Vec<(i64, i64)>,
    /// The epoch of the detectors' lease, when this watcher holds it.
    pub detectors: Option<i64>,
    /// True when the watcher's row was gone (pruned after a long silence) and was written again.
    pub rejoined: bool,
}

impl Holdings {
    /// The fence of one agent held here.
    pub fn agent_fence(&self, watcher_id: i64, agent_id: i64) -> Option<Fence> {
        self.agents
            .iter()
            .find(|(id, _)| *id == agent_id)
            .map(|(_, epoch)| Fence {
                subject: agent_subject(agent_id),
                watcher_id,
                epoch: *epoch,
            })
    }
}

/// Rows of watchers silent for longer than this are removed by the next heartbeat.
pub(super) const FORGET_AFTER_MS: i64 = 24 * 3600 * 1000;

/// Over its share (another watcher joined): watcher `id`'s newest agents of `mine` (its live
/// agents, by id) go back, all but `share`; the first agent given back.
pub(super) fn give_back_over(db: &crate::db::Db, id: i64, mine: &[i64], share: i64) -> Result<i64> {
    let keep = usize::try_from(share.max(0)).unwrap_or(usize::MAX);
    let back = mine.get(keep).copied().unwrap_or(i64::MAX);
    db.execute(
        "UPDATE watch_leases SET expires_ms = 0
         WHERE watcher_id = ?1 AND agent_id >= ?2 AND expires_ms > clock_ms()",
        params![id, back],
    )?;
    Ok(back)
}

/// Watcher `?1`'s row renewed with a term of `?2` ms (and no longer left).
pub(super) const RENEW_ROW_SQL: &str =
    "UPDATE watcher_runs SET heartbeat_ms = clock_ms(), ttl_ms = ?2,
     left_at = NULL WHERE id = ?1";

/// Watcher `?1`'s live leases renewed for `?2` ms (lapsed ones are lost, not renewed).
pub(super) const RENEW_LEASES_SQL: &str = "UPDATE watch_leases SET expires_ms = clock_ms() + ?2
     WHERE watcher_id = ?1 AND expires_ms > clock_ms()";

/// The live leases of watcher `?1`: (subject, agent id, epoch).
pub(super) const HOLDINGS_SQL: &str = "SELECT subject, agent_id, epoch FROM watch_leases
     WHERE watcher_id = ?1 AND expires_ms > clock_ms() ORDER BY subject";

pub(super) type LeaseRow = (String, Option<i64>, i64);

pub(super) fn lease_row(r: &Row<'_>) -> Result<LeaseRow> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
}

pub(super) fn holdings_in(db: &crate::db::Db, id: i64, rejoined: bool) -> Result<Holdings> {
    let rows = db.query_map(HOLDINGS_SQL, params![id], lease_row)?;
    Ok(holdings_of(rows, rejoined))
}

pub(super) fn holdings_of(rows: Vec<LeaseRow>, rejoined: bool) -> Holdings {
    let mut holdings = Holdings {
        rejoined,
        ..Holdings::default()
    };
    for (subject, agent_id, epoch) in rows {
        match agent_id {
            Some(agent_id) => holdings.agents.push((agent_id, epoch)),
            None if subject == DETECTORS => holdings.detectors = Some(epoch),
            None => {}
        }
    }
    holdings.agents.sort_unstable();
    holdings
}
