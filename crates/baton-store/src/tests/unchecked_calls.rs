//! Hook calls that went ahead unchecked, recorded late from their machine's spool: stored once,
//! their writes at their own time, and the collision they hid an item, whether the other
//! session still holds the file or its turn has ended since.

use baton_core::detect::FindingKind;
use baton_core::hooks::{parse_hook_payload, HookClient, HookEvent, PermitMode};
use chrono::Duration;
use serde_json::{json, Value};

use super::parallel_edits::on_branch;
use super::sessions::{open_items, write as write_payload};
use super::support::{fresh_store, t};
use crate::db::params;
use crate::sessions::{PermitSettings, SessionRef, UncheckedCall};
use crate::Store;

fn call(payload: &Value) -> baton_core::hooks::HookCall {
    parse_hook_payload(HookClient::ClaudeCode, payload.to_string().as_bytes(), None).unwrap()
}

/// `session` writes `path` (checked) at `at`: PreToolUse and PostToolUse.
fn checked_write(store: &mut Store, session: &SessionRef, path: &str, at: i64) {
    for event in ["PreToolUse", "PostToolUse"] {
        let settings = PermitSettings::in_mode(PermitMode::Enforce);
        store
            .record_hook(session, &call(&write_payload(event, path)), settings, t(at))
            .unwrap();
    }
}

/// `session`'s write of `path` that went ahead unchecked at `at` (its PreToolUse and
/// PostToolUse, ids `<id>-pre` and `<id>-post`), delivered at `delivered`: whether each was
/// stored now (false: delivered before).
fn late_write(
    store: &mut Store,
    session: &SessionRef,
    path: &str,
    id: &str,
    at: i64,
    delivered: i64,
) -> Vec<bool> {
    ["PreToolUse", "PostToolUse"]
        .into_iter()
        .map(|event| {
            let late = UncheckedCall {
                call_id: format!("{id}-{event}"),
                at: t(at),
                waited_ms: 500,
                why: "the store did not answer within 500 ms".into(),
            };
            let settings = PermitSettings::in_mode(PermitMode::Enforce);
            let call = call(&write_payload(event, path));
            store
                .record_unchecked_call(session, &call, settings, late, t(delivered))
                .unwrap()
                .is_some()
        })
        .collect()
}

fn writes_of(store: &Store, session: &SessionRef) -> Vec<String> {
    store
        .db()
        .query_map(
            "SELECT e.at FROM events e JOIN sessions s ON s.agent_id = e.agent_id
              WHERE s.session_id = ?1 AND e.kind = 'write' ORDER BY e.seq",
            params![session.session_id],
            |row| row.get::<String>(0),
        )
        .unwrap()
}

fn on_host(id: &str, host: &str) -> SessionRef {
    let mut session = on_branch(id, "main");
    session.host = Some(host.into());
    session
}

const APP: &str = "/work/wt/main/src/app.rs";

#[test]
fn a_late_write_onto_a_held_file_is_an_item_naming_both_and_is_stored_once() {
    let mut store = fresh_store();
    let a = on_host("aaaa1111", "laptop-a");
    let b = on_host("bbbb2222", "laptop-b");
    checked_write(&mut store, &a, APP, 0);
    assert_eq!(late_write(&mut store, &b, APP, "b1", 10, 100), [true, true]);

    let items = open_items(&store);
    assert_eq!(items.len(), 1, "{items:?}");
    let (kind, title) = &items[0];
    assert_eq!(*kind, FindingKind::WriteCollision);
    for said in [
        "main·bbbb2222 on laptop-b wrote",
        "src/app.rs unchecked at 12:00 UTC",
        "while main·aaaa1111 on laptop-a held it",
        "the store did not answer within 500 ms",
    ] {
        assert!(title.contains(said), "{said:?} in {title}");
    }
    // The write is stored at its own time, once: a spool delivered again changes nothing.
    let writes = writes_of(&store, &b);
    assert_eq!(writes.len(), 1, "{writes:?}");
    assert!(writes[0].starts_with("2026-05-01T12:00:10"), "{writes:?}");
    assert_eq!(
        late_write(&mut store, &b, APP, "b1", 10, 101),
        [false, false]
    );
    assert_eq!(writes_of(&store, &b).len(), 1);
    assert_eq!(open_items(&store).len(), 1);

    // laptop-b had two calls unchecked today; neither machine measured its link yet.
    let links = store.machine_links(t(200)).unwrap();
    assert_eq!(links.len(), 1, "{links:?}");
    assert_eq!(
        (
            links[0].host.as_str(),
            links[0].unchecked_today,
            links[0].call_ms
        ),
        ("laptop-b", 2, None)
    );
}

