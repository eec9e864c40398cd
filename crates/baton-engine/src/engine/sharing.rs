//! Sharing the store with other watchers (`EngineConfig::sharing`). The engine joins the
//! store's watchers, then a heartbeat renews its leases every sixth of the failover time
//! (without waiting for the store's write lock) and, when something is to move, takes its
//! share of the agents (`baton-store`'s `watch_leases`; waiting for that lock a period at
//! most, else at the next heartbeat); after each heartbeat the pollers follow what it holds:
//! one started for each agent it took, stopped for each another watcher took (what it
//! offered: it polls that until then) or it lost. When no
//! heartbeat reaches the store before its term runs out (the network is cut, the server
//! gone), it stops acting at once, before the store's clock lets another watcher take over,
//! and says so; its writes already on their way are refused in the store by their fence. A
//! heartbeat that comes back late is followed by the next at once, and one that used more
//! than half its margin says so (`lateness.rs`). Stopping the engine gives everything back at
//! once.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use baton_store::watch_leases::Holdings;
use chrono::Utc;
use tokio::sync::watch;
use tokio::time::Instant;

use futures_util::FutureExt;

use super::lateness::Lateness;
use super::Engine;
use crate::error::EngineError;
use crate::poll::TakenTexts;
use crate::poller::{FirstPoll, Poller};
use crate::shared::Shared;
use crate::watch_share::{process_gone, Held, ShareLoop, Sharing};

impl Engine {
    /// Joins the watchers (once per engine), takes the first share and starts the heartbeat;
    /// returns how many agents this watcher polls.
    pub(super) async fn start_sharing(&self, sharing: Sharing) -> Result<usize, EngineError> {
        let shared = self.shared();
        shared.sharing.begin();
        // Heartbeats go in a lane of their own: they never wait behind this watcher's polls.
        shared.open_urgent_lane().await?;
        let id = match shared.sharing.watcher_id() {
            Some(id) => id,
            None => {
                self.forget_dead_neighbours(&sharing).await?;
                let spec = sharing.watcher.clone();
                let ttl = i64::try_from(sharing.lease_ms()).unwrap_or(i64::MAX);
                let id = shared.write(move |s| s.join_watchers(&spec, ttl)).await?;
                shared.sharing.set(Held {
                    watcher_id: id,
                    agents: HashMap::new(),
                    offered: HashSet::new(),
                    detectors: None,
                    valid_until: Instant::now(),
                });
                id
            }
        };
        // The first share is polled spread over the interval, as at any start.
        self.beat(id, &sharing, FirstPoll::Spread).await?;
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(heartbeats(self.clone(), id, sharing, stopped));
        let old = self
            .inner
            .share_loop
            .lock()
            .ok()
            .and_then(|mut l| l.replace(ShareLoop { stop, task }));
        if let Some(old) = old {
            let _ = old.stop.send(true);
        }
        Ok(self.polling().len())
    }

    /// Watchers of this machine whose process has ended (killed, crashed) give back what they
    /// held at once, rather than after their term: a watcher restarted on one machine polls
    /// again without a gap.
    async fn forget_dead_neighbours(&self, sharing: &Sharing) -> Result<(), EngineError> {
        let (host, me) = (sharing.watcher.host.clone(), i64::from(sharing.watcher.pid));
        let gone = self
            .shared()
            .write(move |s| {
                let mut gone = Vec::new();
                for w in s.watchers_view()? {
                    if w.live && w.host == host && w.pid != me && process_gone(w.pid) {
                        s.leave_watchers(w.id)?;
                        gone.push(format!("{} (pid {})", w.name, w.pid));
                    }
                }
                Ok(gone)
            })
            .await?;
        for watcher in gone {
            self.shared().sharing.note(
                "holds",
                format!("watcher {watcher} of this machine has ended: what it held is free now"),
            );
        }
        Ok(())
    }

