//! Coding sessions heard through their hooks: sessions as agents, turns, events, leases and
//! the permit before a write.

use baton_core::agent::AdapterKind;
use baton_core::detect::FindingKind;
use baton_core::escalations::EscalationAction;
use baton_core::hooks::{
    parse_hook_payload, HookAnswer, HookCall, HookClient, PermitConflict, PermitMode,
    PermitVerdict, DEFAULT_LEASE_SECONDS,
};
use baton_core::rules::{Rule, RuleKind};
use baton_core::task::TaskState;
use chrono::Duration;
use serde_json::{json, Value};

use super::support::{fresh_store, t};
use crate::escalations::EscalationFilter;
use crate::sessions::{HookRecord, PermitSettings, SessionRef};
use crate::Store;

pub(super) const APP: &str = "/work/repo/src/app.rs";

pub(super) fn session(id: &str) -> SessionRef {
    SessionRef {
        branch: Some("main".into()),
        ..SessionRef::in_checkout(HookClient::ClaudeCode, id, "/work/repo")
    }
}

fn call(payload: Value) -> HookCall {
    parse_hook_payload(HookClient::ClaudeCode, payload.to_string().as_bytes(), None).unwrap()
}

fn settings(mode: PermitMode) -> PermitSettings {
    PermitSettings {
        mode,
        lease_time: Duration::seconds(DEFAULT_LEASE_SECONDS),
        ask_person: true,
        path_modes: Vec::new(),
        parallel: baton_core::hooks::ParallelMode::Warn,
        unchecked: None,
    }
}

pub(super) fn hook(
    store: &mut Store,
    who: &str,
    mode: PermitMode,
    at: i64,
    payload: Value,
) -> HookRecord {
    store
        .record_hook(&session(who), &call(payload), settings(mode), t(at))
        .unwrap()
}

pub(super) fn prompt(text: &str) -> Value {
    json!({"hook_event_name": "UserPromptSubmit", "prompt": text})
}

pub(super) fn write(event: &str, path: &str) -> Value {
    json!({"hook_event_name": event, "tool_name": "Write", "tool_input": {"file_path": path, "content": "x"}})
}

pub(super) fn open_items(store: &Store) -> Vec<(FindingKind, String)> {
    open_escalations(store)
        .into_iter()
        .map(|e| (e.kind, e.title))
        .collect()
}

/// The open queue items.
pub(super) fn open_escalations(store: &Store) -> Vec<baton_core::escalations::Escalation> {
    store
        .escalations(EscalationFilter {
            open: true,
            closed: 0,
        })
        .unwrap()
}

#[test]
fn a_session_joins_as_an_agent_on_its_first_call_and_its_turn_is_a_task() {
    let mut store = fresh_store();
    let warn = PermitMode::Warn;
    let first = hook(
        &mut store,
        "4f1c2a9e-0b7d",
        warn,
        0,
        json!({"hook_event_name": "SessionStart"}),
    );
    assert_eq!(first.agent_name, "repo·4f1c2a9e");
    let agent = store.agent(first.agent_id).unwrap();
    assert_eq!(agent.adapter, AdapterKind::Session);
    // The same session is the same agent; another is another.
    let again = hook(
        &mut store,
        "4f1c2a9e-0b7d",
        warn,
        1,
        prompt("Fix the login\nthen run the tests"),
    );
    assert_eq!(again.agent_id, first.agent_id);
    let other = hook(
        &mut store,
        "77aa0000-1111",
        warn,
        1,
        json!({"hook_event_name": "SessionStart"}),
    );
    assert_ne!(other.agent_id, first.agent_id);

    let card = |store: &Store| {
        let cards = store.task_cards(Some(first.agent_id)).unwrap();
        assert_eq!(cards.len(), 1, "{cards:?}");
        (
            cards[0].task_id.clone(),
            cards[0].title.clone(),
            cards[0].state,
        )
    };
    assert_eq!(
        card(&store),
        ("turn-1".into(), "Fix the login".into(), TaskState::Working)
    );
    hook(
        &mut store,
        "4f1c2a9e-0b7d",
        warn,
        2,
        json!({"hook_event_name": "Notification", "notification_type": "permission_prompt", "message": "Claude needs your permission to use Bash"}),
    );
    assert_eq!(card(&store).2, TaskState::InputRequired);
    hook(
        &mut store,
        "4f1c2a9e-0b7d",
        warn,
        3,
        json!({"hook_event_name": "Stop"}),
    );
    assert_eq!(card(&store).2, TaskState::Completed);
    // Its health says when it last called.
    let health = store.health(first.agent_id).unwrap();
    assert_eq!(health.last_success_at, Some(t(3)));
    // The next prompt is the next turn.
    hook(
        &mut store,
        "4f1c2a9e-0b7d",
        warn,
        4,
        prompt("   \n  Now the docs"),
    );
    let cards = store.task_cards(Some(first.agent_id)).unwrap();
    assert!(
        cards
            .iter()
            .any(|c| c.task_id == "turn-2" && c.title == "Now the docs"),
        "{cards:?}"
    );
}

