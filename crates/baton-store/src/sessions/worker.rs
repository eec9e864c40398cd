//! What one call does for its worker: the session's main thread, or one of its subagents
//! (each a worker of its own: its own leases, permits and events). A tool about to run asks a
//! write's permit; a tool that ran records its reads and writes; a subagent's calls start,
//! carry and stop it.

use crate::changes::{self, ChangeKind};
use crate::db::{params, Db};
use baton_core::hooks::{
    runs_in_shell, tool_effect, HookAnswer, HookCall, HookClient, HookEvent, SubagentRef, ToolCall,
    ToolEffect,
};
use baton_core::protocol::EventKind;
use baton_core::task::TaskState;
use chrono::{DateTime, Utc};

use super::asks::{record_ask, someone_watches};
use super::permit_reads::PermitReads;
use super::permits::ask_permit;
use super::record::{HookRecord, PermitSettings, SessionRef, SessionRow};
use super::subagents::{find_subagent, note_subagent_tool, stop_subagent, subagent_row};
use super::turns::{note_tool, push_event, set_turn_state};
use crate::codec::ts;
use crate::error::Result;

/// One call of a session, and what it is decided by.
pub(super) struct WorkerCall<'a> {
    pub(super) tx: &'a Db,
    pub(super) session: &'a SessionRef,
    /// The session's row (a subagent's calls find the subagent under it).
    pub(super) row: &'a SessionRow,
    pub(super) settings: &'a PermitSettings,
    pub(super) now: DateTime<Utc>,
}

impl WorkerCall<'_> {
    /// A tool is about to run: the permit for the files it writes, asked for the worker.
    pub(super) fn before_tool(
        &self,
        tool: &ToolCall,
        paths: Vec<String>,
        reads: Option<&PermitReads>,
        record: &mut HookRecord,
    ) -> Result<()> {
        let Some(reads) = reads.filter(|_| !paths.is_empty()) else {
            return Ok(());
        };
        let (tx, session, row) = (self.tx, self.session, self.row);
        ask_permit(
            tx,
            session,
            row,
            &paths,
            reads,
            self.settings,
            self.now,
            record,
        )?;
        // Codex sends no PostToolUse for a patch run through the shell: its write is recorded
        // when it is let through.
        let let_through = !matches!(record.answer, HookAnswer::Deny(_));
        if session.client == HookClient::Codex && runs_in_shell(tool) && let_through {
            self.record_files(EventKind::Write, paths, record)?;
        }
        Ok(())
    }

    /// A tool ran: its reads and writes, the worker's events.
    pub(super) fn after_tool(&self, tool: &ToolCall, record: &mut HookRecord) -> Result<()> {
        let (kind, paths) = match tool_effect(tool, self.session.cwd.as_deref()) {
            ToolEffect::Writes(paths) => (EventKind::Write, paths),
            ToolEffect::Reads(paths) => (EventKind::Read, paths),
            _ => (EventKind::Read, Vec::new()),
        };
        self.record_files(kind, paths, record)
    }

    /// A `write` or `read` event per file; a write also renews the worker's lease on it.
    pub(super) fn record_files(
        &self,
        kind: EventKind,
        paths: Vec<String>,
        record: &mut HookRecord,
    ) -> Result<()> {
        let (tx, row, now) = (self.tx, self.row, self.now);
        for path in paths {
            let resource = self.session.resource(&path);
            push_event(tx, row, kind, Some(resource.clone()), None, now, record)?;
            if kind == EventKind::Write {
                tx.execute_later(
                    "UPDATE leases SET last_write_at = ?3 WHERE resource = ?1 AND holder = ?2",
                    params![resource, row.agent_id, ts(now)],
                )?;
                changes::record(tx, ChangeKind::Leases, 0, "")?;
            }
        }
        Ok(())
    }

    /// A call of subagent `sub`: it is found (or added) under the session and the call is its
    /// own; a stop ends it (a stop of a subagent the session never had changes nothing). The
    /// record speaks for the subagent. Returns the permission request asked in the queue.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn subagent_call(
        &self,
        sub: &SubagentRef,
        call: &HookCall,
        writes: Vec<String>,
        reads: Option<&PermitReads>,
        paused: Option<String>,
        record: &mut HookRecord,
    ) -> Result<Option<(String, u64)>> {
        let (tx, now) = (self.tx, self.now);
        if call.event == HookEvent::SubagentStop {
            if let Some(found) = find_subagent(tx, self.row, sub)? {
                speak_for(record, &found.row);
                stop_subagent(tx, self.row, &found, now, record)?;
            }
            return Ok(None);
        }
        let found = subagent_row(tx, self.session, self.row, sub, now, record)?;
        speak_for(record, &found.row);
        let worker = WorkerCall {
            row: &found.row,
            ..*self
        };
        let cwd = self.session.cwd.as_deref();
        let note = |tool: &ToolCall| -> Result<String> {
            let what = note_tool(tx, found.row.agent_id, tool, cwd)?;
            note_subagent_tool(tx, found.row.agent_id, &what)?;
            Ok(what)
        };
        // A pause of the account, or the person's decision that this subagent stops.
        let refused = paused.or_else(|| found.stop_reason.clone());
        match &call.event {
            HookEvent::PreToolUse(tool) if refused.is_some() => {
                note(tool)?;
                record.answer = HookAnswer::Deny(refused.unwrap_or_default());
            }
            HookEvent::PreToolUse(tool) => {
                note(tool)?;
                worker.before_tool(tool, writes, reads, record)?;
            }
            HookEvent::PostToolUse(tool) => {
                note(tool)?;
                worker.after_tool(tool, record)?;
            }
            HookEvent::PermissionRequest(tool) => {
                let what = note(tool)?;
                if self.settings.ask_person && someone_watches(tx, now)? {
                    let seq = record_ask(tx, &found.row, &what, now, record)?;
                    return Ok(Some((what, seq)));
                }
            }
            // A subagent waiting for the person: the session's turn waits.
            HookEvent::Notification { kind, message } => {
                let waits = matches!(kind.as_deref(), Some("permission_prompt" | "idle_prompt"));
                if waits && self.row.turn_open {
                    let detail = message.clone().or_else(|| kind.clone());
                    let state = TaskState::InputRequired;
                    set_turn_state(tx, self.row, state, detail, now, record)?;
                }
            }
            _ => {}
        }
        Ok(None)
    }
}

/// The call's record speaks for the subagent `row`: its findings and answers name it.
fn speak_for(record: &mut HookRecord, row: &SessionRow) {
    record.agent_id = row.agent_id;
    record.agent_name.clone_from(&row.name);
}
