//! Parallel edits: sessions on two or more branches of one repository (worktrees, or clones)
//! changing the same file. Neither overwrites the other (each has its own checkout); the
//! trouble comes at the merge. One finding per repository: the live branches that change the
//! same files, each file with the branches that change it and, once git was asked, whether each
//! pair of branches would conflict (git merges two at a time).

use crate::detect::FindingKind;

use super::merge::MergeForecast;
#[cfg(test)]
use super::overlap::branch_pair;
use super::overlap::{branches_of, files_of, BranchPair};

/// What Baton does with a parallel edit, per repository (`parallel` in `.baton/hooks.toml`,
/// `--parallel` on the hook's command line).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum ParallelMode {
    /// Not looked for.
    Off,
    /// The write goes ahead; one item per repository tells the person.
    #[default]
    Warn,
    /// The second branch's write of a file another live branch has changed is refused.
    Enforce,
}

impl ParallelMode {
    pub const ALL: [ParallelMode; 3] =
        [ParallelMode::Off, ParallelMode::Warn, ParallelMode::Enforce];

    pub fn as_str(self) -> &'static str {
        match self {
            ParallelMode::Off => "off",
            ParallelMode::Warn => "warn",
            ParallelMode::Enforce => "enforce",
        }
    }

    pub fn parse(word: &str) -> Option<ParallelMode> {
        ParallelMode::ALL
            .into_iter()
            .find(|mode| mode.as_str() == word)
    }
}

/// The cause of a parallel edit: the repository (its branches that change the same files are
/// one item, however many).
pub fn parallel_key(repository: &str) -> String {
    format!("{}:{repository}", FindingKind::ParallelEdit.as_str())
}

/// A session that called within this long is live: its branch's changes count (the Agents
/// view greys a session after as long).
pub const LIVE_SESSION_MINUTES: i64 = 30;

/// Files named at most in a parallel edit's summary (the rest are counted).
pub const SUMMARY_FILES: usize = 10;

/// Pairs of branches whose forecast a summary says at most (the rest are counted).
pub const SUMMARY_PAIRS: usize = 6;

/// "a", "a and b", "a, b and c".
pub fn and_list<S: AsRef<str>>(words: &[S]) -> String {
    match words {
        [] => String::new(),
        [one] => one.as_ref().to_owned(),
        [init @ .., last] => format!(
            "{} and {}",
            init.iter()
                .map(AsRef::as_ref)
                .collect::<Vec<_>>()
                .join(", "),
            last.as_ref()
        ),
    }
}

/// What the person reads: the branches, the files they change (each with its branches when
/// not all of them change it), and each pair's forecast once git was asked. `repository` is
/// the repository's name for a person (`shop`, not its identity). Two branches read as they
/// always have: "Branches a and b of shop both change src/app.rs: merges cleanly".
pub fn parallel_summary(repository: &str, pairs: &[BranchPair]) -> String {
    let branches = branches_of(pairs);
    let files = files_of(pairs);
    let mut named: Vec<String> = files
        .iter()
        .take(SUMMARY_FILES)
        .map(|file| {
            if file.branches.len() == branches.len() {
                file.path.clone()
            } else {
                format!("{} ({})", file.path, file.branches.join(", "))
            }
        })
        .collect();
    let more = files.len().saturating_sub(SUMMARY_FILES);
    if more > 0 {
        named.push(format!("{more} more files"));
    }
    let (verb, verdict) = match pairs {
        [pair] => ("both change", pair_verdict(pair)),
        _ => ("change", pairs_verdict(pairs)),
    };
    format!(
        "Branches {} of {repository} {verb} {}: {verdict}",
        and_list(&branches),
        named.join(", ")
    )
}

/// One pair's forecast in words.
fn pair_verdict(pair: &BranchPair) -> String {
    match &pair.forecast {
        Some(forecast) => forecast.sentence(&pair.branch_a, &pair.branch_b),
        None => "not checked yet whether they conflict".to_owned(),
    }
}

