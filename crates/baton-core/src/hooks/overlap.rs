//! A parallel edit as a person reads it: the branches of one repository that change the same
//! files and their checkouts, which branches change which file, for each pair of branches git's
//! forecast of their merge with when it was asked, and the lines that meet as each checkout
//! holds them (the two hunks side by side). Pure: the engine reads the files.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::merge::{LineRange, MergeForecast};
use super::repository::repository_label;

/// Lines of one hunk shown at most (the rest are counted).
pub const MAX_HUNK_LINES: usize = 12;

/// Longest line shown, in characters (the rest cut, marked with `…`).
pub const MAX_LINE_CHARS: usize = 240;

/// The two branches in a stable order (the finding is the same whichever wrote first).
pub fn branch_pair<'a>(a: &'a str, b: &'a str) -> (&'a str, &'a str) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

/// A parallel edit's branches, as the queue item carries them: enough to say which sessions'
/// cards overlap whom (the full view is [`ParallelEditView`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ParallelBranches {
    /// The repository's identity (`github.com/acme/shop`, `root:<hash>`).
    pub repository: String,
    /// The item's branches, sorted.
    pub branches: Vec<String>,
    /// The files two or more of them change, sorted, each with the branches that change it.
    pub files: Vec<ParallelFile>,
}

/// One branch of a parallel edit and its checkout (folder).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ParallelBranch {
    pub branch: String,
    pub worktree: String,
}

/// A file of a parallel edit and the branches that change it (sorted; two or more).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ParallelFile {
    pub path: String,
    pub branches: Vec<String>,
}

/// Two branches of a parallel edit (in [`branch_pair`] order): the files
/// both change, and git's forecast of merging the two (None until asked). Git merges two
/// branches at a time, so the forecast is per pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct BranchPair {
    pub branch_a: String,
    pub branch_b: String,
    /// The files both change, sorted.
    pub files: Vec<String>,
    pub forecast: Option<MergeForecast>,
}

impl BranchPair {
    /// `a` and `b` (in whichever order) changing `files`, not asked of git yet.
    pub fn unasked(a: &str, b: &str, files: &[&str]) -> BranchPair {
        let (a, b) = branch_pair(a, b);
        let mut files: Vec<String> = files.iter().map(|f| (*f).to_owned()).collect();
        files.sort();
        files.dedup();
        BranchPair {
            branch_a: a.to_owned(),
            branch_b: b.to_owned(),
            files,
            forecast: None,
        }
    }
}

/// The files of `pairs`, each with the branches that change it: sorted by path, the branches
/// sorted.
pub fn files_of(pairs: &[BranchPair]) -> Vec<ParallelFile> {
    let mut files: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for pair in pairs {
        for path in &pair.files {
            let branches = files.entry(path).or_default();
            branches.insert(&pair.branch_a);
            branches.insert(&pair.branch_b);
        }
    }
    files
        .into_iter()
        .map(|(path, branches)| ParallelFile {
            path: path.to_owned(),
            branches: branches.into_iter().map(str::to_owned).collect(),
        })
        .collect()
}

/// The branches of `pairs`, sorted, each once.
pub fn branches_of(pairs: &[BranchPair]) -> Vec<String> {
    let branches: BTreeSet<&str> = pairs
        .iter()
        .flat_map(|p| [p.branch_a.as_str(), p.branch_b.as_str()])
        .collect();
    branches.into_iter().map(str::to_owned).collect()
}

/// The lines of one side of a conflicted file, as its checkout holds them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct HunkText {
    /// The lines the forecast named (1-based, the side's own numbering).
    pub range: LineRange,
    /// Their text, at most [`MAX_HUNK_LINES`] (a deletion has none).
    pub lines: Vec<String>,
    /// Lines of the range not shown.
    pub more: u32,
}

/// A conflicted file's meeting lines on each branch, side by side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ConflictText {
    pub path: String,
    /// Branch A's lines (None: its file could not be read as it was checked: changed since,
    /// deleted, or on another machine).
    pub a: Option<Vec<HunkText>>,
    /// Branch B's lines.
    pub b: Option<Vec<HunkText>>,
}

