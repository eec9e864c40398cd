//! A lease per file and branch: sessions on one branch of a repository meet each other on its
//! files (a write collision), sessions on two branches edit in parallel and each keeps its
//! branch's lease; a file outside any checkout, and a session with no branch, keep one lease.
//! The leases of a store from before (one per file) are kept, on their holder's branch.

use baton_core::detect::FindingKind;
use baton_core::escalations::EscalationAction;
use baton_core::hooks::{
    parse_hook_payload, HookAnswer, HookClient, ParallelMode, PermitConflict, PermitMode,
    PermitVerdict, DEFAULT_LEASE_SECONDS,
};
use chrono::Duration;

use super::parallel_edits::{on_branch, write_with};
use super::sessions::{open_escalations, open_items};
use super::support::{fresh_store, t};
use crate::sessions::{HookRecord, PermitSettings, SessionRef};
use crate::Store;

const APP: &str = "repo://root:0123456789abcdef0123456789abcdef01234567/src/app.rs";

fn settings(mode: PermitMode) -> PermitSettings {
    PermitSettings {
        mode,
        lease_time: Duration::seconds(DEFAULT_LEASE_SECONDS),
        ask_person: false,
        path_modes: Vec::new(),
        parallel: ParallelMode::Warn,
        unchecked: None,
    }
}

/// `session` writes `path` (inside its checkout when relative) in `mode`: PreToolUse, then
/// PostToolUse unless refused; the PreToolUse's record.
fn write(
    store: &mut Store,
    session: &SessionRef,
    path: &str,
    mode: PermitMode,
    at: i64,
) -> HookRecord {
    let path = match path.strip_prefix('/') {
        Some(_) => path.to_owned(),
        None => format!("{}/{path}", session.repo_root.as_deref().unwrap()),
    };
    write_with(store, session, &path, &settings(mode), at)
}

/// The open item of `kind` on `resource`.
fn open_item(store: &Store, kind: FindingKind, resource: &str) -> i64 {
    open_escalations(store)
        .into_iter()
        .find(|e| e.kind == kind && e.resource.as_deref() == Some(resource))
        .unwrap()
        .id
}

/// The live leases at `at`: (resource, branch, holder).
fn leases(store: &Store, at: i64) -> Vec<(String, Option<String>, String)> {
    store
        .leases(t(at), Duration::seconds(DEFAULT_LEASE_SECONDS))
        .unwrap()
        .into_iter()
        .map(|l| (l.resource, l.branch, l.holder))
        .collect()
}

/// A session on `branch` in a clone of its own, named `clone·<id>`.
fn in_clone(id: &str, branch: &str) -> SessionRef {
    let mut clone = on_branch(id, branch);
    clone.repo_root = Some(format!("/work/clones/{id}"));
    clone.cwd = clone.repo_root.clone();
    clone.name = Some(format!("clone·{id}"));
    clone
}

#[test]
fn another_branchs_write_leaves_mains_lease_and_a_second_main_session_meets_it() {
    let mut store = fresh_store();
    let enforce = PermitMode::Enforce;
    let a = on_branch("aaaa1111", "main");
    let b = on_branch("bbbb2222", "feature");
    let c = in_clone("cccc3333", "main");
    let holder = write(&mut store, &a, "src/app.rs", enforce, 0).agent_id;

    // Another branch: the parallel-edit path (warn: it goes on, the person is told); it takes
    // its branch's lease, and main's stays with A.
    let parallel = write(&mut store, &b, "src/app.rs", enforce, 5);
    assert_eq!(parallel.answer, HookAnswer::GoOn);
    assert_eq!(parallel.parallel.len(), 1);
    assert!(parallel.clashes.is_empty(), "{parallel:?}");
    let main = Some("main".to_owned());
    let feature = Some("feature".to_owned());
    assert_eq!(
        leases(&store, 6),
        vec![
            (APP.into(), main.clone(), "main·aaaa1111".into()),
            (APP.into(), feature.clone(), "feature·bbbb2222".into()),
        ]
    );

    // A second session on main: a write collision with A, refused in enforce (and, like A,
    // a parallel edit with B: the same item).
    let clash = write(&mut store, &c, "src/app.rs", enforce, 7);
    let HookAnswer::Deny(reason) = &clash.answer else {
        panic!("{clash:?}");
    };
    assert!(reason.contains("\"main·aaaa1111\""), "{reason}");
    assert_eq!(clash.parallel.len(), 1, "{clash:?}");
    assert_eq!(clash.parallel[0].other_branch, "feature");
    assert_eq!(clash.clashes.len(), 1);
    assert_eq!(clash.clashes[0].verdict, PermitVerdict::Deny);
    assert!(matches!(
        &clash.clashes[0].conflict,
        PermitConflict::Lease { holder, .. } if holder == "main·aaaa1111"
    ));
    let mut kinds: Vec<FindingKind> = open_items(&store).into_iter().map(|i| i.0).collect();
    kinds.sort_by_key(|k| k.as_str());
    assert_eq!(
        kinds,
        [FindingKind::ParallelEdit, FindingKind::WriteCollision]
    );
    // C waits for A, and for nobody on the other branch.
    let waits = store.lease_waits().unwrap();
    assert_eq!(waits.len(), 1, "{waits:?}");
    assert_eq!((waits[0].waiter, waits[0].holder), (clash.agent_id, holder));

    // A session on the feature branch meets B, not A.
    let d = in_clone("dddd4444", "feature");
    let other = write(&mut store, &d, "src/app.rs", enforce, 8);
    let HookAnswer::Deny(reason) = &other.answer else {
        panic!("{other:?}");
    };
    assert!(reason.contains("\"feature·bbbb2222\""), "{reason}");

    // When A's turn ends its lease goes; B keeps its branch's.
    let stop = serde_json::json!({"hook_event_name": "Stop"});
    let call =
        parse_hook_payload(HookClient::ClaudeCode, stop.to_string().as_bytes(), None).unwrap();
    store
        .record_hook(&a, &call, settings(enforce), t(9))
        .unwrap();
    assert_eq!(
        leases(&store, 9),
        vec![(APP.into(), feature, "feature·bbbb2222".into())]
    );
    let after = write(&mut store, &c, "src/app.rs", enforce, 10);
    assert_eq!(after.answer, HookAnswer::GoOn, "{after:?}");
}

