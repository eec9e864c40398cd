//! Several watchers on one store (`baton watch` processes, apps with watching on), each agent
//! polled by exactly one of them. Every watcher has a row in `watcher_runs` and renews its
//! heartbeat there; who may act on a subject (`agent:<id>`: poll it and store what it answers;
//! `detectors`: run the detectors) is a lease in `watch_leases`, held until `expires_ms` in the
//! database's clock (`clock_ms()`), renewed by each heartbeat. A lease that lapsed is free for
//! another watcher, which takes it with the next `epoch`: the fencing token the holder's writes
//! carry ([`Store::check_fence`], inside the write's own transaction), so a watcher that was cut
//! off or paused past its term stores nothing once another holds the subject.
//!
//! Who holds a subject changes only under the store's write lock ([`crate::db::Db::begin_write`]):
//! a heartbeat that takes or rejoins ([`Store::share_out`]), a watcher leaving. A
//! fenced write holds the lock too, so the lease it checked stays its own until it commits.
//! A plain renewal ([`Store::renew_leases`], most heartbeats) does not wait for that lock: it
//! only moves the expiry of the watcher's own live leases and its own row's heartbeat, rows
//! nobody else writes while they are live; the row locks PostgreSQL takes on them order it
//! against a takeover of a lease lapsing at that very moment (the takeover's upsert waits for
//! the renewal and then sees the new expiry). A heartbeat's take waits for the lock only so
//! long ([`Store::try_share_out`]): put off to the next heartbeat, it does not hold up the
//! renewals behind it while a long write (a group of polls, a detector run) holds the lock.
//!
//! A watcher over its share (another joined) does not drop what is over it: it offers those
//! leases (`offered_ms`) and goes on polling them until another watcher takes them, which a
//! take does as it does a lapsed lease (the next epoch). The agent's polls pass from one
//! watcher to the other with no gap between (make before break); the taker polls each an
//! interval after the giver's last poll of it.

mod held;
mod renewal;

use std::time::Duration;

pub use held::{agent_subject, Fence, Holdings, DETECTORS};
use held::{holdings_in, offer_over, FORGET_AFTER_MS, RENEW_LEASES_SQL, RENEW_ROW_SQL};
pub use renewal::Renewal;

use crate::changes::{self, ChangeKind};
use crate::codec::ts;
use crate::db::{params, ReadAhead, ReadRows, Row, RowsSql};
use crate::error::{Result, StoreError};
use crate::Store;

/// A watcher as it joins: a name for people, its machine and process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatcherSpec {
    pub name: String,
    pub host: String,
    pub pid: u32,
}

pub use baton_core::presence::WatcherView;

fn ms_to_rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map_or_else(String::new, ts)
}

/// A lease as a write under it checks it: who holds it, its epoch, whether it is in force (a
/// group's leases in one statement on PostgreSQL).
static LEASE_READ: RowsSql = RowsSql {
    before: "SELECT v.column1, x.* FROM (VALUES",
    columns: 1,
    after: ") AS v, LATERAL (
                SELECT l.watcher_id, l.epoch, l.expires_ms > clock_ms() FROM watch_leases l
                 WHERE l.subject = v.column2 OFFSET 0) AS x",
    key: &[],
    one: Some(
        "SELECT watcher_id, epoch, expires_ms > clock_ms() FROM watch_leases WHERE subject = ?1",
    ),
    numbered: true,
    anytime: false,
};

impl Store {
    /// Notes a new watcher; its id. It holds nothing until its first [`Store::heartbeat`].
    pub fn join_watchers(&mut self, spec: &WatcherSpec, ttl_ms: i64) -> Result<i64> {
        let tx = self.write_tx()?;
        let id = tx.query_row(
            "INSERT INTO watcher_runs (name, host, pid, started_at, heartbeat_ms, ttl_ms)
             VALUES (?1, ?2, ?3, ?4, clock_ms(), ?5) RETURNING id",
            params![
                spec.name.as_str(),
                spec.host.as_str(),
                i64::from(spec.pid),
                ts(chrono::Utc::now()),
                ttl_ms.max(1)
            ],
            |r| r.get(0),
        )?;
        changes::record(&tx, ChangeKind::Watchers, id, "")?;
        tx.commit()?;
        Ok(id)
    }

