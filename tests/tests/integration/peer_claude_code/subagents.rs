//! The real Claude Code starting two background subagents (the `Agent` tool) that both write
//! `src/app.rs` (issue 58): each subagent is a worker of its own. In `enforce` the second is
//! refused with the first named and the file keeps the first's content; the lease ends at the
//! first's `SubagentStop` and the second's retry goes through; the session's turn works until
//! its last subagent stops. In `warn`, both writes go through and one item names both.

use std::time::Duration;

use baton_core::detect::FindingKind;
use baton_core::hooks::Lease;
use baton_core::task::TaskState;
use baton_core::views::TaskCard;
use baton_store::escalations::EscalationFilter;
use baton_store::Store;
use baton_tests::coding_sessions::RUN_LIMIT;
use baton_tests::model_standin::SubagentStandIn;
use baton_tests::peers::{claude_print, SessionPlace};

/// `claude -p "[session main] …"` in the place's repository, against the stand-in.
fn main_session(place: &SessionPlace, model: &SubagentStandIn) -> tokio::process::Command {
    claude_print(
        &place.repo,
        &place.home,
        &model.base_url,
        "[session main] Build src/app.rs with two subagents.",
        "acceptEdits",
    )
}

fn store(place: &SessionPlace) -> Store {
    Store::open(&place.data.join("baton.sqlite3")).unwrap()
}

fn live_leases(store: &Store) -> Vec<Lease> {
    store
        .leases(chrono::Utc::now(), chrono::Duration::minutes(10))
        .unwrap()
}

/// The session's (not a subagent's) turn, once it is there.
fn session_turn(store: &Store) -> Option<TaskCard> {
    let session = store
        .agents()
        .unwrap()
        .into_iter()
        .find(|a| a.name.starts_with("repo·") && !a.name.contains(" › "))?;
    store.task_cards(Some(session.id)).unwrap().pop()
}