#[test]
fn tool_calls_become_write_and_read_events_of_the_turn() {
    let mut store = fresh_store();
    let warn = PermitMode::Warn;
    hook(&mut store, "a1", warn, 0, prompt("edit"));
    let written = hook(
        &mut store,
        "a1",
        warn,
        1,
        write("PostToolUse", "src/../src/app.rs"),
    );
    assert_eq!(written.new_events, 1);
    hook(
        &mut store,
        "a1",
        warn,
        2,
        json!({"hook_event_name": "PostToolUse", "tool_name": "Read", "tool_input": {"file_path": "/work/repo/README.md"}}),
    );
    hook(
        &mut store,
        "a1",
        warn,
        3,
        json!({"hook_event_name": "PostToolUse", "tool_name": "Bash", "tool_input": {"command": "cargo test"}}),
    );
    let events = store.task_events(written.agent_id, "turn-1", 50).unwrap();
    let seen: Vec<(String, Option<String>)> = events
        .iter()
        .map(|e| (e.kind.as_str().to_owned(), e.resource.clone()))
        .collect();
    assert_eq!(
        seen,
        [
            ("state".to_owned(), None),
            ("write".to_owned(), Some(format!("file://{APP}"))),
            (
                "read".to_owned(),
                Some("file:///work/repo/README.md".to_owned())
            ),
        ]
    );
}

#[test]
fn a_second_session_is_refused_a_file_the_first_holds_until_its_turn_ends() {
    let mut store = fresh_store();
    let enforce = PermitMode::Enforce;
    hook(&mut store, "a1", enforce, 0, prompt("one"));
    let a = hook(&mut store, "a1", enforce, 60, write("PreToolUse", APP));
    assert_eq!(a.answer, HookAnswer::GoOn);
    assert!(a.clashes.is_empty());
    hook(&mut store, "a1", enforce, 61, write("PostToolUse", APP));
    let leases = store
        .leases(t(62), Duration::seconds(DEFAULT_LEASE_SECONDS))
        .unwrap();
    assert_eq!(leases.len(), 1);
    assert_eq!(
        (leases[0].holder.as_str(), leases[0].since),
        ("repo·a1", t(60))
    );

    hook(&mut store, "b2", enforce, 120, prompt("two"));
    let b = hook(&mut store, "b2", enforce, 180, write("PreToolUse", APP));
    let HookAnswer::Deny(reason) = &b.answer else {
        panic!("{b:?}")
    };
    assert!(
        reason.contains(APP) && reason.contains("\"repo·a1\"") && reason.contains("12:01 UTC"),
        "{reason}"
    );
    assert_eq!(b.clashes.len(), 1);
    assert_eq!(b.clashes[0].holder_id, Some(a.agent_id));
    assert_eq!(b.clashes[0].verdict, PermitVerdict::Deny);
    assert!(matches!(
        b.clashes[0].conflict,
        PermitConflict::Lease { .. }
    ));
    // One queue item, whose evidence is the holder's write; asking again does not add one.
    hook(&mut store, "b2", enforce, 181, write("PreToolUse", APP));
    let items = open_items(&store);
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0].0, FindingKind::WriteCollision);
    // The holder's turn ends: its leases go, and the second session's retry passes.
    hook(
        &mut store,
        "a1",
        enforce,
        200,
        json!({"hook_event_name": "Stop"}),
    );
    let retry = hook(&mut store, "b2", enforce, 201, write("PreToolUse", APP));
    assert_eq!(retry.answer, HookAnswer::GoOn);
    let leases = store
        .leases(t(202), Duration::seconds(DEFAULT_LEASE_SECONDS))
        .unwrap();
    assert_eq!(leases[0].holder, "repo·b2");
}