/// A on main and B on feature wrote `src/app.rs`; C, on main in a clone, was refused it.
/// The three sessions and the write collision's item.
fn refused_on_main(store: &mut Store) -> ([SessionRef; 3], i64, i64) {
    let enforce = PermitMode::Enforce;
    let sessions = [
        on_branch("aaaa1111", "main"),
        on_branch("bbbb2222", "feature"),
        in_clone("cccc3333", "main"),
    ];
    write(store, &sessions[0], "src/app.rs", enforce, 0);
    write(store, &sessions[1], "src/app.rs", enforce, 1);
    let refused = write(store, &sessions[2], "src/app.rs", enforce, 2);
    assert!(matches!(refused.answer, HookAnswer::Deny(_)));
    let item = open_item(store, FindingKind::WriteCollision, APP);
    (sessions, refused.agent_id, item)
}

#[test]
fn granting_a_branchs_file_moves_that_branchs_lease_only() {
    let mut store = fresh_store();
    let enforce = PermitMode::Enforce;
    let ([a, _, c], refused, item) = refused_on_main(&mut store);
    store
        .decide_escalation(
            item,
            &EscalationAction::GrantLease { agent_id: refused },
            None,
            "ana",
            t(6),
        )
        .unwrap();
    let holders: Vec<(Option<String>, String)> = leases(&store, 6)
        .into_iter()
        .map(|(_, branch, holder)| (branch, holder))
        .collect();
    assert_eq!(
        holders,
        vec![
            (Some("feature".into()), "feature·bbbb2222".into()),
            (Some("main".into()), "clone·cccc3333".into()),
        ]
    );
    assert_eq!(
        write(&mut store, &c, "src/app.rs", enforce, 7).answer,
        HookAnswer::GoOn
    );
    assert!(matches!(
        write(&mut store, &a, "src/app.rs", enforce, 8).answer,
        HookAnswer::Deny(_)
    ));
}

#[test]
fn allowing_both_once_lets_the_session_with_no_lease_of_the_file_through_once() {
    let mut store = fresh_store();
    let enforce = PermitMode::Enforce;
    let ([_, _, c], _, item) = refused_on_main(&mut store);
    // A holds main's lease and B feature's: C alone is let through once.
    let allowed = store
        .decide_escalation(item, &EscalationAction::AllowBothOnce, None, "ana", t(3))
        .unwrap();
    assert_eq!(allowed.decision.action, "allow_both_once");
    assert!(
        format!("{:?}", allowed.decision.detail).contains("clone·cccc3333"),
        "{:?}",
        allowed.decision.detail
    );
    let once = write(&mut store, &c, "src/app.rs", enforce, 4);
    assert_eq!(once.answer, HookAnswer::GoOn, "{once:?}");
    let again = write(&mut store, &c, "src/app.rs", enforce, 5);
    assert!(matches!(again.answer, HookAnswer::Deny(_)), "{again:?}");
    let holders: Vec<String> = leases(&store, 5).into_iter().map(|l| l.2).collect();
    assert_eq!(holders, ["main·aaaa1111", "feature·bbbb2222"]);
}

