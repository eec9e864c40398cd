use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

use baton_core::hooks::{HookAnswer, HookClient, PermitMode};
use serde_json::json;

use super::wire::{HookRequest, HookResponse, WireAnswer, WIRE_VERSION};
use super::*;
use crate::call::{hook, HookOptions};
use baton_store::StorePlace;

fn enforce() -> HookOptions {
    HookOptions {
        client: HookClient::ClaudeCode,
        event: None,
        mode: PermitMode::Enforce,
        parallel: baton_core::hooks::ParallelMode::Warn,
        lease_minutes: 10,
        ask_seconds: 0,
        route_wait: 0,
        name: None,
        // Generous: these tests are about the app's answers, not the budget (a loaded machine
        // can take longer than the real one to open a fresh store).
        budget: Some(std::time::Duration::from_secs(30)),
        deliverer: None,
        own_server: None,
    }
}

/// `session` writes `/repo/app.rs`: the hook's exit code and stderr.
fn write(db: &Path, session: &str) -> (i32, String) {
    let payload = json!({
        "session_id": session, "cwd": "/repo", "hook_event_name": "PreToolUse",
        "tool_name": "Write", "tool_input": {"file_path": "/repo/app.rs", "content": "x"}
    });
    let reply = hook(
        db.to_owned(),
        &enforce(),
        &mut payload.to_string().as_bytes(),
    );
    assert!(reply.stdout.is_empty(), "{reply:?}");
    (reply.exit_code, reply.stderr)
}

fn store_in(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("baton.sqlite3")
}

/// Sends `body` as a call to the server at `db` and reads its answer (none when the server
/// hung up on a call past its limit).
fn try_exchange(db: &Path, body: &[u8]) -> Option<HookResponse> {
    let mut stream = UnixStream::connect(socket_path(db)).unwrap();
    // The server stops reading a call past its limit: the rest is not taken.
    let _ = stream.write_all(body);
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).ok()?;
    Some(serde_json::from_slice(&answer).unwrap())
}

fn exchange(db: &Path, body: &[u8]) -> HookResponse {
    try_exchange(db, body).expect("an answer")
}

