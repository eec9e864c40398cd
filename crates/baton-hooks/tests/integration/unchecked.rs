//! A store away for the whole of a session's writes: each write goes ahead (exit 0, as
//! allowed), each is kept in the machine's spool, and once the store answers the next checked
//! call starts a delivery: every unchecked write is stored once, and the collision it hid (the
//! other machine's session held the file) is one item naming both machines. On PostgreSQL the
//! store is away behind a TCP gate the test shuts; on SQLite another process holds its write
//! lock past the budget.

use std::time::{Duration, Instant};

use baton_core::detect::FindingKind;
use baton_hooks::spool::spool_waits;
use baton_store::escalations::EscalationFilter;
use baton_store::{Store, StoreLocation};
use serde_json::json;

use crate::machines::{origin, Machine};
use crate::support::edit_app as edit;
use crate::support::gate::Gate;
use crate::support::{run_baton_hook, run_hook};

/// How the test takes the store away from the dev box, and gives it back.
enum Outage {
    /// The dev box reaches PostgreSQL through this gate.
    Gate(Gate),
    /// Another process holds the SQLite file's write lock.
    Lock(Option<rusqlite::Connection>, std::path::PathBuf),
}

impl Outage {
    fn begin(&mut self) {
        match self {
            Outage::Gate(gate) => gate.set_open(false),
            Outage::Lock(holder, file) => {
                let conn = rusqlite::Connection::open(file).unwrap();
                conn.execute_batch("BEGIN IMMEDIATE").unwrap();
                *holder = Some(conn);
            }
        }
    }

    fn end(&mut self) {
        match self {
            Outage::Gate(gate) => gate.set_open(true),
            Outage::Lock(holder, _) => {
                if let Some(conn) = holder.take() {
                    conn.execute_batch("ROLLBACK").unwrap();
                }
            }
        }
    }
}