#[test]
fn a_file_outside_the_checkouts_and_a_session_with_no_branch_keep_one_lease() {
    let mut store = fresh_store();
    let enforce = PermitMode::Enforce;
    let main = on_branch("aaaa1111", "main");
    let feature = on_branch("bbbb2222", "feature");
    // One place on disk, whatever branch each writer is on.
    write(&mut store, &main, "/tmp/notes.md", enforce, 0);
    let shared = write(&mut store, &feature, "/tmp/notes.md", enforce, 1);
    assert!(matches!(shared.answer, HookAnswer::Deny(_)), "{shared:?}");
    assert_eq!(
        leases(&store, 1),
        vec![("file:///tmp/notes.md".into(), None, "main·aaaa1111".into())]
    );

    // A session of the repository whose branch is unknown meets every branch's holder...
    write(&mut store, &feature, "src/app.rs", enforce, 2);
    let mut unknown = in_clone("cccc3333", "main");
    unknown.branch = None;
    let met = write(&mut store, &unknown, "src/app.rs", enforce, 3);
    assert!(matches!(met.answer, HookAnswer::Deny(_)), "{met:?}");
    // ...and, granted the file, holds it over every branch.
    let item = open_item(&store, FindingKind::WriteCollision, APP);
    store
        .decide_escalation(
            item,
            &EscalationAction::GrantLease {
                agent_id: met.agent_id,
            },
            None,
            "ana",
            t(4),
        )
        .unwrap();
    let on_app: Vec<(Option<String>, String)> = leases(&store, 4)
        .into_iter()
        .filter(|l| l.0 == APP)
        .map(|l| (l.1, l.2))
        .collect();
    assert_eq!(on_app, vec![(None, "clone·cccc3333".into())]);
    let retry = write(&mut store, &unknown, "src/app.rs", enforce, 5);
    assert_eq!(retry.answer, HookAnswer::GoOn, "{retry:?}");
    let main_meets = write(&mut store, &main, "src/app.rs", enforce, 6);
    assert!(matches!(main_meets.answer, HookAnswer::Deny(_)));
}

/// Two sessions (one on `main`, one whose branch is unknown) and the one lease per file a
/// store of version 16 kept: a repository's file each, and a file outside the checkouts.
const BEFORE_17: &str = "
    INSERT INTO agents (id, name, name_key, base_url, poll_interval_ms, timeout_ms, adapter,
                        created_at)
    VALUES (1, 'shop·aaaa1111', 'shop·aaaa1111', 'session://claude-code/aaaa1111', 1000, 500,
            'session', '2026-05-01T12:00:00.000000000Z'),
           (2, 'shop·bbbb2222', 'shop·bbbb2222', 'session://claude-code/bbbb2222', 1000, 500,
            'session', '2026-05-01T12:00:00.000000000Z');
    INSERT INTO sessions (agent_id, client, session_id, branch, repository, started_at,
                          last_seen_at)
    VALUES (1, 'claude-code', 'aaaa1111', 'main', 'github.com/acme/shop', 'x', 'x'),
           (2, 'claude-code', 'bbbb2222', NULL, 'github.com/acme/shop', 'x', 'x');
    INSERT INTO leases (resource, holder, since, last_write_at)
    VALUES ('repo://github.com/acme/shop/src/app.rs', 1, '2026-05-01T12:00:01.000000000Z',
            '2026-05-01T12:00:02.000000000Z'),
           ('repo://github.com/acme/shop/src/lib.rs', 2, '2026-05-01T12:00:03.000000000Z',
            '2026-05-01T12:00:03.000000000Z'),
           ('file:///tmp/notes.md', 1, '2026-05-01T12:00:04.000000000Z',
            '2026-05-01T12:00:04.000000000Z');";

#[test]
fn the_leases_of_a_store_from_before_keep_their_holders_on_their_branches() {
    let dir = tempfile::tempdir().unwrap();
    let store = super::support::store_from_version(dir.path(), 16, BEFORE_17, "");
    assert_eq!(store.schema_version().unwrap(), crate::LATEST_VERSION);
    let kept = leases(&store, 5);
    assert_eq!(
        kept,
        vec![
            (
                "repo://github.com/acme/shop/src/app.rs".into(),
                Some("main".into()),
                "shop·aaaa1111".into()
            ),
            (
                "repo://github.com/acme/shop/src/lib.rs".into(),
                None,
                "shop·bbbb2222".into()
            ),
            ("file:///tmp/notes.md".into(), None, "shop·aaaa1111".into()),
        ]
    );
    // One lease per file and branch now.
    let db = store.db();
    let again = db.execute(
        "INSERT INTO leases (resource, branch, holder, since, last_write_at)
         VALUES ('repo://github.com/acme/shop/src/app.rs', 'main', 2, 'x', 'x')",
        crate::db::params![],
    );
    assert!(again.is_err());
    db.execute(
        "INSERT INTO leases (resource, branch, holder, since, last_write_at)
         VALUES ('repo://github.com/acme/shop/src/app.rs', 'feature', 2, 'x', 'x')",
        crate::db::params![],
    )
    .unwrap();
}
