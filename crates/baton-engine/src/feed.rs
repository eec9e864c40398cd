//! The store's change feed, turned into the bus's [`ChangeEvent`]s: what other processes (a
//! hook call, `baton decide`, another watcher's polls, an app on another machine) wrote shows
//! in the app, `baton watch` and `baton escalations --follow` as this engine's own changes do.
//!
//! The loop reads the rows after the last number it saw ([`Store::changes_after`]). On
//! PostgreSQL it waits for a notification on a listening connection of its own (and reads
//! every [`LISTENING_LOOK`] anyway, in case one was lost); on SQLite, or while the listener
//! reconnects, it looks every [`LOOK_EVERY`]. Rows this engine's own writer recorded are left
//! out: it published those itself. A reader left behind the feed's retention publishes
//! "reload everything" (`AgentsChanged` and the rest).
//!
//! [`Store::changes_after`]: baton_store::Store::changes_after

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use baton_core::agent::AgentHealth;
use baton_core::views::{ChangeEvent, TaskCard};
use baton_store::changes::{Change, ChangeKind, ChangeListener, READ_LIMIT};
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

use crate::shared::Shared;

/// How often the feed is read when nothing wakes the loop (SQLite; PostgreSQL while its
/// listener is away).
pub const LOOK_EVERY: Duration = Duration::from_millis(200);
/// How often the feed is read on PostgreSQL with a listener, notified or not.
pub const LISTENING_LOOK: Duration = Duration::from_secs(2);
/// How long a listener that could not connect waits before it is tried again.
const LISTEN_RETRY: Duration = Duration::from_secs(5);

pub(crate) struct FeedFollow {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

/// What a batch of other processes' changes amounts to, by what the views show.
#[derive(Debug, Default)]
struct Digest {
    tasks: BTreeMap<i64, BTreeSet<String>>,
    events: BTreeSet<i64>,
    health: BTreeSet<i64>,
    agents: bool,
    declarations: BTreeSet<i64>,
    sessions: BTreeSet<i64>,
    leases: bool,
    opened: Vec<i64>,
    changed: Vec<i64>,
    decided: bool,
    rules: bool,
    watchers: bool,
}

impl Digest {
    fn of(changes: &[Change], own: i64) -> Digest {
        let mut digest = Digest::default();
        for change in changes.iter().filter(|c| c.origin != own) {
            let id = change.ref_id;
            match change.kind {
                ChangeKind::Task => {
                    digest
                        .tasks
                        .entry(id)
                        .or_default()
                        .insert(change.ref_key.clone());
                }
                ChangeKind::Events => {
                    digest.events.insert(id);
                }
                ChangeKind::Health => {
                    digest.health.insert(id);
                }
                ChangeKind::Agent => digest.agents = true,
                ChangeKind::Declarations => {
                    digest.declarations.insert(id);
                }
                ChangeKind::Session => {
                    digest.sessions.insert(id);
                }
                ChangeKind::Leases => digest.leases = true,
                ChangeKind::EscalationOpened if !digest.opened.contains(&id) => {
                    digest.opened.push(id);
                }
                ChangeKind::EscalationChanged if !digest.changed.contains(&id) => {
                    digest.changed.push(id);
                }
                ChangeKind::EscalationOpened | ChangeKind::EscalationChanged => {}
                ChangeKind::Decision => digest.decided = true,
                ChangeKind::Rules => digest.rules = true,
                ChangeKind::Watchers => digest.watchers = true,
            }
        }
        digest.changed.retain(|id| !digest.opened.contains(id));
        digest
    }