#[test]
fn calls_are_recorded_by_the_app_while_it_serves_and_by_the_hook_itself_when_it_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let db = store_in(&dir);
    let server = HookServer::start(&StorePlace::from_anchor(&db).unwrap())
        .unwrap()
        .expect("nobody serves yet");
    assert_eq!(server.path(), socket_path(&db));
    assert_eq!(write(&db, "aaaa1111"), (0, String::new()));
    let (code, why) = write(&db, "bbbb2222");
    assert_eq!(code, 2, "{why}");
    assert!(why.contains("aaaa1111"), "{why}");
    assert_eq!(server.recorded(), 2, "both calls went through the app");
    // The machine's time for a hook call reaches the store (after a call answered, once the
    // lane is done with it: a refusal's item is filed after its answer).
    let store = StorePlace::from_anchor(&db).unwrap().open().unwrap();
    let started = std::time::Instant::now();
    let links = loop {
        let links = store.machine_links(chrono::Utc::now()).unwrap();
        if !links.is_empty() || started.elapsed() > std::time::Duration::from_secs(60) {
            break links;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert_eq!(links.len(), 1, "{links:?}");
    assert!(links[0].call_ms.is_some(), "{links:?}");

    // The app stops: its socket goes, and the hooks keep the same leases on their own.
    drop(server);
    assert!(!socket_path(&db).exists());
    let (code, why) = write(&db, "cccc3333");
    assert_eq!(code, 2, "{why}");
    assert!(why.contains("aaaa1111"), "{why}");
    assert_eq!(write(&db, "aaaa1111").0, 0);
}

#[test]
fn a_socket_nobody_answers_on_is_passed_by_and_replaced_by_the_next_app() {
    let dir = tempfile::tempdir().unwrap();
    let db = store_in(&dir);
    // A process that did not stop cleanly left its socket.
    drop(UnixListener::bind(socket_path(&db)).unwrap());
    assert!(socket_path(&db).exists());
    assert_eq!(write(&db, "aaaa1111"), (0, String::new()));
    let server = HookServer::start(&StorePlace::from_anchor(&db).unwrap())
        .unwrap()
        .expect("the stale socket is replaced");
    assert_eq!(write(&db, "bbbb2222").0, 2);
    assert_eq!(server.recorded(), 1);
    // A second app (or `watch`) on the same store leaves the calls to the first.
    assert!(HookServer::start(&StorePlace::from_anchor(&db).unwrap())
        .unwrap()
        .is_none());
    assert!(write(&db, "cccc3333").0 == 2 && server.recorded() == 2);
}

#[test]
fn junk_huge_silent_and_foreign_calls_are_answered_and_the_server_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let db = store_in(&dir);
    let server = HookServer::start(&StorePlace::from_anchor(&db).unwrap())
        .unwrap()
        .unwrap();
    // Past the limit the server stops reading: an answer, or the connection closed on it.
    let huge = try_exchange(&db, &vec![b' '; MAX_MESSAGE_BYTES + 10]);
    assert!(
        matches!(huge, None | Some(HookResponse::Unreadable { .. })),
        "{huge:?}"
    );
    for junk in [
        b"{not json".to_vec(),
        Vec::new(),
        json!({"v": 1, "client": 5}).to_string().into_bytes(),
    ] {
        assert!(
            matches!(exchange(&db, &junk), HookResponse::Unreadable { .. }),
            "{}",
            String::from_utf8_lossy(&junk[..junk.len().min(40)])
        );
    }
    // Another version of Baton, a client it does not know, a payload it cannot read: the hook
    // is told to work on the store itself.
    let good = HookRequest {
        v: WIRE_VERSION,
        client: "claude-code".into(),
        event: None,
        payload: json!({"session_id": "s", "hook_event_name": "Stop"}).to_string(),
        session_id: "s".into(),
        cwd: None,
        repo_root: None,
        repository: None,
        repository_name: None,
        branch: None,
        name: None,
        host: Some("laptop-a".into()),
        account: None,
        mode: "warn".into(),
        lease_seconds: 600,
        ask_person: false,
        path_modes: vec![("file:///gen/**".into(), "observe".into())],
        parallel: None,
    };
    for foreign in [
        HookRequest {
            v: WIRE_VERSION + 1,
            ..good.clone()
        },
        HookRequest {
            client: "cursor".into(),
            ..good.clone()
        },
        HookRequest {
            mode: "strict".into(),
            ..good.clone()
        },
        HookRequest {
            payload: "[]".into(),
            ..good.clone()
        },
        HookRequest {
            path_modes: vec![("".into(), "warn".into())],
            ..good.clone()
        },
        HookRequest {
            parallel: Some("observe".into()),
            ..good.clone()
        },
    ] {
        let body = serde_json::to_vec(&foreign).unwrap();
        let answer = exchange(&db, &body);
        assert!(
            matches!(answer, HookResponse::Unreadable { .. }),
            "{answer:?}"
        );
    }
    // A connection that sends nothing holds the server for at most half a second.
    let silent = UnixStream::connect(socket_path(&db)).unwrap();
    let body = serde_json::to_vec(&good).unwrap();
    let answer = exchange(&db, &body);
    assert!(
        matches!(
            answer,
            HookResponse::Checked {
                answer: WireAnswer::GoOn,
                asked: None,
                ..
            }
        ),
        "{answer:?}"
    );
    drop(silent);
    assert_eq!(write(&db, "aaaa1111"), (0, String::new()));
    assert_eq!(server.recorded(), 2);
}

#[test]
fn an_app_that_takes_the_call_and_never_answers_lets_it_go_on_unchecked() {
    let dir = tempfile::tempdir().unwrap();
    let db = store_in(&dir);
    let listener = UnixListener::bind(socket_path(&db)).unwrap();
    let holder = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        std::thread::sleep(Duration::from_secs(1));
        drop(stream);
    });
    let (code, why) = write(&db, "aaaa1111");
    assert_eq!(code, 0, "{why}");
    assert!(why.contains("goes ahead unchecked"), "{why}");
    holder.join().unwrap();
}

