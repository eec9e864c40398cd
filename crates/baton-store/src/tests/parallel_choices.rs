//! What a person decides on a parallel edit holds at the next writes: a session told to stop
//! touching the files (and its branch) is refused them in every mode, the person's note as the
//! reason; files handed to one branch are refused to the others in `enforce`, and letting them
//! all go on opens no item again for those files; files the decision did not cover still open
//! one. With three branches, each decision is the branch's and holds for each pair it is in.

use baton_core::detect::FindingKind;
use baton_core::escalations::{EscalationAction, EscalationState};
use baton_core::hooks::{HookAnswer, ParallelMode};

use super::parallel_branches::three_branches;
use super::parallel_edits::{on_branch, write};
use super::sessions::open_items;
use super::support::{fresh_store, t};
use crate::escalations::EscalationFilter;
use crate::{Store, StoreError};

const WARN: ParallelMode = ParallelMode::Warn;
const ENFORCE: ParallelMode = ParallelMode::Enforce;

/// Two branches both changed src/app.rs and src/lib.rs: their item's id, and each session's
/// agent id (feature-a, feature-b).
fn two_branches(store: &mut Store) -> (i64, i64, i64) {
    let a = on_branch("aaaa1111", "feature-a");
    let b = on_branch("bbbb2222", "feature-b");
    let a_id = write(store, &a, "src/app.rs", WARN, 0).agent_id;
    write(store, &a, "src/lib.rs", WARN, 1);
    let b_id = write(store, &b, "src/app.rs", WARN, 10).agent_id;
    write(store, &b, "src/lib.rs", WARN, 11);
    let items = store
        .escalations(EscalationFilter {
            open: true,
            closed: 0,
        })
        .unwrap();
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0].kind, FindingKind::ParallelEdit);
    (items[0].id, a_id, b_id)
}

fn denial(answer: &HookAnswer) -> &str {
    match answer {
        HookAnswer::Deny(reason) => reason,
        other => panic!("not refused: {other:?}"),
    }
}

#[test]
fn a_session_told_to_stop_touching_and_its_branch_are_refused_the_files_in_every_mode() {
    let mut store = fresh_store();
    let (item, _, b_id) = two_branches(&mut store);
    let decided = store
        .decide_escalation(
            item,
            &EscalationAction::StopTouching { agent_id: b_id },
            Some("feature-a rewrites the parser"),
            "ana",
            t(20),
        )
        .unwrap();
    assert_eq!(decided.escalation.state, EscalationState::Resolved);
    assert_eq!(decided.decision.action, "stop_touching");
    assert!(
        decided.outbox.is_empty(),
        "nothing is sent: the hook reads it"
    );
    let detail = decided.decision.detail.unwrap().to_string();
    assert!(
        detail.contains(
            "the branch feature-b (feature-b·bbbb2222) stops changing src/app.rs, src/lib.rs, \
             left to feature-a"
        ),
        "{detail}"
    );

    let b = on_branch("bbbb2222", "feature-b");
    for (file, mode, at) in [
        ("src/app.rs", WARN, 30),
        ("src/lib.rs", ParallelMode::Off, 31),
    ] {
        let record = write(&mut store, &b, file, mode, at);
        let reason = denial(&record.answer);
        assert!(
            reason.contains("ana decided")
                && reason.contains(&format!("\"feature-b\" stops changing {file}"))
                && reason.contains("to the branch \"feature-a\"")
                && reason.contains("(feature-a rewrites the parser)"),
            "{reason}"
        );
    }
    // Another session of the branch (the agent started again in its worktree) is told too.
    let again = on_branch("eeee5555", "feature-b");
    let record = write(&mut store, &again, "src/app.rs", WARN, 32);
    assert!(denial(&record.answer).contains("stops changing src/app.rs"));
    // A file the item did not name is free, and the branch that kept the files writes on.
    let other = write(&mut store, &b, "src/other.rs", WARN, 33);
    assert_eq!(other.answer, HookAnswer::GoOn);
    let a = on_branch("aaaa1111", "feature-a");
    assert_eq!(
        write(&mut store, &a, "src/app.rs", ENFORCE, 34).answer,
        HookAnswer::GoOn
    );
    assert!(open_items(&store).is_empty(), "{:?}", open_items(&store));
}

