//! A parallel edit as a person reads it: the two branches and their checkouts, the files both
//! change, git's forecast of their merge with when it was asked, and the lines that meet as
//! each checkout holds them (the two hunks side by side). Pure: the engine reads the files.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::merge::{LineRange, MergeForecast};

/// Lines of one hunk shown at most (the rest are counted).
pub const MAX_HUNK_LINES: usize = 12;

/// Longest line shown, in characters (the rest cut, marked with `…`).
pub const MAX_LINE_CHARS: usize = 240;

/// A parallel edit's branches, as the queue item carries them: enough to say which sessions'
/// cards overlap whom (the full view is [`ParallelEditView`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ParallelBranches {
    /// The repository's identity (`github.com/acme/shop`, `root:<hash>`).
    pub repository: String,
    pub branch_a: String,
    pub branch_b: String,
    /// The files both branches change, sorted.
    pub files: Vec<String>,
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

/// A parallel edit as stored (`parallel_edits`, beside its finding): its two branches and
/// checkouts, the files both changed, and git's forecast of their merge (None until asked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ParallelEdit {
    pub finding_id: i64,
    /// The repository's identity (`github.com/acme/shop`, `root:<hash>`).
    pub repository: String,
    /// Its name for a person ([`repository_label`](super::repository_label): the folder of its
    /// main checkout, or its remote's last part).
    pub repository_name: String,
    pub branch_a: String,
    pub branch_b: String,
    /// Each branch's checkout (folder).
    pub worktree_a: String,
    pub worktree_b: String,
    pub files: Vec<String>,
    pub forecast: Option<MergeForecast>,
    /// When a branch last wrote one of the files.
    #[ts(type = "string")]
    pub written_at: DateTime<Utc>,
    /// When git was last asked.
    #[ts(type = "string | null")]
    pub checked_at: Option<DateTime<Utc>>,
}

/// The parallel edit of a queue item (the `parallel_edit` command): the edit as stored, and
/// for each conflicted file of its forecast the lines that meet on each side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ParallelEditView {
    pub escalation_id: i64,
    #[serde(flatten)]
    pub edit: ParallelEdit,
    pub texts: Vec<ConflictText>,
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
    fn a_long_line_is_cut_on_a_character_boundary() {
        let line = "é".repeat(MAX_LINE_CHARS + 5);
        let text = &hunk_texts(&line, &[range(1, 1)])[0].lines[0];
        assert_eq!(text.chars().count(), MAX_LINE_CHARS + 1);
        assert!(text.ends_with('…'));
    }
}