    /// Stops the heartbeat (before `shutdown` takes the admin lock, which a heartbeat may
    /// be waiting for).
    pub(super) async fn stop_heartbeat(&self) {
        let share_loop = self.inner.share_loop.lock().ok().and_then(|mut l| l.take());
        if let Some(share_loop) = share_loop {
            let _ = share_loop.stop.send(true);
            let _ = share_loop.task.await;
        }
    }

    /// Gives back everything this watcher holds (others take it at their next heartbeat).
    /// Its heartbeat and pollers are stopped first (`shutdown`).
    pub(super) async fn leave_sharing(&self) {
        let shared = self.shared();
        if let Some(id) = shared.sharing.watcher_id() {
            shared.sharing.lapse();
            match shared.write_urgent(move |s| s.leave_watchers(id)).await {
                Ok(()) => tracing::info!(watcher_id = id, "left the store's watchers"),
                Err(err) => {
                    tracing::warn!(error = %err, "cannot give the leases back; they lapse on their own");
                }
            }
        }
    }

    /// One heartbeat: renew in the store (without its write lock) and let the pollers follow;
    /// then, when something is to move, take or give back the share (under the lock) and
    /// follow again. `first`: when the agents it takes are polled first. How long the renewal
    /// took, from sending to its answer.
    async fn beat(
        &self,
        id: i64,
        sharing: &Sharing,
        first: FirstPoll,
    ) -> Result<std::time::Duration, EngineError> {
        let shared = self.shared();
        let ttl = i64::try_from(sharing.lease_ms()).unwrap_or(i64::MAX);
        let detectors = shared.config.detect_every_ms > 0;
        let sent = Instant::now();
        let renewal = shared
            .write_urgent(move |s| s.renew_leases(id, ttl, detectors))
            .await?;
        let took = sent.elapsed();
        if renewal.offered > 0 {
            // The others' heartbeats wake on this change and take them now; not waited for (it
            // queues for the store's write lock behind the polls). Meanwhile this watcher
            // polls them on.
            let shared = std::sync::Arc::clone(shared);
            tokio::spawn(async move {
                if let Err(err) = shared.write(move |s| s.announce_offered(id)).await {
                    tracing::debug!(error = %err, "cannot say what this watcher offers");
                }
            });
        }
        self.follow(id, renewal.holdings, sent + sharing.acting_for(), first)
            .await?;
        if renewal.reshare {
            let spec = sharing.watcher.clone();
            let wait = sharing.take_waits_at_most();
            let sent = Instant::now();
            let taken = shared
                .write_urgent(move |s| s.try_share_out(&spec, id, ttl, detectors, wait))
                .await?;
            match taken {
                Some(holdings) => {
                    self.follow(id, holdings, sent + sharing.acting_for(), first)
                        .await?;
                }
                // Another write held the lock longer: the renewal above stands, the next
                // heartbeat asks again.
                None => tracing::debug!(
                    watcher_id = id,
                    ?wait,
                    "take put off: the store's write lock was busy"
                ),
            }
        }
        Ok(took)
    }

