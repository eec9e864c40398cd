//! The replay over real HTTP: a scenario played by simulated agents on 127.0.0.1 and polled by
//! a real engine. At moments along the way the board is read as the app reads it — inside the
//! writer, so that no poll commits between the moment and the read — and at the end the board
//! replayed at each of those moments must be exactly the board read then.

use std::time::Duration;

use crate::support::*;
use baton_core::views::TaskCard;
use baton_sim::{Scenario, SimFleet};
use chrono::{DateTime, Utc};

#[tokio::test]
async fn the_board_replayed_at_each_moment_is_the_board_that_was_shown() {
    let fleet = SimFleet::start_scenario(Scenario::NeedsApproval, 0, 250)
        .await
        .unwrap();
    let engine = engine();
    engine.start_all().await.unwrap();
    for agent in fleet.agents() {
        engine
            .add_agent(draft(&agent.name, &agent.base_url, 250, 200), None)
            .await
            .unwrap();
    }
    let mut shown: Vec<(DateTime<Utc>, Vec<TaskCard>)> = Vec::new();
    for _ in 0..14 {
        tokio::time::sleep(Duration::from_millis(180)).await;
        let seen = engine
            .write(|s| {
                let at = Utc::now();
                Ok((at, s.task_cards(None)?))
            })
            .await
            .unwrap();
        shown.push(seen);
    }
    // The scenario moved on while it was read: several different boards were shown.
    let mut distinct: Vec<&Vec<TaskCard>> = shown.iter().map(|(_, b)| b).collect();
    distinct.dedup();
    assert!(distinct.len() >= 3, "the boards read: {distinct:#?}");
    for (at, board) in &shown {
        let replayed = engine
            .read({
                let at = *at;
                move |s| s.task_cards_at(at)
            })
            .await
            .unwrap();
        assert_eq!(&replayed, board, "at {at}");
    }
    engine.shutdown().await;
    fleet.shutdown().await;
}