#[test]
fn warn_allows_and_escalates_observe_only_records_and_a_lease_lapses() {
    let mut store = fresh_store();
    hook(
        &mut store,
        "a1",
        PermitMode::Warn,
        0,
        write("PreToolUse", APP),
    );
    let observed = hook(
        &mut store,
        "b2",
        PermitMode::Observe,
        10,
        write("PreToolUse", APP),
    );
    assert_eq!(observed.answer, HookAnswer::GoOn);
    assert_eq!(observed.clashes[0].verdict, PermitVerdict::Allow);
    assert!(open_items(&store).is_empty(), "observe opens nothing");
    let warned = hook(
        &mut store,
        "b2",
        PermitMode::Warn,
        20,
        write("PreToolUse", APP),
    );
    assert_eq!(warned.answer, HookAnswer::GoOn);
    assert_eq!(open_items(&store).len(), 1);
    // Ten minutes after the holder's last write, the file is free.
    let later = hook(
        &mut store,
        "b2",
        PermitMode::Enforce,
        DEFAULT_LEASE_SECONDS + 1,
        write("PreToolUse", APP),
    );
    assert_eq!(later.answer, HookAnswer::GoOn);
    assert!(later.clashes.is_empty());
}

#[test]
fn an_ownership_rule_on_files_refuses_everyone_but_its_owner() {
    let mut store = fresh_store();
    store
        .add_rule(
            &Rule::new(RuleKind::Data, "file:///work/repo/src/**", "repo·a1"),
            "test",
        )
        .unwrap();
    let owner = hook(
        &mut store,
        "a1",
        PermitMode::Enforce,
        0,
        write("PreToolUse", APP),
    );
    assert_eq!(owner.answer, HookAnswer::GoOn);
    hook(
        &mut store,
        "a1",
        PermitMode::Enforce,
        1,
        json!({"hook_event_name": "Stop"}),
    );
    let other = hook(
        &mut store,
        "b2",
        PermitMode::Enforce,
        2,
        write("PreToolUse", APP),
    );
    let HookAnswer::Deny(reason) = &other.answer else {
        panic!("{other:?}")
    };
    assert!(
        reason.contains("belongs to the agent \"repo·a1\""),
        "{reason}"
    );
    assert_eq!(open_items(&store)[0].0, FindingKind::OwnershipViolation);
    // A file outside the rule is free.
    let free = hook(
        &mut store,
        "b2",
        PermitMode::Enforce,
        3,
        write("PreToolUse", "/work/repo/docs/x.md"),
    );
    assert_eq!(free.answer, HookAnswer::GoOn);
}

#[test]
fn a_named_session_keeps_its_name_and_a_taken_name_gets_a_number() {
    let mut store = fresh_store();
    store
        .add_agent(&super::support::draft("Refactorer"))
        .unwrap();
    let mut named = session("c3");
    named.name = Some("Refactorer".into());
    let record = store
        .record_hook(
            &named,
            &call(json!({"hook_event_name": "SessionStart"})),
            settings(PermitMode::Warn),
            t(0),
        )
        .unwrap();
    assert_eq!(record.agent_name, "Refactorer·2");
}

