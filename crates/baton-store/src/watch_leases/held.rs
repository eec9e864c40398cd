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
    /// (agent id, epoch), by agent id: the agents it polls, offered ones too.
    pub agents: Vec<(i64, i64)>,
    /// Of those, the ones it offers the others (over its share), by agent id: it polls them
    /// until another watcher takes them.
    pub offered: Vec<i64>,
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

/// The agents watcher `id` is to offer the others, of `mine` (its live agents, by id): all but
/// the oldest `share` (another watcher joined); none when it holds no more than its share.
pub(super) fn over_share(mine: &[i64], share: i64) -> &[i64] {
    let keep = usize::try_from(share.max(0)).unwrap_or(usize::MAX);
    mine.get(keep..).unwrap_or(&[])
}

/// Makes watcher `id`'s offers what is over its `share` of what `holdings` says it holds: its
/// newest agents offered to the others, none of the rest (an offer is withdrawn when the share
/// grew back: the watcher that joined left before taking it). The watcher keeps each agent
/// offered, and polls it, until another takes it with the next epoch (make before break: the
/// agent's polls go on from one watcher to the other, no gap between). One statement, and only
/// when the offers change; the number of agents newly offered. `holdings.offered` follows.
pub(super) fn offer_over(
    db: &crate::db::Db,
    id: i64,
    holdings: &mut Holdings,
    share: i64,
) -> Result<usize> {
    let mine: Vec<i64> = holdings.agents.iter().map(|(agent, _)| *agent).collect();
    let over = over_share(&mine, share);
    if over == holdings.offered.as_slice() {
        return Ok(0);
    }
    let first = over.first().copied().unwrap_or(i64::MAX);
    db.execute(
        "UPDATE watch_leases SET offered_ms = CASE WHEN agent_id >= ?2 THEN clock_ms() END
         WHERE watcher_id = ?1 AND agent_id IS NOT NULL AND expires_ms > clock_ms()
           AND (offered_ms IS NULL) = (agent_id >= ?2)",
        params![id, first],
    )?;
    let newly = over
        .iter()
        .filter(|agent| holdings.offered.binary_search(agent).is_err())
        .count();
    holdings.offered = over.to_vec();
    Ok(newly)
}

/// Watcher `?1`'s row renewed with a term of `?2` ms (and no longer left).
pub(super) const RENEW_ROW_SQL: &str =
    "UPDATE watcher_runs SET heartbeat_ms = clock_ms(), ttl_ms = ?2,
     left_at = NULL WHERE id = ?1";

/// Watcher `?1`'s live leases renewed for `?2` ms (lapsed ones are lost, not renewed).
pub(super) const RENEW_LEASES_SQL: &str = "UPDATE watch_leases SET expires_ms = clock_ms() + ?2
     WHERE watcher_id = ?1 AND expires_ms > clock_ms()";

/// The live leases of watcher `?1`: (subject, agent id, epoch, offered).
pub(super) const HOLDINGS_SQL: &str =
    "SELECT subject, agent_id, epoch, offered_ms IS NOT NULL FROM watch_leases
     WHERE watcher_id = ?1 AND expires_ms > clock_ms() ORDER BY subject";

pub(super) type LeaseRow = (String, Option<i64>, i64, bool);

pub(super) fn lease_row(r: &Row<'_>) -> Result<LeaseRow> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
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
    for (subject, agent_id, epoch, offered) in rows {
        match agent_id {
            Some(agent_id) => {
                holdings.agents.push((agent_id, epoch));
                if offered {
                    holdings.offered.push(agent_id);
                }
            }
            None if subject == DETECTORS => holdings.detectors = Some(epoch),
            None => {}
        }
    }
    holdings.agents.sort_unstable();
    holdings.offered.sort_unstable();
    holdings
}
