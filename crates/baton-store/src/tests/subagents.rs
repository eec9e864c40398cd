//! A session's subagents, each a worker of its own (issue 58): two subagents of one session
//! writing one file collide (refused in `enforce`, one item in `warn`), and so does a subagent
//! against another session; a subagent's leases end at its `SubagentStop`, not at the main
//! thread's `Stop`; the session's turn works while any subagent does; one that never stops
//! ends with its session. Bad input: a stop of a subagent the session never had, a subagent
//! with no type.

use baton_core::detect::FindingKind;
use baton_core::hooks::{HookAnswer, PermitMode, DEFAULT_LEASE_SECONDS};
use baton_core::task::TaskState;
use chrono::Duration;
use serde_json::{json, Value};

use super::sessions::{hook, open_escalations, prompt, write, APP};
use super::support::t;
use crate::sessions::HookRecord;
use crate::Store;

pub(super) const SESSION: &str = "aaaa1111";
pub(super) const FIRST: &str = "repo·aaaa1111 › general-purpose #1";
pub(super) const SECOND: &str = "repo·aaaa1111 › general-purpose #2";

/// `payload` as subagent `id` (of `agent_type`) sends it.
pub(super) fn from(id: &str, agent_type: Option<&str>, mut payload: Value) -> Value {
    payload["agent_id"] = json!(id);
    if let Some(kind) = agent_type {
        payload["agent_type"] = json!(kind);
    }
    payload
}

pub(super) fn start(store: &mut Store, id: &str, at: i64) -> HookRecord {
    let payload = from(
        id,
        Some("general-purpose"),
        json!({"hook_event_name": "SubagentStart"}),
    );
    hook(store, SESSION, PermitMode::Enforce, at, payload)
}

pub(super) fn stop(store: &mut Store, id: &str, at: i64) -> HookRecord {
    let payload = from(
        id,
        Some("general-purpose"),
        json!({"hook_event_name": "SubagentStop"}),
    );
    hook(store, SESSION, PermitMode::Enforce, at, payload)
}

/// Subagent `id` writes `APP` in `mode`: PreToolUse, then PostToolUse unless refused.
pub(super) fn sub_write(store: &mut Store, id: &str, mode: PermitMode, at: i64) -> HookRecord {
    let pre = from(id, Some("general-purpose"), write("PreToolUse", APP));
    let record = hook(store, SESSION, mode, at, pre);
    if record.answer == HookAnswer::GoOn {
        let post = from(id, Some("general-purpose"), write("PostToolUse", APP));
        hook(store, SESSION, mode, at, post);
    }
    record
}

/// The live leases at `at`: (holder, whether a subagent holds it).
pub(super) fn holders(store: &Store, at: i64) -> Vec<(String, bool)> {
    store
        .leases(t(at), Duration::seconds(DEFAULT_LEASE_SECONDS))
        .unwrap()
        .into_iter()
        .map(|l| (l.holder, l.by_subagent))
        .collect()
}

/// Agent `agent_id`'s one task: (title, state, detail).
pub(super) fn task(store: &Store, agent_id: i64) -> (String, TaskState, Option<String>) {
    let cards = store.task_cards(Some(agent_id)).unwrap();
    let last = cards.last().expect("a task");
    (last.title.clone(), last.state, last.detail.clone())
}

/// The session's main thread starts a turn and two subagents; returns the session's agent id.
pub(super) fn two_subagents(store: &mut Store) -> i64 {
    let session = hook(
        store,
        SESSION,
        PermitMode::Enforce,
        0,
        prompt("Build the app"),
    );
    let a = start(store, "a1", 1);
    let b = start(store, "b2", 1);
    assert_eq!(
        (a.agent_name.as_str(), b.agent_name.as_str()),
        (FIRST, SECOND)
    );
    assert_ne!(a.agent_id, session.agent_id);
    session.agent_id
}

#[test]
fn two_subagents_of_one_session_writing_one_file_collide_in_enforce() {
    let mut store = super::support::fresh_store();
    two_subagents(&mut store);
    assert_eq!(
        sub_write(&mut store, "a1", PermitMode::Enforce, 2).answer,
        HookAnswer::GoOn
    );
    let refused = sub_write(&mut store, "b2", PermitMode::Enforce, 3);
    let HookAnswer::Deny(reason) = &refused.answer else {
        panic!("{:?}", refused.answer)
    };
    assert!(
        reason.contains(&format!("the subagent \"{FIRST}\" is working on {APP}"))
            && reason.contains("the hold ends when it stops"),
        "{reason}"
    );
    assert_eq!(refused.agent_name, SECOND);
    assert_eq!(holders(&store, 3), [(FIRST.to_owned(), true)]);
    let items = open_escalations(&store);
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0].kind, FindingKind::WriteCollision);
    assert!(
        items[0].title.contains(SECOND) && items[0].title.contains(FIRST),
        "{}",
        items[0].title
    );
}

