//! Three branches and more: the live branches of one repository that change the same files are
//! one queue item, each file with the branches that change it; git's forecast is per pair of
//! branches; a pair that stops overlapping leaves the item without closing it, and the item
//! clears itself when no pair is left. (The decisions on three branches: `parallel_choices`.)

use baton_core::detect::FindingKind;
use baton_core::escalations::EscalationState;
use baton_core::hooks::{HookAnswer, MergeForecast, ParallelMode};

use super::parallel_edits::{on_branch, parallel_finding, paths, write, REPO};
use super::sessions::{open_escalations, open_items};
use super::support::{fresh_store, t};
use crate::escalations::EscalationFilter;
use crate::sessions::{MergeCheck, PairCheck};
use crate::Store;

const WARN: ParallelMode = ParallelMode::Warn;

/// feature-a and feature-b change src/app.rs and src/lib.rs; feature-c changes src/app.rs.
/// Returns the item's id.
pub(super) fn three_branches(store: &mut Store) -> i64 {
    let a = on_branch("aaaa1111", "feature-a");
    let b = on_branch("bbbb2222", "feature-b");
    let c = on_branch("cccc3333", "feature-c");
    write(store, &a, "src/app.rs", WARN, 0);
    write(store, &a, "src/lib.rs", WARN, 1);
    write(store, &b, "src/app.rs", WARN, 10);
    write(store, &b, "src/lib.rs", WARN, 11);
    let joined = write(store, &c, "src/app.rs", WARN, 20);
    // The third branch meets both, and joins their item.
    assert_eq!(joined.answer, HookAnswer::GoOn);
    assert_eq!(joined.parallel.len(), 2);
    let items = open_escalations(store);
    assert_eq!(items.len(), 1, "{items:?}");
    items[0].id
}

fn pair(a: &str, b: &str, check: MergeCheck) -> PairCheck {
    PairCheck {
        branch_a: a.into(),
        branch_b: b.into(),
        check,
    }
}

fn overlap(files: &[&str], forecast: MergeForecast) -> MergeCheck {
    MergeCheck::Overlap {
        files: files.iter().map(|f| (*f).to_owned()).collect(),
        forecast,
    }
}

#[test]
fn a_third_branch_joins_the_item_and_each_file_names_its_branches() {
    let mut store = fresh_store();
    three_branches(&mut store);
    let items = open_items(&store);
    assert_eq!(items[0].0, FindingKind::ParallelEdit);
    assert_eq!(
        items[0].1,
        "Branches feature-a, feature-b and feature-c of shop change src/app.rs, src/lib.rs \
         (feature-a, feature-b): not checked yet whether they conflict"
    );
    let finding = parallel_finding(&store);
    let edit = store.parallel_edit(finding).unwrap().unwrap();
    let branches: Vec<(&str, &str)> = edit
        .branches
        .iter()
        .map(|b| (b.branch.as_str(), b.worktree.as_str()))
        .collect();
    assert_eq!(
        branches,
        [
            ("feature-a", "/work/wt/feature-a"),
            ("feature-b", "/work/wt/feature-b"),
            ("feature-c", "/work/wt/feature-c"),
        ]
    );
    let pairs: Vec<(&str, &str, Vec<&str>)> = edit
        .pairs
        .iter()
        .map(|p| {
            let files = p.files.iter().map(String::as_str).collect();
            (p.branch_a.as_str(), p.branch_b.as_str(), files)
        })
        .collect();
    assert_eq!(
        pairs,
        [
            ("feature-a", "feature-b", vec!["src/app.rs", "src/lib.rs"]),
            ("feature-a", "feature-c", vec!["src/app.rs"]),
            ("feature-b", "feature-c", vec!["src/app.rs"]),
        ]
    );
    assert_eq!(paths(&edit), ["src/app.rs", "src/lib.rs"]);
    assert_eq!(
        edit.files[0].branches,
        ["feature-a", "feature-b", "feature-c"]
    );
    assert_eq!(edit.files[1].branches, ["feature-a", "feature-b"]);
    assert_eq!(store.findings(&[finding]).unwrap()[0].agents.len(), 3);
    // The queue item carries the three branches and each file's.
    let item = &open_escalations(&store)[0];
    let parallel = item.parallel.as_ref().unwrap();
    assert_eq!(parallel.branches, ["feature-a", "feature-b", "feature-c"]);
    assert_eq!(parallel.files, edit.files);

    // More writes of the three stay one item; a fourth branch on another file joins it too.
    let c = on_branch("cccc3333", "feature-c");
    write(&mut store, &c, "src/lib.rs", WARN, 30);
    let d = on_branch("dddd4444", "feature-d");
    write(&mut store, &d, "README.md", WARN, 31);
    write(&mut store, &c, "README.md", WARN, 32);
    assert_eq!(open_items(&store).len(), 1);
    let edit = store.parallel_edit(finding).unwrap().unwrap();
    assert_eq!(edit.pairs.len(), 4);
    assert_eq!(paths(&edit), ["README.md", "src/app.rs", "src/lib.rs"]);
    assert_eq!(edit.files[0].branches, ["feature-c", "feature-d"]);
    assert_eq!(
        edit.files[2].branches,
        ["feature-a", "feature-b", "feature-c"]
    );
    assert!(
        open_items(&store)[0].1.starts_with(
            "Branches feature-a, feature-b, feature-c and feature-d of shop change README.md \
             (feature-c, feature-d), src/app.rs (feature-a, feature-b, feature-c), src/lib.rs \
             (feature-a, feature-b, feature-c):"
        ),
        "{:?}",
        open_items(&store)
    );
}

