//! Which machine each decision and each coding session came from (schema 20): recorded with
//! every log entry and every hook call, named where two machines meet (a write collision, a
//! second decider), and a store from before keeps its entries, their hashes and its chain.

use baton_core::detect::FindingKind;
use baton_core::escalations::EscalationAction;
use baton_core::hooks::{HookAnswer, PermitMode};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::parallel_edits::{on_branch, write_with};
use super::sessions::open_escalations;
use super::support::{fresh_store, t};
use crate::decisions::GENESIS_HASH;
use crate::sessions::{PermitSettings, SessionRef};
use crate::{ChainCheck, DecisionFilter, NewDecision, Store, StoreError};

pub(super) fn enforce() -> PermitSettings {
    PermitSettings::in_mode(PermitMode::Enforce)
}

/// A session on `main` in a clone of the repository on machine `host`.
fn on_machine(id: &str, host: &str) -> SessionRef {
    let mut session = on_branch(id, "main");
    session.repo_root = Some(format!("/home/{host}/shop"));
    session.cwd = session.repo_root.clone();
    session.host = Some(host.to_owned());
    session
}

fn write(store: &mut Store, session: &SessionRef, at: i64) -> crate::sessions::HookRecord {
    let path = format!("{}/src/app.rs", session.repo_root.as_deref().unwrap());
    write_with(store, session, &path, &enforce(), at)
}

fn session_host(store: &Store, agent_id: i64) -> Option<String> {
    store
        .agent_row(agent_id)
        .unwrap()
        .session
        .expect("a session")
        .host
}

#[test]
fn a_collision_between_two_machines_names_both_and_the_refusal_says_where_the_holder_is() {
    let mut store = fresh_store();
    let a = on_machine("aaaa1111", "laptop-a");
    let b = on_machine("bbbb2222", "devbox-b");
    let first = write(&mut store, &a, 0);
    assert_eq!(first.answer, HookAnswer::GoOn);
    let second = write(&mut store, &b, 1);
    let HookAnswer::Deny(reason) = &second.answer else {
        panic!("the second machine's write is refused in enforce: {second:?}");
    };
    assert!(
        reason.contains("\"shop·aaaa1111\" on the machine laptop-a is working on"),
        "{reason}"
    );
    let item = open_escalations(&store)
        .into_iter()
        .find(|e| e.kind == FindingKind::WriteCollision)
        .expect("a write collision in the queue");
    assert!(
        item.title
            .contains("shop·bbbb2222 on devbox-b tried to write")
            && item
                .title
                .contains("while shop·aaaa1111 on laptop-a holds it"),
        "{}",
        item.title
    );
    // The sessions say their machine.
    assert_eq!(
        session_host(&store, first.agent_id).as_deref(),
        Some("laptop-a")
    );
    assert_eq!(
        session_host(&store, second.agent_id).as_deref(),
        Some("devbox-b")
    );
}

#[test]
fn on_one_machine_the_collision_names_no_machine() {
    let mut store = fresh_store();
    let a = on_machine("aaaa1111", "laptop-a");
    let mut b = on_machine("bbbb2222", "laptop-a");
    b.repo_root = a.repo_root.clone();
    b.cwd = a.cwd.clone();
    write(&mut store, &a, 0);
    let second = write(&mut store, &b, 1);
    let HookAnswer::Deny(reason) = &second.answer else {
        panic!("refused: {second:?}");
    };
    assert!(!reason.contains("machine"), "{reason}");
    let item = open_escalations(&store)
        .into_iter()
        .find(|e| e.kind == FindingKind::WriteCollision)
        .unwrap();
    assert!(!item.title.contains(" on laptop-a"), "{}", item.title);
}

#[test]
fn a_second_decider_is_told_who_decided_from_which_machine() {
    let mut store = fresh_store();
    let a = on_machine("aaaa1111", "laptop-a");
    let b = on_machine("bbbb2222", "devbox-b");
    write(&mut store, &a, 0);
    let refused = write(&mut store, &b, 1);
    let item = open_escalations(&store)[0].id;
    let grant = EscalationAction::GrantLease {
        agent_id: refused.agent_id,
    };
    let decided = store
        .decide_escalation(item, &grant, None, "ana", t(2))
        .unwrap();
    assert_eq!(
        decided.decision.host.as_deref(),
        Some(crate::host::this_machine().as_str())
    );
    let again = store
        .decide_escalation(item, &grant, None, "bo", t(3))
        .unwrap_err();
    assert!(matches!(again, StoreError::EscalationClosed { .. }));
    let said = again.to_string();
    assert!(
        said.contains(&format!(
            "by ana on {} at 12:00 UTC",
            crate::host::this_machine()
        )),
        "{said}"
    );
    // The queue's item says the machine too.
    let closed = store.escalation(item).unwrap();
    assert_eq!(
        closed.decision.unwrap().host,
        Some(crate::host::this_machine())
    );
}