/// Each pair's forecast, the conflicting ones first: "feature-a with feature-b: conflicts in
/// …; feature-a with feature-c: merges cleanly".
fn pairs_verdict(pairs: &[BranchPair]) -> String {
    if pairs.iter().all(|p| p.forecast.is_none()) {
        return "not checked yet whether they conflict".to_owned();
    }
    if pairs
        .iter()
        .all(|p| p.forecast == Some(MergeForecast::Clean))
    {
        return "each pair of them merges cleanly".to_owned();
    }
    let rank = |pair: &BranchPair| match &pair.forecast {
        Some(MergeForecast::Conflicts { .. }) => 0,
        Some(MergeForecast::Unknown { .. }) => 1,
        None => 2,
        Some(MergeForecast::Clean) => 3,
    };
    let mut ordered: Vec<&BranchPair> = pairs.iter().collect();
    ordered.sort_by_key(|pair| rank(pair));
    let mut each: Vec<String> = ordered
        .iter()
        .take(SUMMARY_PAIRS)
        .map(|pair| {
            let verdict = match &pair.forecast {
                None => "not checked yet".to_owned(),
                Some(_) => pair_verdict(pair),
            };
            format!("{} with {}: {verdict}", pair.branch_a, pair.branch_b)
        })
        .collect();
    let more = pairs.len().saturating_sub(SUMMARY_PAIRS);
    if more > 0 {
        each.push(format!("and {more} more pairs"));
    }
    each.join("; ")
}

/// The reason a session refused in `enforce` (and its model) reads.
pub fn parallel_deny_reason(path: &str, other_branch: &str, other_session: &str) -> String {
    format!(
        "Baton refused this write: {path} was changed on the branch \"{other_branch}\" by the \
         session \"{other_session}\", which is still working, and this repository refuses \
         parallel edits of one file on two branches (parallel = \"enforce\"). Editing it here \
         too would make the two branches conflict when merged. Leave this file to that branch \
         (carry on with other work), or ask in Baton: the person was told."
    )
}

/// The reason a session on `branch` reads at each try (in every mode) once the person told a
/// session of the branch to leave `path` to the other branches (`holders`): who decided, and
/// their note if any.
pub fn parallel_stop_reason(
    path: &str,
    branch: &str,
    holders: &[String],
    who: &str,
    note: Option<&str>,
) -> String {
    let note = note.map(|n| format!(" ({n})")).unwrap_or_default();
    let quoted: Vec<String> = holders.iter().map(|h| format!("\"{h}\"")).collect();
    let to = match holders {
        [_] => "the branch",
        _ => "the branches",
    };
    format!(
        "Baton refused this write: {who} decided in Baton that the branch \"{branch}\" stops \
         changing {path} and leaves it to {to} {}{note}. Carry on with other work and leave \
         this file as it is here.",
        and_list(&quoted)
    )
}

