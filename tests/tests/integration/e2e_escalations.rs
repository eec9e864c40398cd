//! The escalation queue in the real app under Xvfb: the write-collision scenario (an editor and
//! a publisher writing one draft) runs against the app; the escalation reaches the queue within
//! two poll intervals of the second write, is approved with the keyboard, the simulated agents
//! receive the decision, the queue shows it delivered, and the decision log lists it.
//! Screenshots go to target/e2e-screenshots/.

use std::time::Duration;

use baton_core::agent::AgentDraft;
use baton_core::escalations::EscalationState;
use baton_sim::{Scenario, SimFleet};
use baton_store::escalations::EscalationFilter;
use baton_store::Store;
use baton_tests::app::{RunningApp, ONE_APP};

const LONG: Duration = Duration::from_secs(30);
const POLL_MS: u64 = 1_000;
/// Scenario steps: slow enough for the app's first polls of both agents to come first.
const TICK_MS: u64 = 700;
const DRAFT: &str = "file:///drafts/launch.md";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_collision_is_escalated_approved_with_the_keyboard_and_delivered() {
    let _one_app_at_a_time = ONE_APP.lock().await;
    let fleet = SimFleet::start_scenario(Scenario::WriteCollision, 0, TICK_MS)
        .await
        .expect("scenario agents");
    // The agents are in the store before the app opens (added by name and URL, as a user would).
    let data = tempfile::tempdir().unwrap();
    let db = data.path().join("baton.sqlite3");
    {
        let mut store = Store::open(&db).unwrap();
        for agent in fleet.agents() {
            let draft = AgentDraft {
                poll_interval_ms: POLL_MS,
                timeout_ms: 500,
                ..AgentDraft::new(&agent.name, &agent.base_url)
            };
            store.add_agent(&draft).unwrap();
        }
    }
    let app = RunningApp::launch_in(data).await;
    let mut result = drive(&app, &fleet, &db).await;
    if let Err(err) = &result {
        result = Err(format!(
            "{err}; {}",
            app.capture_failure("escalations").await
        ));
    }
    app.close().await;
    fleet.shutdown().await;
    if let Err(err) = result {
        panic!("escalation flow: {err}");
    }
}

async fn drive(app: &RunningApp, fleet: &SimFleet, db: &std::path::Path) -> Result<(), String> {
    let session = app.session();
    session
        .wait_for("[data-testid=nav-escalations]", LONG)
        .await?;
    session.show_view_by_key("5").await?;
    let row = "[data-testid=escalation-row][data-kind=write_collision][data-state=open]";
    session.wait_for(row, LONG).await?;

    // Latency, from the store: the escalation opened within two poll intervals of the second
    // write at the agent.
    let store = Store::open(db).map_err(|e| e.to_string())?;
    let queue = store
        .escalations(EscalationFilter::default())
        .map_err(|e| e.to_string())?;
    let escalation = queue
        .iter()
        .find(|e| e.resource.as_deref() == Some(DRAFT))
        .ok_or_else(|| format!("no escalation on {DRAFT}: {queue:#?}"))?;
    let timeline = store
        .escalation_timeline(escalation.id)
        .map_err(|e| e.to_string())?;
    let second_write = timeline
        .events
        .iter()
        .filter(|e| e.evidence)
        .map(|e| e.at)
        .max()
        .ok_or("the escalation has no evidence events")?;
    let latency = escalation.opened_at - second_write;
    if latency > chrono::Duration::milliseconds(2 * POLL_MS as i64) {
        return Err(format!(
            "the escalation opened {} ms after the second write (poll interval {POLL_MS} ms)",
            latency.num_milliseconds()
        ));
    }
    eprintln!(
        "write collision escalated {} ms after the second write",
        latency.num_milliseconds()
    );

    // The detail shows both agents' lanes with the evidence marked.
    session
        .wait_for("[data-testid=escalation-detail]", LONG)
        .await?;
    session
        .wait_for("[data-testid=timeline-event][data-evidence=true]", LONG)
        .await?;
    let lanes = session.find_all("[data-testid=timeline-lane]").await?.len();
    if lanes != 2 {
        return Err(format!("expected one lane per agent, found {lanes}"));
    }
    // The first open escalation is selected, so `a` acts on it.
    session
        .wait_for(&format!("{row}[aria-selected=true]"), LONG)
        .await?;
    app.screenshot("escalation-queue")?;

    // Approve with the keyboard.
    session.keys("a").await?;
    session
        .wait_for(
            "[data-testid=escalation-row][data-kind=write_collision][data-state=resolved]",
            LONG,
        )
        .await?;

    // Both simulated agents receive the decision, exactly once.
    let deadline = std::time::Instant::now() + LONG;
    loop {
        let received: Vec<usize> = (0..2).map(|i| fleet.decisions(i).len()).collect();
        if received == [1, 1] {
            break;
        }
        if std::time::Instant::now() > deadline {
            return Err(format!("decisions received by the agents: {received:?}"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for index in 0..2 {
        let decision = &fleet.decisions(index)[0];
        if decision.action != "approve" {
            return Err(format!("agent {index} received {decision:?}"));
        }
    }
    // The queue shows it delivered to both.
    let resolved = "[data-testid=escalation-row][data-kind=write_collision][data-state=resolved]";
    session.click_first(resolved, LONG).await?;
    let deadline = std::time::Instant::now() + LONG;
    loop {
        let delivered = session
            .find_all("[data-testid=delivery-state][data-state=delivered]")
            .await?
            .len();
        if delivered == 2 {
            break;
        }
        if std::time::Instant::now() > deadline {
            return Err(format!(
                "{delivered} delivery line(s) say delivered, expected 2"
            ));
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let stored = store.escalation(escalation.id).map_err(|e| e.to_string())?;
    if stored.state != EscalationState::Resolved {
        return Err(format!("stored state: {:?}", stored.state));
    }
    app.screenshot("escalation-delivered")?;

    // The decision log lists it, and says where it was decided.
    session.show_view_by_key("4").await?;
    session
        .wait_for("[data-testid=decision-row][data-action=approve]", LONG)
        .await?;
    session
        .wait_for_text(
            "[data-testid=decision-row][data-action=approve] [data-testid=decision-place]",
            "in the app",
            LONG,
        )
        .await?;
    app.screenshot("escalation-decision-log")?;
    Ok(())
}
