//! Parallel edits: sessions on two branches of one repository (two worktrees) changing one
//! file: one queue item per repository with the files, refused in `enforce`, never a write
//! collision; git's forecast kept beside it, and the item closed when the branches no longer
//! overlap. (Three branches and more: `parallel_branches`.)

use baton_core::detect::FindingKind;
use baton_core::escalations::EscalationState;
use baton_core::hooks::{
    parse_hook_payload, ConflictKind, ConflictedFile, HookAnswer, HookClient, LineRange,
    MergeForecast, ParallelMode, PermitMode, DEFAULT_LEASE_SECONDS,
};
use chrono::Duration;
use serde_json::json;

use super::sessions::{open_items, write as write_payload};
use super::support::{fresh_store, t};
use crate::escalations::EscalationFilter;
use crate::sessions::{HookRecord, MergeCheck, PairCheck, PermitSettings, SessionRef};
use crate::Store;

pub(super) const REPO: &str = "root:0123456789abcdef0123456789abcdef01234567";

/// A session on `branch`, in its worktree `/work/wt/<branch>`.
pub(super) fn on_branch(id: &str, branch: &str) -> SessionRef {
    let root = format!("/work/wt/{branch}");
    SessionRef {
        client: HookClient::ClaudeCode,
        session_id: id.into(),
        cwd: Some(root.clone()),
        repo_root: Some(root),
        repository: Some(REPO.into()),
        repository_name: Some("shop".into()),
        branch: Some(branch.into()),
        name: None,
        host: None,
        account: None,
    }
}

/// A fresh store and two sessions, on feature-a and feature-b, each in its own worktree.
fn two_branches() -> (Store, SessionRef, SessionRef) {
    (
        fresh_store(),
        on_branch("aaaa1111", "feature-a"),
        on_branch("bbbb2222", "feature-b"),
    )
}

/// `session` ends (its client's SessionEnd) at `at`.
pub(super) fn end(store: &mut Store, session: &SessionRef, parallel: ParallelMode, at: i64) {
    let payload = json!({"hook_event_name": "SessionEnd"});
    let call =
        parse_hook_payload(HookClient::ClaudeCode, payload.to_string().as_bytes(), None).unwrap();
    store
        .record_hook(session, &call, settings(parallel), t(at))
        .unwrap();
}

pub(super) fn settings(parallel: ParallelMode) -> PermitSettings {
    PermitSettings {
        mode: PermitMode::Warn,
        lease_time: Duration::seconds(DEFAULT_LEASE_SECONDS),
        ask_person: false,
        path_modes: Vec::new(),
        parallel,
        unchecked: None,
    }
}

/// `session` writes `file` (inside its worktree): PreToolUse, then PostToolUse unless refused;
/// the PreToolUse's record (the permit).
pub(super) fn write(
    store: &mut Store,
    session: &SessionRef,
    file: &str,
    parallel: ParallelMode,
    at: i64,
) -> HookRecord {
    let path = format!("{}/{file}", session.repo_root.as_deref().unwrap());
    write_with(store, session, &path, &settings(parallel), at)
}

/// `session` writes the file at `path` with `settings`, as [`write`] does.
pub(super) fn write_with(
    store: &mut Store,
    session: &SessionRef,
    path: &str,
    settings: &PermitSettings,
    at: i64,
) -> HookRecord {
    let mut permit = None;
    for event in ["PreToolUse", "PostToolUse"] {
        let payload = write_payload(event, path);
        let call = parse_hook_payload(HookClient::ClaudeCode, payload.to_string().as_bytes(), None)
            .unwrap();
        let record = store
            .record_hook(session, &call, settings.clone(), t(at))
            .unwrap();
        let refused = matches!(record.answer, HookAnswer::Deny(_));
        permit.get_or_insert(record);
        if refused {
            break;
        }
    }
    permit.unwrap()
}