#[test]
fn in_warn_both_subagents_write_and_one_item_names_both() {
    let mut store = super::support::fresh_store();
    two_subagents(&mut store);
    sub_write(&mut store, "a1", PermitMode::Warn, 2);
    assert_eq!(
        sub_write(&mut store, "b2", PermitMode::Warn, 3).answer,
        HookAnswer::GoOn
    );
    // Once more: still one cause, one item.
    sub_write(&mut store, "b2", PermitMode::Warn, 4);
    let items = open_escalations(&store);
    assert_eq!(items.len(), 1, "{items:?}");
    let summary = &items[0].title;
    assert!(
        summary.contains(&format!(
            "{SECOND} tried to write {APP} while {FIRST} holds it"
        )),
        "{summary}"
    );
}

#[test]
fn a_subagents_lease_ends_at_its_stop_and_the_turn_works_until_the_last_one_stops() {
    let mut store = super::support::fresh_store();
    let session = two_subagents(&mut store);
    let a = sub_write(&mut store, "a1", PermitMode::Enforce, 2);
    // The main thread ends its turn while both work: the lease stays the subagent's, and the
    // turn works on.
    hook(
        &mut store,
        SESSION,
        PermitMode::Enforce,
        3,
        json!({"hook_event_name": "Stop"}),
    );
    assert_eq!(holders(&store, 3), [(FIRST.to_owned(), true)]);
    assert_eq!(
        task(&store, session),
        (
            "Build the app".to_owned(),
            TaskState::Working,
            Some("2 subagents working".to_owned())
        )
    );
    assert!(matches!(
        sub_write(&mut store, "b2", PermitMode::Enforce, 4).answer,
        HookAnswer::Deny(_)
    ));
    // The first stops: its lease ends, its task completes; the second's retry goes through.
    stop(&mut store, "a1", 5);
    assert!(holders(&store, 5).is_empty());
    assert_eq!(task(&store, a.agent_id).1, TaskState::Completed);
    assert_eq!(
        task(&store, session).2.as_deref(),
        Some("1 subagent working")
    );
    assert_eq!(
        sub_write(&mut store, "b2", PermitMode::Enforce, 6).answer,
        HookAnswer::GoOn
    );
    assert_eq!(holders(&store, 6), [(SECOND.to_owned(), true)]);
    // Claude Code hands the first one's end to the main thread as a prompt: the same turn.
    let notified = "<task-notification>\n<task-id>a1</task-id>\n<status>completed</status>";
    hook(
        &mut store,
        SESSION,
        PermitMode::Enforce,
        7,
        prompt(notified),
    );
    hook(
        &mut store,
        SESSION,
        PermitMode::Enforce,
        7,
        json!({"hook_event_name": "Stop"}),
    );
    assert_eq!(store.task_cards(Some(session)).unwrap().len(), 1);
    assert_eq!(task(&store, session).1, TaskState::Working);
    // The last one stops: the turn is done.
    stop(&mut store, "b2", 8);
    assert_eq!(task(&store, session).1, TaskState::Completed);
    assert!(holders(&store, 8).is_empty());
}

#[test]
fn a_subagent_and_another_session_meet_on_one_file() {
    let mut store = super::support::fresh_store();
    two_subagents(&mut store);
    sub_write(&mut store, "a1", PermitMode::Enforce, 2);
    // Another session is refused the subagent's file...
    let other = hook(
        &mut store,
        "bbbb2222",
        PermitMode::Enforce,
        3,
        write("PreToolUse", APP),
    );
    let HookAnswer::Deny(reason) = &other.answer else {
        panic!("{:?}", other.answer)
    };
    assert!(
        reason.contains(&format!("the subagent \"{FIRST}\"")),
        "{reason}"
    );
    // ...and a subagent the other session's file.
    stop(&mut store, "a1", 4);
    hook(
        &mut store,
        "bbbb2222",
        PermitMode::Enforce,
        5,
        write("PreToolUse", APP),
    );
    hook(
        &mut store,
        "bbbb2222",
        PermitMode::Enforce,
        5,
        write("PostToolUse", APP),
    );
    let refused = sub_write(&mut store, "b2", PermitMode::Enforce, 6);
    let HookAnswer::Deny(reason) = &refused.answer else {
        panic!("{:?}", refused.answer)
    };
    assert!(reason.contains("the session \"repo·bbbb2222\""), "{reason}");
    // The session's main thread is a writer apart from its subagents too.
    let main = hook(
        &mut store,
        SESSION,
        PermitMode::Enforce,
        7,
        write("PreToolUse", APP),
    );
    assert!(matches!(main.answer, HookAnswer::Deny(_)));
}