#[test]
fn each_pair_has_its_forecast_and_a_pair_that_stops_overlapping_leaves_the_item_open() {
    let mut store = fresh_store();
    let item = three_branches(&mut store);
    let finding = parallel_finding(&store);
    let conflicts = MergeForecast::of_conflicts(vec![baton_core::hooks::ConflictedFile {
        path: "src/app.rs".into(),
        kind: baton_core::hooks::ConflictKind::Content,
        ours: vec![baton_core::hooks::LineRange { start: 2, count: 1 }],
        theirs: vec![baton_core::hooks::LineRange { start: 2, count: 1 }],
    }]);
    let app = ["src/app.rs"];
    let checks = [
        pair(
            "feature-a",
            "feature-b",
            overlap(&["src/app.rs", "src/lib.rs"], conflicts),
        ),
        pair(
            "feature-a",
            "feature-c",
            overlap(&app, MergeForecast::Clean),
        ),
        pair(
            "feature-b",
            "feature-c",
            overlap(&app, MergeForecast::Clean),
        ),
    ];
    assert!(store.record_merge_check(finding, &checks, t(30)).unwrap());
    assert_eq!(
        open_items(&store)[0].1,
        "Branches feature-a, feature-b and feature-c of shop change src/app.rs, src/lib.rs \
         (feature-a, feature-b): feature-a with feature-b: conflicts in src/app.rs (feature-a \
         line 2; feature-b line 2); feature-a with feature-c: merges cleanly; feature-b with \
         feature-c: merges cleanly"
    );
    let edit = store.parallel_edit(finding).unwrap().unwrap();
    assert_eq!(edit.checked_at, Some(t(30)));
    assert_eq!(
        edit.pair("feature-c", "feature-a").unwrap().forecast,
        Some(MergeForecast::Clean)
    );

    // feature-c merged into feature-a: that pair leaves; the item stays open, c still there
    // with b.
    let merged = MergeCheck::Over("feature-c has nothing feature-a does not have".into());
    store
        .record_merge_check(finding, &[pair("feature-a", "feature-c", merged)], t(40))
        .unwrap();
    let open = open_escalations(&store);
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].id, item);
    let edit = store.parallel_edit(finding).unwrap().unwrap();
    assert_eq!(edit.pairs.len(), 2);
    assert_eq!(edit.branches.len(), 3);
    assert_eq!(
        edit.files[0].branches,
        ["feature-a", "feature-b", "feature-c"]
    );

    // feature-c's edits undone: it leaves the item, and its session the item's sessions; two
    // branches read as two again.
    let undone = MergeCheck::Over("the files both change are the same on both".into());
    assert!(store
        .record_merge_check(finding, &[pair("feature-b", "feature-c", undone)], t(50))
        .unwrap());
    let edit = store.parallel_edit(finding).unwrap().unwrap();
    let branches: Vec<&str> = edit.branches.iter().map(|b| b.branch.as_str()).collect();
    assert_eq!(branches, ["feature-a", "feature-b"]);
    assert_eq!(store.findings(&[finding]).unwrap()[0].agents.len(), 2);
    let open = open_escalations(&store);
    assert_eq!(open[0].agents.len(), 2);
    assert!(
        open[0]
            .title
            .starts_with("Branches feature-a and feature-b of shop both change src/app.rs, src/lib.rs: conflicts"),
        "{}",
        open[0].title
    );

    // A pair that joins while git is asked about the others is left as it is; the last pair
    // over clears the item, saying why.
    let c = on_branch("cccc3333", "feature-c");
    write(&mut store, &c, "src/lib.rs", WARN, 60);
    let deleted = MergeCheck::Over("the branch feature-b was deleted".into());
    store
        .record_merge_check(finding, &[pair("feature-a", "feature-b", deleted)], t(70))
        .unwrap();
    let edit = store.parallel_edit(finding).unwrap().unwrap();
    let left: Vec<(&str, &str)> = edit
        .pairs
        .iter()
        .map(|p| (p.branch_a.as_str(), p.branch_b.as_str()))
        .collect();
    assert_eq!(
        left,
        [("feature-a", "feature-c"), ("feature-b", "feature-c")]
    );
    let over = |why: &str| MergeCheck::Over(why.to_owned());
    let last = [
        pair("feature-a", "feature-c", over("feature-c was merged")),
        pair("feature-b", "feature-c", over("feature-c was merged")),
    ];
    assert!(store.record_merge_check(finding, &last, t(80)).unwrap());
    assert!(open_items(&store).is_empty());
    let closed = store.escalation(item).unwrap();
    assert_eq!(closed.state, EscalationState::Expired);
    assert_eq!(
        closed.decision.unwrap().reason.as_deref(),
        Some(
            "no two of its branches change the same files any more (feature-a and feature-c: \
             feature-c was merged; feature-b and feature-c: feature-c was merged)"
        )
    );
}

