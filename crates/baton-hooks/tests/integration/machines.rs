//! Coding sessions on two machines sharing one store: each "machine" is a data folder of its
//! own whose saved store (`baton store use`) is the same PostgreSQL database (and, the same
//! way, one SQLite file), a clone of one repository (the same origin URL) and `BATON_HOST`
//! naming it; every call goes through the real `baton-hook` binary. The same branch's second
//! write is refused in `enforce` and the queue's item names both machines; another branch
//! edits in parallel. And a store that cannot answer: today's fail-open / fail-closed rule.

use std::path::{Path, PathBuf};

use baton_core::detect::FindingKind;
use baton_hooks::HookServer;
use baton_store::{Store, StoreLocation, StorePlace};
use serde_json::json;

use crate::support::{edit_app as edit, run_hook};
use baton_testdb::git::{clone_as, git};

/// One machine: its data folder (pointed at the shared store) and its clone of the repository.
pub(crate) struct Machine {
    pub(crate) name: &'static str,
    pub(crate) data: PathBuf,
    pub(crate) clone: PathBuf,
}

impl Machine {
    pub(crate) fn new(root: &Path, name: &'static str, store: &StoreLocation) -> Machine {
        let home = root.join(name);
        let data = home.join("data");
        std::fs::create_dir_all(&data).unwrap();
        StorePlace::choose(&data, Some(store)).unwrap();
        // Both clones know the repository by one remote URL, as two laptops would.
        let clone = home.join("shop");
        clone_as(
            &root.join("origin"),
            &clone,
            "git@git.example.org:acme/shop.git",
        );
        Machine { name, data, clone }
    }

    /// One hook call in `enforce` mode from this machine: (exit code, stderr).
    pub(crate) fn hook(&self, payload: serde_json::Value) -> (i32, String) {
        call(&self.data, self.name, payload)
    }
}

fn call(data: &Path, host: &str, payload: serde_json::Value) -> (i32, String) {
    run_hook(data, "claude-code", &[("BATON_HOST", host)], &payload)
}

/// The repository every machine clones: one commit of `src/app.rs`.
pub(crate) fn origin(root: &Path) {
    baton_testdb::git::origin(root, &[("src/app.rs", "fn main() {}\n")]);
}

/// Two machines on clones of one repository, both on `main`, then a third checkout on
/// another branch, against the shared store at `store`. With `devbox_app` the dev box runs
/// Baton (its hook server answers that machine's calls, and files their items after).
fn two_machines_meet(store: StoreLocation, devbox_app: bool) {
    let tmp = tempfile::tempdir().unwrap();
    origin(tmp.path());
    let laptop = Machine::new(tmp.path(), "laptop-a", &store);
    let devbox = Machine::new(tmp.path(), "devbox-b", &store);
    let app = devbox_app.then(|| {
        let place = StorePlace::from_anchor(&devbox.data.join("baton.sqlite3")).unwrap();
        HookServer::start(&place)
            .unwrap()
            .expect("nobody serves yet")
    });

    // The laptop's session writes src/app.rs on main: its lease, in the shared store.
    for event in ["PreToolUse", "PostToolUse"] {
        let (code, stderr) = laptop.hook(edit("aaaa1111", &laptop.clone, event));
        assert_eq!(code, 0, "laptop {event}: {stderr}");
    }
    // The dev box's session, on main in its own clone, is refused: the same file and branch.
    let (code, stderr) = devbox.hook(edit("bbbb2222", &devbox.clone, "PreToolUse"));
    assert_eq!(code, 2, "the second machine's write is refused: {stderr}");
    assert!(
        stderr.contains("the session \"shop·aaaa1111\" on the machine laptop-a is working on"),
        "{stderr}"
    );

    let store = Store::open_at(&store).unwrap();
    // Through a running app the hook is answered first and the item filed after.
    let item =
        open_item(&store, FindingKind::WriteCollision).expect("the collision is in the queue");
    assert_eq!(
        item.resource.as_deref(),
        Some("repo://git.example.org/acme/shop/src/app.rs")
    );
    assert!(
        item.title
            .contains("shop·bbbb2222 on devbox-b tried to write")
            && item
                .title
                .contains("while shop·aaaa1111 on laptop-a holds it"),
        "the item names both machines: {}",
        item.title
    );
    let mut hosts: Vec<(String, Option<String>)> = store
        .agent_rows()
        .unwrap()
        .into_iter()
        .filter_map(|row| Some((row.config.name, row.session?.host)))
        .collect();
    hosts.sort();
    assert_eq!(
        hosts,
        vec![
            ("shop·aaaa1111".into(), Some("laptop-a".into())),
            ("shop·bbbb2222".into(), Some("devbox-b".into())),
        ]
    );

    // Another branch on the dev box edits in parallel: not refused (warn by default).
    let feature = tmp.path().join("devbox-b/shop-feature");
    clone_as(
        &tmp.path().join("origin"),
        &feature,
        "https://git.example.org/acme/shop",
    );
    git(&feature, &["checkout", "-q", "-b", "feature"]);
    for event in ["PreToolUse", "PostToolUse"] {
        let (code, stderr) = devbox.hook(edit("cccc3333", &feature, event));
        assert_eq!(code, 0, "another branch {event}: {stderr}");
    }
    let parallel =
        open_item(&store, FindingKind::ParallelEdit).expect("the parallel edit is in the queue");
    assert!(parallel.title.contains("shop"), "{}", parallel.title);
    if let Some(app) = app {
        assert_eq!(
            app.recorded(),
            3,
            "the dev box's calls went through its app"
        );
    }
}

