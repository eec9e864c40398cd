//! A parallel edit as its queue item shows it: what the store keeps of it (branches and their
//! checkouts, which branch changes which file, each pair's forecast, when git was asked), and
//! for each conflicted file of each pair the lines that meet as each checkout holds them, read
//! from the checkout when the file has not changed since git was asked (else the numbers would
//! point at other lines).

use std::path::Path;
use std::time::SystemTime;

use baton_core::hooks::{hunk_texts, ConflictText, HunkText, LineRange, MergeForecast};
use baton_core::hooks::{PairTexts, ParallelEdit, ParallelEditView};
use chrono::{DateTime, Utc};

/// Files larger than this are not read for their lines.
const MAX_FILE_BYTES: u64 = 2 << 20;

/// The view of `edit`, the parallel edit of queue item `escalation_id`.
pub fn parallel_edit_view(escalation_id: i64, edit: ParallelEdit) -> ParallelEditView {
    let mut texts = Vec::new();
    for pair in &edit.pairs {
        let (Some(MergeForecast::Conflicts { files, .. }), Some(checked_at)) =
            (&pair.forecast, edit.checked_at)
        else {
            continue;
        };
        let worktree_a = edit.worktree(&pair.branch_a).unwrap_or_default();
        let worktree_b = edit.worktree(&pair.branch_b).unwrap_or_default();
        texts.push(PairTexts {
            branch_a: pair.branch_a.clone(),
            branch_b: pair.branch_b.clone(),
            texts: files
                .iter()
                .map(|file| ConflictText {
                    path: file.path.clone(),
                    a: side_text(worktree_a, &file.path, &file.ours, checked_at),
                    b: side_text(worktree_b, &file.path, &file.theirs, checked_at),
                })
                .collect(),
        });
    }
    ParallelEditView {
        escalation_id,
        edit,
        texts,
    }
}

/// One side's lines of `path` in the checkout at `worktree`, when the file is there, not too
/// big, text, and unchanged since `checked_at`.
fn side_text(
    worktree: &str,
    path: &str,
    ranges: &[LineRange],
    checked_at: DateTime<Utc>,
) -> Option<Vec<HunkText>> {
    if ranges.is_empty() || path.split('/').any(|part| part == "..") {
        return None;
    }
    let file = Path::new(worktree).join(path);
    let meta = std::fs::metadata(&file).ok()?;
    let modified: DateTime<Utc> = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH).into();
    if !meta.is_file() || meta.len() > MAX_FILE_BYTES || modified > checked_at {
        return None;
    }
    let content = String::from_utf8(std::fs::read(&file).ok()?).ok()?;
    Some(hunk_texts(&content, ranges))
}

#[cfg(test)]
mod tests {
    use super::*;
    use baton_core::hooks::{ConflictKind, ConflictedFile};

    fn edit(a: &Path, b: &Path, checked_at: DateTime<Utc>) -> ParallelEdit {
        let (a, b) = (a.to_string_lossy(), b.to_string_lossy());
        let checkouts = [("feature-a", &*a), ("feature-b", &*b)];
        let mut edit =
            ParallelEdit::of_checkouts(3, "root:abc", &checkouts, &["src/app.rs"], checked_at);
        edit.pairs[0].forecast = Some(MergeForecast::Conflicts {
            files: vec![ConflictedFile {
                path: "src/app.rs".into(),
                kind: ConflictKind::Content,
                ours: vec![LineRange { start: 2, count: 1 }],
                theirs: vec![LineRange { start: 2, count: 2 }],
            }],
            more: 0,
        });
        edit.checked_at = Some(checked_at);
        edit
    }

    #[test]
    fn each_sides_meeting_lines_are_read_from_its_checkout_as_git_saw_them() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        for (root, text) in [
            (&a, "one\nA two\nthree\n"),
            (&b, "one\nB two\nB 2b\nthree\n"),
        ] {
            std::fs::create_dir_all(root.join("src")).unwrap();
            std::fs::write(root.join("src/app.rs"), text).unwrap();
        }
        let later = Utc::now() + chrono::Duration::seconds(5);
        let view = parallel_edit_view(9, edit(&a, &b, later));
        assert_eq!((view.escalation_id, view.edit.finding_id), (9, 3));
        assert_eq!(
            (
                view.texts[0].branch_a.as_str(),
                view.texts[0].branch_b.as_str()
            ),
            ("feature-a", "feature-b")
        );
        let text = &view.texts[0].texts[0];
        assert_eq!(text.a.as_ref().unwrap()[0].lines, ["A two"]);
        assert_eq!(text.b.as_ref().unwrap()[0].lines, ["B two", "B 2b"]);

        // Changed since git was asked (or gone): the numbers would point elsewhere; no text.
        let earlier = Utc::now() - chrono::Duration::minutes(5);
        let view = parallel_edit_view(9, edit(&a, &b, earlier));
        let text = &view.texts[0].texts[0];
        assert_eq!((text.a.is_none(), text.b.is_none()), (true, true));
        std::fs::remove_file(b.join("src/app.rs")).unwrap();
        let view = parallel_edit_view(9, edit(&a, &b, later));
        let text = &view.texts[0].texts[0];
        assert!(text.a.is_some() && text.b.is_none());
    }

    #[test]
    fn no_forecast_or_no_conflict_has_no_texts_and_a_path_never_leaves_its_checkout() {
        let dir = tempfile::tempdir().unwrap();
        let mut clean = edit(dir.path(), dir.path(), Utc::now());
        clean.pairs[0].forecast = Some(MergeForecast::Clean);
        assert!(parallel_edit_view(1, clean).texts.is_empty());
        let mut unasked = edit(dir.path(), dir.path(), Utc::now());
        unasked.pairs[0].forecast = None;
        unasked.checked_at = None;
        assert!(parallel_edit_view(1, unasked).texts.is_empty());
        std::fs::write(dir.path().join("secret"), "x\ny\n").unwrap();
        let inner = dir.path().join("inner");
        std::fs::create_dir_all(&inner).unwrap();
        let ranges = [LineRange { start: 1, count: 1 }];
        let later = Utc::now() + chrono::Duration::seconds(5);
        assert!(side_text(&inner.to_string_lossy(), "../secret", &ranges, later).is_none());
    }
}
