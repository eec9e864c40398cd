//! Scenario fleets over real HTTP on 127.0.0.1: the documents, the timeline waiting for its
//! poller, an endpoint going dark, and a decision reaching the agent that asked.

use std::time::{Duration, Instant};

use crate::common::*;
use baton_core::protocol::{DecisionDelivery, EventKind};
use baton_core::task::TaskState;
use baton_sim::{Scenario, SimFleet};
use chrono::Utc;

#[tokio::test]
async fn every_scenario_serves_schema_valid_documents_tick_by_tick() {
    let http = client();
    for scenario in Scenario::ALL {
        let fleet = SimFleet::start_scenario(scenario, 0, 0).await.unwrap();
        assert_eq!(fleet.scenario(), Some(scenario));
        let agents = fleet.agents();
        let cast = scenario.cast();
        assert_eq!(agents.len(), cast.len());
        let mut cursors = vec![None; agents.len()];
        let mut seen = 0;
        for _ in 0..scenario.last_tick() {
            fleet.step();
            for agent in &agents {
                assert_eq!(agent.id, cast[agent.index].id);
                assert_eq!(agent.name, cast[agent.index].name);
                let Ok(response) = http
                    .get(status_url(&agent.base_url, cursors[agent.index].as_deref()))
                    .send()
                    .await
                else {
                    // The unreachable scenario's scraper closed its endpoint.
                    assert_eq!(
                        (scenario, agent.id.as_str()),
                        (Scenario::Unreachable, "scraper")
                    );
                    continue;
                };
                let doc = check_body(&response.bytes().await.unwrap());
                assert_eq!(doc.agent.id, agent.id);
                seen += doc.events.len();
                cursors[agent.index] = Some(doc.cursor);
            }
        }
        assert!(seen >= 4, "{scenario}: {seen} events");
        fleet.shutdown().await;
    }
}

#[tokio::test]
async fn the_timeline_waits_until_every_agent_was_polled() {
    let fleet = SimFleet::start_scenario(Scenario::WriteCollision, 0, 50)
        .await
        .unwrap();
    let http = client();
    let agents = fleet.agents();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let editor = poll(&http, &agents[0].base_url, None).await;
    assert!(
        editor.tasks.is_empty(),
        "no tick before the publisher is polled"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(poll(&http, &agents[0].base_url, None)
        .await
        .tasks
        .is_empty());
    poll(&http, &agents[1].base_url, None).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let editor = poll(&http, &agents[0].base_url, None).await;
    assert_eq!(editor.tasks.len(), 1, "the story started");
    let writes = editor
        .events
        .iter()
        .filter(|e| e.kind == EventKind::Write)
        .count();
    assert_eq!(writes, 1);
    fleet.shutdown().await;
}

#[tokio::test]
async fn the_scraper_stops_answering_and_can_be_brought_back() {
    let fleet = SimFleet::start_scenario(Scenario::Unreachable, 0, 0)
        .await
        .unwrap();
    let http = client();
    let scraper = fleet.agents()[0].clone();
    assert_eq!(scraper.id, "scraper");
    for _ in 0..2 {
        fleet.step();
    }
    poll(&http, &scraper.base_url, None).await;
    fleet.step();
    // Dropping the listener's handle closes it at once, from the (synchronous) step.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let refused = tokio::net::TcpStream::connect(("127.0.0.1", scraper.port))
            .await
            .is_err();
        if refused {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the scraper still accepts connections"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The analyst carries on.
    poll(&http, &fleet.agents()[1].base_url, None).await;
    fleet.restart_agent(0).await.unwrap();
    // A fresh client: the old one's pooled connection to the scraper was closed under it.
    let http = client();
    let back = poll(&http, &scraper.base_url, None).await;
    assert_eq!(back.agent.id, "scraper");
    fleet.step();
    poll(&http, &scraper.base_url, None).await;
    fleet.shutdown().await;
}

#[tokio::test]
async fn an_approval_posted_to_the_publisher_lets_the_post_go_out() {
    let fleet = SimFleet::start_scenario(Scenario::NeedsApproval, 0, 0)
        .await
        .unwrap();
    let http = client();
    let publisher = fleet.agents()[0].clone();
    for _ in 0..3 {
        fleet.step();
    }
    let doc = poll(&http, &publisher.base_url, None).await;
    assert_eq!(doc.tasks[0].state, TaskState::InputRequired);
    let decision = DecisionDelivery {
        decision_id: "d-1".into(),
        escalation_id: None,
        task_id: Some("publish-launch".into()),
        action: "approve".into(),
        note: None,
        decided_by: "ana".into(),
        decided_at: Utc::now(),
        budget: None,
        ..Default::default()
    };
    let response = http
        .post(format!("{}/baton/v1/decisions", publisher.base_url))
        .header("Idempotency-Key", "key-1")
        .json(&decision)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(fleet.decisions(0), [decision]);
    fleet.step();
    let doc = poll(&http, &publisher.base_url, None).await;
    assert_eq!(doc.tasks[0].state, TaskState::Completed);
    fleet.shutdown().await;
}
