//! Would two branches' changes conflict? What `git merge-tree --write-tree` prints for two
//! commits (the tree, the conflicted files by stage, the messages) and what `git diff -U0`
//! prints for each side of a conflicted file (its hunks), read into a [`MergeForecast`]: which
//! files conflict and which lines of each side, or "merges cleanly". Pure: the engine runs git.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Bytes of git output read at most; past it the answer is "cannot tell".
pub const MAX_GIT_OUTPUT: usize = 4 << 20;

/// Conflicted files named at most in a forecast (the rest are counted).
pub const MAX_CONFLICTED_FILES: usize = 50;

/// Line ranges of one side named at most per file.
pub const MAX_RANGES: usize = 20;

/// Lines of one side of a file, 1-based: `count` lines from `start`; a count of 0 is a
/// deletion just after line `start - 1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct LineRange {
    pub start: u32,
    pub count: u32,
}

impl std::fmt::Display for LineRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.count {
            0 => write!(
                f,
                "lines removed after line {}",
                self.start.saturating_sub(1)
            ),
            1 => write!(f, "line {}", self.start),
            n => write!(f, "lines {}–{}", self.start, self.start + n - 1),
        }
    }
}

/// How a file conflicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ConflictKind {
    /// Both changed the same lines.
    Content,
    /// Both added the file, with different contents.
    AddAdd,
    /// One deleted the file, the other changed it.
    ModifyDelete,
}

/// One conflicted file: the lines of each side that meet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ConflictedFile {
    pub path: String,
    pub kind: ConflictKind,
    /// The first branch's lines (its own numbering).
    pub ours: Vec<LineRange>,
    /// The second branch's lines.
    pub theirs: Vec<LineRange>,
}

/// What merging the two branches as they are now would do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum MergeForecast {
    /// No conflict.
    Clean,
    /// These files conflict (at most [`MAX_CONFLICTED_FILES`]; `more` counts the rest).
    Conflicts {
        files: Vec<ConflictedFile>,
        more: usize,
    },
    /// Git could not answer (why).
    Unknown { why: String },
}

/// One conflicted stage of a file, as `merge-tree` lists it: `<mode> <object> <stage>\t<path>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConflictStage {
    pub mode: String,
    pub object: String,
    /// 1 the merge base, 2 the first commit, 3 the second.
    pub stage: u8,
    pub path: String,
}

/// What `git merge-tree --write-tree <a> <b>` printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeTree {
    /// The merged tree (with conflict markers where the merge conflicts).
    pub tree: String,
    pub stages: Vec<ConflictStage>,
    /// The informational messages (`CONFLICT (content): Merge conflict in src/app.rs`, …).
    pub messages: Vec<String>,
}

/// Why `merge-tree`'s output could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergeTreeError {
    #[error("git merge-tree printed nothing")]
    Empty,
    #[error("git merge-tree's output is over {MAX_GIT_OUTPUT} bytes")]
    TooLong,
    #[error("git merge-tree's first line is not a tree id: {0:?}")]
    NoTree(String),
    #[error(
        "git merge-tree's conflicted file line {0:?} is not `<mode> <object> <stage>\\t<path>`"
    )]
    BadStage(String),
}