#[test]
fn a_queue_item_carries_its_branches_and_files_and_a_session_its_repository() {
    let mut store = fresh_store();
    let (a, b) = (
        on_branch("aaaa1111", "feature-a"),
        on_branch("bbbb2222", "feature-b"),
    );
    let warn = ParallelMode::Warn;
    write(&mut store, &a, "src/app.rs", warn, 0);
    write(&mut store, &b, "src/app.rs", warn, 10);
    write(&mut store, &b, "README.md", warn, 11);
    write(&mut store, &a, "README.md", warn, 12);
    // The same branch in one checkout: a write collision, which is no parallel edit.
    let a2 = on_branch("aaaa3333", "feature-a");
    write(&mut store, &a2, "src/app.rs", warn, 13);

    let queue = store.escalations(EscalationFilter::default()).unwrap();
    let parallel: Vec<_> = queue.iter().filter_map(|e| e.parallel.as_ref()).collect();
    assert_eq!(parallel.len(), 1, "{queue:?}");
    assert_eq!(parallel[0].repository, REPO);
    assert_eq!(parallel[0].branches, ["feature-a", "feature-b"]);
    let files: Vec<(&str, &[String])> = parallel[0]
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.branches.as_slice()))
        .collect();
    let ab = ["feature-a".to_owned(), "feature-b".to_owned()];
    assert_eq!(files, [("README.md", &ab[..]), ("src/app.rs", &ab[..])]);
    for item in &queue {
        assert_eq!(
            item.parallel.is_some(),
            item.kind == FindingKind::ParallelEdit,
            "{item:?}"
        );
        // One item read alone says the same.
        assert_eq!(store.escalation(item.id).unwrap().parallel, item.parallel);
    }

    // Each session's row names its repository, by identity and for a person.
    let sessions: Vec<_> = store
        .agent_rows()
        .unwrap()
        .into_iter()
        .filter_map(|row| row.session)
        .collect();
    assert_eq!(sessions.len(), 3);
    for session in &sessions {
        assert_eq!(session.repository.as_deref(), Some(REPO));
        assert_eq!(session.repository_name.as_deref(), Some("root:0123456"));
    }
}
