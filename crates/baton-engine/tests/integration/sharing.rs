//! An engine sharing its store with other watchers (`EngineConfig::sharing`), against simulated
//! agents on 127.0.0.1: it polls only what it holds, and a lease taken from under it (another
//! watcher took the agent while this one still believed it held it: a clock that ran slow, a
//! pause the heartbeat did not notice) stops its writes in the store itself, and it says so.

use std::sync::Arc;
use std::time::Duration;

use crate::support::*;
use baton_engine::{Engine, EngineConfig, MemoryTokens, ShareNote, Sharing, StoreHandle};
use baton_sim::{SimConfig, SimFleet};
use baton_store::watch_leases::WatcherSpec;

fn sharing(name: &str) -> Sharing {
    // A heartbeat every ten minutes: nothing the engine does in this test comes from one.
    Sharing::this_process(3_600_000, Some(name.into()))
}

/// `agents` simulated agents with something new every 50 ms.
async fn busy_fleet(agents: usize) -> SimFleet {
    SimFleet::start(SimConfig {
        agents,
        base_port: 0,
        seed: 7,
        tick_ms: 50,
        max_events_per_poll: 100,
    })
    .await
    .unwrap()
}

async fn wait_note(
    notes: &mut tokio::sync::broadcast::Receiver<ShareNote>,
    kind: &str,
    about: &str,
) -> ShareNote {
    wait_note_stepping(notes, None, kind, about).await
}