/// Two log entries as a store of version 19 wrote them (no machine), hashed by the formula of
/// the time; an agent and its session.
fn before_20() -> String {
    let hash = |prev: &str, seq: i64, who: &str| {
        let canonical = format!(
            "{{\"action\":\"approve\",\"at\":\"2026-05-01T12:00:0{seq}.000000000Z\",\"detail\":null,\
             \"escalation_id\":null,\"reason\":null,\"seq\":{seq},\"subject\":\"escalation:{seq}\",\
             \"who\":\"{who}\"}}"
        );
        hex::encode(Sha256::digest(format!("{prev}{canonical}").as_bytes()))
    };
    let first = hash(GENESIS_HASH, 1, "ann");
    let second = hash(&first, 2, "bob");
    format!(
        "INSERT INTO decisions (seq, at, who, action, subject, prev_hash, hash)
         VALUES (1, '2026-05-01T12:00:01.000000000Z', 'ann', 'approve', 'escalation:1',
                 '{GENESIS_HASH}', '{first}'),
                (2, '2026-05-01T12:00:02.000000000Z', 'bob', 'approve', 'escalation:2',
                 '{first}', '{second}');
         INSERT INTO agents (id, name, name_key, base_url, poll_interval_ms, timeout_ms, adapter,
                             created_at)
         VALUES (1, 'shop·aaaa1111', 'shop·aaaa1111', 'session://claude-code/aaaa1111', 1000, 500,
                 'session', '2026-05-01T12:00:00.000000000Z');
         INSERT INTO sessions (agent_id, client, session_id, branch, started_at, last_seen_at)
         VALUES (1, 'claude-code', 'aaaa1111', 'main', '2026-05-01T12:00:00.000000000Z',
                 '2026-05-01T12:00:00.000000000Z');"
    )
}

#[test]
fn a_store_from_before_keeps_its_entries_their_hashes_and_its_chain() {
    let dir = tempfile::tempdir().unwrap();
    let data = before_20();
    let mut store = super::support::store_from_version(
        dir.path(),
        19,
        &data,
        "UPDATE decisions_head SET seq = 2;",
    );
    assert_eq!(store.schema_version().unwrap(), crate::LATEST_VERSION);
    assert_eq!(
        store.verify_decisions().unwrap(),
        ChainCheck::Ok { entries: 2 }
    );
    let old = store.decisions(&DecisionFilter::default()).unwrap();
    assert_eq!(
        old.iter().map(|e| e.host.clone()).collect::<Vec<_>>(),
        vec![None, None]
    );
    // A new entry carries its machine and extends the same chain.
    let new = store
        .append_decision(NewDecision::new("cy", "rule.add", "rule:1").host("laptop-a"))
        .unwrap();
    assert_eq!(new.prev_hash, old[1].hash);
    assert_eq!(
        store.verify_decisions().unwrap(),
        ChainCheck::Ok { entries: 3 }
    );
    // The export names a machine only where there is one.
    let mut out = Vec::new();
    store.export_decisions_jsonl(&mut out).unwrap();
    let lines: Vec<Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert!(lines[0].get("host").is_none());
    assert_eq!(lines[2]["host"], "laptop-a");
    // The session from before has no machine until its next call says one.
    assert_eq!(session_host(&store, 1), None);
    let mut session = on_machine("aaaa1111", "laptop-a");
    session.name = None;
    write(&mut store, &session, 5);
    assert_eq!(session_host(&store, 1).as_deref(), Some("laptop-a"));
    // Still append-only.
    assert!(store
        .db()
        .execute(
            "UPDATE decisions SET host = 'x' WHERE seq = 3",
            crate::db::params![]
        )
        .is_err());
}
