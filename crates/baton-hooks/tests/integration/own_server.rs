//! The hooks' own server (`baton-hook --serve-hooks`): with no app and no `baton watch`, the
//! first call on a PostgreSQL store starts one, and the calls after it go through it (a call
//! it holds up waits on it, then is recorded once when it goes on); it exits when its data
//! folder goes, when no call came for its idle time, and at once where another serves.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use baton_hooks::own_server::{running_own_server, server_lock_path};
use baton_hooks::served::app_answers;
use baton_store::StoreLocation;

use crate::machines::{origin, Machine};
use crate::support::edit_app as edit;
use crate::support::{run_baton_hook, run_hook};

/// Waits up to a minute for `what`.
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{what}: not within a minute"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn alive(pid: &str) -> bool {
    Command::new("kill")
        .args(["-0", pid])
        .status()
        .is_ok_and(|s| s.success())
}

fn signal(pid: &str, which: &str) {
    let status = Command::new("kill").args([which, pid]).status().unwrap();
    assert!(status.success(), "kill {which} {pid}");
}

/// `baton-hook --data-dir <data> --serve-hooks …` run to its end: (exit 0, stderr).
fn serve(data: &Path, more: &[&str]) -> (bool, String) {
    let args: Vec<&str> = std::iter::once("--serve-hooks")
        .chain(more.iter().copied())
        .collect();
    run_baton_hook(data, &args)
}

#[test]
fn the_first_call_with_no_app_starts_the_hooks_own_server_and_the_next_go_through_it() {
    let url = baton_testdb::server().fresh_database();
    let store = StoreLocation::parse(&url).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    origin(tmp.path());
    let laptop = Machine::new(tmp.path(), "laptop-a", &store);
    let anchor = laptop.data.join("baton.sqlite3");
    assert!(!app_answers(&anchor));

    // The first call works on the store itself, and starts the server.
    let (code, stderr) = laptop.hook(edit("aaaa1111", &laptop.clone, "PreToolUse"));
    assert_eq!(code, 0, "{stderr}");
    wait_until("the hooks' own server answers", || app_answers(&anchor));
    let pid = std::fs::read_to_string(server_lock_path(&anchor)).unwrap();
    assert!(alive(&pid), "the server's process id is in its lock file");
    assert_eq!(running_own_server(&anchor), pid.trim().parse().ok());
    // Another started by hand steps aside.
    let (ok, said) = serve(&laptop.data, &[]);
    assert!(ok && said.contains("another process answers"), "{said}");

    // A call goes through it: held up there, the call waits for it past its budget, and the
    // server records it once it goes on (the hook keeps nothing of it).
    let writes = || {
        baton_testdb::sql_at(
            &url,
            "SELECT count(*) FROM events e JOIN agents a ON a.id = e.agent_id \
             WHERE a.name = 'shop·aaaa1111' AND e.kind = 'write'",
        )
        .unwrap()
        .trim()
        .parse::<u32>()
        .unwrap()
    };
    assert_eq!(writes(), 0);
    signal(&pid, "-STOP");
    let env = [("BATON_HOST", "laptop-a"), ("BATON_HOOK_BUDGET_MS", "1500")];
    let (code, stderr) = run_hook(
        &laptop.data,
        "claude-code",
        &env,
        &edit("aaaa1111", &laptop.clone, "PostToolUse"),
    );
    signal(&pid, "-CONT");
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("the running Baton did not answer within 1500 ms"),
        "the call went to the hooks' own server: {stderr}"
    );
    assert!(!baton_hooks::spool::spool_waits(&anchor), "nothing kept");
    wait_until("the held-up call recorded", || writes() > 0);
    assert_eq!(writes(), 1, "recorded once");

    // Another machine's session on the same branch is refused through its own server, as
    // it would be by the store itself.
    let devbox = Machine::new(tmp.path(), "devbox-b", &store);
    let devbox_anchor = devbox.data.join("baton.sqlite3");
    for attempt in ["cold", "served"] {
        let (code, stderr) = devbox.hook(edit("bbbb2222", &devbox.clone, "PreToolUse"));
        assert_eq!(code, 2, "{attempt}: refused: {stderr}");
        assert!(stderr.contains("laptop-a"), "{attempt}: {stderr}");
        if attempt == "cold" {
            wait_until("the dev box's server answers", || {
                app_answers(&devbox_anchor)
            });
        }
    }

    // Its data folder gone, the server ends.
    drop(tmp);
    wait_until("the server ended with its data folder", || !alive(&pid));
}

#[test]
fn the_hooks_own_server_exits_when_no_call_comes() {
    let url = baton_testdb::server().fresh_database();
    let store = StoreLocation::parse(&url).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    origin(tmp.path());
    let laptop = Machine::new(tmp.path(), "laptop-a", &store);
    let (ok, said) = serve(&laptop.data, &["--idle-seconds", "1"]);
    assert!(ok, "{said}");
    assert_eq!(running_own_server(&laptop.data.join("baton.sqlite3")), None);
    assert!(
        said.contains("no hook call came for its idle time"),
        "{said}"
    );
    assert!(!app_answers(&laptop.data.join("baton.sqlite3")));
}