pub(super) fn parallel_finding(store: &Store) -> i64 {
    let found: Vec<i64> = store
        .open_findings()
        .unwrap()
        .into_iter()
        .filter(|f| f.kind == FindingKind::ParallelEdit)
        .map(|f| f.id)
        .collect();
    assert_eq!(found.len(), 1, "{found:?}");
    found[0]
}

#[test]
fn two_branches_writing_one_file_are_one_parallel_edit_item_with_its_files() {
    let (mut store, a, b) = two_branches();
    let warn = ParallelMode::Warn;
    write(&mut store, &a, "src/app.rs", warn, 0);
    write(&mut store, &a, "src/lib.rs", warn, 1);
    assert!(open_items(&store).is_empty());

    // The other branch's write goes ahead (its own checkout) and the person is told once.
    let record = write(&mut store, &b, "src/app.rs", warn, 10);
    assert_eq!(record.answer, HookAnswer::GoOn);
    assert_eq!(record.parallel.len(), 1);
    let items = open_items(&store);
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0].0, FindingKind::ParallelEdit);
    // The repository by its name for a person, not its identity.
    assert_eq!(
        items[0].1,
        "Branches feature-a and feature-b of shop both change src/app.rs: not checked yet \
         whether they conflict"
    );
    let finding = parallel_finding(&store);
    let edit = store.parallel_edit(finding).unwrap().unwrap();
    assert_eq!(
        (edit.repository.as_str(), edit.repository_name.as_str()),
        (REPO, "shop")
    );
    // A second file of the same two branches joins the item.
    write(&mut store, &b, "src/lib.rs", warn, 11);
    write(&mut store, &b, "src/only-b.rs", warn, 12);
    let items = open_items(&store);
    assert_eq!(items.len(), 1, "{items:?}");
    assert!(
        items[0].1.contains("both change src/app.rs, src/lib.rs:"),
        "{items:?}"
    );
    let finding = parallel_finding(&store);
    let edit = store.parallel_edit(finding).unwrap().unwrap();
    assert_eq!(edit.pairs.len(), 1);
    let pair = &edit.pairs[0];
    assert_eq!(
        (pair.branch_a.as_str(), pair.branch_b.as_str()),
        ("feature-a", "feature-b")
    );
    assert_eq!(edit.worktree("feature-a"), Some("/work/wt/feature-a"));
    assert_eq!(edit.worktree("feature-b"), Some("/work/wt/feature-b"));
    assert_eq!(pair.files, ["src/app.rs", "src/lib.rs"]);
    assert_eq!(paths(&edit), ["src/app.rs", "src/lib.rs"]);
    assert_eq!(edit.files[0].branches, ["feature-a", "feature-b"]);
    assert_eq!(pair.forecast, None);
    let agents = store.findings(&[finding]).unwrap()[0].agents.clone();
    assert_eq!(agents.len(), 2);

    // The same pair written the other way round is the same item.
    write(&mut store, &a, "src/only-b.rs", warn, 13);
    assert_eq!(open_items(&store).len(), 1);
    let edit = store.parallel_edit(finding).unwrap().unwrap();
    assert_eq!(paths(&edit), ["src/app.rs", "src/lib.rs", "src/only-b.rs"]);

    // Off: not looked for.
    let c = on_branch("cccc3333", "feature-c");
    let off = write(&mut store, &c, "src/app.rs", ParallelMode::Off, 14);
    assert!(off.parallel.is_empty());
    assert_eq!(open_items(&store).len(), 1);

    // A hook that sends no name for the repository joins the item under the name it has.
    let mut d = on_branch("dddd4444", "feature-d");
    d.repository_name = None;
    write(&mut store, &d, "src/only-b.rs", warn, 15);
    let items = open_items(&store);
    assert_eq!(items.len(), 1, "{items:?}");
    assert!(
        items[0]
            .1
            .starts_with("Branches feature-a, feature-b and feature-d of shop change"),
        "{items:?}"
    );

    // Where no hook said it, the item names the repository from its identity.
    let mut store = fresh_store();
    let mut nameless = [
        on_branch("aaaa1111", "feature-a"),
        on_branch("bbbb2222", "feature-b"),
    ];
    for (at, session) in nameless.iter_mut().enumerate() {
        session.repository_name = None;
        write(&mut store, session, "src/app.rs", warn, at as i64);
    }
    let items = open_items(&store);
    assert!(
        items[0]
            .1
            .starts_with("Branches feature-a and feature-b of root:0123456 both change src/app.rs"),
        "{items:?}"
    );
}