fn is_object_id(word: &str) -> bool {
    matches!(word.len(), 40 | 64) && word.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Reads `git merge-tree --write-tree` output (without `-z` or `--name-only`). `clean` is its
/// exit status 0: then only the tree is printed; else the stages, a blank line, the messages.
pub fn parse_merge_tree(output: &str, clean: bool) -> Result<MergeTree, MergeTreeError> {
    if output.len() > MAX_GIT_OUTPUT {
        return Err(MergeTreeError::TooLong);
    }
    let mut lines = output.lines();
    let first = lines.next().ok_or(MergeTreeError::Empty)?.trim();
    if first.is_empty() {
        return Err(MergeTreeError::Empty);
    }
    if !is_object_id(first) {
        return Err(MergeTreeError::NoTree(first.chars().take(80).collect()));
    }
    let mut tree = MergeTree {
        tree: first.to_owned(),
        stages: Vec::new(),
        messages: Vec::new(),
    };
    if clean {
        return Ok(tree);
    }
    for line in lines.by_ref() {
        if line.is_empty() {
            break;
        }
        tree.stages.push(parse_stage(line)?);
    }
    tree.messages = lines
        .filter(|line| !line.trim().is_empty())
        .map(str::to_owned)
        .collect();
    Ok(tree)
}

fn parse_stage(line: &str) -> Result<ConflictStage, MergeTreeError> {
    let bad = || MergeTreeError::BadStage(line.chars().take(120).collect());
    let (head, path) = line.split_once('\t').ok_or_else(bad)?;
    let mut words = head.split(' ');
    let (Some(mode), Some(object), Some(stage), None) =
        (words.next(), words.next(), words.next(), words.next())
    else {
        return Err(bad());
    };
    let stage = match stage {
        "1" => 1,
        "2" => 2,
        "3" => 3,
        _ => return Err(bad()),
    };
    if mode.len() != 6 || !mode.bytes().all(|b| b.is_ascii_digit()) || !is_object_id(object) {
        return Err(bad());
    }
    if path.is_empty() {
        return Err(bad());
    }
    Ok(ConflictStage {
        mode: mode.to_owned(),
        object: object.to_owned(),
        stage,
        path: unquote(path),
    })
}

/// A path git quoted (`"a\tb"`, octal escapes for other bytes) as it is; others unchanged.
fn unquote(path: &str) -> String {
    let Some(inner) = path.strip_prefix('"').and_then(|p| p.strip_suffix('"')) else {
        return path.to_owned();
    };
    let mut bytes = Vec::with_capacity(inner.len());
    let mut chars = inner.bytes().peekable();
    while let Some(b) = chars.next() {
        if b != b'\\' {
            bytes.push(b);
            continue;
        }
        match chars.next() {
            Some(b'n') => bytes.push(b'\n'),
            Some(b't') => bytes.push(b'\t'),
            Some(d @ b'0'..=b'3') => {
                let mut value = u32::from(d - b'0');
                for _ in 0..2 {
                    match chars.peek() {
                        Some(&o @ b'0'..=b'7') => {
                            value = value * 8 + u32::from(o - b'0');
                            chars.next();
                        }
                        _ => break,
                    }
                }
                bytes.push(u8::try_from(value).unwrap_or(b'?'));
            }
            Some(other) => bytes.push(other),
            None => bytes.push(b'\\'),
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// One hunk of `git diff -U0 <base> <side>`: base lines replaced by the side's lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hunk {
    /// The base lines it replaces (count 0: an insertion after line `start - 1`).
    pub base: LineRange,
    /// The side's lines in their place.
    pub side: LineRange,
}

/// The hunks of a `git diff -U0` output (its `@@ -a,b +c,d @@` lines; anything else is passed
/// by).
pub fn parse_hunks(diff: &str) -> Vec<Hunk> {
    diff.lines().filter_map(parse_hunk_header).collect()
}

fn parse_hunk_header(line: &str) -> Option<Hunk> {
    let rest = line.strip_prefix("@@ -")?;
    let (ranges, _) = rest.split_once(" @@")?;
    let (old, new) = ranges.split_once(" +")?;
    Some(Hunk {
        base: diff_range(old)?,
        side: diff_range(new)?,
    })
}

/// `a,b` or `a` (b = 1) as git writes it; a count of 0 names the line before the gap.
fn diff_range(text: &str) -> Option<LineRange> {
    let (start, count) = match text.split_once(',') {
        Some((s, c)) => (s.parse::<u32>().ok()?, c.parse::<u32>().ok()?),
        None => (text.parse::<u32>().ok()?, 1),
    };
    let start = if count == 0 {
        start.checked_add(1)?
    } else {
        start
    };
    Some(LineRange { start, count })
}

/// The lines of each side that meet: hunks whose base lines overlap or touch (git's own rule:
/// changes to adjacent lines conflict). Returns (ours, theirs), each at most [`MAX_RANGES`].
pub fn meeting_lines(ours: &[Hunk], theirs: &[Hunk]) -> (Vec<LineRange>, Vec<LineRange>) {
    let meets = |a: &Hunk, b: &Hunk| {
        let (a_start, a_end) = (a.base.start, a.base.start + a.base.count);
        let (b_start, b_end) = (b.base.start, b.base.start + b.base.count);
        a_start <= b_end && b_start <= a_end
    };
    let pick = |mine: &[Hunk], other: &[Hunk]| -> Vec<LineRange> {
        mine.iter()
            .filter(|h| other.iter().any(|o| meets(h, o)))
            .map(|h| h.side)
            .take(MAX_RANGES)
            .collect()
    };
    (pick(ours, theirs), pick(theirs, ours))
}

/// The conflicted files of a merge-tree, each with the objects of its stages (base, ours,
/// theirs): what the caller diffs to find the lines.
pub fn conflicted_files(tree: &MergeTree) -> Vec<(String, [Option<String>; 3])> {
    let mut files: Vec<(String, [Option<String>; 3])> = Vec::new();
    for stage in &tree.stages {
        let at = match files.iter().position(|(path, _)| *path == stage.path) {
            Some(at) => at,
            None => {
                files.push((stage.path.clone(), [None, None, None]));
                files.len() - 1
            }
        };
        files[at].1[usize::from(stage.stage - 1)] = Some(stage.object.clone());
    }
    files
}

/// How a file with these stages conflicts.
pub fn conflict_kind(stages: &[Option<String>; 3]) -> ConflictKind {
    match stages {
        [None, _, _] => ConflictKind::AddAdd,
        [Some(_), Some(_), Some(_)] => ConflictKind::Content,
        _ => ConflictKind::ModifyDelete,
    }
}

impl MergeForecast {
    /// The forecast for conflicted `files` (any number: the first [`MAX_CONFLICTED_FILES`]
    /// are kept).
    pub fn of_conflicts(mut files: Vec<ConflictedFile>) -> MergeForecast {
        if files.is_empty() {
            return MergeForecast::Clean;
        }
        let more = files.len().saturating_sub(MAX_CONFLICTED_FILES);
        files.truncate(MAX_CONFLICTED_FILES);
        MergeForecast::Conflicts { files, more }
    }

    /// A sentence for a person: `ours` and `theirs` name the two branches.
    pub fn sentence(&self, ours: &str, theirs: &str) -> String {
        match self {
            MergeForecast::Clean => "merges cleanly".to_owned(),
            MergeForecast::Unknown { why } => format!("cannot tell whether they conflict ({why})"),
            MergeForecast::Conflicts { files, more } => {
                let each: Vec<String> = files.iter().map(|f| f.describe(ours, theirs)).collect();
                let mut text = format!("conflicts in {}", each.join("; "));
                if *more > 0 {
                    text.push_str(&format!("; and {more} more files"));
                }
                text
            }
        }
    }
}

impl ConflictedFile {
    fn describe(&self, ours: &str, theirs: &str) -> String {
        let lines = |ranges: &[LineRange]| {
            ranges
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self.kind {
            ConflictKind::ModifyDelete => {
                format!(
                    "{} (deleted on one branch, changed on the other)",
                    self.path
                )
            }
            ConflictKind::AddAdd if self.ours.is_empty() => {
                format!("{} (added on both, differently)", self.path)
            }
            _ if self.ours.is_empty() && self.theirs.is_empty() => self.path.clone(),
            _ => format!(
                "{} ({ours} {}; {theirs} {})",
                self.path,
                lines(&self.ours),
                lines(&self.theirs)
            ),
        }
    }
}

#[cfg(test)]
#[path = "merge_tests.rs"]
mod tests;