#[test]
fn granting_the_file_to_the_refused_session_moves_the_lease_and_its_retry_passes() {
    let mut store = fresh_store();
    let enforce = PermitMode::Enforce;
    hook(&mut store, "a1", enforce, 0, write("PreToolUse", APP));
    let refused = hook(&mut store, "b2", enforce, 10, write("PreToolUse", APP));
    assert!(matches!(refused.answer, HookAnswer::Deny(_)));
    let item = store
        .escalations(EscalationFilter {
            open: true,
            closed: 0,
        })
        .unwrap()
        .remove(0);
    // Only a coding session can be granted a file.
    let polled = store
        .add_agent(&super::support::draft("Publisher"))
        .unwrap()
        .id;
    let err = store
        .decide_escalation(
            item.id,
            &EscalationAction::GrantLease { agent_id: polled },
            None,
            "ana",
            t(20),
        )
        .unwrap_err();
    assert!(err.to_string().contains("not a coding session"), "{err}");
    let decided = store
        .decide_escalation(
            item.id,
            &EscalationAction::GrantLease {
                agent_id: refused.agent_id,
            },
            None,
            "ana",
            t(20),
        )
        .unwrap();
    assert!(
        decided.outbox.is_empty(),
        "a session reads its decision from the store"
    );
    assert_eq!(decided.decision.action, "grant_lease");
    let retry = hook(&mut store, "b2", enforce, 30, write("PreToolUse", APP));
    assert_eq!(retry.answer, HookAnswer::GoOn);
    // And now the first session is the one refused.
    let first = hook(&mut store, "a1", enforce, 40, write("PreToolUse", APP));
    assert!(matches!(first.answer, HookAnswer::Deny(_)), "{first:?}");
}

#[test]
fn keeping_the_holder_changes_nothing_and_allowing_both_once_lets_one_more_write_through() {
    let mut store = fresh_store();
    let enforce = PermitMode::Enforce;
    let open_item = |store: &Store| {
        store
            .escalations(EscalationFilter {
                open: true,
                closed: 0,
            })
            .unwrap()
            .remove(0)
            .id
    };
    hook(&mut store, "a1", enforce, 0, write("PreToolUse", APP));
    hook(&mut store, "b2", enforce, 10, write("PreToolUse", APP));
    // Keep: no reason needed; the holder keeps the file and the other is still refused.
    let kept = store
        .decide_escalation(
            open_item(&store),
            &EscalationAction::KeepLease,
            None,
            "ana",
            t(20),
        )
        .unwrap();
    assert_eq!(kept.decision.action, "keep_lease");
    let still = hook(&mut store, "b2", enforce, 30, write("PreToolUse", APP));
    assert!(matches!(still.answer, HookAnswer::Deny(_)), "{still:?}");
    // The decided item is not opened again by the refused retry: one cause, one item.
    assert!(open_items(&store).is_empty());
    // Allow both once (on a new conflict): one more write passes, the holder keeps the lease,
    // the next is refused.
    let mut store = fresh_store();
    hook(&mut store, "a1", enforce, 0, write("PreToolUse", APP));
    hook(&mut store, "b2", enforce, 10, write("PreToolUse", APP));
    store
        .decide_escalation(
            open_item(&store),
            &EscalationAction::AllowBothOnce,
            None,
            "ana",
            t(40),
        )
        .unwrap();
    assert_eq!(
        hook(&mut store, "b2", enforce, 50, write("PreToolUse", APP)).answer,
        HookAnswer::GoOn
    );
    let leases = store
        .leases(t(51), Duration::seconds(DEFAULT_LEASE_SECONDS))
        .unwrap();
    assert_eq!(leases[0].holder, "repo·a1");
    let again = hook(&mut store, "b2", enforce, 60, write("PreToolUse", APP));
    assert!(matches!(again.answer, HookAnswer::Deny(_)), "{again:?}");
    // Neither makes sense for an item that names no file.
    let mut other = fresh_store();
    let id = other
        .add_agent(&super::support::draft("Writer"))
        .unwrap()
        .id;
    let finding = baton_core::detect::Finding {
        kind: FindingKind::WriteCollision,
        severity: baton_core::detect::Severity::Warning,
        agents: vec![id],
        resource: Some("crm://contacts/7".into()),
        summary: "x".into(),
        evidence: Vec::new(),
        dedupe_key: "write_collision:crm://contacts/7".into(),
        continues: None,
    };
    other.record_findings(&[finding], t(0)).unwrap();
    let err = other
        .decide_escalation(
            open_item(&other),
            &EscalationAction::KeepLease,
            None,
            "ana",
            t(1),
        )
        .unwrap_err();
    assert!(err.to_string().contains("names no file"), "{err}");
}

