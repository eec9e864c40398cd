//! The simulated fleet over real HTTP on 127.0.0.1.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use crate::common::*;
use baton_core::protocol::{EventKind, StatusDocument};
use baton_core::task::TaskState;
use baton_sim::{SimConfig, SimFleet};

fn seqs(doc: &StatusDocument) -> Vec<u64> {
    doc.events.iter().map(|e| e.seq).collect()
}

#[tokio::test]
async fn every_answer_parses_and_matches_the_schema() {
    let fleet = manual_fleet(6, 42).await;
    let http = client();
    let agents = fleet.agents();
    assert_eq!(agents.len(), 6);
    // One of each role, in the roles' order.
    let ids: Vec<_> = agents.iter().map(|a| a.id.clone()).collect();
    let roles: Vec<_> = (0..6).map(|i| baton_sim::roles::identity(i).0).collect();
    assert_eq!(ids, roles);
    assert_eq!(ids[0], "researcher-1");
    let mut cursors: HashMap<usize, String> = HashMap::new();
    let mut kinds = HashSet::new();
    for round in 0..40 {
        fleet.step();
        for agent in &agents {
            assert_eq!(agent.base_url, format!("http://127.0.0.1:{}", agent.port));
            let since = cursors.get(&agent.index).cloned();
            let doc = poll(&http, &agent.base_url, since.as_deref()).await;
            assert_eq!(doc.agent.id, agent.id);
            assert_eq!(doc.agent.name.as_deref(), Some(agent.name.as_str()));
            assert!(
                !doc.tasks.is_empty(),
                "round {round}: {} has no task",
                agent.id
            );
            kinds.extend(doc.events.iter().map(|e| e.kind));
            cursors.insert(agent.index, doc.cursor);
        }
    }
    for kind in [
        EventKind::State,
        EventKind::Write,
        EventKind::Read,
        EventKind::ApiCall,
    ] {
        assert!(kinds.contains(&kind), "no {kind:?} event in 40 ticks");
    }
    assert_eq!(fleet.poll_count(0), 40);
    fleet.shutdown().await;
}

#[tokio::test]
async fn a_fresh_fleet_answers_before_its_first_tick_and_moves_within_a_few() {
    let fleet = manual_fleet(5, 7).await;
    let http = client();
    let base = fleet.agents()[2].base_url.clone();
    let empty = poll(&http, &base, None).await;
    assert!(empty.tasks.is_empty() && empty.events.is_empty());
    assert_eq!(empty.cursor, "0");
    fleet.step();
    let first = poll(&http, &base, None).await;
    assert_eq!(first.tasks.len(), 1);
    assert_eq!(first.tasks[0].state, TaskState::Submitted);
    let id = first.tasks[0].id.clone();
    for _ in 0..3 {
        fleet.step();
    }
    let later = poll(&http, &base, None).await;
    // What the fleet says the agent reports is what it answers.
    assert_eq!(fleet.tasks(2), later.tasks);
    let task = later.tasks.iter().find(|t| t.id == id).unwrap();
    assert_ne!(
        task.state,
        TaskState::Submitted,
        "the first task moved within 4 ticks"
    );
    fleet.shutdown().await;
}

