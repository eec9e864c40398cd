//! Baton headless against A2A servers users really run, installed from PyPI into the peers'
//! virtualenv: fasta2a (pydantic-ai's server) and the LangGraph dev server. Everything goes
//! through the CLI as a terminal user would: a `baton.toml` with `protocol = "auto"`,
//! `baton watch --config`, `baton follow`, `baton decide`; the store is only read to check.
//!
//! * fasta2a writes local times without a zone (its clock in UTC−8 here) and answers an answer
//!   with a *new* task: the waiting task's age is right, the agent's row says how times are
//!   read, and the escalation stays open saying why.
//! * LangGraph continues the task, replying only once the resumed run has finished (5 s here):
//!   the answer is delivered and the task completes; a question answered through LangGraph's
//!   own API (as its Studio does) settles its escalation although the task keeps its old time.
//!
//! `cargo test -p baton-tests --test integration peer_a2a_servers::`; needs `scripts/setup.sh --test`.

use baton_core::escalations::{DeliveryState, EscalationState};
use baton_core::task::TaskState;
use baton_tests::peers::{Fasta2a, Headless, LangGraphDev};
use chrono::Utc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fasta2a_local_times_and_an_answer_it_takes_as_a_new_task() {
    let server = Fasta2a::start("PST8PDT");
    let baton = Headless::start("Planner", &server.base_url);
    let task = server.submit("ask me where to go").await;
    assert_eq!(server.state_of(&task).await, "input-required");
    // fasta2a cannot list its tasks: Baton follows the one it is given.
    baton
        .wait("the agent detected as A2A", || {
            baton
                .store()?
                .agent_rows()
                .ok()?
                .into_iter()
                .find(|r| r.a2a.as_ref().is_some_and(|a| a.lists_tasks == Some(false)))
        })
        .await;
    baton.baton(&["follow", "Planner", &task]);
    baton.reaches(&task, TaskState::InputRequired).await;

    // Its time is read in its zone, not as UTC (eight hours off).
    let store = baton.store().unwrap();
    let card = store
        .task_cards(None)
        .unwrap()
        .into_iter()
        .find(|c| c.task_id == task)
        .unwrap();
    let age = Utc::now() - card.state_since;
    assert!(
        age < chrono::Duration::minutes(2) && age > chrono::Duration::seconds(-5),
        "the task is seconds old, not {age}"
    );
    let row = store.agent_rows().unwrap().remove(0);
    let detail = row.remote_detail.unwrap_or_default();
    assert!(
        detail.contains("read as UTC−08:00") || detail.contains("read as UTC−07:00"),
        "{detail}"
    );

    // The question is the last agent message of its history.
    let asked = baton.asked(&task).await;
    assert!(
        !asked.title.contains("needs input"),
        "the question itself: {}",
        asked.title
    );
    let id = asked.id.to_string();
    let said = baton.baton(&["decide", &id, "answer", "Lisbon", "--wait", "20"]);
    eprintln!("decide said: {said}");
    // fasta2a ran the answer as a new task; the one that asked still waits.
    let reopened = baton
        .wait("the escalation open again", || {
            baton.request_for(&task).filter(|e| {
                e.state == EscalationState::Open
                    && e.deliveries
                        .first()
                        .is_some_and(|d| d.state == DeliveryState::Declined)
            })
        })
        .await;
    let why = reopened.deliveries[0]
        .last_error
        .clone()
        .unwrap_or_default();
    assert!(
        why.contains("started a new task") && why.contains("still waits for input"),
        "{why}"
    );
    assert_eq!(server.state_of(&task).await, "input-required");
    let shown = baton.baton(&["escalation", "show", &id]);
    assert!(
        shown.contains("declined it: the agent started a new task"),
        "{shown}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn langgraph_slow_resume_is_delivered_and_an_answer_outside_a2a_settles() {
    let server = LangGraphDev::start(5);
    let baton = Headless::start("Graph", &server.url);

    // Answered through Baton: the reply waits for the resumed run (5 s, over the poll timeout).
    let task = server.submit("ask me a colour").await;
    baton.reaches(&task, TaskState::InputRequired).await;
    let asked = baton.asked(&task).await;
    let said = baton.baton(&[
        "decide",
        &asked.id.to_string(),
        "answer",
        "blue",
        "--wait",
        "30",
    ]);
    eprintln!("decide said: {said}");
    let delivered = baton
        .wait("the answer delivered", || {
            baton.request_for(&task).filter(|e| {
                e.deliveries
                    .first()
                    .is_some_and(|d| d.state == DeliveryState::Delivered)
            })
        })
        .await;
    assert_eq!(delivered.state, EscalationState::Resolved);
    let note = delivered.deliveries[0]
        .last_error
        .clone()
        .unwrap_or_default();
    assert!(note.contains("it is now completed"), "{note}");
    baton.reaches(&task, TaskState::Completed).await;
    assert_eq!(server.state_of(&task).await, "completed");

    // Answered through LangGraph's own API: the task completes with its old time.
    let other = server.submit("ask again").await;
    baton.reaches(&other, TaskState::InputRequired).await;
    let open = baton.asked(&other).await;
    server.resume_directly(&other, "green").await;
    baton.reaches(&other, TaskState::Completed).await;
    let settled = baton
        .wait("the escalation settled", || {
            baton
                .request_for(&other)
                .filter(|e| e.state == EscalationState::Resolved)
        })
        .await;
    assert_eq!(settled.id, open.id);
    assert_eq!(settled.decision.unwrap().action, "settled");
}
