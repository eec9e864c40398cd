//! The example agents in docs/examples/ (Python and TypeScript), run as child processes and
//! polled for real by `baton_engine::Engine` into a `baton_store::Store`: their tasks and events
//! land in the store, the agent is up, every seq the example issued is stored exactly once (no
//! duplicates from re-delivery, no gaps), and the stored task states are the ones it serves.
//!
//! `cargo test -p baton-tests --test integration examples_polled::`. Needs `python3` and the UI's tsx
//! (`npm ci` in ui/, which `make test` runs).

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use baton_core::agent::{AgentDraft, Reachability};
use baton_core::protocol::{parse_status, EventKind, StatusDocument};
use baton_core::task::TaskState;
use baton_core::views::EventRow;
use baton_engine::{Engine, EngineConfig, MemoryTokens};
use baton_sim::examples::{ExampleAgent, ExampleLanguage};
use baton_store::{Store, StoreHandle};
use baton_tests::free_port;

/// Poll interval and timeout of the example agents.
const INTERVAL_MS: u64 = 500;
const TIMEOUT_MS: u64 = 400;
/// How long the store may take to catch up with an example (its timeline lasts 6 s).
const CATCH_UP: Duration = Duration::from_secs(15);

/// What the examples do over their timeline (docs/examples/README.md), per task: the states
/// in order, and the events of every change.
const T1_STATES: [TaskState; 3] = [
    TaskState::Submitted,
    TaskState::Working,
    TaskState::Completed,
];
const T2_STATES: [TaskState; 3] = [
    TaskState::Submitted,
    TaskState::Working,
    TaskState::InputRequired,
];

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(3))
        .build()
        .expect("HTTP client")
}

