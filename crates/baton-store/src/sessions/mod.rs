//! Coding-agent sessions heard through their hooks: one hook call into the store in ONE short
//! transaction: the session (an agent of adapter `session`, added by its first call), its turn
//! (a task per prompt), the `write` / `read` events of its tool calls, its file leases, and the
//! permit a write asks for before it happens.
//!
//! `baton hook` calls [`Store::record_hook`] from its own process, whether or not the app or
//! `baton watch` runs; they pick the events up and run the detectors.

mod asks;
mod parallel;
pub(crate) mod permits;
mod summary;
mod turns;

pub use asks::{PermissionDecided, WATCHER_FRESH};
pub use parallel::{MergeCheck, ParallelEdit, ParallelMeet};
pub use summary::SessionsHeard;

use crate::db::{params, Db};
use baton_core::detect::Finding;
use baton_core::hooks::{
    file_resource, resource_in_checkout, runs_in_shell, tool_effect, HookAnswer, HookCall,
    HookClient, HookEvent, ParallelMode, PermitConflict, PermitMode, PermitVerdict, ToolEffect,
};
use baton_core::protocol::EventKind;
use baton_core::rules::ResourcePattern;
use baton_core::task::TaskState;
use chrono::{DateTime, Duration, Utc};

use crate::codec::ts;
use crate::error::Result;
use crate::Store;
use asks::{ask_finding, record_ask, someone_watches};
use permits::{ask_permit, clash_finding, release_leases};
use turns::{end_turn, note_tool, push_event, session_row, set_turn_state, turn_title};

/// Characters of a prompt's first line kept as its turn's title.
pub(crate) const TITLE_CHARS: usize = 200;

/// Which session calls, and where it works (read by `baton hook` from the payload and `.git`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRef {
    pub client: HookClient,
    pub session_id: String,
    pub cwd: Option<String>,
    pub repo_root: Option<String>,
    /// The repository's identity, shared by its worktrees and clones (`github.com/acme/shop`,
    /// `root:<first commit>`): a file in `repo_root` is `repo://<identity>/<path inside>`.
    pub repository: Option<String>,
    pub branch: Option<String>,
    /// The agent's name when the person chose one (`BATON_AGENT_NAME`); else
    /// `<repository>·<short id>`.
    pub name: Option<String>,
}

/// How permits are kept for this call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermitSettings {
    pub mode: PermitMode,
    pub lease_time: Duration,
    /// Whether a permission request goes to Baton's queue (when the app or `watch` runs).
    pub ask_person: bool,
    /// Modes for the files under a pattern (the repository's `.baton/hooks.toml`), first
    /// match wins over `mode`.
    pub path_modes: Vec<(ResourcePattern, PermitMode)>,
    /// What a write of a file another live branch of the repository changed does.
    pub parallel: ParallelMode,
}

impl PermitSettings {
    /// The mode for writing `resource`.
    pub fn mode_for(&self, resource: &str) -> PermitMode {
        self.path_modes
            .iter()
            .find(|(pattern, _)| pattern.matches(resource))
            .map_or(self.mode, |(_, mode)| *mode)
    }
}

/// A write that met another agent's claim: for the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermitClash {
    pub path: String,
    pub resource: String,
    pub conflict: PermitConflict,
    /// Baton's id of the holder (the owner named by a rule may be no agent Baton knows).
    pub holder_id: Option<i64>,
    /// The holder's last stored write of the file (the finding's evidence).
    pub holder_seq: Option<u64>,
    pub verdict: PermitVerdict,
}

/// What one hook call did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookRecord {
    pub agent_id: i64,
    pub agent_name: String,
    /// What the client is told.
    pub answer: HookAnswer,
    /// Writes that met another agent's claim (empty unless a write was asked for).
    pub clashes: Vec<PermitClash>,
    /// Writes of files another live branch of the repository changed too.
    pub parallel: Vec<ParallelMeet>,
    pub new_events: u32,
    /// The queue item of a permission request asked in Baton's queue: the hook waits for it.
    pub asked: Option<i64>,
}

impl HookRecord {
    fn for_row(row: &SessionRow) -> HookRecord {
        HookRecord {
            agent_id: row.agent_id,
            agent_name: row.name.clone(),
            answer: HookAnswer::GoOn,
            clashes: Vec::new(),
            parallel: Vec::new(),
            new_events: 0,
            asked: None,
        }
    }
}

pub(crate) struct SessionRow {
    agent_id: i64,
    name: String,
    turns: i64,
    turn_open: bool,
}

impl SessionRef {
    /// The resource a file the session names is: its repository's file when the file is in
    /// the session's checkout, else `file://<absolute path>`.
    pub fn resource(&self, path: &str) -> String {
        match (&self.repo_root, &self.repository) {
            (Some(root), Some(id)) => resource_in_checkout(path, root, id),
            _ => None,
        }
        .unwrap_or_else(|| file_resource(path))
    }
}

