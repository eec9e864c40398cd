//! This engine's part in a store several watchers share (`baton-store`'s `watch_leases`): which
//! agents it holds and with which epoch, whether it runs the detectors, and until when it may
//! act on them without a heartbeat reaching the store. The pollers, the detectors and the relay
//! ask it before they act and carry its fences into their writes; `engine/sharing.rs` keeps it
//! up to date. An engine without sharing (the default) is alone: it acts on every agent.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use baton_store::watch_leases::{agent_subject, Fence, WatcherSpec, DETECTORS};
use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::{broadcast, Notify};
use tokio::time::Instant;

use crate::stats::HeartbeatStats;

/// The default bound on taking over a dead watcher's agents.
pub const DEFAULT_FAILOVER_MS: u64 = 10_000;
/// The shortest failover accepted (a heartbeat every sixth of it).
pub const MIN_FAILOVER_MS: u64 = 600;

/// How this engine shares its store with other watchers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sharing {
    /// Another watcher polls this one's agents within this long after it dies.
    pub failover_ms: u64,
    /// The watcher as `baton status` names it.
    pub watcher: WatcherSpec,
}

impl Sharing {
    /// A watcher named after this machine and process.
    pub fn this_process(failover_ms: u64, name: Option<String>) -> Sharing {
        let host = baton_store::host::this_machine();
        let pid = std::process::id();
        Sharing {
            failover_ms: failover_ms.max(MIN_FAILOVER_MS),
            watcher: WatcherSpec {
                name: name
                    .filter(|n| !n.trim().is_empty())
                    .unwrap_or_else(|| format!("{host}:{pid}")),
                host,
                pid,
            },
        }
    }

    /// A lease's term: two thirds of the failover (the rest covers the others' heartbeat).
    pub fn lease_ms(&self) -> u64 {
        self.failover_ms.max(MIN_FAILOVER_MS) * 2 / 3
    }

    /// How often the heartbeat renews the leases: a sixth of the failover (about four
    /// heartbeats per term, so one or two late ones cost nothing).
    pub fn heartbeat_every(&self) -> Duration {
        Duration::from_millis(self.failover_ms.max(MIN_FAILOVER_MS) / 6)
    }

    /// How long a heartbeat's take waits for the store's write lock before it is put off to
    /// the next heartbeat: a period, so a long write holding the lock (another watcher's
    /// group of polls, a detector run) never holds up the renewals behind it past the term's
    /// margin (the next renewal is sent at most a period late, well inside the term).
    pub fn take_waits_at_most(&self) -> Duration {
        self.heartbeat_every()
    }

    /// How long after sending a heartbeat that renewed its leases this watcher may still act
    /// on them: the term less a tenth, so it stops before the store's clock lets another take
    /// over (the term there counts from when the heartbeat arrived, after it was sent).
    pub fn acting_for(&self) -> Duration {
        let lease = self.lease_ms();
        Duration::from_millis(lease - lease / 10)
    }
}

/// True when process `pid` of this machine has certainly ended (Linux: no `/proc/<pid>`);
/// false when it runs, or when this system cannot tell.
pub(crate) fn process_gone(pid: i64) -> bool {
    #[cfg(target_os = "linux")]
    {
        u32::try_from(pid)
            .is_ok_and(|p| p > 0 && !std::path::Path::new(&format!("/proc/{p}")).exists())
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = pid;
        false
    }
}

/// May this engine act on a subject now?
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Right {
    /// No sharing: it acts on everything, unfenced.
    Alone,
    /// It holds the subject: its writes carry this fence.
    Held(Fence),
    /// Another watcher's, or nobody's that this engine knows of.
    NotHeld,
}

/// What the detectors' loop does this round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Turn {
    /// Run; `fresh`: start over from the store first (just taken).
    Run { from: DateTime<Utc>, fresh: bool },
    /// Another watcher runs them; `forget`: this one just gave them up.
    Skip { forget: bool },
}

/// What the engine holds after its last heartbeat.
#[derive(Debug, Clone)]
pub(crate) struct Held {
    pub watcher_id: i64,
    /// Agent id → epoch.
    pub agents: HashMap<i64, i64>,
    /// Of those, the ones it offers the other watchers (over its share): polled until one
    /// takes them, when this watcher's writes for them are refused, as planned.
    pub offered: HashSet<i64>,
    /// The detectors' epoch, and since when this engine holds them.
    pub detectors: Option<(i64, DateTime<Utc>)>,
    /// After this instant, without a newer heartbeat, it acts on nothing.
    pub valid_until: Instant,
}

/// The running heartbeat loop.
pub(crate) struct ShareLoop {
    pub stop: tokio::sync::watch::Sender<bool>,
    pub task: tokio::task::JoinHandle<()>,
}

/// A line for the watcher's log: it took or gave back agents, was cut off, or was fenced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShareNote {
    /// `holds`, `cut_off`, `fenced`, `late` (a heartbeat used more than half its margin).
    pub kind: &'static str,
    pub message: String,
}