/// Laptop A holds src/app.rs on main; the dev box's session writes it (and src/lib.rs) while
/// the store is away, then the store comes back. `direct`: the store as the laptop and the
/// test reach it; `devbox_store`: as the dev box does.
fn writes_while_the_store_is_away(
    direct: StoreLocation,
    devbox_store: StoreLocation,
    mut outage: Outage,
) {
    let tmp = tempfile::tempdir().unwrap();
    origin(tmp.path());
    let laptop = Machine::new(tmp.path(), "laptop-a", &direct);
    let devbox = Machine::new(tmp.path(), "devbox-b", &devbox_store);
    for event in ["PreToolUse", "PostToolUse"] {
        let (code, stderr) = laptop.hook(edit("aaaa1111", &laptop.clone, event));
        assert_eq!(code, 0, "laptop {event}: {stderr}");
    }

    outage.begin();
    let lib = |event: &str| {
        let file = devbox.clone.join("src/lib.rs");
        json!({"session_id": "bbbb2222", "cwd": devbox.clone, "hook_event_name": event,
               "tool_name": "Write", "tool_input": {"file_path": file, "content": "x"}})
    };
    for payload in [
        edit("bbbb2222", &devbox.clone, "PreToolUse"),
        edit("bbbb2222", &devbox.clone, "PostToolUse"),
        lib("PreToolUse"),
        lib("PostToolUse"),
    ] {
        // A short budget: the SQLite lock is held past it (PostgreSQL's gate refuses at once).
        let env = [("BATON_HOST", devbox.name), ("BATON_HOOK_BUDGET_MS", "500")];
        let (code, stderr) = run_hook(&devbox.data, "claude-code", &env, &payload);
        assert_eq!(code, 0, "the write goes ahead, as allowed: {stderr}");
        assert!(stderr.contains("goes ahead unchecked, kept in"), "{stderr}");
    }
    // Kept: in the spool, or in the file of the delivery the first of them started (it waits
    // for the store).
    let anchor = devbox.data.join("baton.sqlite3");
    let kept: String = std::fs::read_dir(&devbox.data)
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("unchecked-calls.")
        })
        .filter(|e| e.file_name().to_string_lossy().ends_with(".jsonl"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
        .collect();
    assert_eq!(kept.lines().count(), 4, "{kept}");
    outage.end();

    // The store answers: the dev box's next call is checked, and starts the delivery.
    let read = json!({"session_id": "bbbb2222", "cwd": devbox.clone, "hook_event_name": "PostToolUse",
                      "tool_name": "Read", "tool_input": {"file_path": devbox.clone.join("README")}});
    let (code, stderr) = devbox.hook(read);
    assert_eq!(code, 0, "{stderr}");
    let deadline = Instant::now() + Duration::from_secs(20);
    let delivering = || {
        std::fs::read_dir(&devbox.data)
            .unwrap()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().contains("delivering"))
    };
    while spool_waits(&anchor) || delivering() {
        if Instant::now() > deadline {
            let (_, said) = deliver(&devbox.data);
            panic!("the spool was not delivered; by hand: {said}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }

    let store = Store::open_at(&direct).unwrap();
    let items: Vec<_> = store
        .escalations(EscalationFilter {
            open: true,
            closed: 0,
        })
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == FindingKind::WriteCollision)
        .collect();
    assert_eq!(items.len(), 1, "{items:?}");
    let title = &items[0].title;
    for said in [
        "shop·bbbb2222 on devbox-b wrote",
        "src/app.rs unchecked at",
        "while shop·aaaa1111 on laptop-a held it",
    ] {
        assert!(title.contains(said), "{said:?} in {title}");
    }
    let links = store.machine_links(chrono::Utc::now()).unwrap();
    let devbox_link = links.iter().find(|l| l.host == "devbox-b").unwrap();
    assert_eq!(devbox_link.unchecked_today, 4, "{links:?}");

    // Delivered again (a delivery that died before removing its file): nothing twice. Once
    // the delivery the hook started has let its turn go (it looks at the spool once more
    // before it does, and would deliver this copy itself).
    let deadline = Instant::now() + Duration::from_secs(20);
    while baton_hooks::spool::DeliveryTurn::take(&anchor)
        .unwrap()
        .is_none()
    {
        assert!(Instant::now() < deadline, "the hook's delivery never ended");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::fs::write(baton_hooks::spool::spool_path(&anchor), &kept).unwrap();
    let (delivered, said) = deliver(&devbox.data);
    assert!(delivered, "{said}");
    assert!(
        said.contains("0 unchecked call(s) recorded, 4 recorded before")
            || said.contains("recorded before"),
        "{said}"
    );
    let store = Store::open_at(&direct).unwrap();
    assert_eq!(
        store
            .machine_links(chrono::Utc::now())
            .unwrap()
            .iter()
            .find(|l| l.host == "devbox-b")
            .unwrap()
            .unchecked_today,
        4
    );
}

#[test]
fn a_postgresql_store_away_for_a_sessions_writes_gets_each_once_and_the_hidden_collision() {
    let url = baton_testdb::server().fresh_database();
    let port = baton_testdb::server().port();
    let gate = Gate::before(port);
    let through = url.replacen(&format!(":{port}/"), &format!(":{}/", gate.port()), 1);
    assert_ne!(through, url);
    writes_while_the_store_is_away(
        StoreLocation::parse(&url).unwrap(),
        StoreLocation::parse(&through).unwrap(),
        Outage::Gate(gate),
    );
}

#[test]
fn a_sqlite_store_locked_for_a_sessions_writes_gets_each_once_and_the_hidden_collision() {
    let shared = tempfile::tempdir().unwrap();
    let file = shared.path().join("team.sqlite3");
    writes_while_the_store_is_away(
        StoreLocation::Sqlite(file.clone()),
        StoreLocation::Sqlite(file.clone()),
        Outage::Lock(None, file),
    );
}

/// `baton-hook --deliver-spool` for the data folder `data`: (whether it exited 0, its stderr).
fn deliver(data: &std::path::Path) -> (bool, String) {
    run_baton_hook(data, &["--deliver-spool"])
}

/// A call slow because of what opening the store does the first time (here the whole schema,
/// a database nobody set up, 30 ms away): the process' exit would roll that back at every
/// call, each past its budget, and nothing would ever be checked. The call goes ahead, kept,
/// and starts the delivery, which opens the store with no budget (its schema brought up to
/// date) and records the call.
#[test]
fn a_call_past_its_budget_starts_the_delivery_that_finishes_opening_the_store() {
    let server = baton_testdb::server();
    let url = server.fresh_database();
    let target = std::net::SocketAddr::from(([127, 0, 0, 1], server.port()));
    let proxy = baton_testdb::delay::DelayProxy::start(target, Duration::from_millis(30)).unwrap();
    let far = StoreLocation::parse(&proxy.url_through(&url, server.port())).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    origin(tmp.path());
    let devbox = Machine::new(tmp.path(), "devbox-b", &far);
    let anchor = devbox.data.join("baton.sqlite3");

    let env = [("BATON_HOST", "devbox-b"), ("BATON_HOOK_BUDGET_MS", "300")];
    let (code, stderr) = run_hook(
        &devbox.data,
        "claude-code",
        &env,
        &edit("bbbb2222", &devbox.clone, "PreToolUse"),
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("did not answer within 300 ms") && stderr.contains("goes ahead unchecked"),
        "{stderr}"
    );
    // The delivery it started: the spool empties, and the call is in the store (read with
    // psql, which brings no schema up to date).
    let started = Instant::now();
    loop {
        let names = baton_testdb::sql_at(&url, "SELECT name FROM agents").unwrap_or_default();
        if !spool_waits(&anchor) && names.contains("shop·bbbb2222") {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the spool was not delivered: {:?}, agents: {names:?}",
            std::fs::read_to_string(baton_hooks::spool::spool_path(&anchor))
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
