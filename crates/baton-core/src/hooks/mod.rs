//! Coding-agent sessions heard through their hooks (Claude Code, Codex, Copilot CLI, Gemini
//! CLI, OpenCode through Baton's plugin): the payloads they send, what a tool call does to
//! files, the permit asked before a write, and the reply in each client's format. Pure; `baton
//! hook` (the CLI) reads stdin, asks the store and prints the reply.

mod drift;
mod effect;
mod merge;
mod opencode;
mod overlap;
mod parallel;
mod parse;
mod payload;
mod permit;
mod reply;
mod repository;
mod shell;
mod subagent;

pub use drift::BaseDrift;
pub use effect::{file_resource, runs_in_shell, tool_effect, ToolEffect};
pub use merge::{
    conflict_kind, conflicted_files, meeting_lines, parse_hunks, parse_merge_tree, ConflictKind,
    ConflictStage, ConflictedFile, Hunk, LineRange, MergeForecast, MergeTree, MergeTreeError,
    MAX_GIT_OUTPUT,
};
pub use overlap::{
    branch_pair, branches_of, files_of, hunk_texts, BranchPair, ConflictText, HunkText, PairTexts,
    ParallelBranch, ParallelBranches, ParallelEdit, ParallelEditView, ParallelFile, MAX_HUNK_LINES,
};
pub use parallel::{
    and_list, parallel_deny_reason, parallel_handed_reason, parallel_key, parallel_stop_reason,
    parallel_summary, ParallelMode, LIVE_SESSION_MINUTES,
};
pub use parse::parse_hook_payload;
pub use payload::{
    short_session_id, HookCall, HookClient, HookEvent, HookPayloadError, ToolCall,
    MAX_PAYLOAD_BYTES,
};
pub use permit::{
    deny_reason, lease_branch, lease_meets, permit, ClashOutcome, Lease, Permit, PermitConflict,
    PermitMode, PermitVerdict, DEFAULT_LEASE_SECONDS,
};
pub use reply::{hook_reply, HookAnswer, HookReply};
pub use repository::{
    origin_url, remote_identity, repo_resource, repository_label, resource_in_checkout,
    root_commit_identity,
};
pub use shell::{absolute, patch_paths, shell_patches, ShellPatches};
pub use subagent::{
    is_task_notification, subagent_name, subagent_type_label, subagents_working, SubagentRef,
    MAX_TYPE_CHARS, UNTYPED_SUBAGENT,
};

#[cfg(test)]
mod tests;
