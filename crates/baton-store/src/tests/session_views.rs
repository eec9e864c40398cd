//! What the app sees of coding sessions, written by other processes: the Agents view's session
//! part (prompt, last tool, leases), and their calls heard through the change feed.

use baton_core::hooks::PermitMode;
use serde_json::json;

use super::sessions::{hook, prompt, write, APP};
use super::support::{fresh_store, t};
use crate::changes::{ChangeKind, READ_LIMIT};

#[test]
fn the_agents_view_sees_a_sessions_prompt_last_tool_and_leases_and_the_app_hears_its_calls() {
    let mut store = fresh_store();
    let warn = PermitMode::Warn;
    // Nothing heard yet.
    assert!(store
        .changes_after(0, READ_LIMIT)
        .unwrap()
        .changes
        .is_empty());
    let one = hook(
        &mut store,
        "aaaa1111",
        warn,
        0,
        prompt("Fix the login\nand more"),
    );
    hook(&mut store, "aaaa1111", warn, 1, write("PreToolUse", APP));
    hook(&mut store, "aaaa1111", warn, 2, write("PostToolUse", APP));
    let rows = store.agent_rows().unwrap();
    let summary = rows[0].session.as_ref().expect("a session's row says so");
    assert_eq!(summary.prompt.as_deref(), Some("Fix the login"));
    assert_eq!(
        summary.last_tool.as_deref(),
        Some(format!("Write {APP}").as_str())
    );
    assert!(summary.turn_open && summary.ended_at.is_none());
    assert_eq!(summary.branch.as_deref(), Some("main"));
    assert_eq!(summary.leases.len(), 1);
    assert_eq!(summary.leases[0].resource, format!("file://{APP}"));
    assert_eq!(
        (summary.leases[0].since, summary.leases[0].last_write_at),
        (t(1), t(2))
    );
    assert_eq!(
        store.agent_row(one.agent_id).unwrap().session.as_ref(),
        Some(summary)
    );

    // The app hears the session's calls through the change feed; its number keeps it from
    // hearing them twice.
    let heard = store.changes_after(0, READ_LIMIT).unwrap();
    let said = |kind: ChangeKind, id: i64| {
        heard
            .changes
            .iter()
            .any(|c| c.kind == kind && c.ref_id == id)
    };
    assert!(said(ChangeKind::Session, one.agent_id), "{heard:?}");
    assert!(said(ChangeKind::Leases, 0), "{heard:?}");
    assert_eq!(store.sessions_waiting().unwrap(), 0);
    let mark = heard.through;
    assert!(store
        .changes_after(mark, READ_LIMIT)
        .unwrap()
        .changes
        .is_empty());
    // A permission prompt: the session waits for a person.
    hook(
        &mut store,
        "aaaa1111",
        warn,
        3,
        json!({"hook_event_name": "Notification", "notification_type": "permission_prompt", "message": "Claude needs your permission to use Bash"}),
    );
    let heard = store.changes_after(mark, READ_LIMIT).unwrap();
    assert_eq!(heard.changes.len(), 1, "{heard:?}");
    assert_eq!(heard.changes[0].kind, ChangeKind::Session);
    assert_eq!(store.sessions_waiting().unwrap(), 1);
    // Its end frees the file and greys it.
    hook(
        &mut store,
        "aaaa1111",
        warn,
        4,
        json!({"hook_event_name": "SessionEnd"}),
    );
    let summary = store.agent_row(one.agent_id).unwrap().session.unwrap();
    assert!(summary.leases.is_empty());
    assert_eq!(summary.ended_at, Some(t(4)));
    assert_eq!(store.sessions_waiting().unwrap(), 0);
    // A polled agent has no session part.
    let polled = store
        .add_agent(&super::support::draft("Researcher"))
        .unwrap();
    assert!(store.agent_row(polled.id).unwrap().session.is_none());
}

fn asks_to_run(command: &str) -> serde_json::Value {
    json!({"hook_event_name": "PermissionRequest", "tool_name": "Bash", "tool_input": {"command": command}})
}

