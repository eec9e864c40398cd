//! The A2A adapter against a real A2A server nobody here wrote the protocol side of: an echo
//! agent on the official `a2a-sdk` (PyPI; `tests/peers/a2a_echo_agent.py`). A real engine
//! polls it over HTTP: its tasks reach the board with the right states, an "ask" task becomes a
//! needs-approval escalation, and answering that escalation completes the task on the server.
//! Over JSON-RPC and HTTP+JSON, A2A 1.0 (with `ListTasks`), 1.0 without `ListTasks`, and 0.3.
//!
//! `cargo test -p baton-tests --test integration peer_a2a::`; needs `scripts/setup.sh --test` (the venv).

use std::time::Duration;

use baton_core::agent::{AdapterKind, AgentDraft};
use baton_core::escalations::{DeliveryState, Escalation, EscalationAction, EscalationState};
use baton_core::task::TaskState;
use baton_engine::Engine;
use baton_store::escalations::EscalationFilter;
use baton_store::StoreHandle;
use baton_tests::engine::{self, EngineUnderTest};
use baton_tests::peers::{A2aEcho, EchoOptions};

const WITHIN: Duration = Duration::from_secs(20);

async fn wait_for<T>(what: &str, found: impl FnMut() -> Option<T>) -> T {
    engine::wait_for(what, WITHIN, found).await
}

struct Rig {
    echo: A2aEcho,
    engine: Engine,
    store: StoreHandle,
    agent: i64,
}

impl Rig {
    /// An echo agent started with `options`, added to a running engine after Test connection
    /// detected it as A2A.
    async fn start(options: EchoOptions) -> Rig {
        let echo = A2aEcho::start(options);
        let EngineUnderTest { engine, store } = EngineUnderTest::start().await;
        let mut draft = AgentDraft {
            poll_interval_ms: 500,
            timeout_ms: 450,
            ..AgentDraft::new("Echo", echo.base_url.clone())
        };
        // The form starts from baton/1; detection says A2A.
        let report = engine.test_connection(&draft, None).await;
        assert!(report.ok, "{report:?}");
        assert_eq!(report.adapter, Some(AdapterKind::A2a), "{}", report.message);
        assert_eq!(report.card.as_ref().unwrap().name, "Baton Echo Agent");
        draft.adapter = AdapterKind::A2a;
        let agent = engine.add_agent(draft, None).await.expect("add agent").id;
        Rig {
            echo,
            engine,
            store,
            agent,
        }
    }

    fn state(&self, task_id: &str) -> Option<TaskState> {
        let agent = self.agent;
        self.store
            .read_blocking(move |s| s.task_states(agent))
            .unwrap()
            .get(task_id)
            .copied()
    }

    async fn reaches(&self, task_id: &str, state: TaskState) {
        wait_for(&format!("task {task_id} {state:?} on the board"), || {
            (self.state(task_id) == Some(state)).then_some(())
        })
        .await;
    }

    /// Submits an "ask" task (`text`, over 0.3 when `v0_3`) that the agent does not list, has
    /// the engine follow it and waits until it asks; its id.
    async fn follow_question(&self, text: &str, v0_3: bool) -> String {
        let ask = self.echo.submit(text, v0_3).await;
        self.engine
            .follow_task(self.agent, ask.clone())
            .await
            .expect("follow");
        self.reaches(&ask, TaskState::InputRequired).await;
        ask
    }

    fn escalations(&self, open: bool) -> Vec<Escalation> {
        self.store
            .read_blocking(move |s| {
                s.escalations(EscalationFilter {
                    open,
                    closed: if open { 0 } else { 50 },
                })
            })
            .unwrap()
    }