/// Waits (at most [`RUN_LIMIT`]) until `done` says so of the store.
async fn until<T>(place: &SessionPlace, what: &str, done: impl Fn(&Store) -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + RUN_LIMIT;
    loop {
        if let Some(found) = done(&store(place)) {
            return found;
        }
        if tokio::time::Instant::now() >= deadline {
            let store = store(place);
            let cards: Vec<_> = store
                .task_cards(None)
                .unwrap()
                .into_iter()
                .map(|c| (c.agent_name, c.task_id, c.state, c.detail))
                .collect();
            panic!("waited for {what}; the tasks: {cards:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_subagents_of_one_claude_code_session_are_two_writers() {
    let place = SessionPlace::new();
    let file = place.repo.join("src/app.rs");
    place.install_hooks("claude-code", "enforce", &[]);
    let model = SubagentStandIn::start(&file.to_string_lossy()).await;
    model.hold("sub-a");
    model.close("start:sub-b");
    model.close("retry:sub-b");
    let session = main_session(&place, &model).spawn().unwrap();

    // The first subagent writes and keeps working (its final answer held).
    tokio::time::timeout(RUN_LIMIT, model.wait_for_tool_result("sub-a"))
        .await
        .expect("sub-a wrote the file");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "sub-a");
    let holder = until(&place, "sub-a's lease", |s| live_leases(s).pop()).await;
    assert!(holder.by_subagent, "{holder:?}");
    assert!(
        holder.holder.starts_with("repo·") && holder.holder.contains(" › general-purpose #"),
        "{holder:?}"
    );
    // The main thread's turn ended while both subagents work: it shows working.
    let turn = until(&place, "the turn waiting for its subagents", |s| {
        session_turn(s).filter(|t| t.detail.as_deref() == Some("2 subagents working"))
    })
    .await;
    assert_eq!(turn.state, TaskState::Working);

    // The second subagent's write is refused, naming the first; the file keeps its content.
    model.open("start:sub-b");
    tokio::time::timeout(RUN_LIMIT, model.wait_for_tool_result("sub-b"))
        .await
        .expect("sub-b was answered");
    let told = model.seen("sub-b").tool_results;
    assert!(told[0].1, "the write failed for the model: {told:?}");
    assert!(
        told[0].0.contains("Baton refused this write")
            && told[0]
                .0
                .contains(&format!("the subagent \"{}\"", holder.holder)),
        "the model read Baton's reason naming the first subagent: {told:?}"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "sub-a");
    assert_eq!(live_leases(&store(&place)).len(), 1);

    // The first stops: its lease ends; the session still works for the second.
    model.release("sub-a");
    until(&place, "sub-a's lease to end", |s| {
        live_leases(s).is_empty().then_some(())
    })
    .await;
    let turn = until(&place, "the turn waiting for one subagent", |s| {
        session_turn(s).filter(|t| t.detail.as_deref() == Some("1 subagent working"))
    })
    .await;
    assert_eq!(turn.state, TaskState::Working);

    // The second's retry goes through; after its stop the session's turn is done.
    model.open("retry:sub-b");
    tokio::time::timeout(RUN_LIMIT, model.wait_for_tool_results("sub-b", 2))
        .await
        .expect("sub-b wrote again");
    assert!(
        !model.seen("sub-b").tool_results[1].1,
        "the retry went through"
    );
    let out = tokio::time::timeout(RUN_LIMIT, session.wait_with_output())
        .await
        .expect("the session ends")
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "sub-b");
    let store = store(&place);
    assert_eq!(session_turn(&store).unwrap().state, TaskState::Completed);
    assert!(live_leases(&store).is_empty());
    let items = store
        .escalations(EscalationFilter {
            open: true,
            closed: 0,
        })
        .unwrap();
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0].kind, FindingKind::WriteCollision);
    assert!(
        items[0].title.contains(&holder.holder),
        "{}",
        items[0].title
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_warn_both_subagents_write_and_one_item_names_both() {
    let place = SessionPlace::new();
    let file = place.repo.join("src/app.rs");
    place.install_hooks("claude-code", "warn", &[]);
    let model = SubagentStandIn::start(&file.to_string_lossy()).await;
    model.hold("sub-a");
    model.close("start:sub-b");
    let session = main_session(&place, &model).spawn().unwrap();
    tokio::time::timeout(RUN_LIMIT, model.wait_for_tool_result("sub-a"))
        .await
        .expect("sub-a wrote the file");
    model.open("start:sub-b");
    tokio::time::timeout(RUN_LIMIT, model.wait_for_tool_result("sub-b"))
        .await
        .expect("sub-b wrote the file");
    assert!(!model.seen("sub-b").tool_results[0].1, "warn lets it write");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "sub-b");
    model.release("sub-a");
    run_to_end_child(session).await;

    let store = store(&place);
    let subagents: Vec<String> = store
        .agents()
        .unwrap()
        .into_iter()
        .map(|a| a.name)
        .filter(|name| name.contains(" › general-purpose #"))
        .collect();
    assert_eq!(subagents.len(), 2, "{subagents:?}");
    let items = store
        .escalations(EscalationFilter {
            open: true,
            closed: 0,
        })
        .unwrap();
    assert_eq!(items.len(), 1, "{items:?}");
    for name in &subagents {
        assert!(items[0].title.contains(name), "{}", items[0].title);
    }
}