#[test]
fn a_permission_request_is_asked_in_the_queue_only_while_an_engine_watches_and_gets_the_persons_answer(
) {
    use crate::sessions::PermissionDecided;
    use baton_core::detect::FindingKind;
    use baton_core::escalations::{EscalationAction, EscalationState};
    use baton_core::task::TaskState;

    let mut store = fresh_store();
    let warn = PermitMode::Warn;
    let me = hook(&mut store, "aaaa1111", warn, 0, prompt("Clean the build"));
    // Nobody watches: the client asks in its own dialog at once.
    let alone = hook(
        &mut store,
        "aaaa1111",
        warn,
        1,
        asks_to_run("rm -rf target"),
    );
    assert_eq!(alone.asked, None);
    store.note_watcher("engine", t(10)).unwrap();
    let asked = hook(
        &mut store,
        "aaaa1111",
        warn,
        12,
        asks_to_run("rm -rf target"),
    );
    let first = asked.asked.expect("asked in the queue");
    let item = store.escalation(first).unwrap();
    assert_eq!(item.kind, FindingKind::NeedsApproval);
    assert!(
        item.title.contains("may it run Bash rm -rf target?"),
        "{}",
        item.title
    );
    let turn = &store.task_cards(Some(me.agent_id)).unwrap()[0];
    assert_eq!(turn.state, TaskState::InputRequired);
    assert_eq!(store.sessions_waiting().unwrap(), 1);
    assert_eq!(store.permission_decided(first).unwrap(), None);
    store
        .decide_escalation(first, &EscalationAction::Approve, None, "ana", t(20))
        .unwrap();
    assert_eq!(
        store.permission_decided(first).unwrap(),
        Some(PermissionDecided::Allowed)
    );
    store.resume_turn(me.agent_id, t(21)).unwrap();
    let turn = &store.task_cards(Some(me.agent_id)).unwrap()[0];
    assert_eq!(turn.state, TaskState::Working);

    // The next request of the same turn is an item of its own; refused with a note.
    let second = hook(&mut store, "aaaa1111", warn, 22, asks_to_run("git push -f"))
        .asked
        .unwrap();
    assert_ne!(second, first);
    store
        .decide_escalation(
            second,
            &EscalationAction::Reject,
            Some("not on main"),
            "ana",
            t(23),
        )
        .unwrap();
    assert_eq!(
        store.permission_decided(second).unwrap(),
        Some(PermissionDecided::Refused(Some("not on main".into())))
    );
    // One the session stopped waiting for leaves the queue, logged.
    let third = hook(&mut store, "aaaa1111", warn, 24, asks_to_run("make deploy"))
        .asked
        .unwrap();
    store
        .stop_asking(third, chrono::Duration::seconds(60), t(84))
        .unwrap();
    assert_eq!(
        store.escalation(third).unwrap().state,
        EscalationState::Expired
    );
    assert_eq!(
        store.permission_decided(third).unwrap(),
        Some(PermissionDecided::Closed)
    );
    // An engine last seen over 15 s ago does not watch any more.
    assert_eq!(
        hook(&mut store, "aaaa1111", warn, 100, asks_to_run("ls")).asked,
        None
    );
}

#[test]
fn a_live_sessions_line_on_the_default_branch_is_kept_read_and_cleared() {
    use baton_core::hooks::{BaseDrift, MergeForecast};
    let mut store = fresh_store();
    let warn = PermitMode::Warn;
    let one = hook(&mut store, "aaaa1111", warn, 0, prompt("Fix the login"));
    // Live at t(10): the engine compares its branch; an hour on, it is not live any more.
    let live = store.live_branch_sessions(t(10)).unwrap();
    assert_eq!(live.len(), 1, "{live:?}");
    assert_eq!(
        (
            live[0].agent_id,
            live[0].worktree.as_str(),
            live[0].branch.as_str()
        ),
        (one.agent_id, "/work/repo", "main")
    );
    assert!(store.live_branch_sessions(t(3600)).unwrap().is_empty());

    let drift = BaseDrift {
        branch: "main".into(),
        moved: 2,
        forecast: MergeForecast::Unknown {
            why: "it's \"quoted\"".into(),
        },
        checked_at: t(10),
    };
    assert!(store.record_base_drift(one.agent_id, Some(&drift)).unwrap());
    // The same answer checked again later is no change.
    let again = BaseDrift {
        checked_at: t(40),
        ..drift.clone()
    };
    assert!(!store.record_base_drift(one.agent_id, Some(&again)).unwrap());
    let rows = store.agent_rows().unwrap();
    let summary = rows[0].session.as_ref().unwrap();
    assert_eq!(summary.base.as_ref(), Some(&again));
    assert_eq!(
        summary.base_line.as_deref(),
        Some("main moved 2 commits since main forked from it: cannot tell whether they conflict (it's \"quoted\")")
    );
    // The default branch merged into the session's: nothing to say any more.
    assert!(store.record_base_drift(one.agent_id, None).unwrap());
    assert_eq!(store.base_drift(one.agent_id).unwrap(), None);
    // An agent that is no session has no line.
    assert_eq!(store.base_drift(one.agent_id + 1000).unwrap(), None);
}