/// The item's files, by path.
pub(super) fn paths(edit: &crate::sessions::ParallelEdit) -> Vec<&str> {
    edit.files.iter().map(|f| f.path.as_str()).collect()
}

/// git's answer for the pair feature-a, feature-b.
pub(super) fn ab(check: MergeCheck) -> Vec<PairCheck> {
    vec![PairCheck {
        branch_a: "feature-a".into(),
        branch_b: "feature-b".into(),
        check,
    }]
}

#[test]
fn enforce_refuses_the_second_branch_and_one_branch_stays_a_collision() {
    let (mut store, a, b) = two_branches();
    write(&mut store, &a, "src/app.rs", ParallelMode::Enforce, 0);
    let refused = write(&mut store, &b, "src/app.rs", ParallelMode::Enforce, 5);
    let HookAnswer::Deny(reason) = &refused.answer else {
        panic!("{:?}", refused.answer);
    };
    assert!(reason.contains("branch \"feature-a\""), "{reason}");
    assert!(reason.contains("\"feature-a·aaaa1111\""), "{reason}");
    let items = open_items(&store);
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].0, FindingKind::ParallelEdit);
    // A file nobody else changed is no parallel edit.
    let free = write(&mut store, &b, "src/other.rs", ParallelMode::Enforce, 6);
    assert_eq!(free.answer, HookAnswer::GoOn);

    // A second session on the same branch (another clone of feature-a): a write collision, as
    // before; not a parallel edit.
    let mut clone = on_branch("dddd4444", "feature-a");
    clone.repo_root = Some("/work/clone".into());
    clone.cwd = clone.repo_root.clone();
    let same = write(&mut store, &clone, "src/app.rs", ParallelMode::Enforce, 7);
    assert!(same.parallel.is_empty());
    assert_eq!(same.clashes.len(), 1);

    // Sessions that ended no longer hold their branch's changes against others.
    for ended in [&a, &clone] {
        end(&mut store, ended, ParallelMode::Enforce, 8);
    }
    let c = on_branch("cccc3333", "feature-c");
    let later = write(&mut store, &c, "src/app.rs", ParallelMode::Enforce, 9);
    assert_eq!(later.answer, HookAnswer::GoOn, "{:?}", later.parallel);
}