    /// Makes the pollers match what the heartbeat says this watcher holds.
    async fn follow(
        &self,
        id: i64,
        holdings: Holdings,
        valid_until: Instant,
        first: FirstPoll,
    ) -> Result<(), EngineError> {
        let shared = self.shared();
        let before = shared.sharing.held();
        let had: BTreeSet<i64> = before
            .as_ref()
            .map(|h| h.agents.keys().copied().collect())
            .unwrap_or_default();
        let detectors = holdings.detectors.map(|epoch| {
            let since = before
                .as_ref()
                .and_then(|h| h.detectors)
                .filter(|(old, _)| *old == epoch)
                .map_or_else(Utc::now, |(_, since)| since);
            (epoch, since)
        });
        let had_detectors = before.as_ref().is_some_and(|h| h.detectors.is_some());
        let holds: BTreeSet<i64> = holdings.agents.iter().map(|(a, _)| *a).collect();
        // Agents held in another term than at the last heartbeat (given up and taken back in
        // between): their pollers remember the earlier term's cursor, and start again.
        let new_terms: HashSet<i64> = holdings
            .agents
            .iter()
            .filter(|(agent, epoch)| {
                before
                    .as_ref()
                    .and_then(|h| h.agents.get(agent))
                    .is_some_and(|was| was != epoch)
            })
            .map(|(agent, _)| *agent)
            .collect();
        let offered: HashSet<i64> = holdings.offered.into_iter().collect();
        let newly_offered = before.as_ref().map_or(offered.len(), |h| {
            offered.iter().filter(|a| !h.offered.contains(a)).count()
        });
        shared.sharing.set(Held {
            watcher_id: id,
            agents: holdings.agents.into_iter().collect(),
            offered,
            detectors,
            valid_until,
        });
        let _admin = self.inner.admin.lock().await;
        if self.inner.stopped.load(std::sync::atomic::Ordering::SeqCst) {
            return Ok(());
        }
        // Pollers of agents no longer held stop; held agents without a running poller get one.
        let gone: Vec<Poller> = {
            let mut pollers = self.pollers();
            let ids: Vec<i64> = pollers
                .iter()
                .filter(|(agent, poller)| {
                    !holds.contains(agent) || new_terms.contains(agent) || poller.is_finished()
                })
                .map(|(agent, _)| *agent)
                .collect();
            ids.into_iter().filter_map(|a| pollers.remove(&a)).collect()
        };
        // Not waited for: a poller's write may be queued behind the store's lock, and the
        // heartbeat loop waiting for it let the term run out (a watcher giving agents back
        // after another joined cut itself off). Their writes on the way are refused by their
        // fence, as at a lapse.
        tokio::spawn(futures_util::future::join_all(
            gone.into_iter().map(Poller::stop),
        ));
        let missing: Vec<i64> = {
            let pollers = self.pollers();
            holds
                .iter()
                .filter(|a| !pollers.contains_key(a))
                .copied()
                .collect()
        };
        if !missing.is_empty() {
            // One read for all: read now, after the take, nobody else writes them any more
            // (the giver's writes on the way are refused by their fence).
            let (agents, mut lasts) = shared
                .read(|s| Ok((s.agents()?, s.cursors_and_healths()?)))
                .await?;
            let texts = taken_texts(shared, missing.clone());
            for agent in agents.into_iter().filter(|a| missing.contains(&a.id)) {
                let token = self.read_token(&agent).await;
                let last = lasts.remove(&agent.id);
                let texts = Some(texts.clone());
                self.spawn_poller_from(agent, token, first, last, texts)
                    .await;
            }
        }
        if newly_offered > 0 {
            shared.sharing.note(
                "holds",
                format!(
                    "watcher {id} offers {newly_offered} agent(s) to the other watchers (over its share): it polls them until one takes them"
                ),
            );
        }
        let took = holds.difference(&had).count();
        let gave = had.difference(&holds).count();
        if took > 0 || gave > 0 || had_detectors != detectors.is_some() || before.is_none() {
            let runs = if detectors.is_some() {
                ", and runs the detectors"
            } else {
                ""
            };
            shared.sharing.note(
                "holds",
                format!(
                    "watcher {id} polls {} agent(s) (took {took}, gave back {gave}){runs}",
                    holds.len()
                ),
            );
        }
        Ok(())
    }

    /// No heartbeat reached the store within the term: act on nothing until one does.
    fn lapse(&self, why: &str) {
        let shared = self.shared();
        shared.sharing.lapse();
        let pollers: Vec<Poller> = self.pollers().drain().map(|(_, p)| p).collect();
        let count = pollers.len();
        // Their writes on the way are refused by their fence; no need to wait for them here.
        tokio::spawn(futures_util::future::join_all(
            pollers.into_iter().map(Poller::stop),
        ));
        shared.sharing.note(
            "cut_off",
            format!(
                "no heartbeat reached the store within the lease term ({why}): stopped polling {count} agent(s) and running the detectors until it answers"
            ),
        );
    }
}