#[tokio::test]
async fn events_are_redelivered_until_since_passes_them_and_never_skipped() {
    let fleet = manual_fleet(2, 42).await;
    let http = client();
    let base = fleet.agents()[0].base_url.clone();
    for _ in 0..5 {
        fleet.step();
    }
    let a = poll(&http, &base, None).await;
    assert!(a.events.len() >= 3, "{:?}", seqs(&a));
    assert_eq!(seqs(&a)[0], 1);
    // A poll that never came back (lost answer): the same events again.
    let b = poll(&http, &base, Some("")).await;
    assert_eq!(seqs(&a), seqs(&b));
    let junk = poll(&http, &base, Some("%F0%9F%98%80garbage")).await;
    assert_eq!(
        seqs(&a),
        seqs(&junk),
        "a garbage cursor starts from what is held"
    );
    // Acknowledge part way: the rest is still there, then more arrive after new ticks.
    let mid = a.events[1].seq.to_string();
    let c = poll(&http, &base, Some(&mid)).await;
    assert_eq!(seqs(&c), seqs(&a)[2..].to_vec());
    fleet.step();
    fleet.step();
    let d = poll(&http, &base, Some(&mid)).await;
    assert!(d.events.len() > c.events.len());
    assert_eq!(seqs(&d)[..c.events.len()], seqs(&c)[..]);
    let e = poll(&http, &base, Some(&d.cursor)).await;
    assert!(e.events.is_empty());
    assert_eq!(e.cursor, d.cursor);
    // Everything acknowledged: a poll from scratch sees nothing old.
    let f = poll(&http, &base, None).await;
    assert!(f.events.is_empty());
    assert_eq!(f.cursor, d.cursor);
    fleet.shutdown().await;
}