    /// Everything reloads: the feed lost rows this reader had not read.
    fn everything() -> Digest {
        Digest {
            agents: true,
            leases: true,
            decided: true,
            watchers: true,
            ..Digest::default()
        }
    }
}

/// What the events need read from the store.
#[derive(Debug, Default)]
struct Read {
    cards: Vec<(i64, Vec<TaskCard>)>,
    health: Vec<(i64, AgentHealth)>,
    waiting: u32,
}

/// Publishes what `digest` says changed, reading the cards and healths it names.
async fn publish(shared: &Shared, digest: Digest) {
    let tasks = digest.tasks.clone();
    let sessions = digest.sessions.clone();
    let health = digest.health.clone();
    let with_sessions = !sessions.is_empty() || digest.leases;
    let read = shared
        .read(move |store| {
            let mut read = Read::default();
            for (agent, ids) in tasks {
                // An empty id: many of the agent's tasks (the board's cards of it, all).
                let cards = if ids.contains("") {
                    store.task_cards(Some(agent))?
                } else {
                    let ids: Vec<String> = ids.into_iter().collect();
                    store.task_cards_named(agent, &ids)?
                };
                read.cards.push((agent, cards));
            }
            for agent in sessions {
                read.cards.push((agent, store.task_cards(Some(agent))?));
            }
            for agent in health {
                match store.health(agent) {
                    Ok(health) => read.health.push((agent, health)),
                    Err(baton_store::StoreError::AgentNotFound(_)) => {}
                    Err(err) => return Err(err),
                }
            }
            if with_sessions {
                read.waiting = store.sessions_waiting()?;
            }
            Ok(read)
        })
        .await;
    let read = match read {
        Ok(read) => read,
        Err(err) => {
            tracing::warn!(error = %err, "could not read what the change feed names");
            Read::default()
        }
    };
    let bus = &shared.bus;
    if digest.agents || digest.rules {
        bus.publish(ChangeEvent::AgentsChanged);
    }
    for &agent_id in &digest.declarations {
        bus.publish(ChangeEvent::DeclarationsChanged { agent_id });
    }
    for (agent_id, health) in read.health {
        bus.publish(ChangeEvent::Health { agent_id, health });
    }
    let mut ingested: BTreeMap<i64, Vec<TaskCard>> = BTreeMap::new();
    for (agent, cards) in read.cards {
        ingested.entry(agent).or_default().extend(cards);
    }
    for &agent in &digest.events {
        ingested.entry(agent).or_default();
    }
    for (agent_id, mut tasks) in ingested {
        tasks.dedup_by(|a, b| a.task_id == b.task_id);
        // At least one new event or usage row: the views that count them reload.
        let new = u32::from(digest.events.contains(&agent_id));
        bus.publish(ChangeEvent::Ingested {
            agent_id,
            tasks,
            new_events: new,
            new_usage: new,
            elsewhere: true,
            lease_epoch: None,
        });
    }
    if with_sessions {
        bus.publish(ChangeEvent::SessionsHeard {
            agents: digest.sessions.iter().copied().collect(),
            waiting: read.waiting,
            leases_changed: digest.leases,
        });
    }
    if digest.decided {
        // Its outbox rows wait for this engine's relay, if it runs one.
        shared.decided_elsewhere.notify_one();
    }
    if !digest.opened.is_empty() || !digest.changed.is_empty() || digest.decided {
        bus.publish(ChangeEvent::Escalations {
            opened: bus.not_yet_announced(digest.opened),
            changed: digest.changed,
            lapsing: Vec::new(),
        });
    }
    if digest.watchers {
        // Another watcher joined, left, or gave agents back: this one's heartbeat looks now
        // whether its share is to move (a gap in those agents' polls until its next one).
        if shared.sharing.is_sharing() {
            shared.sharing.wake.notify_one();
        }
        bus.publish(ChangeEvent::Watchers);
    }
}

/// Keeps a listener on a PostgreSQL store, tried again now and then while it cannot connect.
struct Listening {
    wake: Arc<Notify>,
    listener: Option<ChangeListener>,
    tried: Option<Instant>,
}

impl Listening {
    /// True when a listener is connected (after trying to connect one if due).
    async fn ensure(&mut self, shared: &Shared) -> bool {
        if self
            .listener
            .as_ref()
            .is_some_and(ChangeListener::is_listening)
        {
            return true;
        }
        if self.tried.is_some_and(|at| at.elapsed() < LISTEN_RETRY) {
            return false;
        }
        self.tried = Some(Instant::now());
        let location = shared.store.location().clone();
        let wake = Arc::clone(&self.wake);
        let started =
            tokio::task::spawn_blocking(move || ChangeListener::start(&location, wake)).await;
        self.listener = match started {
            Ok(Ok(listener)) => listener,
            Ok(Err(err)) => {
                tracing::debug!(error = %err, "cannot listen for the store's changes");
                None
            }
            Err(err) => {
                tracing::warn!(error = %err, "the listener's start stopped");
                None
            }
        };
        self.listener.is_some()
    }
}

impl FeedFollow {
    /// Follows the feed after number `head` (None: from its head now).
    pub fn spawn(shared: Arc<Shared>, head: Option<i64>) -> FeedFollow {
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            let postgres = matches!(
                shared.store.location(),
                baton_store::StoreLocation::Postgres(_)
            );
            let mut listening = Listening {
                wake: Arc::new(Notify::new()),
                listener: None,
                tried: None,
            };
            let mut last = match head {
                Some(head) => Some(head),
                None => follow(&shared, None).await,
            };
            loop {
                let listens = postgres && listening.ensure(&shared).await;
                let every = if listens { LISTENING_LOOK } else { LOOK_EVERY };
                tokio::select! {
                    () = listening.wake.notified() => {}
                    () = tokio::time::sleep(every) => {}
                    _ = stopped.wait_for(|s| *s) => break,
                }
                last = follow(&shared, last).await;
            }
        });
        FeedFollow { stop, task }
    }

    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Reads and publishes what came after `last` (the head, the first time: what was before is
/// what the views load); the number to go on from.
async fn follow(shared: &Shared, last: Option<i64>) -> Option<i64> {
    let Some(mut after) = last else {
        return match shared.read(|s| s.change_head()).await {
            Ok(head) => Some(head),
            Err(err) => {
                tracing::debug!(error = %err, "cannot read the change feed's head");
                None
            }
        };
    };
    loop {
        let read = match shared
            .read(move |s| s.changes_after(after, READ_LIMIT))
            .await
        {
            Ok(read) => read,
            Err(err) => {
                tracing::debug!(error = %err, "cannot read the change feed");
                return Some(after);
            }
        };
        let full = read.changes.len() >= READ_LIMIT;
        let digest = if read.lost {
            tracing::warn!(
                after,
                "the change feed went on without this reader: reloading"
            );
            Digest::everything()
        } else {
            Digest::of(&read.changes, shared.store.origin())
        };
        publish(shared, digest).await;
        after = read.through;
        if !full {
            return Some(after);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(seq: i64, kind: ChangeKind, ref_id: i64, origin: i64) -> Change {
        Change {
            seq,
            kind,
            ref_id,
            ref_key: String::new(),
            origin,
        }
    }

    #[test]
    fn a_digest_leaves_out_its_own_writes_and_counts_each_item_once() {
        let changes = [
            change(1, ChangeKind::EscalationOpened, 7, 2),
            change(1, ChangeKind::EscalationChanged, 7, 2),
            change(2, ChangeKind::EscalationChanged, 8, 2),
            change(3, ChangeKind::EscalationChanged, 8, 2),
            change(4, ChangeKind::EscalationChanged, 9, 1),
            change(4, ChangeKind::Health, 3, 2),
        ];
        let digest = Digest::of(&changes, 1);
        assert_eq!(digest.opened, [7]);
        assert_eq!(
            digest.changed,
            [8],
            "opened is said once; its own write left out"
        );
        assert_eq!(digest.health.iter().copied().collect::<Vec<_>>(), [3]);
        assert!(!digest.agents && !digest.decided);
    }
}
