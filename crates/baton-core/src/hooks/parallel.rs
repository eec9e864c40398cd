//! Parallel edits: sessions on two branches of one repository (two worktrees, or two clones)
//! changing the same file. Neither overwrites the other (each has its own checkout); the
//! trouble comes at the merge. One finding per repository and pair of branches, naming the
//! files both changed and, once git was asked, whether the two would conflict.

use crate::detect::FindingKind;

use super::merge::MergeForecast;

/// What Baton does with a parallel edit, per repository (`parallel` in `.baton/hooks.toml`,
/// `--parallel` on the hook's command line).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum ParallelMode {
    /// Not looked for.
    Off,
    /// The write goes ahead; one item per pair of branches tells the person.
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

/// The two branches in a stable order (the finding is the same whichever wrote first).
pub fn branch_pair<'a>(a: &'a str, b: &'a str) -> (&'a str, &'a str) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

/// The cause of a parallel edit: the repository and its two branches.
pub fn parallel_key(repository: &str, a: &str, b: &str) -> String {
    let (first, second) = branch_pair(a, b);
    // Git refuses `..` in a branch's name: the pair reads back unambiguously.
    format!(
        "{}:{repository}:{first}..{second}",
        FindingKind::ParallelEdit.as_str()
    )
}

/// A session that called within this long is live: its branch's changes count (the Agents
/// view greys a session after as long).
pub const LIVE_SESSION_MINUTES: i64 = 30;

/// Files named at most in a parallel edit's summary (the rest are counted).
pub const SUMMARY_FILES: usize = 10;

/// What the person reads: the branches, the files both changed, and the forecast when there is
/// one. `repository` is the repository's name for a person (`shop`, not its identity); `a` and
/// `b` are the branches in [`branch_pair`] order.
pub fn parallel_summary(
    repository: &str,
    a: &str,
    b: &str,
    files: &[String],
    forecast: Option<&MergeForecast>,
) -> String {
    let mut named: Vec<&str> = files
        .iter()
        .take(SUMMARY_FILES)
        .map(String::as_str)
        .collect();
    let more = files.len().saturating_sub(SUMMARY_FILES);
    let more_text = format!("{more} more files");
    if more > 0 {
        named.push(&more_text);
    }
    let verdict = match forecast {
        Some(forecast) => forecast.sentence(a, b),
        None => "not checked yet whether they conflict".to_owned(),
    };
    format!(
        "Branches {a} and {b} of {repository} both change {}: {verdict}",
        named.join(", ")
    )
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
/// session of the branch to leave `path` to `holder`: who decided, and their note if any.
pub fn parallel_stop_reason(
    path: &str,
    branch: &str,
    holder: &str,
    who: &str,
    note: Option<&str>,
) -> String {
    let note = note.map(|n| format!(" ({n})")).unwrap_or_default();
    format!(
        "Baton refused this write: {who} decided in Baton that the branch \"{branch}\" stops \
         changing {path} and leaves it to the branch \"{holder}\"{note}. Carry on with other \
         work and leave this file as it is here."
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
    fn one_key_per_pair_of_branches_whichever_wrote_first() {
        assert_eq!(
            parallel_key("root:ab", "feature-b", "feature-a"),
            "parallel_edit:root:ab:feature-a..feature-b"
        );
        assert_eq!(
            parallel_key("root:ab", "feature-a", "feature-b"),
            parallel_key("root:ab", "feature-b", "feature-a")
        );
        assert_ne!(
            parallel_key("root:ab", "a", "b"),
            parallel_key("root:cd", "a", "b")
        );
    }

    #[test]
    fn the_summary_names_files_and_counts_the_rest() {
        let files: Vec<String> = (0..12).map(|i| format!("src/f{i}.rs")).collect();
        let text = parallel_summary("shop", "a", "b", &files, None);
        assert!(text.starts_with("Branches a and b of shop both change src/f0.rs, "));
        assert!(
            text.contains("src/f9.rs, 2 more files: not checked yet"),
            "{text}"
        );
        let clean = parallel_summary("x", "a", "b", &files[..1], Some(&MergeForecast::Clean));
        assert_eq!(
            clean,
            "Branches a and b of x both change src/f0.rs: merges cleanly"
        );
    }
}
