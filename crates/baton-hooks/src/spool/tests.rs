//! The spool on a SQLite store in a temporary folder: calls kept while the store is busy past
//! the budget, delivered once, and what cannot be replayed right moved aside with why.

use std::io::Write;
use std::path::{Path, PathBuf};

use baton_core::hooks::{HookClient, ParallelMode, PermitMode};
use baton_store::sessions::{PermitSettings, SessionRef};
use serde_json::json;

use super::*;
use crate::call::{hook, HookOptions, STORE_BUDGET};

fn options() -> HookOptions {
    HookOptions {
        client: HookClient::ClaudeCode,
        event: None,
        mode: PermitMode::Enforce,
        parallel: ParallelMode::Warn,
        lease_minutes: 10,
        ask_seconds: 0,
        route_wait: 0,
        name: None,
        budget: Some(STORE_BUDGET),
        deliverer: None,
        own_server: None,
    }
}

/// A data folder with a store, and session `s`'s write of `/x` that went ahead while another
/// process held the store's write lock past the budget: the anchor.
fn with_one_kept_call(dir: &Path) -> PathBuf {
    let db = dir.join("baton.sqlite3");
    drop(baton_store::Store::open(&db).unwrap());
    let holder = rusqlite::Connection::open(&db).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    let payload = json!({"session_id": "s", "hook_event_name": "PreToolUse", "tool_name": "Write", "tool_input": {"file_path": "/x"}});
    let reply = hook(db.clone(), &options(), &mut payload.to_string().as_bytes());
    holder.execute_batch("ROLLBACK").unwrap();
    assert_eq!(reply.exit_code, 0, "{reply:?}");
    assert!(
        reply.stderr.contains("goes ahead unchecked, kept in") && reply.stderr.contains(SPOOL_FILE),
        "{}",
        reply.stderr
    );
    db
}

