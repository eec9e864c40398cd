//! A person's choices on a session's subagents, and where they are shown (issue 58): one
//! subagent stopped from the queue while its sibling goes on, the file granted to a subagent,
//! and a session's row on the Agents view listing its subagents.

use baton_core::escalations::EscalationAction;
use baton_core::hooks::{HookAnswer, PermitMode};

use super::sessions::{open_escalations, APP};
use super::subagents::{holders, start, stop, sub_write, two_subagents, FIRST, SECOND};
use super::support::t;

#[test]
fn the_agents_view_lists_a_sessions_subagents_with_what_they_do_and_hold() {
    let mut store = super::support::fresh_store();
    let session = two_subagents(&mut store);
    let a = sub_write(&mut store, "a1", PermitMode::Enforce, 2);
    stop(&mut store, "b2", 3);
    let row = store.agent_row(session).unwrap();
    let subagents = row.session.expect("a session").subagents;
    let seen: Vec<_> = subagents
        .iter()
        .map(|s| {
            let held: Vec<&str> = s.leases.iter().map(|l| l.resource.as_str()).collect();
            (
                s.name.as_str(),
                s.agent_type.as_deref(),
                s.stopped_at.is_some(),
                s.last_tool.clone(),
                held.join(","),
            )
        })
        .collect();
    let app = format!("file://{APP}");
    assert_eq!(
        seen,
        [
            (
                FIRST,
                Some("general-purpose"),
                false,
                Some(format!("Write {APP}")),
                app
            ),
            (SECOND, Some("general-purpose"), true, None, String::new()),
        ]
    );
    assert_eq!(subagents[0].started_at, t(1));
    // A subagent's own row says whose it is; a session's says none.
    let own = store.agent_row(a.agent_id).unwrap();
    assert!(own.session.is_none());
    assert_eq!(own.subagent.expect("a subagent").session_agent_id, session);
    assert!(store.agent_row(session).unwrap().subagent.is_none());
}

#[test]
fn a_person_stops_one_subagent_and_its_sibling_goes_on() {
    let mut store = super::support::fresh_store();
    let session = two_subagents(&mut store);
    let a = sub_write(&mut store, "a1", PermitMode::Enforce, 2);
    let b = sub_write(&mut store, "b2", PermitMode::Enforce, 3);
    let item = open_escalations(&store)[0].id;
    let stop_one = |agent_id| EscalationAction::StopTouching { agent_id };
    // The session is no subagent; a subagent the item does not name is not stopped by it.
    let err = store
        .decide_escalation(item, &stop_one(session), Some("x"), "ana", t(4))
        .unwrap_err();
    assert!(err.to_string().contains("is no subagent"), "{err}");
    let c = start(&mut store, "c3", 4);
    let err = store
        .decide_escalation(item, &stop_one(c.agent_id), Some("x"), "ana", t(4))
        .unwrap_err();
    assert!(
        err.to_string().contains("is not named by this item"),
        "{err}"
    );
    // The holder stops: its lease ends, and its next write is refused with the decision's words.
    store
        .decide_escalation(item, &stop_one(a.agent_id), Some("b2 has it"), "ana", t(5))
        .unwrap();
    assert!(holders(&store, 5).is_empty());
    let refused = sub_write(&mut store, "a1", PermitMode::Warn, 6);
    let HookAnswer::Deny(reason) = &refused.answer else {
        panic!("{:?}", refused.answer)
    };
    assert!(
        reason.contains(&format!(
            "ana decided in Baton that the subagent \"{FIRST}\" stops"
        )) && reason.contains("(b2 has it)"),
        "{reason}"
    );
    // Its sibling goes on, and takes the file.
    assert_eq!(
        sub_write(&mut store, "b2", PermitMode::Enforce, 7).answer,
        HookAnswer::GoOn
    );
    assert_eq!(holders(&store, 7), [(SECOND.to_owned(), true)]);
    assert_eq!(b.agent_name, SECOND);
}

#[test]
fn the_file_is_granted_to_a_subagent_as_to_a_session() {
    let mut store = super::support::fresh_store();
    two_subagents(&mut store);
    sub_write(&mut store, "a1", PermitMode::Enforce, 2);
    let b = sub_write(&mut store, "b2", PermitMode::Enforce, 3);
    let item = open_escalations(&store)[0].id;
    let grant = EscalationAction::GrantLease {
        agent_id: b.agent_id,
    };
    store
        .decide_escalation(item, &grant, None, "ana", t(4))
        .unwrap();
    assert_eq!(holders(&store, 4), [(SECOND.to_owned(), true)]);
    assert_eq!(
        sub_write(&mut store, "b2", PermitMode::Enforce, 5).answer,
        HookAnswer::GoOn
    );
    assert!(matches!(
        sub_write(&mut store, "a1", PermitMode::Enforce, 6).answer,
        HookAnswer::Deny(_)
    ));
}

#[test]
fn a_removed_session_takes_its_subagents_with_it() {
    let mut store = super::support::fresh_store();
    let session = two_subagents(&mut store);
    sub_write(&mut store, "a1", PermitMode::Enforce, 2);
    let other = store.agents().unwrap().len();
    assert_eq!(other, 3);
    store.remove_agent(session).unwrap();
    assert!(store.agents().unwrap().is_empty());
    assert!(holders(&store, 3).is_empty());
}