/// A `write` or `read` event per file; a write also renews the writer's lease on it.
fn record_files(
    tx: &Db,
    session: &SessionRef,
    row: &SessionRow,
    kind: EventKind,
    paths: Vec<String>,
    now: DateTime<Utc>,
    record: &mut HookRecord,
) -> Result<()> {
    for path in paths {
        let resource = session.resource(&path);
        push_event(tx, row, kind, Some(resource.clone()), None, now, record)?;
        if kind == EventKind::Write {
            tx.execute(
                "UPDATE leases SET last_write_at = ?3 WHERE resource = ?1 AND holder = ?2",
                params![resource, row.agent_id, ts(now)],
            )?;
        }
    }
    Ok(())
}

impl Store {
    /// Records one hook call of `session` at `now` and answers it.
    pub fn record_hook(
        &mut self,
        session: &SessionRef,
        call: &HookCall,
        settings: PermitSettings,
        now: DateTime<Utc>,
    ) -> Result<HookRecord> {
        let tx = self.write_tx()?;
        let mut row = session_row(&tx, session, now)?;
        let mut record = HookRecord::for_row(&row);
        let mut ask: Option<(String, u64)> = None;
        let cwd = session.cwd.as_deref();
        match &call.event {
            HookEvent::UserPromptSubmit { prompt } => {
                if row.turn_open {
                    end_turn(&tx, &row, TaskState::Completed, now, &mut record)?;
                }
                row.turns += 1;
                row.turn_open = true;
                let title = turn_title(prompt);
                tx.execute(
                    "UPDATE sessions SET turns = ?2, turn_open = 1, prompt = ?3 WHERE agent_id = ?1",
                    params![row.agent_id, row.turns, title],
                )?;
                set_turn_state(&tx, &row, TaskState::Working, None, now, &mut record)?;
            }
            HookEvent::PreToolUse(tool) => {
                note_tool(&tx, row.agent_id, tool, cwd)?;
                let paths = match tool_effect(tool, cwd) {
                    ToolEffect::Writes(paths) | ToolEffect::UnsureWrites { paths, .. } => paths,
                    _ => Vec::new(),
                };
                if !paths.is_empty() {
                    ask_permit(&tx, session, &row, &paths, &settings, now, &mut record)?;
                    // Codex sends no PostToolUse for a patch run through the shell: its write
                    // is recorded when it is let through.
                    let let_through = !matches!(record.answer, HookAnswer::Deny(_));
                    if session.client == HookClient::Codex && runs_in_shell(tool) && let_through {
                        record_files(
                            &tx,
                            session,
                            &row,
                            EventKind::Write,
                            paths,
                            now,
                            &mut record,
                        )?;
                    }
                }
            }
            HookEvent::PostToolUse(tool) => {
                note_tool(&tx, row.agent_id, tool, cwd)?;
                let (kind, paths) = match tool_effect(tool, cwd) {
                    ToolEffect::Writes(paths) => (EventKind::Write, paths),
                    ToolEffect::Reads(paths) => (EventKind::Read, paths),
                    _ => (EventKind::Read, Vec::new()),
                };
                record_files(&tx, session, &row, kind, paths, now, &mut record)?;
            }
            HookEvent::PermissionRequest(tool) => {
                let what = note_tool(&tx, row.agent_id, tool, cwd)?;
                if settings.ask_person && someone_watches(&tx, now)? {
                    let seq = record_ask(&tx, &row, &what, now, &mut record)?;
                    ask = Some((what, seq));
                }
            }
            HookEvent::Notification { kind, message } => {
                let waits = matches!(kind.as_deref(), Some("permission_prompt" | "idle_prompt"));
                if waits && row.turn_open {
                    let detail = message.clone().or_else(|| kind.clone());
                    set_turn_state(
                        &tx,
                        &row,
                        TaskState::InputRequired,
                        detail,
                        now,
                        &mut record,
                    )?;
                }
            }
            HookEvent::Stop => {
                if row.turn_open {
                    end_turn(&tx, &row, TaskState::Completed, now, &mut record)?;
                }
                release_leases(&tx, row.agent_id)?;
            }
            HookEvent::SessionEnd => {
                if row.turn_open {
                    end_turn(&tx, &row, TaskState::Completed, now, &mut record)?;
                }
                release_leases(&tx, row.agent_id)?;
                tx.execute(
                    "UPDATE sessions SET ended_at = ?2 WHERE agent_id = ?1",
                    params![row.agent_id, ts(now)],
                )?;
            }
            HookEvent::SessionStart | HookEvent::Other(_) => {}
        }
        tx.commit()?;
        let findings: Vec<Finding> = record
            .clashes
            .iter()
            .filter(|clash| clash.verdict != PermitVerdict::Allow)
            .map(|clash| clash_finding(&record, clash))
            .collect();
        if let Some((what, seq)) = ask {
            let finding = ask_finding(&record, &what, seq);
            self.record_findings(std::slice::from_ref(&finding), now)?;
            record.asked = self.escalation_of(&finding.dedupe_key)?;
        }
        if !findings.is_empty() {
            self.record_findings(&findings, now)?;
        }
        if !record.parallel.is_empty() {
            self.record_parallel_edits(record.agent_id, &record.parallel, now)?;
        }
        Ok(record)
    }
}
