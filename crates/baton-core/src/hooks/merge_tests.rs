//! `git merge-tree` and `git diff -U0` outputs as git 2.47.3 printed them
//! (`tests/git-2.47.3/`), and broken ones.

use super::*;

const CONFLICTS: &str = include_str!("tests/git-2.47.3/merge-tree-conflicts.txt");
const CLEAN: &str = include_str!("tests/git-2.47.3/merge-tree-clean.txt");
const QUOTED: &str = include_str!("tests/git-2.47.3/merge-tree-quoted.txt");
const OURS: &str = include_str!("tests/git-2.47.3/diff-ours.txt");
const THEIRS: &str = include_str!("tests/git-2.47.3/diff-theirs.txt");

fn range(start: u32, count: u32) -> LineRange {
    LineRange { start, count }
}

#[test]
fn a_conflicted_merge_names_its_files_stages_and_messages() {
    let tree = parse_merge_tree(CONFLICTS, false).unwrap();
    assert_eq!(tree.tree, "073fe6ddbdea8a5173b431b879b1462864563c02");
    assert_eq!(tree.stages.len(), 7);
    assert_eq!(tree.stages[1].stage, 2);
    assert_eq!(tree.stages[1].path, "a.txt");
    assert_eq!(tree.stages[1].mode, "100644");
    assert_eq!(tree.messages.len(), 5);
    assert!(tree.messages[1].starts_with("CONFLICT (content)"));
    let files = conflicted_files(&tree);
    let kinds: Vec<(&str, ConflictKind)> = files
        .iter()
        .map(|(path, stages)| (path.as_str(), conflict_kind(stages)))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("a.txt", ConflictKind::Content),
            ("gone.txt", ConflictKind::ModifyDelete),
            ("n.txt", ConflictKind::AddAdd),
        ]
    );
    assert_eq!(
        files[0].1[0].as_deref(),
        Some("01f84f8898b03622081248c75d0e5d749371595b")
    );
}

#[test]
fn a_clean_merge_is_its_tree_alone() {
    let tree = parse_merge_tree(CLEAN, true).unwrap();
    assert_eq!(tree.tree, "7482181e194c67474720b120dd0ea412be750279");
    assert!(tree.stages.is_empty() && tree.messages.is_empty());
}

#[test]
fn quoted_paths_are_read_as_they_are() {
    let tree = parse_merge_tree(QUOTED, false).unwrap();
    assert_eq!(tree.stages[0].path, "we ird\tné.txt");
    assert_eq!(conflicted_files(&tree).len(), 1);
}

#[test]
fn broken_outputs_are_refused_with_a_reason() {
    assert_eq!(parse_merge_tree("", false), Err(MergeTreeError::Empty));
    assert_eq!(parse_merge_tree("\n\n", true), Err(MergeTreeError::Empty));
    assert!(matches!(
        parse_merge_tree("fatal: not a valid object name fa\n", false),
        Err(MergeTreeError::NoTree(_))
    ));
    // Cut in the middle of a stage line.
    let cut = &CONFLICTS[..CONFLICTS.find("\t").unwrap() - 3];
    assert!(matches!(
        parse_merge_tree(cut, false),
        Err(MergeTreeError::BadStage(_))
    ));
    for junk in [
        "100644 zz 1\ta.txt",
        "100644 01f84f8898b03622081248c75d0e5d749371595b 4\ta.txt",
        "10064 01f84f8898b03622081248c75d0e5d749371595b 1\ta.txt",
        "100644 01f84f8898b03622081248c75d0e5d749371595b 1\t",
        "100644 01f84f8898b03622081248c75d0e5d749371595b 1 2\ta.txt",
    ] {
        let text = format!("073fe6ddbdea8a5173b431b879b1462864563c02\n{junk}\n");
        assert!(
            matches!(
                parse_merge_tree(&text, false),
                Err(MergeTreeError::BadStage(_))
            ),
            "{junk}"
        );
    }
    let huge = "a".repeat(MAX_GIT_OUTPUT + 1);
    assert_eq!(parse_merge_tree(&huge, false), Err(MergeTreeError::TooLong));
}