/// The reason a write of `path` is refused in `enforce` once the person handed the file to
/// the branch `holder`.
pub fn parallel_handed_reason(path: &str, holder: &str, who: &str) -> String {
    format!(
        "Baton refused this write: {who} handed {path} to the branch \"{holder}\" in Baton, and \
         this repository refuses parallel edits of one file on two branches (parallel = \
         \"enforce\"). Leave this file to that branch and carry on with other work."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_read_back() {
        for mode in ParallelMode::ALL {
            assert_eq!(ParallelMode::parse(mode.as_str()), Some(mode));
        }
        assert_eq!(ParallelMode::parse("observe"), None);
        assert_eq!(ParallelMode::default(), ParallelMode::Warn);
    }

    #[test]
    fn one_key_per_repository_whichever_branches_wrote() {
        assert_eq!(parallel_key("root:ab"), "parallel_edit:root:ab");
        assert_ne!(parallel_key("root:ab"), parallel_key("root:cd"));
        assert_eq!(
            branch_pair("feature-b", "feature-a"),
            ("feature-a", "feature-b")
        );
    }

    fn pair(a: &str, b: &str, files: &[&str], forecast: Option<MergeForecast>) -> BranchPair {
        BranchPair {
            branch_a: a.into(),
            branch_b: b.into(),
            files: files.iter().map(|f| (*f).to_owned()).collect(),
            forecast,
        }
    }

    #[test]
    fn the_summary_names_files_and_counts_the_rest() {
        let files: Vec<String> = (0..12).map(|i| format!("src/f{i:02}.rs")).collect();
        let names: Vec<&str> = files.iter().map(String::as_str).collect();
        let text = parallel_summary("shop", &[pair("a", "b", &names, None)]);
        assert!(text.starts_with("Branches a and b of shop both change src/f00.rs, "));
        assert!(
            text.contains("src/f09.rs, 2 more files: not checked yet"),
            "{text}"
        );
        let clean = parallel_summary(
            "x",
            &[pair("a", "b", &names[..1], Some(MergeForecast::Clean))],
        );
        assert_eq!(
            clean,
            "Branches a and b of x both change src/f00.rs: merges cleanly"
        );
    }

    #[test]
    fn three_branches_are_one_sentence_with_each_files_branches_and_each_pairs_forecast() {
        use crate::hooks::merge::{ConflictKind, ConflictedFile, LineRange};
        let conflict = MergeForecast::of_conflicts(vec![ConflictedFile {
            path: "src/app.rs".into(),
            kind: ConflictKind::Content,
            ours: vec![LineRange { start: 2, count: 1 }],
            theirs: vec![LineRange { start: 2, count: 2 }],
        }]);
        let app_lib = ["src/app.rs", "src/lib.rs"];
        let mut pairs = vec![
            pair("feature-a", "feature-b", &app_lib, None),
            pair("feature-a", "feature-c", &["src/app.rs"], None),
            pair("feature-b", "feature-c", &["src/app.rs"], None),
        ];
        assert_eq!(
            parallel_summary("shop", &pairs),
            "Branches feature-a, feature-b and feature-c of shop change src/app.rs, \
             src/lib.rs (feature-a, feature-b): not checked yet whether they conflict"
        );
        pairs[0].forecast = Some(MergeForecast::Clean);
        pairs[2].forecast = Some(conflict);
        assert_eq!(
            parallel_summary("shop", &pairs),
            "Branches feature-a, feature-b and feature-c of shop change src/app.rs, \
             src/lib.rs (feature-a, feature-b): feature-b with feature-c: conflicts in \
             src/app.rs (feature-b line 2; feature-c lines 2–3); feature-a with feature-c: not \
             checked yet; feature-a with feature-b: merges cleanly"
        );
        for p in &mut pairs {
            p.forecast = Some(MergeForecast::Clean);
        }
        assert!(parallel_summary("shop", &pairs).ends_with(": each pair of them merges cleanly"));
        // Many branches: the pairs past the first few are counted.
        let many: Vec<BranchPair> = (0..5)
            .flat_map(|i| (i + 1..5).map(move |j| (i, j)))
            .map(|(i, j)| {
                let why = MergeForecast::Unknown { why: "x".into() };
                pair(&format!("b{i}"), &format!("b{j}"), &["f"], Some(why))
            })
            .collect();
        let text = parallel_summary("shop", &many);
        assert!(
            text.starts_with("Branches b0, b1, b2, b3 and b4 of shop change f: "),
            "{text}"
        );
        assert!(text.ends_with("; and 4 more pairs"), "{text}");
    }

    #[test]
    fn a_stop_names_every_branch_the_file_is_left_to() {
        let one = parallel_stop_reason("f", "c", &["a".into()], "ana", None);
        assert!(
            one.contains("leaves it to the branch \"a\". Carry on"),
            "{one}"
        );
        let two = parallel_stop_reason("f", "c", &["a".into(), "b".into()], "ana", Some("why"));
        assert!(
            two.contains("leaves it to the branches \"a\" and \"b\" (why)."),
            "{two}"
        );
        assert_eq!(and_list(&["x", "y", "z"]), "x, y and z");
    }
}