#[test]
fn files_handed_to_one_branch_are_refused_to_the_other_in_enforce_and_told_again_in_warn() {
    let mut store = fresh_store();
    let (item, a_id, _) = two_branches(&mut store);
    store
        .decide_escalation(
            item,
            &EscalationAction::HandToBranch { agent_id: a_id },
            None,
            "ana",
            t(20),
        )
        .unwrap();
    let b = on_branch("bbbb2222", "feature-b");
    let refused = write(&mut store, &b, "src/app.rs", ENFORCE, 30);
    let reason = denial(&refused.answer);
    assert!(
        reason.contains("ana handed src/app.rs to the branch \"feature-a\""),
        "{reason}"
    );
    assert!(
        open_items(&store).is_empty(),
        "the refusal keeps the decision"
    );
    // In `warn` the write goes ahead, and the person hears of it again.
    let told = write(&mut store, &b, "src/lib.rs", WARN, 31);
    assert_eq!(told.answer, HookAnswer::GoOn);
    assert_eq!(told.parallel.len(), 1);
    // The holder's branch writes on in `enforce`.
    let a = on_branch("aaaa1111", "feature-a");
    assert_eq!(
        write(&mut store, &a, "src/app.rs", ENFORCE, 32).answer,
        HookAnswer::GoOn
    );
}

#[test]
fn both_going_on_opens_no_item_again_for_those_files_only() {
    let mut store = fresh_store();
    let (item, _, _) = two_branches(&mut store);
    let decided = store
        .decide_escalation(item, &EscalationAction::LetBothGoOn, None, "ana", t(20))
        .unwrap();
    assert_eq!(decided.decision.action, "let_both_go_on");
    let a = on_branch("aaaa1111", "feature-a");
    let b = on_branch("bbbb2222", "feature-b");
    for (session, at) in [(&a, 30), (&b, 31)] {
        let record = write(&mut store, session, "src/app.rs", ENFORCE, at);
        assert_eq!(record.answer, HookAnswer::GoOn);
        assert!(record.parallel.is_empty());
    }
    assert!(open_items(&store).is_empty());
    // A file both change that the decision did not cover is a new item.
    write(&mut store, &a, "src/new.rs", WARN, 40);
    write(&mut store, &b, "src/new.rs", WARN, 41);
    let items = open_items(&store);
    assert_eq!(items.len(), 1, "{items:?}");
    assert!(items[0].1.contains("both change src/new.rs"), "{items:?}");
}

#[test]
fn parallel_edit_choices_are_refused_elsewhere_and_lease_choices_on_a_parallel_edit() {
    let mut store = fresh_store();
    let (item, a_id, _) = two_branches(&mut store);
    // A lease is one checkout's: a parallel edit has none to give.
    let grant = store.decide_escalation(
        item,
        &EscalationAction::GrantLease { agent_id: a_id },
        None,
        "ana",
        t(20),
    );
    assert!(
        matches!(&grant, Err(StoreError::InvalidDecision(m)) if m.contains("no lease is shared")),
        "{grant:?}"
    );
    // A session on neither branch.
    let c = on_branch("cccc3333", "feature-c");
    let c_id = write(&mut store, &c, "src/c.rs", WARN, 21).agent_id;
    let stranger = store.decide_escalation(
        item,
        &EscalationAction::StopTouching { agent_id: c_id },
        None,
        "ana",
        t(22),
    );
    assert!(
        matches!(&stranger, Err(StoreError::InvalidDecision(m)) if m.contains("is on no branch of this parallel edit (feature-a, feature-b)")),
        "{stranger:?}"
    );
    assert_eq!(open_items(&store).len(), 1, "nothing was decided");
    // A choice of a parallel edit on an item of another kind: a second session on feature-a
    // (another clone) writing the file feature-a's session holds is a write collision.
    store
        .decide_escalation(item, &EscalationAction::LetBothGoOn, None, "ana", t(23))
        .unwrap();
    let a = on_branch("aaaa1111", "feature-a");
    write(&mut store, &a, "src/a-only.rs", WARN, 23);
    let mut clone = on_branch("dddd4444", "feature-a");
    clone.repo_root = Some("/work/clone".into());
    clone.cwd = clone.repo_root.clone();
    let clash = write(&mut store, &clone, "src/a-only.rs", WARN, 24);
    assert_eq!(clash.clashes.len(), 1);
    let collision = store
        .escalations(EscalationFilter {
            open: true,
            closed: 0,
        })
        .unwrap()
        .into_iter()
        .find(|e| e.kind == FindingKind::WriteCollision)
        .expect("the clash is an item");
    let refused = store.decide_escalation(
        collision.id,
        &EscalationAction::LetBothGoOn,
        None,
        "ana",
        t(26),
    );
    assert!(
        matches!(&refused, Err(StoreError::InvalidDecision(m)) if m.contains("answers a parallel edit")),
        "{refused:?}"
    );
}

/// The session of `branch` on the item (its agent id).
fn session_of(store: &Store, item: i64, branch: &str) -> i64 {
    let agents = store.escalation(item).unwrap().agents;
    *agents
        .iter()
        .find(|id| {
            store
                .agents()
                .unwrap()
                .iter()
                .any(|a| a.id == **id && a.name.starts_with(&format!("{branch}·")))
        })
        .unwrap()
}