    /// One heartbeat of watcher `id`: [`Store::renew_leases`] (without the store's write
    /// lock), then, when something is to move, [`Store::share_out`] (with it). Returns what it
    /// holds now.
    pub fn heartbeat(
        &mut self,
        spec: &WatcherSpec,
        id: i64,
        ttl_ms: i64,
        detectors: bool,
    ) -> Result<Holdings> {
        let renewal = self.renew_leases(id, ttl_ms, detectors)?;
        if !renewal.reshare {
            return Ok(renewal.holdings);
        }
        self.share_out(spec, id, ttl_ms, detectors)
    }

    /// A heartbeat that shares out, in one write under the store's write lock: watcher `id`'s
    /// row renewed (written again if it was forgotten), the leases it still holds renewed for
    /// `ttl_ms` (lapsed ones are not: they are lost), then its share of the agents taken from
    /// those nobody holds or another watcher offers (a share is the agents to poll over the
    /// live watchers, rounded up), leases over its share offered to the others (it polls them
    /// until one takes them), and the detectors' lease taken when it is free and `detectors`
    /// is asked. Returns what it holds now.
    pub fn share_out(
        &mut self,
        spec: &WatcherSpec,
        id: i64,
        ttl_ms: i64,
        detectors: bool,
    ) -> Result<Holdings> {
        self.share_out_waiting(spec, id, ttl_ms, detectors, None)
    }

    /// [`Store::share_out`] that waits at most `wait` for the store's write lock (on
    /// PostgreSQL; SQLite's writer lock is taken as by any write): `None` when another write
    /// held it longer, with nothing changed. A heartbeat's take, put off to the next
    /// heartbeat rather than holding up the renewals behind it while a long write (a group
    /// of polls, a detector run) holds the lock.
    pub fn try_share_out(
        &mut self,
        spec: &WatcherSpec,
        id: i64,
        ttl_ms: i64,
        detectors: bool,
        wait: Duration,
    ) -> Result<Option<Holdings>> {
        match self.share_out_waiting(spec, id, ttl_ms, detectors, Some(wait)) {
            Err(err) if err.is_lock_wait_over() => Ok(None),
            done => done.map(Some),
        }
    }