/// The sharing state every task of the engine reads.
pub(crate) struct ShareState {
    held: Mutex<Option<Held>>,
    /// The engine shares its store (set once `start_all` joined the watchers).
    sharing: Mutex<bool>,
    /// Asks the heartbeat to run now (an agent was added; another watcher joined, left or gave
    /// agents back).
    pub wake: Notify,
    pub notes: broadcast::Sender<ShareNote>,
    pub heartbeats: Mutex<HeartbeatStats>,
}

impl Default for ShareState {
    fn default() -> Self {
        ShareState {
            held: Mutex::new(None),
            sharing: Mutex::new(false),
            wake: Notify::new(),
            notes: broadcast::Sender::new(64),
            heartbeats: Mutex::default(),
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl ShareState {
    pub fn begin(&self) {
        *lock(&self.sharing) = true;
    }

    pub fn is_sharing(&self) -> bool {
        *lock(&self.sharing)
    }

    /// The watcher's id in the store, once it joined.
    pub fn watcher_id(&self) -> Option<i64> {
        lock(&self.held).as_ref().map(|h| h.watcher_id)
    }

    pub fn set(&self, held: Held) {
        *lock(&self.held) = Some(held);
    }

    /// Holds nothing any more (cut off from the store past its term); keeps its id.
    pub fn lapse(&self) {
        if let Some(held) = lock(&self.held).as_mut() {
            held.agents.clear();
            held.detectors = None;
        }
    }

    /// The store refused a write under the detectors' lease: another watcher runs them now.
    pub fn lose_detectors(&self) {
        if let Some(held) = lock(&self.held).as_mut() {
            held.detectors = None;
        }
    }

    /// Does this watcher offer agent `id` to the others (another taking it is no news)?
    pub fn offers(&self, id: i64) -> bool {
        lock(&self.held)
            .as_ref()
            .is_some_and(|h| h.offered.contains(&id))
    }

    /// The store refused a write under agent `id`'s lease: another watcher polls it now.
    pub fn lose_agent(&self, id: i64) {
        if let Some(held) = lock(&self.held).as_mut() {
            held.agents.remove(&id);
        }
    }

    pub fn heartbeat_stats(&self) -> HeartbeatStats {
        *lock(&self.heartbeats)
    }

    /// Until when the engine may act without a new heartbeat (None: it holds nothing).
    pub fn valid_until(&self) -> Option<Instant> {
        lock(&self.held)
            .as_ref()
            .filter(|h| !h.agents.is_empty() || h.detectors.is_some())
            .map(|h| h.valid_until)
    }

    /// What it held after the last heartbeat, whether or not its term still runs.
    pub fn held(&self) -> Option<Held> {
        lock(&self.held).clone()
    }

    /// `read` of what this watcher holds now (None when its term ran out), under the lock: a
    /// poll asks twice, and what is held names every agent, so it is read where it is, never
    /// copied.
    fn current<T>(&self, read: impl FnOnce(Option<&Held>) -> T) -> T {
        let held = lock(&self.held);
        read(held.as_ref().filter(|h| Instant::now() < h.valid_until))
    }

    /// May the engine poll agent `id` and store what it answers?
    pub fn agent(&self, id: i64) -> Right {
        if !self.is_sharing() {
            return Right::Alone;
        }
        let held = self.current(|held| {
            held.and_then(|h| h.agents.get(&id).map(|epoch| (h.watcher_id, *epoch)))
        });
        match held {
            Some((watcher_id, epoch)) => Right::Held(Fence {
                subject: agent_subject(id),
                watcher_id,
                epoch,
            }),
            None => Right::NotHeld,
        }
    }

    /// May the engine run the detectors? With the fence, since when it holds them.
    pub fn detectors(&self) -> (Right, Option<DateTime<Utc>>) {
        if !self.is_sharing() {
            return (Right::Alone, None);
        }
        match self.current(|held| held.and_then(|h| h.detectors.map(|d| (h.watcher_id, d)))) {
            Some((watcher_id, (epoch, since))) => (
                Right::Held(Fence {
                    subject: DETECTORS.to_owned(),
                    watcher_id,
                    epoch,
                }),
                Some(since),
            ),
            None => (Right::NotHeld, None),
        }
    }

    /// Whether the detectors' loop runs now, and from when what arrived is news. `held_epoch`
    /// is the epoch of the lease the loop last ran under: another one means this watcher took
    /// the detectors (over) and starts from the store, treating what arrived since twice the
    /// failover before it took them as news (the last holder may have stopped that long ago;
    /// findings it recorded are found again and open nothing).
    pub fn detectors_turn(
        &self,
        held_epoch: &mut Option<i64>,
        start: DateTime<Utc>,
        failover_ms: Option<u64>,
    ) -> Turn {
        match self.detectors() {
            (Right::Alone, _) => Turn::Run {
                from: start,
                fresh: false,
            },
            (Right::NotHeld, _) => Turn::Skip {
                forget: held_epoch.take().is_some(),
            },
            (Right::Held(fence), since) => {
                let fresh = *held_epoch != Some(fence.epoch);
                *held_epoch = Some(fence.epoch);
                let back = i64::try_from(failover_ms.unwrap_or(0)).unwrap_or(0) * 2;
                Turn::Run {
                    from: since.map_or(start, |since| since - chrono::Duration::milliseconds(back)),
                    fresh,
                }
            }
        }
    }

    /// Tells the watcher's log.
    pub fn note(&self, kind: &'static str, message: String) {
        match kind {
            "holds" => tracing::info!(%message, "sharing"),
            _ => tracing::warn!(%message, "sharing"),
        }
        let _ = self.notes.send(ShareNote { kind, message });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_term_and_heartbeat_fit_inside_the_failover() {
        let sharing = Sharing::this_process(10_000, Some("w1".into()));
        assert_eq!(sharing.lease_ms(), 6_666);
        assert_eq!(sharing.heartbeat_every(), Duration::from_millis(1_666));
        assert!(sharing.acting_for() < Duration::from_millis(sharing.lease_ms()));
        // A dead watcher's lease lapses, and another's next heartbeat takes it, within the bound.
        assert!(sharing.lease_ms() + 1_666 < 10_000);
        // A take put off after waiting its most still leaves the next renewal in time, even
        // one sent a period late.
        let every = sharing.heartbeat_every();
        assert!(every * 2 + sharing.take_waits_at_most() < sharing.acting_for());
        assert_eq!(sharing.watcher.name, "w1");
        let tiny = Sharing::this_process(1, None);
        assert_eq!(tiny.failover_ms, MIN_FAILOVER_MS);
        assert!(tiny
            .watcher
            .name
            .ends_with(&format!(":{}", std::process::id())));
    }

    #[test]
    fn a_process_that_ended_is_gone_and_this_one_is_not() {
        assert!(!process_gone(i64::from(std::process::id())));
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = i64::from(child.id());
        child.wait().unwrap();
        assert_eq!(process_gone(pid), cfg!(target_os = "linux"));
        assert!(!process_gone(0) && !process_gone(-1));
    }

    #[tokio::test]
    async fn an_engine_alone_acts_and_a_sharing_one_only_on_what_it_holds_in_time() {
        let state = ShareState::default();
        assert_eq!(state.agent(1), Right::Alone);
        state.begin();
        assert_eq!(state.agent(1), Right::NotHeld);
        state.set(Held {
            watcher_id: 7,
            agents: HashMap::from([(1, 3)]),
            offered: HashSet::new(),
            detectors: Some((2, Utc::now())),
            valid_until: Instant::now() + Duration::from_secs(60),
        });
        assert_eq!(
            state.agent(1),
            Right::Held(Fence {
                subject: "agent:1".into(),
                watcher_id: 7,
                epoch: 3
            })
        );
        assert_eq!(state.agent(2), Right::NotHeld);
        assert!(matches!(state.detectors().0, Right::Held(_)));
        // Past its term without a heartbeat, it holds nothing.
        state.set(Held {
            watcher_id: 7,
            agents: HashMap::from([(1, 3)]),
            offered: HashSet::new(),
            detectors: None,
            valid_until: Instant::now() - Duration::from_millis(1),
        });
        assert_eq!(state.agent(1), Right::NotHeld);
        state.lapse();
        assert_eq!(state.valid_until(), None);
        assert_eq!(state.watcher_id(), Some(7));
    }

    #[test]
    fn the_detectors_start_over_when_taken_and_forget_when_given_up() {
        let start = Utc::now() - chrono::Duration::hours(1);
        let mut epoch = None;
        let alone = ShareState::default();
        assert_eq!(
            alone.detectors_turn(&mut epoch, start, None),
            Turn::Run {
                from: start,
                fresh: false
            }
        );
        let state = ShareState::default();
        state.begin();
        assert_eq!(
            state.detectors_turn(&mut epoch, start, Some(10_000)),
            Turn::Skip { forget: false }
        );
        let since = Utc::now();
        let held = |epoch| Held {
            watcher_id: 1,
            agents: HashMap::new(),
            offered: HashSet::new(),
            detectors: Some((epoch, since)),
            valid_until: Instant::now() + Duration::from_secs(60),
        };
        state.set(held(4));
        let taken = Turn::Run {
            from: since - chrono::Duration::seconds(20),
            fresh: true,
        };
        assert_eq!(state.detectors_turn(&mut epoch, start, Some(10_000)), taken);
        let kept = state.detectors_turn(&mut epoch, start, Some(10_000));
        assert_eq!(
            kept,
            Turn::Run {
                from: since - chrono::Duration::seconds(20),
                fresh: false
            }
        );
        // Lost and taken again in a later term: start over again.
        state.set(held(6));
        assert_eq!(state.detectors_turn(&mut epoch, start, Some(10_000)), taken);
        state.lose_detectors();
        assert_eq!(
            state.detectors_turn(&mut epoch, start, Some(10_000)),
            Turn::Skip { forget: true }
        );
        assert_eq!(
            state.detectors_turn(&mut epoch, start, Some(10_000)),
            Turn::Skip { forget: false }
        );
    }
}