/// [`wait_note`], with `fleet`'s agents (if any) saying something new every 50 ms meanwhile.
async fn wait_note_stepping(
    notes: &mut tokio::sync::broadcast::Receiver<ShareNote>,
    fleet: Option<&SimFleet>,
    kind: &str,
    about: &str,
) -> ShareNote {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let mut steps = tokio::time::interval(Duration::from_millis(50));
    loop {
        tokio::select! {
            got = tokio::time::timeout_at(deadline, notes.recv()) => match got {
                Ok(Ok(note)) if note.kind == kind && note.message.contains(about) => return note,
                Ok(Ok(_)) => {}
                other => panic!("no {kind} note: {other:?}"),
            },
            _ = steps.tick() => {
                if let Some(fleet) = fleet {
                    fleet.step();
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lease_taken_from_under_a_watcher_refuses_its_writes_and_it_says_so() {
    // Agents that say something only when stepped: the detectors can be made to have read
    // everything stored before the lease is taken (then, with nothing more stored, they have
    // nothing to write, and must still find out).
    let fleet = SimFleet::start(SimConfig {
        max_events_per_poll: 100,
        ..SimConfig::stepped(2)
    })
    .await
    .unwrap();
    let engine = engine_with(EngineConfig {
        sharing: Some(sharing("w1")),
        ..test_config()
    });
    let agents: Vec<i64> = fleet
        .agents()
        .iter()
        .map(|a| store_agent(&engine, &draft(&a.name, &a.base_url, 250, 200)).id)
        .collect();
    let mut notes = engine.subscribe_sharing();
    assert_eq!(engine.start_all().await.unwrap(), 2, "alone, it holds both");
    let holds = wait_note(&mut notes, "holds", "").await;
    assert!(
        holds.message.contains("polls 2 agent(s)"),
        "{}",
        holds.message
    );
    let store = engine.store();
    let highest = move |agent: i64| -> i64 {
        store
            .read_blocking(move |s| s.event_seq_summary(agent))
            .unwrap()
            .2
    };
    assert!(
        eventually(Duration::from_secs(30), || {
            fleet.step();
            agents.iter().all(|a| highest(*a) >= 3)
        })
        .await
    );
    // Quiet agents for longer than the detectors' interval (a second): their runs since have
    // read all there is.
    tokio::time::sleep(Duration::from_millis(1_500)).await;

    // Another watcher takes the agents while w1 still believes it holds them (w1's leases
    // lapse in the store; its own clock says they have forty minutes to go).
    let other = WatcherSpec {
        name: "w2".into(),
        host: "elsewhere".into(),
        pid: 1,
    };
    let taken = engine
        .store()
        .write_blocking(move |s| {
            let w1 = s.watchers_view()?[0].id;
            s.leave_watchers(w1)?;
            let w2 = s.join_watchers(&other, 3_600_000)?;
            s.heartbeat(&other, w2, 3_600_000, false)
        })
        .unwrap();
    assert!(taken.agents.iter().all(|(_, epoch)| *epoch == 2));
    assert_eq!(taken.agents.len(), 2);
    // Each agent's next write is refused, and so is the detectors' next run: each said once.
    let mut said = Vec::new();
    let wanted: Vec<String> = agents
        .iter()
        .map(|a| format!("agent:{a} "))
        .chain(["detectors".to_owned()])
        .collect();
    while !wanted
        .iter()
        .all(|w| said.iter().any(|s: &String| s.contains(w.as_str())))
    {
        let fenced = wait_note_stepping(&mut notes, Some(&fleet), "fenced", "").await;
        // The agents are w2's now; the detectors nobody's (w2 did not ask for them).
        let why = if fenced.message.contains("detectors") {
            "(its lease lapsed)"
        } else {
            "holds it now"
        };
        assert!(
            fenced.message.contains("not stored") && fenced.message.contains(why),
            "{}",
            fenced.message
        );
        said.push(fenced.message);
    }
    // Nothing more is stored by w1, however much the agents say meanwhile.
    let at_fence: Vec<i64> = agents.iter().map(|a| highest(*a)).collect();
    assert!(
        eventually(Duration::from_secs(30), || {
            fleet.step();
            (0..2).all(|i| fleet.last_seq(i) as i64 > at_fence[i] + 10)
        })
        .await
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let now: Vec<i64> = agents.iter().map(|a| highest(*a)).collect();
    assert_eq!(now, at_fence, "a fenced watcher stored more");
    let again: Vec<ShareNote> = std::iter::from_fn(|| notes.try_recv().ok()).collect();
    assert!(again.is_empty(), "said more than once: {again:?}");
    engine.shutdown().await;
    fleet.shutdown().await;
}

/// An agent whose place in its interval (`start_offset_ms`) is more than five minutes in: a
/// poller that spread its first poll would not poll it within any test's deadline.
fn slow_agent(engine: &baton_engine::Engine, url: &str) -> i64 {
    let id = store_agent(engine, &draft("Slow", url, 600_000, 5_000)).id;
    let interval = (600_000..)
        .step_by(1_000)
        .find(|i| baton_core::agent::start_offset_ms(id, url, *i) > 300_000)
        .expect("an interval");
    let changed = draft("Slow", url, interval, 5_000);
    engine
        .store()
        .write_blocking(move |s| s.update_agent(id, &changed))
        .unwrap();
    id
}

/// A watcher on the store at `location`, which other connections (other watchers) open too.
fn watcher_at(location: &baton_store::StoreLocation, sharing: Sharing) -> Engine {
    Engine::new(
        StoreHandle::open_at(location, 2).unwrap(),
        Arc::new(MemoryTokens::new(None)),
        EngineConfig {
            sharing: Some(sharing),
            ..test_config()
        },
    )
}

/// A watcher whose polls are spread over their interval, as `baton watch`'s are; a heartbeat
/// every 200 ms.
fn spread_watcher() -> baton_engine::Engine {
    engine_with(EngineConfig {
        sharing: Some(Sharing::this_process(1_200, Some("w1".into()))),
        spread_start: true,
        ..test_config()
    })
}

/// Another watcher, on another machine, joins the engine's store and takes every agent for
/// `term_ms`; what it holds.
fn held_by_another_watcher(
    engine: &baton_engine::Engine,
    term_ms: i64,
) -> baton_store::watch_leases::Holdings {
    let other = WatcherSpec {
        name: "w0".into(),
        host: "elsewhere".into(),
        pid: 1,
    };
    engine
        .store()
        .write_blocking(move |s| {
            let w0 = s.join_watchers(&other, term_ms)?;
            s.heartbeat(&other, w0, term_ms, false)
        })
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_taken_over_from_a_watcher_that_stopped_is_polled_at_once() {
    let fleet = busy_fleet(1).await;
    let engine = spread_watcher();
    let url = fleet.agents()[0].base_url.clone();
    let agent = slow_agent(&engine, &url);
    // Another watcher holds it for 5 s and is never heard from again (killed).
    let held = held_by_another_watcher(&engine, 5_000);
    assert_eq!(held.agents, vec![(agent, 1)]);
    let mut notes = engine.subscribe_sharing();
    engine.start_all().await.unwrap();
    let first = wait_note(&mut notes, "holds", "").await;
    assert!(
        first.message.contains("polls 0 agent(s)"),
        "{}",
        first.message
    );
    // w1 takes it once w0's lease lapses, and polls it then, not minutes later at its place.
    let took = wait_note(&mut notes, "holds", "took 1").await;
    assert!(
        took.message.contains("polls 1 agent(s)"),
        "{}",
        took.message
    );
    assert!(
        eventually(Duration::from_secs(30), || fleet.poll_count(0) >= 1).await,
        "the agent taken over was not polled at once"
    );
    // And then at its place in the interval: not again within the test.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(fleet.poll_count(0), 1, "polled again before its place");
    engine.shutdown().await;
    fleet.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_handed_over_keeps_its_place_in_the_interval() {
    let fleet = busy_fleet(1).await;
    let engine = spread_watcher();
    let url = fleet.agents()[0].base_url.clone();
    let agent = slow_agent(&engine, &url);
    // Another watcher holds it for 3 s and polled it just now (its interval: ten minutes).
    let held = held_by_another_watcher(&engine, 3_000);
    assert_eq!(held.agents, vec![(agent, 1)]);
    let polled = baton_core::agent::AgentHealth::default().succeeded(chrono::Utc::now(), 5);
    engine
        .store()
        .write_blocking(move |s| s.record_health(agent, &polled))
        .unwrap();
    let mut notes = engine.subscribe_sharing();
    engine.start_all().await.unwrap();
    let took = wait_note(&mut notes, "holds", "took 1").await;
    assert!(
        took.message.contains("polls 1 agent(s)"),
        "{}",
        took.message
    );
    // Not at once: its next poll is ten minutes after the last one, whoever makes it.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        fleet.poll_count(0),
        0,
        "polled at once, though the watcher before polled it seconds ago"
    );
    engine.shutdown().await;
    fleet.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_heartbeat_that_came_back_late_is_followed_by_the_next_at_once_and_says_so() {
    // A heartbeat every 5 s; the term lets one take 13 s before the watcher stops itself,
    // and one over 6.5 s is reported.
    let engine = engine_with(EngineConfig {
        sharing: Some(Sharing::this_process(30_000, Some("w1".into()))),
        ..test_config()
    });
    let mut notes = engine.subscribe_sharing();
    engine.start_all().await.unwrap();
    // The heartbeat's lane is kept busy for 12 s: the beat due at 5 s comes back after 12 s,
    // past the time the next was due (10 s).
    let store = engine.store();
    let busy = tokio::spawn(async move {
        store
            .write_urgent(|_| {
                std::thread::sleep(Duration::from_secs(12));
                Ok(())
            })
            .await
    });
    let beats = |engine: &baton_engine::Engine| engine.stats().heartbeats.beats;
    assert_eq!(beats(&engine), 0, "none after the first yet");
    busy.await.unwrap().unwrap();
    let late = wait_note(&mut notes, "late", "to renew this watcher's leases").await;
    assert!(late.message.contains("13.0 s"), "{}", late.message);
    // The next at once, not a period (5 s) after the late one came back.
    let engine_ref = &engine;
    assert!(
        eventually(Duration::from_millis(2_500), || beats(engine_ref) >= 2).await,
        "no second heartbeat within half a period of the late one: {:?}",
        engine.stats().heartbeats
    );
    let stats = engine.stats().heartbeats;
    assert!(stats.slow >= 1 && stats.max_ms >= 6_500.0, "{stats:?}");
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watcher_joining_gets_its_share_at_once_not_at_the_next_heartbeats() {
    let fleet = busy_fleet(4).await;
    let dir = tempfile::tempdir().unwrap();
    let location = test_location(dir.path());
    // Heartbeats every 20 s: a hand-over waiting for them takes up to 40 s (the first watcher
    // offers at its next, the second takes at its next after that).
    let watcher =
        |name: &str| watcher_at(&location, Sharing::this_process(120_000, Some(name.into())));
    let w1 = watcher("w1");
    for agent in fleet.agents() {
        store_agent(&w1, &draft(&agent.name, &agent.base_url, 250, 200));
    }
    let mut w1_notes = w1.subscribe_sharing();
    w1.start_all().await.unwrap();
    wait_note(&mut w1_notes, "holds", "polls 4 agent(s)").await;

    let w2 = watcher("w2");
    let mut w2_notes = w2.subscribe_sharing();
    let joined = std::time::Instant::now();
    w2.start_all().await.unwrap();
    // Its join wakes w1, which offers two and says so; that wakes w2, which takes them (and
    // w1 then says it gave them back).
    wait_note(&mut w1_notes, "holds", "gave back 2").await;
    wait_note(&mut w2_notes, "holds", "took 2").await;
    let took = joined.elapsed();
    assert!(
        took < Duration::from_secs(10),
        "the hand-over took {took:?}: it waited for the heartbeats"
    );
    w2.shutdown().await;
    w1.shutdown().await;
    fleet.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_offered_to_a_watcher_that_joined_is_polled_until_that_watcher_takes_it() {
    let fleet = busy_fleet(2).await;
    let dir = tempfile::tempdir().unwrap();
    let location = test_location(dir.path());
    let engine = watcher_at(&location, sharing("w1"));
    for agent in fleet.agents() {
        store_agent(&engine, &draft(&agent.name, &agent.base_url, 250, 200));
    }
    let mut notes = engine.subscribe_sharing();
    engine.start_all().await.unwrap();
    wait_note(&mut notes, "holds", "polls 2 agent(s)").await;
    // Another watcher (another machine, its own connection) joins, and takes nothing yet: w1,
    // woken by the join, offers it the newer agent and polls it on meanwhile.
    let other = WatcherSpec {
        name: "w0".into(),
        host: "elsewhere".into(),
        pid: 1,
    };
    let mut elsewhere = baton_store::Store::open_at(&location).unwrap();
    let w0 = elsewhere.join_watchers(&other, 3_600_000).unwrap();
    wait_note(&mut notes, "holds", "offers 1 agent(s)").await;
    let offered_at = fleet.poll_count(1);
    assert!(
        eventually(Duration::from_secs(10), || fleet.poll_count(1)
            >= offered_at + 4)
        .await,
        "the agent offered was not polled on while nobody had taken it"
    );
    // w0 takes it: w1 stops polling it and says it gave it back; its polls refused by the
    // take's fence are no news (no "fenced" note).
    let taken = elsewhere.heartbeat(&other, w0, 3_600_000, false).unwrap();
    assert_eq!(taken.agents.len(), 1);
    let gave = wait_note(&mut notes, "holds", "gave back 1").await;
    assert!(
        gave.message.contains("polls 1 agent(s)"),
        "{}",
        gave.message
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let stopped_at = fleet.poll_count(1);
    let kept_at = fleet.poll_count(0);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(fleet.poll_count(1), stopped_at, "polled after w0 took it");
    assert!(fleet.poll_count(0) > kept_at, "the agent kept is polled on");
    while let Ok(note) = notes.try_recv() {
        assert_ne!(note.kind, "fenced", "{}", note.message);
    }
    engine.shutdown().await;
    fleet.shutdown().await;
}

/// The giver of an offered agent asks the store before each fetch: taken by another watcher a
/// moment ago (its own heartbeat has not heard yet), the agent is not asked again from the
/// giver's older cursor, behind the taker's (seen once on CI: a cursor going back after a
/// kill, with three watchers sharing 200 agents).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offered_agent_taken_a_moment_ago_is_not_fetched_again_by_its_giver() {
    let fleet = busy_fleet(2).await;
    let dir = tempfile::tempdir().unwrap();
    let location = test_location(dir.path());
    let engine = watcher_at(&location, sharing("w1"));
    // Polled once a minute: the polls here are the test's own.
    let ids: Vec<i64> = fleet
        .agents()
        .iter()
        .map(|agent| store_agent(&engine, &draft(&agent.name, &agent.base_url, 60_000, 2_000)).id)
        .collect();
    let mut notes = engine.subscribe_sharing();
    engine.start_all().await.unwrap();
    wait_note(&mut notes, "holds", "polls 2 agent(s)").await;
    let other = WatcherSpec {
        name: "w0".into(),
        host: "elsewhere".into(),
        pid: 1,
    };
    let mut elsewhere = baton_store::Store::open_at(&location).unwrap();
    let w0 = elsewhere.join_watchers(&other, 3_600_000).unwrap();
    wait_note(&mut notes, "holds", "offers 1 agent(s)").await;
    // Still w1's: polled.
    engine.poll_once(ids[1]).await.unwrap();
    let before = fleet.poll_count(1);
    assert!(before >= 1);
    // w0 takes it; w1 polls it at once, before its heartbeat can hear of the take.
    let taken = elsewhere.heartbeat(&other, w0, 3_600_000, false).unwrap();
    assert_eq!(taken.agents.len(), 1);
    let refused = engine.poll_once(ids[1]).await.unwrap_err().to_string();
    assert!(
        refused.contains(&format!("watcher {w0} holds it")) || refused.contains("does not hold"),
        "{refused}"
    );
    assert_eq!(
        fleet.poll_count(1),
        before,
        "the giver fetched the agent after it was taken"
    );
    // The agent it keeps is polled as before.
    engine.poll_once(ids[0]).await.unwrap();
    engine.shutdown().await;
    fleet.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watcher_taking_an_agent_over_compares_only_the_tasks_changed_since() {
    let fleet = SimFleet::start(SimConfig::stepped(1)).await.unwrap();
    for _ in 0..6 {
        fleet.step();
    }
    let config = |name: &str| EngineConfig {
        sharing: Some(sharing(name)),
        ..test_config()
    };
    let first = engine_with(config("w1"));
    let url = fleet.agents()[0].base_url.clone();
    let agent = store_agent(&first, &draft("Researcher", &url, 250, 200)).id;
    first.start_all().await.unwrap();
    let store = first.store();
    let stored = fleet.tasks(0);
    let reported = stored.len();
    assert!(reported >= 2, "{reported} tasks");
    assert!(
        eventually(Duration::from_secs(30), || {
            let kept = store.read_blocking(move |s| s.reported_digests(agent));
            kept.unwrap().len() == reported
        })
        .await,
        "the first watcher did not store the agent's tasks with their digests"
    );
    // Nothing was stored of the agent before: its first poll compared every task it sent.
    let stats = first.stats();
    assert_eq!(
        (stats.first_polls, stats.first_polls_tasks_compared),
        (1, reported as u64)
    );
    first.shutdown().await;

    // The agent moves on; the next watcher takes it (the first left) and its first poll
    // compares only what changed: the rest are settled by the digests stored with them.
    let mut changed = 0;
    while changed == 0 {
        fleet.step();
        changed = fleet
            .tasks(0)
            .iter()
            .filter(|t| !stored.contains(t))
            .count();
    }
    let next = Engine::new(
        first.store(),
        Arc::new(MemoryTokens::new(None)),
        config("w2"),
    );
    let mut notes = next.subscribe_sharing();
    next.start_all().await.unwrap();
    wait_note(&mut notes, "holds", "polls 1 agent(s)").await;
    assert!(
        eventually(Duration::from_secs(30), || next.stats().first_polls == 1).await,
        "{:?}",
        next.stats()
    );
    // Read with the other agents taken in the same heartbeat (here none), not alone.
    let stats = next.stats();
    assert_eq!(
        (
            stats.first_polls_tasks_compared,
            stats.first_polls_read_alone
        ),
        (changed as u64, 0)
    );
    next.shutdown().await;
    fleet.shutdown().await;
}