    fn share_out_waiting(
        &mut self,
        spec: &WatcherSpec,
        id: i64,
        ttl_ms: i64,
        detectors: bool,
        wait: Option<Duration>,
    ) -> Result<Holdings> {
        let ttl_ms = ttl_ms.max(1);
        let tx = match wait {
            Some(wait) => self.write_tx_within(wait)?,
            None => self.write_tx()?,
        };
        let renewed = tx.execute(RENEW_ROW_SQL, params![id, ttl_ms])?;
        let rejoined = renewed == 0;
        if rejoined {
            tx.execute(
                "INSERT INTO watcher_runs (id, name, host, pid, started_at, heartbeat_ms, ttl_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, clock_ms(), ?6)",
                params![
                    id,
                    spec.name.as_str(),
                    spec.host.as_str(),
                    i64::from(spec.pid),
                    ts(chrono::Utc::now()),
                    ttl_ms
                ],
            )?;
        }
        let forgotten = tx.execute(
            "DELETE FROM watcher_runs WHERE heartbeat_ms < clock_ms() - ?1",
            params![FORGET_AFTER_MS],
        )?;
        // Who holds what is shown (the app, `baton status`): a change when it moves, not at
        // each renewal.
        let mut moved = rejoined || forgotten > 0;
        tx.execute(RENEW_LEASES_SQL, params![id, ttl_ms])?;
        let live: i64 = tx.query_row(
            "SELECT count(*) FROM watcher_runs
             WHERE left_at IS NULL AND heartbeat_ms + ttl_ms > clock_ms()",
            params![],
            |r| r.get(0),
        )?;
        let polled: i64 = tx.query_row(
            "SELECT count(*) FROM agents WHERE adapter NOT IN ('session', 'otlp')",
            params![],
            |r| r.get(0),
        )?;
        let share = (polled + live.max(1) - 1) / live.max(1);
        let mut before = holdings_in(&tx, id, rejoined)?;
        let held = i64::try_from(before.agents.len()).unwrap_or(i64::MAX);
        // Both in one statement each, however many agents move: the heartbeat holds the
        // store's write lock meanwhile, and the other watchers' heartbeats wait for it (a
        // takeover of 67 agents was 67 round trips).
        if held < share {
            // Up to its share, each with the next epoch: free agents (no lease, or a lapsed
            // one) first, the oldest first, then those another watcher offers (it polls them
            // until now; its writes are refused from here on by their fence).
            moved |= tx.execute(
                "INSERT INTO watch_leases (subject, agent_id, watcher_id, epoch, expires_ms)
                 SELECT 'agent:' || a.id, a.id, ?1, 1, clock_ms() + ?2
                   FROM agents a LEFT JOIN watch_leases l ON l.agent_id = a.id
                  WHERE a.adapter NOT IN ('session', 'otlp')
                    AND (l.subject IS NULL OR l.expires_ms <= clock_ms()
                         OR (l.offered_ms IS NOT NULL AND l.watcher_id <> ?1))
                  ORDER BY CASE WHEN l.expires_ms > clock_ms() THEN 1 ELSE 0 END, a.id
                  LIMIT ?3
                 ON CONFLICT (subject) DO UPDATE SET watcher_id = excluded.watcher_id,
                        epoch = watch_leases.epoch + 1, expires_ms = excluded.expires_ms,
                        offered_ms = NULL
                 WHERE watch_leases.expires_ms <= clock_ms()
                    OR (watch_leases.offered_ms IS NOT NULL
                        AND watch_leases.watcher_id <> excluded.watcher_id)",
                params![id, ttl_ms, share - held],
            )? > 0;
        }
        // What is over its share is offered (what is not, no longer): the others are woken to
        // take it by the change recorded below.
        moved |= offer_over(&tx, id, &mut before, share)? > 0;
        if detectors {
            moved |= claim_in(&tx, DETECTORS, None, id, ttl_ms)?;
        }
        if moved {
            changes::record(&tx, ChangeKind::Watchers, id, "")?;
        }
        let holdings = holdings_in(&tx, id, rejoined)?;
        tx.commit()?;
        Ok(holdings)
    }

    /// Watcher `id` stops: every lease it holds lapses now (others take them at their next
    /// heartbeat) and its row says it left. Its outbox claims go back too.
    pub fn leave_watchers(&mut self, id: i64) -> Result<()> {
        let tx = self.write_tx()?;
        tx.execute(
            "UPDATE watch_leases SET expires_ms = 0 WHERE watcher_id = ?1",
            params![id],
        )?;
        tx.execute(
            "UPDATE watcher_runs SET left_at = ?2 WHERE id = ?1",
            params![id, ts(chrono::Utc::now())],
        )?;
        tx.execute(
            "UPDATE outbox SET claimed_by = NULL, claimed_until_ms = NULL
             WHERE claimed_by = ?1 AND delivered_at IS NULL",
            params![id],
        )?;
        changes::record(&tx, ChangeKind::Watchers, id, "")?;
        tx.commit()
    }

    /// Refuses, inside the current write, to go on unless `fence` still holds its subject:
    /// same watcher, same epoch, term not lapsed (the database's clock). Call it first in a
    /// fenced write: its error rolls the write back.
    pub fn check_fence(&self, fence: &Fence) -> Result<()> {
        let mut ahead = ReadAhead::default();
        Store::fence_reads(fence, &mut ahead);
        Store::fence_read(fence, &mut self.db.read_ahead(&ahead)?)
    }

    /// Lists the read of `fence`'s lease, for [`Store::fence_read`] in a write that reads
    /// first.
    pub fn fence_reads(fence: &Fence, ahead: &mut ReadAhead) {
        ahead.read_keyed(&LEASE_READ, params![fence.subject.as_str()]);
    }