/// A parallel edit as stored (`parallel_edits`, beside its finding): the live branches of one
/// repository that change the same files, with their checkouts; each pair of them that
/// overlaps, with the files both change and git's forecast of their merge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ParallelEdit {
    pub finding_id: i64,
    /// The repository's identity (`github.com/acme/shop`, `root:<hash>`).
    pub repository: String,
    /// Its name for a person ([`repository_label`](super::repository_label): the folder of its
    /// main checkout, or its remote's last part).
    pub repository_name: String,
    /// Each branch and its checkout, sorted by branch.
    pub branches: Vec<ParallelBranch>,
    /// The pairs of branches that change the same files, in [`branch_pair`] order.
    pub pairs: Vec<BranchPair>,
    /// The files, each with the branches that change it ([`files_of`] the pairs).
    pub files: Vec<ParallelFile>,
    /// When a branch last wrote one of the files.
    #[ts(type = "string")]
    pub written_at: DateTime<Utc>,
    /// When git was last asked.
    #[ts(type = "string | null")]
    pub checked_at: Option<DateTime<Utc>>,
}

impl ParallelEdit {
    /// Item `finding_id` of `repository`: `checkouts` (branch, folder) and every pair of them
    /// changing `files`, written at `at` and not asked of git yet.
    pub fn of_checkouts(
        finding_id: i64,
        repository: &str,
        checkouts: &[(&str, &str)],
        files: &[&str],
        at: DateTime<Utc>,
    ) -> ParallelEdit {
        let mut branches: Vec<ParallelBranch> = checkouts
            .iter()
            .map(|(branch, worktree)| ParallelBranch {
                branch: (*branch).to_owned(),
                worktree: (*worktree).to_owned(),
            })
            .collect();
        branches.sort_by(|x, y| x.branch.cmp(&y.branch));
        let mut pairs = Vec::new();
        for (i, x) in branches.iter().enumerate() {
            for y in &branches[i + 1..] {
                pairs.push(BranchPair::unasked(&x.branch, &y.branch, files));
            }
        }
        ParallelEdit {
            finding_id,
            repository: repository.to_owned(),
            repository_name: repository_label(repository, None),
            branches,
            files: files_of(&pairs),
            pairs,
            written_at: at,
            checked_at: None,
        }
    }

    /// The checkout of `branch` (None: not one of the item's branches).
    pub fn worktree(&self, branch: &str) -> Option<&str> {
        self.branches
            .iter()
            .find(|b| b.branch == branch)
            .map(|b| b.worktree.as_str())
    }

    /// The pair of `a` and `b`, in whichever order they are given.
    pub fn pair(&self, a: &str, b: &str) -> Option<&BranchPair> {
        let (a, b) = branch_pair(a, b);
        self.pairs
            .iter()
            .find(|p| p.branch_a == a && p.branch_b == b)
    }
}

/// One pair's conflicted files, each side's meeting lines as its checkout holds them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PairTexts {
    pub branch_a: String,
    pub branch_b: String,
    pub texts: Vec<ConflictText>,
}

/// The parallel edit of a queue item (the `parallel_edit` command): the edit as stored, and
/// for each pair whose forecast names conflicts, the lines that meet on each side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ParallelEditView {
    pub escalation_id: i64,
    #[serde(flatten)]
    pub edit: ParallelEdit,
    pub texts: Vec<PairTexts>,
}

/// The lines `ranges` name in a file's `content`: at most [`MAX_HUNK_LINES`] per range, each
/// at most [`MAX_LINE_CHARS`] characters. A range past the file's end gives what is there.
pub fn hunk_texts(content: &str, ranges: &[LineRange]) -> Vec<HunkText> {
    let lines: Vec<&str> = content.lines().collect();
    ranges
        .iter()
        .map(|range| {
            let start = usize::try_from(range.start.max(1) - 1).unwrap_or(usize::MAX);
            let count = usize::try_from(range.count).unwrap_or(usize::MAX);
            let wanted = lines.iter().skip(start).take(count);
            let shown: Vec<String> = wanted
                .clone()
                .take(MAX_HUNK_LINES)
                .map(|line| cut(line))
                .collect();
            let more = wanted.count().saturating_sub(shown.len());
            HunkText {
                range: *range,
                lines: shown,
                more: u32::try_from(more).unwrap_or(u32::MAX),
            }
        })
        .collect()
}