#[test]
fn a_subagent_that_never_stops_ends_with_its_session() {
    let mut store = super::support::fresh_store();
    two_subagents(&mut store);
    let a = sub_write(&mut store, "a1", PermitMode::Enforce, 2);
    hook(
        &mut store,
        SESSION,
        PermitMode::Enforce,
        3,
        json!({"hook_event_name": "SessionEnd"}),
    );
    assert!(holders(&store, 3).is_empty());
    assert_eq!(task(&store, a.agent_id).1, TaskState::Completed);
    let other = hook(
        &mut store,
        "bbbb2222",
        PermitMode::Enforce,
        4,
        write("PreToolUse", APP),
    );
    assert_eq!(other.answer, HookAnswer::GoOn);
}

#[test]
fn a_stop_of_a_subagent_the_session_never_had_changes_nothing() {
    let mut store = super::support::fresh_store();
    let session = two_subagents(&mut store);
    sub_write(&mut store, "a1", PermitMode::Enforce, 2);
    let agents = store.agents().unwrap().len();
    let record = stop(&mut store, "never-started", 3);
    assert_eq!(record.answer, HookAnswer::GoOn);
    assert_eq!(
        record.agent_id, session,
        "the record speaks for the session"
    );
    assert_eq!(store.agents().unwrap().len(), agents, "no agent added");
    assert_eq!(holders(&store, 3), [(FIRST.to_owned(), true)]);
    // A stop said twice: the second changes nothing more.
    stop(&mut store, "a1", 4);
    stop(&mut store, "a1", 5);
    assert!(holders(&store, 5).is_empty());
}

#[test]
fn a_subagent_without_a_type_is_numbered_as_a_subagent_and_first_heard_by_its_tool_call() {
    let mut store = super::support::fresh_store();
    hook(&mut store, SESSION, PermitMode::Enforce, 0, prompt("Build"));
    // Its start was never heard (Baton installed mid-run, or the call let through unchecked):
    // its first tool call adds it.
    let pre = from("c3", None, write("PreToolUse", APP));
    let record = hook(&mut store, SESSION, PermitMode::Enforce, 1, pre);
    assert_eq!(record.agent_name, "repo·aaaa1111 › subagent #1");
    assert_eq!(task(&store, record.agent_id).0, "subagent");
    let again = start(&mut store, "d4", 2);
    assert_eq!(again.agent_name, FIRST, "numbered per type");
}

#[test]
fn a_stop_heard_before_its_subagents_starts_counts_them_working() {
    let mut store = super::support::fresh_store();
    let session = hook(&mut store, SESSION, PermitMode::Enforce, 0, prompt("Build")).agent_id;
    let running = |id: &str| {
        json!({"id": id, "type": "subagent", "status": "running",
                                    "agent_type": "general-purpose"})
    };
    let main_stop = json!({"hook_event_name": "Stop",
                      "background_tasks": [running("a1"), running("b2")]});
    hook(&mut store, SESSION, PermitMode::Enforce, 1, main_stop);
    assert_eq!(
        task(&store, session).2.as_deref(),
        Some("2 subagents working")
    );
    // Their starts come after: the same subagents.
    assert_eq!(start(&mut store, "a1", 2).agent_name, FIRST);
    assert_eq!(start(&mut store, "b2", 2).agent_name, SECOND);
    stop(&mut store, "a1", 3);
    stop(&mut store, "b2", 4);
    assert_eq!(task(&store, session).1, TaskState::Completed);
    // A Stop listing a subagent heard stopping does not start it again.
    hook(&mut store, SESSION, PermitMode::Enforce, 5, prompt("Again"));
    let stale = json!({"hook_event_name": "Stop", "background_tasks": [running("a1")]});
    hook(&mut store, SESSION, PermitMode::Enforce, 6, stale);
    assert_eq!(task(&store, session).1, TaskState::Completed);
}
