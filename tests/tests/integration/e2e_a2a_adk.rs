//! A Google ADK agent (served with ADK's own `to_a2a`) in the real app under Xvfb: it asks
//! through a long-running function call; the queue shows the call's question and the task's
//! title, the person answers in the item, and the answer reaches ADK as the call's
//! `function_response`, after which the task completes. Screenshots go to
//! target/e2e-screenshots/.

use std::time::{Duration, Instant};

use baton_tests::app::{add_a2a_agent_by_url, RunningApp, ONE_APP};
use baton_tests::peers::AdkAgent;
use serde_json::Value;

const LONG: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_adk_agents_function_call_question_is_answered_from_the_queue() {
    let _one_app_at_a_time = ONE_APP.lock().await;
    let agent = AdkAgent::start();
    let trip = agent.submit("ask me where to go").await;

    let app = RunningApp::launch().await;
    let mut result = drive(&app, &agent, &trip).await;
    if let Err(err) = &result {
        result = Err(format!("{err}; {}", app.capture_failure("a2a-adk").await));
    }
    app.close().await;
    if let Err(err) = result {
        panic!("ADK flow: {err}");
    }
}

async fn drive(app: &RunningApp, agent: &AdkAgent, trip: &str) -> Result<(), String> {
    let session = app.session();
    add_a2a_agent_by_url(app, &agent.base_url, "adk_peer", "adk").await?;

    // Its row comes up; then the queue: the call's question and the task's own title, not
    // "the agent needs input".
    let row = "[data-testid=agent-row][data-agent-name='adk_peer']";
    session
        .wait_for_text(&format!("{row} [data-testid=agent-health]"), "up", LONG)
        .await?;
    session.show_view_by_key("5").await?;
    let open = "[data-testid=escalation-row][data-kind=needs_approval][data-state=open]";
    session.click_first(open, LONG).await?;
    // The title says the question and the task; the evidence, the fields that came with it.
    for said in [
        "Which city?",
        "ask me where to go",
        "function: ask_human",
        "reason: to book the trip",
    ] {
        session
            .wait_for_text("[data-testid=escalation-detail]", said, LONG)
            .await?;
    }
    let note = session
        .wait_for("[data-testid=escalation-note]", LONG)
        .await?;
    session.type_into(&note, "Lisbon").await?;
    app.screenshot("escalation-adk-question")?;
    session
        .click_first("[data-testid=escalation-action][data-action=approve]", LONG)
        .await?;

    // ADK gets the call's function_response and completes the task.
    let deadline = Instant::now() + LONG;
    let done = loop {
        let task = agent.task(trip).await;
        if task["status"]["state"] == "TASK_STATE_COMPLETED" {
            break task;
        }
        if Instant::now() > deadline {
            return Err(format!(
                "the answered task is still {}",
                task["status"]["state"]
            ));
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    };
    let sent = done["history"]
        .as_array()
        .and_then(|h| h.iter().rev().find(|m| m["role"] == "ROLE_USER"))
        .map(|m| m["parts"][0].clone())
        .unwrap_or(Value::Null);
    if sent["metadata"]["adk_type"] != "function_response"
        || sent["data"]["name"] != "ask_human"
        || sent["data"]["response"]["response"] != "Lisbon"
    {
        return Err(format!(
            "ADK received {sent}, not the call's function_response"
        ));
    }
    session
        .wait_for("[data-testid=delivery-state][data-state=delivered]", LONG)
        .await?;
    app.screenshot("escalation-adk-answered")?;
    Ok(())
}