#[test]
fn every_answer_crosses_the_wire_unchanged() {
    for answer in [
        HookAnswer::GoOn,
        HookAnswer::Deny("held by A".into()),
        HookAnswer::Ask("ask".into()),
        HookAnswer::Permission(Ok(())),
        HookAnswer::Permission(Err("no".into())),
        HookAnswer::Failed("broken".into()),
    ] {
        let wire = serde_json::to_string(&WireAnswer::from(&answer)).unwrap();
        let back: WireAnswer = serde_json::from_str(&wire).unwrap();
        assert_eq!(HookAnswer::from(back), answer, "{wire}");
    }
}

#[test]
fn a_running_app_delivers_the_spool_its_hooks_kept_while_the_store_was_busy() {
    let dir = tempfile::tempdir().unwrap();
    let db = store_in(&dir);
    drop(baton_store::Store::open(&db).unwrap());
    // Another process holds the write lock past the budget: the write goes ahead, kept.
    let holder = rusqlite::Connection::open(&db).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    let options = HookOptions {
        budget: Some(crate::call::STORE_BUDGET),
        ..enforce()
    };
    let payload = json!({"session_id": "s", "cwd": "/repo", "hook_event_name": "PreToolUse",
                         "tool_name": "Write", "tool_input": {"file_path": "/repo/app.rs"}});
    let reply = hook(db.clone(), &options, &mut payload.to_string().as_bytes());
    assert!(reply.stderr.contains("kept in"), "{reply:?}");
    holder.execute_batch("ROLLBACK").unwrap();
    assert!(crate::spool::spool_waits(&db));

    // The app starts: it delivers the spool on its own, with no hook call.
    let server = HookServer::start(&StorePlace::from_anchor(&db).unwrap())
        .unwrap()
        .expect("nobody serves yet");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let stored = || -> i64 {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.query_row("SELECT count(*) FROM unchecked_calls", [], |r| r.get(0))
            .unwrap()
    };
    while stored() == 0 {
        assert!(std::time::Instant::now() < deadline, "not delivered");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(!crate::spool::spool_waits(&db));
    drop(server);
    assert_eq!(stored(), 1);
}

#[test]
fn a_call_an_app_answered_and_stopped_before_recording_is_recorded_when_it_starts_again() {
    // On a PostgreSQL store the app answers a call at its verdict and commits its record
    // after; here it stopped in between: the call is in its file of answered calls.
    let url = baton_testdb::server().fresh_database();
    let dir = tempfile::tempdir().unwrap();
    let location = baton_store::StoreLocation::parse(&url).unwrap();
    StorePlace::choose(dir.path(), Some(&location)).unwrap();
    let place = StorePlace::from_anchor(&store_in(&dir)).unwrap();
    let session = baton_store::sessions::SessionRef::in_checkout(
        HookClient::ClaudeCode,
        "s-stopped",
        "/repo",
    );
    let settings = baton_store::sessions::PermitSettings::in_mode(PermitMode::Enforce);
    let payload = json!({"session_id": "s-stopped", "cwd": "/repo", "hook_event_name": "PreToolUse",
                         "tool_name": "Write", "tool_input": {"file_path": "/repo/app.rs"}});
    let request = HookRequest::new(None, payload.to_string().as_bytes(), &session, &settings);
    let (answered, _) = answered::AnsweredCalls::open(&place.anchor, location.display()).unwrap();
    answered.note_request(&request, chrono::Utc::now()).unwrap();
    drop(answered);

    // The app starts again: the call goes to the spool, and the spool to the store, once.
    let server = HookServer::start(&place)
        .unwrap()
        .expect("nobody serves yet");
    let count = |sql: &str| baton_testdb::sql_at(&url, sql).unwrap().trim().to_owned();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while count("SELECT count(*) FROM unchecked_calls") != "1" {
        assert!(std::time::Instant::now() < deadline, "not recorded");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!crate::spool::spool_waits(&place.anchor));
    // Recorded as the write it was: the session holds the file.
    assert_eq!(
        count("SELECT count(*) FROM leases WHERE resource = 'file:///repo/app.rs'"),
        "1"
    );
    drop(server);
    // Nothing is left to move at the next start.
    let (_, moved) = answered::AnsweredCalls::open(&place.anchor, location.display()).unwrap();
    assert_eq!(moved, 0);
}
