//! A poll against the test store (`BATON_TEST_STORE`: SQLite or PostgreSQL) and a simulated
//! agent on 127.0.0.1: what its first write leaves out, and its fetches going out while the
//! writes of the last polls are still under way.

use std::collections::{HashMap, HashSet};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use baton_core::agent::AgentDraft;
use baton_core::protocol::{AgentInfo, StatusDocument, Task};
use baton_core::task::TaskState;
use baton_sim::{SimConfig, SimFleet};
use baton_store::watch_leases::WatcherSpec;
use baton_store::StoreHandle;

use super::{poll, AgentRuntime, PollOutcome, StopSignal, Writes};
use crate::config::EngineConfig;
use crate::secrets::MemoryTokens;
use crate::shared::Shared;
use crate::watch_share::Held;

fn test_store() -> StoreHandle {
    let location = baton_store::StoreLocation::parse(&baton_testdb::migrated_store_url(
        baton_store::LATEST_VERSION,
        baton_store::Store::migrate_at,
    ))
    .unwrap();
    StoreHandle::open_at(&location, 2).unwrap()
}

fn shared_on(store: StoreHandle) -> Arc<Shared> {
    Arc::new(Shared::new(
        store,
        Arc::new(MemoryTokens::new(None)),
        EngineConfig::default(),
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pollers_first_write_leaves_out_the_tasks_stored_as_reported() {
    let store = test_store();
    let stored = vec![
        Task::new("same", "Same", TaskState::Working),
        Task::new("moved", "Moved", TaskState::Working),
    ];
    let id = store
        .write_blocking(move |s| {
            let id = s
                .add_agent(&AgentDraft::new("Researcher", "http://127.0.0.1:9/r"))?
                .id;
            let doc = StatusDocument {
                tasks: stored,
                ..StatusDocument::new(AgentInfo::new("researcher-1"))
            };
            s.ingest(id, &doc, chrono::Utc::now())?;
            Ok(id)
        })
        .unwrap();
    let shared = shared_on(store);
    // Another watcher stored these; this poller took the agent over and polls it first.
    let mut reported = vec![
        Task::new("same", "Same", TaskState::Working),
        Task::new("moved", "Moved", TaskState::Completed),
        Task::new("new", "New", TaskState::Submitted),
    ];
    // No digest of their texts known: each is compared field by field.
    super::store::leave_out_stored(&shared, id, &mut reported, &HashMap::new(), None).await;
    let ids: Vec<&str> = reported.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["moved", "new"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_takers_first_write_settles_the_unchanged_tasks_by_their_texts_digest() {
    let polled = Polled::start().await;
    for _ in 0..6 {
        polled.fleet.step();
    }
    let first = poll(
        &polled.shared,
        &polled.agent,
        &mut StopSignal::never(),
        Writes::Awaited,
    )
    .await;
    assert!(
        matches!(first, Some(PollOutcome::Done { error: None, .. })),
        "{first:?}"
    );
    let stored = polled.fleet.tasks(0);
    assert!(stored.len() >= 2, "{} tasks", stored.len());
    // The agent moves on until a task changed or came since the stored poll.
    let mut changed = Vec::new();
    while changed.is_empty() {
        polled.fleet.step();
        changed = polled
            .fleet
            .tasks(0)
            .into_iter()
            .filter(|task| !stored.contains(task))
            .map(|task| task.id)
            .collect();
    }
    changed.sort();

    // Another watcher takes the agent over: its poller has stored nothing yet. Its first
    // write leaves out the tasks stored as reported, settled by the digest of their text: only
    // those changed since are read and compared field by field. The next one's, none.
    let config = polled.agent.config.clone();
    for expected in [changed.len(), 0] {
        let shared = shared_on(polled.shared.store.clone());
        let taker = Arc::new(AgentRuntime::new(config.clone(), Ok(None)));
        let taken = poll(&shared, &taker, &mut StopSignal::never(), Writes::Awaited).await;
        assert!(
            matches!(taken, Some(PollOutcome::Done { error: None, .. })),
            "{taken:?}"
        );
        let counts = shared.first_polls.counts();
        let counted = (counts.polls, counts.tasks_compared, counts.read_alone);
        assert_eq!(
            counted,
            (1, expected as u64, 1),
            "read alone: nothing taken with it"
        );
    }
    // Every task is stored as the agent reports it.
    let (id, reported) = (polled.id(), polled.fleet.tasks(0));
    let count = reported.len();
    let as_reported = polled
        .shared
        .store
        .read_blocking(move |s| s.tasks_stored_as_reported(id, &reported, &HashMap::new()))
        .unwrap();
    assert_eq!(as_reported.ids.len(), count);
}

/// One simulated agent that says something new only when stepped, stored as an agent polled
/// by `agent`, through `shared`.
struct Polled {
    fleet: SimFleet,
    shared: Arc<Shared>,
    agent: Arc<AgentRuntime>,
}

impl Polled {
    async fn start() -> Polled {
        let fleet = SimFleet::start(SimConfig::stepped(1)).await.unwrap();
        let url = fleet.agents()[0].base_url.clone();
        let store = test_store();
        let config = store
            .write_blocking(move |s| s.add_agent(&AgentDraft::new("Researcher", &url)))
            .unwrap();
        Polled {
            fleet,
            shared: shared_on(store),
            agent: Arc::new(AgentRuntime::new(config, Ok(None))),
        }
    }

    fn id(&self) -> i64 {
        self.agent.config.id
    }

    /// A poll as the poller makes it (its write left under way), in a task of its own.
    fn poll_in_task(&self) -> tokio::task::JoinHandle<Option<PollOutcome>> {
        let (shared, agent) = (Arc::clone(&self.shared), Arc::clone(&self.agent));
        tokio::spawn(async move {
            poll(
                &shared,
                &agent,
                &mut StopSignal::never(),
                Writes::LeftUnderWay,
            )
            .await
        })
    }

    /// (events stored, lowest seq, highest seq, distinct seqs).
    fn stored_events(&self) -> (i64, i64, i64, i64) {
        let id = self.id();
        self.shared
            .store
            .read_blocking(move |s| s.event_seq_summary(id))
            .unwrap()
    }

    /// Holds the store's writer (every write waits) until the sender is used or dropped; then
    /// the writer runs `then` first. (An in-memory test store reads through its writer too:
    /// read nothing meanwhile.)
    fn hold_writer(
        &self,
        then: impl FnOnce(&mut baton_store::Store) -> baton_store::Result<()> + Send + 'static,
    ) -> (mpsc::Sender<()>, std::thread::JoinHandle<()>) {
        let (held, holding) = mpsc::channel();
        let (release, released) = mpsc::channel::<()>();
        let store = self.shared.store.clone();
        let thread = std::thread::spawn(move || {
            store
                .write_blocking(move |s| {
                    held.send(()).unwrap();
                    let _ = released.recv();
                    then(s)
                })
                .unwrap();
        });
        holding.recv().unwrap();
        (release, thread)
    }
}

async fn within<T>(what: &str, work: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(20), work)
        .await
        .unwrap_or_else(|_| panic!("{what} took over 20 s"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poll_fetches_while_the_last_polls_write_waits_for_the_store() {
    let polled = Polled::start().await;
    polled.fleet.step();
    let first = within("a first poll", polled.poll_in_task()).await.unwrap();
    assert!(matches!(first, Some(PollOutcome::Storing)), "{first:?}");
    polled.agent.quiesce().await;
    let (stored_at_first, ..) = polled.stored_events();
    assert!(stored_at_first > 0);

    let (release, writer) = polled.hold_writer(|_| Ok(()));
    polled.fleet.step();
    // Its write waits for the store: the poll returns with it under way.
    let storing = within("a poll whose write waits", polled.poll_in_task()).await;
    assert!(matches!(storing.unwrap(), Some(PollOutcome::Storing)));
    // The next poll goes out all the same, from the cursor stored before that write, and
    // returns with its own write under way after it.
    polled.fleet.step();
    let second = within(
        "a second poll while the first write waits",
        polled.poll_in_task(),
    )
    .await;
    assert!(matches!(second.unwrap(), Some(PollOutcome::Storing)));
    // And the one after it (three under way: MOST_UNDER_WAY).
    polled.fleet.step();
    let third = within(
        "a third poll while the first write waits",
        polled.poll_in_task(),
    )
    .await;
    assert!(matches!(third.unwrap(), Some(PollOutcome::Storing)));
    // With three under way, the poll after waits for the oldest before it fetches.
    let polls = polled.fleet.poll_count(0);
    polled.fleet.step();
    let fourth = polled.poll_in_task();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        polled.fleet.poll_count(0),
        polls,
        "no fourth request meanwhile"
    );
    assert!(
        !fourth.is_finished(),
        "it waits for the oldest write under way"
    );
    release.send(()).unwrap();
    writer.join().unwrap();
    let fourth = within("the fourth poll", fourth).await.unwrap();
    assert!(matches!(fourth, Some(PollOutcome::Storing)), "{fourth:?}");
    assert_eq!(polled.fleet.poll_count(0), polls + 1);
    polled.agent.quiesce().await;

    // Every event the agent said is stored, once, in order; the health is the last poll's.
    let said = polled.fleet.last_seq(0) as i64;
    assert_eq!(polled.stored_events(), (said, 1, said, said));
    let id = polled.id();
    let health = polled
        .shared
        .store
        .read_blocking(move |s| s.health(id))
        .unwrap();
    assert_eq!(health.consecutive_failures, 0);
    assert!(health.last_success_at.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_refused_under_way_drops_what_the_next_poll_fetched_after_it() {
    let polled = Polled::start().await;
    // This engine shares its store and holds the agent's lease.
    let watcher_id = hold_the_lease(&polled);
    polled.fleet.step();
    let first = within("a first poll", polled.poll_in_task()).await.unwrap();
    assert!(matches!(first, Some(PollOutcome::Storing)), "{first:?}");
    polled.agent.quiesce().await;
    let stored_before = polled.stored_events();

    // Another watcher takes the agent while this one's next write waits for the store: that
    // write is refused, and what the poll after it fetched from its cursor is dropped.
    let (release, writer) = polled.hold_writer(move |s| {
        s.leave_watchers(watcher_id)?;
        let other = WatcherSpec {
            name: "w2".into(),
            host: "elsewhere".into(),
            pid: 2,
        };
        let w2 = s.join_watchers(&other, 3_600_000)?;
        s.heartbeat(&other, w2, 3_600_000, false)?;
        Ok(())
    });
    polled.fleet.step();
    let storing = within("a poll whose write waits", polled.poll_in_task()).await;
    assert!(matches!(storing.unwrap(), Some(PollOutcome::Storing)));
    // The next poll fetches meanwhile, its write to follow that one.
    let polls = polled.fleet.poll_count(0);
    polled.fleet.step();
    let next = within("the next poll", polled.poll_in_task())
        .await
        .unwrap();
    assert!(matches!(next, Some(PollOutcome::Storing)), "{next:?}");
    assert_eq!(
        polled.fleet.poll_count(0),
        polls + 1,
        "its request went out"
    );
    release.send(()).unwrap();
    writer.join().unwrap();
    within("the writes under way", async {
        while !polled
            .agent
            .in_flight
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .is_none_or(|write| write.is_done())
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    // The first was refused, and the second dropped after it: the poll after says so.
    let after = within("the poll after", polled.poll_in_task())
        .await
        .unwrap();
    match after {
        Some(PollOutcome::Fenced(why)) => assert!(why.contains("holds it now"), "{why}"),
        other => panic!("not fenced: {other:?}"),
    }
    assert!(
        polled
            .agent
            .in_flight
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_none(),
        "nothing left under way"
    );
    assert_eq!(polled.stored_events(), stored_before, "nothing more stored");

    // The agent still holds every event not stored: the polls asked only from a cursor whose
    // events were stored (a `since` lets the agent forget the events up to it). The watcher
    // that polls it next, from the stored cursor, stores them all, none twice.
    let next_watcher = shared_on(polled.shared.store.clone());
    let agent = Arc::new(AgentRuntime::new(polled.agent.config.clone(), Ok(None)));
    let said = polled.fleet.last_seq(0) as i64;
    within("the next watcher's catch-up", async {
        while polled.stored_events().2 < said {
            let mut stop = StopSignal::never();
            poll(&next_watcher, &agent, &mut stop, Writes::Awaited).await;
        }
    })
    .await;
    assert_eq!(polled.stored_events(), (said, 1, said, said));
}

/// Joins `polled`'s engine to the watchers of its store, holding the agent's lease for an hour.
fn hold_the_lease(polled: &Polled) -> i64 {
    let me = WatcherSpec {
        name: "w1".into(),
        host: "here".into(),
        pid: 1,
    };
    let (watcher_id, holdings) = polled
        .shared
        .store
        .write_blocking(move |s| {
            let id = s.join_watchers(&me, 3_600_000)?;
            Ok((id, s.heartbeat(&me, id, 3_600_000, false)?))
        })
        .unwrap();
    polled.shared.sharing.begin();
    polled.shared.sharing.set(Held {
        watcher_id,
        agents: holdings.agents.into_iter().collect::<HashMap<_, _>>(),
        offered: HashSet::new(),
        detectors: None,
        valid_until: tokio::time::Instant::now() + Duration::from_secs(3_600),
    });
    watcher_id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poll_that_waited_past_its_lease_does_not_ask_the_agent() {
    let polled = Polled::start().await;
    hold_the_lease(&polled);
    polled.fleet.step();
    let first = within("a first poll", polled.poll_in_task()).await.unwrap();
    assert!(matches!(first, Some(PollOutcome::Storing)), "{first:?}");
    polled.agent.quiesce().await;

    // Three writes under way (the store's writer held): the next poll waits for the oldest.
    let (release, writer) = polled.hold_writer(|_| Ok(()));
    for n in 0..3 {
        polled.fleet.step();
        let storing = within(&format!("poll {n} under way"), polled.poll_in_task()).await;
        assert!(matches!(storing.unwrap(), Some(PollOutcome::Storing)));
    }
    let polls = polled.fleet.poll_count(0);
    polled.fleet.step();
    let waiting = polled.poll_in_task();
    within("the poll to begin", async {
        while polled.agent.poll_lock.try_lock().is_ok() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    // While it waits, the watcher's term runs out (a late heartbeat): another may poll the
    // agent from the stored cursor now, so this one must not ask it from its older one.
    polled.shared.sharing.lapse();
    release.send(()).unwrap();
    writer.join().unwrap();
    match within("the poll that waited", waiting).await.unwrap() {
        Some(PollOutcome::Fenced(why)) => assert!(why.contains("does not hold"), "{why}"),
        other => panic!("not fenced: {other:?}"),
    }
    assert_eq!(polled.fleet.poll_count(0), polls, "no request went out");
}

#[tokio::test]
async fn a_runtime_polls_in_the_term_of_its_first_poll_only() {
    let polled = Polled::start().await;
    let runtime = AgentRuntime::new(polled.agent.config.clone(), Ok(None));
    assert!(runtime.in_term(3), "the first poll sets the term");
    assert!(
        !runtime.in_term(5),
        "taken back in a later term: a new poller's"
    );
    assert!(runtime.in_term(3), "its own term stays its own");
}