/// What the example serves right now. Without `since` this acknowledges nothing, so it does
/// not disturb the engine's polling: the example forgets events only when `since` passes them.
async fn peek(http: &reqwest::Client, base: &str) -> StatusDocument {
    let response = http
        .get(format!("{base}/baton/v1/status"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{base} stopped answering: {e}"));
    assert_eq!(response.status(), 200, "{base}");
    let body = response.bytes().await.expect("body");
    parse_status(&body).unwrap_or_else(|e| {
        panic!(
            "{base} served something that is not baton/1: {e}\n{}",
            String::from_utf8_lossy(&body)
        )
    })
}

/// What the store holds for one agent.
#[derive(Debug)]
struct Stored {
    reachability: Reachability,
    consecutive_failures: u32,
    last_error: Option<String>,
    remote_id: Option<String>,
    event_count: u64,
    /// task id → (title, state)
    tasks: BTreeMap<String, (String, TaskState)>,
    /// every stored event of the example's tasks, by task
    events: BTreeMap<String, Vec<EventRow>>,
}

fn stored(store: &StoreHandle, agent_id: i64) -> Stored {
    store
        .read_blocking(move |store| Ok(stored_in(store, agent_id)))
        .expect("read the store")
}

fn stored_in(store: &Store, agent_id: i64) -> Stored {
    let row = store.agent_row(agent_id).expect("agent row");
    let tasks: BTreeMap<_, _> = store
        .task_cards(Some(agent_id))
        .expect("task cards")
        .into_iter()
        .map(|c| (c.task_id, (c.title, c.state)))
        .collect();
    let events = tasks
        .keys()
        .map(|id| {
            let events = store.task_events(agent_id, id, 10_000).expect("events");
            (id.clone(), events)
        })
        .collect();
    Stored {
        reachability: row.health.reachability,
        consecutive_failures: row.health.consecutive_failures,
        last_error: row.health.last_error,
        remote_id: row.remote_id,
        event_count: store.event_count(agent_id).expect("event count"),
        tasks,
        events,
    }
}

fn served_tasks(doc: &StatusDocument) -> BTreeMap<String, (String, TaskState)> {
    doc.tasks
        .iter()
        .map(|t| (t.id.clone(), (t.title.clone(), t.state)))
        .collect()
}

/// The last seq the example issued: its cursor is always that (see the examples' `status`).
fn served_last_seq(doc: &StatusDocument) -> u64 {
    doc.cursor
        .parse()
        .unwrap_or_else(|_| panic!("the example's cursor is its last seq: {:?}", doc.cursor))
}

/// True when the store has caught up with everything the example has served.
fn caught_up(stored: &Stored, served: &StatusDocument) -> bool {
    stored.reachability == Reachability::Up
        && stored.tasks == served_tasks(served)
        && stored.event_count == served_last_seq(served)
        // The end of the timeline: nothing more happens until a human decides.
        && served
            .tasks
            .iter()
            .any(|t| t.id == "t-2" && t.state == TaskState::InputRequired)
}

fn state_sequence(events: &[EventRow]) -> Vec<TaskState> {
    events
        .iter()
        .filter(|e| e.kind == EventKind::State)
        .map(|e| {
            e.raw["state"]
                .as_str()
                .and_then(TaskState::parse)
                .unwrap_or_else(|| panic!("a state event without a state: {e:?}"))
        })
        .collect()
}

/// Starts an engine on a fresh store, adds the example, and checks what reaches the store.
async fn polled_by_the_engine(mut example: ExampleAgent, remote_id: &str) {
    let base = example.base_url();
    let port = example.port();
    let http = http();
    example
        .wait_until_answering(Duration::from_secs(20))
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let db = tempfile::tempdir().expect("temp dir");
    let store = StoreHandle::open(&db.path().join("baton.sqlite3"), 2).expect("open the store");
    let engine = Engine::new(
        store.clone(),
        Arc::new(MemoryTokens::new(None)),
        EngineConfig {
            spread_start: false,
            ..EngineConfig::default()
        },
    );
    let draft = AgentDraft {
        poll_interval_ms: INTERVAL_MS,
        timeout_ms: TIMEOUT_MS,
        ..AgentDraft::new(format!("Example {remote_id}"), base.clone())
    };
    let agent = engine
        .add_agent(draft, None)
        .await
        .expect("add the example");
    assert_eq!(engine.polling(), vec![agent.id]);

    // Until the store holds everything the example served, and the example's timeline is over.
    let deadline = Instant::now() + CATCH_UP;
    let mut served = peek(&http, &base).await;
    let mut now = stored(&store, agent.id);
    while !caught_up(&now, &served) {
        if let Some(status) = example.exited() {
            panic!("`{}` exited while polled: {status}", example.command_line());
        }
        assert!(
            Instant::now() < deadline,
            "the store did not catch up with {base} within {CATCH_UP:?}\nserved: {served:#?}\n\
             stored: {now:#?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
        served = peek(&http, &base).await;
        now = stored(&store, agent.id);
    }

    // A few more polls: the example re-serves nothing new, and nothing is stored twice.
    tokio::time::sleep(Duration::from_millis(INTERVAL_MS * 4)).await;
    let served = peek(&http, &base).await;
    let last_seq = served_last_seq(&served);
    let now = stored(&store, agent.id);
    engine.shutdown().await;

    assert_eq!(now.remote_id.as_deref(), Some(remote_id), "{now:#?}");
    assert_eq!(now.reachability, Reachability::Up, "{now:#?}");
    assert_eq!(now.consecutive_failures, 0, "{now:#?}");
    if let Some(error) = &now.last_error {
        // A poll may time out on a loaded machine; anything else is a real problem.
        assert!(error.starts_with("timed out"), "a poll failed: {error}");
    }

    // The example's timeline has 9 events; the count is taken from what it says it issued.
    assert_eq!(
        last_seq, 9,
        "the examples' timeline issues seq 1..=9 before a decision"
    );
    assert_eq!(
        now.event_count, last_seq,
        "one stored event per seq the example issued: {now:#?}"
    );
    let mut seqs = Vec::new();
    for events in now.events.values() {
        seqs.extend(events.iter().map(|e| e.seq));
    }
    seqs.sort_unstable();
    let expected: Vec<u64> = (1..=last_seq).collect();
    assert_eq!(seqs, expected, "every seq once, none missing");

    // Task states: what the example serves, reached through the documented timeline.
    assert_eq!(now.tasks, served_tasks(&served));
    assert_eq!(
        now.tasks.get("t-1"),
        Some(&("Draft brief 12".to_owned(), TaskState::Completed))
    );
    assert_eq!(
        now.tasks.get("t-2"),
        Some(&("Publish brief 12".to_owned(), TaskState::InputRequired))
    );
    assert_eq!(state_sequence(&now.events["t-1"]), T1_STATES);
    assert_eq!(state_sequence(&now.events["t-2"]), T2_STATES);
    for (task, events) in &now.events {
        let kinds: HashSet<EventKind> = events.iter().map(|e| e.kind).collect();
        assert!(kinds.contains(&EventKind::Write), "{task} wrote its draft");
        for write in events.iter().filter(|e| e.kind == EventKind::Write) {
            assert_eq!(
                write.resource.as_deref(),
                Some("file:///drafts/brief-12.md")
            );
        }
        let seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{task}: oldest first");
    }
    let asks: Vec<&EventRow> = now.events["t-2"]
        .iter()
        .filter(|e| e.kind == EventKind::NeedsApproval)
        .collect();
    assert_eq!(asks.len(), 1, "t-2 asked once");
    assert_eq!(asks[0].raw["message"], "Publish brief 12 now?");
    assert_eq!(
        asks[0].seq, last_seq,
        "the question is the last thing the example did"
    );

    // Killing the example ends everything it started: nothing answers on its port any more.
    let what = example.command_line().to_owned();
    drop(example);
    let gone = Instant::now() + Duration::from_secs(5);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
        assert!(
            Instant::now() < gone,
            "something of `{what}` still listens on {port} after the kill"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Starts the example on a free port; the test fails if it cannot run (no python3, or no
/// `ui/node_modules/.bin/tsx` before `npm ci` in ui/).
fn start_example(language: ExampleLanguage) -> ExampleAgent {
    ExampleAgent::start(language, free_port()).unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_example_is_polled_into_the_store() {
    let example = start_example(ExampleLanguage::Python);
    polled_by_the_engine(example, "example-py").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_typescript_example_is_polled_into_the_store() {
    let example = start_example(ExampleLanguage::TypeScript);
    polled_by_the_engine(example, "example-ts").await;
}