async fn run_to_end_child(session: tokio::process::Child) {
    let out = tokio::time::timeout(RUN_LIMIT, session.wait_with_output())
        .await
        .expect("the session ends")
        .unwrap();
    assert!(out.status.success(), "{out:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_session_is_refused_the_file_a_subagent_is_writing() {
    let place = SessionPlace::new();
    let file = place.repo.join("src/app.rs");
    place.install_hooks("claude-code", "enforce", &[]);
    let model = SubagentStandIn::start(&file.to_string_lossy()).await;
    model.hold("sub-a");
    model.close("start:sub-b");
    let session = main_session(&place, &model).spawn().unwrap();
    tokio::time::timeout(RUN_LIMIT, model.wait_for_tool_result("sub-a"))
        .await
        .expect("sub-a wrote the file");
    let holder = until(&place, "sub-a's lease", |s| live_leases(s).pop()).await;

    // Another session (no subagent of the first) tries the same file, and again: refused.
    let mut other = claude_print(
        &place.repo,
        &place.home,
        &model.base_url,
        "[session other] Write src/app.rs.",
        "acceptEdits",
    );
    let out = tokio::time::timeout(RUN_LIMIT, other.output())
        .await
        .expect("the other session ends")
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let told = model.seen("other").tool_results;
    assert!(
        !told.is_empty() && told.iter().all(|(_, error)| *error),
        "{told:?}"
    );
    assert!(
        told[0]
            .0
            .contains(&format!("the subagent \"{}\" is working on", holder.holder)),
        "{told:?}"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "sub-a");

    model.release("sub-a");
    until(&place, "sub-a's lease to end", |s| {
        live_leases(s).is_empty().then_some(())
    })
    .await;
    model.open("start:sub-b");
    run_to_end_child(session).await;
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "sub-b");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_person_stops_one_subagent_and_its_sibling_goes_on() {
    let place = SessionPlace::new();
    let file = place.repo.join("src/app.rs");
    place.install_hooks("claude-code", "enforce", &[]);
    let model = SubagentStandIn::start(&file.to_string_lossy()).await;
    model.close("again:sub-a");
    model.close("start:sub-b");
    model.close("retry:sub-b");
    let session = main_session(&place, &model).spawn().unwrap();
    tokio::time::timeout(RUN_LIMIT, model.wait_for_tool_result("sub-a"))
        .await
        .expect("sub-a wrote the file");
    let holder = until(&place, "sub-a's lease", |s| live_leases(s).pop()).await;
    model.open("start:sub-b");
    tokio::time::timeout(RUN_LIMIT, model.wait_for_tool_result("sub-b"))
        .await
        .expect("sub-b was refused");
    assert!(model.seen("sub-b").tool_results[0].1);

    // The person stops the holder from the queue (the store's decision, as the app makes it).
    let mut decided = store(&place);
    let item = decided
        .escalations(EscalationFilter {
            open: true,
            closed: 0,
        })
        .unwrap()
        .pop()
        .expect("the collision's item");
    let sub_a = decided
        .agents()
        .unwrap()
        .into_iter()
        .find(|a| a.name == holder.holder)
        .expect("sub-a's agent");
    let stop = baton_core::escalations::EscalationAction::StopTouching { agent_id: sub_a.id };
    decided
        .decide_escalation(
            item.id,
            &stop,
            Some("sub-b has it"),
            "ana",
            chrono::Utc::now(),
        )
        .unwrap();
    drop(decided);

    // Its sibling's retry goes through; its own next write (of another file) is refused with the
    // decision's words.
    model.open("retry:sub-b");
    tokio::time::timeout(RUN_LIMIT, model.wait_for_tool_results("sub-b", 2))
        .await
        .expect("sub-b wrote again");
    assert!(
        !model.seen("sub-b").tool_results[1].1,
        "the sibling goes on"
    );
    model.open("again:sub-a");
    tokio::time::timeout(RUN_LIMIT, model.wait_for_tool_results("sub-a", 2))
        .await
        .expect("sub-a tried again");
    let told = model.seen("sub-a").tool_results;
    assert!(told[1].1, "{told:?}");
    assert!(
        told[1].0.contains(&format!(
            "ana decided in Baton that the subagent \"{}\" stops here (sub-b has it)",
            holder.holder
        )),
        "{told:?}"
    );
    assert!(
        !place.repo.join("src/app.rs.again").exists(),
        "the stopped one wrote nothing"
    );
    run_to_end_child(session).await;
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "sub-b");
}