#[test]
fn a_late_write_meets_a_holder_whose_turn_ended_since_and_one_who_wrote_after_it() {
    let mut store = fresh_store();
    let a = on_branch("aaaa1111", "main");
    let b = on_branch("bbbb2222", "main");
    // A wrote the file, then its turn ended: its lease is gone by the time B's write arrives.
    checked_write(&mut store, &a, APP, 0);
    let stop = PermitSettings::in_mode(PermitMode::Enforce);
    let ended = call(&json!({"hook_event_name": "Stop"}));
    assert_eq!(ended.event, HookEvent::Stop);
    store.record_hook(&a, &ended, stop, t(5)).unwrap();
    assert!(store
        .leases(t(6), Duration::minutes(10))
        .unwrap()
        .is_empty());
    late_write(&mut store, &b, APP, "b1", 10, 60);
    let items = open_items(&store);
    assert_eq!(items.len(), 1, "{items:?}");
    assert!(
        items[0].1.contains("while main·aaaa1111 held it"),
        "{items:?}"
    );

    // C's write went ahead unchecked before D wrote the file (checked, D saw no lease of C's):
    // both wrote it within the lease time, a collision all the same.
    let mut store = fresh_store();
    let c = on_branch("cccc3333", "main");
    let d = on_branch("dddd4444", "main");
    checked_write(&mut store, &d, APP, 20);
    late_write(&mut store, &c, APP, "c1", 10, 30);
    let items = open_items(&store);
    assert_eq!(items.len(), 1, "{items:?}");
    assert!(items[0].1.contains("main·cccc3333 wrote"), "{items:?}");
    assert!(
        items[0].1.contains("while main·dddd4444 held it"),
        "{items:?}"
    );
}

#[test]
fn a_late_write_nobody_else_touched_is_kept_quietly_with_its_lease() {
    let mut store = fresh_store();
    let b = on_host("bbbb2222", "laptop-b");
    // Another branch's session, and a write of another file, long before: no item.
    checked_write(
        &mut store,
        &on_branch("aaaa1111", "main"),
        "/work/wt/main/src/lib.rs",
        0,
    );
    late_write(&mut store, &b, APP, "b1", 900, 960);
    assert!(open_items(&store).is_empty(), "{:?}", open_items(&store));
    let leases = store.leases(t(960), Duration::minutes(10)).unwrap();
    assert!(
        leases
            .iter()
            .any(|l| l.holder == "main·bbbb2222" && l.resource.ends_with("src/app.rs")),
        "{leases:?}"
    );

    // Each machine's measured time to the store, with its unchecked calls of the day.
    store.note_store_link("laptop-a", 31, t(970)).unwrap();
    store.note_store_link("laptop-a", 33, t(980)).unwrap();
    let links = store.machine_links(t(990)).unwrap();
    let seen: Vec<(&str, Option<u64>, u64)> = links
        .iter()
        .map(|l| (l.host.as_str(), l.call_ms, l.unchecked_today))
        .collect();
    assert_eq!(seen, [("laptop-a", Some(33), 0), ("laptop-b", None, 2)]);
    // The next day, laptop-b's calls are yesterday's.
    let tomorrow = store.machine_links(t(990) + Duration::days(1)).unwrap();
    assert_eq!(tomorrow.len(), 1, "{tomorrow:?}");
}