fn unchecked_rows(db: &Path) -> i64 {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row("SELECT count(*) FROM unchecked_calls", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn a_call_kept_while_the_store_was_busy_is_delivered_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = with_one_kept_call(dir.path());
    let kept = std::fs::read_to_string(spool_path(&db)).unwrap();
    assert_eq!(kept.lines().count(), 1, "{kept}");
    assert!(spool_waits(&db));

    let delivered = deliver_spool(&db).unwrap();
    assert_eq!(
        (delivered.stored, delivered.refused.len()),
        (1, 0),
        "{delivered:?}"
    );
    assert_eq!(delivered.summary(), "1 unchecked call(s) recorded");
    assert!(!spool_waits(&db));
    assert_eq!(unchecked_rows(&db), 1);
    assert_eq!(deliver_spool(&db).unwrap(), Delivered::default());

    // The same spool again (a delivery that died after storing, before removing it): stored
    // before, nothing twice.
    std::fs::write(spool_path(&db), &kept).unwrap();
    let again = deliver_spool(&db).unwrap();
    assert_eq!((again.stored, again.stored_before), (0, 1), "{again:?}");
    assert_eq!(unchecked_rows(&db), 1);
}

#[test]
fn junk_truncated_foreign_and_future_lines_are_moved_aside_never_replayed() {
    let dir = tempfile::tempdir().unwrap();
    let db = with_one_kept_call(dir.path());
    let good = std::fs::read_to_string(spool_path(&db)).unwrap();
    let line: serde_json::Value = serde_json::from_str(good.trim()).unwrap();
    let mut foreign = line.clone();
    foreign["store"] = json!("postgres://baton@elsewhere:5432/team");
    foreign["call_id"] = json!("foreign");
    let mut future = line.clone();
    future["v"] = json!(2);
    let mut wrong_types = line.clone();
    wrong_types["waited_ms"] = json!("slow");
    let mut bad_mode = line.clone();
    bad_mode["call"]["mode"] = json!("maybe");
    let truncated = &good[..good.len() / 2];
    let spool = [
        "{not json".to_owned(),
        foreign.to_string(),
        future.to_string(),
        wrong_types.to_string(),
        bad_mode.to_string(),
        good.trim().to_owned(),
        truncated.to_owned(),
    ]
    .join("\n");
    std::fs::write(spool_path(&db), spool).unwrap();

    let delivered = deliver_spool(&db).unwrap();
    assert_eq!(delivered.stored, 1, "{delivered:?}");
    let said = delivered.refused.join("\n");
    assert_eq!(delivered.refused.len(), 6, "{said}");
    for why in [
        "line 1 is no spooled call",
        "line 2 was kept for the store postgres://baton@elsewhere:5432/team, not this one",
        "line 3 is of spool version 2, this Baton writes 1",
        "line 4 is no spooled call",
        "line 5 cannot be read (\"maybe\" is not a mode)",
        "line 7 is no spooled call",
    ] {
        assert!(said.contains(why), "{why:?} in\n{said}");
    }
    assert!(said.contains("not replayed"));
    assert_eq!(unchecked_rows(&db), 1);
    // What was not replayed is kept beside the spool, with why.
    let refused = std::fs::read_to_string(db.with_file_name(REFUSED_FILE)).unwrap();
    assert_eq!(refused.lines().count(), 6, "{refused}");
    assert!(!spool_waits(&db));
}

#[test]
fn a_huge_spool_is_refused_whole_and_a_store_that_cannot_open_keeps_the_spool() {
    let dir = tempfile::tempdir().unwrap();
    let db = with_one_kept_call(dir.path());
    // Past the limit (a sparse file: no disk spent).
    let file = std::fs::OpenOptions::new()
        .append(true)
        .open(spool_path(&db))
        .unwrap();
    file.set_len(SPOOL_LIMIT_BYTES + 1).unwrap();
    let delivered = deliver_spool(&db).unwrap();
    assert_eq!(delivered.stored, 0);
    assert!(
        delivered.refused[0].contains("past the spool's limit"),
        "{delivered:?}"
    );
    assert_eq!(unchecked_rows(&db), 0);
    // A call is not kept past the limit either, and says so.
    let refused = std::fs::read_to_string(db.with_file_name(REFUSED_FILE)).unwrap();
    assert_eq!(refused.lines().count(), 1, "{refused}");
    drop(file);
    let call = SpooledCall::new(
        "x".into(),
        chrono::Utc::now(),
        500,
        "slow".into(),
        None,
        b"{}",
        &SessionRef::in_checkout(HookClient::ClaudeCode, "s", "/r"),
        &PermitSettings::in_mode(PermitMode::Warn),
    );
    std::fs::File::create(spool_path(&db))
        .unwrap()
        .set_len(SPOOL_LIMIT_BYTES)
        .unwrap();
    let full = keep(&db, &call).unwrap_err();
    assert!(matches!(full, SpoolError::Full(_)), "{full}");
    assert!(
        full.to_string().contains("this call was not kept"),
        "{full}"
    );

    // A store that cannot open: the spool stays as it was.
    let other = tempfile::tempdir().unwrap();
    let kept_db = with_one_kept_call(other.path());
    let kept = std::fs::read(spool_path(&kept_db)).unwrap();
    std::fs::rename(&kept_db, other.path().join("moved")).unwrap();
    std::fs::create_dir_all(&kept_db).unwrap();
    let err = deliver_spool(&kept_db).unwrap_err();
    assert!(err.to_string().contains("the spool is kept"), "{err}");
    assert_eq!(std::fs::read(spool_path(&kept_db)).unwrap(), kept);
}

#[test]
fn one_delivery_turn_at_a_time_and_free_again_when_let_go() {
    let dir = tempfile::tempdir().unwrap();
    let anchor = dir.path().join("baton.sqlite3");
    let turn = DeliveryTurn::take(&anchor).unwrap();
    assert!(turn.is_some());
    assert!(DeliveryTurn::take(&anchor).unwrap().is_none(), "held");
    drop(turn);
    assert!(DeliveryTurn::take(&anchor).unwrap().is_some(), "let go");
}

#[test]
fn a_turn_delivers_what_was_kept_while_it_delivered_and_none_while_another_has_it() {
    let dir = tempfile::tempdir().unwrap();
    let anchor = with_one_kept_call(dir.path());
    let other = DeliveryTurn::take(&anchor).unwrap();
    assert_eq!(
        deliver_in_turn(&anchor).unwrap(),
        None,
        "another has the turn"
    );
    assert!(spool_waits(&anchor));
    drop(other);
    let delivered = deliver_in_turn(&anchor).unwrap().expect("the turn");
    assert_eq!((delivered.stored, delivered.left), (1, 0), "{delivered:?}");
    assert!(!spool_waits(&anchor));
}

/// Session `holder` writes `/repo/app.rs`, then `other` is refused it on the store at `db`:
/// the refusal's record, its queue items not filed.
fn refusal_items(store: &mut baton_store::Store) -> baton_store::sessions::ItemsToFile {
    use baton_core::hooks::parse_hook_payload;
    let enforce = || PermitSettings::in_mode(PermitMode::Enforce);
    let mut items = None;
    for session in ["holder", "other"] {
        let payload = json!({"session_id": session, "cwd": "/repo", "hook_event_name": "PreToolUse",
                             "tool_name": "Write", "tool_input": {"file_path": "/repo/app.rs"}});
        let call = parse_hook_payload(HookClient::ClaudeCode, payload.to_string().as_bytes(), None)
            .unwrap();
        let who = SessionRef::in_checkout(HookClient::ClaudeCode, session, "/repo");
        let (_, kept) = store
            .record_hook_filing_later(
                &who,
                &call,
                enforce(),
                chrono::Utc::now(),
                None,
                &mut |_, _| {},
            )
            .unwrap();
        items = Some(kept);
    }
    items.unwrap()
}

fn open_collisions(store: &baton_store::Store) -> usize {
    store
        .escalations(baton_store::escalations::EscalationFilter {
            open: true,
            closed: 0,
        })
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == baton_core::detect::FindingKind::WriteCollision)
        .count()
}

