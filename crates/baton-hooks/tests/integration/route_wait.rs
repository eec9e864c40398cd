//! A repository sets how long a permission request waits for the person's phone
//! (`route_wait_seconds` in `.baton/hooks.toml`), within what the hooks were installed with
//! (the client's own limit): with a route that can answer and someone watching, the real
//! `baton-hook` installed to wait 585 s for the phone gives up after the repository's 2 s, and
//! the item says so. On SQLite and on PostgreSQL.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use baton_core::escalations::EscalationState;
use baton_core::notify::{RouteDraft, RouteKind};
use baton_store::escalations::EscalationFilter;
use baton_store::{Store, StoreLocation, StorePlace};
use serde_json::json;

use crate::support::GENEROUS_BUDGET_MS;

/// The hook as installed for Claude Code with a route: 1 s in Baton's queue, 585 s for the
/// phone. Returns its exit code and stdout; killed (and the test failed) past a minute.
fn ask(data: &Path, repo: &Path) -> (i32, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_baton-hook"))
        .arg("--data-dir")
        .arg(data)
        .args(["claude-code", "--mode", "warn"])
        .args(["--ask-seconds", "1", "--route-wait", "585"])
        .env_remove("BATON_STORE")
        .env("BATON_HOOK_BUDGET_MS", GENEROUS_BUDGET_MS)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let payload = json!({
        "session_id": "aaaa1111", "cwd": repo, "hook_event_name": "PermissionRequest",
        "tool_name": "Bash", "tool_input": {"command": "make deploy"}
    });
    child
        .stdin
        .take()
        .unwrap()
        .write_all(payload.to_string().as_bytes())
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("the hook still waits after a minute: the repository's wait was not taken");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn the_repository_sets_the_wait(location: StoreLocation) {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    StorePlace::choose(&data, Some(&location)).unwrap();
    let repo = tmp.path().join("shop");
    std::fs::create_dir_all(repo.join(".git")).unwrap();
    std::fs::write(repo.join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
    std::fs::create_dir_all(repo.join(".baton")).unwrap();
    std::fs::write(repo.join(".baton/hooks.toml"), "route_wait_seconds = 2\n").unwrap();
    {
        let mut store = Store::open_at(&location).unwrap();
        let route = RouteDraft {
            server: Some("http://127.0.0.1:9".into()),
            topic: Some("baton-out".into()),
            reply_topic: Some("baton-back".into()),
            ..RouteDraft::new("phone", RouteKind::Ntfy, "ana")
        };
        store.add_route(&route, chrono::Utc::now()).unwrap();
        store.note_watcher("app", chrono::Utc::now()).unwrap();
    }

    let (code, stdout) = ask(&data, &repo);
    // Nobody answered: the client asks in its own dialog (no decision in the reply).
    assert_eq!((code, stdout.as_str()), (0, ""), "{stdout}");
    let store = Store::open_at(&location).unwrap();
    let items = store
        .escalations(EscalationFilter {
            open: true,
            closed: 10,
        })
        .unwrap();
    let item = items
        .iter()
        .find(|e| e.title.contains("make deploy"))
        .unwrap_or_else(|| panic!("the request was asked in the queue: {items:?}"));
    assert_eq!(item.state, EscalationState::Expired, "{item:?}");
    let why = item.decision.as_ref().and_then(|d| d.reason.clone());
    assert!(
        why.as_deref()
            .is_some_and(|w| w.contains("stopped waiting after 2 s")),
        "the item says the session waited the repository's 2 s: {why:?}"
    );
}

#[test]
fn a_repository_sets_how_long_a_request_waits_for_the_phone_on_sqlite() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("shared.sqlite3");
    the_repository_sets_the_wait(StoreLocation::parse(file.to_str().unwrap()).unwrap());
}

#[test]
fn a_repository_sets_how_long_a_request_waits_for_the_phone_on_postgres() {
    let url = baton_testdb::server().fresh_database();
    the_repository_sets_the_wait(StoreLocation::parse(&url).unwrap());
}