#[tokio::test]
async fn pages_of_max_events_deliver_every_seq_once_in_order() {
    let fleet = SimFleet::start(SimConfig {
        agents: 1,
        base_port: 0,
        tick_ms: 0,
        max_events_per_poll: 3,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let http = client();
    let base = fleet.agents()[0].base_url.clone();
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for round in 0..30 {
        if round % 3 == 0 {
            fleet.step();
        }
        let doc = poll(&http, &base, cursor.as_deref()).await;
        assert!(doc.events.len() <= 3);
        if let Some(last) = doc.events.last() {
            assert_eq!(doc.cursor, last.seq.to_string());
        }
        seen.extend(seqs(&doc));
        cursor = Some(doc.cursor);
    }
    // Drain what is left.
    loop {
        let doc = poll(&http, &base, cursor.as_deref()).await;
        if doc.events.is_empty() {
            break;
        }
        seen.extend(seqs(&doc));
        cursor = Some(doc.cursor);
    }
    assert!(seen.len() > 10);
    assert_eq!(seen, (1..=seen.len() as u64).collect::<Vec<_>>());
    fleet.shutdown().await;
}

type Story = Vec<Vec<(String, String, TaskState)>>;

async fn story(seed: u64, steps: usize) -> Story {
    let fleet = manual_fleet(5, seed).await;
    let http = client();
    for _ in 0..steps {
        fleet.step();
    }
    let mut story = Vec::new();
    for agent in fleet.agents() {
        let doc = poll(&http, &agent.base_url, None).await;
        story.push(
            doc.tasks
                .into_iter()
                .map(|t| (t.id, t.title, t.state))
                .collect(),
        );
    }
    fleet.shutdown().await;
    story
}

#[tokio::test]
async fn the_same_seed_tells_the_same_story() {
    let one = story(1234, 25).await;
    let two = story(1234, 25).await;
    assert_eq!(one, two);
    assert!(one.iter().all(|tasks| !tasks.is_empty()));
    let other = story(1235, 25).await;
    assert_ne!(one, other, "another seed, another story");
}

#[tokio::test]
async fn a_stopped_agent_refuses_connections_and_restarts_with_its_state() {
    let fleet = manual_fleet(3, 42).await;
    let http = client();
    let agent = fleet.agents()[1].clone();
    for _ in 0..4 {
        fleet.step();
    }
    let before = poll(&http, &agent.base_url, None).await;
    fleet.stop_agent(1).await;
    for client in [&http, &client()] {
        let err = client
            .get(status_url(&agent.base_url, None))
            .send()
            .await
            .expect_err("a stopped agent must not answer");
        assert!(err.is_connect(), "{err:?}");
    }
    // The others still answer, and the stopped one's script still runs.
    poll(&http, &fleet.agents()[0].base_url, None).await;
    fleet.stop_agent(1).await;
    fleet.restart_agent(1).await.unwrap();
    fleet.restart_agent(1).await.unwrap();
    assert_eq!(fleet.agents()[1].port, agent.port);
    let after = poll(&http, &agent.base_url, None).await;
    assert_eq!(after.tasks, before.tasks, "state intact");
    assert_eq!(seqs(&after), seqs(&before), "held events intact");
    fleet.step_agent(1);
    let moved = poll(&http, &agent.base_url, Some(&after.cursor)).await;
    assert!(!moved.events.is_empty());
    assert_eq!(moved.events[0].seq, after.events.last().unwrap().seq + 1);
    fleet.shutdown().await;
}

#[tokio::test]
async fn the_timer_steps_the_fleet() {
    let fleet = SimFleet::start(SimConfig {
        agents: 2,
        base_port: 0,
        tick_ms: 40,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let http = client();
    let base = fleet.agents()[1].base_url.clone();
    let mut last_seq = 0;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(40)).await;
        let doc = poll(&http, &base, None).await;
        last_seq = doc.events.last().map_or(0, |e| e.seq);
        if last_seq > 10 {
            break;
        }
    }
    assert!(last_seq > 10, "the timer should have ticked many times");
    fleet.shutdown().await;
}

#[tokio::test]
async fn agents_listen_on_consecutive_ports_from_base_port() {
    // Find a free pair of ports; another process may grab them between probe and bind, so retry.
    for _ in 0..10 {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base_port = probe.local_addr().unwrap().port();
        drop(probe);
        if base_port == u16::MAX {
            continue;
        }
        let config = SimConfig {
            agents: 2,
            base_port,
            tick_ms: 0,
            ..SimConfig::default()
        };
        let Ok(fleet) = SimFleet::start(config).await else {
            continue;
        };
        let ports: Vec<u16> = fleet.agents().iter().map(|a| a.port).collect();
        assert_eq!(ports, [base_port, base_port + 1]);
        poll(&client(), &fleet.agents()[1].base_url, None).await;
        fleet.shutdown().await;
        return;
    }
    panic!("no free pair of ports in 10 tries");
}

#[tokio::test]
async fn unknown_paths_answer_404() {
    let fleet = manual_fleet(1, 42).await;
    let response = client()
        .get(format!("{}/status", fleet.agents()[0].base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    fleet.shutdown().await;
}

#[tokio::test]
async fn each_status_request_is_timed_on_arrival() {
    let fleet = manual_fleet(2, 42).await;
    let http = client();
    let base = fleet.agents()[0].base_url.clone();
    let before = std::time::Instant::now();
    for _ in 0..3 {
        poll(&http, &base, None).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let after = std::time::Instant::now();
    let arrivals = fleet.poll_arrivals(0);
    assert_eq!(arrivals.len(), 3);
    assert!(arrivals
        .windows(2)
        .all(|w| w[1] >= w[0] + Duration::from_millis(19)));
    // Kept to the millisecond.
    assert!(arrivals[0] + Duration::from_millis(1) >= before);
    assert!(arrivals[2] <= after);
    assert!(fleet.poll_arrivals(1).is_empty(), "agent 1 was never asked");
    // Each request with the port it came from: one client's kept-alive connection is one port,
    // another client's is another.
    let sources = fleet.poll_sources(0);
    assert_eq!(
        sources.iter().map(|(at, _)| *at).collect::<Vec<_>>(),
        arrivals
    );
    let port = sources[0].1;
    assert!(sources.iter().all(|(_, p)| *p == port), "{sources:?}");
    poll(&client(), &base, None).await;
    let other = fleet.poll_sources(0)[3].1;
    assert_ne!(
        other, port,
        "a second client comes on a connection of its own"
    );
    // And the cursor each asked from: none, a number, or something that is not one.
    poll(&http, &base, Some("7")).await;
    poll(&http, &base, Some("junk")).await;
    let cursors: Vec<Option<u64>> = fleet.poll_cursors(0).into_iter().map(|c| c.1).collect();
    assert_eq!(cursors, [None, None, None, None, Some(7), None]);
    fleet.shutdown().await;
}