#[test]
fn a_branch_stopped_of_three_leaves_the_files_to_both_others_which_still_overlap() {
    let mut store = fresh_store();
    let item = three_branches(&mut store);
    let c_id = session_of(&store, item, "feature-c");
    let decided = store
        .decide_escalation(
            item,
            &EscalationAction::StopTouching { agent_id: c_id },
            Some("a and b own the app"),
            "ana",
            t(30),
        )
        .unwrap();
    assert_eq!(decided.escalation.state, EscalationState::Resolved);
    let detail = decided.decision.detail.unwrap().to_string();
    assert!(
        detail.contains(
            "the branch feature-c (feature-c·cccc3333) stops changing src/app.rs, left to \
             feature-a and feature-b"
        ),
        "{detail}"
    );
    let c = on_branch("cccc3333", "feature-c");
    let reason = denial(&write(&mut store, &c, "src/app.rs", WARN, 40).answer).to_owned();
    assert!(
        reason.contains(
            "\"feature-c\" stops changing src/app.rs and leaves it to the branches \
             \"feature-a\" and \"feature-b\" (a and b own the app)"
        ),
        "{reason}"
    );
    // A file feature-c did not change was not decided for it.
    let free = write(&mut store, &c, "src/other.rs", ENFORCE, 41);
    assert_eq!(free.answer, HookAnswer::GoOn);
    // feature-a and feature-b were not decided between: they still overlap, and their next
    // writes are an item again.
    let a = on_branch("aaaa1111", "feature-a");
    let b = on_branch("bbbb2222", "feature-b");
    assert_eq!(
        write(&mut store, &a, "src/app.rs", WARN, 50).answer,
        HookAnswer::GoOn
    );
    write(&mut store, &b, "src/app.rs", WARN, 51);
    let items = open_items(&store);
    assert_eq!(items.len(), 1, "{items:?}");
    assert!(
        items[0]
            .1
            .starts_with("Branches feature-a and feature-b of shop both change src/app.rs"),
        "{items:?}"
    );
}

#[test]
fn files_handed_to_one_of_three_branches_are_refused_to_both_others_in_enforce() {
    let mut store = fresh_store();
    let item = three_branches(&mut store);
    let a_id = session_of(&store, item, "feature-a");
    let decided = store
        .decide_escalation(
            item,
            &EscalationAction::HandToBranch { agent_id: a_id },
            None,
            "ana",
            t(30),
        )
        .unwrap();
    let detail = decided.decision.detail.unwrap().to_string();
    assert!(
        detail.contains(
            "src/app.rs, src/lib.rs handed to feature-a (feature-a·aaaa1111); feature-b and \
             feature-c leave them"
        ),
        "{detail}"
    );
    for (id, branch, at) in [("bbbb2222", "feature-b", 40), ("cccc3333", "feature-c", 41)] {
        let session = on_branch(id, branch);
        let reason =
            denial(&write(&mut store, &session, "src/app.rs", ENFORCE, at).answer).to_owned();
        assert!(
            reason.contains("ana handed src/app.rs to the branch \"feature-a\""),
            "{reason}"
        );
    }
    let a = on_branch("aaaa1111", "feature-a");
    assert_eq!(
        write(&mut store, &a, "src/app.rs", ENFORCE, 42).answer,
        HookAnswer::GoOn
    );
    assert!(open_items(&store).is_empty(), "{:?}", open_items(&store));
}

#[test]
fn letting_them_all_go_on_holds_for_every_pair_of_the_items_branches() {
    let mut store = fresh_store();
    let item = three_branches(&mut store);
    let decided = store
        .decide_escalation(item, &EscalationAction::LetBothGoOn, None, "ana", t(30))
        .unwrap();
    let detail = decided.decision.detail.unwrap().to_string();
    assert!(
        detail.contains(
            "feature-a, feature-b and feature-c all go on changing src/app.rs, src/lib.rs"
        ),
        "{detail}"
    );
    for (id, branch, at) in [
        ("aaaa1111", "feature-a", 40),
        ("bbbb2222", "feature-b", 41),
        ("cccc3333", "feature-c", 42),
    ] {
        let record = write(
            &mut store,
            &on_branch(id, branch),
            "src/app.rs",
            ENFORCE,
            at,
        );
        assert_eq!(record.answer, HookAnswer::GoOn, "{branch}");
        assert!(record.parallel.is_empty(), "{branch}");
    }
    assert!(open_items(&store).is_empty());
    // feature-c and lib.rs were never decided together: writing it is a new item.
    write(
        &mut store,
        &on_branch("cccc3333", "feature-c"),
        "src/lib.rs",
        WARN,
        50,
    );
    let items = open_items(&store);
    assert_eq!(items.len(), 1, "{items:?}");
    assert!(
        items[0].1.contains("change src/lib.rs: not checked yet"),
        "{items:?}"
    );
}