/// The open item of `kind` in `store`, waited for a while: a running app files a call's items
/// after it has answered the hook.
fn open_item(store: &Store, kind: FindingKind) -> Option<baton_core::escalations::Escalation> {
    let started = std::time::Instant::now();
    loop {
        let found = store
            .escalations(baton_store::escalations::EscalationFilter {
                open: true,
                closed: 0,
            })
            .unwrap()
            .into_iter()
            .find(|e| e.kind == kind);
        if found.is_some() || started.elapsed() > std::time::Duration::from_secs(20) {
            return found;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn two_machines_on_one_postgresql_store_meet_on_one_branch_and_edit_in_parallel_on_two() {
    let url = baton_testdb::server().fresh_database();
    two_machines_meet(StoreLocation::parse(&url).unwrap(), false);
}

#[test]
fn a_running_app_on_a_postgresql_store_answers_its_machine_first_and_files_the_items_after() {
    let url = baton_testdb::server().fresh_database();
    two_machines_meet(StoreLocation::parse(&url).unwrap(), true);
}

#[test]
fn a_running_app_on_a_sqlite_store_files_the_items_of_the_calls_it_answers() {
    let shared = tempfile::tempdir().unwrap();
    two_machines_meet(
        StoreLocation::Sqlite(shared.path().join("team.sqlite3")),
        true,
    );
}

/// The same, with the database 30 ms away (a proxy holding each byte 15 ms each way, and the
/// TCP handshake's round trip): every check holds as on loopback, the statements of a call in
/// their order across a real delay. The budget here is the tests' generous one (a debug
/// build on a loaded machine); the budget that follows the store is `hook_bench`'s and the
/// link's unit tests'. (At 100 ms a machine's first call, a cold refusal of some 25 round
/// trips, comes near the 3 s a first call waits before anything was measured: issue 58.)
#[test]
fn two_machines_with_the_store_30_ms_away_meet_as_on_loopback() {
    let server = baton_testdb::server();
    let url = server.fresh_database();
    let target = std::net::SocketAddr::from(([127, 0, 0, 1], server.port()));
    let proxy =
        baton_testdb::delay::DelayProxy::start(target, std::time::Duration::from_millis(30))
            .unwrap();
    let far = proxy.url_through(&url, server.port());
    assert_ne!(far, url);
    two_machines_meet(StoreLocation::parse(&far).unwrap(), false);
}

#[test]
fn two_data_folders_on_one_sqlite_file_meet_the_same_way() {
    let shared = tempfile::tempdir().unwrap();
    let file = shared.path().join("team.sqlite3");
    two_machines_meet(StoreLocation::Sqlite(file), false);
}

#[test]
fn a_postgresql_store_that_cannot_answer_lets_writes_through_unless_the_repository_refuses() {
    let tmp = tempfile::tempdir().unwrap();
    origin(tmp.path());
    let repo = tmp.path().join("origin");
    // A port nobody listens on (free a moment ago, and handed to no other test for a server),
    // and one that accepts and never answers.
    let closed = baton_testdb::free_port();
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    // Refused at once (a generous budget: the refusal, never the clock, decides), or nothing
    // answers before the budget.
    for (port, budget, why) in [
        (
            closed,
            "30000",
            "could not check this call with the store (store unreachable",
        ),
        (silent_port, "500", "the store did not answer within 500 ms"),
    ] {
        let data = tmp.path().join(format!("data-{port}"));
        std::fs::create_dir_all(&data).unwrap();
        let url = format!("postgres://baton@127.0.0.1:{port}/baton");
        StorePlace::choose(&data, Some(&StoreLocation::parse(&url).unwrap())).unwrap();
        let run = |payload: serde_json::Value| {
            let env = [
                ("BATON_HOOK_BUDGET_MS", budget),
                ("PGPASSWORD", "not-needed"),
            ];
            run_hook(&data, "claude-code", &env, &payload)
        };
        // Fail-open: the write goes ahead (exit 0, as allowed: never a failed hook), and the
        // hook says why.
        let _ = std::fs::remove_dir_all(repo.join(".baton"));
        let (code, stderr) = run(edit("aaaa1111", &repo, "PreToolUse"));
        assert_eq!(code, 0, "{stderr}");
        assert!(
            stderr.contains(why) && stderr.contains("goes ahead unchecked"),
            "{stderr}"
        );
        // Fail-closed where the repository says so.
        std::fs::create_dir_all(repo.join(".baton")).unwrap();
        std::fs::write(repo.join(".baton/hooks.toml"), "unchecked = \"refuse\"\n").unwrap();
        let (code, stderr) = run(edit("aaaa1111", &repo, "PreToolUse"));
        assert_eq!(code, 2, "{stderr}");
        assert!(
            stderr.contains("could not check it") && stderr.contains(why),
            "{stderr}"
        );
        // Anything but a write goes ahead either way.
        let (code, stderr) =
            run(json!({"session_id": "aaaa1111", "cwd": repo, "hook_event_name": "Stop"}));
        assert_eq!(code, 0, "{stderr}");
        assert!(stderr.contains("goes ahead unchecked"), "{stderr}");
    }
    drop(silent);
}
