//! A heartbeat's renewal: the watcher's row and its live leases renewed in a transaction that
//! does not take the store's write lock, so that a heartbeat never waits behind the poll
//! groups of every watcher on the store (on PostgreSQL each holds that lock for its round
//! trips; on a loaded machine for seconds). It writes only rows of its own (its row, the
//! expiry of its own live leases) and records no change (who holds what does not move), and
//! it tells whether something is to move, which [`Store::share_out`] then does under the lock.
//!
//! One thing it changes itself: offering what is over its share (a watcher joined). That too
//! writes only its own live leases (their offer), and waiting for the lock there was what cut
//! watchers off after each join on a loaded machine (their renewals queued behind the
//! give-back's wait). The watcher keeps polling what it offers until another takes it under
//! the lock ([`Store::share_out`], the next epoch). It records no change; the watcher then says
//! what it offered in a write of its own ([`Store::announce_offered`]), not waited for, so
//! that the others' change feeds wake their heartbeats to take those agents at once, rather
//! than at their next heartbeat.

use super::held::{
    holdings_of, lease_row, offer_over, Holdings, DETECTORS, FORGET_AFTER_MS, HOLDINGS_SQL,
    RENEW_LEASES_SQL, RENEW_ROW_SQL,
};
use crate::db::params;
use crate::error::Result;
use crate::Store;

/// What a heartbeat's renewal found ([`Store::renew_leases`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Renewal {
    /// What the watcher holds, its live leases renewed.
    pub holdings: Holdings,
    /// Something is to move under the store's write lock: agents nobody holds while this
    /// watcher holds fewer than its share, the detectors' lease free (when asked for), its
    /// row gone (forgotten), or watchers to forget. [`Store::share_out`] next.
    pub reshare: bool,
    /// Agents newly offered to the others (over its share): still in `holdings`, polled
    /// until another watcher takes them.
    pub offered: usize,
}

/// What the renewal reads, in one statement: whether the watcher's row is there, how many
/// watchers are to be forgotten, the live watchers, the agents to poll, whether one is free
/// (or offered by another watcher), whether the detectors' lease is held.
const STANDING_SQL: &str = "SELECT
       (SELECT count(*) FROM watcher_runs WHERE id = ?1),
       (SELECT count(*) FROM watcher_runs WHERE heartbeat_ms < clock_ms() - ?2),
       (SELECT count(*) FROM watcher_runs
         WHERE left_at IS NULL AND heartbeat_ms + ttl_ms > clock_ms()),
       (SELECT count(*) FROM agents WHERE adapter NOT IN ('session', 'otlp')),
       EXISTS (SELECT 1 FROM agents a LEFT JOIN watch_leases l ON l.agent_id = a.id
                WHERE a.adapter NOT IN ('session', 'otlp') AND (l.subject IS NULL OR l.expires_ms <= clock_ms()
                      OR (l.offered_ms IS NOT NULL AND l.watcher_id <> ?1))),
       EXISTS (SELECT 1 FROM watch_leases WHERE subject = ?3 AND expires_ms > clock_ms())";

impl Store {
    /// Records that watcher `id` offered agents (its renewal did, without the lock): a change
    /// of who is to hold what, which the other watchers' change feeds read and take as the
    /// signal to take them now.
    pub fn announce_offered(&mut self, id: i64) -> Result<()> {
        let tx = self.write_tx()?;
        crate::changes::record(&tx, crate::changes::ChangeKind::Watchers, id, "")?;
        tx.commit()?;
        Ok(())
    }

    /// Renews watcher `id`: its row's heartbeat, and its leases still live for `ttl_ms` more
    /// (lapsed ones are not renewed: they are lost), without the store's write lock (see the
    /// module). Two round trips on PostgreSQL. Says what it holds and whether its share is to
    /// be taken or given back ([`Renewal::reshare`]): `detectors` asks for the detectors'
    /// lease too.
    pub fn renew_leases(&mut self, id: i64, ttl_ms: i64, detectors: bool) -> Result<Renewal> {
        let ttl_ms = ttl_ms.max(1);
        let tx = self.write_tx_unlocked()?;
        tx.execute_later(RENEW_ROW_SQL, params![id, ttl_ms])?;
        tx.execute_later(RENEW_LEASES_SQL, params![id, ttl_ms])?;
        let mut standing = (0_i64, 0_i64, 0_i64, 0_i64, false, false);
        let mut leases = Vec::new();
        tx.query_together(
            &[
                (STANDING_SQL, params![id, FORGET_AFTER_MS, DETECTORS]),
                (HOLDINGS_SQL, params![id]),
            ],
            |read, r| {
                if read == 0 {
                    standing = (
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                    );
                } else {
                    leases.push(lease_row(r)?);
                }
                Ok(())
            },
        )?;
        let (present, forgettable, live, polled, one_free, detectors_held) = standing;
        let mut holdings = holdings_of(leases, false);
        let share = (polled + live.max(1) - 1) / live.max(1);
        let held = i64::try_from(holdings.agents.len()).unwrap_or(i64::MAX);
        let reshare = present == 0
            || forgettable > 0
            || (held < share && one_free)
            || (detectors && !detectors_held);
        // A share out makes the offers itself; else they follow the share here (made, or
        // withdrawn when the share grew back).
        let offered = if reshare {
            0
        } else {
            offer_over(&tx, id, &mut holdings, share)?
        };
        tx.commit()?;
        Ok(Renewal {
            holdings,
            reshare,
            offered,
        })
    }
}
