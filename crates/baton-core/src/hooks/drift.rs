//! The branch a session's work will merge into, moving under it: how far the repository's
//! default branch went since the session's branch forked from it, and whether the session's
//! work as it is now still merges into it. A line on the session, never a queue item: the
//! default branch moving is what it is for.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::merge::MergeForecast;

/// How a coding session's branch stands against its repository's default branch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct BaseDrift {
    /// The default branch (`main`).
    pub branch: String,
    /// Its commits since the session's branch forked from it (at least 1: a default branch
    /// that has not moved says nothing).
    pub moved: u32,
    /// Merging the session's work as it is now (committed or not) into it.
    pub forecast: MergeForecast,
    pub checked_at: DateTime<Utc>,
}

impl BaseDrift {
    /// "main moved 3 commits since feature-a forked from it: merges cleanly".
    pub fn sentence(&self, session_branch: &str) -> String {
        let commits = if self.moved == 1 { "commit" } else { "commits" };
        format!(
            "{} moved {} {commits} since {session_branch} forked from it: {}",
            self.branch,
            self.moved,
            self.forecast.sentence(session_branch, &self.branch)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hooks::merge::{ConflictKind, ConflictedFile, LineRange};

    fn drift(moved: u32, forecast: MergeForecast) -> BaseDrift {
        BaseDrift {
            branch: "main".into(),
            moved,
            forecast,
            checked_at: Utc::now(),
        }
    }

    #[test]
    fn the_line_counts_the_commits_and_says_how_the_work_merges() {
        assert_eq!(
            drift(1, MergeForecast::Clean).sentence("feature-a"),
            "main moved 1 commit since feature-a forked from it: merges cleanly"
        );
        let conflicts = MergeForecast::of_conflicts(vec![ConflictedFile {
            path: "src/app.rs".into(),
            kind: ConflictKind::Content,
            ours: vec![LineRange { start: 2, count: 1 }],
            theirs: vec![LineRange { start: 2, count: 2 }],
        }]);
        assert_eq!(
            drift(3, conflicts).sentence("feature-a"),
            "main moved 3 commits since feature-a forked from it: conflicts in src/app.rs \
             (feature-a line 2; main lines 2–3)"
        );
    }
}