#[test]
fn a_calls_items_handed_on_are_filed_by_the_delivery_once_and_a_broken_line_is_said() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("baton.sqlite3");
    let mut store = baton_store::Store::open(&db).unwrap();
    let items = refusal_items(&mut store);
    assert!(!items.is_empty());
    items::keep_items(&db, &items).unwrap();
    // A line a hook was writing as it died.
    std::fs::OpenOptions::new()
        .append(true)
        .open(items_path(&db))
        .unwrap()
        .write_all(b"{\"agent_id\": 1, \"findi")
        .unwrap();
    assert!(spool_waits(&db));
    assert_eq!(open_collisions(&store), 0, "not filed yet");

    let delivered = deliver_spool(&db).unwrap();
    assert_eq!(delivered.items, 1, "{delivered:?}");
    assert_eq!(delivered.items_dropped.len(), 1, "{delivered:?}");
    assert!(
        delivered
            .summary()
            .contains("the queue items of 1 call(s) filed")
            && delivered.summary().contains("is no call's items"),
        "{}",
        delivered.summary()
    );
    assert_eq!(open_collisions(&store), 1);
    assert!(!spool_waits(&db));
    // Delivered again: nothing more.
    assert_eq!(deliver_spool(&db).unwrap().items, 0);
    assert_eq!(open_collisions(&store), 1);
}

#[test]
fn a_hook_process_on_sqlite_files_its_items_itself() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("baton.sqlite3");
    let mut store = baton_store::Store::open(&db).unwrap();
    let items = refusal_items(&mut store);
    // SQLite is on this machine: filed at once, even with a delivery to hand them to.
    file_or_hand_on(&db, &mut store, items, true).unwrap();
    assert_eq!(open_collisions(&store), 1);
    assert!(!items_wait(&db));
}
