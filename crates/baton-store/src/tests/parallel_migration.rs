//! Schema 22 on a store from before, on both engines: each item of a pair of branches keeps
//! its branches, checkouts, files and forecast; the repository's oldest open item becomes its
//! one item, and the next parallel write of the repository folds the others into it (they
//! leave the queue, expired and logged, naming the item they joined).

use baton_core::escalations::EscalationState;
use baton_core::hooks::{parallel_key, MergeForecast, ParallelMode};

use super::parallel_edits::{on_branch, paths, write, REPO};
use super::sessions::open_escalations;
use super::support::store_from_version;
use crate::ChainCheck;

/// Before schema 22: three items of pairs of branches of REPO (feature-a with feature-b,
/// forecast clean, and feature-a with feature-c, both open; feature-b with feature-c,
/// closed), with their queue items.
fn before_22() -> String {
    let at = "2026-05-01T11:00:00.000000000Z";
    let due = "2099-01-01T00:00:00.000000000Z";
    let item = |id: i64, a: &str, b: &str, files: &str, closed: bool| {
        let (closed_at, state, resolved) = if closed {
            (format!("'{at}'"), "expired", format!("'{at}'"))
        } else {
            ("NULL".to_owned(), "open", "NULL".to_owned())
        };
        format!(
            "INSERT INTO findings (id, kind, severity, agents, resource, summary, evidence,
                                   opened_at, updated_at, closed_at, dedupe_key)
             VALUES ({id}, 'parallel_edit', 'warning', '[]', 'repo://{REPO}/',
                     'Branches {a} and {b} of shop both change {files}', '[]', '{at}', '{at}',
                     {closed_at}, 'parallel_edit:{REPO}:{a}..{b}');
             INSERT INTO escalations (id, finding_id, title, state, opened_at, due_at,
                                      resolved_at, last_seen_at)
             VALUES ({id}, {id}, 'Branches {a} and {b} of shop both change {files}', '{state}',
                     '{at}', '{due}', {resolved}, '{at}');
             UPDATE findings SET escalation_id = {id} WHERE id = {id};
             INSERT INTO parallel_edits (finding_id, repository, branch_a, branch_b, worktree_a,
                                         worktree_b, files, forecast, written_at,
                                         repository_name)
             VALUES ({id}, '{REPO}', '{a}', '{b}', '/work/wt/{a}', '/work/wt/{b}',
                     '[\"{files}\"]', {forecast}, '{at}', 'shop');",
            forecast = if id == 1 {
                "'{\"outcome\":\"clean\"}'"
            } else {
                "NULL"
            }
        )
    };
    [
        item(1, "feature-a", "feature-b", "src/app.rs", false),
        item(2, "feature-a", "feature-c", "src/lib.rs", false),
        item(3, "feature-b", "feature-c", "src/old.rs", true),
    ]
    .join("\n")
}

#[test]
fn items_of_pairs_are_kept_and_fold_into_their_repositorys_one_item() {
    let dir = tempfile::tempdir().unwrap();
    // PostgreSQL's ids go on after the rows written with theirs.
    let sequences = "SELECT setval(pg_get_serial_sequence('findings', 'id'), 3);
                     SELECT setval(pg_get_serial_sequence('escalations', 'id'), 3);";
    let mut store = store_from_version(dir.path(), 20, &before_22(), sequences);
    assert_eq!(store.schema_version().unwrap(), crate::LATEST_VERSION);

    // Each item kept its pair, checkouts, files and forecast.
    let first = store.parallel_edit(1).unwrap().unwrap();
    assert_eq!(first.repository_name, "shop");
    assert_eq!(first.pairs.len(), 1);
    assert_eq!(
        (
            first.pairs[0].branch_a.as_str(),
            first.pairs[0].branch_b.as_str()
        ),
        ("feature-a", "feature-b")
    );
    assert_eq!(first.pairs[0].forecast, Some(MergeForecast::Clean));
    assert_eq!(paths(&first), ["src/app.rs"]);
    assert_eq!(first.worktree("feature-b"), Some("/work/wt/feature-b"));
    let old = store.parallel_edit(3).unwrap().unwrap();
    assert_eq!(paths(&old), ["src/old.rs"]);
    // The oldest open item is the repository's now; the others keep their keys until folded.
    let keys: Vec<String> = store
        .findings(&[1, 2, 3])
        .unwrap()
        .into_iter()
        .map(|f| f.dedupe_key)
        .collect();
    assert_eq!(keys[0], parallel_key(REPO));
    assert!(keys[1].ends_with(":feature-a..feature-c"), "{keys:?}");
    assert!(keys[2].ends_with(":feature-b..feature-c"), "{keys:?}");
    let queue = open_escalations(&store);
    assert_eq!(queue.len(), 2);
    assert_eq!(
        queue[0].parallel.as_ref().unwrap().branches,
        ["feature-a", "feature-b"]
    );

    // The next parallel write of the repository: one item, the pairs of both.
    let warn = ParallelMode::Warn;
    write(
        &mut store,
        &on_branch("aaaa1111", "feature-a"),
        "src/app.rs",
        warn,
        0,
    );
    write(
        &mut store,
        &on_branch("bbbb2222", "feature-b"),
        "src/app.rs",
        warn,
        1,
    );
    let queue = open_escalations(&store);
    assert_eq!(queue.len(), 1, "{queue:?}");
    assert_eq!(queue[0].id, 1);
    assert!(
        queue[0].title.starts_with(
            "Branches feature-a, feature-b and feature-c of shop change src/app.rs \
             (feature-a, feature-b), src/lib.rs (feature-a, feature-c):"
        ),
        "{}",
        queue[0].title
    );
    let edit = store.parallel_edit(1).unwrap().unwrap();
    assert_eq!(edit.pairs.len(), 2);
    assert_eq!(
        edit.pair("feature-a", "feature-b").unwrap().forecast,
        Some(MergeForecast::Clean)
    );
    assert_eq!(edit.worktree("feature-c"), Some("/work/wt/feature-c"));
    let folded = store.escalation(2).unwrap();
    assert_eq!(folded.state, EscalationState::Expired);
    let reason = folded.decision.unwrap().reason.unwrap();
    assert!(
        reason.starts_with("joined the item #1 of its repository"),
        "{reason}"
    );
    assert!(store.findings(&[2]).unwrap()[0].closed_at.is_some());
    assert_eq!(
        store.verify_decisions().unwrap(),
        ChainCheck::Ok { entries: 1 }
    );
}
