//! An A2A agent in the real app under Xvfb: the echo agent built on the official `a2a-sdk`
//! (`tests/peers/a2a_echo_agent.py`) is added by URL alone in the Agents view; Test connection
//! says it speaks A2A (and fills in its name from the card); its tasks reach the board; its
//! request for input is answered from the escalation queue, and the task completes on the
//! server. Screenshots go to target/e2e-screenshots/.

use std::time::{Duration, Instant};

use baton_tests::app::{add_a2a_agent_by_url, RunningApp, ONE_APP};
use baton_tests::peers::{A2aEcho, EchoOptions};

const LONG: Duration = Duration::from_secs(30);
const ANSWER: &str = "blue";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_a2a_agent_added_by_url_shows_its_tasks_and_is_answered_from_the_queue() {
    let _one_app_at_a_time = ONE_APP.lock().await;
    let echo = A2aEcho::start(EchoOptions::default());
    // Work the agent already has when Baton first sees it: one done, one asking a question.
    let done = echo.submit("hello from the e2e test", false).await;
    let asking = echo.submit("ask me something", false).await;
    wait_for_state(&echo, &asking, "TASK_STATE_INPUT_REQUIRED").await;

    let app = RunningApp::launch().await;
    let mut result = drive(&app, &echo, &done, &asking).await;
    if let Err(err) = &result {
        result = Err(format!("{err}; {}", app.capture_failure("a2a").await));
    }
    app.close().await;
    if let Err(err) = result {
        panic!("A2A flow: {err}");
    }
}

async fn wait_for_state(echo: &A2aEcho, task: &str, state: &str) {
    let deadline = Instant::now() + LONG;
    loop {
        let now = echo.state_of(task).await;
        if now == state {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "task {task} is {now}, not {state}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn drive(app: &RunningApp, echo: &A2aEcho, done: &str, asking: &str) -> Result<(), String> {
    let session = app.session();
    let detected = add_a2a_agent_by_url(app, &echo.base_url, "Baton Echo Agent", "a2a").await?;
    if !detected.contains("A2A 1.0") {
        return Err(format!("Test connection says {detected:?}"));
    }

    // The row: A2A, up.
    let row = "[data-testid=agent-row][data-agent-name='Baton Echo Agent']";
    session
        .wait_for_text(&format!("{row} [data-testid=agent-health]"), "up", LONG)
        .await?;
    let badge = session
        .wait_for(&format!("{row} [data-testid=agent-protocol-badge]"), LONG)
        .await?;
    let badge = session.text(&badge).await?;
    if !badge.contains("A2A") {
        return Err(format!("the agent's row says {badge:?}, not A2A"));
    }
    // The card's version, and both tasks counted, once the row catches up with the first poll.
    session
        .wait_for_text(&format!("{row} .agent-remote"), "v0.1.0", LONG)
        .await?;
    app.screenshot("agents-a2a")?;

    // The board: the finished task is done, the asking one needs a human.
    session.show_view_by_key("1").await?;
    session
        .wait_for(
            &format!("[data-testid=task-card][data-task-id='{done}'][data-column=done]"),
            LONG,
        )
        .await?;
    session
        .wait_for(
            &format!("[data-testid=task-card][data-task-id='{asking}'][data-column=needs_human]"),
            LONG,
        )
        .await?;
    app.screenshot("board-a2a")?;

    // The queue: the agent's question, answered by typing and sending.
    session.show_view_by_key("5").await?;
    let open = "[data-testid=escalation-row][data-kind=needs_approval][data-state=open]";
    session.click_first(open, LONG).await?;
    session
        .wait_for_text(
            "[data-testid=escalation-detail]",
            "What is your favourite colour?",
            LONG,
        )
        .await?;
    let note = session
        .wait_for("[data-testid=escalation-note]", LONG)
        .await?;
    session.type_into(&note, ANSWER).await?;
    let send = session
        .wait_for_text(
            "[data-testid=escalation-action][data-action=approve]",
            "Send answer",
            LONG,
        )
        .await;
    send.map_err(|e| format!("the approve button does not offer to send the answer: {e}"))?;
    app.screenshot("escalation-a2a-question")?;
    session
        .click_first("[data-testid=escalation-action][data-action=approve]", LONG)
        .await?;

    // The answer reaches the agent as a message on its task, which completes there; Baton
    // sees it on its next poll and moves the card to done.
    let deadline = Instant::now() + LONG;
    loop {
        let state = echo.state_of(asking).await;
        if state == "TASK_STATE_COMPLETED" {
            break;
        }
        if Instant::now() > deadline {
            return Err(format!("the answered task is still {state} on the agent"));
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    session
        .wait_for(
            "[data-testid=escalation-row][data-kind=needs_approval][data-state=resolved]",
            LONG,
        )
        .await?;
    session
        .wait_for("[data-testid=delivery-state][data-state=delivered]", LONG)
        .await?;
    app.screenshot("escalation-a2a-answered")?;
    session.show_view_by_key("1").await?;
    session
        .wait_for(
            &format!("[data-testid=task-card][data-task-id='{asking}'][data-column=done]"),
            LONG,
        )
        .await?;
    Ok(())
}