#[test]
fn two_sessions_refused_each_others_file_are_a_deadlock_and_giving_one_file_breaks_it() {
    use baton_core::detect::{detect, DetectConfig, DetectState};
    const LIB: &str = "/work/repo/src/lib.rs";
    let mut store = fresh_store();
    let enforce = PermitMode::Enforce;
    hook(
        &mut store,
        "aaaa1111",
        enforce,
        1,
        prompt("Refactor the app"),
    );
    hook(
        &mut store,
        "bbbb2222",
        enforce,
        2,
        prompt("Refactor the library"),
    );
    hook(&mut store, "aaaa1111", enforce, 3, write("PreToolUse", APP));
    hook(
        &mut store,
        "aaaa1111",
        enforce,
        3,
        write("PostToolUse", APP),
    );
    hook(&mut store, "bbbb2222", enforce, 4, write("PreToolUse", LIB));
    hook(
        &mut store,
        "bbbb2222",
        enforce,
        4,
        write("PostToolUse", LIB),
    );
    assert!(
        store.lease_waits().unwrap().is_empty(),
        "nobody refused yet"
    );
    let refused = hook(&mut store, "aaaa1111", enforce, 5, write("PreToolUse", LIB));
    assert!(matches!(refused.answer, HookAnswer::Deny(_)));
    assert_eq!(store.lease_waits().unwrap().len(), 1);
    hook(&mut store, "bbbb2222", enforce, 6, write("PreToolUse", APP));
    let waits = store.lease_waits().unwrap();
    assert_eq!(waits.len(), 2, "{waits:?}");

    // The detectors over what the store holds: one deadlock naming both files.
    let read = store.detect_window(t(0), 1000).unwrap();
    let mut state = DetectState::from_slices(&read.events, &read.tasks, &read.rules, &read.agents);
    state.lease_waits = waits;
    let config = DetectConfig::default();
    let schemas = Default::default();
    let found = detect(&state.input(t(7), &[], &config, &schemas)).findings;
    let deadlock: Vec<_> = found
        .into_iter()
        .filter(|f| f.kind == FindingKind::Deadlock)
        .collect();
    assert_eq!(deadlock.len(), 1);
    assert!(deadlock[0]
        .summary
        .contains("(its lease on file:///work/repo/src/lib.rs)"));
    let id = store.record_findings(&deadlock, t(7)).unwrap().escalations[0];
    let item = store.escalation(id).unwrap();
    let knot = item.knot.clone().unwrap();
    assert_eq!(knot.leases.len(), 2);
    let a = knot
        .leases
        .iter()
        .find(|l| l.resource.ends_with("lib.rs"))
        .unwrap()
        .waiter;

    // A session's task cannot be cancelled from Baton: give a file instead.
    let refused = store
        .decide_escalation(
            id,
            &EscalationAction::CancelTask {
                agent_id: a,
                task_id: "turn-1".into(),
            },
            None,
            "ana",
            t(8),
        )
        .unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("give a file it waits for instead"),
        "{refused}"
    );
    let given = store
        .decide_escalation(
            id,
            &EscalationAction::GiveLease {
                agent_id: a,
                resource: "file:///work/repo/src/lib.rs".into(),
            },
            None,
            "ana",
            t(8),
        )
        .unwrap();
    assert!(
        given.outbox.is_empty(),
        "a session reads it at its next call"
    );
    // Its retry passes now.
    let retried = hook(&mut store, "aaaa1111", enforce, 9, write("PreToolUse", LIB));
    assert_eq!(retried.answer, HookAnswer::GoOn);
}