/// Runs `work` to its end while watching the term: when it runs out meanwhile (the last
/// heartbeat failed, or the process was paused past it) the engine stops acting at once, first
/// of all (a laptop waking from sleep stops before anything else runs). None once stopped.
async fn within_term<T>(
    engine: &Engine,
    last_error: &str,
    stopped: &mut watch::Receiver<bool>,
    work: impl std::future::Future<Output = T>,
) -> Option<T> {
    tokio::pin!(work);
    loop {
        let deadline = engine.shared().sharing.valid_until();
        let far = Instant::now() + std::time::Duration::from_secs(3600);
        tokio::select! {
            biased;
            () = tokio::time::sleep_until(deadline.unwrap_or(far)), if deadline.is_some() => {
                engine.lapse(last_error);
            }
            _ = stopped.wait_for(|s| *s) => return None,
            out = &mut work => return Some(out),
        }
    }
}

/// The heartbeat loop of a watcher sharing its store.
async fn heartbeats(engine: Engine, id: i64, sharing: Sharing, mut stopped: watch::Receiver<bool>) {
    const PAUSED: &str = "no heartbeat failed: this process may have been paused";
    let every = sharing.heartbeat_every();
    let shared = std::sync::Arc::clone(engine.shared());
    let mut last_error = String::from(PAUSED);
    let mut lateness = Lateness::new(&sharing);
    let mut next = Instant::now() + every;
    loop {
        let wait = async {
            tokio::select! {
                () = tokio::time::sleep_until(next) => true,
                () = shared.sharing.wake.notified() => false,
            }
        };
        let Some(on_time) = within_term(&engine, &last_error, &mut stopped, wait).await else {
            return;
        };
        // Agents taken now were another watcher's (it died, was cut off or gave them back):
        // polled an interval after its last poll of them, at once when that is past, so a
        // takeover costs the lease's term and a heartbeat, not also up to an interval, and a
        // hand-back keeps each agent's place in the interval.
        let sent = Instant::now();
        // The next is due a period after this one was sent: one that comes back late is
        // followed at once (the term's margin is there to catch up), not a period later. A
        // heartbeat woken early (another watcher joined or gave agents back) keeps the
        // schedule: the watchers' heartbeats stay apart rather than fall into step, so one
        // still looks soon after another's leases lapse (in step, a kill cost a period more).
        if on_time {
            next = sent + every;
        }
        let beat = engine.beat(id, &sharing, FirstPoll::TakenOver);
        match within_term(&engine, &last_error, &mut stopped, beat).await {
            None => return,
            Some(Ok(took)) => {
                PAUSED.clone_into(&mut last_error);
                if let Ok(mut stats) = shared.sharing.heartbeats.lock() {
                    stats.record(took, lateness.is_slow(took));
                }
                if let Some(warning) = lateness.note(took, Instant::now()) {
                    shared.sharing.note("late", warning);
                }
            }
            Some(Err(err)) => {
                tracing::warn!(error = %err, "heartbeat failed");
                last_error = format!("the last heartbeat failed: {err}");
            }
        }
    }
}

/// Starts the read of the digests of the tasks stored as last reported of the agents a
/// heartbeat took (`TakenTexts`): one read for all their first writes, made while their first
/// polls fetch, not before. A failed read leaves each first write to read its own.
fn taken_texts(shared: &Arc<Shared>, agents: Vec<i64>) -> TakenTexts {
    let shared = Arc::clone(shared);
    let read = async move {
        let read = shared.read(move |s| s.reported_digests_of(&agents)).await;
        Arc::new(read.unwrap_or_else(|err| {
            tracing::debug!(error = %err, "cannot read the taken agents' stored tasks");
            HashMap::new()
        }))
    };
    let texts = read.boxed().shared();
    tokio::spawn(texts.clone());
    texts
}