#[test]
fn git_is_asked_once_the_writes_pause_and_its_answer_is_kept_and_shown() {
    let (mut store, a, b) = two_branches();
    let warn = ParallelMode::Warn;
    write(&mut store, &a, "src/app.rs", warn, 0);
    write(&mut store, &b, "src/app.rs", warn, 10);
    let finding = parallel_finding(&store);
    let pause = Duration::seconds(2);
    let recheck = Duration::seconds(30);
    // Still being written: not yet.
    assert!(store
        .parallel_edits_to_check(t(11), pause, recheck)
        .unwrap()
        .is_empty());
    let due = store
        .parallel_edits_to_check(t(12), pause, recheck)
        .unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].finding_id, finding);

    let conflicts = MergeForecast::of_conflicts(vec![ConflictedFile {
        path: "src/app.rs".into(),
        kind: ConflictKind::Content,
        ours: vec![LineRange { start: 2, count: 2 }],
        theirs: vec![LineRange { start: 2, count: 1 }],
    }]);
    let check = MergeCheck::Overlap {
        files: vec!["src/app.rs".into()],
        forecast: conflicts.clone(),
    };
    assert!(store
        .record_merge_check(finding, &ab(check.clone()), t(12))
        .unwrap());
    let edit = store.parallel_edit(finding).unwrap().unwrap();
    assert_eq!(edit.pairs[0].forecast, Some(conflicts));
    assert_eq!(edit.checked_at, Some(t(12)));
    let items = open_items(&store);
    assert!(
        items[0]
            .1
            .ends_with("conflicts in src/app.rs (feature-a lines 2–3; feature-b line 2)"),
        "{items:?}"
    );
    // Checked, and not written since: due again only for a recheck.
    assert!(store
        .parallel_edits_to_check(t(20), pause, recheck)
        .unwrap()
        .is_empty());
    assert_eq!(
        store
            .parallel_edits_to_check(t(42), pause, recheck)
            .unwrap()
            .len(),
        1
    );
    // The same answer again changes nothing; "merges cleanly" retitles the item.
    assert!(!store
        .record_merge_check(finding, &ab(check), t(43))
        .unwrap());
    let clean = MergeCheck::Overlap {
        files: vec!["src/app.rs".into()],
        forecast: MergeForecast::Clean,
    };
    assert!(store
        .record_merge_check(finding, &ab(clean), t(44))
        .unwrap());
    assert!(open_items(&store)[0]
        .1
        .ends_with("src/app.rs: merges cleanly"));

    // The branches no longer overlap: the finding closes, its item expires with the reason.
    let item = store
        .escalations(EscalationFilter {
            open: true,
            closed: 0,
        })
        .unwrap()[0]
        .id;
    let over = MergeCheck::Over("feature-b was merged".into());
    assert!(store
        .record_merge_check(finding, &ab(over.clone()), t(50))
        .unwrap());
    assert!(open_items(&store).is_empty());
    let closed = store.escalation(item).unwrap();
    assert_eq!(closed.state, EscalationState::Expired);
    assert_eq!(
        closed.decision.unwrap().reason.as_deref(),
        Some("branches feature-a and feature-b no longer change the same files: feature-b was merged")
    );
    assert!(store.open_findings().unwrap().is_empty());
    assert!(store
        .parallel_edits_to_check(t(200), pause, recheck)
        .unwrap()
        .is_empty());
    // A finding that is no parallel edit has nothing to check.
    assert!(!store
        .record_merge_check(finding + 100, &ab(over), t(51))
        .unwrap());
}

#[test]
fn the_map_has_each_live_branchs_edits_of_a_repositorys_files() {
    let (mut store, a, b) = two_branches();
    let warn = ParallelMode::Warn;
    write(&mut store, &a, "src/app.rs", warn, 0);
    write(&mut store, &a, "src/lib.rs", warn, 1);
    write(&mut store, &b, "src/app.rs", warn, 10);
    let edges = |store: &Store, at: i64| -> Vec<(String, String)> {
        store
            .ownership_map_at(t(at))
            .unwrap()
            .branch_edits
            .into_iter()
            .map(|e| {
                let file = e.resource.rsplit_once('/').unwrap().1.to_owned();
                (file, e.branch)
            })
            .collect()
    };
    let app = |branch: &str| ("app.rs".to_owned(), branch.to_owned());
    let lib = |branch: &str| ("lib.rs".to_owned(), branch.to_owned());
    assert_eq!(
        edges(&store, 20),
        [app("feature-a"), app("feature-b"), lib("feature-a")]
    );
    let map = store.ownership_map_at(t(20)).unwrap();
    assert!(map.branch_edits[0]
        .resource
        .starts_with(&format!("repo://{REPO}/")));
    assert_eq!(map.branch_edits[0].last_write_at, t(0));
    // A session that ended has no edges left; nor has one silent for longer than a live one.
    end(&mut store, &b, warn, 30);
    assert_eq!(edges(&store, 40), [app("feature-a"), lib("feature-a")]);
    assert!(edges(&store, 31 * 60 + 40).is_empty());
}