    /// [`Store::check_fence`] with the lease read ahead ([`Store::fence_reads`], in the same
    /// write transaction: the store's write lock keeps it as read until the commit).
    pub fn fence_read(fence: &Fence, rows: &mut ReadRows) -> Result<()> {
        let found: Option<(i64, i64, bool)> = match rows.take()?.first() {
            Some(r) => Some((r.get(0)?, r.get(1)?, r.get(2)?)),
            None => None,
        };
        let reason = match found {
            Some((watcher, epoch, true)) if watcher == fence.watcher_id && epoch == fence.epoch => {
                return Ok(())
            }
            Some((watcher, epoch, _)) if watcher != fence.watcher_id || epoch != fence.epoch => {
                format!("watcher {watcher} holds it now (epoch {epoch})")
            }
            Some(_) => "its lease lapsed".to_owned(),
            None => "nobody holds it".to_owned(),
        };
        Err(StoreError::Fenced {
            subject: fence.subject.clone(),
            reason,
        })
    }

    /// Every watcher that has not been forgotten, the live first, each with what it holds.
    pub fn watchers_view(&self) -> Result<Vec<WatcherView>> {
        let mut watchers: Vec<WatcherView> = self.db.query_map(
            "SELECT id, name, host, pid, started_at, heartbeat_ms, clock_ms() - heartbeat_ms,
                    ttl_ms, left_at IS NULL AND heartbeat_ms + ttl_ms > clock_ms(), left_at
             FROM watcher_runs ORDER BY id",
            params![],
            |r: &Row<'_>| {
                Ok(WatcherView {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    host: r.get(2)?,
                    pid: r.get(3)?,
                    started_at: r.get(4)?,
                    heartbeat_at: ms_to_rfc3339(r.get(5)?),
                    heartbeat_age_ms: r.get(6)?,
                    ttl_ms: r.get(7)?,
                    live: r.get(8)?,
                    left_at: r.get(9)?,
                    agents: Vec::new(),
                    detectors: false,
                })
            },
        )?;
        let held: Vec<(i64, Option<i64>, Option<String>, String)> = self.db.query_map(
            "SELECT l.watcher_id, l.agent_id, a.name, l.subject FROM watch_leases l
               LEFT JOIN agents a ON a.id = l.agent_id
             WHERE l.expires_ms > clock_ms() ORDER BY l.agent_id",
            params![],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?;
        for (watcher_id, agent_id, name, subject) in held {
            let Some(watcher) = watchers.iter_mut().find(|w| w.id == watcher_id) else {
                continue;
            };
            match agent_id {
                Some(agent_id) => watcher.agents.push((agent_id, name.unwrap_or_default())),
                None if subject == DETECTORS => watcher.detectors = true,
                None => {}
            }
        }
        watchers.sort_by_key(|w| (!w.live, w.id));
        Ok(watchers)
    }

    /// Each agent's lease, live or lapsed: (agent id, watcher id, epoch, live), by agent.
    pub fn agent_leases(&self) -> Result<Vec<(i64, i64, i64, bool)>> {
        self.db.query_map(
            "SELECT agent_id, watcher_id, epoch, expires_ms > clock_ms() FROM watch_leases
             WHERE agent_id IS NOT NULL ORDER BY agent_id",
            params![],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
    }
}

/// Takes `subject` for watcher `id` when nobody holds it (no row, or a lapsed one): the next
/// epoch. True when taken.
fn claim_in(
    db: &crate::db::Db,
    subject: &str,
    agent_id: Option<i64>,
    id: i64,
    ttl_ms: i64,
) -> Result<bool> {
    let taken = db.execute(
        "INSERT INTO watch_leases (subject, agent_id, watcher_id, epoch, expires_ms)
         VALUES (?1, ?2, ?3, 1, clock_ms() + ?4)
         ON CONFLICT (subject) DO UPDATE SET watcher_id = excluded.watcher_id,
                epoch = watch_leases.epoch + 1, expires_ms = excluded.expires_ms
         WHERE watch_leases.expires_ms <= clock_ms()",
        params![subject, agent_id, id, ttl_ms],
    )?;
    Ok(taken > 0)
}