fn cut(line: &str) -> String {
    if line.chars().count() <= MAX_LINE_CHARS {
        return line.to_owned();
    }
    let mut kept: String = line.chars().take(MAX_LINE_CHARS).collect();
    kept.push('…');
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(start: u32, count: u32) -> LineRange {
        LineRange { start, count }
    }

    #[test]
    fn the_lines_a_range_names_are_its_text() {
        let content = "one\ntwo\nthree\nfour\n";
        let texts = hunk_texts(content, &[range(2, 2), range(4, 1)]);
        assert_eq!(texts[0].lines, ["two", "three"]);
        assert_eq!(texts[1].lines, ["four"]);
        assert_eq!((texts[0].more, texts[0].range), (0, range(2, 2)));
    }

    #[test]
    fn deletions_ranges_past_the_end_and_long_hunks_are_bounded() {
        let content: String = (1..=40).map(|n| format!("line {n}\n")).collect();
        // A deletion names no line of the side.
        assert!(hunk_texts(&content, &[range(3, 0)])[0].lines.is_empty());
        // Past the end: what there is, nothing more counted.
        let tail = &hunk_texts(&content, &[range(39, 5)])[0];
        assert_eq!((tail.lines.len(), tail.more), (2, 0));
        assert!(hunk_texts(&content, &[range(100, 3)])[0].lines.is_empty());
        // A long hunk: the first lines, the rest counted.
        let long = &hunk_texts(&content, &[range(1, 30)])[0];
        assert_eq!((long.lines.len(), long.more), (MAX_HUNK_LINES, 30 - 12));
        // A start of 0 (junk) reads as line 1; huge numbers do not panic.
        assert_eq!(hunk_texts(&content, &[range(0, 1)])[0].lines, ["line 1"]);
        assert!(hunk_texts(&content, &[range(u32::MAX, u32::MAX)])[0]
            .lines
            .is_empty());
    }

    #[test]
    fn each_file_names_the_branches_of_every_pair_that_changes_it() {
        let pair = BranchPair::unasked;
        let pairs = [
            pair("feature-a", "feature-c", &["src/app.rs"]),
            pair("feature-b", "feature-a", &["src/lib.rs", "src/app.rs"]),
            pair("feature-b", "feature-c", &["src/app.rs"]),
            pair("feature-d", "feature-e", &["README.md"]),
        ];
        let files = files_of(&pairs);
        let read: Vec<(&str, Vec<&str>)> = files
            .iter()
            .map(|f| {
                (
                    f.path.as_str(),
                    f.branches.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        assert_eq!(
            read,
            [
                ("README.md", vec!["feature-d", "feature-e"]),
                ("src/app.rs", vec!["feature-a", "feature-b", "feature-c"]),
                ("src/lib.rs", vec!["feature-a", "feature-b"]),
            ]
        );
        assert_eq!(
            branches_of(&pairs),
            [
                "feature-a",
                "feature-b",
                "feature-c",
                "feature-d",
                "feature-e"
            ]
        );
        assert!(files_of(&[]).is_empty());
        // Every pair of an item's checkouts.
        let edit = ParallelEdit::of_checkouts(
            1,
            "root:abc",
            &[("c", "/wt/c"), ("a", "/wt/a"), ("b", "/wt/b")],
            &["f"],
            Utc::now(),
        );
        let each: Vec<(&str, &str)> = edit
            .pairs
            .iter()
            .map(|p| (p.branch_a.as_str(), p.branch_b.as_str()))
            .collect();
        assert_eq!(each, [("a", "b"), ("a", "c"), ("b", "c")]);
        assert_eq!(
            (edit.worktree("c"), edit.worktree("d")),
            (Some("/wt/c"), None)
        );
        assert_eq!(edit.pair("c", "a").unwrap().files, ["f"]);
        assert_eq!(edit.files[0].branches, ["a", "b", "c"]);
    }

    #[test]
    fn a_long_line_is_cut_on_a_character_boundary() {
        let line = "é".repeat(MAX_LINE_CHARS + 5);
        let text = &hunk_texts(&line, &[range(1, 1)])[0].lines[0];
        assert_eq!(text.chars().count(), MAX_LINE_CHARS + 1);
        assert!(text.ends_with('…'));
    }
}