    /// The "ask" task's escalation arrives naming the agent, the task and the question; it is
    /// answered "red" from the queue and the server completes the task with that answer.
    async fn ask_and_answer(&self, ask: &str) {
        let escalation = wait_for("a needs-approval escalation", || {
            self.escalations(true)
                .into_iter()
                .find(|e| e.kind.as_str() == "needs_approval" && e.task_id.as_deref() == Some(ask))
        })
        .await;
        assert_eq!(escalation.agents, vec![self.agent]);
        assert!(
            escalation.title.contains("What is your favourite colour?"),
            "{}",
            escalation.title
        );
        self.engine
            .decide_escalation(
                escalation.id,
                EscalationAction::Approve,
                Some("red".into()),
                "ana".into(),
            )
            .await
            .expect("approve");
        wait_for("the server to complete the task", || {
            let state = futures_block(self.echo.state_of(ask));
            (state == "TASK_STATE_COMPLETED").then_some(())
        })
        .await;
        self.reaches(ask, TaskState::Completed).await;
        let delivered = wait_for("the delivery to be acknowledged", || {
            let e = self
                .store
                .read_blocking(move |s| s.escalation(escalation.id))
                .unwrap();
            (!e.deliveries.is_empty()
                && e.deliveries
                    .iter()
                    .all(|d| d.state == DeliveryState::Delivered))
            .then_some(e)
        })
        .await;
        assert_eq!(delivered.state, EscalationState::Resolved);
    }
}

/// Runs a future to completion from a sync closure (the waits poll sync closures).
fn futures_block<F: std::future::Future>(future: F) -> F::Output {
    tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(future))
}

async fn full_round(options: EchoOptions) {
    let rig = Rig::start(options).await;
    let done = rig.echo.submit("hello", false).await;
    let slow = rig.echo.submit("slow report", false).await;
    let ask = rig.echo.submit("ask me", false).await;
    rig.reaches(&done, TaskState::Completed).await;
    rig.reaches(&slow, TaskState::Working).await;
    rig.reaches(&ask, TaskState::InputRequired).await;
    rig.ask_and_answer(&ask).await;
    rig.reaches(&slow, TaskState::Completed).await;
    let agent = rig.agent;
    let echo = rig
        .store
        .read_blocking(move |s| s.agent_row(agent))
        .unwrap();
    assert_eq!(echo.remote_name.as_deref(), Some("Baton Echo Agent"));
    assert_eq!(echo.health.consecutive_failures, 0, "{:?}", echo.health);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a2a_1_0_over_json_rpc() {
    full_round(EchoOptions {
        binding: "jsonrpc",
        ..EchoOptions::default()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a2a_1_0_over_rest() {
    full_round(EchoOptions {
        binding: "rest",
        ..EchoOptions::default()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a2a_1_0_without_list_tasks_follows_the_tasks_it_is_given() {
    let rig = Rig::start(EchoOptions {
        no_list_tasks: true,
        ..EchoOptions::default()
    })
    .await;
    let ask = rig.follow_question("ask before lunch", false).await;
    let card = rig
        .store
        .read_blocking(move |s| s.a2a_card(rig.agent))
        .unwrap()
        .unwrap();
    assert_eq!(card.lists_tasks, Some(false));
    rig.ask_and_answer(&ask).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a2a_0_3_over_json_rpc_and_rest() {
    for binding in ["jsonrpc", "rest"] {
        let rig = Rig::start(EchoOptions {
            binding,
            only_0_3: true,
            ..EchoOptions::default()
        })
        .await;
        let ask = rig.follow_question("ask the old way", true).await;
        rig.ask_and_answer(&ask).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_given_elsewhere_settles_the_escalation() {
    let rig = Rig::start(EchoOptions::default()).await;
    let ask = rig.echo.submit("ask someone", false).await;
    let escalation = wait_for("the escalation", || {
        rig.escalations(true)
            .into_iter()
            .find(|e| e.task_id.as_deref() == Some(ask.as_str()))
    })
    .await;
    // Someone answers on the agent directly (not through Baton).
    rig.echo.answer_directly(&ask, "blue").await;
    rig.reaches(&ask, TaskState::Completed).await;
    let settled = rig
        .store
        .read_blocking(move |s| s.escalation(escalation.id))
        .unwrap();
    assert_eq!(settled.state, EscalationState::Resolved);
    assert!(rig.escalations(true).is_empty());
}