#[test]
fn a_truncated_conflict_list_keeps_what_it_read() {
    // The output stopped after the stages (no blank line, no messages).
    let end = CONFLICTS.find("\n\n").unwrap() + 1;
    let tree = parse_merge_tree(&CONFLICTS[..end], false).unwrap();
    assert_eq!(tree.stages.len(), 7);
    assert!(tree.messages.is_empty());
}

#[test]
fn hunks_are_read_from_diff_headers() {
    assert_eq!(
        parse_hunks(OURS),
        vec![Hunk {
            base: range(2, 2),
            side: range(2, 2)
        }]
    );
    assert_eq!(
        parse_hunks(THEIRS),
        vec![
            Hunk {
                base: range(3, 1),
                side: range(3, 1)
            },
            Hunk {
                base: range(9, 1),
                side: range(9, 1)
            },
        ]
    );
    // Insertions and deletions: a count of 0 is the gap after the named line.
    let gaps = parse_hunks("@@ -4,0 +5,2 @@\n+x\n+y\n@@ -10,3 +11,0 @@\n");
    assert_eq!(gaps[0].base, range(5, 0));
    assert_eq!(gaps[1].side, range(12, 0));
    // Junk headers are passed by.
    assert!(parse_hunks("@@ -a,b +c @@\n@@ -1 +x @@\n@@ garbage\n-1,2 +3\n").is_empty());
    assert!(parse_hunks(&"@@ -1 +1 @@\n".repeat(3)).len() == 3);
}

#[test]
fn only_the_hunks_that_meet_are_named() {
    let (ours, theirs) = meeting_lines(&parse_hunks(OURS), &parse_hunks(THEIRS));
    // Ours changed lines 2-3, theirs 3 and 9: 2-3 against 3; line 9 merges.
    assert_eq!(ours, vec![range(2, 2)]);
    assert_eq!(theirs, vec![range(3, 1)]);
    // Adjacent lines meet (git conflicts on them too); lines apart do not.
    let at = |start, count| Hunk {
        base: range(start, count),
        side: range(start, count),
    };
    assert_eq!(meeting_lines(&[at(2, 1)], &[at(3, 1)]).0.len(), 1);
    assert!(meeting_lines(&[at(2, 1)], &[at(4, 1)]).0.is_empty());
    // An insertion between two changed lines meets them.
    assert_eq!(meeting_lines(&[at(5, 0)], &[at(4, 1)]).1, vec![range(4, 1)]);
    // Many meeting hunks are capped.
    let many: Vec<Hunk> = (1..200).map(|i| at(i * 3, 1)).collect();
    assert_eq!(meeting_lines(&many, &many).0.len(), MAX_RANGES);
}

#[test]
fn the_forecast_reads_as_a_sentence() {
    assert_eq!(MergeForecast::Clean.sentence("a", "b"), "merges cleanly");
    let file = ConflictedFile {
        path: "src/app.rs".into(),
        kind: ConflictKind::Content,
        ours: vec![range(2, 2)],
        theirs: vec![range(3, 1), range(7, 0)],
    };
    let forecast = MergeForecast::of_conflicts(vec![file.clone()]);
    assert_eq!(
        forecast.sentence("feature-a", "feature-b"),
        "conflicts in src/app.rs (feature-a lines 2–3; feature-b line 3, lines removed after line 6)"
    );
    let gone = ConflictedFile {
        path: "gone.txt".into(),
        kind: ConflictKind::ModifyDelete,
        ours: Vec::new(),
        theirs: Vec::new(),
    };
    let many = vec![gone; MAX_CONFLICTED_FILES + 3];
    let forecast = MergeForecast::of_conflicts(many);
    let text = forecast.sentence("a", "b");
    assert!(text.ends_with("; and 3 more files"), "{text}");
    assert!(text.starts_with("conflicts in gone.txt (deleted on one branch"));
    assert_eq!(
        MergeForecast::of_conflicts(Vec::new()),
        MergeForecast::Clean
    );
}
