//! What the app sees of coding sessions, written by other processes: the Agents view's session
//! part (prompt, last tool, leases) and the sessions heard since a mark.

use baton_core::hooks::PermitMode;
use serde_json::json;

use super::sessions::{hook, prompt, write, APP};
use super::support::t;
use crate::Store;

#[test]
fn the_agents_view_sees_a_sessions_prompt_last_tool_and_leases_and_the_app_hears_its_calls() {
    let mut store = Store::open_in_memory().unwrap();
    let warn = PermitMode::Warn;
    // Nothing heard yet.
    let none = store.sessions_heard_since(None).unwrap();
    assert!(none.agents.is_empty() && none.mark.is_none(), "{none:?}");
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

    // The app hears the session's calls, with its cards; a mark keeps it from hearing them twice.
    let heard = store.sessions_heard_since(None).unwrap();
    assert_eq!(heard.agents.len(), 1);
    assert_eq!(heard.agents[0].0, one.agent_id);
    assert_eq!(heard.agents[0].1[0].task_id, "turn-1");
    assert_eq!(heard.waiting, 0);
    let mark = heard.mark.clone();
    assert!(store
        .sessions_heard_since(mark.as_deref())
        .unwrap()
        .agents
        .is_empty());
    // A permission prompt: the session waits for a person.
    hook(
        &mut store,
        "aaaa1111",
        warn,
        3,
        json!({"hook_event_name": "Notification", "notification_type": "permission_prompt", "message": "Claude needs your permission to use Bash"}),
    );
    let heard = store.sessions_heard_since(mark.as_deref()).unwrap();
    assert_eq!((heard.agents.len(), heard.waiting), (1, 1), "{heard:?}");
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
    assert_eq!(store.sessions_heard_since(None).unwrap().waiting, 0);
    // A polled agent has no session part.
    let polled = store
        .add_agent(&super::support::draft("Researcher"))
        .unwrap();
    assert!(store.agent_row(polled.id).unwrap().session.is_none());
}
