//! Task states as agents report them, and the board column each lands in.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The state of one task, as the agent reports it (`baton/1` spelling).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum TaskState {
    Submitted,
    Working,
    InputRequired,
    AuthRequired,
    Blocked,
    Completed,
    Failed,
    Canceled,
    Rejected,
}

impl TaskState {
    pub const ALL: [TaskState; 9] = [
        TaskState::Submitted,
        TaskState::Working,
        TaskState::InputRequired,
        TaskState::AuthRequired,
        TaskState::Blocked,
        TaskState::Completed,
        TaskState::Failed,
        TaskState::Canceled,
        TaskState::Rejected,
    ];

    /// The wire and database spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskState::Submitted => "submitted",
            TaskState::Working => "working",
            TaskState::InputRequired => "input_required",
            TaskState::AuthRequired => "auth_required",
            TaskState::Blocked => "blocked",
            TaskState::Completed => "completed",
            TaskState::Failed => "failed",
            TaskState::Canceled => "canceled",
            TaskState::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<TaskState> {
        TaskState::ALL.into_iter().find(|state| state.as_str() == s)
    }

    /// A terminal task never changes state again.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            TaskState::Completed | TaskState::Failed | TaskState::Canceled | TaskState::Rejected
        )
    }

    /// The board column this state is shown in.
    pub fn column(self) -> BoardColumn {
        match self {
            TaskState::Submitted => BoardColumn::Queued,
            TaskState::Working => BoardColumn::Working,
            TaskState::InputRequired | TaskState::AuthRequired => BoardColumn::NeedsHuman,
            TaskState::Blocked => BoardColumn::Blocked,
            TaskState::Completed => BoardColumn::Done,
            TaskState::Failed | TaskState::Canceled | TaskState::Rejected => BoardColumn::Failed,
        }
    }
}

impl std::fmt::Display for TaskState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The columns of the board, left to right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum BoardColumn {
    Queued,
    Working,
    NeedsHuman,
    Blocked,
    Done,
    Failed,
}

impl BoardColumn {
    pub const ALL: [BoardColumn; 6] = [
        BoardColumn::Queued,
        BoardColumn::Working,
        BoardColumn::NeedsHuman,
        BoardColumn::Blocked,
        BoardColumn::Done,
        BoardColumn::Failed,
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_round_trips_through_its_wire_name() {
        for state in TaskState::ALL {
            assert_eq!(TaskState::parse(state.as_str()), Some(state));
            let json = serde_json::to_string(&state).unwrap();
            assert_eq!(json, format!("\"{}\"", state.as_str()));
        }
        assert_eq!(TaskState::parse("TASK_STATE_WORKING"), None);
    }

    #[test]
    fn states_map_onto_the_six_columns() {
        assert_eq!(TaskState::Submitted.column(), BoardColumn::Queued);
        assert_eq!(TaskState::Working.column(), BoardColumn::Working);
        assert_eq!(TaskState::InputRequired.column(), BoardColumn::NeedsHuman);
        assert_eq!(TaskState::AuthRequired.column(), BoardColumn::NeedsHuman);
        assert_eq!(TaskState::Blocked.column(), BoardColumn::Blocked);
        assert_eq!(TaskState::Completed.column(), BoardColumn::Done);
        for s in [TaskState::Failed, TaskState::Canceled, TaskState::Rejected] {
            assert_eq!(s.column(), BoardColumn::Failed);
        }
        let used: std::collections::HashSet<_> =
            TaskState::ALL.iter().map(|s| s.column()).collect();
        assert_eq!(
            used.len(),
            BoardColumn::ALL.len(),
            "every column is reachable"
        );
    }

    #[test]
    fn terminal_states_are_exactly_the_finished_ones() {
        let terminal: Vec<_> = TaskState::ALL
            .into_iter()
            .filter(|s| s.is_terminal())
            .collect();
        assert_eq!(
            terminal,
            vec![
                TaskState::Completed,
                TaskState::Failed,
                TaskState::Canceled,
                TaskState::Rejected
            ]
        );
    }
}
